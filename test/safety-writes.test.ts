/**
 * Issue 13, "never delete what primed did not create": memory build, pretrain and evaluate
 * --fresh refuse folders that are not their own artefact, replace one only when asked, and
 * keep names from the command line inside their parent folder. Each case failed on the old code
 * (the folder was deleted, or the command went on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { command as memoryCommand } from '../src/cli/memory';
import { command as pretrainCommand } from '../src/cli/pretrain';
import { command as evaluateCommand } from '../src/cli/evaluate';
import { writeNpy } from '../src/data/npy';
import { runCaptured } from './helpers/cli';
import { replaceDirAtomic, recoverDirSwap } from '../src/util/fs';
import { runJobs } from '../kernel-lib/runs';
import { readCheckpointState } from '../src/train/checkpoint';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'primed-safety-'));
const memory = (args: string[]) => runCaptured(memoryCommand, args, { quiet: true });
const pretrain = (args: string[]) => runCaptured(pretrainCommand, args, { quiet: true });
const evaluate = (args: string[]) => runCaptured(evaluateCommand, args, { quiet: true });

/** A JSONL of `n` captions and matching precomputed embeddings. */
function source(d: string, n: number): { jsonl: string; spec: string } {
  const jsonl = path.join(d, 'src.jsonl');
  fs.writeFileSync(jsonl, Array.from({ length: n }, (_, i) => JSON.stringify({ id: `e${i}`, caption: `caption ${i}` })).join('\n') + '\n');
  const vec = new Float32Array(n * 4).map((_, i) => 1 + (i % 7));
  const npy = path.join(d, 'e.npy');
  fs.writeFileSync(npy, writeNpy({ dtype: 'f4', shape: [n, 4], data: vec }));
  return { jsonl, spec: `precomputed:${npy}` };
}

