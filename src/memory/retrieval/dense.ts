/**
 * Dense stage with the tie-robust threshold (paper Eqs. 2–6): k′ = min(k, number of unique
 * scores), τ = the k′-th largest unique score, keep every candidate scoring ≥ τ, so ties at
 * the cut are all kept and the set can exceed k.
 */
import type { VectorIndex } from '../types';
import { exactSearchChunked, type ChunkedExactOptions, type VectorChunkSource } from '../vector/chunked-exact';
import type { Candidate } from './candidate';

/** The k′-th largest unique value of `scores`, k′ = min(k, #unique); -Infinity when empty. */
export function tieRobustThreshold(scores: ArrayLike<number>, k: number): number {
  if (!Number.isInteger(k) || k <= 0) throw new Error(`dense option "k" must be a positive integer, got ${k}`);
  const top: number[] = []; // the k largest unique values, descending
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (top.length === k && s <= top[k - 1]) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (top[mid] > s) lo = mid + 1;
      else hi = mid;
    }
    if (top[lo] === s) continue;
    top.splice(lo, 0, s);
    if (top.length > k) top.pop();
  }
  return top.length ? top[top.length - 1] : -Infinity;
}

/** Keeps every (row, score) with score ≥ the tie-robust threshold, best first. */
export function applyTieRobustThreshold(rows: ArrayLike<number>, scores: ArrayLike<number>, k: number): Candidate[] {
  const tau = tieRobustThreshold(scores, k);
  const out: Candidate[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i] >= tau) out.push({ row: rows[i], dense: scores[i] });
  return out.sort((a, b) => b.dense - a.dense || a.row - b.row);
}

/** Options of {@link denseStage}. */
export interface DenseOptions {
  /** Target retrieval size k. */
  k: number;
  /** With an approximate index, fetch `k · overFetch` neighbours so the threshold sees ties. Default 4. */
  overFetch?: number;
  /**
   * Only rows it accepts are candidates (e.g. rows with an image when text-only entries would be
   * dropped later anyway): the threshold is then taken among them, so ineligible rows cannot
   * crowd the top k out.
   */
  eligible?: (row: number) => boolean;
}

/**
 * Dense candidates for one normalised query vector. An index that can score every row (exact)
 * is thresholded over all rows; others are over-fetched, then thresholded.
 */
export function denseStage(index: VectorIndex, query: Float32Array, options: DenseOptions): Candidate[] {
  const over = options.overFetch ?? 4;
  if (!(over >= 1)) throw new Error(`dense option "overFetch" must be >= 1, got ${over}`);
  const eligible = options.eligible;
  if (index.scoreAll) {
    let scores = index.scoreAll(query);
    if (!eligible) {
      const tau = tieRobustThreshold(scores, options.k);
      const out: Candidate[] = [];
      for (let r = 0; r < scores.length; r++) if (scores[r] >= tau) out.push({ row: r, dense: scores[r] });
      return out.sort((a, b) => b.dense - a.dense || a.row - b.row);
    }
    const rows: number[] = [];
    for (let r = 0; r < scores.length; r++) if (eligible(r)) rows.push(r);
    scores = Float32Array.from(rows, (r) => scores[r]);
    return applyTieRobustThreshold(rows, scores, options.k);
  }
  const hits = index.search(query, Math.ceil(options.k * over), eligible);
  return applyTieRobustThreshold(hits.rows, hits.scores, options.k);
}

/**
 * The dense stage for a batch of normalised queries (row-major `[q, dim]`) computed exactly on
 * the tensor backend, as the paper does: the stored vectors stream through a matrix product in
 * chunks ({@link exactSearchChunked}) and each query keeps every row at or above its tie-robust
 * threshold. For memories whose vectors are too many for a per-query JS scan (use
 * `matrixChunkSource(memory.textEmbeddings, dim)` for an in-RAM memory, or an on-disk memory's
 * `vectorSource()`).
 */
export async function denseStageExact(source: VectorChunkSource, queries: Float32Array, k: number, options: ChunkedExactOptions = {}): Promise<Candidate[][]> {
  const hits = await exactSearchChunked(source, queries, k, options);
  return hits.map((h) => Array.from(h.rows, (row, i) => ({ row, dense: h.scores[i] })));
}
