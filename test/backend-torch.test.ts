/**
 * The `torch` backend (libtorch addon): every kernel against tfjs's own cpu backend (an
 * independent implementation), a missing kernel's error, flat native memory over training steps
 * and the resume-on-another-backend refusal. The heavy cases (kernel coverage of every method, a
 * BiomedCLIP-sized PRIMED step) are in backend-torch.e2e.ts.
 *
 * The addon must be built (`npm run build:torch`, run by scripts/setup.sh): without it these
 * tests fail and say so, rather than pass without testing anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { runProtocol } from '../src/eval/protocol';
import { torchMemory } from '../src/backend/torch';
import { createMethod } from '../src/methods';
import { AdamW } from '../src/train/optimizer';
import { trainOnTask } from '../src/train/trainer';
import { createModel } from '../src/model/create';
import { Rng } from '../src/util/rng';
import { makeDataset } from './fixtures/losses/fakes';
import { DEVICE, onTorch, refSet } from './helpers/torch';
import { fakeTokenizer } from './fixtures/model/test-helpers';

/** Deterministic pseudo-random values. */
function values(n: number, seed: number, lo = -2, hi = 2): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
}

/** Runs `f` on a backend and returns its outputs as plain arrays with shapes and dtypes. */
async function runOn(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Array<{ shape: number[]; dtype: string; data: number[] }>> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => ({ shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync() as ArrayLike<number>) }));
  });
}

