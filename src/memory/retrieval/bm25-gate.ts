/**
 * The lexical gate (paper Eq. 7): when more than k candidates remain, keep the top k by BM25
 * between the query and the candidates' captions (IDF over the candidate set); otherwise keep
 * all. The survivors are then sorted by S_v.
 */
import { Bm25, type Bm25Options } from '../bm25';
import { rankScore, sortByRank, type Candidate } from './candidate';

/** Applies the BM25 gate with target size `k`. */
export function bm25Gate(query: string, cands: Candidate[], captionOf: (row: number) => string, k: number, options: Bm25Options = {}): Candidate[] {
  if (cands.length <= k) return sortByRank([...cands]);
  const bm = new Bm25(cands.map((c) => captionOf(c.row)), options);
  const s = bm.scores(query);
  const scored = cands.map((c, i) => ({ ...c, bm25: s[i] }));
  scored.sort((a, b) => b.bm25! - a.bm25! || rankScore(b) - rankScore(a) || a.row - b.row);
  return sortByRank(scored.slice(0, k));
}
