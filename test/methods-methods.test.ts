import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { createMethod, METHOD_SPECS } from '../src/methods';
import { herding } from '../src/methods/icarl';
import { trainOnTask } from '../src/train/trainer';
import type { TrainerPlugin } from '../src/train/plugin';
import { classify } from '../src/eval/classify';
import { createModel } from '../src/model/create';
import { Rng } from '../src/util/rng';
import { LinearDualEncoder, makeDataset, SMALL } from './fixtures/losses/fakes';
import { fakeTokenizer } from './fixtures/model/test-helpers';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'primed-methods-'));
const tasks = [
  { taskIndex: 0, dataset: makeDataset('first', ['cat', 'dog', 'bird'], 9, 7) },
  { taskIndex: 1, dataset: makeDataset('second', ['red', 'blue'], 8, 8) },
];
const base = { steps: 8, batchSize: 3, lr: 0.05, warmup: 2, seed: 5 };
function refSet(n: number, side = 2, channels = 1, seed = 1) {
  const rng = new Rng(seed);
  return {
    captions: Array.from({ length: n }, (_, i) => `caption ${i} shows finding ${i % 3}`),
    images: Float32Array.from({ length: n * side * side * channels }, () => rng.normal()),
    shape: [n, side, side, channels] as [number, number, number, number],
  };
}
const mean = (rows: number[][]) => rows[0].map((_, i) => rows.reduce((a, r) => a + r[i], 0) / rows.length);

