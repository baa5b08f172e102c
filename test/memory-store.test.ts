import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { buildMemory, addEntries } from '../src/memory/build';
import { openMemory } from '../src/memory/store';
import { precomputedEmbedder } from '../src/memory/embedders/precomputed';
import { writeNpy } from '../src/data/npy';
import { fakeEmbedder } from './fixtures/memory/fake-embedder';
import type { ProgressEvent } from '../src/util/progress';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'primed-memory-'));
const entries = (n: number, prefix = 'e') =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, caption: `${prefix} ${['lung ct', 'brain mri', 'retina fundus', 'skin lesion'][i % 4]} case ${i}`, domain: 'x' }));

test('build, open, query and add: manifest, versions, embeddings and the index agree', async () => {
  const dir = path.join(tmp(), 'mem');
  const emb = fakeEmbedder(16);
  const events: ProgressEvent[] = [];
  const m1 = await buildMemory(dir, entries(40), { embedder: emb, progress: (e) => events.push(e) });
  assert.equal(m1.manifest.version, 1);
  assert.equal(m1.manifest.count, 40);
  assert.deepEqual(m1.manifest.embedder, { id: 'fake:bow-16', dim: 16 });
  assert.equal(m1.manifest.index.kind, 'exact');
  assert.ok(events.some((e) => e.label === 'embed captions' && e.done === 40));
  for (const f of ['manifest.json', 'entries.jsonl', 'text-embeddings.npy', 'index.json', 'index.exact.f32']) assert.ok(fs.existsSync(path.join(dir, f)), f);

  const opened = openMemory(dir);
  const [q] = await emb.embed(['e brain mri case 5']);
  const hits = opened.search(q, 1);
  assert.equal(opened.entry(hits.rows[0]).id, 'e5');
  assert.ok(Math.abs(hits.scores[0] - 1) < 1e-5);

  const m2 = await addEntries(opened, entries(10, 'f'), { embedder: emb });
  assert.equal(m2.manifest.version, 2);
  assert.equal(m2.size, 50);
  assert.equal(m2.entry(45).id, 'f5');
  const again = openMemory(dir);
  assert.equal(again.manifest.version, 2);
  const [q2] = await emb.embed(['f skin lesion case 7']);
  assert.equal(again.entry(again.search(q2, 1).rows[0]).id, 'f7');

  // Building over an existing memory continues its version.
  const m3 = await buildMemory(dir, entries(5), { embedder: emb, replace: true });
  assert.equal(m3.manifest.version, 3);
});

test('mixing embedders or dimensions in one memory is refused', async () => {
  const dir = path.join(tmp(), 'mem');
  const m = await buildMemory(dir, entries(8), { embedder: fakeEmbedder(16) });
  await assert.rejects(addEntries(m, entries(2, 'g'), { embedder: fakeEmbedder(32) }), /embedded with fake:bow-16 \(dimension 16\); refusing embedder fake:bow-32/);
  await assert.rejects(addEntries(m, entries(2, 'g'), { embedder: fakeEmbedder(16, 'other') }), /refusing embedder other/);
  await assert.rejects(addEntries(m, entries(2), { embedder: fakeEmbedder(16) }), /duplicate id "e0"/);
  assert.equal(openMemory(dir).manifest.version, 1); // refused adds changed nothing
});

test('auto switches the index to usearch when an add crosses the threshold; an auto HNSW index stays HNSW', async () => {
  const dir = path.join(tmp(), 'mem');
  const emb = fakeEmbedder(16);
  const m = await buildMemory(dir, entries(30), { embedder: emb, index: { kind: 'auto', autoThreshold: 50 } });
  assert.equal(m.manifest.index.kind, 'exact');
  const m2 = await addEntries(m, entries(30, 'h'), { embedder: emb });
  assert.equal(m2.manifest.index.kind, 'usearch');
  assert.ok(fs.existsSync(path.join(dir, 'index.usearch')) && !fs.existsSync(path.join(dir, 'index.exact.f32')));
  const [q] = await emb.embed(['h retina fundus case 10']);
  assert.equal(m2.entry(m2.search(q, 1).rows[0]).id, 'h10');

  // A memory whose auto choice was HNSW (hnswlib-node, before usearch was the default) is extended
  // as HNSW, not rebuilt as usearch.
  const old = path.join(tmp(), 'old');
  await buildMemory(old, entries(60), { embedder: emb, index: { kind: 'hnsw' } });
  const mf = path.join(old, 'manifest.json');
  const man = JSON.parse(fs.readFileSync(mf, 'utf8'));
  man.index.choice = 'auto';
  man.index.autoThreshold = 50;
  fs.writeFileSync(mf, JSON.stringify(man));
  const m3 = await addEntries(openMemory(old), entries(5, 'k'), { embedder: emb });
  assert.equal(m3.manifest.index.kind, 'hnsw');
  assert.equal(m3.size, 65);
});