/** Every file under `dir` with its contents, to show a folder was left exactly as it was. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'base64');
    }
  };
  walk(dir);
  return out;
}

test('memory build refuses a non-empty folder that is not a memory, and the source inside it; it is left intact', async () => {
  const d = tmp();
  const notes = path.join(d, 'notes');
  fs.mkdirSync(notes);
  fs.writeFileSync(path.join(notes, 'thesis.md'), 'my notes');
  const { jsonl, spec } = source(notes, 3); // the very JSONL being imported lies in the folder
  const before = snapshot(notes);
  await assert.rejects(memory(['build', notes, '--from', jsonl, '--embedder', spec]), /lies inside the memory folder/);
  const other = source(d, 3);
  await assert.rejects(memory(['build', notes, '--from', other.jsonl, '--embedder', other.spec]), /is not empty and does not hold a memory .*thesis\.md.*refusing/);
  assert.deepEqual(snapshot(notes), before);
  // a file as the folder: a clear error, not ENOTDIR
  const file = path.join(d, 'file.txt');
  fs.writeFileSync(file, 'x');
  await assert.rejects(memory(['build', file, '--from', other.jsonl, '--embedder', other.spec]), /is a file, not a folder/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'x');
});

test('memory build over a memory needs --replace; with it the version continues', async () => {
  const d = tmp();
  const { jsonl, spec } = source(d, 3);
  const mem = path.join(d, 'mem');
  assert.equal((await memory(['build', mem, '--from', jsonl, '--embedder', spec])).code, 0);
  await assert.rejects(memory(['build', mem, '--from', jsonl, '--embedder', spec]), /already holds a memory; pass --replace/);
  const r = await memory(['build', mem, '--from', jsonl, '--embedder', spec, '--replace']);
  assert.match(r.out, /version 2/);
  // an empty folder is fine
  const empty = path.join(d, 'empty');
  fs.mkdirSync(empty);
  assert.equal((await memory(['build', empty, '--from', jsonl, '--embedder', spec])).code, 0);
});

test('pretrain --out refuses a folder of other files, a file, and a saved model without --replace, before training', async () => {
  const d = tmp();
  fs.writeFileSync(path.join(d, 'thesis.md'), 'my notes');
  await assert.rejects(pretrain(['--out', d, '--steps', '1']), /option --out: .*is not empty and does not hold a model/);
  assert.equal(fs.readFileSync(path.join(d, 'thesis.md'), 'utf8'), 'my notes');
  await assert.rejects(pretrain(['--out', path.join(d, 'thesis.md'), '--steps', '1']), /is a file, not a folder/);
  const model = path.join(d, 'model');
  fs.mkdirSync(model);
  fs.writeFileSync(path.join(model, 'config.json'), JSON.stringify({ format: 'primed-model' }));
  await assert.rejects(pretrain(['--out', model, '--steps', '1']), /already holds a model; pass --replace/);
  // the bundled model is the default --out: rebuilding it needs --replace too
  await assert.rejects(pretrain(['--steps', '1']), /already holds a model; pass --replace/);
});

test('evaluate --fresh removes only a primed run, and only after the arguments are valid', async () => {
  const d = tmp();
  const notes = path.join(d, 'notes');
  fs.mkdirSync(notes);
  fs.writeFileSync(path.join(notes, 'thesis.md'), 'my notes');
  await assert.rejects(evaluate(['--out', notes, '--fresh', '--steps', '1']), /option --fresh: .*does not hold a primed run .*refusing to delete it/);
  assert.equal(fs.readFileSync(path.join(notes, 'thesis.md'), 'utf8'), 'my notes');
  const file = path.join(d, 'file.txt');
  fs.writeFileSync(file, 'x');
  await assert.rejects(evaluate(['--out', file, '--fresh']), /option --out: .*is a file, not a folder/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'x');

  // a primed run survives a --fresh whose other arguments are invalid
  const run = path.join(d, 'run');
  fs.mkdirSync(run);
  const result = JSON.stringify({ version: 1, tasks: ['a'], matrix: [] });
  fs.writeFileSync(path.join(run, 'result.json'), result);
  await assert.rejects(evaluate(['--out', run, '--fresh', '--method', 'nope']), /unknown method/);
  await assert.rejects(evaluate(['--out', run, '--fresh', '--seed', 'x']), /--seed must be an integer/);
  await assert.rejects(evaluate(['--out', run, '--fresh', '--memory', path.join(d, 'no-memory')]), /not a memory folder/);
  assert.equal(fs.readFileSync(path.join(run, 'result.json'), 'utf8'), result);
});

test('evaluate: a --benchmark that is a path is refused before anything is touched; --out under a file is a clear error', async () => {
  const d = tmp();
  const victim = path.join(d, 'victim');
  fs.mkdirSync(victim);
  fs.writeFileSync(path.join(victim, 'keep.txt'), 'keep');
  const cwd = process.cwd();
  fs.mkdirSync(path.join(d, 'work', 'runs'), { recursive: true });
  process.chdir(path.join(d, 'work'));
  try {
    await assert.rejects(evaluate(['--benchmark', '../../victim', '--fresh']), /option --benchmark: unknown benchmark/);
  } finally {
    process.chdir(cwd);
  }
  assert.equal(fs.readFileSync(path.join(victim, 'keep.txt'), 'utf8'), 'keep');
  fs.writeFileSync(path.join(d, 'f'), 'x');
  await assert.rejects(evaluate(['--out', path.join(d, 'f', 'run')]), /option --out: .*lies under a path that is a file/);
});

test('replaceDirAtomic: a swap killed between its renames is recovered on the next write; dead writers\' temp and old folders are removed', async () => {
  const d = tmp();
  const dir = path.join(d, 'ckpt');
  await replaceDirAtomic(dir, (t) => fs.writeFileSync(path.join(t, 'state.json'), '1'));
  // what `kill -9` between the two renames leaves: no folder, the old one aside, a temp folder
  const deadPid = 2 ** 22 + 4321;
  fs.renameSync(dir, `${dir}.old-${deadPid}-1000`);
  fs.mkdirSync(path.join(d, `.ckpt.tmp-${deadPid}-abc123`));
  fs.writeFileSync(path.join(d, `.ckpt.tmp-${deadPid}-abc123`, 'half'), 'x');
  const touched = recoverDirSwap(dir);
  assert.deepEqual(touched.sort(), [`.ckpt.tmp-${deadPid}-abc123`, `ckpt.old-${deadPid}-1000`].sort());
  assert.equal(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'), '1');
  assert.deepEqual(fs.readdirSync(d).sort(), ['ckpt']);
  // a live process's temp folder is left alone; replaceDirAtomic recovers by itself
  fs.mkdirSync(path.join(d, `.ckpt.tmp-${process.pid}-live`));
  fs.renameSync(dir, `${dir}.old-${deadPid}-2000`);
  await replaceDirAtomic(dir, (t) => fs.writeFileSync(path.join(t, 'state.json'), '2'));
  assert.equal(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'), '2');
  assert.deepEqual(fs.readdirSync(d).sort(), [`.ckpt.tmp-${process.pid}-live`, 'ckpt']);
});

test('runJobs: a tag that would leave the runs folder (<runDir>-<tag>) is refused before anything runs', async () => {
  const d = tmp();
  const job = { name: 'ft', options: { method: 'finetune', runDir: path.join(d, 'ft') } };
  await assert.rejects(runJobs([job], { tag: '../../elsewhere' }), /runJobs: job ft: option tag: "\.\.\/\.\.\/elsewhere" is not a plain name/);
  await assert.rejects(runJobs([{ ...job, tag: 'a/b' }]), /option tag: "a\/b" is not a plain name/);
  assert.deepEqual(fs.readdirSync(d), []);
});

test('a training checkpoint whose swap was cut between its two renames is found again (not silently restarted)', async () => {
  const d = tmp();
  const dir = path.join(d, 'task-1');
  const state = { format: 'primed-train-checkpoint', version: 1, taskIndex: 1, dataset: 'x', step: 3, totalSteps: 5, seed: 1, configKey: 'k' };
  await replaceDirAtomic(dir, (t) => fs.writeFileSync(path.join(t, 'state.json'), JSON.stringify(state)));
  fs.renameSync(dir, `${dir}.old-${2 ** 22 + 7}-1`);
  assert.deepEqual(readCheckpointState(dir), state);
  assert.deepEqual(fs.readdirSync(d), ['task-1']);
});
