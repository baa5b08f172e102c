import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { exactSearchChunked, matrixChunkSource } from '../src/memory/vector/chunked-exact';
import { Rng } from '../src/util/rng';

/** Unit rows around a few centres, with some rows exact copies of earlier ones (duplicate captions: tied scores). */
function clustered(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const centres = Array.from({ length: 8 }, () => Float64Array.from({ length: dim }, () => rng.normal()));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    if (i > 50 && i % 7 === 0) {
      const src = rng.int(50); // a copy of one of the first 50 rows
      out.copyWithin(i * dim, src * dim, (src + 1) * dim);
      continue;
    }
    const c = centres[i % centres.length];
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (out[i * dim + j] = c[j] + 0.6 * rng.normal()) ** 2;
    for (let j = 0; j < dim; j++) out[i * dim + j] /= Math.sqrt(norm);
  }
  return out;
}

/** The independent oracle: float64 dot products in a plain loop, then τ = k′-th largest unique score by a full sort. */
function oracle(data: Float32Array, dim: number, query: Float32Array, k: number): { rows: number[]; scores: number[] } {
  const n = data.length / dim;
  const s = Array.from({ length: n }, (_, r) => {
    let d = 0;
    for (let j = 0; j < dim; j++) d += query[j] * data[r * dim + j];
    return d;
  });
  const unique = [...new Set(s)].sort((a, b) => b - a);
  const tau = unique[Math.min(k, unique.length) - 1];
  const rows = s.map((_, r) => r).filter((r) => s[r] >= tau).sort((a, b) => s[b] - s[a] || a - b);
  return { rows, scores: rows.map((r) => s[r]) };
}

test('exact search in chunks on the tensor backend finds the oracle\'s tie-robust candidate sets, ties included, and frees its tensors', async () => {
  await initBackend();
  const dim = 48;
  const data = clustered(3000, dim, 7);
  // Queries: copies of duplicated rows (their copies tie at score 1) and fresh vectors.
  const qs = [3, 10, 20, 33, 49];
  const fresh = clustered(60, dim, 99).subarray(0, 5 * dim);
  const queries = new Float32Array(10 * dim);
  qs.forEach((r, i) => queries.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
  queries.set(fresh, 5 * dim);
  const before = tf.memory().numTensors;
  let chunks = 0;
  for (const k of [1, 5, 12]) {
    const got = await exactSearchChunked(matrixChunkSource(data, dim), queries, k, { chunkRows: 701, onChunk: () => chunks++ });
    assert.equal(got.length, 10);
    for (let i = 0; i < 10; i++) {
      const want = oracle(data, dim, queries.subarray(i * dim, (i + 1) * dim), k);
      assert.deepEqual(Array.from(got[i].rows), want.rows, `query ${i}, k ${k}: rows`);
      got[i].scores.forEach((s, j) => assert.ok(Math.abs(s - want.scores[j]) < 1e-5, `query ${i} k ${k}: score ${s} vs ${want.scores[j]}`));
      if (i < 5) assert.ok(got[i].rows.length > k || k === 12, `query ${i}: the copies of row ${qs[i]} tie and are all kept`);
    }
  }
  assert.equal(chunks, 3 * 5, 'one progress call per chunk of 701 rows (3000 rows: 5 chunks)');
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
});

test('a source that declares its norm bound (normalised vectors) gets the same exact sets without measuring norms per chunk', async () => {
  await initBackend();
  const dim = 48;
  const data = clustered(2000, dim, 11);
  const queries = new Float32Array(6 * dim);
  [5, 14, 30].forEach((r, i) => queries.set(data.subarray(r * dim, (r + 1) * dim), i * dim)); // duplicated rows: ties
  queries.set(clustered(40, dim, 5).subarray(0, 3 * dim), 3 * dim);
  for (const k of [1, 7]) {
    let got: Awaited<ReturnType<typeof exactSearchChunked>> = [];
    const profile = await tf.profile(async () => {
      got = await exactSearchChunked(matrixChunkSource(data, dim, { maxNorm: 1 + 2 ** -8 }), queries, k, { chunkRows: 512 });
    });
    for (let i = 0; i < 6; i++) assert.deepEqual(Array.from(got[i].rows), oracle(data, dim, queries.subarray(i * dim, (i + 1) * dim), k).rows, `query ${i}, k ${k}`);
    assert.ok(!profile.kernelNames.includes('Square'), `no per-chunk norm with a declared bound (kernels: ${profile.kernelNames.join(', ')})`);
  }
  // Without a declaration the norms are measured (the bound must hold for any stored vectors).
  const measured = await tf.profile(async () => void (await exactSearchChunked(matrixChunkSource(data, dim), queries, 3, { chunkRows: 512 })));
  assert.ok(measured.kernelNames.includes('Square'));
  await assert.rejects(exactSearchChunked(matrixChunkSource(data, dim, { maxNorm: 0 }), queries, 3), /maxNorm must be a positive finite number, got 0/);
});

test('exact search refuses a query of the wrong dimension and a bad k', async () => {
  await initBackend();
  const data = clustered(100, 16, 1);
  await assert.rejects(exactSearchChunked(matrixChunkSource(data, 16), new Float32Array(15), 3), /15 query floats is not a multiple of the memory's dimension 16/);
  await assert.rejects(exactSearchChunked(matrixChunkSource(data, 16), new Float32Array(16), 0), /k must be a positive integer/);
});