// Each case builds its own inputs from arrays, so the same case runs on either backend.
const x23 = () => tf.tensor2d(values(6, 1), [2, 3]);
const x234 = () => tf.tensor3d(values(24, 2), [2, 3, 4]);
const pos = () => tf.tensor2d(values(6, 3, 0.1, 3), [2, 3]);
const unit = () => tf.tensor2d(values(6, 4, -0.9, 0.9), [2, 3]);
const ints = () => tf.tensor2d([7, -7, 9, 4, -3, 0], [2, 3], 'int32');
const CASES: Record<string, () => tf.Tensor | tf.Tensor[]> = {
  abs: () => tf.abs(x23()), neg: () => tf.neg(x23()), exp: () => tf.exp(x23()), expm1: () => tf.expm1(x23()),
  log: () => tf.log(pos()), log1p: () => tf.log1p(pos()), sqrt: () => tf.sqrt(pos()), rsqrt: () => tf.rsqrt(pos()),
  square: () => tf.square(x23()), reciprocal: () => tf.reciprocal(pos()), sigmoid: () => tf.sigmoid(x23()), tanh: () => tf.tanh(x23()),
  erf: () => tf.erf(x23()), relu: () => tf.relu(x23()), relu6: () => tf.relu6(tf.mul(x23(), 4)), elu: () => tf.elu(x23()),
  selu: () => tf.selu(x23()), softplus: () => tf.softplus(x23()), sign: () => tf.sign(x23()), floor: () => tf.floor(x23()),
  ceil: () => tf.ceil(x23()), round: () => tf.round(tf.tensor1d([0.5, 1.5, 2.5, -0.5, -1.5, 0.49])), sin: () => tf.sin(x23()),
  cos: () => tf.cos(x23()), tan: () => tf.tan(unit()), asin: () => tf.asin(unit()), acos: () => tf.acos(unit()), atan: () => tf.atan(x23()),
  sinh: () => tf.sinh(x23()), cosh: () => tf.cosh(x23()), asinh: () => tf.asinh(x23()), acosh: () => tf.acosh(tf.add(pos(), 1)),
  atanh: () => tf.atanh(unit()), logicalNot: () => tf.logicalNot(tf.greater(x23(), 0)),
  isNaN: () => tf.isNaN(tf.tensor1d([1, NaN, Infinity])), isInf: () => tf.isInf(tf.tensor1d([1, NaN, -Infinity])),
  isFinite: () => tf.isFinite(tf.tensor1d([1, NaN, Infinity])), zerosLike: () => tf.zerosLike(x23()), onesLike: () => tf.onesLike(ints()),
  leakyRelu: () => tf.leakyRelu(x23(), 0.1), step: () => tf.step(tf.tensor1d([-1, 0, 2, NaN]), 0.3), clip: () => tf.clipByValue(x23(), -0.5, 0.7),
  add: () => tf.add(x234(), tf.tensor1d([1, 2, 3, 4])), sub: () => tf.sub(x23(), tf.tensor2d([[1], [2]])), mul: () => tf.mul(x234(), x234()),
  div: () => tf.div(x23(), pos()), floorDiv: () => tf.floorDiv(ints(), tf.tensor1d([2, 3, -2], 'int32')), pow: () => tf.pow(pos(), x23()),
  intAdd: () => tf.add(ints(), ints()), maximum: () => tf.maximum(x23(), 0.2), minimum: () => tf.minimum(x23(), unit()),
  squaredDifference: () => tf.squaredDifference(x23(), unit()), mod: () => tf.mod(ints(), tf.scalar(4, 'int32')),
  modFloat: () => tf.mod(x23(), 0.7), atan2: () => tf.atan2(x23(), unit()), equal: () => tf.equal(ints(), tf.scalar(9, 'int32')),
  notEqual: () => tf.notEqual(x23(), x23()), less: () => tf.less(x23(), unit()), lessEqual: () => tf.lessEqual(x23(), 0),
  greater: () => tf.greater(x23(), unit()), greaterEqual: () => tf.greaterEqual(ints(), 4),
  logicalAnd: () => tf.logicalAnd(tf.greater(x23(), 0), tf.greater(unit(), 0)), logicalOr: () => tf.logicalOr(tf.greater(x23(), 0), tf.greater(unit(), 0)),
  sum: () => [tf.sum(x234(), [0, 2]), tf.sum(x234(), 1, true), tf.sum(ints()), tf.sum(x23(), [])],
  mean: () => [tf.mean(x234(), -1), tf.mean(x234(), [0, 1], true), tf.mean(ints(), 1)],
  max: () => [tf.max(x234(), [1, 2]), tf.max(ints(), 0, true)], min: () => [tf.min(x234(), 0), tf.min(ints())],
  prod: () => [tf.prod(x234(), [0, 2]), tf.prod(ints(), 1)], any: () => tf.any(tf.greater(x234(), 1), [0, 2]), all: () => tf.all(tf.greater(x234(), -1.5), 1),
  argMax: () => [tf.argMax(x234(), 1), tf.argMax(tf.tensor1d([1, 3, 3, 0]))], argMin: () => tf.argMin(x234(), -1),
  cumsum: () => [tf.cumsum(x234(), 1), tf.cumsum(x234(), 2, true, false), tf.cumsum(x234(), 0, false, true), tf.cumsum(ints(), 1, true, true)],
  softmax: () => tf.softmax(x234()), logSoftmax: () => tf.logSoftmax(x234()), topk: () => { const r = tf.topk(x234(), 2); return [r.values, r.indices]; },
  matMul: () => [tf.matMul(x23(), x23(), false, true), tf.matMul(x23(), x23(), true, false), tf.matMul(x234(), tf.tensor2d(values(8, 5), [4, 2])), tf.matMul(x234(), x234(), false, true)],
  reshape: () => tf.reshape(x234(), [4, -1]), transpose: () => tf.transpose(x234(), [2, 0, 1]),
  slice: () => [tf.slice(x234(), [1, 0, 1], [1, -1, 2]), tf.slice(x23(), [0, 1])],
  stridedSlice: () => [tf.stridedSlice(x234(), [0, 2, 3], [2, 0, 0], [1, -1, -2]), tf.stridedSlice(x234(), [0, 1], [0, 3], [1, 1], 1, 0, 0, 0, 1), tf.stridedSlice(tf.range(0, 10), [1], [9], [3])],
  reverse: () => tf.reverse(x234(), [0, 2]), concat: () => [tf.concat([x23(), unit()], 0), tf.concat([x23(), unit(), pos()], 1), tf.concat([tf.zeros([0, 3]), x23()], 0)],
  stack: () => tf.stack([x23(), unit()], 1), unstack: () => tf.unstack(x234(), 1), split: () => [...tf.split(x234(), [1, 3], 2), ...tf.split(x234(), 3, 1)],
  tile: () => tf.tile(x23(), [2, 3]), broadcastTo: () => tf.broadcastTo(tf.tensor1d([1, 2, 3]), [2, 2, 3]),
  pad: () => tf.pad(x23(), [[1, 0], [2, 1]], 0.5), fill: () => [tf.fill([2, 2], 3.5), tf.fill([3], 2, 'int32')],
  range: () => [tf.range(0, 10, 3), tf.range(5, 0, -2, 'int32'), tf.range(1, 1), tf.range(0, 1, 0.25)],
  gather: () => [tf.gather(x234(), tf.tensor1d([2, 0, 2], 'int32'), 1), tf.gather(x234(), tf.tensor2d([[1, 0], [2, 2]], [2, 2], 'int32'), 1, 1)],
  gatherND: () => tf.gatherND(x234(), tf.tensor2d([[1, 2], [0, 0], [1, 0]], [3, 2], 'int32')),
  scatterND: () => tf.scatterND(tf.tensor2d([[1], [3], [1]], [3, 1], 'int32'), tf.tensor2d(values(6, 6), [3, 2]), [4, 2]),
  segmentSum: () => tf.unsortedSegmentSum(x234(), tf.tensor1d([1, 1], 'int32'), 3),
  oneHot: () => [tf.oneHot(tf.tensor1d([0, 2, 5, -1], 'int32'), 3), tf.oneHot(tf.tensor1d([1, 0], 'int32'), 2, 0.9, 0.05)],
  resizeBilinear: () => {
    const img = tf.tensor4d(values(2 * 5 * 4 * 3, 7), [2, 5, 4, 3]);
    return [tf.image.resizeBilinear(img, [7, 3]), tf.image.resizeBilinear(img, [3, 8], true), tf.image.resizeBilinear(img, [8, 6], false, true)];
  },
  where: () => tf.where(tf.greater(x23(), 0), x23(), unit()), cast: () => [tf.cast(x23(), 'int32'), tf.cast(ints(), 'bool'), tf.cast(tf.greater(x23(), 0), 'float32')],
  addN: () => tf.addN([x23(), unit(), pos()]),
};

