/**
 * The multi-stage retrieval of one query (paper §3.2): dense with the tie-robust threshold →
 * visual rerank → caption de-duplication → BM25 gate → sort by S_v. Each stage can be switched
 * off; the paper's ablation (BM25 only / embedding only / hierarchical) is the `mode` option.
 */
import { Bm25 } from '../bm25';
import type { VectorIndex } from '../types';
import { bm25Gate } from './bm25-gate';
import { sortByRank, type Candidate } from './candidate';
import { dedupByCaption } from './dedup';
import { denseStage } from './dense';
import { visualRerank, type VisualScorer } from './visual';

/** The paper's retrieval ablation: `bm25` only, `embedding` only, or the full `hierarchical` pipeline. */
export type RetrievalMode = 'hierarchical' | 'embedding' | 'bm25';

/** Options of the retrieval pipeline (all recorded in reference-set cache keys). */
export interface RetrievalOptions {
  /** Target retrieval size k. */
  k: number;
  /** Ablation mode. Default `hierarchical`. */
  mode?: RetrievalMode;
  /** Over-fetch factor of the dense stage on an approximate index. Default 4. */
  overFetch?: number;
  /** Images kept per caption. Default 2. */
  kv?: number;
  /** BM25 k1. Default 1.2. */
  k1?: number;
  /** BM25 b. Default 0.75. */
  b?: number;
  /** Switch stages of the hierarchical mode off (all on by default). */
  stages?: {
    /**
     * Visual rerank: score each dense candidate by S_v (query text vs. its image, from the initial backbone) and, with
     * {@link RetrievalOptions.dropTextOnly}, drop candidates without an image. Default on; needs a visual scorer when on.
     */
    rerank?: boolean;
    /** Caption de-duplication: keep at most {@link RetrievalOptions.kv} candidates per identical caption, best by S_v. Default on. */
    dedup?: boolean;
    /**
     * BM25 gate: when more than `k` candidates remain, keep the `k` whose captions score highest by BM25 against the query.
     * Default on; when off, nothing cuts the result to `k`, so every surviving candidate is returned.
     */
    bm25Gate?: boolean;
  };
  /**
   * Drop candidates without an image. Default true: references need images. When the source
   * says which rows have one ({@link RetrievalSource.hasImage}), every mode retrieves among those
   * rows only; otherwise the hierarchical mode drops rows whose S_v is NaN after the rerank.
   */
  dropTextOnly?: boolean;
}

/** What the pipeline reads from a memory. */
export interface RetrievalSource {
  /** The vector index over caption embeddings. */
  index: VectorIndex;
  /** Caption of a row. */
  caption(row: number): string;
  /** Number of rows. */
  size: number;
  /**
   * Whether a row has an image. When given and text-only rows are dropped (`dropTextOnly` not
   * false), retrieval runs among rows with an image only, so text-only captions cannot fill the
   * top k and leave the reference set short.
   */
  hasImage?(row: number): boolean;
}

const bm25Cache = new WeakMap<RetrievalSource, Bm25>();

/** Runs the pipeline for one query (`queryVector` = its normalised text embedding). */
export async function retrieve(source: RetrievalSource, query: string, queryVector: Float32Array, options: RetrievalOptions, scorer?: VisualScorer): Promise<Candidate[]> {
  const mode = options.mode ?? 'hierarchical';
  const k = options.k;
  const bmOpts = { k1: options.k1, b: options.b };
  const hasImage = source.hasImage;
  const eligible = options.dropTextOnly !== false && hasImage ? (r: number) => hasImage.call(source, r) : undefined;
  if (mode === 'bm25') {
    let bm = bm25Cache.get(source);
    if (!bm) {
      bm = new Bm25(Array.from({ length: source.size }, (_, r) => source.caption(r)), bmOpts);
      bm25Cache.set(source, bm);
    }
    const s = bm.scores(query);
    const rows = Array.from(s.keys()).filter((r) => s[r] > 0 && (!eligible || eligible(r))).sort((a, b) => s[b] - s[a] || a - b).slice(0, k);
    return rows.map((row) => ({ row, dense: NaN, bm25: s[row] }));
  }
  if (mode !== 'hierarchical' && mode !== 'embedding') throw new Error(`retrieval option "mode" must be hierarchical, embedding or bm25, got ${JSON.stringify(mode)}`);
  const st = options.stages ?? {};
  let cands = denseStage(source.index, queryVector, { k, overFetch: options.overFetch, eligible });
  if (mode === 'embedding') return cands.slice(0, k);
  if (st.rerank !== false) {
    if (!scorer) throw new Error('retrieval: the rerank stage needs a visual scorer (or set stages.rerank to false)');
    cands = await visualRerank(query, cands, scorer);
    if (options.dropTextOnly !== false) cands = cands.filter((c) => !Number.isNaN(c.visual));
  }
  if (st.dedup !== false) cands = dedupByCaption(cands, (r) => source.caption(r), options.kv ?? 2);
  if (st.bm25Gate !== false) cands = bm25Gate(query, cands, (r) => source.caption(r), k, bmOpts);
  return sortByRank(cands).slice(0, st.bm25Gate === false ? undefined : k);
}
