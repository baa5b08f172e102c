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
  /** A deep copy with its own variables (teachers, WiSE-FT, weight ensembles). */
  clone(): DualEncoderLike;
  /** Frees every variable. */
  dispose(): void;
}
