import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { torchMemory } from '../src/backend/torch';
import { createModel } from '../src/model/create';
import type { DualEncoder } from '../src/model/dual-encoder';
import { LOGIT_SCALE } from '../src/model/dual-encoder';
import { Rng } from '../src/util/rng';
import { fakeTokenizer } from './fixtures/model/test-helpers';

function batch(model: DualEncoder, n: number, seed: number) {
  const rng = new Rng(seed);
  const s = model.imageSize;
  const images = tf.tensor4d(Float32Array.from({ length: n * s * s * 3 }, () => rng.normal()), [n, s, s, 3]);
  const texts = Array.from({ length: n }, (_, i) => `a chest x-ray photo of class ${i % 5} finding ${rng.int(50)}`);
  const ids = tf.tensor2d(model.tokenizer.encodeBatch(texts), [n, model.tokenizer.contextLength], 'int32');
  return { images, ids };
}

/** Symmetric InfoNCE over the batch: the CLIP loss. */
function clipLoss(model: DualEncoder, images: tf.Tensor4D, ids: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const logits = tf.mul(tf.matMul(model.encodeImage(images), model.encodeText(ids), false, true), model.logitScale());
    const labels = tf.oneHot(tf.range(0, images.shape[0], 1, 'int32'), images.shape[0]);
    return tf.div(tf.add(tf.losses.softmaxCrossEntropy(labels, logits), tf.losses.softmaxCrossEntropy(labels, logits.transpose())), 2) as tf.Scalar;
  });
}

function sgdStep(model: DualEncoder, images: tf.Tensor4D, ids: tf.Tensor2D, lr: number): number {
  const vars = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => clipLoss(model, images, ids), vars);
  tf.tidy(() => {
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
  });
  const loss = value.dataSync()[0];
  value.dispose();
  tf.dispose(Object.values(grads));
  return loss;
}

test('mini preset: a training step leaves tf.memory().numTensors unchanged and lowers the loss', async () => {
  await initBackend();
  const model = createModel('mini', { seed: 1, tokenizer: fakeTokenizer(500, 32) });
  const { images, ids } = batch(model, 8, 3);
  const before = tf.memory().numTensors;
  const nativeBefore = torchMemory(); // libtorch's tensors and bytes on the torch backend
  const losses = [0, 1, 2, 3, 4].map(() => sgdStep(model, images, ids, 0.05));
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked by loss + variableGrads + update');
  if (nativeBefore) assert.deepEqual(torchMemory(), nativeBefore, 'libtorch tensors and bytes are back where they started');
  assert.ok(losses[4] < losses[0], `loss decreases: ${losses.join(', ')}`);
  tf.dispose([images, ids]);
  model.dispose();
});

test('logit_scale is not trainable by default; frozenPrefixes freeze a tower; clone owns its variables', async () => {
  await initBackend();
  const tokenizer = fakeTokenizer(500, 32);
  const model = createModel('mini', { seed: 1, tokenizer });
  const named = model.namedVariables();
  const trainable = new Set(model.trainableVariables());
  assert.equal(trainable.size, named.size - 1);
  assert.ok(!trainable.has(named.get(LOGIT_SCALE)!));
  const scale = model.logitScale();
  assert.ok(Math.abs(scale.dataSync()[0] - 1 / 0.07) < 1e-3, 'logitScale() = exp(ln(1/0.07))');
  scale.dispose();

  const preset = structuredClone(model.preset) as unknown as { name: string; model: Record<string, unknown>; tokenizer: never; preprocess: never };
  preset.model.frozenPrefixes = ['visual.'];
  const frozen = createModel(preset as never, { seed: 1, tokenizer });
  assert.ok(frozen.trainableVariables().length > 0);
  const frozenNames = [...frozen.namedVariables()].filter(([, v]) => !frozen.trainableVariables().includes(v)).map(([n]) => n);
  assert.ok(frozenNames.every((n) => n.startsWith('visual.') || n === LOGIT_SCALE));
  assert.ok(frozenNames.includes('visual.trunk.patch_embed.proj.weight'));
  frozen.dispose();

  const copy = model.clone();
  const { images, ids } = batch(model, 4, 9);
  sgdStep(copy, images, ids, 0.1);
  const w = 'visual.head.proj.weight';
  const a = named.get(w)!.dataSync();
  const b = copy.namedVariables().get(w)!.dataSync();
  assert.ok(a.some((x, i) => x !== b[i]), 'training the clone changed the clone');
  const again = createModel('mini', { seed: 1, tokenizer });
  assert.deepEqual(Array.from(again.namedVariables().get(w)!.dataSync()), Array.from(a), 'the original is untouched and init is seeded');
  copy.dispose();
  again.dispose();
  tf.dispose([images, ids]);
  model.dispose();
});
