/**
 * Builds the reference set for a task from a memory: the retrieval pipeline as a batch
 * retriever, the Dynamic Siphon (or the uniform variant), through the on-disk cache.
 */
import { silentProgress, type ProgressSink } from '../util/progress';
import { cachedReferenceSet, type CachedReferenceSet } from './reference-cache';
import type { Memory } from './store';
import type { Embedder } from './types';
import { retrieve, type RetrievalOptions } from './retrieval/pipeline';
import type { VisualScorer } from './retrieval/visual';
import type { DomainClassifier, EarlierTask, Question } from './pool';
import { dynamicSiphon, type BatchRetriever, type SiphonOptions } from './siphon';
import { uniformReferenceSet, UNIFORM_KEYWORDS } from './uniform';

/** The pipeline over `memory` as a {@link BatchRetriever}; queries are embedded by `embedder` (the memory's own). */
export function memoryRetriever(memory: Memory, embedder: Embedder, options: Omit<RetrievalOptions, 'k'>, scorer?: VisualScorer, progress: ProgressSink = silentProgress): BatchRetriever {
  memory.checkEmbedder(embedder);
  const source = { index: memory.index, size: memory.size, caption: (r: number) => memory.stored[r].caption, hasImage: (r: number) => memory.stored[r].image !== undefined };
  return async (queries, k) => {
    const vecs = await embedder.embed(queries);
    const out = [];
    for (let i = 0; i < queries.length; i++) {
      out.push(await retrieve(source, queries[i], vecs[i], { ...options, k }, scorer));
      progress({ label: 'retrieve references', done: i + 1, total: queries.length });
    }
    return out;
  };
}

/** Options of {@link buildReferenceSet}. */
export interface ReferenceSetOptions {
  /** `siphon` (PRIMED) or `uniform` (PRIMED_uni). Default `siphon`. */
  strategy?: 'siphon' | 'uniform';
  /** Siphon quotas (and the seed). */
  siphon: SiphonOptions;
  /** Total size of a uniform set (default: the size the siphon would give is not known in advance, so it is required for `uniform`). */
  uniformTotal?: number;
  /** Keywords of the uniform set. Default {@link UNIFORM_KEYWORDS}. */
  uniformKeywords?: readonly string[];
  /** Retrieval options other than k. */
  retrieval?: Omit<RetrievalOptions, 'k'>;
  /** Where reference sets are cached. */
  cacheDir: string;
  /** Seed. Default 42. */
  seed?: number;
  /** Progress of retrieval. */
  progress?: ProgressSink;
}

function scorerIdentity(scorer: VisualScorer | undefined): string | null {
  if (!scorer) return null;
  if (typeof scorer.id !== 'string' || scorer.id === '') {
    throw new Error(
      'buildReferenceSet: the visual scorer has no id, so its cached reference sets could not be told from another scorer\'s; ' +
        'give it one (modelVisualScorer(model, images, id), or Object.assign(scorer, { id }))',
    );
  }
  return scorer.id;
}

/**
 * The reference set for the task after `earlier`, from the cache when the same inputs were seen
 * before (the visual scorer's `id` included: a scorer without one is refused).
 */
export async function buildReferenceSet(memory: Memory, embedder: Embedder, pool0: Question[], earlier: EarlierTask[], options: ReferenceSetOptions, scorer?: VisualScorer, classify?: DomainClassifier): Promise<CachedReferenceSet> {
  const seed = options.seed ?? options.siphon.seed ?? 42;
  const strategy = options.strategy ?? 'siphon';
  const retrieval = options.retrieval ?? {};
  const run = memoryRetriever(memory, embedder, retrieval, scorer, options.progress);
  const parts = {
    memory: { version: memory.manifest.version, entriesSha256: memory.manifest.entriesSha256, embedder: memory.manifest.embedder.id },
    pool: pool0.map((q) => [q.text, q.domain ?? null]),
    earlierTasks: earlier.map((t) => ({ domain: t.domain, classNames: t.classNames, template: t.template ?? null })),
    options: { strategy, siphon: { ...options.siphon, seed }, retrieval, uniformTotal: options.uniformTotal, uniformKeywords: options.uniformKeywords },
    visualScorer: scorerIdentity(scorer),
    seed,
  };
  return cachedReferenceSet(options.cacheDir, parts, async () => {
    if (strategy === 'uniform') {
      if (options.uniformTotal === undefined) throw new Error('reference set option "uniformTotal" is required for strategy uniform');
      return uniformReferenceSet(run, options.uniformTotal, options.uniformKeywords ?? UNIFORM_KEYWORDS);
    }
    return dynamicSiphon(pool0, earlier, run, { ...options.siphon, seed }, classify);
  });
}
