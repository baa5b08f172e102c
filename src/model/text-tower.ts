/**
 * The text tower, in OpenAI CLIP naming (`token_embedding`, `transformer.resblocks.*`,
 * `ln_final`, `text_projection`; causal mask, EOT pooling) or open_clip HF-BERT naming
 * (`text.transformer.embeddings.*`, `text.transformer.encoder.layer.*`; padding mask, CLS pooling,
 * `text.proj.0` → GELU → `text.proj.2`).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelLayout, TextConfig } from './config';
import type { ParamStore } from './params';
import { LayerNorm } from './layer-norm';
import { embeddingLookup, gelu, linear, project } from './ops';
import { TransformerLayer, openaiResblockNames } from './transformer-layer';

/** LayerNorm epsilon of each layout's text tower. */
export const TEXT_LN_EPS: Record<ModelLayout, number> = { openai: 1e-5, biomedclip: 1e-12 };

/** Additive value for masked attention scores (exp underflows to exactly 0, like -inf or finfo.min). */
export const MASKED_SCORE = -1e9;

/** The text tower: int32 ids `[B, T]` to unnormalised features `[B, embedDim]`. */
export class TextTower {
  private readonly tokenEmbedding: tf.Variable;
  private readonly positions: tf.Variable;
  private readonly tokenTypes?: tf.Variable;
  private readonly lnEmbed?: LayerNorm;
  private readonly layers: TransformerLayer[] = [];
  private readonly lnFinal?: LayerNorm;
  private readonly projections: tf.Variable[] = [];

  /** Declares the parameters in `store`. */
  constructor(store: ParamStore, readonly layout: ModelLayout, readonly config: TextConfig, readonly embedDim: number) {
    const { width, vocabSize, maxPositions } = config;
    const eps = TEXT_LN_EPS[layout];
    if (layout === 'openai') {
      this.positions = store.param('positional_embedding', [maxPositions, width], 'embedding');
      this.projections.push(store.param('text_projection', [width, embedDim], 'weight'));
      for (let i = 0; i < config.layers; i++) {
        const pre = `transformer.resblocks.${i}`;
        this.layers.push(
          new TransformerLayer(store, {
            norm: 'pre', eps, activation: 'quick_gelu', width, heads: config.heads, mlpDim: config.mlpDim,
            names: openaiResblockNames(pre),
          }),
        );
      }
      this.tokenEmbedding = store.param('token_embedding.weight', [vocabSize, width], 'embedding');
      this.lnFinal = new LayerNorm(store, 'ln_final', width, eps);
    } else {
      const emb = 'text.transformer.embeddings';
      this.tokenEmbedding = store.param(`${emb}.word_embeddings.weight`, [vocabSize, width], 'embedding');
      this.positions = store.param(`${emb}.position_embeddings.weight`, [maxPositions, width], 'embedding');
      this.tokenTypes = store.param(`${emb}.token_type_embeddings.weight`, [config.typeVocabSize, width], 'embedding');
      this.lnEmbed = new LayerNorm(store, `${emb}.LayerNorm`, width, eps);
      for (let i = 0; i < config.layers; i++) {
        const pre = `text.transformer.encoder.layer.${i}`;
        this.layers.push(
          new TransformerLayer(store, {
            norm: 'post', eps, activation: 'gelu', width, heads: config.heads, mlpDim: config.mlpDim,
            names: {
              ln1: `${pre}.attention.output.LayerNorm`, ln2: `${pre}.output.LayerNorm`,
              attention: {
                kind: 'separate',
                query: `${pre}.attention.self.query`, key: `${pre}.attention.self.key`, value: `${pre}.attention.self.value`,
                outWeight: `${pre}.attention.output.dense.weight`, outBias: `${pre}.attention.output.dense.bias`,
              },
              mlp: { fc1: `${pre}.intermediate.dense`, fc2: `${pre}.output.dense` },
            },
          }),
        );
      }
      this.projections.push(
        store.param('text.proj.0.weight', [config.projHidden, width], 'weight'),
        store.param('text.proj.2.weight', [embedDim, config.projHidden], 'weight'),
      );
    }
  }

  /**
   * Unnormalised text features `[B, embedDim]` for int32 ids `[B, T]`, `T ≤ maxPositions`.
   * `attend` adds an extra context term to layer i's attention (see `AttentionExtension.attend`).
   */
  apply(ids: tf.Tensor2D, attend?: (layer: number, q: tf.Tensor4D) => tf.Tensor4D | undefined): tf.Tensor2D {
    const { width, maxPositions } = this.config;
    if (ids.rank !== 2 || ids.shape[1] > maxPositions) {
      throw new Error(`encodeText: expected ids [B, T] with T <= ${maxPositions}, got [${ids.shape}]`);
    }
    return tf.tidy(() => {
      const intIds = (ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32')) as tf.Tensor2D;
      const [b, t] = intIds.shape;
      let x = tf.add(embeddingLookup(this.tokenEmbedding, intIds), this.positions.slice([0, 0], [t, width]).reshape([1, t, width])) as tf.Tensor3D;
      if (this.layout === 'openai') {
        const mask = causalMask(t);
        this.layers.forEach((layer, i) => (x = layer.apply(x, mask, attend && ((q) => attend(i, q)))));
        x = this.lnFinal!.apply(x) as tf.Tensor3D;
        // EOT pooling: the end-of-text token has the largest id. A one-hot weighted sum instead of
        // gather keeps the gradient on kernels every backend has.
        const pick = tf.oneHot(tf.argMax(intIds, 1), t).reshape([b, t, 1]);
        const pooled = tf.sum(tf.mul(x, pick), 1) as tf.Tensor2D;
        return project(pooled, this.projections[0]);
      }
      x = tf.add(x, this.tokenTypes!.slice([0, 0], [1, width]).reshape([1, 1, width])) as tf.Tensor3D;
      x = this.lnEmbed!.apply(x) as tf.Tensor3D;
      const keep = tf.cast(tf.notEqual(intIds, this.config.padId), 'float32');
      const mask = tf.mul(tf.sub(1, keep), MASKED_SCORE).reshape([b, 1, 1, t]);
      this.layers.forEach((layer, i) => (x = layer.apply(x, mask, attend && ((q) => attend(i, q)))));
      const cls = x.slice([0, 0, 0], [b, 1, width]).reshape([b, width]);
      return linear(gelu(linear(cls, this.projections[0])), this.projections[1]) as tf.Tensor2D;
    });
  }
}

/** `[1, 1, T, T]` additive causal mask: position i attends to j ≤ i. */
export function causalMask(t: number): tf.Tensor4D {
  const data = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) data[i * t + j] = MASKED_SCORE;
  return tf.tensor4d(data, [1, 1, t, t]);
}
