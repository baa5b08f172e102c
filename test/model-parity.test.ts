import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadCheckpoint } from '../src/model/checkpoint';
import type { ModelConfigInput } from '../src/model/config';
import { fakeTokenizer } from './fixtures/model/test-helpers';

// Oracle: scripts/make_model_parity_fixture.py (PyTorch 1.13 re-statements of clip/model.py, timm
// ViT, HF BERT and open_clip heads) with random weights; outputs stored in test/fixtures/model.
const FIX = path.join(__dirname, 'fixtures', 'model');

interface Fixture {
  layout: 'openai' | 'biomedclip';
  config: ModelConfigInput;
  logitScale: number;
  imagesShape: [number, number, number, number];
  imagesNHWC: number[];
  ids: number[][];
  imageFeatures: number[][];
  textFeatures: number[][];
  imageEmbeddings: number[][];
  textEmbeddings: number[][];
}

function maxAbsDiff(a: ArrayLike<number>, b: number[][]): number {
  const flat = b.flat();
  assert.equal(a.length, flat.length);
  let m = 0;
  for (let i = 0; i < flat.length; i++) m = Math.max(m, Math.abs(a[i] - flat[i]));
  return m;
}

for (const tag of ['openai-tiny', 'biomedclip-tiny']) {
  test(`${tag}: image and text embeddings match PyTorch within 1e-4`, async () => {
    await initBackend();
    const fx = JSON.parse(fs.readFileSync(path.join(FIX, `${tag}.json`), 'utf8')) as Fixture;
    const tokenizer = fakeTokenizer(fx.config.text.vocabSize!, fx.config.text.contextLength, fx.layout);
    const model = await loadCheckpoint(path.join(FIX, `${tag}.safetensors`), { preset: fx.config, tokenizer });
    const start = tf.memory().numTensors;
    const images = tf.tensor4d(fx.imagesNHWC, fx.imagesShape);
    const ids = tf.tensor2d(fx.ids, undefined, 'int32');
    const [imgEmb, txtEmb, imgFeat, txtFeat, scale] = tf.tidy(() => [
      model.encodeImage(images), model.encodeText(ids), model.imageFeatures(images), model.textFeatures(ids), model.logitScale(),
    ]);
    const dImg = maxAbsDiff(imgEmb.dataSync(), fx.imageEmbeddings);
    const dTxt = maxAbsDiff(txtEmb.dataSync(), fx.textEmbeddings);
    assert.ok(dImg < 1e-4, `image embeddings differ by ${dImg}`);
    assert.ok(dTxt < 1e-4, `text embeddings differ by ${dTxt}`);
    // Unnormalised features too (relative tolerance: their scale is O(1..10)).
    const scaleOf = (m: number[][]) => Math.max(...m.flat().map(Math.abs));
    assert.ok(maxAbsDiff(imgFeat.dataSync(), fx.imageFeatures) < 1e-4 * scaleOf(fx.imageFeatures) * 10);
    assert.ok(maxAbsDiff(txtFeat.dataSync(), fx.textFeatures) < 1e-4 * scaleOf(fx.textFeatures) * 10);
    assert.ok(Math.abs(scale.dataSync()[0] - fx.logitScale) < 1e-3);
    tf.dispose([images, ids, imgEmb, txtEmb, imgFeat, txtFeat, scale]);
    assert.equal(tf.memory().numTensors, start, 'forward leaks no tensors');
    model.dispose();
  });
}

test('padding changes nothing in the biomedclip text tower (attention mask applied)', async () => {
  await initBackend();
  const fx = JSON.parse(fs.readFileSync(path.join(FIX, 'biomedclip-tiny.json'), 'utf8')) as Fixture;
  const model = await loadCheckpoint(path.join(FIX, 'biomedclip-tiny.safetensors'), { preset: fx.config, tokenizer: fakeTokenizer(100, 16) });
  const row = fx.ids[0]; // 5 words + [CLS] + [SEP], rest padding
  const used = row.findIndex((v) => v === 0);
  const [full, short] = tf.tidy(() => [
    model.encodeText(tf.tensor2d([row], undefined, 'int32')).dataSync(),
    model.encodeText(tf.tensor2d([row.slice(0, used)], undefined, 'int32')).dataSync(),
  ]);
  for (let i = 0; i < full.length; i++) assert.ok(Math.abs(full[i] - short[i]) < 1e-5);
  model.dispose();
});
