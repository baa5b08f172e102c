/**
 * The torch backend's heavy cases (run by CI through `npm run test:e2e`, and by
 * bench/gpu/run.sh on a GPU): kernel coverage of everything primed runs (one step of every
 * method, an evaluation, a memory embedding) and a BiomedCLIP-sized PRIMED step. The addon must be
 * built (`npm run build:torch`): without it these tests fail and say so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { TORCH_KERNEL_NAMES } from '../src/backend/torch';
import { createMethod, METHOD_NAMES } from '../src/methods';
import { trainOnTask } from '../src/train/trainer';
import { classify } from '../src/eval/classify';
import { createModel } from '../src/model/create';
import { modelTextEmbedder } from '../src/memory/embedders/model';
import { makeDataset } from './fixtures/losses/fakes';
import { onTorch, refSet } from './helpers/torch';
import { fakeTokenizer } from './fixtures/model/test-helpers';

test('kernel coverage: one step of every method, an evaluation and a memory embedding run on torch', async () => {
  await onTorch();
  const used = new Set<string>();
  const eng = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const original = eng.runKernel.bind(eng);
  eng.runKernel = (name: string, ...rest: unknown[]) => {
    used.add(name);
    return original(name, ...rest);
  };
  try {
    const model = createModel('mini', { seed: 1, tokenizer: fakeTokenizer(500, 32) });
    const tasks = [
      { taskIndex: 0, dataset: makeDataset('toy-a', ['normal', 'pneumonia'], 6, 3, 28, 3) },
      { taskIndex: 1, dataset: makeDataset('toy-b', ['benign', 'malignant', 'normal'], 6, 4, 28, 3) },
    ];
    for (const name of METHOD_NAMES) {
      const opts: Record<string, unknown> = name.startsWith('primed') || name === 'zscl' ? { referenceSet: refSet(6, 28, 3), referenceBatchSize: 3 } : {};
      if (name === 'icarl') Object.assign(opts, { bufferSize: 4, replayBatchSize: 2 });
      const method = createMethod(name, opts);
      const clone = model.clone();
      for (const t of tasks) {
        const r = await trainOnTask(clone, t, { steps: 2, batchSize: 3, lr: 1e-4, warmup: 1, plugins: [method] });
        assert.ok(r.history.every((h) => Number.isFinite(h.total)), `${name}: finite losses`);
      }
      method.dispose?.();
      clone.dispose();
    }
    const result = await classify(model, tasks[0].dataset, { batchSize: 4 });
    assert.ok(result.accuracy >= 0 && result.accuracy <= 100);
    const embedder = modelTextEmbedder(model, { id: 'model:test' });
    const vectors = await embedder.embed(['chest x-ray with consolidation', 'fundus photograph']);
    assert.equal(vectors.length, 2);
    vectors.forEach((v) => assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5));
    model.dispose();
  } finally {
    eng.runKernel = original;
  }
  const missing = [...used].filter((k) => !TORCH_KERNEL_NAMES.includes(k));
  assert.deepEqual(missing, [], 'every kernel used is a torch kernel');
  assert.ok(used.size > 20, `kernels used: ${[...used].join(', ')}`);
});

test('a BiomedCLIP-sized PRIMED step (ViT-B/16 + PubMedBERT, random weights) runs on the CPU', async () => {
  await onTorch();
  const model = createModel('biomedclip', { seed: 3, tokenizer: fakeTokenizer(30522, 64) });
  assert.ok(model.namedVariables().size > 300, 'the full 12+12-layer model');
  const dataset = makeDataset('toy-224', ['normal', 'pneumonia'], 2, 6, 224, 3);
  const method = createMethod('primed-dyn', { referenceSet: refSet(2, 224, 3), referenceBatchSize: 2 });
  const before = model.namedVariables().get('visual.trunk.blocks.11.mlp.fc2.weight') ?? [...model.namedVariables().values()][10];
  const w0 = before.dataSync().slice(0, 64);
  const r = await trainOnTask(model, { taskIndex: 0, dataset }, { steps: 1, batchSize: 2, lr: 1e-4, warmup: 1, plugins: [method] });
  assert.equal(r.history.length, 1);
  const h = r.history[0];
  for (const term of ['total', 'ckt', 'cmc']) assert.ok(Number.isFinite(h[term]), `${term} = ${h[term]}`);
  const w1 = before.dataSync().slice(0, 64);
  assert.ok(w1.some((v, i) => v !== w0[i]), 'the step changed the weights');
  method.dispose!();
  model.dispose();
});
