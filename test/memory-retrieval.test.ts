import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tieRobustThreshold, applyTieRobustThreshold, denseStage } from '../src/memory/retrieval/dense';
import { Bm25, bm25Tokens } from '../src/memory/bm25';
import { dedupByCaption } from '../src/memory/retrieval/dedup';
import { bm25Gate } from '../src/memory/retrieval/bm25-gate';
import { retrieve } from '../src/memory/retrieval/pipeline';
import { ExactIndex } from '../src/memory/vector/exact';
import { HnswIndex } from '../src/memory/vector/hnsw';
import type { Candidate } from '../src/memory/retrieval/candidate';

test('tie-robust threshold: k-th largest unique score, every tie kept', () => {
  // Scores (hand-made): unique values descending 0.9, 0.8, 0.7, 0.5.
  const scores = [0.5, 0.9, 0.8, 0.8, 0.9, 0.7, 0.7, 0.7];
  assert.equal(tieRobustThreshold(scores, 1), 0.9);
  assert.equal(tieRobustThreshold(scores, 2), 0.8);
  assert.equal(tieRobustThreshold(scores, 3), 0.7);
  assert.equal(tieRobustThreshold(scores, 10), 0.5); // k' = min(10, 4 unique) = 4
  const rows = scores.map((_, i) => i);
  // k = 2: tau = 0.8, so the two 0.9s and the two 0.8s survive: 4 > k because of ties.
  assert.deepEqual(applyTieRobustThreshold(rows, scores, 2).map((c) => c.row), [1, 4, 2, 3]);
  // k = 3: tau = 0.7, seven candidates.
  assert.equal(applyTieRobustThreshold(rows, scores, 3).length, 7);
  assert.throws(() => tieRobustThreshold(scores, 0), /"k" must be a positive integer/);
});

