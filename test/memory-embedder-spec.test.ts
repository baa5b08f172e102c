/**
 * `primed memory build` without --embedder embeds with the bundled mini model and records its
 * path in the manifest, so `add` and `query` need no --embedder; a memory whose recorded model
 * changed is refused by id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { command } from '../src/cli/memory';
import { bundledDataDir } from '../src/data/bundled';
import { runCaptured } from './helpers/cli';

const run = (args: string[]) => runCaptured(command, args, { quiet: true });

test('memory build defaults to the mini model and records its path; add and query need no --embedder', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-memspec-'));
  fs.writeFileSync(path.join(d, 'a.jsonl'), ['chest x-ray with pneumonia', 'fundus photo of diabetic retinopathy', 'blood smear with eosinophils'].map((caption, i) => JSON.stringify({ id: `a${i}`, caption })).join('\n'));
  fs.writeFileSync(path.join(d, 'b.jsonl'), JSON.stringify({ id: 'b0', caption: 'ultrasound of a breast tumour' }) + '\n');
  const mem = path.join(d, 'mem');
  const built = await run(['build', mem, '--from', path.join(d, 'a.jsonl')]);
  assert.equal(built.code, 0);
  const modelDir = path.join(bundledDataDir(), 'models', 'mini');
  assert.match(built.out, new RegExp(`embedder model:mini@[0-9a-f]+ from model:${modelDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const manifest = JSON.parse(fs.readFileSync(path.join(mem, 'manifest.json'), 'utf8'));
  assert.equal(manifest.embedder.spec, `model:${modelDir}`);
  assert.match((await run(['add', mem, '--from', path.join(d, 'b.jsonl')])).out, /4 in all, version 2/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(mem, 'manifest.json'), 'utf8')).embedder.spec, `model:${modelDir}`, 'kept by add');
  const rows = JSON.parse((await run(['query', mem, 'chest x-ray with pneumonia', '--k', '1', '--json'])).out);
  assert.equal(rows[0].id, 'a0', 'the caption itself ranks first');
  // The recorded weights changed (here: the path now names another model's id): refused by id.
  manifest.embedder.id = 'model:mini@000000000000';
  manifest.version = 2;
  const m2 = JSON.parse(fs.readFileSync(path.join(mem, 'manifest.json'), 'utf8'));
  fs.writeFileSync(path.join(mem, 'manifest.json'), JSON.stringify({ ...m2, embedder: manifest.embedder }));
  await assert.rejects(run(['query', mem, 'x', '--k', '1']), /embedded with model:mini@000000000000[\s\S]*refusing embedder model:mini@/);
});