test('precomputed .npy embeddings (float32 and float16) build a memory', async () => {
  const d = tmp();
  const f32 = Float32Array.from([3, 4, 0, 5, 0, 2]);
  fs.writeFileSync(path.join(d, 'e.npy'), writeNpy({ dtype: 'f4', shape: [3, 2], data: f32 }));
  const pre = precomputedEmbedder(path.join(d, 'e.npy'), { id: 'precomputed:test', texts: ['a', 'b', 'c'] });
  const m = await buildMemory(path.join(d, 'mem'), [{ id: '1', caption: 'a' }, { id: '2', caption: 'b' }, { id: '3', caption: 'c' }], { embedder: pre });
  assert.deepEqual(Array.from(m.textEmbedding(0)).map((x) => +x.toFixed(6)), [0.6, 0.8]);
  assert.deepEqual(Array.from(m.textEmbedding(2)), [0, 1]);
  await assert.rejects(buildMemory(path.join(d, 'mem2'), [{ id: '1', caption: 'a' }], { embedder: pre }), /e\.npy: holds 3 embeddings for 1 entries/);
  // float16: 1.0 = 0x3c00, 0 = 0x0000, written by hand as a NumPy '<f2' file.
  const half = writeNpy({ dtype: 'u2', shape: [1, 2], data: Uint16Array.from([0x3c00, 0]) });
  const text = Buffer.from(half).toString('latin1').replace("'<u2'", "'<f2'");
  fs.writeFileSync(path.join(d, 'h.npy'), Buffer.from(text, 'latin1'));
  const pre16 = precomputedEmbedder(path.join(d, 'h.npy'));
  assert.deepEqual(pre16.rowVectors(0, 1).map((v) => Array.from(v)), [[1, 0]]);
  assert.match(pre16.id, /^precomputed:[0-9a-f]{16}$/);
});

test('a memory whose writer is SIGKILLed mid-write is the old one or the new one, never half', async () => {
  const root = tmp();
  const dir = path.join(root, 'mem');
  await buildMemory(dir, entries(200), { embedder: fakeEmbedder(64) });
  const child = path.join(__dirname, 'fixtures', 'memory', 'kill-writer.ts');
  const outcomes: string[] = [];
  for (const delayMs of [0, 3, 15, 40, 2000]) {
    const before = openMemory(dir).manifest;
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir, '20000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    // Kill once the new folder is being written (its temp folder exists), after `delayMs`.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (fs.readdirSync(root).some((f) => f.startsWith('.mem.tmp-'))) {
          clearInterval(poll);
          setTimeout(() => {
            p.kill('SIGKILL');
            resolve();
          }, delayMs);
        }
      }, 1);
      p.on('exit', () => {
        clearInterval(poll);
        resolve();
      });
    });
    const code = await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.on('exit', r)));
    assert.ok(code === 0 || p.signalCode === 'SIGKILL', `writer failed: ${stderr}`);
    const m = openMemory(dir);
    const isOld = m.manifest.version === before.version && m.size === before.count;
    const isNew = m.manifest.version === before.version + 1 && m.size === before.count + 20000;
    assert.ok(isOld || isNew, `version ${m.manifest.version}, ${m.size} entries`);
    assert.equal(m.index.size(), m.size);
    outcomes.push(isNew ? 'new' : 'old');
  }
  assert.ok(outcomes.includes('old'), `no kill landed mid-write: ${outcomes}`);
});

test('a swap cut between its two renames (folder moved to .old-*, new one not yet in place) reopens the old memory', async () => {
  const root = tmp();
  const dir = path.join(root, 'mem');
  await buildMemory(dir, entries(12), { embedder: fakeEmbedder(16) });
  fs.renameSync(dir, `${dir}.old-999-1`);
  fs.mkdirSync(path.join(root, '.mem.tmp-abc')); // the unfinished new folder
  const m = openMemory(dir);
  assert.equal(m.size, 12);
  assert.equal(m.manifest.version, 1);
  assert.ok(!fs.existsSync(`${dir}.old-999-1`));
});

test('an in-RAM memory on usearch scores its hits exactly as the same memory on exact search does', async () => {
  const d = tmp();
  const emb = fakeEmbedder(64);
  const e = Array.from({ length: 400 }, (_, i) => ({ id: `r${i}`, caption: `case ${i} ${['lung ct nodule', 'brain mri lesion', 'retina fundus', 'skin lesion'][i % 4]} ${i % 7} ${i % 11}`, domain: 'x' }));
  const onGraph = await buildMemory(path.join(d, 'usearch'), e, { embedder: emb, index: { kind: 'usearch' } });
  const onExact = await buildMemory(path.join(d, 'exact'), e, { embedder: emb, index: { kind: 'exact' } });
  for (const m of [onGraph, openMemory(path.join(d, 'usearch'))]) {
    assert.equal(m.index.kind, 'usearch');
    for (const row of [0, 5, 123, 399]) {
      const q = m.textEmbedding(row);
      const got = m.search(q, 5);
      const want = onExact.search(q, 5);
      assert.deepEqual(Array.from(got.rows), Array.from(want.rows), `query row ${row}`);
      assert.deepEqual(Array.from(got.scores), Array.from(want.scores), `query row ${row}: the exact index's float32 scores, bit for bit`);
    }
  }
});
