/** The model's own text tower as the memory's text embedder (the default, self-contained). */
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../../model/types';
import type { Embedder } from '../types';
import { l2NormalizeInPlace } from '../vectors';

/** Options of {@link modelTextEmbedder}. */
export interface ModelEmbedderOptions {
  /**
   * Identity recorded in the manifest, e.g. `model:mini@<checkpoint hash>`. It must change
   * when the weights change, or a memory would mix embeddings of two models.
   */
  id: string;
  /** Texts per forward pass. Default 64. */
  batchSize?: number;
}

/** Embeds texts with `model.encodeText`, batched, each batch in `tf.tidy`. */
export function modelTextEmbedder(model: DualEncoderLike, options: ModelEmbedderOptions): Embedder {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`model embedder option "batchSize" must be a positive integer, got ${batchSize}`);
  if (!options.id) throw new Error('model embedder option "id" is required (it identifies the weights in the manifest)');
  const dim = model.embedDim;
  return {
    id: options.id,
    dim,
    async embed(texts) {
      const out: Float32Array[] = [];
      const ctx = model.tokenizer.contextLength;
      for (let s = 0; s < texts.length; s += batchSize) {
        const batch = texts.slice(s, s + batchSize);
        const ids = model.tokenizer.encodeBatch(batch);
        const emb = tf.tidy(() => model.encodeText(tf.tensor2d(ids, [batch.length, ctx], 'int32')));
        const data = (await emb.data()) as Float32Array;
        emb.dispose();
        for (let i = 0; i < batch.length; i++) out.push(l2NormalizeInPlace(data.slice(i * dim, (i + 1) * dim)));
      }
      return out;
    },
  };
}
