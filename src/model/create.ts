/** `createModel`: a freshly initialised dual encoder from a preset or config. */
import type { Tokenizer } from './types';
import { DualEncoder } from './dual-encoder';
import { randomInitSource } from './params';
import { type ModelSpecInput, presetTokenizerSpec, resolvePreset } from './presets';
import { tokenizerFromSpec } from './tokenizer-from-spec';

/** Options of {@link createModel}. */
export interface CreateModelOptions {
  /** Seed of the initialisation (each parameter draws from a stream derived from it and its name). */
  seed: number;
  /** The tokenizer; default: built from the preset's tokenizer spec. Its vocabulary size fills a missing `text.vocabSize`. */
  tokenizer?: Tokenizer;
}

/**
 * A dual encoder with seeded CLIP-like initialisation (weights N(0, initStd²), biases 0, LayerNorm
 * 1/0, `logit_scale = logitScaleInit`).
 * @param spec a preset name (`mini`, `clip-vit-b16`, `biomedclip`), a preset, or a model config
 */
export function createModel(spec: ModelSpecInput, options: CreateModelOptions): DualEncoder {
  if (!Number.isInteger(options?.seed)) throw new Error(`createModel: options.seed must be an integer, got ${JSON.stringify(options?.seed)}`);
  const tokenizer = options.tokenizer ?? tokenizerFromSpec(presetTokenizerSpec(spec), 'createModel');
  const preset = resolvePreset(spec, tokenizer.vocabSize);
  const source = randomInitSource({ seed: options.seed, std: preset.model.initStd, logitScaleInit: preset.model.logitScaleInit });
  return new DualEncoder(preset, tokenizer, source, { from: 'init', preset: preset.name, seed: options.seed });
}
