/**
 * Training from an on-disk (LanceDB) memory: the reference set PRIMED prepares from it equals the
 * one from an in-RAM memory of the same entries (rows, captions, pixels), images read back from
 * files and from WebDataset tar shards; `distill` trains from it; what cannot scan it says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { initBackend } from '../src/backend';
import { loadBenchmarkTasks } from '../src/benchmarks';
import { decodeImage, preprocessImage } from '../src/data/image';
import { prepareImage } from '../src/data/prepare';
import { distill, loadMemory, modelIdentity } from '../src/experiment';
import { loadMiniModel } from '../src/foundation';
import { buildMemory, addEntries } from '../src/memory/build';
import { importEntries } from '../src/memory/importers';
import { writeTar } from '../src/memory/importers/tar';
import { addToLanceMemory, buildLanceMemory, openLanceMemory, type LanceMemory } from '../src/memory/lance/store';
import { readQuestionPool } from '../src/memory/pool';
import { openAnyMemory, type Memory } from '../src/memory/store';
import { zsclMethod } from '../src/methods/zscl';
import type { DualEncoderLike } from '../src/model/types';
import { findTaskImagesInAnyMemory, findTaskImagesInMemory } from '../src/pipeline/sequence-checks';
import { prepareReference, visualScorerId, type ReferenceContext } from '../src/pipeline/reference';
import { referenceSetKey } from '../src/memory/reference-cache';
import { modelEmbedderId } from '../src/model/identity';
import { defaultRecipe } from '../src/recipes';
import { modelPreprocess } from '../src/train/preprocess';
import { Rng } from '../src/util/rng';
import { toyEmbedder, vectorOf } from './helpers/toy-embedder';
import { checkMemoryRetrieval, isOnDiskMemory } from '../src/memory/reference-set';
import { makeWorld } from './helpers/sequence';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-ref-lance-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');

const TOPICS = ['chest', 'breast', 'retina', 'skin', 'knee'];

/** A PNG of seeded noise: every entry's pixels differ from every other's. */
function noisePng(seed: string, w = 36, h = 30): Uint8Array {
  const rng = new Rng(seed);
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h * 4; i++) p.data[i] = i % 4 === 3 ? 255 : Math.floor(rng.next() * 256);
  return PNG.sync.write(p);
}

/**
 * A corpus of two sources: `files.jsonl` (image files under `img/`, a few text-only rows) and
 * `shards/` (two WebDataset shards, images as tar members). Returns the bytes written per caption.
 */
function writeCorpus(dir: string): { jsonl: string; shards: string; bytes: Map<string, Uint8Array>; fileRows: number } {
  const bytes = new Map<string, Uint8Array>();
  const lines: string[] = [];
  for (let i = 0; i < 30; i++) {
    const caption = `${TOPICS[i % 5]} file finding ${i}`;
    if (i % 7 === 6) {
      lines.push(JSON.stringify({ id: `f${i}`, caption, domain: TOPICS[i % 5] }));
      continue;
    }
    const rel = `img/f${i}.png`;
    const b = noisePng(caption);
    fs.mkdirSync(path.join(dir, 'img'), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), b);
    bytes.set(caption, b);
    lines.push(JSON.stringify({ id: `f${i}`, caption, image: rel, domain: TOPICS[i % 5] }));
  }
  const jsonl = path.join(dir, 'files.jsonl');
  fs.writeFileSync(jsonl, lines.join('\n') + '\n');
  const shards = path.join(dir, 'shards');
  fs.mkdirSync(shards, { recursive: true });
  for (let s = 0; s < 2; s++) {
    const members: { name: string; data: Uint8Array }[] = [];
    for (let i = 0; i < 15; i++) {
      const key = `s${s}-${String(i).padStart(3, '0')}`;
      const caption = `${TOPICS[(i + s) % 5]} shard finding ${s * 15 + i}`;
      members.push({ name: `${key}.json`, data: Buffer.from(JSON.stringify({ caption, domain: TOPICS[(i + s) % 5] })) });
      if (i % 5 === 4) continue; // text-only
      const b = noisePng(caption);
      bytes.set(caption, b);
      members.push({ name: `${key}.png`, data: b });
    }
    fs.writeFileSync(path.join(shards, `part-${s}.tar`), writeTar(members));
  }
  return { jsonl, shards, bytes, fileRows: lines.length };
}

