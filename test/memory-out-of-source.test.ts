/**
 * The out-of-source mini memory (issue 17): its images are none of the tasks' images, it covers
 * only the two domains its sources have, and a bad memory source is refused naming the option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { outOfSourceCorpus, checkMemorySource } from '../src/memory/out-of-source';
import { buildMiniCorpus, rawImageOf } from '../src/data/mini-corpus';
import { miniMgtil } from '../src/benchmarks/mini-mgtil';
import { loadTask } from '../src/benchmarks/load';
import { bundledDataDir } from '../src/data/bundled';
import { evaluateMGTIL } from '../src/experiment';

const hash = (px: Uint8Array) => createHash('sha1').update(px).digest('hex');

test('out-of-source corpus: 456 images of two other datasets (28×28 RGB) plus the ROCO captions as text-only rows', () => {
  const corpus = outOfSourceCorpus();
  const images = corpus.filter((e) => e.image);
  assert.equal(images.length, 364 + 92);
  assert.deepEqual([...new Set(images.map((e) => e.source))].sort(), ['bccd', 'covid_cxr_ccby3']);
  assert.deepEqual([...new Set(images.map((e) => e.domain))].sort(), ['blood cell microscopy', 'chest X-ray']);
  for (const e of images) assert.deepEqual([e.image!.height, e.image!.width, e.image!.channels], [28, 28, 3]);
  const text = corpus.filter((e) => !e.image);
  const roco = buildMiniCorpus({ seed: 0 }).filter((e) => e.source === 'roco');
  assert.equal(text.length, roco.length);
  assert.ok(text.every((e) => e.source === 'roco'));
  assert.equal(new Set(corpus.map((e) => e.id)).size, corpus.length, 'ids are unique');
});

test('out-of-source corpus: no image equals any image of any mini-MGTIL split (train, val or test)', () => {
  const taskHashes = new Set<string>();
  for (const task of miniMgtil.tasks) {
    const ds = loadTask(task, { root: bundledDataDir() });
    for (const name of ['train', 'val', 'test'] as const) {
      const split = ds.split(name);
      const n = split.labels().length;
      for (let i = 0; i < n; i++) taskHashes.add(hash(rawImageOf(split, i).pixels));
    }
  }
  assert.ok(taskHashes.size > 5000);
  // The check can fail: every image of the in-source corpus is found among the tasks' images.
  assert.ok(buildMiniCorpus({ seed: 0, includeRoco: false }).every((e) => taskHashes.has(hash(e.image!.pixels))));
  const clash = outOfSourceCorpus().filter((e) => e.image && taskHashes.has(hash(e.image.pixels)));
  assert.deepEqual(clash.map((e) => e.id), []);
});

test('memory source: bad values are refused naming the option', async () => {
  assert.equal(checkMemorySource('in-source'), undefined);
  assert.equal(checkMemorySource('out-of-source'), undefined);
  assert.match(checkMemorySource('outside', 'option --memory-source')!, /option --memory-source must be in-source or out-of-source.*"outside"/);
  await assert.rejects(evaluateMGTIL({ method: 'primed-dyn', memorySource: 'bogus' as never }), /option memorySource must be in-source or out-of-source/);
});
