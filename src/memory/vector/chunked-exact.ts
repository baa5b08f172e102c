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
 *
 * Why the candidates are rescored: a float32 matrix product does not give two copies of one
 * vector the same score when they sit at different places in the chunk (BLAS and GPU kernels
 * sum in an order that depends on the tile), so duplicates, the ties the threshold exists for,
 * would be split. The backend's scores only find the candidates (with a margin of the float32
 * rounding bound); each candidate's score is then recomputed as a float64 sum in a fixed order,
 * the same for every copy of a vector, and the threshold is taken on those.
 */
import * as tf from '@tensorflow/tfjs';
import { tieRobustThreshold } from '../retrieval/dense';
import { currentBackend } from '../../backend';
import type { SearchHits } from '../types';

/** A stream of stored vectors, a chunk at a time, in row order. */
export interface VectorChunkSource {
  /** Vector dimension. */
  readonly dim: number;
  /** Number of stored vectors. */
  readonly count: number;
  /** Yields chunks of at most `rows` vectors covering every stored row once. */
  chunks(rows: number): AsyncIterable<VectorChunk> | Iterable<VectorChunk>;
  /**
   * An upper bound on every stored vector's L2 norm, when the store guarantees one (it normalised
   * the vectors when it wrote them): exact search then skips measuring each chunk's largest norm.
   * Declare only what the store enforces: a bound below a real norm makes the search inexact.
   */
  readonly maxNorm?: number;
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

/**
 * A {@link VectorChunkSource} over a row-major float32 matrix held in RAM; `maxNorm` as in
 * {@link VectorChunkSource.maxNorm} (e.g. a memory's L2-normalised caption embeddings).
 */
export function matrixChunkSource(data: Float32Array, dim: number, options: { maxNorm?: number } = {}): VectorChunkSource {
  if (data.length % dim !== 0) throw new Error(`matrixChunkSource: ${data.length} floats is not a multiple of dimension ${dim}`);
  const count = data.length / dim;
  return {
    dim,
    count,
    maxNorm: options.maxNorm,
    *chunks(rows: number) {
      for (let s = 0; s < count; s += rows) yield { start: s, vectors: data.subarray(s * dim, Math.min(count, s + rows) * dim) };
    },
  };
}

/** Query `qi`'s float64 dot product with vector `r` of `vectors`, summed in index order (float32 products are exact in float64). */
function dot64(queries: Float32Array, qi: number, vectors: Float32Array, r: number, dim: number): number {
  const qo = qi * dim;
  const ro = r * dim;
  let d = 0;
  for (let j = 0; j < dim; j++) d += queries[qo + j] * vectors[ro + j];
  return d;
}

/**
 * One query's candidates in one chunk, from its `kk` best float32 scores `vals[from, from + kk)`
 * (descending): candidates are rescored (`exact(rank)`) best first until the k-th largest unique
 * rescored value u exceeds the next float32 value by more than `margin` (the rounding bound), so
 * no row not yet rescored, fetched or not, can reach u. Returns the rescored candidates at or
 * above u, or undefined when the fetched ones do not settle it (fetch more); when the whole
 * chunk was fetched (`all`), every row is rescored if needed.
 */
function settle(vals: ArrayLike<number>, from: number, kk: number, exact: (rank: number) => number, k: number, margin: number, all: boolean): { rank: number; score: number }[] | undefined {
  const got: { rank: number; score: number }[] = [];
  const top: number[] = []; // the k largest unique rescored values, descending
  for (let r = 0; r < kk; r++) {
    if (top.length === k && vals[from + r] + margin < top[k - 1]) break;
    const e = exact(r);
    got.push({ rank: r, score: e });
    let lo = 0;
    while (lo < top.length && top[lo] > e) lo++;
    if (top[lo] !== e) {
      top.splice(lo, 0, e);
      if (top.length > k) top.pop();
    }
  }
  const settledHere = top.length === k && (got.length < kk || vals[from + kk - 1] + margin < top[k - 1]);
  if (!settledHere && !all) return undefined;
  const u = top.length === k ? top[k - 1] : -Infinity;
  return got.filter((g) => g.score >= u);
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
  const declaredNorm = source.maxNorm;
  if (declaredNorm !== undefined && !(declaredNorm > 0 && Number.isFinite(declaredNorm))) throw new Error(`exact search: the source's maxNorm must be a positive finite number, got ${declaredNorm}`);
  const chunkRows = options.chunkRows ?? 32_768;
  if (!Number.isInteger(chunkRows) || chunkRows <= 0) throw new Error(`exact search option "chunkRows" must be a positive integer, got ${chunkRows}`);
  const nq = queries.length / dim;
  const rows: number[][] = Array.from({ length: nq }, () => []);
  const scores: number[][] = Array.from({ length: nq }, () => []);
  if (nq === 0) return [];
  const q = tf.tensor2d(queries, [nq, dim]);
  // Bound on a backend score's rounding error, per unit of |query|·|row|: recursive summation's
  // γ_d with the matmul's unit roundoff (float32's, or TF32's 10-bit mantissa when the torch
  // backend runs CUDA matmuls in tf32; blocked and FMA kernels stay inside it), doubled for safety.
  const unitRoundoff = currentBackend()?.precision === 'tf32' ? 2 ** -11 : 2 ** -24;
  const gamma = 2 * (dim + 2) * unitRoundoff;
  const queryNorm = Array.from({ length: nq }, (_, i) => Math.sqrt(dot64(queries, i, queries, i, dim)));
  let done = 0;
  try {
    for await (const chunk of source.chunks(chunkRows)) {
      const n = chunk.vectors.length / dim;
      if (!Number.isInteger(n)) throw new Error(`exact search: a chunk at row ${chunk.start} holds ${chunk.vectors.length} floats, not a multiple of dimension ${dim}`);
      if (n === 0) continue;
      const [s, sqNorm] = tf.tidy(() => {
        const x = tf.tensor2d(chunk.vectors, [n, dim]);
        const scores = tf.matMul(q, x, false, true);
        return declaredNorm === undefined ? [scores, tf.max(tf.sum(tf.square(x), 1))] : [scores];
      });
      const rowNorm = declaredNorm ?? Math.sqrt((await sqNorm.data())[0]);
      sqNorm?.dispose();
      try {
        // Widen the top-k until every query's candidates are settled within what was fetched
        // (see `settle`), or the whole chunk is fetched.
        for (let kk = Math.min(n, 2 * k); ; kk = Math.min(n, kk * 2)) {
          const top = tf.topk(s, kk, true);
          const [vals, idx] = await Promise.all([top.values.data(), top.indices.data()]);
          top.values.dispose();
          top.indices.dispose();
          const settled: { rank: number; score: number }[][] = [];
          for (let i = 0; i < nq; i++) {
            const c = settle(vals, i * kk, kk, (j) => dot64(queries, i, chunk.vectors, idx[i * kk + j], dim), k, gamma * queryNorm[i] * rowNorm, kk === n);
            if (!c) break;
            settled.push(c);
          }
          if (settled.length < nq) continue;
          for (let i = 0; i < nq; i++) {
            for (const { rank, score } of settled[i]) {
              rows[i].push(chunk.rows ? chunk.rows[idx[i * kk + rank]] : chunk.start + idx[i * kk + rank]);
              scores[i].push(score);
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