/** The same entries, in the same row order, in an in-RAM memory and an exact, float32 on-disk memory. */
async function twoMemories(name: string): Promise<{ ram: Memory; disk: LanceMemory; bytes: Map<string, Uint8Array>; fileRows: number; corpus: string }> {
  const corpus = path.join(tmp, name);
  fs.mkdirSync(corpus, { recursive: true });
  const c = writeCorpus(corpus);
  const embedder = toyEmbedder();
  const files = importEntries(c.jsonl);
  const shards = importEntries(c.shards);
  let ram = await buildMemory(path.join(tmp, `${name}-ram`), files.entries, { embedder, imageRoot: files.root, index: { kind: 'exact' } });
  ram = await addEntries(ram, shards.entries, { embedder, imageRoot: shards.root });
  const diskDir = path.join(tmp, `${name}-disk`);
  await buildLanceMemory(diskDir, c.jsonl, { embedder, vectorType: 'float32', index: { kind: 'none' } });
  await addToLanceMemory(diskDir, c.shards, { embedder, vectorType: 'float32', index: { kind: 'none' } });
  const disk = await openAnyMemory(diskDir);
  assert.equal(disk.constructor.name, 'LanceMemory', 'openAnyMemory opens the on-disk memory');
  // loadMemory(dir), the notebooks' call, opens either engine, as the folder's manifest says.
  assert.equal((await loadMemory(diskDir)).constructor.name, 'LanceMemory');
  const ramAgain = await loadMemory(ram.dir);
  assert.ok(!isOnDiskMemory(ramAgain) && ramAgain.size === ram.size, 'loadMemory opens an in-RAM memory in RAM');
  return { ram, disk: disk as LanceMemory, bytes: c.bytes, fileRows: c.fileRows, corpus };
}

function context(memory: Memory | LanceMemory, model: DualEncoderLike, strategy: 'siphon' | 'uniform'): ReferenceContext {
  const recipe = defaultRecipe('mini-mgtil', 'mini');
  return {
    memory,
    initialModel: model,
    queryEmbedder: toyEmbedder(),
    // A third of the mini pool (every domain keeps questions): retrieval stays quick.
    pool: readQuestionPool(path.join(__dirname, '..', 'data', 'mini-question-pool.jsonl')).filter((_, i) => i % 3 === 0),
    cacheDir: path.join(tmp, 'cache', 'reference-sets'),
    strategy,
    siphon: recipe.siphon,
    uniformTotal: 24,
    preprocess: modelPreprocess(model, undefined, 'test'),
    seed: 7,
  };
}

