/**
 * The model contract every other layer codes against (trainer, methods, memory embedders,
 * evaluation). Implementations live beside this file.
 */
import type * as tf from '@tensorflow/tfjs';

/** Text tokenizer: text to fixed-length id rows. */
export interface Tokenizer {
  /** Identifies the vocabulary and rules, e.g. `clip-bpe`, `wordpiece:pubmedbert`, `mini-word`. */
  readonly kind: string;
  /** Rows are padded/truncated to this length. */
  readonly contextLength: number;
  /** Vocabulary size (embedding rows). */
  readonly vocabSize: number;
  /** Ids of one text with the special tokens, padded with the pad id and truncated to `contextLength`. */
  encode(text: string): number[];
  /** `encode` for many texts, as one row-major `[texts.length, contextLength]` Int32Array. */
  encodeBatch(texts: string[]): Int32Array;
}

/** A CLIP-style dual encoder. Parameter names mirror the checkpoint layout of its preset. */
export interface DualEncoderLike {
  /** Image side length in pixels the image tower expects. */
  readonly imageSize: number;
  /** Image channels (3 for RGB; grey inputs are repeated to 3 by the data layer). */
  readonly imageChannels: number;
  /** Embedding dimension after projection. */
  readonly embedDim: number;
  /** Its tokenizer. */
  readonly tokenizer: Tokenizer;
  /**
   * L2-normalised image embeddings `[B, embedDim]` for already-normalised images `[B, H, W, C]`
   * (NHWC float32).
   */
  encodeImage(images: tf.Tensor4D): tf.Tensor2D;
  /** L2-normalised text embeddings `[B, embedDim]` for token ids `[B, contextLength]` (int32). */
  encodeText(ids: tf.Tensor2D): tf.Tensor2D;
  /** `exp(logit_scale)` as a scalar tensor (not trained). */
  logitScale(): tf.Scalar;
  /** Every parameter by checkpoint name (including `logit_scale`). */
  namedVariables(): Map<string, tf.Variable>;
  /** The parameters that training updates (all but `logit_scale` unless frozen by option). */
  trainableVariables(): tf.Variable[];
  /** A deep copy with its own variables (teachers, WiSE-FT, weight ensembles); without any {@link AttentionExtension}. */
  clone(): DualEncoderLike;
  /**
   * Installs `extension` (replacing any installed one), or removes it with `undefined`. Optional:
   * models that lack it cannot run methods that extend the attention (DIKI).
   */
  extend?(extension: AttentionExtension | undefined): void;
  /** Frees every variable. */
  dispose(): void;
}

/** Which tower an {@link AttentionExtension} is called for. */
export type Tower = 'vision' | 'text';

/**
 * A generic seat for parameter-efficient methods (prefix/prompt tuning such as DIKI, residual
 * attention adapters): extra parameters that join the model's, and an extra term of each
 * attention layer's context, computed from that layer's queries. Installed with
 * {@link DualEncoderLike.extend}; the model's own computation is unchanged where `attend`
 * returns undefined.
 */
export interface AttentionExtension {
  /** Name, for errors. */
  readonly name: string;
  /** Its parameters by name (each beginning with `name.`); they join `namedVariables()` while installed. */
  variables(): ReadonlyMap<string, tf.Variable>;
  /**
   * The parameters training updates while it is installed; the model's own parameters are then
   * frozen. Undefined: the model's trainable parameters stay as they are, plus none of these.
   */
  trainableVariables?(): tf.Variable[];
  /**
   * Called as the image tower starts on a batch (inside the model's tidy scope), with a function
   * that encodes images by the model without the extension (L2-normalised), e.g. to route each
   * image to a task's parameters.
   */
  beginImages?(images: tf.Tensor4D, plainEncodeImage: (images: tf.Tensor4D) => tf.Tensor2D): void;
  /**
   * The extra attention context of layer `layer` (0-based) of `tower`, added to the layer's own
   * before the output projection: `q` is the layer's queries `[B, heads, T, headDim]` already
   * scaled by `1/√headDim`; returns a tensor of that shape, or undefined for none.
   */
  attend?(tower: Tower, layer: number, q: tf.Tensor4D): tf.Tensor4D | undefined;
}
