/**
 * Model presets (primed-decisions.md §1): a model configuration, the tokenizer that goes with it,
 * and the image preprocessing its image tower expects. Presets are plain data; print them, save
 * them next to results, or pass a modified copy to `createModel`.
 */
import type { ImagePreprocess } from '../data/types';
import type { TokenizerSpec } from './tokenizers';
import { type ModelConfig, type ModelConfigInput, validateModelConfig } from './config';

/** How to build a tokenizer: `TokenizerSpec` of `src/model/tokenizers` (what `loadTokenizer` accepts). */
export type ModelTokenizerSpec = TokenizerSpec;

/** A named model: architecture, tokenizer and image preprocessing. */
export interface ModelPreset {
  /** Preset name, e.g. `mini`. */
  name: string;
  /** Architecture (validated by {@link validateModelConfig}). */
  model: ModelConfigInput;
  /** The tokenizer the text tower was trained with. */
  tokenizer: ModelTokenizerSpec;
  /** Image size and normalisation the image tower expects. */
  preprocess: ImagePreprocess;
}

/** OpenAI CLIP's normalisation, used by both large presets (BiomedCLIP's open_clip config uses it too). */
export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
/** OpenAI CLIP's per-channel standard deviation. */
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

/**
 * `mini`: biomedclip layout sized for 28×28 inputs on CPU. Patch 4 (49 tokens + CLS), width 64,
 * 2 layers and 4 heads per tower, embedding 64, context 32. The vocabulary size comes from the
 * mini tokenizer. Grey images are repeated to 3 channels and scaled to [-1, 1] (mean/std 0.5).
 */
