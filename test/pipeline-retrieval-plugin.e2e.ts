/**
 * Retrieval as a trainer plugin, on the bundled mini memory: its beforeTask prepares the task's
 * reference set (the one prepareReference gives for the same inputs, from the cache), the method
 * draws from it, another task's draw is refused; and two backbones querying one memory (the
 * second with the memory's own embedder) get different cached sets: the visual scorer is keyed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadMemory, trainTask } from '../src/experiment';
import { miniPool, referenceContext } from '../src/experiment/shared';
import { initBackend } from '../src/backend';
import { loadBenchmarkTasks } from '../src/benchmarks';
import { loadMiniModel } from '../src/foundation';
import { createMethod } from '../src/methods';
import { modelEmbedderId } from '../src/model/identity';
import { modelTextEmbedder } from '../src/memory/embedders/model';
import { prepareReference } from '../src/pipeline/reference';
import { retrievalPlugin } from '../src/pipeline/retrieval-plugin';
import { defaultRecipe, resolveRecipe } from '../src/recipes';
import { trainOnTask } from '../src/train/trainer';
import { modelPreprocess } from '../src/train/preprocess';
import { Rng } from '../src/util/rng';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-retrieval-plugin-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');

test('the retrieval plugin prepares the task\'s reference set before the method trains on it; a scorer of another backbone gets its own cached set', async () => {
  await initBackend();
  const [xray, ultrasound] = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
  const model = await loadMiniModel();
  const initial = model.clone();
  const memory = await loadMemory(undefined, { model: initial });
  const recipe = resolveRecipe(defaultRecipe('mini-mgtil', 'mini'), { trainer: { steps: 2, batchSize: 8 }, referenceBatchSize: 8 });
  const context = referenceContext(memory, initial, modelPreprocess(model, undefined, 'test'), recipe, 'siphon', 42, { pool: miniPool() });
  await trainTask(model, xray, { recipe: { trainer: { steps: 2, batchSize: 8 } } });

  const retrieval = retrievalPlugin(context, (t) => [xray, ultrasound].slice(0, t));
  const current = () => retrieval.current; // read afresh (the plugin sets it during training)
  assert.equal(current(), undefined, 'nothing prepared before the first task');
  const method = createMethod('primed-dyn', { referenceBatchSize: 8, referenceSet: retrieval.referenceSet });
  const before = tf.memory().numTensors;
  const trained = await trainOnTask(model, { taskIndex: 1, dataset: ultrasound }, { ...recipe.trainer, seed: 42, plugins: [retrieval, method] });
  method.dispose?.();
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  assert.ok(['ckt', 'cmc'].every((k) => k in trained.history[0]), 'PRIMED distilled on the prepared set');
  assert.equal(current()?.taskIndex, 1);
  const prepared = current()!.reference;
  assert.equal(prepared.cacheHit, false);
  // The plugin's set is prepareReference's for the same inputs (now from the cache).
  const direct = await prepareReference(context, [xray]);
  assert.equal(direct.cacheHit, true);
  assert.equal(direct.key, prepared.key);
  assert.deepEqual(direct.rows, prepared.rows);
  // A draw for a task the plugin did not prepare is refused.
  const request = { taskIndex: 2, step: 0, batchSize: 4, rng: new Rng(1), preprocess: context.preprocess };
  await assert.rejects(retrieval.referenceSet(request), /no reference set prepared for task 2/);
  const drawn = await retrieval.referenceSet({ ...request, taskIndex: 1 });
  assert.equal(drawn.shape[0], 4);
  assert.ok(drawn.captions.every((c) => prepared.rows.some((r) => memory.entry(r).caption === c)));

  // Another backbone (the trained model) reranks the same memory, its queries embedded by the memory's own embedder.
  const ownEmbedder = modelTextEmbedder(initial, { id: modelEmbedderId(initial) });
  const other = await prepareReference({ ...context, initialModel: model, queryEmbedder: ownEmbedder }, [xray]);
  assert.equal(other.cacheHit, false, 'another visual scorer is a miss');
  assert.notEqual(other.key, prepared.key);
  const otherAgain = await prepareReference({ ...context, initialModel: model, queryEmbedder: ownEmbedder }, [xray]);
  assert.equal(otherAgain.cacheHit, true, 'the same scorer hits');
  assert.equal(otherAgain.key, other.key);
  retrieval.dispose?.();
  assert.equal(current(), undefined, 'dispose drops the set');
  initial.dispose();
  model.dispose();
});
