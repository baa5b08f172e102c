import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { trainOnTask, TrainingDivergedError } from '../src/train/trainer';
import type { TrainerPlugin } from '../src/train/plugin';
import { readCheckpointState } from '../src/train/checkpoint';
import { readWeightsFile, disposeWeights } from '../src/train/weights';
import { LinearDualEncoder, makeDataset, SMALL } from './fixtures/losses/fakes';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'primed-train-'));
const task = { taskIndex: 0, dataset: makeDataset('toy', ['cat', 'dog', 'bird'], 10, 7) };
const base = { steps: 12, batchSize: 3, lr: 0.05, warmup: 2, seed: 5 };

test('training lowers the task loss and keeps tf.memory().numTensors stable across steps', async () => {
  await initBackend();
  const model = new LinearDualEncoder(SMALL, 1);
  const counts: number[] = [];
  const probe: TrainerPlugin = { name: 'probe', afterStep: () => { counts.push(tf.memory().numTensors); } };
  const before = tf.memory().numTensors;
  const r = await trainOnTask(model, task, { ...base, steps: 30, plugins: [probe] });
  // Step 0 creates the AdamW moments; after that every step must leave the count unchanged.
  assert.deepEqual(new Set(counts.slice(1)).size, 1, `numTensors per step: ${counts}`);
  assert.equal(tf.memory().numTensors, before, 'nothing leaks after the task');
  const first = r.history.slice(0, 4).reduce((a, h) => a + h.ce, 0);
  const last = r.history.slice(-4).reduce((a, h) => a + h.ce, 0);
  assert.ok(last < first * 0.8, `ce went from ${first / 4} to ${last / 4}`);
  model.dispose();
});

test('a run killed mid-task resumes from its checkpoint and ends with identical weights', async () => {
  await initBackend();
  const reference = new LinearDualEncoder(SMALL, 3);
  await trainOnTask(reference, task, { ...base, checkpointDir: path.join(tmp(), 'ck') });

  const dir = path.join(tmp(), 'ck');
  const killed = new LinearDualEncoder(SMALL, 3);
  const killer: TrainerPlugin = { name: 'killer', afterStep: (c) => { if (c.step === 6) throw new Error('killed'); } };
  // Plugin names are part of the configuration key, so the resumed run uses a harmless namesake.
  await assert.rejects(trainOnTask(killed, task, { ...base, checkpointDir: dir, checkpointEvery: 4, plugins: [killer] }), /killed/);
  assert.equal(readCheckpointState(dir)!.step, 4);
  killed.dispose();

  const resumed = new LinearDualEncoder(SMALL, 3); // a fresh process: start weights come from the checkpoint
  const noop: TrainerPlugin = { name: 'killer' };
  const r = await trainOnTask(resumed, task, { ...base, checkpointDir: dir, checkpointEvery: 4, plugins: [noop] });
  assert.equal(r.resumedFromStep, 4);
  assert.equal(r.history.length, 8);
  assert.deepEqual(resumed.weights(), reference.weights());
  reference.dispose(); resumed.dispose();
});

test('NaN guard: the error names the step and the term; the last good checkpoint is kept', async () => {
  await initBackend();
  const atStep4: Record<string, number[]>[] = [];
  const clean = new LinearDualEncoder(SMALL, 9);
  const spy: TrainerPlugin = { name: 'bad', afterStep: (c) => { if (c.step === 3) atStep4.push((clean as LinearDualEncoder).weights()); } };
  await trainOnTask(clean, task, { ...base, steps: 8, plugins: [spy] });

  const dir = path.join(tmp(), 'ck');
  const model = new LinearDualEncoder(SMALL, 9);
  const bad: TrainerPlugin = {
    name: 'bad',
    lossTerms: (c) => [{ name: 'boom', compute: () => (c.step === 5 ? tf.scalar(NaN) : tf.scalar(0)) }],
  };
  const before = tf.memory().numTensors;
  await assert.rejects(
    trainOnTask(model, task, { ...base, steps: 8, checkpointDir: dir, checkpointEvery: 2, plugins: [bad] }),
    (err: unknown) => {
      assert.ok(err instanceof TrainingDivergedError);
      assert.match(err.message, /step 5 of task 0 \(toy\): loss term "boom" is NaN; the last good checkpoint \(step 4\) is kept/);
      return true;
    },
  );
  assert.equal(tf.memory().numTensors, before, 'the failed step leaks nothing');
  assert.equal(readCheckpointState(dir)!.step, 4);
  const saved = readWeightsFile(path.join(dir, 'weights.safetensors'));
  for (const [name, t] of saved) assert.deepEqual(Array.from(t.dataSync()), atStep4[0][name], `checkpoint ${name} = weights after step 4`);
  disposeWeights(saved);
  clean.dispose(); model.dispose();
});

test('options are validated by name, and a checkpoint of another task is refused', async () => {
  await initBackend();
  const model = new LinearDualEncoder(SMALL, 2);
  await assert.rejects(trainOnTask(model, task, { steps: 0 }), /option steps must be a positive integer/);
  await assert.rejects(trainOnTask(model, task, { labelSmoothing: 1 }), /option labelSmoothing/);
  await assert.rejects(trainOnTask(model, task, { stepz: 3 } as never), /unknown trainer option stepz/);
  const dir = path.join(tmp(), 'ck');
  await trainOnTask(model, task, { ...base, steps: 2, checkpointDir: dir });
  const other = { taskIndex: 1, dataset: makeDataset('other', ['a', 'b'], 6, 1) };
  await assert.rejects(trainOnTask(model, other, { ...base, steps: 2, checkpointDir: dir }), /checkpoint is for task 0, not task 1 \(other\)/);
  model.dispose();
});