test('the reference set from an on-disk memory equals the in-RAM one: rows, captions, bags and the pixels of file and tar-shard images', async () => {
  await initBackend();
  const { ram, disk, bytes, fileRows } = await twoMemories('equal');
  assert.equal(disk.size, ram.size);
  const model = await loadMiniModel();
  try {
    const [xray, second] = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
    let uniform: string[] = [];
    for (const strategy of ['siphon', 'uniform'] as const) {
      const earlier = strategy === 'siphon' ? [xray, second] : [];
      const want = await prepareReference(context(ram, model, strategy), earlier);
      const got = await prepareReference(context(disk, model, strategy), earlier);
      assert.ok(want.rows.length >= 8, `${strategy}: ${want.rows.length} pairs`);
      assert.deepEqual(got.rows, want.rows, `${strategy}: the same memory rows`);
      assert.deepEqual(got.batch.captions, want.batch.captions);
      assert.deepEqual(got.bags, want.bags);
      assert.deepEqual(got.batch.shape, want.batch.shape);
      assert.ok(got.batch.images.every((v, i) => v === want.batch.images[i]), `${strategy}: identical pixels`);
      assert.ok(want.rows.some((r) => r < fileRows) && want.rows.some((r) => r >= fileRows), `${strategy}: images from files and from tar shards`);
      // Each image is the one written for its caption (decoded independently of the memory), so an image not read back fails.
      const px = want.batch.images.length / want.rows.length;
      const pp = context(ram, model, strategy).preprocess;
      got.batch.captions.forEach((caption, i) => {
        const own = bytes.get(caption);
        assert.ok(own, `${caption}: an entry with an image`);
        const expect = preprocessImage(prepareImage(decodeImage(own, caption), { size: pp.size, channels: pp.channels }), pp);
        const have = got.batch.images.subarray(i * px, (i + 1) * px);
        assert.ok(have.every((v, j) => Math.abs(v - expect[j]) < 1e-6), `${caption}: its own pixels`);
      });
      assert.notEqual(got.key, want.key, 'an on-disk memory has its own cache identity');
      const again = await prepareReference(context(disk, model, strategy), earlier);
      assert.equal(again.cacheHit, true);
      assert.deepEqual(again.rows, got.rows);
      if (strategy === 'uniform') {
        uniform = got.batch.captions;
        // The in-RAM memory keys its reference sets as before on-disk memories existed (cached sets and recorded keys still match).
        const ctx = context(ram, model, strategy);
        const parts = {
          memory: { version: ram.manifest.version, entriesSha256: ram.manifest.entriesSha256, embedder: 'test:toy' },
          pool: ctx.pool.map((q) => [q.text, q.domain ?? null]),
          earlierTasks: [],
          options: { strategy, siphon: { ...ctx.siphon, seed: 7 }, retrieval: {}, uniformTotal: 24, uniformKeywords: undefined },
          visualScorer: visualScorerId(modelEmbedderId(model), ctx.preprocess),
          seed: 7,
        };
        assert.equal(want.key, referenceSetKey(parts));
      }
    }
    // The dense search mode is part of the on-disk memory's identity, and an in-RAM memory refuses the option.
    const exact = await prepareReference({ ...context(disk, model, 'uniform'), retrieval: { search: { mode: 'exact' } } }, []);
    assert.equal(exact.cacheHit, false, 'the search option is part of the key');
    assert.deepEqual(exact.batch.captions, uniform, 'exact is this memory\'s default mode (it has no vector index)');
    await assert.rejects(prepareReference({ ...context(ram, model, 'uniform'), retrieval: { search: { mode: 'exact' } } }, []), /retrieval option "search" applies to an on-disk \(LanceDB\) memory; .*equal-ram is an in-RAM memory/);
  } finally {
    model.dispose();
  }
});

test('image bytes read back from an on-disk memory: files relative to their source root, tar members; a missing file names the memory, row, id and path', async () => {
  await initBackend();
  const { ram, disk, corpus } = await twoMemories('bytes');
  const rows = Array.from({ length: disk.size }, (_, r) => r);
  const got = await disk.readImages(rows);
  rows.forEach((r) => {
    const want = ram.readImageBytes(r);
    assert.equal(got[r] === undefined, want === undefined, `row ${r}: text-only in both or in neither`);
    if (want) assert.ok(Buffer.from(got[r]!).equals(Buffer.from(want)), `row ${r}: the same bytes`);
  });
  assert.ok(got.filter(Boolean).length > 30, 'most rows have images');
  const locs = await disk.imageLocations(rows);
  assert.ok(locs.some((l) => l?.member && l.file === path.join(corpus, 'shards', 'part-1.tar')), 'tar members of the second shard');
  assert.ok(locs.some((l) => l && !l.member && l.file === path.join(corpus, 'img', 'f0.png')), 'a file under the first source root');
  fs.rmSync(path.join(corpus, 'img', 'f3.png'));
  const row = (await disk.entries(rows)).findIndex((e) => e.id === 'f3');
  await assert.rejects(disk.readImageBytes(row), (err: Error) => {
    assert.match(err.message, new RegExp(`${disk.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the image of row ${row} \\(id "f3"\\) is missing: .*img/f3\\.png does not exist`));
    return true;
  });
  assert.throws(() => ram.readImageBytes(row), /the image of row \d+ \(id "f3"\) is missing: .*img\/f3\.png/, 'the in-RAM memory names it the same way');
});

