/**
 * CLIP-style zero-shot classification (primed-decisions.md §1): each class is the mean of the
 * normalised text embeddings of its prompts (one per template), renormalised; logits are
 * `logitScale · cos(image, class)`.
 */
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from './types';
import { l2Normalize } from './ops';

/** The template used when none is given. */
export const DEFAULT_TEMPLATES: readonly string[] = ['a photo of {}.'];

/** Prompts class-major: `prompts[c * templates.length + t]` is template `t` filled with class `c`. */
export function buildPrompts(classNames: string[], templates: readonly string[]): string[] {
  if (!Array.isArray(classNames) || classNames.length === 0) throw new Error('zero-shot: classNames must be a non-empty array');
  if (!Array.isArray(templates) || templates.length === 0) throw new Error('zero-shot: templates must be a non-empty array');
  for (const t of templates) {
    if (typeof t !== 'string' || !t.includes('{}')) throw new Error(`zero-shot: template ${JSON.stringify(t)} has no "{}" placeholder for the class name`);
  }
  return classNames.flatMap((c) => templates.map((t) => t.split('{}').join(c)));
}

/** Options of {@link ZeroShotClassifier}. */
export interface ZeroShotOptions {
  /** Templates with `{}` for the class name. Default {@link DEFAULT_TEMPLATES}. */
  templates?: readonly string[];
  /** Prompts encoded per batch. Default 64. */
  batchSize?: number;
}

/** Class embeddings computed once; classify image batches against them. Call {@link dispose} when done. */
export class ZeroShotClassifier {
  /** `[K, D]` unit-norm class embeddings. */
  readonly classEmbeddings: tf.Tensor2D;
  /** The templates used. */
  readonly templates: readonly string[];

  /** Encodes every class prompt in batches (no gradient is kept). */
  constructor(
    /** The dual encoder whose text tower built {@link classEmbeddings} and whose image tower {@link logits} uses; not disposed by {@link dispose}. */
    readonly model: DualEncoderLike,
    /** Class names in label order: logit column `k` and predicted label `k` are `classNames[k]`; each fills the templates' `{}`. */
    readonly classNames: string[],
    options: ZeroShotOptions = {},
  ) {
    this.templates = options.templates ?? DEFAULT_TEMPLATES;
    const batchSize = options.batchSize ?? 64;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`zero-shot: options.batchSize must be a positive integer, got ${batchSize}`);
    const prompts = buildPrompts(classNames, this.templates);
    const ids = model.tokenizer.encodeBatch(prompts);
    const len = model.tokenizer.contextLength;
    const k = classNames.length;
    const t = this.templates.length;
    this.classEmbeddings = tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      for (let start = 0; start < prompts.length; start += batchSize) {
        const n = Math.min(batchSize, prompts.length - start);
        parts.push(model.encodeText(tf.tensor2d(ids.subarray(start * len, (start + n) * len), [n, len], 'int32')));
      }
      const emb = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
      return l2Normalize(tf.mean(emb.reshape([k, t, emb.shape[1]]), 1) as tf.Tensor2D);
    });
  }

  /** `logitScale · cos` logits `[B, K]` for normalised images `[B, H, W, C]`. */
  logits(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(this.model.encodeImage(images), this.classEmbeddings, false, true), this.model.logitScale()) as tf.Tensor2D);
  }

  /** Predicted class index per image. */
  predict(images: tf.Tensor4D): Int32Array {
    const idx = tf.tidy(() => tf.argMax(this.logits(images), 1));
    const out = Int32Array.from(idx.dataSync());
    idx.dispose();
    return out;
  }

  /** Frees the class embeddings. */
  dispose(): void {
    this.classEmbeddings.dispose();
  }
}
