/** kernel-lib paths: what notebooks print is relative to their working directory, never a machine's absolute folder; where their runs go. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { displayPath } from '../kernel-lib/paths';
import { notebookRunsRoot } from '../kernel-lib/notebook';
import { setup } from '../kernel-lib/setup';

function fakeRepo(): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'primed-paths-')));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'primed' }));
  fs.mkdirSync(path.join(root, 'notebooks'));
  return root;
}

test('displayPath: inside the repository relative to the working directory, outside it absolute', () => {
  const root = fakeRepo();
  try {
    const nbDir = path.join(root, 'notebooks');
    assert.equal(displayPath(root, nbDir), '..');
    assert.equal(displayPath(path.join(root, 'runs', 'nb-mini', 'finetune-I-s150'), nbDir), path.join('..', 'runs', 'nb-mini', 'finetune-I-s150'));
    assert.equal(displayPath(path.join(nbDir, 'fig.png'), nbDir), 'fig.png');
    assert.equal(displayPath(nbDir, nbDir), '.');
    assert.equal(displayPath('../data', nbDir), path.join('..', 'data'), 'a relative path is read from the working directory');
    // your own data elsewhere stays as configured
    assert.equal(displayPath('/data/aod', nbDir), '/data/aod');
    // a folder beside the repository that shares its name as a prefix is not inside it
    assert.equal(displayPath(root + '-other/x', nbDir), root + '-other/x');
    // outside any checkout only paths below the working directory are shortened
    const outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'primed-paths-out-')));
    try {
      assert.equal(displayPath(path.join(outside, 'a'), outside), 'a');
      assert.equal(displayPath(path.join(root, 'runs'), outside), path.join(root, 'runs'));
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('notebookRunsRoot: PRIMED_NOTEBOOK_RUNS when set, else runs/notebooks (mini) or <runs folder>/notebooks (paper)', () => {
  const env = { root: '/repo', runsDir: '/repo/runs/paper' };
  assert.equal(notebookRunsRoot(env, 'mini', {}), path.resolve('/repo/runs/notebooks'));
  assert.equal(notebookRunsRoot(env, 'paper', {}), path.resolve('/repo/runs/paper/notebooks'));
  assert.equal(notebookRunsRoot(env, 'mini', { PRIMED_NOTEBOOK_RUNS: '/elsewhere/nb' }), '/elsewhere/nb');
  assert.equal(notebookRunsRoot(env, 'mini', { PRIMED_NOTEBOOK_RUNS: 'rel' }), path.resolve('rel'));
  assert.equal(notebookRunsRoot(env, 'mini', { PRIMED_NOTEBOOK_RUNS: '' }), path.resolve('/repo/runs/notebooks'), 'empty = not set');
});

test("setup's summary, printed from notebooks/, names the repository's folders relative to it", async () => {
  const root = fakeRepo();
  const cwd = process.cwd();
  const printed: string[] = [];
  const log = console.log;
  try {
    process.chdir(path.join(root, 'notebooks'));
    console.log = (...args: unknown[]) => void printed.push(args.join(' '));
    await setup({ scale: 'mini', root: root });
  } finally {
    console.log = log;
    process.chdir(cwd);
    fs.rmSync(root, { recursive: true, force: true });
  }
  const text = printed.join('\n');
  assert.match(text, /^root {6}\.\.$/m);
  assert.match(text, /^data {6}\.\.\/data$/m);
  assert.match(text, /^runs {6}\.\.\/runs\/mini$/m);
  assert.ok(!text.includes(root), `no absolute path of the repository in:\n${text}`);
});