test('distill trains from an on-disk memory, leaving no tensors behind', async () => {
  await initBackend();
  const { disk } = await twoMemories('distill');
  const [xray, second] = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
  const model = await loadMiniModel();
  const initial = model.clone();
  try {
    const before = tf.memory().numTensors;
    const weights = modelIdentity(model);
    const recipe = { trainer: { steps: 3, batchSize: 8 }, referenceBatchSize: 8 };
    const r = await distill(model, second, { memory: disk, earlierTasks: [xray], initialModel: initial, queryEmbedder: toyEmbedder(), recipe });
    assert.ok(r.reference.size >= 8, `reference pairs: ${r.reference.size}`);
    assert.ok((await disk.readImages(r.reference.rows)).every((b) => b !== undefined), 'every reference row has an image');
    const last = r.train.history[r.train.history.length - 1];
    assert.ok(['ce', 'ckt', 'cmc'].every((k) => Number.isFinite(last[k])), `terms: ${JSON.stringify(last)}`);
    assert.notEqual(modelIdentity(model), weights, 'the model was trained');
    assert.equal(tf.memory().numTensors, before, 'no tensors leak from retrieval and training');
  } finally {
    initial.dispose();
    model.dispose();
  }
});

test('what would scan a whole on-disk memory: ZSCL asks for its sentences, the sequence check filters by path in LanceDB', async () => {
  await initBackend();
  const root = makeWorld(tmp, 'leak');
  fs.writeFileSync(path.join(root, 'mem.jsonl'), [
    { id: 'same-path', caption: 'a chest', image: 'chest/normal/img3.png' },
    { id: 'elsewhere', caption: 'a blood cell', image: 'blood/img/b2.png' },
    { id: 'text-only', caption: 'no image' },
  ].map((e) => JSON.stringify(e)).join('\n'));
  const dir = path.join(tmp, 'leak-disk');
  await buildLanceMemory(dir, path.join(root, 'mem.jsonl'), { embedder: toyEmbedder(), index: { kind: 'none' } });
  const disk = await openLanceMemory(dir);
  const tasks = loadBenchmarkTasks(path.join(root, 'seq.json'));
  const found = await findTaskImagesInAnyMemory(disk, tasks);
  assert.deepEqual(found.map((f) => [f.task, f.rows, f.examples]).sort(), [['blood', [1], ['elsewhere']], ['chest', [0], ['same-path']]]);
  // The in-RAM check gives the same for the same entries.
  const ram = await buildMemory(path.join(tmp, 'leak-ram'), importEntries(path.join(root, 'mem.jsonl')).entries, { embedder: toyEmbedder(), imageRoot: root });
  assert.deepEqual(findTaskImagesInMemory(ram, tasks).map((f) => [f.task, f.rows]).sort(), found.map((f) => [f.task, f.rows]).sort());

  assert.throws(() => zsclMethod.adaptToRecipe({}, { steps: 10, seed: 1, memory: disk }), /zscl: memory .*leak-disk is an on-disk \(LanceDB\) memory.*give the method option referenceTexts: 'batch'.*--set referenceTexts=batch/);
  assert.equal(zsclMethod.adaptToRecipe({ referenceTexts: 'batch' }, { steps: 10, seed: 1, memory: disk }).referenceTexts, 'batch');
  assert.deepEqual(zsclMethod.adaptToRecipe({}, { steps: 10, seed: 1, memory: ram }).referenceTexts, ['no image'], 'an in-RAM memory gives its text-only captions');
});

