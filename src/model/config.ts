/**
 * Model configuration: typed, validated data with documented defaults. `validateModelConfig`
 * turns a partial, possibly untrusted object (a preset, a `config.json`) into a complete
 * {@link ModelConfig}, or throws an error naming the offending field.
 */

/**
 * Parameter naming and block layout.
 * - `openai`: OpenAI CLIP (pre-LN, QuickGELU, LayerNorm eps 1e-5, causal text mask, EOT pooling).
 * - `biomedclip`: open_clip CustomTextCLIP: timm ViT (eps 1e-6, exact GELU) + HF BERT (post-LN,
 *   eps 1e-12, padding mask `ids != padId`, CLS pooling) with an MLP text projection.
 */
export type ModelLayout = 'openai' | 'biomedclip';

/** The layouts, for validation and help texts. */
export const MODEL_LAYOUTS: readonly ModelLayout[] = ['openai', 'biomedclip'];

/** Image tower (ViT) sizes. */
export interface VisionConfig {
  /** Input side length in pixels; a multiple of `patchSize`. */
  imageSize: number;
  /** Patch side length. */
  patchSize: number;
  /** Input channels. Default 3. */
  channels: number;
  /** Token width. */
  width: number;
  /** Transformer layers. */
  layers: number;
  /** Attention heads; divides `width`. */
  heads: number;
  /** MLP hidden size. Default `4 * width`. */
  mlpDim: number;
}

/** Text tower (transformer) sizes. */
export interface TextConfig {
  /** Embedding rows (token ids must be below it). Presets may leave it to the tokenizer. */
  vocabSize: number;
  /** Token ids per text (the tokenizer's context length). */
  contextLength: number;
  /**
   * Rows of the position table. `openai`: equal to `contextLength` (the checkpoint stores exactly
   * that many). `biomedclip`: BERT's `max_position_embeddings` (512 for PubMedBERT). Default
   * `contextLength`.
   */
  maxPositions: number;
  /** BERT token-type rows (`biomedclip` only; type 0 is used). Default 2. */
  typeVocabSize: number;
  /** Token width. */
  width: number;
  /** Transformer layers. */
  layers: number;
  /** Attention heads; divides `width`. */
  heads: number;
  /** MLP hidden size. Default `4 * width`. */
  mlpDim: number;
  /**
   * Hidden size of the `biomedclip` MLP projection (`text.proj.0`). Default
   * `floor((width + embedDim) / 2)`, open_clip's rule (640 for BiomedCLIP).
   */
  projHidden: number;
  /** Padding id: positions holding it are masked out (`biomedclip`). Default 0. */
  padId: number;
}

/** A complete model configuration. */
export interface ModelConfig {
  /** Parameter naming and block layout. */
  layout: ModelLayout;
  /** Embedding dimension after projection. */
  embedDim: number;
  /** Image tower. */
  vision: VisionConfig;
  /** Text tower. */
  text: TextConfig;
  /** Initial `logit_scale` (log space). Default `ln(1 / 0.07)` as in CLIP. */
  logitScaleInit: number;
  /** Whether training updates `logit_scale`. Default false (ZSCL's `whole` mode, primed-decisions §1). */
  trainLogitScale: boolean;
  /** Standard deviation of the random initialisation of weights and embeddings. Default 0.02. */
  initStd: number;
  /**
   * Parameter-name prefixes that training leaves frozen, e.g. `["visual."]` to freeze the image
   * tower, or `["transformer.resblocks.0.", "transformer.resblocks.1."]`. Default `[]`.
   */
  frozenPrefixes: string[];
}

/** What a caller may give: every field with a default is optional. */
export interface ModelConfigInput {
  /** See {@link ModelConfig.layout}. */
  layout: ModelLayout;
  /** See {@link ModelConfig.embedDim}. */
  embedDim: number;
  /** See {@link VisionConfig}. */
  vision: Omit<VisionConfig, 'channels' | 'mlpDim'> & Partial<Pick<VisionConfig, 'channels' | 'mlpDim'>>;
  /** See {@link TextConfig}; `vocabSize` may come from the tokenizer. */
  text: Omit<TextConfig, 'vocabSize' | 'maxPositions' | 'typeVocabSize' | 'mlpDim' | 'projHidden' | 'padId'> &
    Partial<Pick<TextConfig, 'vocabSize' | 'maxPositions' | 'typeVocabSize' | 'mlpDim' | 'projHidden' | 'padId'>>;
  /** See {@link ModelConfig.logitScaleInit}. */
  logitScaleInit?: number;
  /** See {@link ModelConfig.trainLogitScale}. */
  trainLogitScale?: boolean;
  /** See {@link ModelConfig.initStd}. */
  initStd?: number;
  /** See {@link ModelConfig.frozenPrefixes}. */
  frozenPrefixes?: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function posInt(o: Obj, key: string, where: string, fallback?: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`${where}.${key} must be a positive integer, got ${JSON.stringify(o[key])}`);
  }
  return v;
}

