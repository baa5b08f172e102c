/**
 * The CLIP-style dual encoder: image tower, text tower, L2-normalised embeddings and
 * `logit_scale`. Its parameters carry the checkpoint names of its layout, so
 * `namedVariables()` is also the checkpoint's state dict.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttentionExtension, DualEncoderLike, Tokenizer } from './types';
import type { ModelConfig } from './config';
import type { ResolvedPreset } from './presets';
import { type ParamSource, type ParamSpec, ParamStore } from './params';
import { l2Normalize } from './ops';
import { TextTower } from './text-tower';
import { VisionTower } from './vision-tower';

/** Name of the temperature parameter (log space, a 0-d tensor) in every layout. */
export const LOGIT_SCALE = 'logit_scale';

/** Where a model's weights came from; saved in `config.json` by `saveModel`. */
export type ModelProvenance = Record<string, unknown>;

function buildParams(store: ParamStore, config: ModelConfig): { vision: VisionTower; text: TextTower; logitScale: tf.Variable } {
  const logitScale = store.param(LOGIT_SCALE, [], 'logit-scale');
  const vision = new VisionTower(store, config.layout, config.vision, config.embedDim);
  const text = new TextTower(store, config.layout, config.text, config.embedDim);
  return { vision, text, logitScale };
}

/** The name, shape and kind of every parameter a config declares, without allocating any. */
export function paramSpecs(config: ModelConfig): ParamSpec[] {
  const store = new ParamStore();
  buildParams(store, config);
  return store.specs;
}

/** A dual encoder of either layout. Create with `createModel`, `loadCheckpoint` or `loadModel`. */
export class DualEncoder implements DualEncoderLike {
  /** The complete configuration. */
  readonly config: ModelConfig;
  /** Where the weights came from. */
  readonly provenance: ModelProvenance;
  private readonly store: ParamStore;
  private readonly vision: VisionTower;
  private readonly text: TextTower;
  private readonly logitScaleVar: tf.Variable;
  private extension: AttentionExtension | undefined;

  /**
   * Builds the towers, taking every parameter from `source`.
   * @param preset validated architecture, tokenizer spec and preprocessing
   * @param tokenizer must fit the text tower (vocabulary and context length)
   */
  constructor(readonly preset: ResolvedPreset, readonly tokenizer: Tokenizer, source: ParamSource, provenance: ModelProvenance = {}) {
    this.config = preset.model;
    const t = this.config.text;
    if (tokenizer.vocabSize > t.vocabSize) {
      throw new Error(`tokenizer ${tokenizer.kind} has ${tokenizer.vocabSize} ids but text.vocabSize is ${t.vocabSize} (preset "${preset.name}")`);
    }
    if (tokenizer.contextLength > t.maxPositions) {
      throw new Error(`tokenizer ${tokenizer.kind} context length ${tokenizer.contextLength} exceeds the ${t.maxPositions} text positions (preset "${preset.name}")`);
    }
    this.provenance = provenance;
    this.store = new ParamStore(source);
    try {
      const built = buildParams(this.store, this.config);
      this.vision = built.vision;
      this.text = built.text;
      this.logitScaleVar = built.logitScale;
    } catch (err) {
      this.store.dispose();
      throw err;
    }
  }

  /** Image side length in pixels. */
  get imageSize(): number {
    return this.config.vision.imageSize;
  }

  /** Image channels. */
  get imageChannels(): number {
    return this.config.vision.channels;
  }

  /** Embedding dimension. */
  get embedDim(): number {
    return this.config.embedDim;
  }

  /** Unnormalised image features `[B, embedDim]` (before L2 normalisation), with the installed extension. */
  imageFeatures(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const ext = this.extension;
      if (!ext) return this.vision.apply(images);
      ext.beginImages?.(images, (x) => l2Normalize(this.vision.apply(x)) as tf.Tensor2D);
      return this.vision.apply(images, ext.attend && ((layer, q) => ext.attend!('vision', layer, q)));
    });
  }

  /** Unnormalised text features `[B, embedDim]`, with the installed extension. */
  textFeatures(ids: tf.Tensor2D): tf.Tensor2D {
    const ext = this.extension;
    return this.text.apply(ids, ext?.attend && ((layer, q) => ext.attend!('text', layer, q)));
  }

  /** L2-normalised image embeddings `[B, embedDim]` for normalised NHWC images. */
  encodeImage(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => l2Normalize(this.imageFeatures(images)));
  }

  /** L2-normalised text embeddings `[B, embedDim]` for int32 ids `[B, T]`. */
  encodeText(ids: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => l2Normalize(this.textFeatures(ids)));
  }

  /**
   * Installs an {@link AttentionExtension} (replacing any), or removes it with `undefined`. Its
   * variables join {@link DualEncoder.namedVariables}; its `trainableVariables`, when given, replace
   * the model's own in {@link DualEncoder.trainableVariables}. The caller keeps owning them.
   */
  extend(extension: AttentionExtension | undefined): void {
    if (extension) {
      for (const name of extension.variables().keys()) {
        if (this.store.variables.has(name)) throw new Error(`extension ${extension.name}: parameter ${name} is already a model parameter`);
      }
    }
    this.extension = extension;
  }

  /** `exp(logit_scale)`, a new scalar. */
  logitScale(): tf.Scalar {
    return tf.tidy(() => tf.exp(this.logitScaleVar) as tf.Scalar);
  }

  /** Every parameter by checkpoint name, in declaration order (a new map; the variables are shared). */
  namedVariables(): Map<string, tf.Variable> {
    return new Map([...this.store.variables, ...(this.extension?.variables() ?? [])]);
  }

  /**
   * Parameters training updates: all but `logit_scale` (unless `trainLogitScale`) and `frozenPrefixes`;
   * with an extension that names its own trainable parameters, only those.
   */
  trainableVariables(): tf.Variable[] {
    const own = this.extension?.trainableVariables?.();
    if (own) return own;
    const { trainLogitScale, frozenPrefixes } = this.config;
    const out: tf.Variable[] = [];
    for (const [name, v] of this.store.variables) {
      if (name === LOGIT_SCALE && !trainLogitScale) continue;
      if (frozenPrefixes.some((p) => name.startsWith(p))) continue;
      out.push(v);
    }
    return out;
  }

  /**
   * A copy with its own variables. They start out sharing this model's buffers (tfjs tensors are
   * immutable and `assign` swaps buffers), so a clone costs no memory until one of them trains.
   */
  clone(): DualEncoder {
    const vars = this.store.variables;
    return new DualEncoder(this.preset, this.tokenizer, (spec) => vars.get(spec.name)!.clone(), { ...this.provenance, clonedAt: new Date().toISOString() });
  }

  /** Frees every variable. */
  dispose(): void {
    this.store.dispose();
  }
}
