/**
 * The zero-shot cache: through runProtocol with a learner that counts its evaluations (a second
 * run is a hit and evaluates nothing zero-shot, a changed key is a miss, a corrupt entry is an
 * error naming its file), its keys on the real mini model and tasks (a changed weight, task,
 * batch size or backend changes them), and evaluateMGTIL end to end (the cached row equals a
 * recomputed one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, currentBackend } from '../src/backend';
import { runProtocol, type ProtocolLearner, type ProtocolResult, type TaskEvaluation } from '../src/eval/protocol';
import { openZeroShotCache, zeroShotCacheFile, zeroShotKey, zeroShotKeyParts, type ZeroShotKeyParts } from '../src/eval/zero-shot-cache';
import { loadBenchmarkTasks } from '../src/benchmarks';
import { loadMiniModel } from '../src/foundation';
import { evaluateMGTIL } from '../src/experiment';
import type { ClassificationDataset } from '../src/data/types';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-zs-cache-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cells-cache');
const TASKS = ['a', 'b', 'c'];

/** Accuracy 40 + 10·d + 5·(tasks trained); counts evaluations before any training. */
class CountingLearner implements ProtocolLearner {
  trained = 0;
  zeroShotEvals = 0;
  evals = 0;
  async evaluate(d: number): Promise<TaskEvaluation> {
    this.evals++;
    if (this.trained === 0) this.zeroShotEvals++;
    const scores = new Float32Array([0.2 + d / 10, 0.8, 0.9, 0.1]);
    return { accuracy: 40 + 10 * d + 5 * this.trained, scores, labels: new Int32Array([1, 0]) };
  }
  async train(): Promise<void> {
    this.trained++;
  }
  async saveState(dir: string): Promise<void> {
    fs.writeFileSync(path.join(dir, 'n'), String(this.trained));
  }
  async loadState(dir: string): Promise<void> {
    this.trained = Number(fs.readFileSync(path.join(dir, 'n'), 'utf8'));
  }
}

/** Stand-in key parts: only the task name varies. */
const parts = (names: string[], weights = 'w0'): ZeroShotKeyParts[] =>
  names.map((name) => ({
    model: { preset: 'toy', weights, tokenizer: { kind: 'toy', contextLength: 8, vocabSize: 10 } },
    task: { name, classNames: ['x', 'y'], templates: ['{}'], split: { name: 'test', size: 2, labelsSha256: 'l', itemIdsSha256: null } },
    evaluation: { batchSize: 4, metrics: ['top1-accuracy', 'macro-ovr-auc'] },
    preprocess: { size: 4, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
    backend: null,
  }));

async function run(name: string, cacheDir: string, keyParts: ZeroShotKeyParts[]): Promise<{ r: ProtocolResult; learner: CountingLearner }> {
  const learner = new CountingLearner();
  const r = await runProtocol({ tasks: TASKS, learner, runDir: path.join(tmp, name), config: {}, seed: 1, zeroShotCache: openZeroShotCache(cacheDir, keyParts) });
  return { r, learner };
}

test('runProtocol with a zero-shot cache: a miss evaluates and stores, a second run reads and evaluates nothing zero-shot', async () => {
  const cacheDir = path.join(tmp, 'toy-cache');
  const first = await run('first', cacheDir, parts(TASKS));
  assert.equal(first.learner.zeroShotEvals, 3);
  assert.deepEqual(first.r.zeroShotCache?.cacheHit, [false, false, false]);
  assert.deepEqual(first.r.zeroShot, [40, 50, 60]);
  assert.equal(first.r.zeroShotCache?.keys.length, 3);
  for (const k of first.r.zeroShotCache!.keys) assert.ok(fs.existsSync(zeroShotCacheFile(cacheDir, k)));

  const second = await run('second', cacheDir, parts(TASKS));
  assert.equal(second.learner.zeroShotEvals, 0, 'a hit evaluates nothing before training');
  assert.equal(second.learner.evals, 9, 'the matrix rows are still evaluated');
  assert.deepEqual(second.r.zeroShotCache?.cacheHit, [true, true, true]);
  assert.deepEqual(second.r.zeroShot, first.r.zeroShot);
  assert.deepEqual(second.r.zeroShotAuc, first.r.zeroShotAuc);
  assert.deepEqual(second.r.matrix, first.r.matrix);
  assert.deepEqual(second.r.metrics, first.r.metrics, 'Transfer/FWT from the cached row are the same');
  // result.json records the cache use
  const saved = JSON.parse(fs.readFileSync(path.join(tmp, 'second', 'result.json'), 'utf8'));
  assert.deepEqual(saved.zeroShotCache, second.r.zeroShotCache);

  // Another model (weights) misses every task; one changed task misses that task only.
  const otherModel = await run('other-model', cacheDir, parts(TASKS, 'w1'));
  assert.deepEqual(otherModel.r.zeroShotCache?.cacheHit, [false, false, false]);
  const changed = parts(TASKS);
  changed[1].task.templates = ['a photo of {}'];
  const otherTask = await run('other-task', cacheDir, changed);
  assert.deepEqual(otherTask.r.zeroShotCache?.cacheHit, [true, false, true]);
  assert.equal(otherTask.learner.zeroShotEvals, 1);
});

test('a corrupt zero-shot cache entry is an error naming the file; a wrong key count is refused', async () => {
  const cacheDir = path.join(tmp, 'corrupt-cache');
  await run('c1', cacheDir, parts(TASKS));
  const file = zeroShotCacheFile(cacheDir, zeroShotKey(parts(TASKS)[1]));
  fs.writeFileSync(file, '{"key": "');
  await assert.rejects(run('c2', cacheDir, parts(TASKS)), (e: Error) => e.message.includes(file) && /invalid JSON/.test(e.message));
  fs.writeFileSync(file, JSON.stringify({ key: zeroShotKey(parts(TASKS)[1]), accuracy: 'high', auc: null }));
  await assert.rejects(run('c3', cacheDir, parts(TASKS)), (e: Error) => e.message.includes(file) && /not a valid zero-shot cache entry \(accuracy is "high"\); delete it to recompute/.test(e.message));
  fs.writeFileSync(file, JSON.stringify({ key: 'other', accuracy: 50, auc: null }));
  await assert.rejects(run('c4', cacheDir, parts(TASKS)), /holds key "other"/);
  await assert.rejects(run('c5', cacheDir, parts(['a', 'b'])), /zeroShotCache has 2 keys for 3 tasks/);
});

test('zero-shot keys of the mini model: stable, and changed by a weight, a task, the batch size, the backend, its device or threads', async () => {
  await initBackend();
  const model = await loadMiniModel();
  const tasks = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
  const opts = { batchSize: 128, preprocess: { size: 28, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] }, backend: currentBackend() };
  const keys = (m = model, t: ClassificationDataset[] = tasks, o = opts) => zeroShotKeyParts(m, t, o).map(zeroShotKey);
  const base = keys();
  assert.equal(new Set(base).size, 5, 'one key per task');
  assert.deepEqual(keys(), base, 'same inputs, same keys');
  // Order II holds the same tasks: the same entries, reordered.
  assert.deepEqual(new Set(keys(model, loadBenchmarkTasks('mini-mgtil', { order: 'II' }))), new Set(base));

  const changed = model.clone();
  const [name, v] = [...changed.namedVariables()].find(([n]) => n !== 'logit_scale')!;
  tf.tidy(() => v.assign(v.add(1e-3)));
  assert.ok(keys(changed).every((k, i) => k !== base[i]), `a changed weight (${name}) changes every key`);
  changed.dispose();

  const t0 = tasks[0];
  const renamed: ClassificationDataset = { name: t0.name, domain: t0.domain, classNames: ['normal', 'pneumonia (bacterial)'], templates: t0.templates, split: (s) => t0.split(s) };
  assert.notEqual(keys(model, [renamed, ...tasks.slice(1)])[0], base[0], 'changed class names');
  const retemplated: ClassificationDataset = { ...renamed, classNames: t0.classNames, templates: ['an image of {}'] };
  assert.notEqual(keys(model, [retemplated])[0], base[0], 'changed templates');
  const otherSplit: ClassificationDataset = { ...renamed, classNames: t0.classNames, split: () => t0.split('val') };
  assert.notEqual(keys(model, [otherSplit])[0], base[0], 'another test split');
  assert.ok(keys(model, tasks, { ...opts, batchSize: 64 }).every((k, i) => k !== base[i]), 'batch size');
  assert.ok(keys(model, tasks, { ...opts, backend: { ...opts.backend!, name: 'cpu', simd: false } }).every((k, i) => k !== base[i]), 'backend');
  assert.deepEqual(keys(model, tasks, { ...opts, backend: { ...opts.backend!, reason: 'forced by option' } }), base, 'why the backend was chosen does not matter');
  // Another thread count can split sums differently: its rows are its own.
  assert.ok(keys(model, tasks, { ...opts, backend: { ...opts.backend!, threads: 7 } }).every((k, i) => k !== base[i]), 'thread count');
  assert.ok(keys(model, tasks, { ...opts, backend: { ...opts.backend!, device: 'cuda:0' } }).every((k, i) => k !== base[i]), 'device');
  model.dispose();
});

