import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { nativeAddonProblem, nativeKernelStatus, registerNativeKernels, unregisterNativeKernels } from '../src/backend/kernels';

/** Float64 reference product, written out by hand: c = op(a) @ op(b) per batch item. */
function reference(a: Float32Array, b: Float32Array, batch: number, m: number, n: number, k: number, ta: boolean, tb: boolean, sa: number, sb: number): Float64Array {
  const c = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    for (let r = 0; r < m; r++) {
      for (let col = 0; col < n; col++) {
        let s = 0;
        for (let x = 0; x < k; x++) {
          const av = a[i * sa + (ta ? x * m + r : r * k + x)];
          const bv = b[i * sb + (tb ? col * k + x : x * n + col)];
          s += av * bv;
        }
        c[(i * m + r) * n + col] = s;
      }
    }
  }
  return c;
}

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

const CASES: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [
  { a: [7, 5], b: [5, 3], ta: false, tb: false },
  { a: [5, 7], b: [3, 5], ta: true, tb: true },
  { a: [2, 3, 9, 4], b: [2, 3, 6, 4], ta: false, tb: true }, // attention scores q @ kᵀ
  { a: [4, 9, 6], b: [6, 5], ta: false, tb: false }, // b broadcast over the batch
  { a: [8, 5], b: [3, 8, 2], ta: true, tb: false }, // a broadcast over the batch
];

for (const backend of ['wasm', 'cpu'] as const) {
  test(`native BatchMatMul on ${backend} matches a float64 hand-written product (or is reported absent)`, async () => {
    await initBackend({ backend });
    const status = registerNativeKernels(backend);
    const problem = nativeAddonProblem();
    assert.equal(status.active, problem === undefined, `status ${JSON.stringify(status)} vs addon problem ${problem}`);
    // CI builds the addon and sets this, so the native path itself is what gets tested there.
    if (process.env.PRIMED_REQUIRE_NATIVE === '1') assert.ok(status.active, `native kernels required but unavailable: ${problem}`);
    try {
      const start = tf.memory().numTensors;
      for (const [ci, c] of CASES.entries()) {
        const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
        const av = random(size(c.a), 11 + ci), bv = random(size(c.b), 97 + ci);
        const got = tf.tidy(() => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb));
        const ra = c.a.length, rb = c.b.length;
        const m = c.ta ? c.a[ra - 1] : c.a[ra - 2], k = c.ta ? c.a[ra - 2] : c.a[ra - 1];
        const n = c.tb ? c.b[rb - 2] : c.b[rb - 1];
        const ba = size(c.a.slice(0, -2)), bb = size(c.b.slice(0, -2));
        const want = reference(av, bv, Math.max(ba, bb), m, n, k, c.ta, c.tb, ba === 1 ? 0 : m * k, bb === 1 ? 0 : k * n);
        const outBatch = ra >= rb ? c.a.slice(0, -2) : c.b.slice(0, -2);
        assert.deepEqual(got.shape, [...outBatch, m, n], `case ${ci}: shape`);
        const g = got.dataSync();
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(g[i] - want[i]) < 1e-5, `case ${ci} [${i}]: ${g[i]} vs ${want[i]}`);
        got.dispose();
      }
      if (status.active) assert.ok(nativeKernelStatus().calls!.native >= CASES.length, 'the native kernel served the products');
      assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
    } finally {
      unregisterNativeKernels();
    }
  });
}

test('gradients through matMul are the same with and without native kernels', async () => {
  await initBackend({ backend: 'wasm' });
  const x = tf.tensor(random(2 * 6 * 8, 5), [2, 6, 8]);
  const w = tf.variable(tf.tensor(random(4 * 8, 6), [4, 8]));
  const grad = () => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(x.reshape([-1, 8]), w, false, true))) as tf.Scalar, [w]);
    return grads[w.name];
  });
  const plain = grad();
  const status = registerNativeKernels('wasm');
  const native = grad();
  unregisterNativeKernels();
  assert.equal(nativeKernelStatus().active, false, 'unregister restores the backend kernel');
  const a = plain.dataSync(), b = native.dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4 * Math.max(1, Math.abs(a[i])), `grad[${i}] ${a[i]} vs ${b[i]} (native ${status.active})`);
  tf.dispose([plain, native, x, w]);
});

test('registerNativeKernels refuses other backends and bad options by name', () => {
  assert.equal(registerNativeKernels('webgl').active, false);
  assert.match(registerNativeKernels('webgl').reason, /webgl/);
  assert.throws(() => registerNativeKernels('wasm', { threads: 0 }), /option threads/);
});
