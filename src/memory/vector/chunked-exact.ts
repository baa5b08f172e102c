/**
 * Exact cosine search at scale, as the paper does it: the stored vectors stream through a
 * matrix product with the queries on the active tfjs backend (the torch addon by default, on a
 * GPU when one is used), a chunk at a time, and each query keeps a running candidate list that
 * the tie-robust threshold (paper Eqs. 2–6) prunes. No more than one chunk of vectors and its
 * `[queries, chunk]` score matrix are ever held, so memories far larger than RAM can be searched.
 *
 * Why the pruning is exact: a chunk keeps every row scoring at least its own k-th largest unique
 * score u; the global threshold τ (k-th largest unique score over all rows) is never below u,
 * so no row with score ≥ τ is dropped.
 */
import * as tf from '@tensorflow/tfjs';
import { tieRobustThreshold } from '../retrieval/dense';
import type { SearchHits } from '../types';

/** A stream of stored vectors, a chunk at a time, in row order. */
export interface VectorChunkSource {
  /** Vector dimension. */
  readonly dim: number;
  /** Number of stored vectors. */
  readonly count: number;
  /** Yields chunks of at most `rows` vectors covering every stored row once. */
  chunks(rows: number): AsyncIterable<VectorChunk> | Iterable<VectorChunk>;
}

/** One chunk of stored vectors. */
export interface VectorChunk {
  /** Row of the chunk's first vector (when `rows` is absent, vector i is row `start + i`). */
  start: number;
  /** Row-major float32 vectors. */
  vectors: Float32Array;
  /** The row of each vector, when the store does not hand them out in row order. */
  rows?: ArrayLike<number>;
}

/** Options of {@link exactSearchChunked}. */
export interface ChunkedExactOptions {
  /** Vectors per matrix product. Default 32,768 (128 MiB of 1024-d float32). */
  chunkRows?: number;
  /** Called after each chunk with the rows scored so far (progress). */
  onChunk?(done: number, total: number): void;
}

/** A {@link VectorChunkSource} over a row-major float32 matrix held in RAM. */
export function matrixChunkSource(data: Float32Array, dim: number): VectorChunkSource {
  if (data.length % dim !== 0) throw new Error(`matrixChunkSource: ${data.length} floats is not a multiple of dimension ${dim}`);
  const count = data.length / dim;
  return {
    dim,
    count,
    *chunks(rows: number) {
      for (let s = 0; s < count; s += rows) yield { start: s, vectors: data.subarray(s * dim, Math.min(count, s + rows) * dim) };
    },
  };
}

/** The k-th largest unique value among `values[from, to)`, or undefined when there are fewer than k unique values. */
function kthUnique(values: ArrayLike<number>, from: number, to: number, k: number): number | undefined {
  // `values` of a topk row are sorted descending.
  let unique = 0;
  let last = NaN;
  for (let i = from; i < to; i++) {
    if (values[i] !== last) {
      unique++;
      last = values[i];
      if (unique === k) return last;
    }
  }
  return undefined;
}

/**
 * For each query of `queries` (row-major `[q, dim]`, normalised), every stored row whose cosine
 * score is at least the tie-robust threshold τ (the k-th largest unique score), best first and
 * ties by lower row: the paper's dense candidate set, computed exactly. Tensors are freed.
 */
export async function exactSearchChunked(source: VectorChunkSource, queries: Float32Array, k: number, options: ChunkedExactOptions = {}): Promise<SearchHits[]> {
  const dim = source.dim;
  if (!Number.isInteger(k) || k <= 0) throw new Error(`exact search: k must be a positive integer, got ${k}`);
  if (queries.length % dim !== 0) throw new Error(`exact search: ${queries.length} query floats is not a multiple of the memory's dimension ${dim}`);
  const chunkRows = options.chunkRows ?? 32_768;
  if (!Number.isInteger(chunkRows) || chunkRows <= 0) throw new Error(`exact search option "chunkRows" must be a positive integer, got ${chunkRows}`);
  const nq = queries.length / dim;
  const rows: number[][] = Array.from({ length: nq }, () => []);
  const scores: number[][] = Array.from({ length: nq }, () => []);
  if (nq === 0) return [];
  const q = tf.tensor2d(queries, [nq, dim]);
  let done = 0;
  try {
    for await (const chunk of source.chunks(chunkRows)) {
      const n = chunk.vectors.length / dim;
      if (!Number.isInteger(n)) throw new Error(`exact search: a chunk at row ${chunk.start} holds ${chunk.vectors.length} floats, not a multiple of dimension ${dim}`);
      if (n === 0) continue;
      const s = tf.tidy(() => tf.matMul(q, tf.tensor2d(chunk.vectors, [n, dim]), false, true));
      try {
        // Widen the top-k until every query's k-th unique score lies strictly above the last value
        // fetched (so all its ties are in), or the whole chunk is fetched.
        for (let kk = Math.min(n, k); ; kk = Math.min(n, kk * 2)) {
          const top = tf.topk(s, kk, true);
          const [vals, idx] = await Promise.all([top.values.data(), top.indices.data()]);
          top.values.dispose();
          top.indices.dispose();
          let complete = true;
          const cut: number[] = new Array(nq);
          for (let i = 0; i < nq && complete; i++) {
            const u = kthUnique(vals, i * kk, (i + 1) * kk, k);
            if (kk === n) cut[i] = u ?? -Infinity;
            else if (u === undefined || u <= vals[(i + 1) * kk - 1]) complete = false;
            else cut[i] = u;
          }
          if (!complete) continue;
          for (let i = 0; i < nq; i++) {
            for (let j = i * kk; j < (i + 1) * kk && vals[j] >= cut[i]; j++) {
              rows[i].push(chunk.rows ? chunk.rows[idx[j]] : chunk.start + idx[j]);
              scores[i].push(vals[j]);
            }
            if (rows[i].length > 8 * k) prune(rows, scores, i, k);
          }
          break;
        }
      } finally {
        s.dispose();
      }
      done += n;
      options.onChunk?.(done, source.count);
    }
  } finally {
    q.dispose();
  }
  return rows.map((_, i) => {
    prune(rows, scores, i, k);
    const order = rows[i].map((_, j) => j).sort((a, b) => scores[i][b] - scores[i][a] || rows[i][a] - rows[i][b]);
    return { rows: Int32Array.from(order, (j) => rows[i][j]), scores: Float32Array.from(order, (j) => scores[i][j]) };
  });
}

/** Drops query `i`'s candidates below the tie-robust threshold of those it holds. */
function prune(rows: number[][], scores: number[][], i: number, k: number): void {
  const tau = tieRobustThreshold(scores[i], k);
  const keepR: number[] = [];
  const keepS: number[] = [];
  for (let j = 0; j < rows[i].length; j++) {
    if (scores[i][j] >= tau) {
      keepR.push(rows[i][j]);
      keepS.push(scores[i][j]);
    }
  }
  rows[i] = keepR;
  scores[i] = keepS;
}
