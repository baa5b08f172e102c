/**
 * Visual rerank S_v = cos(text tower(query), image tower(image)) of the initial backbone
 * (primed-decisions.md §4). The scorer is a function the caller supplies; two builders are here.
 */
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../../model/types';
import type { Embedder } from '../types';
import type { Candidate } from './candidate';

/**
 * S_v of each row for `query` (NaN for a row without an image). `id` names what computes the
 * scores (e.g. the backbone's weights): cached reference sets are keyed by it, so two backbones
 * querying one memory never share a set. {@link modelVisualScorer} and {@link storedImageScorer}
 * set it; give your own scorer one with `Object.assign(fn, { id })`.
 */
export type VisualScorer = ((query: string, rows: number[]) => Promise<Float32Array>) & {
  /** Identity of the scores (what computes them); required by the reference-set cache. */
  readonly id?: string;
};

/** Sets `visual` on every candidate with `scorer`. */
export async function visualRerank(query: string, cands: Candidate[], scorer: VisualScorer): Promise<Candidate[]> {
  const s = await scorer(query, cands.map((c) => c.row));
  if (s.length !== cands.length) throw new Error(`visual scorer returned ${s.length} scores for ${cands.length} candidates`);
  return cands.map((c, i) => ({ ...c, visual: s[i] }));
}

/**
 * S_v from image embeddings stored in the memory (made by the initial image tower) and the
 * query embedded by the matching text tower `textTower` (e.g. `modelTextEmbedder(initialModel)`).
 * Its id is `id`, default `stored-images:<textTower.id>`.
 */
export function storedImageScorer(imageEmbedding: (row: number) => Float32Array | undefined, textTower: Embedder, id = `stored-images:${textTower.id}`): VisualScorer {
  const cache = new Map<string, Float32Array>();
  return Object.assign(async (query: string, rows: number[]) => {
    let q = cache.get(query);
    if (!q) {
      [q] = await textTower.embed([query]);
      cache.set(query, q);
    }
    return Float32Array.from(rows, (r) => {
      const v = imageEmbedding(r);
      if (!v) return NaN;
      if (v.length !== q!.length) throw new Error(`visual scorer: image embedding of row ${r} has dimension ${v.length}, the text tower ${textTower.id} gives ${q!.length}`);
      let s = 0;
      for (let j = 0; j < v.length; j++) s += v[j] * q![j];
      return s;
    });
  }, { id });
}

/**
 * S_v computed with a dual encoder: `images(rows)` returns preprocessed pixels
 * `[n, imageSize, imageSize, imageChannels]` (row-major) for the rows that have an image and
 * the list of those rows; the others score NaN. Tensors are freed. `id` names the model and
 * the preprocessing (e.g. `visual:<modelEmbedderId(model)>`); the reference-set cache keys by it.
 */
export function modelVisualScorer(
  model: DualEncoderLike,
  images: (rows: number[]) => Promise<{ rows: number[]; pixels: Float32Array }>,
  id?: string,
): VisualScorer {
  return Object.assign(async (query: string, rows: number[]) => {
    const out = new Float32Array(rows.length).fill(NaN);
    const { rows: withImage, pixels } = await images(rows);
    if (withImage.length === 0) return out;
    const S = model.imageSize;
    const C = model.imageChannels;
    const ctx = model.tokenizer.contextLength;
    const sims = tf.tidy(() => {
      const t = model.encodeText(tf.tensor2d(model.tokenizer.encodeBatch([query]), [1, ctx], 'int32'));
      const v = model.encodeImage(tf.tensor4d(pixels, [withImage.length, S, S, C]));
      return tf.matMul(v, t, false, true).reshape([withImage.length]);
    });
    const data = (await sims.data()) as Float32Array;
    sims.dispose();
    const pos = new Map(rows.map((r, i) => [r, i] as const));
    withImage.forEach((r, i) => (out[pos.get(r)!] = data[i]));
    return out;
  }, id === undefined ? {} : { id });
}
