/**
 * DIKI (src/methods/diki.ts) against an independent PyTorch restatement of DIKI's code
 * (scripts/make_diki_fixture.py → test/fixtures/methods/diki.json) on the tiny OpenAI-layout model:
 * the training step's loss and its gradient w.r.t. the task's prefixes (IKI), the per-task
 * Gaussians' log-likelihoods, routing and calibration weights (DIC), and the routed evaluation
 * embeddings. Then behaviour a user relies on: options are validated, the pretrained weights and
 * earlier tasks' prefixes never move, state survives save/load, and tensors are freed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import type { ClassificationDataset, ImagePreprocess, SplitName } from '../src/data/types';
import { createMethod, methodSpec, METHOD_SPECS, type ContinualMethod } from '../src/methods';
import { fitGaussian, gaussianLogProb, routeImages } from '../src/methods/diki';
import { loadCheckpoint } from '../src/model/checkpoint';
import type { ModelConfigInput } from '../src/model/config';
import type { DualEncoderLike } from '../src/model/types';
import type { TaskContext, TrainerPlugin } from '../src/train/plugin';
import { classificationLoss } from '../src/train/task-loss';
import { trainOnTask } from '../src/train/trainer';
import { fakeTokenizer } from './fixtures/model/test-helpers';
import { MemorySplit } from './fixtures/losses/fakes';

const MODEL = path.join(__dirname, 'fixtures', 'model');
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'methods', 'diki.json'), 'utf8')) as {
  prefixLength: number; labelSmoothing: number; ids: number[][];
  train: { task: number; first: number; count: number; labels: number[] }[];
  prefixes: number[][][];
  step: { loss: number; grads: number[][] };
  test: {
    images: { task: number; first: number; count: number }[];
    logProbs: number[][]; weights: number[];
    perImage: { tasks: number[]; embeddings: number[][] };
    batchwise: { tasks: number[]; embeddings: number[][] };
  };
};

/** NHWC images by the fixture script's formula (`synthetic_images`), none stored. */
function syntheticImages(task: number, first: number, count: number): Float32Array[] {
  const [scale, offset] = task === 0 ? [1, 0] : [0.8, 0.6];
  return Array.from({ length: count }, (_, k) => {
    const n = first + k;
    const out = new Float32Array(32 * 32 * 3);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) {
      out[(y * 32 + x) * 3 + c] = scale * Math.sin(0.9 * n + 2.1 * c + 0.31 * y + 0.17 * x + (0.05 * x * y) / (n + 1)) + offset;
    }
    return out;
  });
}

function dataset(name: string, images: Float32Array[], labels: number[]): ClassificationDataset {
  const split = new MemorySplit(images, labels, [32, 32, 3]);
  return { name, domain: 'test', classNames: ['alpha', 'beta', 'gamma'], templates: ['a photo of {}'], split: (_s: SplitName) => split };
}

const tasks = fx.train.map((t, i) => dataset(`task${i}`, syntheticImages(t.task, t.first, t.count), t.labels));
const preprocess: ImagePreprocess = { size: 32, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] };
const batchOf = (images: Float32Array[]) => tf.tensor4d(Float32Array.from(images.flatMap((a) => [...a])), [images.length, 32, 32, 3]);

async function tinyModel(): Promise<DualEncoderLike> {
  await initBackend();
  const meta = JSON.parse(fs.readFileSync(path.join(MODEL, 'openai-tiny.json'), 'utf8')) as { config: ModelConfigInput };
  const tokenizer = fakeTokenizer(meta.config.text.vocabSize!, meta.config.text.contextLength, 'openai');
  return loadCheckpoint(path.join(MODEL, 'openai-tiny.safetensors'), { preset: meta.config, tokenizer });
}

/** The fixture's prefixes into the model's DIKI variables. */
function setPrefixes(model: DualEncoderLike): void {
  const named = model.namedVariables();
  fx.prefixes.forEach((pool, t) => pool.forEach((flat, l) => {
    const v = named.get(`diki.task${t}.layer${l}.prefix`)!;
    v.assign(tf.tensor(flat, v.shape));
  }));
}

