import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { createModel } from '../src/model/create';
import { loadModel, saveModel } from '../src/model/checkpoint';
import type { ModelConfigInput } from '../src/model/config';
import { ZeroShotClassifier, buildPrompts } from '../src/model/zero-shot';
import { Rng } from '../src/util/rng';
import { fakeTokenizer } from './fixtures/model/test-helpers';

const TINY: ModelConfigInput = {
  layout: 'biomedclip', embedDim: 16, initStd: 0.2,
  vision: { imageSize: 8, patchSize: 4, width: 16, layers: 1, heads: 2 },
  text: { vocabSize: 60, contextLength: 8, width: 16, layers: 1, heads: 2 },
};

function images(n: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: n * 8 * 8 * 3 }, () => rng.normal()), [n, 8, 8, 3]);
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);

test('zero-shot logits equal logitScale · cos to the mean of normalised prompt embeddings (hand computation)', async () => {
  await initBackend();
  const model = createModel(TINY, { seed: 3, tokenizer: fakeTokenizer(60, 8) });
  const classes = ['pneumonia', 'normal lung', 'pleural effusion'];
  const templates = ['a photo of {}.', 'an x-ray showing {}', '{}'];
  const start = tf.memory().numTensors;
  const clf = new ZeroShotClassifier(model, classes, { templates, batchSize: 4 }); // 9 prompts over 3 batches
  assert.deepEqual(clf.classEmbeddings.shape, [3, 16]);
  const x = images(5, 1);

  // Independent path: one prompt at a time, averaging and normalising in plain JS.
  const classVecs = classes.map((c) => {
    const sum = new Array(16).fill(0);
    for (const t of templates) {
      const ids = tf.tensor2d([model.tokenizer.encode(t.replace('{}', c))], undefined, 'int32');
      const e = model.encodeText(ids);
      e.dataSync().forEach((v, i) => (sum[i] += v));
      tf.dispose([ids, e]);
    }
    const norm = Math.sqrt(dot(sum, sum));
    return sum.map((v) => v / norm);
  });
  const imgEmb = model.encodeImage(x);
  const img = imgEmb.arraySync();
  const scaleT = model.logitScale();
  const scale = scaleT.dataSync()[0];
  const expected = img.map((row) => classVecs.map((cv) => scale * dot(row, cv)));

  const logits = clf.logits(x);
  assert.deepEqual(logits.shape, [5, 3]);
  const got = logits.arraySync();
  for (let i = 0; i < 5; i++) for (let k = 0; k < 3; k++) assert.ok(Math.abs(got[i][k] - expected[i][k]) < 1e-3, `logit ${i},${k}: ${got[i][k]} vs ${expected[i][k]}`);
  const argmax = expected.map((r) => r.indexOf(Math.max(...r)));
  assert.deepEqual(Array.from(clf.predict(x)), argmax);
  tf.dispose([imgEmb, scaleT, logits, x]);
  clf.dispose();
  assert.equal(tf.memory().numTensors, start, 'classifier frees everything');
  model.dispose();
});

test('prompts are class-major; a template without {} is an error naming it', () => {
  assert.deepEqual(buildPrompts(['a', 'b'], ['x {}', '{} y']), ['x a', 'a y', 'x b', 'b y']);
  assert.throws(() => buildPrompts(['a'], ['no placeholder']), /template "no placeholder" has no "\{\}"/);
});

test('saveModel (F32) + loadModel reproduce the model exactly; config.json records preset and provenance', async () => {
  await initBackend();
  const tokenizer = fakeTokenizer(500, 32);
  const model = createModel('mini', { seed: 8, tokenizer });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-save-'));
  const out = path.join(dir, 'model');
  await saveModel(model, out);
  await saveModel(model, out); // replacing an existing directory works too
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(config.format, 'primed-model');
  assert.equal(config.preset.name, 'mini');
  assert.deepEqual(config.preset.tokenizer, { kind: 'mini', contextLength: 32 });
  assert.equal(config.preset.model.text.vocabSize, 500);
  assert.deepEqual(config.provenance.seed, 8);
  const again = await loadModel(out, { tokenizer });
  for (const [name, v] of model.namedVariables()) assert.deepEqual(again.namedVariables().get(name)!.dataSync(), v.dataSync(), name);
  const x = images(2, 5).resizeBilinear([28, 28]) as tf.Tensor4D;
  const [a, b] = [model.encodeImage(x), again.encodeImage(x)];
  assert.deepEqual(a.dataSync(), b.dataSync());
  tf.dispose([x, a, b]);
  fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ ...config, format: 'other' }));
  await assert.rejects(loadModel(out, { tokenizer }), /config\.json: format is "other", expected "primed-model"/);
  model.dispose();
  again.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