function finite(o: Obj, key: string, where: string, fallback: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}.${key} must be a finite number, got ${JSON.stringify(o[key])}`);
  return v;
}

function rejectUnknown(o: Obj, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new Error(`${where}: unknown field "${k}" (expected one of ${allowed.join(', ')})`);
  }
}

/**
 * Validates a model configuration and fills in the defaults.
 * @param input the (partial) configuration, e.g. parsed from JSON
 * @param source names where it came from in error messages, e.g. a file path or `preset "mini"`
 * @param vocabSizeFallback used when `text.vocabSize` is absent (the tokenizer's vocabulary size)
 */
export function validateModelConfig(input: unknown, source = 'model config', vocabSizeFallback?: number): ModelConfig {
  const where = source;
  if (!isObj(input)) throw new Error(`${where}: expected an object, got ${JSON.stringify(input)}`);
  rejectUnknown(input, ['layout', 'embedDim', 'vision', 'text', 'logitScaleInit', 'trainLogitScale', 'initStd', 'frozenPrefixes'], where);
  const layout = input.layout;
  if (typeof layout !== 'string' || !(MODEL_LAYOUTS as readonly string[]).includes(layout)) {
    throw new Error(`${where}.layout must be one of ${MODEL_LAYOUTS.join(', ')}, got ${JSON.stringify(layout)}`);
  }
  const embedDim = posInt(input, 'embedDim', where);

  const v = input.vision;
  if (!isObj(v)) throw new Error(`${where}.vision must be an object`);
  rejectUnknown(v, ['imageSize', 'patchSize', 'channels', 'width', 'layers', 'heads', 'mlpDim'], `${where}.vision`);
  const vw = posInt(v, 'width', `${where}.vision`);
  const vision: VisionConfig = {
    imageSize: posInt(v, 'imageSize', `${where}.vision`),
    patchSize: posInt(v, 'patchSize', `${where}.vision`),
    channels: posInt(v, 'channels', `${where}.vision`, 3),
    width: vw,
    layers: posInt(v, 'layers', `${where}.vision`),
    heads: posInt(v, 'heads', `${where}.vision`),
    mlpDim: posInt(v, 'mlpDim', `${where}.vision`, 4 * vw),
  };
  if (vision.imageSize % vision.patchSize !== 0) {
    throw new Error(`${where}.vision.imageSize (${vision.imageSize}) must be a multiple of vision.patchSize (${vision.patchSize})`);
  }
  if (vision.width % vision.heads !== 0) throw new Error(`${where}.vision.heads (${vision.heads}) must divide vision.width (${vision.width})`);

  const t = input.text;
  if (!isObj(t)) throw new Error(`${where}.text must be an object`);
  rejectUnknown(
    t,
    ['vocabSize', 'contextLength', 'maxPositions', 'typeVocabSize', 'width', 'layers', 'heads', 'mlpDim', 'projHidden', 'padId'],
    `${where}.text`,
  );
  const tw = posInt(t, 'width', `${where}.text`);
  const contextLength = posInt(t, 'contextLength', `${where}.text`);
  if (t.vocabSize === undefined && vocabSizeFallback === undefined) {
    throw new Error(`${where}.text.vocabSize is missing (and no tokenizer was given to take it from)`);
  }
  const text: TextConfig = {
    vocabSize: posInt(t, 'vocabSize', `${where}.text`, vocabSizeFallback),
    contextLength,
    maxPositions: posInt(t, 'maxPositions', `${where}.text`, contextLength),
    typeVocabSize: posInt(t, 'typeVocabSize', `${where}.text`, 2),
    width: tw,
    layers: posInt(t, 'layers', `${where}.text`),
    heads: posInt(t, 'heads', `${where}.text`),
    mlpDim: posInt(t, 'mlpDim', `${where}.text`, 4 * tw),
    projHidden: posInt(t, 'projHidden', `${where}.text`, Math.floor((tw + embedDim) / 2)),
    padId: 0,
  };
  const padId = t.padId ?? 0;
  if (typeof padId !== 'number' || !Number.isInteger(padId) || padId < 0) {
    throw new Error(`${where}.text.padId must be a non-negative integer, got ${JSON.stringify(t.padId)}`);
  }
  text.padId = padId;
  if (text.width % text.heads !== 0) throw new Error(`${where}.text.heads (${text.heads}) must divide text.width (${text.width})`);
  if (text.contextLength > text.maxPositions) {
    throw new Error(`${where}.text.contextLength (${text.contextLength}) exceeds text.maxPositions (${text.maxPositions})`);
  }
  if (layout === 'openai' && text.maxPositions !== text.contextLength) {
    throw new Error(`${where}.text.maxPositions must equal text.contextLength for the openai layout (its positional_embedding has contextLength rows)`);
  }

  const trainLogitScale = input.trainLogitScale ?? false;
  if (typeof trainLogitScale !== 'boolean') throw new Error(`${where}.trainLogitScale must be a boolean`);
  const frozenPrefixes = input.frozenPrefixes ?? [];
  if (!Array.isArray(frozenPrefixes) || frozenPrefixes.some((p) => typeof p !== 'string')) {
    throw new Error(`${where}.frozenPrefixes must be an array of strings`);
  }
  const initStd = finite(input, 'initStd', where, 0.02);
  if (initStd < 0) throw new Error(`${where}.initStd must be >= 0, got ${initStd}`);
  return {
    layout: layout as ModelLayout,
    embedDim,
    vision,
    text,
    logitScaleInit: finite(input, 'logitScaleInit', where, Math.log(1 / 0.07)),
    trainLogitScale,
    initStd,
    frozenPrefixes: [...(frozenPrefixes as string[])],
  };
}