/** A task context for the method's hooks (the trainer's, reduced to what DIKI reads). */
const taskContext = (model: DualEncoderLike, t: number) => ({ model, task: { taskIndex: t, dataset: tasks[t] }, preprocess }) as unknown as TaskContext;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('diki: a spec in the registry (label, paper row, no reference set) whose options are validated, naming the bad one', () => {
  const spec = methodSpec('diki');
  assert.ok(METHOD_SPECS.includes(spec));
  assert.equal(spec.label, 'DIKI');
  assert.equal(spec.paperRow, 'DIKI');
  assert.equal(spec.referenceSet, 'none');
  assert.deepEqual(createMethod('diki').options, { depth: 8, prefixLength: 8, maxTasks: 16, batchwisePrompt: true, calibrationDivisor: 512, covarianceJitter: 1e-7, statsBatchSize: 64 });
  assert.throws(() => createMethod('diki', { depth: 0 }), /method diki: option depth must be a positive integer, got 0/);
  assert.throws(() => createMethod('diki', { prefixLength: 2.5 }), /method diki: option prefixLength must be a positive integer/);
  assert.throws(() => createMethod('diki', { batchwisePrompt: 'yes' }), /method diki: option batchwisePrompt must be true or false/);
  assert.throws(() => createMethod('diki', { covarianceJitter: -1 }), /method diki: option covarianceJitter must be a number in \[0, Infinity\]/);
  assert.throws(() => createMethod('diki', { promptDepth: 8 }), /method diki: unknown option promptDepth; known: depth, prefixLength/);
});

