/**
 * The memory cells on the real bundled data: loadMemory builds the mini memory once and then
 * opens it; distill retrieves a Dynamic-Siphon reference set of matched image–caption pairs
 * (a cache hit the second time), trains with PRIMED on it and leaves no tensors behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { distill, loadMemory, trainTask, modelIdentity } from '../src/experiment';
import { initBackend } from '../src/backend';
import { loadBenchmarkTasks } from '../src/benchmarks';
import { loadMiniModel } from '../src/foundation';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-distill-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');

test('loadMemory builds the mini memory once, then reopens it; a missing directory is a clear error', async () => {
  await initBackend();
  const m1 = await loadMemory();
  assert.ok(m1.size > 8000, `entries: ${m1.size}`);
  const withImages = Array.from({ length: m1.size }, (_, r) => r).filter((r) => m1.readImageBytes(r) !== undefined).length;
  assert.ok(withImages > 1000 && withImages < m1.size, `image entries: ${withImages}`);
  const manifest = path.join(m1.dir, 'manifest.json');
  const mtime = fs.statSync(manifest).mtimeMs;
  const m2 = await loadMemory();
  assert.equal(m2.dir, m1.dir);
  assert.equal(fs.statSync(manifest).mtimeMs, mtime, 'the second call opens, it does not rebuild');
  await assert.rejects(loadMemory(path.join(tmp, 'nowhere')), /nowhere: no memory here/);
});

test('distill: a siphon reference set of matched pairs, cached, and a PRIMED step that frees its tensors', async () => {
  await initBackend();
  const memory = await loadMemory();
  const [xray, ultrasound] = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
  const model = await loadMiniModel();
  const initial = model.clone();
  await trainTask(model, xray, { method: 'finetune', recipe: { trainer: { steps: 2, batchSize: 8 } } });
  const before = tf.memory().numTensors;
  const weightsBefore = modelIdentity(model);
  const recipe = { trainer: { steps: 2, batchSize: 8 }, referenceBatchSize: 8 };
  const r1 = await distill(model, ultrasound, { memory, earlierTasks: [xray], initialModel: initial, recipe });
  assert.equal(r1.reference.cacheHit, false);
  assert.ok(r1.reference.size >= 8, `reference pairs: ${r1.reference.size}`);
  assert.ok((r1.reference.bags.task ?? 0) > 0, 'the task bag holds the earlier task labels');
  assert.ok((r1.reference.bags.general ?? 0) > 0, 'the general bag holds sampled pool questions');
  // Every reference row has an image (CKT and CMC need matched pairs).
  assert.ok(r1.reference.rows.every((row) => memory.readImageBytes(row) !== undefined));
  const last = r1.train.history[r1.train.history.length - 1];
  assert.ok(['ce', 'ckt', 'cmc', 'dfg'].every((k) => k in last), `terms: ${Object.keys(last)}`);
  assert.notEqual(modelIdentity(model), weightsBefore, 'the model was trained');
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from retrieval and training');
  const r2 = await distill(model, ultrasound, { memory, earlierTasks: [xray], initialModel: initial, recipe });
  assert.equal(r2.reference.cacheHit, true, 'the same inputs hit the reference-set cache');
  assert.equal(r2.reference.key, r1.reference.key);
  const r3 = await distill(model, ultrasound, { memory, earlierTasks: [xray], initialModel: initial, recipe: { ...recipe, siphon: { a: 3 } } });
  assert.equal(r3.reference.cacheHit, false, 'a changed siphon count is a miss');
  assert.notEqual(r3.reference.key, r1.reference.key);
  initial.dispose();
  model.dispose();
});