/** evaluateMGTIL up to the zero-shot row (stopped before the first task trains); returns its result.json. */
async function zeroShotOnly(runDir: string, extra: Parameters<typeof evaluateMGTIL>[0] = {}): Promise<ProtocolResult> {
  const stop = new AbortController();
  await assert.rejects(
    evaluateMGTIL({
      method: 'finetune',
      runDir,
      ...extra,
      signal: stop.signal,
      progress: (e) => (e.label === 'evaluate zero-shot' && e.done === e.total ? stop.abort() : undefined),
    }),
    /aborted after 0 of 5 rows/,
  );
  return JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8'));
}

test('evaluateMGTIL: the zero-shot row is cached under the cache dir; the cached row equals a recomputed one', async () => {
  await initBackend();
  const first = await zeroShotOnly(path.join(tmp, 'mgtil-1'));
  assert.deepEqual(first.zeroShotCache?.cacheHit, [false, false, false, false, false]);
  assert.equal(fs.readdirSync(path.join(process.env.PRIMED_CACHE_DIR!, 'zero-shot')).length, 5);
  const second = await zeroShotOnly(path.join(tmp, 'mgtil-2'));
  assert.deepEqual(second.zeroShotCache?.cacheHit, [true, true, true, true, true]);
  assert.deepEqual(second.zeroShotCache?.keys, first.zeroShotCache?.keys);
  // Without the cache: evaluated again, and equal to what the cache gave, bit for bit.
  const fresh = await zeroShotOnly(path.join(tmp, 'mgtil-3'), { zeroShotCache: false });
  assert.equal(fresh.zeroShotCache, null);
  assert.deepEqual(fresh.zeroShot, second.zeroShot);
  assert.deepEqual(fresh.zeroShotAuc, second.zeroShotAuc);
  // A model with one weight changed misses.
  const model = await loadMiniModel();
  const v = model.namedVariables().get([...model.namedVariables().keys()].find((n) => n !== 'logit_scale')!)!;
  tf.tidy(() => v.assign(v.add(1e-3)));
  const other = await zeroShotOnly(path.join(tmp, 'mgtil-4'), { model });
  assert.deepEqual(other.zeroShotCache?.cacheHit, [false, false, false, false, false]);
  model.dispose();
});
