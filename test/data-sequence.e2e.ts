/**
 * Runs on a user's task sequence (tiny generated PNG folders and a CSV manifest): evaluateMGTIL
 * and `primed evaluate --tasks` name the sequence, an evaluation-only task adds a row without
 * training, and the data fingerprints in result.json refuse a read-back after an image changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateMGTIL } from '../src/experiment';
import { command as evaluateCommand } from '../src/cli/evaluate';
import { runCaptured } from './helpers/cli';
import { makeWorld, png } from './helpers/sequence';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-seq-e2e-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');

test('evaluateMGTIL on the sequence: named after it, evaluation-only row, data fingerprints refuse changed data', async () => {
  const root = makeWorld(tmp, 'run');
  const runDir = path.join(tmp, 'run-out');
  const recipe = { trainer: { steps: 2, batchSize: 8 } };
  let reported = false;
  const r = await evaluateMGTIL({ tasks: path.join(root, 'seq.json'), method: 'finetune', runDir, recipe, onDataReport: () => (reported = true) });
  assert.ok(reported);
  assert.equal(r.benchmark.name, 'my-seq');
  assert.deepEqual(r.tasks, ['chest', 'blood', 'external-test']);
  assert.equal(r.matrix.length, 3);
  assert.deepEqual(r.matrix[2], r.matrix[1], 'nothing is trained at the evaluation-only row');
  assert.deepEqual(r.trainInfo[2], { evaluationOnly: true, reference: null });
  assert.ok(r.warnings.some((w) => /external-test: test set has only 6 images/.test(w)));
  const saved = JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8'));
  assert.equal(saved.config.benchmark, 'my-seq');
  assert.deepEqual(Object.keys(saved.config.data), ['chest', 'blood', 'external-test']);
  assert.ok(fs.existsSync(path.join(runDir, 'data-check.json')));
  // Read back unchanged: fine. After one image of 'blood' changes: refused, naming the task.
  const again = await evaluateMGTIL({ tasks: path.join(root, 'seq.json'), method: 'finetune', runDir, recipe, zeroShotCache: false });
  assert.deepEqual(again.matrix, r.matrix);
  png(path.join(root, 'blood', 'img', 'b5.png'), 36, 48, [1, 2, 3], 99);
  fs.utimesSync(path.join(root, 'blood', 'img', 'b5.png'), new Date(), new Date(Date.now() + 10_000));
  await assert.rejects(
    evaluateMGTIL({ tasks: path.join(root, 'seq.json'), method: 'finetune', runDir, recipe, zeroShotCache: false }),
    /the data of task 'blood' changed since this run was recorded/,
  );
  // In a new run folder: the zero-shot row of the changed task is evaluated again, the others come from the cache.
  const fresh = await evaluateMGTIL({ tasks: path.join(root, 'seq.json'), method: 'finetune', runDir: path.join(tmp, 'run-out-2'), recipe });
  assert.deepEqual(fresh.zeroShotCache?.cacheHit, [true, false, true]);
});

test('primed evaluate --tasks names the sequence; a bad sequence file writes nothing', async () => {
  const root = makeWorld(tmp, 'cli');
  const out = path.join(tmp, 'cli-out');
  const r = await runCaptured(evaluateCommand, ['--tasks', path.join(root, 'seq.json'), '--method', 'finetune', '--steps', '2', '--out', out], { quiet: true });
  assert.equal(r.code, 0);
  assert.match(r.out, /finetune on my-seq order I/);
  const bad = path.join(root, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ name: 'x', tasks: [{ folder: 'chest', domain: 'd', stpes: 1 }] }));
  await assert.rejects(runCaptured(evaluateCommand, ['--tasks', bad, '--out', path.join(tmp, 'never')], { quiet: true }), /option --tasks: .*bad\.json: tasks\[0\]\.stpes: unknown field/);
  assert.equal(fs.existsSync(path.join(tmp, 'never')), false);
  // A corrupt image stops the run before anything is trained or written, naming the file.
  fs.writeFileSync(path.join(root, 'chest', 'normal', 'img4.png'), 'not a png');
  await assert.rejects(
    evaluateMGTIL({ tasks: path.join(root, 'seq.json'), method: 'finetune', runDir: path.join(tmp, 'never2'), recipe: { trainer: { steps: 2 } } }),
    /data check of my-seq: 3 task\(s\), NOT ready[\s\S]*chest[\s\S]*error: corrupt or unreadable image: .*normal\/img4\.png: not a JPEG or PNG/,
  );
  assert.equal(fs.existsSync(path.join(tmp, 'never2')), false);
});

