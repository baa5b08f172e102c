import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { initBackend } from '../src/backend';
import { miniQuestionPool, buildMiniMemory } from '../src/memory/mini';
import { readQuestionPool } from '../src/memory/pool';
import { modelTextEmbedder } from '../src/memory/embedders/model';
import type { DualEncoderLike, Tokenizer } from '../src/model/types';

const CTX = 6;
const VOCAB = 32;
const DIM = 4;
const table = Array.from({ length: VOCAB }, (_, i) => [Math.sin(i + 1), Math.cos(i * 2 + 1), (i % 5) - 2, 1 + (i % 3)]);
const ids = (t: string) => Array.from({ length: CTX }, (_, j) => (j < t.length ? t.charCodeAt(j) % VOCAB : 0));

/** A tiny text tower: mean of token-embedding rows, normalised. Only encodeText is real. */
function fakeModel(): DualEncoderLike {
  const tokenizer: Tokenizer = {
    kind: 'fake-char',
    contextLength: CTX,
    vocabSize: VOCAB,
    encode: ids,
    encodeBatch: (texts) => Int32Array.from(texts.flatMap(ids)),
  };
  const emb = tf.tensor2d(table);
  const unused = () => {
    throw new Error('not used');
  };
  return {
    imageSize: 8,
    imageChannels: 3,
    embedDim: DIM,
    tokenizer,
    encodeText: (x) => tf.tidy(() => {
      const m = tf.gather(emb, x).mean(1) as tf.Tensor2D;
      return tf.div(m, tf.norm(m, 2, 1, true)) as tf.Tensor2D;
    }),
    encodeImage: unused,
    logitScale: unused,
    namedVariables: unused,
    trainableVariables: unused,
    clone: unused,
    dispose: () => emb.dispose(),
  };
}

/** Plain-JS oracle of the fake tower. */
function expected(t: string): number[] {
  const rows = ids(t).map((i) => table[i]);
  const mean = [0, 1, 2, 3].map((j) => rows.reduce((s, r) => s + r[j], 0) / CTX);
  const n = Math.hypot(...mean);
  return mean.map((x) => x / n);
}

test('the committed mini question pool is the generated one: 150-300 questions over the mini domains and others', () => {
  const pool = miniQuestionPool();
  assert.deepEqual(readQuestionPool(path.join(__dirname, '..', 'data', 'mini-question-pool.jsonl')), pool);
  assert.ok(pool.length >= 150 && pool.length <= 300, `${pool.length} questions`);
  const domains = new Set(pool.map((q) => q.domain));
  for (const d of ['chest X-ray', 'ultrasound', 'fundus', 'pathology', 'blood cell microscopy', 'CT', 'MRI', 'dermoscopy']) assert.ok(domains.has(d), d);
  assert.equal(new Set(pool.map((q) => q.text)).size, pool.length);
  assert.ok(pool.every((q) => q.text === `a ${q.domain} photo of ${q.finding}`));
});

test('model text embedder batches through the text tower, matches a plain-JS oracle, and frees its tensors', async () => {
  await initBackend();
  const model = fakeModel();
  const start = tf.memory().numTensors;
  const e = modelTextEmbedder(model, { id: 'model:fake', batchSize: 2 });
  const texts = ['lung', 'brain mri', 'a', 'fundus photo', 'xyz'];
  const out = await e.embed(texts);
  assert.equal(tf.memory().numTensors, start);
  texts.forEach((t, i) => expected(t).forEach((v, j) => assert.ok(Math.abs(out[i][j] - v) < 1e-5, `${t}[${j}]`)));
  model.dispose();
});

test('mini memory: corpus images stored as PNG inside the memory, captions embedded by the text tower', async () => {
  await initBackend();
  const model = fakeModel();
  const pixels = Uint8Array.from({ length: 4 * 4 }, (_, i) => i * 10);
  const corpus = [
    { id: 'pneu-1', caption: 'a chest X-ray photo of pneumonia', image: { pixels, height: 4, width: 4, channels: 1 }, domain: 'chest X-ray', source: 'pneumoniamnist', label: 1 },
    { id: 'roco-1', caption: 'CT of the abdomen', domain: 'CT', source: 'roco' },
  ];
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'primed-mini-')), 'mem');
  const m = await buildMiniMemory(dir, { corpus, model, embedderId: 'model:fake' });
  assert.equal(m.size, 2);
  assert.equal(m.manifest.index.kind, 'exact');
  const png = PNG.sync.read(Buffer.from(m.readImageBytes(0)!));
  assert.deepEqual([png.width, png.height], [4, 4]);
  assert.deepEqual(Array.from({ length: 16 }, (_, i) => png.data[i * 4]), Array.from(pixels));
  assert.equal(m.readImageBytes(1), undefined);
  assert.deepEqual(m.entry(0).meta, { source: 'pneumoniamnist', label: 1 });
  expected(corpus[1].caption).forEach((v, j) => assert.ok(Math.abs(m.textEmbedding(1)[j] - v) < 1e-5));
  model.dispose();
});
