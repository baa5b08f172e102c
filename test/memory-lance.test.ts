import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { buildLanceMemory, addToLanceMemory, openLanceMemory } from '../src/memory/lance/store';
import { openMemory } from '../src/memory/store';
import { buildMemory } from '../src/memory/build';
import { retrieve } from '../src/memory/retrieval/pipeline';
import { retrieveFromLance } from '../src/memory/lance/retrieve';
import { fromHalf, toHalf } from '../src/memory/lance/half';
import type { Embedder } from '../src/memory/types';
import { TOY_DIM, toyEmbedder, vectorOf } from './helpers/toy-embedder';

const DIM = TOY_DIM;

const TOPICS = ['chest', 'brain', 'knee', 'retina', 'skin', 'breast'];

function corpus(dir: string, n: number, name = 'corpus.jsonl', idPrefix = 'e'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${idPrefix}${i}`, caption: `${TOPICS[i % 6]} finding number ${i}${i % 50 === 3 ? ' effusion' : ''}`, domain: TOPICS[i % 6] })).join('\n') + '\n');
  return file;
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'primed-lance-'));
}

/** Oracle: cosine of every row by a float64 loop, top k by full sort (ties by row). */
function oracleTopK(captions: string[], q: Float32Array, k: number): number[] {
  const s = captions.map((c) => vectorOf(c).reduce((a, x, j) => a + x * q[j], 0));
  return s.map((_, i) => i).sort((a, b) => s[b] - s[a] || a - b).slice(0, k);
}

test('float16 conversion round-trips within half precision and keeps zeros, signs and infinities', () => {
  const x = Float32Array.from([0, -0, 1, -1, 0.1, 65504, 1e-7, 70000, -3.14159]);
  const back = fromHalf(toHalf(x));
  assert.deepEqual(Array.from(back.slice(0, 4)), [0, -0, 1, -1]);
  assert.ok(Math.abs(back[4] - 0.1) < 1e-4);
  assert.equal(back[5], 65504);
  assert.ok(Math.abs(back[6] - 1e-7) < 6e-8, 'subnormal');
  assert.equal(back[7], Infinity);
  assert.ok(Math.abs(back[8] + 3.14159) < 2e-3);
});

test('an on-disk memory: built in batches, exact search equals the oracle, IVF-PQ recall, entries, BM25, embedder checks', async () => {
  await initBackend();
  const d = tmp();
  const src = corpus(d, 700);
  const mem = path.join(d, 'mem');
  const events: string[] = [];
  const r = await buildLanceMemory(mem, src, { embedder: toyEmbedder(), vectorType: 'float32', batchRows: 128, index: { partitions: 8, subVectors: 8, nprobes: 8, refineFactor: 10 }, progress: (e) => events.push(`${e.label}:${e.done}/${e.total}`) });
  assert.deepEqual(r, { resumedFrom: 0, committed: 700, count: 700 });
  assert.ok(events.includes('commit rows (JSONL file):700/700'), 'progress ends at 100 %');
  const m = await openLanceMemory(mem);
  assert.equal(m.size, 700);
  assert.equal(m.manifest.embedder.dim, DIM);
  assert.equal(m.manifest.complete, true);
  assert.equal(m.manifest.index.kmeansIterations, 10, 'the manifest records the k-means iterations (default, as faiss IVF)');
  const captions = Array.from({ length: 700 }, (_, i) => `${TOPICS[i % 6]} finding number ${i}${i % 50 === 3 ? ' effusion' : ''}`);
  const queries = ['chest pain', captions[40], 'retina'].map(vectorOf);
  const flat = new Float32Array(queries.length * DIM);
  queries.forEach((q, i) => flat.set(q, i * DIM));
  const exact = await m.searchBatch(flat, 10, { mode: 'exact', chunkRows: 150 });
  const approx = await m.searchBatch(flat, 10, { mode: 'index' });
  let hit = 0;
  queries.forEach((q, i) => {
    assert.deepEqual(Array.from(exact[i].rows).slice(0, 10), oracleTopK(captions, q, 10), `query ${i}: exact search equals the oracle`);
    const want = new Set(exact[i].rows.slice(0, 10));
    hit += Array.from(approx[i].rows).filter((x) => want.has(x)).length;
  });
  assert.ok(hit / 30 >= 0.9, `IVF-PQ recall@10 against exact ${hit / 30}`);
  const [e40] = await m.entries([40]);
  assert.deepEqual(e40, { id: 'e40', caption: captions[40], domain: 'skin' });
  const bm = await m.bm25('effusion', 5);
  assert.ok(bm.length === 5 && bm.every((b) => b.row % 50 === 3), 'BM25 finds the rows with the word');
  const dense = await m.denseCandidates(queries[1], 3, { mode: 'exact' });
  assert.equal(dense[0].row, 40);
  assert.throws(() => m.checkEmbedder({ ...toyEmbedder(), dim: 16, matryoshkaFrom: 32 }), /embedded with test:toy \(dimension 32\); refusing embedder test:toy \(dimension 16, Matryoshka-truncated from 32\)/);
  assert.throws(() => openMemory(mem), /on-disk \(LanceDB\) memory.*openLanceMemory/);
  // A bad index option is refused by name before anything is written.
  const bad = path.join(d, 'bad');
  await assert.rejects(buildLanceMemory(bad, src, { embedder: toyEmbedder(), index: { kmeansIterations: 0 } }), /index option "kmeansIterations" must be a positive integer, got 0/);
  assert.equal(fs.existsSync(bad), false, 'nothing written');
  // Building the same source again is a no-op; another source goes through add.
  assert.equal((await buildLanceMemory(mem, src, { embedder: toyEmbedder() })).committed, 0);
  const more = corpus(d, 50, 'more.jsonl', 'm');
  await assert.rejects(buildLanceMemory(mem, more, { embedder: toyEmbedder() }), /already holds an on-disk memory built from .*corpus.jsonl; use add/);
  const added = await addToLanceMemory(mem, more, { embedder: toyEmbedder() });
  assert.deepEqual(added, { resumedFrom: 0, committed: 50, count: 750 });
  assert.equal((await openLanceMemory(mem)).manifest.version, 2);
  fs.rmSync(d, { recursive: true, force: true });
});

test('an interrupted build continues from its last commit: no duplicate, no lost row', async () => {
  await initBackend();
  const d = tmp();
  const src = corpus(d, 500);
  const mem = path.join(d, 'mem');
  const opts = { vectorType: 'float16' as const, batchRows: 64, index: { kind: 'none' as const } };
  await assert.rejects(buildLanceMemory(mem, src, { ...opts, embedder: toyEmbedder(3) }), /embedder went away/);
  await assert.rejects(openLanceMemory(mem), /did not finish .* run the same build or add command again/);
  const logs: string[] = [];
  const r = await buildLanceMemory(mem, src, { ...opts, embedder: toyEmbedder(), log: (l) => logs.push(l) });
  assert.deepEqual(r, { resumedFrom: 192, committed: 308, count: 500 });
  assert.match(logs.join('\n'), /resuming: 192 of 500 rows .* continuing at row 192/);
  const m = await openLanceMemory(mem);
  const all = await m.entries(Array.from({ length: 500 }, (_, i) => i));
  assert.deepEqual(all.map((e) => e.id), Array.from({ length: 500 }, (_, i) => `e${i}`), 'every row once, in source order');
  // Exact search over float16 vectors still ranks a stored caption's own row first.
  const [hits] = await m.searchBatch(vectorOf(all[123].caption), 1, { mode: 'exact' });
  assert.equal(hits.rows[0], 123);
  assert.ok(Math.abs(hits.scores[0] - 1) < 2e-3, `float16 self-score ${hits.scores[0]}`);
  fs.rmSync(d, { recursive: true, force: true });
});

test('bad input is named and commits nothing; a wrong-dimension vector leaves earlier batches intact; damage is reported', async () => {
  const d = tmp();
  const bad = path.join(d, 'bad.jsonl');
  fs.writeFileSync(bad, '{"id":"a","caption":"chest"}\n{"id":"b"}\n');
  const mem = path.join(d, 'mem');
  await assert.rejects(buildLanceMemory(mem, bad, { embedder: toyEmbedder() }), /bad\.jsonl:2.*caption/);
  assert.ok(!fs.existsSync(path.join(mem, 'manifest.json')), 'nothing written');
  const esc = path.join(d, 'esc.jsonl');
  fs.writeFileSync(esc, '{"id":"a","caption":"chest","image":"../../etc/passwd"}\n');
  await assert.rejects(buildLanceMemory(mem, esc, { embedder: toyEmbedder() }), /esc\.jsonl:1 .*leaves the import root/);
  assert.ok(!fs.existsSync(path.join(mem, 'manifest.json')));

  const src = corpus(d, 300);
  let calls = 0;
  const wrongDim: Embedder = { id: 'test:toy', dim: DIM, embed: async (t) => (++calls > 2 ? t.map(() => new Float32Array(DIM - 1).fill(0.1)) : t.map(vectorOf)) };
  await assert.rejects(buildLanceMemory(mem, src, { embedder: wrongDim, batchRows: 100, index: { kind: 'none' } }), /row 200 \(id "e200"\): vector of dimension 31, the memory's is 32/);
  const r = await buildLanceMemory(mem, src, { embedder: toyEmbedder(), batchRows: 100, index: { kind: 'none' } });
  assert.equal(r.resumedFrom, 200, 'the two good batches stayed committed');
  // Another embedder cannot continue or add.
  await assert.rejects(addToLanceMemory(mem, src, { embedder: { ...toyEmbedder(), id: 'other' } }), /embedded with test:toy .* refusing embedder other/);
  // A damaged table: a data file cut short.
  const dataDir = path.join(mem, 'lance', 'entries.lance', 'data');
  const f = path.join(dataDir, fs.readdirSync(dataDir)[0]);
  fs.truncateSync(f, 100);
  await assert.rejects(
    (async () => {
      const m = await openLanceMemory(mem);
      await m.searchBatch(vectorOf('chest'), 5, { mode: 'exact' });
    })(),
    (err: Error) => err.message.startsWith(path.join(mem, 'lance') + ": cannot read the memory's table") && err.message.endsWith('the memory is damaged, rebuild it'),
  );
  fs.rmSync(d, { recursive: true, force: true });
});

test('duplicate ids are refused before anything is written: within a source, and against the rows already in the memory', async () => {
  const d = tmp();
  const mem = path.join(d, 'mem');
  const dup = path.join(d, 'dup.jsonl');
  fs.writeFileSync(dup, ['a', 'b', 'c', 'b'].map((id, i) => JSON.stringify({ id, caption: `chest ${i}` })).join('\n'));
  await assert.rejects(buildLanceMemory(mem, dup, { embedder: toyEmbedder(), index: { kind: 'none' } }), (e: Error) => e.message === `${dup}: entry 4: duplicate id "b", already used by ${dup}: entry 2; ids must be unique (nothing was written)`);
  assert.ok(!fs.existsSync(path.join(mem, 'manifest.json')), 'nothing written');

  const src = corpus(d, 300);
  await buildLanceMemory(mem, src, { embedder: toyEmbedder(), batchRows: 100, index: { kind: 'none' } });
  const again = path.join(d, 'again.jsonl');
  fs.writeFileSync(again, [JSON.stringify({ id: 'new1', caption: 'knee 1' }), JSON.stringify({ id: 'e17', caption: 'knee 2' })].join('\n'));
  const before = fs.readFileSync(path.join(mem, 'manifest.json'), 'utf8');
  await assert.rejects(addToLanceMemory(mem, again, { embedder: toyEmbedder(), index: { kind: 'none' } }), new RegExp(`again\\.jsonl: entry 2: duplicate id "e17", already used by row 17 of the memory`));
  assert.equal(fs.readFileSync(path.join(mem, 'manifest.json'), 'utf8'), before, 'the memory is unchanged');
  assert.equal((await openLanceMemory(mem)).size, 300);
  // Many distinct ids pass (the hash pass finds no false duplicate), and the add goes through.
  const more = path.join(d, 'more.jsonl');
  fs.writeFileSync(more, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ id: `m${i}`, caption: `skin ${i}` })).join('\n'));
  const r = await addToLanceMemory(mem, more, { embedder: toyEmbedder(), batchRows: 5_000, index: { kind: 'none' } });
  assert.equal(r.count, 20_300);
  fs.rmSync(d, { recursive: true, force: true });
});

test('retrieval over an on-disk memory equals the in-RAM pipeline over the same entries (dense exact, dedup, BM25 gate)', async () => {
  await initBackend();
  const d = tmp();
  // Repeated captions (identical vectors: ties at the threshold, and groups for the de-duplication).
  const rows = Array.from({ length: 400 }, (_, i) => ({ id: `e${i}`, caption: `${TOPICS[i % 6]} ${i % 9 === 0 ? 'effusion seen' : `finding ${i % 40}`}` }));
  const src = path.join(d, 'c.jsonl');
  fs.writeFileSync(src, rows.map((r) => JSON.stringify(r)).join('\n'));
  await buildLanceMemory(path.join(d, 'disk'), src, { embedder: toyEmbedder(), vectorType: 'float32', index: { kind: 'none' } });
  const ram = await buildMemory(path.join(d, 'ram'), rows, { embedder: toyEmbedder(), index: { kind: 'exact' } });
  const disk = await openLanceMemory(path.join(d, 'disk'));
  const source = { index: ram.index, caption: (r: number) => ram.entry(r).caption, size: ram.size };
  for (const q of ['chest effusion seen', 'knee finding 3', 'brain finding 17', 'skin']) {
    for (const mode of ['hierarchical', 'embedding'] as const) {
      const o = { k: 6, mode, stages: { rerank: false } };
      const want = await retrieve(source, q, vectorOf(q), o);
      const got = await retrieveFromLance(disk, q, vectorOf(q), { ...o, search: { mode: 'exact' } });
      assert.deepEqual(got.map((c) => c.row), want.map((c) => c.row), `${mode} "${q}"`);
      got.forEach((c, i) => assert.ok(Math.abs(c.dense - want[i].dense) < 1e-5));
    }
  }
  const bm = await retrieveFromLance(disk, 'effusion', vectorOf('effusion'), { k: 5, mode: 'bm25' });
  assert.ok(bm.length === 5 && bm.every((c) => c.row % 9 === 0));
  fs.rmSync(d, { recursive: true, force: true });
});