test('every torch kernel gives what tfjs cpu gives (values, shapes, dtypes) on the cases above', async () => {
  await onTorch();
  const failures: string[] = [];
  for (const [name, f] of Object.entries(CASES)) {
    const expected = await runOn('cpu', f);
    let actual: Awaited<ReturnType<typeof runOn>>;
    try {
      actual = await runOn('torch', f);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    if (actual.length !== expected.length) failures.push(`${name}: ${actual.length} outputs, cpu gives ${expected.length}`);
    expected.forEach((e, i) => {
      const a = actual[i];
      if (!a) return;
      if (JSON.stringify(a.shape) !== JSON.stringify(e.shape)) failures.push(`${name}[${i}]: shape ${a.shape} vs ${e.shape}`);
      if (a.dtype !== e.dtype) failures.push(`${name}[${i}]: dtype ${a.dtype} vs ${e.dtype}`);
      e.data.forEach((v, j) => {
        const w = a.data[j];
        const ok = Number.isNaN(v) ? Number.isNaN(w) : v === w || Math.abs(w - v) <= 1e-5 * Math.max(1, Math.abs(v));
        if (!ok) failures.push(`${name}[${i}][${j}]: ${w} vs ${v}`);
      });
    });
  }
  await tf.setBackend('torch');
  assert.deepEqual(failures.slice(0, 20), []);
});

test('a kernel the torch backend lacks fails with an error naming the kernel and the backend', async () => {
  await onTorch();
  const x = tf.ones([1, 4, 4, 1]);
  const w = tf.ones([2, 2, 1, 1]);
  assert.throws(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'), /Conv2D.*torch|torch.*Conv2D/);
  tf.dispose([x, w]);
});

test('training steps on torch keep tfjs tensors and libtorch memory (tensors and bytes) flat', async () => {
  await onTorch();
  const model = createModel('mini', { seed: 2, tokenizer: fakeTokenizer(500, 32) });
  const dataset = makeDataset('toy', ['a', 'b'], 8, 5, 28, 3);
  const method = createMethod('primed-dyn', { referenceSet: refSet(6, 28, 3), referenceBatchSize: 3 });
  const seen: Array<{ tf: number; ids: number; torch: number; bytes: number }> = [];
  const probe = {
    name: 'probe',
    afterStep: () => {
      const m = torchMemory()!;
      seen.push({ tf: tf.memory().numTensors, ids: tf.backend().numDataIds(), torch: m.tensors, bytes: m.bytes });
    },
  };
  await trainOnTask(model, { taskIndex: 0, dataset }, { steps: 5, batchSize: 4, lr: 1e-4, warmup: 1, plugins: [method, probe] });
  // From the second step on (the first creates the optimizer's moments), nothing grows.
  const later = seen.slice(1);
  assert.equal(new Set(later.map((s) => s.tf)).size, 1, `tfjs tensors per step ${later.map((s) => s.tf)}`);
  assert.equal(new Set(later.map((s) => s.torch)).size, 1, `libtorch tensors per step ${later.map((s) => s.torch)}`);
  assert.equal(new Set(later.map((s) => s.bytes)).size, 1, `libtorch bytes per step ${later.map((s) => s.bytes)}`);
  assert.equal(later[0].torch, later[0].ids, 'one libtorch tensor per data id of the backend');
  method.dispose!();
  model.dispose();
});

test('a run started on torch is not resumed on another backend (the error names both); a complete one reads back anywhere', async () => {
  const device = await onTorch();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-torch-resume-'));
  const learner = {
    trained: 0,
    async evaluate() { return { accuracy: 50 }; },
    async train(t: number) { if (t === 1) throw new Error('killed'); this.trained++; },
    async saveState(dir: string) { fs.writeFileSync(path.join(dir, 'state.json'), '{}'); },
    async loadState() {},
  };
  const opts = { tasks: ['a', 'b', 'c'], learner, runDir, config: { method: 'toy' }, seed: 1 };
  await assert.rejects(runProtocol(opts), /killed/);
  const started = JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8')) as { backend: { name: string; device: string } };
  assert.equal(started.backend.name, 'torch');
  assert.equal(started.backend.device, device);
  await initBackend({ backend: 'wasm' });
  try {
    await assert.rejects(runProtocol(opts), new RegExp(`cannot resume: the run was started on torch on ${device} \\(fp32, \\d+ threads?\\) and would continue on wasm on cpu`));
    // Finished on torch, a complete run reads back on any backend.
    await initBackend({ backend: 'torch', device: DEVICE });
    learner.train = async () => {};
    const done = await runProtocol(opts);
    assert.equal(done.complete, true);
    await initBackend({ backend: 'wasm' });
    const again = await runProtocol(opts);
    assert.deepEqual(again.matrix, done.matrix, 'read back on wasm');
    assert.equal(again.backend?.name, 'torch', 'the run keeps the backend it ran on');
  } finally {
    await initBackend({ backend: 'torch', device: DEVICE });
    fs.rmSync(runDir, { recursive: true, force: true });
  }
});

test('AdamW writes in place only when nothing shares the buffers: an alias or a view keeps its values', async () => {
  await onTorch();
  const p = tf.variable(tf.tensor1d([1, 2, 3, 4]));
  const grads = () => new Map([['p', tf.tensor1d([0.5, -0.5, 0.25, 1])]]);
  const params = new Map([['p', p]]);
  const opt = new AdamW({ weightDecay: 0.1 });
  const step = () => { const g = grads(); opt.apply(params, g, 0.01); tf.dispose([...g.values()]); };
  step(); // first step: the moments are new, the update makes a new buffer
  const id1 = p.dataId;
  step();
  assert.equal(p.dataId, id1, 'the second step updates the buffer in place');
  // An alias (tf.clone shares the data id) must keep the value it had.
  const alias = tf.clone(p);
  const before = Array.from(alias.dataSync());
  step();
  assert.notEqual(p.dataId, alias.dataId, 'with an alias alive the step makes a new buffer');
  assert.deepEqual(Array.from(alias.dataSync()), before, 'the alias is untouched');
  // A libtorch view (a reshape of the variable) must keep its values too.
  const view = p.reshape([2, 2]);
  const viewBefore = Array.from(view.dataSync());
  step();
  assert.deepEqual(Array.from(view.dataSync()), viewBefore, 'the view is untouched');
  // And the arithmetic is the functional kernel's: the same steps on the cpu backend agree.
  const got = Array.from(p.dataSync());
  tf.dispose([alias, view]);
  opt.dispose();
  p.dispose();
  await tf.setBackend('cpu');
  const q = tf.variable(tf.tensor1d([1, 2, 3, 4]));
  const ref = new AdamW({ weightDecay: 0.1 });
  const qs = new Map([['p', q]]);
  for (let i = 0; i < 4; i++) { const g = grads(); ref.apply(qs, g, 0.01); tf.dispose([...g.values()]); }
  const want = Array.from(q.dataSync());
  ref.dispose();
  q.dispose();
  await tf.setBackend('torch');
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `p[${i}] ${v} vs cpu ${want[i]}`));
});
