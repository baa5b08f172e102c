/** CLIP pretraining (the mini foundation model's recipe) and run-recipe validation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { createModel, getPreset } from '../src/model';
import { buildMiniVocab } from '../src/model/tokenizers';
import { pretrainClip, type PretrainPair } from '../src/train/pretrain';
import { modelIdentity } from '../src/experiment';
import { defaultRecipe, resolveRecipe, MINI_RECIPE_RUN } from '../src/recipes';
import { Rng } from '../src/util/rng';

/** Eight captions, each with its own image pattern, in two groups. */
function toyPairs(): PretrainPair[] {
  const rng = new Rng(7);
  const words = ['lung', 'heart', 'bone', 'skin', 'eye', 'liver', 'cell', 'brain'];
  return words.map((w, k) => {
    const pixels = new Uint8Array(28 * 28 * 3);
    // A bright square at a position of its own per caption, on faint noise.
    for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(20);
    const [r0, c0] = [(k % 4) * 7, Math.floor(k / 4) * 14];
    for (let y = r0; y < r0 + 7; y++) for (let x = c0; x < c0 + 14; x++) for (let ch = 0; ch < 3; ch++) pixels[(y * 28 + x) * 3 + ch] = 250;
    return { caption: `a photo of the ${w}`, image: { pixels, height: 28, width: 28, channels: 3 }, group: k < 4 ? 'a' : 'b' };
  });
}

function tinyModel(seed: number) {
  const preset = getPreset('mini');
  const pairs = toyPairs();
  preset.tokenizer = { kind: 'mini', vocab: buildMiniVocab(pairs.map((p) => p.caption), { vocabSize: 64, minCount: 1 }), contextLength: 16 };
  preset.model.text = { ...preset.model.text!, contextLength: 16, maxPositions: 16, layers: 1 };
  preset.model.vision = { ...preset.model.vision!, layers: 1 };
  return createModel(preset, { seed });
}

test('pretrainClip lowers the contrastive loss, is deterministic for a seed, and frees its tensors', async () => {
  await initBackend();
  const pairs = toyPairs();
  const a = tinyModel(1);
  const before = tf.memory().numTensors;
  const r = await pretrainClip(a, pairs, { steps: 80, batchSize: 8, lr: 5e-4, warmup: 5, seed: 3 });
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  // Chance level of the symmetric InfoNCE over 4-8 pairs is 2·ln(B) ≈ 2.8-4.2; it must fall well below.
  assert.ok(r.lossEnd < r.lossStart * 0.7, `loss ${r.lossStart} -> ${r.lossEnd}`);
  const b = tinyModel(1);
  await pretrainClip(b, pairs, { steps: 80, batchSize: 8, lr: 5e-4, warmup: 5, seed: 3 });
  assert.equal(modelIdentity(b), modelIdentity(a), 'same seed, same weights');
  const c = tinyModel(1);
  await pretrainClip(c, pairs, { steps: 80, batchSize: 8, lr: 5e-4, warmup: 5, seed: 4 });
  assert.notEqual(modelIdentity(c), modelIdentity(a), 'another batch seed, other weights');
  await assert.rejects(pretrainClip(c, pairs, { steps: 0 }), /option steps must be a positive integer/);
  await assert.rejects(pretrainClip(c, pairs.slice(0, 1)), /at least 2 image–caption pairs/);
  await assert.rejects(pretrainClip(c, pairs, { groupBatchShare: 2 }), /option groupBatchShare/);
  for (const m of [a, b, c]) m.dispose();
});

test('run recipes: defaults per scale, deep overrides, and errors that name the field', () => {
  assert.deepEqual(defaultRecipe('mini-mgtil', 'mini'), MINI_RECIPE_RUN);
  const hmt = defaultRecipe('hieramedtransfer', 'paper');
  assert.deepEqual([hmt.trainer.steps, hmt.trainer.batchSize, hmt.trainer.lr, hmt.trainer.warmup], [1000, 64, 1e-5, 100]);
  assert.deepEqual(hmt.siphon, { a: 30, b: 30, c: 80, n: 50 });
  assert.deepEqual(defaultRecipe('medxtreme', 'paper').siphon, { a: 70, b: 70, c: 100, n: 50 });
  const r = resolveRecipe(MINI_RECIPE_RUN, { trainer: { steps: 7 }, siphon: { c: 2 } });
  assert.equal(r.trainer.steps, 7);
  assert.equal(r.trainer.lr, MINI_RECIPE_RUN.trainer.lr, 'other trainer fields keep their defaults');
  assert.deepEqual(r.siphon, { ...MINI_RECIPE_RUN.siphon, c: 2 });
  assert.throws(() => resolveRecipe(MINI_RECIPE_RUN, { trainer: { steps: 0 } }), /trainer\.steps must be a positive integer/);
  assert.throws(() => resolveRecipe(MINI_RECIPE_RUN, { trainer: { lr: -1 } }), /trainer\.lr must be > 0/);
  assert.throws(() => resolveRecipe(MINI_RECIPE_RUN, { siphon: { b: -2 } }), /siphon\.b must be a non-negative integer/);
  assert.throws(() => resolveRecipe(MINI_RECIPE_RUN, { bogus: 1 } as never), /unknown recipe field bogus/);
});
