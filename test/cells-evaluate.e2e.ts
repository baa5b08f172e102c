/**
 * End to end on the real bundled data and model: evaluateMGTIL with plain fine-tuning (a tiny
 * step budget keeps it fast), its files, its metrics against the ZSCL formulas computed here by
 * hand, and a run interrupted after task 2 that resumes to the same matrix as an uninterrupted one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { evaluateMGTIL } from '../src/experiment';
import { initBackend } from '../src/backend';

const STEPS = 2;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-cells-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('evaluateMGTIL (finetune, mini-mgtil order I): a full matrix, files, metrics by the ZSCL formulas', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const runDir = path.join(tmp, 'full');
  const r = await evaluateMGTIL({ method: 'finetune', order: 'I', runDir, recipe: { trainer: { steps: STEPS, batchSize: 16 } } });
  assert.deepEqual(r.tasks, ['pneumoniamnist', 'breastmnist', 'retinamnist', 'pathmnist', 'bloodmnist']);
  assert.equal(r.matrix.length, 5);
  assert.ok(r.matrix.every((row) => row.length === 5 && row.every((x) => x >= 0 && x <= 100)));
  assert.equal(r.zeroShot?.length, 5);
  assert.equal(r.complete, true);
  // Transfer / Avg / Last exactly as ZSCL's results.ipynb computes them.
  const A = r.matrix;
  const transfer = mean([1, 2, 3, 4].map((i) => mean(A.slice(0, i).map((row) => row[i]))));
  const avg = mean([0, 1, 2, 3, 4].map((d) => mean(A.map((row) => row[d]))));
  const last = mean(A[4]);
  const bwt = mean([0, 1, 2, 3].map((j) => A[4][j] - A[j][j]));
  assert.ok(Math.abs(r.metrics!.transfer! - transfer) < 1e-9);
  assert.ok(Math.abs(r.metrics!.avg! - avg) < 1e-9);
  assert.ok(Math.abs(r.metrics!.last! - last) < 1e-9);
  assert.ok(Math.abs(r.metrics!.bwt! - bwt) < 1e-9);
  for (const f of ['result.json', 'matrix.csv', 'zero-shot.csv']) assert.ok(fs.existsSync(path.join(runDir, f)), f);
  const saved = JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8'));
  assert.deepEqual(saved.matrix, r.matrix);
  assert.equal(saved.backend.name, r.backend!.name);
  assert.equal(saved.config.method, 'finetune');
  assert.equal(saved.config.recipe.trainer.steps, STEPS);
  assert.equal(tf.memory().numTensors, before, 'evaluateMGTIL leaves no tensors behind');
});

test('a run interrupted after task 2 resumes to the same matrix as an uninterrupted run', async () => {
  await initBackend();
  const recipe = { trainer: { steps: STEPS, batchSize: 16 } };
  const whole = await evaluateMGTIL({ method: 'l2', order: 'II', runDir: path.join(tmp, 'whole'), recipe });
  const runDir = path.join(tmp, 'interrupted');
  const stop = new AbortController();
  await assert.rejects(
    evaluateMGTIL({ method: 'l2', order: 'II', runDir, recipe, signal: stop.signal, onRow: (row) => (row === 1 ? stop.abort() : undefined) }),
    /aborted after 2 of 5 rows/,
  );
  const partial = JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8'));
  assert.equal(partial.rowsDone, 2, 'two rows recorded before the stop');
  const resumed = await evaluateMGTIL({ method: 'l2', order: 'II', runDir, recipe });
  assert.deepEqual(resumed.resumedAtRow, [2]);
  assert.deepEqual(resumed.matrix, whole.matrix, 'row for row');
  assert.deepEqual(resumed.zeroShot, whole.zeroShot);
});
