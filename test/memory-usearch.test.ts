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
  const idx = createIndex('usearch', dim, { usearch: { m: 16, efConstruction: 128, ef: 128 } }) as UsearchIndex;
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