test('diki oracle: the training loss and its gradient w.r.t. the task\'s prefixes (IKI) match PyTorch', async () => {
  const model = await tinyModel();
  const method = createMethod('diki', { prefixLength: fx.prefixLength, maxTasks: 2 });
  try {
    method.attach!(model, { taskIndex: 0, dataset: tasks[0] });
    setPrefixes(model);
    const trainable = model.trainableVariables();
    assert.equal(trainable.length, 2, 'only task 0\'s prefixes train (depth 8 capped at the tower\'s 2 layers)');
    const start = tf.memory().numTensors;
    const images = batchOf(syntheticImages(0, 0, 8));
    const ids = tf.tensor2d(fx.ids, undefined, 'int32');
    const { value, grads } = tf.variableGrads(() => classificationLoss(model, images, ids, Int32Array.from(fx.train[0].labels.slice(0, 8)), fx.labelSmoothing), trainable);
    assert.ok(Math.abs(value.dataSync()[0] - fx.step.loss) < 1e-5, `loss ${value.dataSync()[0]} vs ${fx.step.loss}`);
    trainable.forEach((v, l) => {
      const want = fx.step.grads[l];
      const scale = Math.max(...want.map(Math.abs));
      assert.ok(scale > 1e-4, 'the oracle gradient is not trivially zero');
      const d = maxAbsDiff(grads[v.name].dataSync(), want);
      assert.ok(d < 1e-5 * Math.max(1, scale), `layer ${l}: gradient differs by ${d} (scale ${scale})`);
    });
    tf.dispose([images, ids, value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, start, 'a training step through the extension leaks no tensors');
    assert.throws(() => method.attach!(model, { taskIndex: 2, dataset: tasks[0] }), /method diki: task 2 is beyond option maxTasks \(2\); raise it/);
    const other = model.clone();
    assert.throws(() => method.attach!(other), /method diki: already attached to another model/);
    other.dispose();
  } finally {
    method.dispose!();
    model.dispose();
  }
});

test('diki oracle: task Gaussians, log-likelihoods, routing, weights and routed embeddings (DIC) match PyTorch', async () => {
  const model = await tinyModel();
  const testImages = fx.test.images.flatMap((s) => syntheticImages(s.task, s.first, s.count));
  // The Gaussians alone: log-likelihoods of the frozen embeddings (float64 on both sides).
  const frozen = tf.tidy(() => model.encodeImage(batchOf(testImages)));
  const frozenRows = frozen.dataSync() as Float32Array;
  frozen.dispose();
  const gaussians = tasks.map((t) => {
    const e = tf.tidy(() => model.encodeImage(batchOf(syntheticImages(fx.train[tasks.indexOf(t)].task, 0, 40))));
    const g = fitGaussian(Float64Array.from(e.dataSync()), 40, model.embedDim, 1e-7);
    e.dispose();
    return g;
  });
  fx.test.logProbs.forEach((row, i) => row.forEach((want, t) => {
    const got = gaussianLogProb(gaussians[t], frozenRows.subarray(i * model.embedDim, (i + 1) * model.embedDim));
    assert.ok(Math.abs(got - want) < 1e-3 * Math.max(1, Math.abs(want)), `image ${i} task ${t}: log-likelihood ${got} vs ${want}`);
  }));
  const r = routeImages(gaussians, frozenRows, testImages.length, { batchwisePrompt: false, calibrationDivisor: 512 });
  assert.deepEqual([...r.tasks], fx.test.perImage.tasks);
  assert.ok(maxAbsDiff(r.weights, fx.test.weights) < 1e-5, 'calibration weights');

  // Through the method: Gaussians fitted in beforeTask, the routed forward at evaluation.
  for (const mode of ['perImage', 'batchwise'] as const) {
    const method = createMethod('diki', { prefixLength: fx.prefixLength, maxTasks: 2, batchwisePrompt: mode === 'batchwise' });
    try {
      for (let t = 0; t < tasks.length; t++) {
        method.attach!(model, { taskIndex: t, dataset: tasks[t] });
        await method.beforeTask!(taskContext(model, t));
        await method.afterTask!(taskContext(model, t));
      }
      setPrefixes(model);
      const start = tf.memory().numTensors;
      const emb = tf.tidy(() => model.encodeImage(batchOf(testImages)));
      const d = maxAbsDiff(emb.dataSync(), fx.test[mode].embeddings.flat());
      emb.dispose();
      assert.ok(d < 1e-5, `${mode}: routed embeddings differ by ${d}`);
      assert.equal(tf.memory().numTensors, start, 'a routed evaluation leaks no tensors');
    } finally {
      method.dispose!();
    }
  }
  model.dispose();
});

test('diki: trains only the current task\'s prefixes (pretrained weights and earlier prefixes never move), resumes from its state, keeps its per-step tensor count, frees its tensors', async () => {
  const model = await tinyModel();
  const start = tf.memory().numTensors;
  const before = new Map([...model.namedVariables()].map(([k, v]) => [k, v.dataSync().slice()]));
  const trainer = { steps: 3, batchSize: 8, lr: 1e-2, warmup: 0, labelSmoothing: 0.2 };
  const counts: number[] = [];
  const probe: TrainerPlugin = { name: 'probe', afterStep: (c) => { if (c.task.taskIndex === 1) counts.push(tf.memory().numTensors); } };
  const method: ContinualMethod = createMethod('diki', { prefixLength: 2, maxTasks: 2, depth: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-diki-'));
  try {
    await trainOnTask(model, { taskIndex: 0, dataset: tasks[0] }, { ...trainer, plugins: [method] });
    const prefix = (t: number) => model.namedVariables().get(`diki.task${t}.layer0.prefix`)!.dataSync().slice();
    const task0 = prefix(0);
    await trainOnTask(model, { taskIndex: 1, dataset: tasks[1] }, { ...trainer, plugins: [method, probe] });
    assert.equal(new Set(counts.slice(1)).size, 1, `tensors per step: ${counts}`);
    for (const [k, v] of before) assert.deepEqual(model.namedVariables().get(k)!.dataSync(), v, `${k} moved`);
    assert.deepEqual(prefix(0), task0, 'task 0\'s prefix is untouched by task 1');
    assert.ok(maxAbsDiff(prefix(1), new Float32Array(prefix(1).length)) > 0, 'task 1\'s prefix was trained');
    const images = batchOf(syntheticImages(1, 200, 4));
    const routed = tf.tidy(() => model.encodeImage(images));
    await method.saveState!(dir);
    const weights = new Map([...model.namedVariables()].map(([k, v]) => [k, tf.keep(v.clone())]));

    // A fresh method on a fresh model, as a resumed run: attach, weights back, state back.
    const model2 = await tinyModel();
    const resumed = createMethod('diki', { prefixLength: 2, maxTasks: 2, depth: 1 });
    resumed.attach!(model2);
    for (const [k, t] of weights) model2.namedVariables().get(k)!.assign(t);
    await resumed.loadState!(dir);
    const again = tf.tidy(() => model2.encodeImage(images));
    assert.ok(maxAbsDiff(again.dataSync(), routed.dataSync()) < 1e-6, 'the resumed method routes as the original');
    tf.dispose([images, routed, again, ...weights.values()]);
    resumed.dispose!();
    model2.dispose();
  } finally {
    method.dispose!();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(tf.memory().numTensors, start, 'training, routing and disposing leave the tensor count where it was');
  model.dispose();
});