test('dense stage sees ties beyond k on exact and over-fetched HNSW indexes', () => {
  const dim = 4;
  // Rows 0-4 equal the query (score 1), rows 5-9 score 0.6, rows 10-14 score 0.
  const vecs: number[] = [];
  for (let i = 0; i < 5; i++) vecs.push(1, 0, 0, 0);
  for (let i = 0; i < 5; i++) vecs.push(0.6, 0.8, 0, 0);
  for (let i = 0; i < 5; i++) vecs.push(0, 1, 0, 0);
  const q = Float32Array.from([1, 0, 0, 0]);
  const exact = new ExactIndex(dim, Float32Array.from(vecs));
  assert.deepEqual(denseStage(exact, q, { k: 1 }).map((c) => c.row), [0, 1, 2, 3, 4]);
  assert.deepEqual(denseStage(exact, q, { k: 2 }).map((c) => c.row), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const hnsw = new HnswIndex(dim);
  hnsw.add(Float32Array.from(vecs));
  const h = denseStage(hnsw, q, { k: 1, overFetch: 8 });
  assert.deepEqual(h.map((c) => c.row).sort(), [0, 1, 2, 3, 4]);
  // Without over-fetch, HNSW returns only k: the threshold cannot see the other ties.
  assert.equal(denseStage(hnsw, q, { k: 1, overFetch: 1 }).length, 1);
});

test('BM25 matches a hand-computed case (k1 = 1.2, b = 0.75)', () => {
  const docs = ['Lung nodule CT', 'lung X-ray, lung', 'brain MRI'];
  assert.deepEqual(bm25Tokens(docs[1]), ['lung', 'x', 'ray', 'lung']);
  const bm = new Bm25(docs);
  const s = bm.scores('lung ct');
  // N = 3, lengths 3, 4, 2, avgdl = 3.
  // idf(lung) = ln(1 + (3-2+0.5)/(2+0.5)) = ln 1.6; idf(ct) = ln(1 + 2.5/1.5) = ln(8/3).
  // doc 0: f = 1, len/avgdl = 1 -> tf part = 1*2.2/(1+1.2) = 1 -> ln1.6 + ln(8/3) = 1.4508328...
  // doc 1: lung f = 2, norm = 0.25 + 0.75*4/3 = 1.25 -> 2*2.2/(2+1.5) = 1.2571429 -> 1.2571429*ln1.6 = 0.5908620...
  const expected = [Math.log(1.6) + Math.log(8 / 3), (4.4 / 3.5) * Math.log(1.6), 0];
  expected.forEach((v, i) => assert.ok(Math.abs(s[i] - v) < 1e-12, `doc ${i}: ${s[i]} vs ${v}`));
  assert.ok(Math.abs(s[0] - 1.4508328) < 1e-6);
  assert.ok(Math.abs(s[1] - 0.590862) < 1e-6);
});

test('caption de-duplication keeps the top k_v = 2 per caption by S_v', () => {
  const captions = ['a', 'a', 'a', 'b', 'a'];
  const cands: Candidate[] = [0, 1, 2, 3, 4].map((row) => ({ row, dense: 0.5, visual: [0.1, 0.9, 0.3, 0.2, 0.8][row] }));
  const kept = dedupByCaption(cands, (r) => captions[r], 2);
  assert.deepEqual(kept.map((c) => c.row), [1, 4, 3]);
});

test('BM25 gate applies only above k and keeps the top k by BM25, sorted by S_v', () => {
  const captions = ['lung ct scan', 'brain mri', 'lung ct', 'knee x-ray'];
  const cands: Candidate[] = captions.map((_, row) => ({ row, dense: 0.5, visual: [0.1, 0.9, 0.5, 0.8][row] }));
  assert.equal(bm25Gate('lung ct', cands, (r) => captions[r], 4).length, 4);
  const gated = bm25Gate('lung ct', cands, (r) => captions[r], 2);
  // Rows 0 and 2 match lexically; sorted by S_v row 2 (0.5) comes before row 0 (0.1).
  assert.deepEqual(gated.map((c) => c.row), [2, 0]);
});

test('pipeline modes: embedding only, BM25 only, hierarchical with rerank + dedup + gate', async () => {
  const dim = 3;
  const vecs = Float32Array.from([1, 0, 0, 1, 0, 0, 0.9, 0.436, 0, 0, 1, 0, 0.8, 0.6, 0]);
  const captions = ['lung ct', 'lung ct', 'lung x-ray', 'brain mri', 'lung nodule'];
  const source = { index: new ExactIndex(dim, vecs), size: 5, caption: (r: number) => captions[r] };
  const q = Float32Array.from([1, 0, 0]);
  const emb = await retrieve(source, 'lung ct', q, { k: 2, mode: 'embedding' });
  assert.deepEqual(emb.map((c) => c.row), [0, 1]);
  const bm = await retrieve(source, 'brain', q, { k: 2, mode: 'bm25' });
  assert.deepEqual(bm.map((c) => c.row), [3]);
  const sv = [0.2, 0.7, 0.4, 0.1, NaN];
  const scorer = async (_q: string, rows: number[]) => Float32Array.from(rows, (r) => sv[r]);
  // k = 3: dense keeps rows 0,1 (1.0), 2 (0.9), 4 (0.8); rerank drops text-only row 4;
  // dedup keeps both 'lung ct' rows (k_v = 2); 3 <= k so no gate; sorted by S_v.
  const full = await retrieve(source, 'lung ct', q, { k: 3 }, scorer);
  assert.deepEqual(full.map((c) => c.row), [1, 2, 0]);
  await assert.rejects(retrieve(source, 'x', q, { k: 2 }), /needs a visual scorer/);
});

test('text-only rows cannot crowd the top k: retrieval runs among rows with an image', async () => {
  const dim = 3;
  // Rows 0-3: text-only captions closest to the query; rows 4-6: pairs with images, farther.
  const vecs = Float32Array.from([1, 0, 0, 1, 0, 0, 0.99, 0.141, 0, 0.98, 0.199, 0, 0.9, 0.436, 0, 0.8, 0.6, 0, 0, 1, 0]);
  const captions = ['lung ct a', 'lung ct b', 'lung ct c', 'lung ct d', 'lung ct e', 'lung ct f', 'brain mri'];
  const withImage = new Set([4, 5, 6]);
  const sv = [NaN, NaN, NaN, NaN, 0.3, 0.5, 0.1];
  const scorer = async (_q: string, rows: number[]) => Float32Array.from(rows, (r) => sv[r]);
  const q = Float32Array.from([1, 0, 0]);
  for (const index of [new ExactIndex(dim, vecs), new HnswIndex(dim)]) {
    if (index instanceof HnswIndex) index.add(vecs);
    const plain = { index, size: 7, caption: (r: number) => captions[r] };
    const aware = { ...plain, hasImage: (r: number) => withImage.has(r) };
    // Without hasImage, the dense top 2 are text-only rows and the rerank drops them all.
    assert.deepEqual((await retrieve(plain, 'lung ct', q, { k: 2 }, scorer)).map((c) => c.row), [], index.kind);
    // With it, the dense stage thresholds among rows 4-6: rows 4 and 5, sorted by S_v.
    assert.deepEqual((await retrieve(aware, 'lung ct', q, { k: 2 }, scorer)).map((c) => c.row), [5, 4], index.kind);
    assert.deepEqual((await retrieve(aware, 'lung ct', q, { k: 2, mode: 'embedding' })).map((c) => c.row), [4, 5], index.kind);
    assert.deepEqual((await retrieve(aware, 'lung', q, { k: 3, mode: 'bm25' })).map((c) => c.row).sort(), [4, 5], index.kind);
    // dropTextOnly: false keeps the old behaviour (every row is a candidate).
    assert.deepEqual((await retrieve(aware, 'lung ct', q, { k: 2, mode: 'embedding', dropTextOnly: false })).map((c) => c.row), [0, 1], index.kind);
  }
  // The filtered exact search agrees with searching the image rows alone.
  const exact = new ExactIndex(dim, vecs);
  const hits = exact.search(q, 2, (r) => withImage.has(r));
  assert.deepEqual(Array.from(hits.rows), [4, 5]);
  assert.ok(Math.abs(hits.scores[0] - 0.9) < 1e-6);
});
