import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPreset, resolvePreset } from '../src/model/presets';
import { paramSpecs } from '../src/model/dual-encoder';

test('the large presets have the published sizes and OpenAI CLIP normalisation', () => {
  const clip = resolvePreset('clip-vit-b16');
  assert.equal(clip.model.layout, 'openai');
  assert.deepEqual([clip.model.vision.imageSize, clip.model.vision.patchSize, clip.model.vision.width, clip.model.vision.layers, clip.model.vision.heads], [224, 16, 768, 12, 12]);
  assert.deepEqual([clip.model.text.width, clip.model.text.heads, clip.model.text.layers, clip.model.text.contextLength, clip.model.text.vocabSize], [512, 8, 12, 77, 49408]);
  const bio = resolvePreset('biomedclip');
  assert.deepEqual([bio.model.text.vocabSize, bio.model.text.contextLength, bio.model.text.maxPositions, bio.model.text.projHidden, bio.model.embedDim], [30522, 256, 512, 640, 512]);
  for (const p of [clip, bio]) assert.deepEqual(p.preprocess.mean, [0.48145466, 0.4578275, 0.40821073]);
  assert.equal(Math.exp(clip.model.logitScaleInit).toFixed(4), (1 / 0.07).toFixed(4));
  // Parameter counts of the real checkpoints (keys.json num_parameters).
  const count = (c: typeof clip) => paramSpecs(c.model).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  assert.equal(count(clip), 149620737);
  assert.equal(count(bio), 195902721);
});

test('mini takes its vocabulary from the tokenizer and is CPU-sized', () => {
  assert.throws(() => resolvePreset('mini'), /preset "mini" model\.text\.vocabSize is missing/);
  const mini = resolvePreset('mini', 321);
  assert.equal(mini.model.text.vocabSize, 321);
  assert.equal(mini.model.vision.imageSize, 28);
  assert.equal(mini.preprocess.size, 28);
});

test('invalid configs fail with the field named', () => {
  const bad = (edit: (p: ReturnType<typeof getPreset>) => void) => {
    const p = getPreset('clip-vit-b16');
    edit(p);
    return () => resolvePreset(p);
  };
  assert.throws(bad((p) => ((p.model.vision as { width: unknown }).width = -3)), /preset "clip-vit-b16" model\.vision\.width must be a positive integer, got -3/);
  assert.throws(bad((p) => (p.model.vision.imageSize = 225)), /vision\.imageSize \(225\) must be a multiple of vision\.patchSize \(16\)/);
  assert.throws(bad((p) => (p.model.text.heads = 7)), /text\.heads \(7\) must divide text\.width \(512\)/);
  assert.throws(bad((p) => ((p.model as unknown as Record<string, unknown>).layout = 'vit')), /model\.layout must be one of openai, biomedclip, got "vit"/);
  assert.throws(bad((p) => ((p.model.text as Record<string, unknown>).colour = 1)), /model\.text: unknown field "colour"/);
  assert.throws(bad((p) => (p.preprocess.size = 32)), /preprocess\.size \(32\) must equal vision\.imageSize \(224\)/);
  assert.throws(() => resolvePreset('nope'), /unknown model preset "nope"; expected one of mini, clip-vit-b16, biomedclip/);
});
