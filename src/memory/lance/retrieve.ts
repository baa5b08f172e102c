/**
 * The multi-stage retrieval (paper §3.2) over an on-disk memory: the same stages as
 * `retrieve` (dense with the tie-robust threshold → visual rerank → caption de-duplication →
 * BM25 gate), with the dense stage searched exactly on the tensor backend or by the IVF-PQ index,
 * captions read from the table for the candidates only, and the `bm25` ablation mode answered by
 * LanceDB's full-text index over the whole memory.
 */
import { bm25Gate } from '../retrieval/bm25-gate';
import { sortByRank, type Candidate } from '../retrieval/candidate';
import { dedupByCaption } from '../retrieval/dedup';
import type { RetrievalOptions } from '../retrieval/pipeline';
import { visualRerank, type VisualScorer } from '../retrieval/visual';
import type { LanceMemory, LanceSearchOptions } from './store';
import { applyTieRobustThreshold } from '../retrieval/dense';
import { silentProgress, type ProgressSink } from '../../util/progress';

/** Options of {@link retrieveFromLance}: the pipeline's options plus how the dense stage searches. */
export interface LanceRetrievalOptions extends Omit<RetrievalOptions, 'dropTextOnly'> {
  /** Dense-stage search: `exact` (every vector) or `index` (IVF-PQ); default as {@link LanceMemory.searchBatch}. */
  search?: LanceSearchOptions;
  /** After the rerank, drop candidates whose S_v is NaN (no image). Default true. */
  dropTextOnly?: boolean;
}

/** Runs the retrieval pipeline for one query over an on-disk memory (`queryVector` = its normalised text embedding). */
export async function retrieveFromLance(memory: LanceMemory, query: string, queryVector: Float32Array, options: LanceRetrievalOptions, scorer?: VisualScorer): Promise<Candidate[]> {
  return (await retrieveBatchFromLance(memory, [query], [queryVector], options, scorer))[0];
}

/**
 * Runs the retrieval pipeline for a batch of queries over an on-disk memory (`vectors[i]` = the
 * normalised text embedding of `queries[i]`). In exact mode the dense stage of every query is one
 * pass over the stored vectors; the index answers query by query. The later stages read the
 * candidates' captions only.
 */
export async function retrieveBatchFromLance(memory: LanceMemory, queries: string[], vectors: Float32Array[], options: LanceRetrievalOptions, scorer?: VisualScorer, progress: ProgressSink = silentProgress): Promise<Candidate[][]> {
  const mode = options.mode ?? 'hierarchical';
  const k = options.k;
  if (vectors.length !== queries.length) throw new Error(`retrieval: ${queries.length} queries but ${vectors.length} vectors`);
  const label = 'retrieve references';
  const out: Candidate[][] = [];
  if (mode === 'bm25') {
    for (const q of queries) {
      out.push((await memory.bm25(q, k, { imageOnly: options.search?.imageOnly })).map((h) => ({ row: h.row, dense: NaN, bm25: h.bm25 })));
      progress({ label, done: out.length, total: queries.length });
    }
    return out;
  }
  if (mode !== 'hierarchical' && mode !== 'embedding') throw new Error(`retrieval option "mode" must be hierarchical, embedding or bm25, got ${JSON.stringify(mode)}`);
  const search = { ...options.search, overFetch: options.overFetch };
  let dense: Candidate[][] | undefined;
  if ((search.mode ?? memory.defaultSearchMode) === 'exact' && queries.length > 1) {
    // One pass over the stored vectors for all queries (each keeps its tie-robust set).
    const dim = memory.manifest.embedder.dim;
    const flat = new Float32Array(queries.length * dim);
    vectors.forEach((v, i) => flat.set(v, i * dim));
    const hits = await memory.searchBatch(flat, k, { ...search, mode: 'exact' });
    dense = hits.map((h) => applyTieRobustThreshold(h.rows, h.scores, k));
  }
  for (let i = 0; i < queries.length; i++) {
    const cands = dense?.[i] ?? (await memory.denseCandidates(vectors[i], k, search));
    out.push(mode === 'embedding' ? cands.slice(0, k) : await laterStages(memory, queries[i], cands, options, scorer));
    progress({ label, done: i + 1, total: queries.length });
  }
  return out;
}

/** The hierarchical mode after the dense stage: visual rerank → caption de-duplication → BM25 gate → sort. */
async function laterStages(memory: LanceMemory, query: string, cands: Candidate[], options: LanceRetrievalOptions, scorer?: VisualScorer): Promise<Candidate[]> {
  const k = options.k;
  const st = options.stages ?? {};
  if (st.rerank !== false) {
    if (!scorer) throw new Error('retrieval: the rerank stage needs a visual scorer (or set stages.rerank to false)');
    cands = await visualRerank(query, cands, scorer);
    if (options.dropTextOnly !== false) cands = cands.filter((c) => !Number.isNaN(c.visual));
  }
  const rows = cands.map((c) => c.row);
  const entries = await memory.entries(rows);
  const captions = new Map(rows.map((r, i) => [r, entries[i].caption]));
  const captionOf = (r: number) => captions.get(r)!;
  if (st.dedup !== false) cands = dedupByCaption(cands, captionOf, options.kv ?? 2);
  if (st.bm25Gate !== false) cands = bm25Gate(query, cands, captionOf, k, { k1: options.k1, b: options.b });
  return sortByRank(cands).slice(0, st.bm25Gate === false ? undefined : k);
}
