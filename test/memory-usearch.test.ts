import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsearchIndex } from '../src/memory/vector/usearch';
import { openIndex, createIndex, chooseIndexKind } from '../src/memory/vector/open';
import { Rng } from '../src/util/rng';

function clustered(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const centres = Array.from({ length: 20 }, () => Float64Array.from({ length: dim }, () => rng.normal()));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(20)];
    let s = 0;
    for (let j = 0; j < dim; j++) s += (out[i * dim + j] = c[j] + 0.5 * rng.normal()) ** 2;
    for (let j = 0; j < dim; j++) out[i * dim + j] /= Math.sqrt(s);
  }
  return out;
}

/** Oracle: top 10 rows by a float64 dot-product loop. */
function truth(data: Float32Array, dim: number, q: Float32Array): number[] {
  const n = data.length / dim;
  const s = Array.from({ length: n }, (_, r) => {
    let d = 0;
    for (let j = 0; j < dim; j++) d += data[r * dim + j] * q[j];
    return d;
  });
  return s.map((_, r) => r).sort((a, b) => s[b] - s[a] || a - b).slice(0, 10);
}

test('usearch: a batch-built index finds the exact top 10 (recall >= 0.95), reopens from disk unchanged, filters, and refuses a damaged file', () => {
  const dim = 32;
  const data = clustered(6000, dim, 3);
  // f32 storage: the graph's own scores are cosines to float32 (the f16 default's are checked below).
  const idx = createIndex('usearch', dim, { usearch: { m: 16, efConstruction: 128, ef: 128, quantization: 'f32' } }) as UsearchIndex;
  idx.add(data.subarray(0, 4000 * dim));
  idx.add(data.subarray(4000 * dim)); // rows continue from the first batch
  assert.equal(idx.size(), 6000);
  const queries = clustered(100, dim, 4);
  const batch = idx.searchBatch(queries, 10);
  let hit = 0;
  for (let q = 0; q < 100; q++) {
    const want = new Set(truth(data, dim, queries.subarray(q * dim, (q + 1) * dim)));
    hit += Array.from(batch[q].rows).filter((r) => want.has(r)).length;
    for (let i = 1; i < 10; i++) assert.ok(batch[q].scores[i - 1] >= batch[q].scores[i], 'best first');
  }
  assert.ok(hit / 1000 >= 0.95, `recall@10 ${hit / 1000}`);
  const one = idx.search(queries.subarray(0, dim), 10);
  assert.deepEqual(Array.from(one.rows), Array.from(batch[0].rows));
  const r0 = one.rows[0];
  const exactScore = data.subarray(r0 * dim, (r0 + 1) * dim).reduce((a, x, j) => a + x * queries[j], 0);
  assert.ok(Math.abs(one.scores[0] - exactScore) < 1e-5, 'scores are cosines');
  const even = idx.search(queries.subarray(0, dim), 10, (r) => r % 2 === 0);
  assert.equal(even.rows.length, 10);
  assert.ok(Array.from(even.rows).every((r) => r % 2 === 0));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-usearch-'));
  idx.save(dir);
  const back = openIndex(dir, { expectDim: dim });
  assert.equal(back.kind, 'usearch');
  assert.deepEqual(Array.from(back.search(queries.subarray(0, dim), 10).rows), Array.from(one.rows));
  const file = path.join(dir, 'index.usearch');
  const bytes = fs.readFileSync(file);
  bytes[bytes.length >> 1] ^= 0xff;
  fs.writeFileSync(file, bytes);
  assert.throws(() => openIndex(dir, { expectDim: dim }), new RegExp(`${file.replace(/[.]/g, '\\.')}: index file is corrupt \\(checksum mismatch\\)`));
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(chooseIndexKind(5, { kind: 'usearch' }), 'usearch');
  assert.throws(() => new UsearchIndex(dim, { quantization: 'f8' as never }), /quantization" must be f32, f16 or i8/);
});

/** Float64 dot of `q` with row `r` of `data`: the oracle for scores. */
function dot64(data: Float32Array, dim: number, r: number, q: Float32Array): number {
  let d = 0;
  for (let j = 0; j < dim; j++) d += data[r * dim + j] * q[j];
  return d;
}

test('usearch: the default f16 graph only picks candidates; rescored from float32 vectors, hits score as exact search does and f16-only ties are told apart', () => {
  const dim = 64;
  const n = 3000;
  const data = clustered(n, dim, 11);
  // Row 2999 is row 7 moved by a quarter of an f16 step: both round to the same f16 vector, while
  // their float32 scores differ. The move is on row 7's largest component (so it shows in a float32
  // score), which is first set to an f16 value; it goes away from zero, so neither can round across.
  let jMax = 0;
  for (let j = 1; j < dim; j++) if (Math.abs(data[7 * dim + j]) > Math.abs(data[7 * dim + jMax])) jMax = j;
  const x = data[7 * dim + jMax];
  const step = 2 ** (Math.floor(Math.log2(Math.abs(x))) - 10);
  data[7 * dim + jMax] = Math.round(x / step) * step;
  for (let j = 0; j < dim; j++) data[2999 * dim + j] = data[7 * dim + j];
  data[2999 * dim + jMax] += Math.sign(x) * step / 4;
  const idx = new UsearchIndex(dim, { ef: 256 });
  assert.equal(idx.options.quantization, 'f16', 'f16 is the default storage');
  idx.add(data);
  const queries = clustered(50, dim, 12);
  const raw = idx.searchBatch(queries, 10);
  let rawErr = 0;
  raw.forEach((h, q) => h.rows.forEach((r, i) => (rawErr = Math.max(rawErr, Math.abs(h.scores[i] - dot64(data, dim, r, queries.subarray(q * dim, (q + 1) * dim)))))));
  assert.ok(rawErr > 1e-5, `f16 scores are off by ${rawErr} (the check below can tell)`);

  idx.rescoreFrom(data);
  const hits = idx.searchBatch(queries, 10);
  hits.forEach((h, q) => {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    assert.deepEqual(new Set(h.rows), new Set(raw[q].rows), 'the same candidates');
    h.rows.forEach((r, i) => {
      assert.ok(Math.abs(h.scores[i] - dot64(data, dim, r, query)) < 1e-6, `query ${q} row ${r}: ${h.scores[i]} vs ${dot64(data, dim, r, query)}`);
      if (i) assert.ok(h.scores[i - 1] > h.scores[i] || (h.scores[i - 1] === h.scores[i] && h.rows[i - 1] < h.rows[i]), 'best first, ties by row');
    });
  });
  // Querying with row 7 itself: in f16 rows 7 and 2999 tie; rescored, only row 7 scores highest.
  const self = data.slice(7 * dim, 8 * dim);
  const tiedInF16 = new UsearchIndex(dim, { ef: 256 });
  tiedInF16.add(data);
  const f16 = tiedInF16.search(self, 2);
  assert.deepEqual(Array.from(f16.rows).sort((a, b) => a - b), [7, 2999]);
  assert.equal(f16.scores[0], f16.scores[1], 'f16 storage makes the two rows tie');
  const exact = idx.search(self, 2);
  assert.deepEqual(Array.from(exact.rows), [7, 2999].sort((a, b) => dot64(data, dim, b, self) - dot64(data, dim, a, self)), 'ordered as the oracle orders them');
  assert.ok(exact.scores[0] > exact.scores[1], 'rescored, the f16 twins no longer tie');

  assert.throws(() => idx.add(data.subarray(0, dim)), /add before attaching them/);
  assert.throws(() => new UsearchIndex(dim).rescoreFrom(data), /rescoring vectors hold 3000 rows of dimension 64, the index 0/);
});

test('usearch: rows split into segments of segmentRows are each a graph; the merged hits match exact search, keep their row numbers, save as one file per segment and reopen, and a missing or damaged segment is named', () => {
  const dim = 32;
  const n = 5000;
  const data = clustered(n, dim, 21);
  const idx = new UsearchIndex(dim, { quantization: 'f32', ef: 256, segmentRows: 1200 });
  for (let s = 0; s < n; s += 700) idx.add(data.subarray(s * dim, Math.min(n, s + 700) * dim)); // batches cross segment ends
  assert.equal(idx.size(), n);
  assert.equal(idx.segmentCount(), 5, '4 full segments of 1,200 rows and one of 200');
  const queries = clustered(100, dim, 22);
  const hits = idx.searchBatch(queries, 10);
  let hit = 0;
  const segmentsSeen = new Set<number>();
  hits.forEach((h, q) => {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    const want = new Set(truth(data, dim, query));
    assert.equal(h.rows.length, 10);
    h.rows.forEach((r, i) => {
      if (want.has(r)) hit++;
      segmentsSeen.add(Math.floor(r / 1200));
      assert.ok(Math.abs(h.scores[i] - dot64(data, dim, r, query)) < 1e-5, `query ${q}: row ${r} scores ${h.scores[i]}, its own vector ${dot64(data, dim, r, query)}`);
      if (i) assert.ok(h.scores[i - 1] >= h.scores[i], 'best first across segments');
    });
  });
  assert.ok(hit / 1000 >= 0.99, `recall@10 ${hit / 1000} against a float64 oracle`);
  assert.deepEqual([...segmentsSeen].sort(), [0, 1, 2, 3, 4], 'hits come from every segment, under their global row numbers');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-usearch-seg-'));
  idx.save(dir);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['index-1.usearch', 'index-2.usearch', 'index-3.usearch', 'index-4.usearch', 'index.json', 'index.usearch']);
  const back = UsearchIndex.open(dir, { expectDim: dim });
  assert.equal(back.segmentCount(), 5);
  assert.deepEqual(back.searchBatch(queries, 10).map((h) => Array.from(h.rows)), hits.map((h) => Array.from(h.rows)), 'reopened, the same hits');
  // Rows added after reopening fill the last segment, then start a sixth, and keep counting rows.
  const more = clustered(1100, dim, 23);
  back.add(more);
  assert.equal(back.segmentCount(), 6);
  assert.equal(back.size(), 6100);
  assert.equal(back.search(more.subarray(1099 * dim), 1).rows[0], 6099);
  back.rescoreFrom(Float32Array.from([...data, ...more]));
  const rescored = back.search(queries.subarray(0, dim), 10);
  rescored.rows.forEach((r, i) => assert.ok(Math.abs(rescored.scores[i] - dot64(Float32Array.from([...data, ...more]), dim, r, queries.subarray(0, dim))) < 1e-6));

  const seg3 = path.join(dir, 'index-3.usearch');
  const bytes = fs.readFileSync(seg3);
  fs.writeFileSync(seg3, bytes.subarray(0, bytes.length - 8));
  assert.throws(() => UsearchIndex.open(dir), new RegExp(`${seg3.replace(/[.]/g, '\\.')}: index file is truncated or corrupt`));
  fs.writeFileSync(seg3, bytes);
  const desc = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ ...desc, parts: desc.parts.slice(0, 3) }));
  assert.throws(() => UsearchIndex.open(dir), /index\.json: 5000 vectors in segments of 1200 need 5 data files, it lists 4/);
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ ...desc, parts: [...desc.parts.slice(0, 3), { ...desc.parts[3], file: '../elsewhere.usearch' }] }));
  assert.throws(() => UsearchIndex.open(dir), /index\.json: field "parts\[3\]" must name a file inside the memory folder/);
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(desc));
  fs.rmSync(path.join(dir, 'index-2.usearch'));
  assert.throws(() => UsearchIndex.open(dir), /index-2\.usearch: index file is missing/);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.throws(() => new UsearchIndex(dim, { segmentRows: 0 }), /usearch option "segmentRows" must be a positive integer, got 0/);
});

test('usearch: an index saved before segments existed (no segmentRows in index.json) reopens as the one graph it is', () => {
  const dim = 16;
  const data = clustered(1500, dim, 31);
  const idx = new UsearchIndex(dim, { quantization: 'f32', segmentRows: 5000 });
  idx.add(data);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-usearch-old-'));
  idx.save(dir);
  const descFile = path.join(dir, 'index.json');
  const desc = JSON.parse(fs.readFileSync(descFile, 'utf8'));
  delete desc.params.segmentRows;
  fs.writeFileSync(descFile, JSON.stringify(desc));
  const old = UsearchIndex.open(dir);
  assert.equal(old.segmentCount(), 1);
  assert.equal(old.size(), 1500);
  assert.equal(old.search(data.subarray(42 * dim, 43 * dim), 1).rows[0], 42);
  fs.rmSync(dir, { recursive: true, force: true });
});