test('text-only rows are never dense or BM25 candidates of the reference path: exact scan, IVF-PQ index and full-text search filter them in LanceDB', async () => {
  await initBackend();
  const d = path.join(tmp, 'filter');
  fs.mkdirSync(d, { recursive: true });
  const rows = Array.from({ length: 300 }, (_, i) => ({ id: `e${i}`, caption: `${TOPICS[i % 5]} finding ${i}${i % 10 === 3 ? ' effusion' : ''}`, ...(i % 3 === 0 ? {} : { image: `img/e${i}.png` }) }));
  fs.writeFileSync(path.join(d, 'c.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
  fs.mkdirSync(path.join(d, 'img'));
  for (const r of rows) if (r.image) fs.writeFileSync(path.join(d, r.image), noisePng(r.id, 4, 4));
  const dir = path.join(d, 'mem');
  await buildLanceMemory(dir, path.join(d, 'c.jsonl'), { embedder: toyEmbedder(), vectorType: 'float32', index: { partitions: 4, subVectors: 8, nprobes: 4, refineFactor: 20 } });
  const disk = await openLanceMemory(dir);
  assert.equal(disk.defaultSearchMode, 'index');
  const withImage = (r: number) => r % 3 !== 0;
  const q = vectorOf('chest finding 10');
  // Oracle: cosine of every row with an image by a float64 loop, best 10 (ties by row).
  const score = (r: number) => vectorOf(rows[r].caption).reduce((a, x, j) => a + x * q[j], 0);
  const oracle = rows.map((_, r) => r).filter(withImage).sort((a, b) => score(b) - score(a) || a - b).slice(0, 10);
  const [exact] = await disk.searchBatch(q, 10, { mode: 'exact', imageOnly: true });
  assert.deepEqual(Array.from(exact.rows).slice(0, 10), oracle);
  const [all] = await disk.searchBatch(q, 10, { mode: 'exact' });
  assert.ok(Array.from(all.rows).some((r) => !withImage(r)), 'without the filter text-only rows compete');
  const [approx] = await disk.searchBatch(q, 10, { mode: 'index', imageOnly: true });
  assert.equal(approx.rows.length, 10);
  assert.ok(Array.from(approx.rows).every(withImage), `index hits: ${Array.from(approx.rows)}`);
  const bm = await disk.bm25('effusion', 10, { imageOnly: true });
  assert.ok(bm.length > 0 && bm.every((h) => withImage(h.row) && rows[h.row].caption.includes('effusion')), JSON.stringify(bm));
  // The reference path retrieves among rows with images, by the index (the memory's default) unless told otherwise.
  const [viaIndex] = await disk.retrieveBatch(['chest finding 10'], [q], { k: 10, mode: 'embedding' });
  assert.deepEqual(viaIndex.map((c) => c.row), Array.from(approx.rows).slice(0, 10));
  const [viaExact] = await disk.retrieveBatch(['chest finding 10'], [q], { k: 10, mode: 'embedding', search: { mode: 'exact' } });
  assert.deepEqual(viaExact.map((c) => c.row), oracle);
  assert.deepEqual(disk.cacheIdentity({}).search, { mode: 'index', nprobes: 4, refineFactor: 20 });
  assert.deepEqual(disk.cacheIdentity({ search: { mode: 'exact' } }).search, { mode: 'exact' });
  await assert.rejects(disk.searchBatch(q, 10, { mode: 'exakt' as 'exact' }), /search option "mode" must be exact or index, got "exakt"/);
});

test('retrieval options the memory cannot take are refused before anything runs, naming the option', async () => {
  await initBackend();
  const { ram, disk } = await twoMemories('options');
  assert.throws(() => checkMemoryRetrieval(ram, { search: { mode: 'exact' } }), /retrieval option "search" applies to an on-disk \(LanceDB\) memory; .*options-ram is an in-RAM memory/);
  assert.throws(() => checkMemoryRetrieval(disk, { search: { mode: 'exakt' as 'exact' } }), /retrieval option "search.mode" must be exact or index, got "exakt"/);
  checkMemoryRetrieval(disk, { search: { mode: 'index' } });
  checkMemoryRetrieval(ram, { mode: 'embedding' });
  const [xray, second] = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
  const model = await loadMiniModel();
  try {
    const weights = modelIdentity(model);
    await assert.rejects(distill(model, second, { memory: ram, earlierTasks: [xray], initialModel: model, queryEmbedder: toyEmbedder(), retrieval: { search: { mode: 'exact' } } }), /retrieval option "search" applies to an on-disk/);
    assert.equal(modelIdentity(model), weights, 'nothing was trained');
  } finally {
    model.dispose();
  }
});
