/** A memory row moving through the retrieval stages, with the scores each stage gave it. */
export interface Candidate {
  /** Row in the memory. */
  row: number;
  /** Dense (text-embedding cosine) score. */
  dense: number;
  /** Visual rerank score S_v (NaN for a text-only entry); set by the rerank stage. */
  visual?: number;
  /** BM25 score; set by the BM25 gate. */
  bm25?: number;
}

/** The score a stage after rerank orders by: S_v when present, else the dense score. */
export function rankScore(c: Candidate): number {
  return c.visual !== undefined && !Number.isNaN(c.visual) ? c.visual : c.dense;
}

/** Sorts best first by {@link rankScore}, ties by row. */
export function sortByRank(cands: Candidate[]): Candidate[] {
  return cands.sort((a, b) => rankScore(b) - rankScore(a) || a.row - b.row);
}
