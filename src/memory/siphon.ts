/**
 * The Dynamic Siphon (paper Eqs. 8–12): three mutually exclusive query bags. Task bag: the
 * earlier tasks' class prompts, top-a each. Domain bag: base-pool questions whose domain was
 * seen in an earlier task, top-b each. General bag: n questions sampled with the seed from the
 * rest of the base pool, top-c each. The reference set is the union of what they retrieve.
 */
import { Rng } from '../util/rng';
import { assignDomains, growPool, normalizeDomain, type DomainClassifier, type EarlierTask, type Question } from './pool';
import type { Candidate } from './retrieval/candidate';
import { rankScore } from './retrieval/candidate';

/** Retrieves ranked candidates for many queries with target size k (the retrieval pipeline, or a fake in tests). */
export type BatchRetriever = (queries: string[], k: number) => Promise<Candidate[][]>;

/** Siphon quotas. */
export interface SiphonOptions {
  /** Per-query count of the task bag. */
  a: number;
  /** Per-query count of the domain bag. */
  b: number;
  /** Per-query count of the general bag. */
  c: number;
  /** Questions sampled into the general bag. Default 50. */
  n?: number;
  /** Retrieval target size. Default max(a, b, c). */
  k?: number;
  /** Seed of the general-bag sample. Default 42. */
  seed?: number;
}

/** Defaults per benchmark (primed-decisions.md §4). */
export const SIPHON_DEFAULTS = {
  /** HieraMedTransfer: the paper's b:c = 30:80 (Table 11 row that reproduces the main results); a, never reported, is set to b. */
  hieramedtransfer: {
    /** References kept per task-bag query (an earlier task's class prompt). */
    a: 30,
    /** References kept per domain-bag query (a pool question in an already-seen domain). */
    b: 30,
    /** References kept per general-bag query (a sampled question from an unseen domain). */
    c: 80,
    /** Questions sampled into the general bag (the paper does not give n). */
    n: 50,
  },
  /** MedXtreme: the paper's b:c = 70:100 (Table 12 row that reproduces the main results); a, never reported, is set to b. */
  medxtreme: {
    /** References kept per task-bag query (an earlier task's class prompt). */
    a: 70,
    /** References kept per domain-bag query (a pool question in an already-seen domain). */
    b: 70,
    /** References kept per general-bag query (a sampled question from an unseen domain). */
    c: 100,
    /** Questions sampled into the general bag (the paper does not give n). */
    n: 50,
  },
} as const satisfies Record<string, SiphonOptions>;

/** Which bag a reference came from. */
export type Bag = 'task' | 'domain' | 'general' | 'uniform';

/** One reference (an image–caption entry chosen for distillation). */
export interface ReferenceItem {
  /** Row in the memory. */
  row: number;
  /** Bag of the first query that retrieved it. */
  bag: Bag;
  /** That query. */
  query: string;
  /** Its rank score (S_v, else dense). */
  score: number;
}

/** A reference set and the queries of each bag. */
export interface ReferenceSet {
  /** The references, deduplicated by row (first bag wins: task, then domain, then general). */
  items: ReferenceItem[];
  /** Query texts of each bag. */
  bags: Partial<Record<Bag, string[]>>;
}

/** The three query bags for the task after `earlier` (disjoint by construction). */
export async function siphonBags(
  pool0: Question[],
  earlier: EarlierTask[],
  options: { n?: number; seed?: number },
  classify?: DomainClassifier,
): Promise<{
  /** Task bag: the earlier tasks' class prompts, de-duplicated as growPool does (case and outer spaces ignored), in task order (retrieved top-a each). */
  task: string[];
  /** Domain bag: base-pool questions whose domain (given, or from `classify`) was seen in an earlier task (top-b each). */
  domain: string[];
  /** General bag: up to `n` (default 50) of the remaining base-pool questions, sampled with `seed` (default 42), in pool order (top-c each). */
  general: string[];
}> {
  const n = options.n ?? 50;
  if (!Number.isInteger(n) || n < 0) throw new Error(`siphon option "n" must be a non-negative integer, got ${n}`);
  // The prompts M^i adds to the base pool (growPool, paper Eq. 1) are the task bag; the base pool without them feeds the other two.
  const task = growPool([], earlier).map((q) => q.text);
  const taskKeys = new Set(task.map((t) => t.trim().toLowerCase()));
  const base = pool0.filter((q) => q.source !== 'task' && !taskKeys.has(q.text.trim().toLowerCase()));
  const domains = await assignDomains(base, classify);
  const seen = new Set(earlier.map((t) => normalizeDomain(t.domain)));
  const domain: string[] = [];
  const rest: string[] = [];
  base.forEach((q, i) => (seen.has(normalizeDomain(domains[i])) ? domain : rest).push(q.text));
  const rng = Rng.derive(options.seed ?? 42, 'siphon-general');
  const general = rng.sampleIndices(rest.length, Math.min(n, rest.length)).sort((x, y) => x - y).map((i) => rest[i]);
  return { task, domain, general };
}

/** Unions per-query top-`quota` results into a reference set, first bag wins on a shared row. */
export function unionReferences(parts: { bag: Bag; queries: string[]; results: Candidate[][]; quota: number }[]): ReferenceItem[] {
  const seen = new Set<number>();
  const items: ReferenceItem[] = [];
  for (const p of parts) {
    p.queries.forEach((q, i) => {
      for (const c of p.results[i].slice(0, p.quota)) {
        if (seen.has(c.row)) continue;
        seen.add(c.row);
        items.push({ row: c.row, bag: p.bag, query: q, score: rankScore(c) });
      }
    });
  }
  return items;
}

/** Builds the reference set for the task after `earlier` with the Dynamic Siphon. */
export async function dynamicSiphon(pool0: Question[], earlier: EarlierTask[], retrieve: BatchRetriever, options: SiphonOptions, classify?: DomainClassifier): Promise<ReferenceSet> {
  for (const f of ['a', 'b', 'c'] as const) {
    if (!Number.isInteger(options[f]) || options[f] < 0) throw new Error(`siphon option "${f}" must be a non-negative integer, got ${options[f]}`);
  }
  const k = options.k ?? Math.max(options.a, options.b, options.c, 1);
  const bags = await siphonBags(pool0, earlier, options, classify);
  const all = [...bags.task, ...bags.domain, ...bags.general];
  const results = all.length ? await retrieve(all, k) : [];
  const t = bags.task.length;
  const d = bags.domain.length;
  const items = unionReferences([
    { bag: 'task', queries: bags.task, results: results.slice(0, t), quota: options.a },
    { bag: 'domain', queries: bags.domain, results: results.slice(t, t + d), quota: options.b },
    { bag: 'general', queries: bags.general, results: results.slice(t + d), quota: options.c },
  ]);
  return { items, bags };
}