test('ZSCL weight ensemble: the task ends with the average of θ_start and θ after steps 0, 3, 6 (avgFreq 3)', async () => {
  await initBackend();
  const model = new LinearDualEncoder(SMALL, 1);
  const seen: Record<string, number[]>[] = [model.weights()];
  const method = createMethod('zscl', { referenceSet: refSet(10), referenceBatchSize: 4, avgFreq: 3 });
  const probe: TrainerPlugin = { name: 'probe', afterStep: (c) => { if (c.step % 3 === 0) seen.push(model.weights()); } };
  await trainOnTask(model, tasks[0], { ...base, plugins: [method, probe] });
  assert.equal(seen.length, 4);
  const final = model.weights();
  for (const name of ['image.w', 'text.embed', 'text.w']) {
    const expected = mean(seen.map((w) => w[name]));
    final[name].forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${name}[${i}] ${v} vs average ${expected[i]}`));
  }
  method.dispose!(); model.dispose();
});

test('WiSE-FT: after a task the weights are (1 − α)·initial + α·fine-tuned', async () => {
  await initBackend();
  const model = new LinearDualEncoder(SMALL, 2);
  const initial = model.weights();
  let tuned: Record<string, number[]> = {};
  const probe: TrainerPlugin = { name: 'probe', afterStep: (c) => { if (c.step === base.steps - 1) tuned = model.weights(); } };
  const method = createMethod('wise-ft', { alpha: 0.25 });
  await trainOnTask(model, tasks[0], { ...base, plugins: [probe, method] });
  const final = model.weights();
  for (const name of ['image.w', 'text.w']) {
    final[name].forEach((v, i) => {
      const e = 0.75 * initial[name][i] + 0.25 * tuned[name][i];
      assert.ok(Math.abs(v - e) < 1e-6, `${name}[${i}] ${v} vs ${e}`);
    });
  }
  method.dispose!(); model.dispose();
});

test('every method trains two tasks, leaks no tensors, and its per-step tensor count is stable', async () => {
  await initBackend();
  // The linear fake has no attention to extend: methods that need one are tested on a real tiny model in their own tests.
  for (const { name } of METHOD_SPECS.filter((s) => !s.needsModelExtension)) {
    const model = new LinearDualEncoder(SMALL, 3);
    const opts: Record<string, unknown> = name.startsWith('primed') || name === 'zscl' ? { referenceSet: refSet(12), referenceBatchSize: 5 } : {};
    if (name === 'icarl') Object.assign(opts, { bufferSize: 6, replayBatchSize: 4 });
    const method = createMethod(name, opts);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const probe: TrainerPlugin = { name: 'probe', afterStep: (c) => { if (c.task.taskIndex === 1) counts.push(tf.memory().numTensors); } };
    let losses: Record<string, number> = {};
    for (const t of tasks) {
      const r = await trainOnTask(model, t, { ...base, plugins: [method, probe] });
      losses = r.history[r.history.length - 1];
    }
    assert.equal(new Set(counts.slice(1)).size, 1, `${name}: numTensors per step ${counts}`);
    const expectedTerm: Record<string, string> = { l2: 'l2', ewc: 'ewc', lwf: 'lwf', icarl: 'replay', zscl: 'zscl-image', primed: 'dfg', 'primed-uni': 'ckt', 'primed-dyn': 'cmc' };
    if (expectedTerm[name]) assert.ok(Number.isFinite(losses[expectedTerm[name]]), `${name}: term ${expectedTerm[name]} in ${JSON.stringify(losses)}`);
    method.dispose?.();
    // The method's cross-task state (initial weights, Fisher, buffer) is all that may remain.
    const held = tf.memory().numTensors - before;
    assert.ok(held <= 8, `${name}: ${held} tensors held after dispose`);
    model.dispose();
  }
});

test('resume inside a task with stateful methods (PRIMED with DFG; ZSCL ensemble) gives identical weights', async () => {
  await initBackend();
  for (const name of ['primed-dyn', 'zscl']) {
    const opts = { referenceSet: refSet(12), referenceBatchSize: 5, ...(name === 'zscl' ? { avgFreq: 2 } : {}) };
    const reference = new LinearDualEncoder(SMALL, 4);
    const m1 = createMethod(name, opts);
    await trainOnTask(reference, tasks[0], { ...base, plugins: [m1] });
    const dir = path.join(tmp(), 'ck');
    const killed = new LinearDualEncoder(SMALL, 4);
    const m2 = createMethod(name, opts);
    const kill: TrainerPlugin = { name: 'kill', afterStep: (c) => { if (c.step === 5) throw new Error('killed'); } };
    await assert.rejects(trainOnTask(killed, tasks[0], { ...base, checkpointDir: dir, checkpointEvery: 3, plugins: [m2, kill] }), /killed/);
    m2.dispose!(); killed.dispose();
    const resumed = new LinearDualEncoder(SMALL, 4);
    const m3 = createMethod(name, opts);
    const r = await trainOnTask(resumed, tasks[0], { ...base, checkpointDir: dir, checkpointEvery: 3, plugins: [m3, { name: 'kill' }] });
    assert.equal(r.resumedFromStep, 3);
    assert.deepEqual(resumed.weights(), reference.weights(), name);
    m1.dispose!(); m3.dispose!(); reference.dispose(); resumed.dispose();
  }
});

test('createMethod validates names and options, naming the bad one', () => {
  assert.throws(() => createMethod('nope'), /unknown method "nope"; expected one of finetune, l2/);
  assert.throws(() => createMethod('primed'), /method primed: option referenceSet is required/);
  assert.throws(() => createMethod('primed-dyn', { referenceSet: refSet(3), beta: -1 }), /method primed-dyn: option beta must be a number in \[0, Infinity\], got -1/);
  assert.throws(() => createMethod('primed', { referenceSet: refSet(3), teacher: 'wise:2' }), /option teacher must be last, initial or wise/);
  assert.throws(() => createMethod('primed', { referenceSet: refSet(3), regularizer: 'sgd' }), /option regularizer must be one of dfg, l2, ewc, none/);
  assert.throws(() => createMethod('l2', { lamda: 1 }), /method l2: unknown option lamda/);
  assert.throws(() => createMethod('zscl', { referenceSet: { ...refSet(3), captions: ['x'] } }), /option referenceSet has 1 captions for 3 images/);
  const m = createMethod('primed-uni', { referenceSet: refSet(3), teacher: 'wise:0.5', regularizer: 'ewc', direction: 'image' });
  assert.equal(m.name, 'primed-uni');
  assert.deepEqual({ ...(m.options as Record<string, unknown>), referenceSet: undefined }, {
    referenceSet: undefined, referenceBatchSize: 64, teacher: 'wise:0.5', ckt: true, cmc: true, alpha: 1, beta: 0.25,
    regularizer: 'ewc', lambda: 1, temperature: 1, direction: 'image', fisherBatches: 8, retrieval: undefined,
  });
});

test('herding picks the exemplars whose running mean tracks the class mean (hand-worked)', () => {
  // Points on a line: mean 1.5. k=1: the point nearest 1.5 is 1 or 2 (first wins: 1 at index 1);
  // k=2: (1 + x)/2 closest to 1.5 → x = 2.
  const emb = [[0], [1], [2], [3]].map((r) => Float32Array.from(r));
  assert.deepEqual(herding(emb, 2), [1, 2]);
  assert.deepEqual(herding(emb, 4).sort(), [0, 1, 2, 3]);
});

test('mini model: a PRIMED step keeps numTensors stable and classify reports accuracy over the task classes', async () => {
  await initBackend();
  const model = createModel('mini', { seed: 1, tokenizer: fakeTokenizer(500, 32) });
  const dataset = makeDataset('mini-toy', ['normal', 'pneumonia'], 8, 3, 28, 3);
  const method = createMethod('primed-dyn', { referenceSet: refSet(8, 28, 3), referenceBatchSize: 4 });
  const counts: number[] = [];
  const probe: TrainerPlugin = { name: 'probe', afterStep: () => { counts.push(tf.memory().numTensors); } };
  const before = tf.memory().numTensors;
  const r = await trainOnTask(model, { taskIndex: 0, dataset }, { steps: 3, batchSize: 4, lr: 1e-4, warmup: 1, plugins: [method, probe] });
  assert.equal(new Set(counts.slice(1)).size, 1, `numTensors per step ${counts}`);
  assert.ok(r.history.every((h) => Number.isFinite(h.total)));
  const result = await classify(model, dataset, { batchSize: 3 });
  assert.equal(result.labels.length, dataset.split('test').size);
  assert.equal(result.scores.length, result.labels.length * 2);
  const correct = result.predictions.filter((p, i) => p === result.labels[i]).length;
  assert.equal(result.accuracy, (100 * correct) / result.labels.length);
  result.predictions.forEach((p, i) => assert.equal(p, result.scores[2 * i + 1] > result.scores[2 * i] ? 1 : 0));
  method.dispose!();
  assert.ok(tf.memory().numTensors - before <= model.namedVariables().size + 1, 'training and evaluation release their tensors');
  model.dispose();
});