export const MINI_PRESET: ModelPreset = {
  name: 'mini',
  model: {
    layout: 'biomedclip',
    embedDim: 64,
    vision: { imageSize: 28, patchSize: 4, width: 64, layers: 2, heads: 4, mlpDim: 256 },
    text: { contextLength: 32, maxPositions: 32, width: 64, layers: 2, heads: 4, mlpDim: 256 },
  },
  tokenizer: { kind: 'mini', contextLength: 32 },
  preprocess: { size: 28, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
};

/** `clip-vit-b16`: OpenAI CLIP ViT-B/16 (224 px, 12+12 layers, width 768 / 512, embedding 512). */
export const CLIP_VIT_B16_PRESET: ModelPreset = {
  name: 'clip-vit-b16',
  model: {
    layout: 'openai',
    embedDim: 512,
    vision: { imageSize: 224, patchSize: 16, width: 768, layers: 12, heads: 12, mlpDim: 3072 },
    text: { vocabSize: 49408, contextLength: 77, width: 512, layers: 12, heads: 8, mlpDim: 2048 },
    logitScaleInit: Math.log(1 / 0.07),
  },
  tokenizer: { kind: 'clip-bpe', contextLength: 77 },
  preprocess: { size: 224, channels: 3, mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD },
};

/**
 * `biomedclip`: BiomedCLIP-PubMedBERT_256-vit_base_patch16_224 (timm ViT-B/16 at 224 px +
 * PubMedBERT-base, vocabulary 30522, context 256, 512 positions, embedding 512).
 */
export const BIOMEDCLIP_PRESET: ModelPreset = {
  name: 'biomedclip',
  model: {
    layout: 'biomedclip',
    embedDim: 512,
    vision: { imageSize: 224, patchSize: 16, width: 768, layers: 12, heads: 12, mlpDim: 3072 },
    text: { vocabSize: 30522, contextLength: 256, maxPositions: 512, typeVocabSize: 2, width: 768, layers: 12, heads: 12, mlpDim: 3072, projHidden: 640 },
    logitScaleInit: Math.log(1 / 0.07),
  },
  tokenizer: { kind: 'wordpiece', vocabPath: 'data/tokenizers/vocab.txt', contextLength: 256, clean: 'open_clip', lowercase: true },
  preprocess: { size: 224, channels: 3, mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD },
};

/** Every preset by name. */
export const PRESETS: Readonly<Record<string, ModelPreset>> = {
  mini: MINI_PRESET,
  'clip-vit-b16': CLIP_VIT_B16_PRESET,
  biomedclip: BIOMEDCLIP_PRESET,
};

/** Names accepted by {@link getPreset}. */
export type PresetName = 'mini' | 'clip-vit-b16' | 'biomedclip';

/** A deep copy of the named preset; an unknown name is an error listing the known ones. */
export function getPreset(name: string): ModelPreset {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown model preset "${name}"; expected one of ${Object.keys(PRESETS).join(', ')}`);
  return structuredClone(p);
}

/** What `createModel` and `loadCheckpoint` accept: a preset name, a preset, or a bare model config. */
export type ModelSpecInput = string | ModelPreset | ModelConfigInput;

/** A preset with its model configuration validated and completed. */
export interface ResolvedPreset extends Omit<ModelPreset, 'model' | 'tokenizer'> {
  /** The complete configuration. */
  model: ModelConfig;
  /** The tokenizer spec, absent for a bare config. */
  tokenizer?: ModelTokenizerSpec;
}

/**
 * Resolves a preset name, preset or bare config into a validated {@link ResolvedPreset}. A bare
 * config gets the name `custom` and a preprocessing of its image size with OpenAI's mean/std.
 * @param vocabSizeFallback the tokenizer's vocabulary size, for configs that leave it out
 */
export function resolvePreset(spec: ModelSpecInput, vocabSizeFallback?: number): ResolvedPreset {
  if (typeof spec === 'string') spec = getPreset(spec);
  if (typeof spec !== 'object' || spec === null) throw new Error(`model preset: expected a name, a preset or a config, got ${JSON.stringify(spec)}`);
  if ('model' in spec) {
    const preset = spec as ModelPreset;
    const model = validateModelConfig(preset.model, `preset "${preset.name}" model`, vocabSizeFallback);
    validatePreprocess(preset.preprocess, `preset "${preset.name}" preprocess`, model);
    return { name: preset.name, model, tokenizer: preset.tokenizer, preprocess: preset.preprocess };
  }
  const model = validateModelConfig(spec, 'model config', vocabSizeFallback);
  const c = model.vision.channels;
  return {
    name: 'custom',
    model,
    preprocess: { size: model.vision.imageSize, channels: c, mean: OPENAI_CLIP_MEAN.slice(0, c), std: OPENAI_CLIP_STD.slice(0, c) },
  };
}

/** Checks an image preprocessing against the model it feeds; errors name the field. */
export function validatePreprocess(p: ImagePreprocess | undefined, where: string, model: ModelConfig): void {
  if (!p || typeof p !== 'object') throw new Error(`${where}: missing`);
  if (p.size !== model.vision.imageSize) throw new Error(`${where}.size (${p.size}) must equal vision.imageSize (${model.vision.imageSize})`);
  if (p.channels !== model.vision.channels) throw new Error(`${where}.channels (${p.channels}) must equal vision.channels (${model.vision.channels})`);
  for (const key of ['mean', 'std'] as const) {
    const v = p[key];
    if (!Array.isArray(v) || v.length !== p.channels || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      throw new Error(`${where}.${key} must be ${p.channels} finite numbers, got ${JSON.stringify(v)}`);
    }
  }
  if (p.std.some((s) => s <= 0)) throw new Error(`${where}.std must be positive, got ${JSON.stringify(p.std)}`);
}

/** The tokenizer spec a preset name or preset names (undefined for a bare config). */
export function presetTokenizerSpec(spec: ModelSpecInput): ModelTokenizerSpec | undefined {
  if (typeof spec === 'string') return getPreset(spec).tokenizer;
  return spec && typeof spec === 'object' && 'model' in spec ? spec.tokenizer : undefined;
}
