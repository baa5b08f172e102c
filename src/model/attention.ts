/**
 * Multi-head self-attention with PyTorch-layout parameters: either one packed q;k;v projection
 * (`nn.MultiheadAttention.in_proj_weight` `[3w, w]`, timm `attn.qkv`) or three separate ones
 * (HF BERT `query`/`key`/`value`), then an output projection. Scale `1/√headDim`.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params';
import type { AttentionExtension } from './types';
import { linear, softmaxLast } from './ops';

/** Checkpoint names of an attention block's parameters. */
export type AttentionParamNames =
  | {
      /** One `[3·width, width]` weight whose rows are `[W_q; W_k; W_v]`, and its `[3·width]` bias. */
      kind: 'packed';
      /** Packed weight name. */
      qkvWeight: string;
      /** Packed bias name. */
      qkvBias: string;
      /** Output projection weight name (`[width, width]`). */
      outWeight: string;
      /** Output projection bias name. */
      outBias: string;
    }
  | {
      /** Separate `nn.Linear`s; each prefix gets `.weight` and `.bias`. */
      kind: 'separate';
      /** Query prefix. */
      query: string;
      /** Key prefix. */
      key: string;
      /** Value prefix. */
      value: string;
      /** Output projection weight name. */
      outWeight: string;
      /** Output projection bias name. */
      outBias: string;
    };

/** Self-attention over `[batch, tokens, width]`. */
export class MultiHeadAttention {
  private readonly qkv: tf.Variable[];
  private readonly outWeight: tf.Variable;
  private readonly outBias: tf.Variable;

  /** Declares the parameters in `store`. */
  constructor(store: ParamStore, names: AttentionParamNames, readonly width: number, readonly heads: number) {
    if (names.kind === 'packed') {
      this.qkv = [store.param(names.qkvWeight, [3 * width, width], 'weight'), store.param(names.qkvBias, [3 * width], 'bias')];
    } else {
      this.qkv = [];
      for (const prefix of [names.query, names.key, names.value]) {
        this.qkv.push(store.param(`${prefix}.weight`, [width, width], 'weight'), store.param(`${prefix}.bias`, [width], 'bias'));
      }
    }
    this.outWeight = store.param(names.outWeight, [width, width], 'weight');
    this.outBias = store.param(names.outBias, [width], 'bias');
  }

  /**
   * @param x `[B, T, width]`
   * @param mask additive, broadcastable to `[B, heads, T, T]` (0 to keep, a large negative to drop)
   * @param extra an extra context term from the scaled queries `[B, heads, T, headDim]` (an {@link AttentionExtension}'s `attend`)
   */
  apply(x: tf.Tensor3D, mask?: tf.Tensor, extra?: (q: tf.Tensor4D) => tf.Tensor4D | undefined): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t, w] = x.shape;
      const headDim = w / this.heads;
      let q: tf.Tensor, k: tf.Tensor, v: tf.Tensor;
      if (this.qkv.length === 2) {
        [q, k, v] = tf.split(linear(x, this.qkv[0], this.qkv[1]), 3, -1);
      } else {
        [q, k, v] = [0, 1, 2].map((i) => linear(x, this.qkv[2 * i], this.qkv[2 * i + 1]));
      }
      const toHeads = (y: tf.Tensor) => y.reshape([b, t, this.heads, headDim]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
      // Scale the queries (T·d values) rather than the scores (T·T), as timm does.
      const scaledQ = toHeads(tf.mul(q, 1 / Math.sqrt(headDim)));
      let scores: tf.Tensor = tf.matMul(scaledQ, toHeads(k), false, true);
      if (mask) scores = tf.add(scores, mask);
      let context: tf.Tensor = tf.matMul(softmaxLast(scores) as tf.Tensor4D, toHeads(v));
      const added = extra?.(scaledQ);
      if (added) context = tf.add(context, added);
      const merged = context.transpose([0, 2, 1, 3]).reshape([b, t, w]);
      return linear(merged, this.outWeight, this.outBias) as tf.Tensor3D;
    });
  }
}
