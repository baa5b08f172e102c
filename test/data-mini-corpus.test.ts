import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMiniCorpus } from '../src/data/mini-corpus';
import { loadBenchmarkTasks } from '../src/benchmarks';
import { readMedMnist } from '../src/data/medmnist';
import { bundledDataDir } from '../src/data/bundled';
import * as path from 'node:path';

const corpus = buildMiniCorpus({ seed: 1 });
const tasks = loadBenchmarkTasks('mini-mgtil');

test('no corpus image is in any task train or test split (by provenance id)', () => {
  const used = new Set<string>();
  for (const t of tasks) for (const s of ['train', 'test'] as const) for (const id of t.split(s).itemIds()) used.add(id);
  const images = corpus.filter((e) => e.image);
  assert.ok(images.length > 1000);
  const leaked = images.filter((e) => used.has(e.id));
  assert.deepEqual(leaked.map((e) => e.id), []);
  // Every image entry is accounted for: it is exactly a task's val item.
  const val = new Set(tasks.flatMap((t) => t.split('val').itemIds()));
  assert.ok(images.every((e) => val.has(e.id)));
  assert.equal(new Set(corpus.map((e) => e.id)).size, corpus.length, 'ids are unique');
});

test('corpus pixels are the source images (grey repeated to RGB)', () => {
  const raw = readMedMnist(path.join(bundledDataDir(), 'medmnist', 'pneumoniamnist.npz')).val!.images.data as Uint8Array;
  const e = corpus.find((x) => x.id === 'pneumoniamnist.npz/val/10')!;
  assert.equal(e.image!.channels, 3);
  assert.equal(e.image!.pixels.length, 28 * 28 * 3);
  for (const p of [0, 100, 783]) for (let c = 0; c < 3; c++) assert.equal(e.image!.pixels[p * 3 + c], raw[10 * 784 + p]);
  assert.equal(e.domain, 'chest X-ray');
});

test('captions mix modality-only and modality + finding, seeded', () => {
  const images = corpus.filter((e) => e.image);
  const withFinding = images.filter((e) => e.caption.includes(e.label!));
  const share = 1 - withFinding.length / images.length;
  assert.ok(share > 0.2 && share < 0.4, `modality-only share ${share}`);
  assert.ok(images.some((e) => e.caption === 'a chest X-ray'));
  assert.ok(images.some((e) => /^chest X-ray (showing|with|of) pneumonia$|^pneumonia on chest X-ray$/.test(e.caption)));
  const again = buildMiniCorpus({ seed: 1, includeRoco: false }).map((e) => e.caption);
  assert.deepEqual(again, images.map((e) => e.caption));
  assert.notDeepEqual(buildMiniCorpus({ seed: 2, includeRoco: false }).map((e) => e.caption), again);
});

test('ROCO captions join as text-only entries with their licence', () => {
  const roco = corpus.filter((e) => e.source === 'roco');
  assert.equal(roco.length, 7410);
  assert.ok(roco.every((e) => !e.image && e.caption.length > 0 && e.id.startsWith('roco/') && /^CC/.test(e.licence ?? '')));
});
