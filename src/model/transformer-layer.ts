/**
 * One transformer layer, pre-LN (CLIP, timm ViT: `x + attn(ln1(x))`, `x + mlp(ln2(x))`) or post-LN
 * (BERT: `ln1(x + attn(x))`, `ln2(x + mlp(x))`), with checkpoint-named parameters.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params';
import { type AttentionParamNames, MultiHeadAttention } from './attention';
import { LayerNorm } from './layer-norm';
import { Mlp, type MlpParamNames } from './mlp';
import type { Activation } from './ops';

/** Where the LayerNorms sit. */
export type NormPlacement = 'pre' | 'post';

/** Everything that distinguishes the three layer flavours. */
export interface TransformerLayerSpec {
  /** Pre-LN or post-LN. */
  norm: NormPlacement;
  /** LayerNorm epsilon. */
  eps: number;
  /** MLP activation. */
  activation: Activation;
  /** Token width. */
  width: number;
  /** Attention heads. */
  heads: number;
  /** MLP hidden size. */
  mlpDim: number;
  /** Parameter names. */
  names: {
    /** First LayerNorm prefix (before attention, or after it for post-LN). */
    ln1: string;
    /** Second LayerNorm prefix. */
    ln2: string;
    /** Attention parameter names. */
    attention: AttentionParamNames;
    /** MLP parameter names. */
    mlp: MlpParamNames;
  };
}

/**
 * Parameter names of one OpenAI CLIP residual block (`<prefix>.ln_1`, `.attn.in_proj_weight`, ...),
 * the same in both towers: `transformer.resblocks.<i>` (text), `visual.transformer.resblocks.<i>` (image).
 */
export function openaiResblockNames(prefix: string): TransformerLayerSpec['names'] {
  return {
    ln1: `${prefix}.ln_1`, ln2: `${prefix}.ln_2`,
    attention: { kind: 'packed', qkvWeight: `${prefix}.attn.in_proj_weight`, qkvBias: `${prefix}.attn.in_proj_bias`, outWeight: `${prefix}.attn.out_proj.weight`, outBias: `${prefix}.attn.out_proj.bias` },
    mlp: { fc1: `${prefix}.mlp.c_fc`, fc2: `${prefix}.mlp.c_proj` },
  };
}

/** A transformer layer. */
export class TransformerLayer {
  private readonly ln1: LayerNorm;
  private readonly ln2: LayerNorm;
  private readonly attention: MultiHeadAttention;
  private readonly mlp: Mlp;

  /** Declares the parameters in `store` (in checkpoint order: attention, norms, MLP as listed there). */
  constructor(store: ParamStore, readonly spec: TransformerLayerSpec) {
    const { names, width } = spec;
    if (spec.norm === 'pre') {
      this.ln1 = new LayerNorm(store, names.ln1, width, spec.eps);
      this.attention = new MultiHeadAttention(store, names.attention, width, spec.heads);
      this.ln2 = new LayerNorm(store, names.ln2, width, spec.eps);
      this.mlp = new Mlp(store, names.mlp, width, spec.mlpDim, spec.activation);
    } else {
      this.attention = new MultiHeadAttention(store, names.attention, width, spec.heads);
      this.ln1 = new LayerNorm(store, names.ln1, width, spec.eps);
      this.mlp = new Mlp(store, names.mlp, width, spec.mlpDim, spec.activation);
      this.ln2 = new LayerNorm(store, names.ln2, width, spec.eps);
    }
  }

  /** `[B, T, width] → [B, T, width]`; `mask` and `extra` as {@link MultiHeadAttention.apply} takes them. */
  apply(x: tf.Tensor3D, mask?: tf.Tensor, extra?: (q: tf.Tensor4D) => tf.Tensor4D | undefined): tf.Tensor3D {
    return tf.tidy(() => {
      if (this.spec.norm === 'pre') {
        const h = tf.add(x, this.attention.apply(this.ln1.apply(x) as tf.Tensor3D, mask, extra));
        return tf.add(h, this.mlp.apply(this.ln2.apply(h))) as tf.Tensor3D;
      }
      const h = this.ln1.apply(tf.add(x, this.attention.apply(x, mask, extra)));
      return this.ln2.apply(tf.add(h, this.mlp.apply(h))) as tf.Tensor3D;
    });
  }
}
