/** Caption de-duplication: group candidates by caption, keep the top k_v (default 2) of each group by S_v. */
import { rankScore, sortByRank, type Candidate } from './candidate';

/** Keeps at most `kv` candidates per caption (the best by S_v, else dense score), best first. */
export function dedupByCaption(cands: Candidate[], captionOf: (row: number) => string, kv = 2): Candidate[] {
  if (!Number.isInteger(kv) || kv <= 0) throw new Error(`dedup option "kv" must be a positive integer, got ${kv}`);
  const groups = new Map<string, Candidate[]>();
  for (const c of cands) {
    const key = captionOf(c.row);
    const g = groups.get(key);
    if (g) g.push(c);
    else groups.set(key, [c]);
  }
  const out: Candidate[] = [];
  for (const g of groups.values()) out.push(...g.sort((a, b) => rankScore(b) - rankScore(a) || a.row - b.row).slice(0, kv));
  return sortByRank(out);
}
