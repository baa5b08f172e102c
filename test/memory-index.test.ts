import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExactIndex } from '../src/memory/vector/exact';
import { HnswIndex } from '../src/memory/vector/hnsw';
import { chooseIndexKind, openIndex } from '../src/memory/vector/open';
import { Rng } from '../src/util/rng';
import { l2NormalizeInPlace } from '../src/memory/vectors';

function randomUnit(n: number, dim: number, seed: number): Float32Array {
  const r = new Rng(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const v = out.subarray(i * dim, (i + 1) * dim);
    for (let j = 0; j < dim; j++) v[j] = r.normal();
    l2NormalizeInPlace(v);
  }
  return out;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'primed-index-'));

test('exact search agrees with a hand-computed cosine ranking', () => {
  const idx = new ExactIndex(2, Float32Array.from([1, 0, 0, 1, Math.SQRT1_2, Math.SQRT1_2]));
  const hits = idx.search(Float32Array.from([1, 0]), 2);
  assert.deepEqual(Array.from(hits.rows), [0, 2]);
  assert.ok(Math.abs(hits.scores[1] - Math.SQRT1_2) < 1e-6);
  assert.throws(() => idx.search(new Float32Array(3), 1), /query has dimension 3, the index has 2/);
});

test('HNSW recall@10 >= 0.95 against exact search on 10k random vectors (dim 64), and both survive save/open', () => {
  const dim = 64;
  const n = 10_000;
  const data = randomUnit(n, dim, 1);
  const queries = randomUnit(100, dim, 2);
  const exact = new ExactIndex(dim, data);
  const hnsw = new HnswIndex(dim, { m: 16, efConstruction: 200, ef: 128 });
  hnsw.add(data);
  let hit = 0;
  for (let i = 0; i < 100; i++) {
    const q = queries.subarray(i * dim, (i + 1) * dim);
    const truth = new Set(exact.search(q, 10).rows);
    for (const r of hnsw.search(q, 10).rows) if (truth.has(r)) hit++;
  }
  const recall = hit / 1000;
  assert.ok(recall >= 0.95, `recall@10 = ${recall}`);

  for (const idx of [exact, hnsw]) {
    const dir = tmp();
    idx.save(dir);
    const files = fs.readdirSync(dir);
    const before = files.map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs, fs.readFileSync(path.join(dir, f)).length]);
    const back = openIndex(dir, { expectDim: dim });
    assert.equal(back.kind, idx.kind);
    assert.equal(back.size(), n);
    const q = queries.subarray(0, dim);
    assert.deepEqual(Array.from(back.search(q, 10).rows), Array.from(idx.search(q, 10).rows));
    // Opening read the files and wrote none: same names, sizes and modification times.
    assert.deepEqual(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs, fs.readFileSync(path.join(dir, f)).length]), before);
  }
});

test('a truncated or corrupt index file and a dimension mismatch give errors naming the file', () => {
  for (const make of [() => new ExactIndex(8), () => new HnswIndex(8)]) {
    const idx = make();
    idx.add(randomUnit(50, 8, 3));
    const dir = tmp();
    idx.save(dir);
    const file = path.join(dir, idx.kind === 'exact' ? 'index.exact.f32' : 'index.hnsw');
    assert.throws(() => openIndex(dir, { expectDim: 16 }), (e: Error) => e.message.includes(file) && /dimension 8 does not match .* 16/.test(e.message));
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.subarray(0, good.length - 100));
    assert.throws(() => openIndex(dir, { expectDim: 8 }), (e: Error) => e.message.includes(file) && /truncated/.test(e.message));
    const bad = Buffer.from(good);
    bad[bad.length >> 1] ^= 0xff;
    fs.writeFileSync(file, bad);
    assert.throws(() => openIndex(dir, { expectDim: 8 }), (e: Error) => e.message.includes(file) && /corrupt/.test(e.message));
    fs.rmSync(file);
    assert.throws(() => openIndex(dir), (e: Error) => e.message.includes(file) && /missing/.test(e.message));
  }
});

test('auto picks exact below the threshold and usearch from it; bad options are named', () => {
  assert.equal(chooseIndexKind(19_999), 'exact');
  assert.equal(chooseIndexKind(20_000), 'usearch');
  assert.equal(chooseIndexKind(10, { kind: 'auto', autoThreshold: 5 }), 'usearch');
  assert.equal(chooseIndexKind(10, { kind: 'hnsw' }), 'hnsw');
  assert.equal(chooseIndexKind(10_000_000, { kind: 'exact' }), 'exact');
  assert.throws(() => chooseIndexKind(1, { kind: 'ivf' as never }), /index option "kind"/);
  assert.throws(() => new HnswIndex(8, { m: 0 }), /hnsw option "m"/);
});
