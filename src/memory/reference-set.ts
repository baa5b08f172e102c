/**
 * Builds the reference set for a task from a memory: the retrieval pipeline as a batch
 * retriever, the Dynamic Siphon (or the uniform variant), through the on-disk cache.
 */
import { silentProgress, type ProgressSink } from '../util/progress';
import { cachedReferenceSet, type CachedReferenceSet } from './reference-cache';
import type { Memory } from './store';
import type { EmbedderIdentity } from './manifest';
import type { Embedder, MemoryEntry } from './types';
import { retrieve, type RetrievalOptions, type RetrievalSource } from './retrieval/pipeline';
import type { Candidate } from './retrieval/candidate';
import type { VisualScorer } from './retrieval/visual';
import type { LanceMemory, LanceSearchOptions } from './lance/store';
import type { DomainClassifier, EarlierTask, Question } from './pool';
import { dynamicSiphon, type BatchRetriever, type SiphonOptions } from './siphon';
import { uniformReferenceSet, UNIFORM_KEYWORDS } from './uniform';

/** A memory of either engine: the in-RAM {@link Memory} or the on-disk `LanceMemory`. */
export type AnyMemory = Memory | LanceMemory;

/** Whether `memory` is an on-disk (LanceDB) memory (its `engine` says so; an in-RAM memory has none). */
export function isOnDiskMemory(memory: AnyMemory): memory is LanceMemory {
  return (memory as { engine?: string }).engine === 'lance';
}

/** Retrieval options of the reference-set path: the pipeline's (other than k), plus how an on-disk memory's dense stage searches. */
export interface MemoryRetrievalOptions extends Omit<RetrievalOptions, 'k'> {
  /**
   * On-disk (LanceDB) memory only: the dense stage's search, `{ mode: 'exact' }` (every vector,
   * as the paper) or `{ mode: 'index' }` (IVF-PQ, with `nprobes` / `refineFactor` overrides).
   * Default the memory's own (`LanceMemory.defaultSearchMode`: the index when it has one). Refused
   * for an in-RAM memory, whose index kind was chosen when it was built.
   */
  search?: Omit<LanceSearchOptions, 'imageOnly'>;
}

/**
 * What the reference-set path reads from a memory: batch retrieval with the pipeline's stages,
 * entries and image bytes of rows, the identity that keys the reference-set cache, and the
 * embedder check. The on-disk `LanceMemory` implements it; an in-RAM {@link Memory} is adapted by
 * {@link referenceMemory}.
 */
export interface ReferenceMemory {
  /** The memory folder. */
  readonly dir: string;
  /** Number of entries. */
  readonly size: number;
  /** Storage engine. */
  readonly engine: 'in-ram' | 'lance';
  /** The manifest fields every engine records. */
  readonly manifest: {
    /** Incremented by each build or add. */
    readonly version: number;
    /** The text embedder of the stored vectors. */
    readonly embedder: EmbedderIdentity;
  };
  /** Refuses an embedder whose identity or dimension differs from the memory's. */
  checkEmbedder(e: Embedder): void;
  /** Entries of `rows`, in that order. */
  entries(rows: number[]): MemoryEntry[] | Promise<MemoryEntry[]>;
  /** Encoded image bytes of `rows` (undefined for a text-only entry); a missing image file is an error naming the memory, row, id and path. */
  readImages(rows: number[]): (Uint8Array | undefined)[] | Promise<(Uint8Array | undefined)[]>;
  /** The retrieval pipeline for a batch of queries (`vectors[i]` = the normalised embedding of `queries[i]`), one progress step per query. */
  retrieveBatch(queries: string[], vectors: Float32Array[], options: MemoryRetrievalOptions & { k: number }, scorer?: VisualScorer, progress?: ProgressSink): Promise<Candidate[][]>;
  /** What identifies the memory's retrieval results in a reference-set cache key, given the retrieval options. */
  cacheIdentity(retrieval: MemoryRetrievalOptions): Record<string, unknown>;
}

const inRam = new WeakMap<Memory, ReferenceMemory>();

/**
 * The {@link ReferenceMemory} view of a memory of either engine: an on-disk memory is one; an
 * in-RAM memory is adapted (its cache identity is the manifest's version, entries checksum and
 * embedder id, as reference sets cached before on-disk memories existed record).
 */
export function referenceMemory(memory: AnyMemory | ReferenceMemory): ReferenceMemory {
  if ('retrieveBatch' in memory) return memory;
  const known = inRam.get(memory);
  if (known) return known;
  // One retrieval source per memory, so the pipeline's BM25 index (bm25 mode) is built once.
  const source: RetrievalSource = { index: memory.index, size: memory.size, caption: (r) => memory.stored[r].caption, hasImage: (r) => memory.stored[r].image !== undefined };
  const view: ReferenceMemory = {
    dir: memory.dir,
    size: memory.size,
    engine: 'in-ram',
    manifest: memory.manifest,
    checkEmbedder: (e) => memory.checkEmbedder(e),
    entries: (rows) => rows.map((r) => memory.entry(r)),
    readImages: (rows) => rows.map((r) => memory.readImageBytes(r)),
    async retrieveBatch(queries, vectors, options, scorer, progress = silentProgress) {
      refuseSearchOption(memory, options);
      const out: Candidate[][] = [];
      for (let i = 0; i < queries.length; i++) {
        out.push(await retrieve(source, queries[i], vectors[i], options, scorer));
        progress({ label: 'retrieve references', done: i + 1, total: queries.length });
      }
      return out;
    },
    cacheIdentity: (retrieval) => {
      refuseSearchOption(memory, retrieval);
      return { version: memory.manifest.version, entriesSha256: memory.manifest.entriesSha256, embedder: memory.manifest.embedder.id };
    },
  };
  inRam.set(memory, view);
  return view;
}

/**
 * Checks the retrieval options against the memory before anything runs: `search` is for an
 * on-disk memory only, and its `mode` is `exact` or `index`. Errors name the option.
 */
export function checkMemoryRetrieval(memory: AnyMemory, retrieval: MemoryRetrievalOptions | undefined): void {
  const search = retrieval?.search;
  if (search === undefined) return;
  if (!isOnDiskMemory(memory)) return refuseSearchOption(memory, retrieval!);
  if (search === null || typeof search !== 'object') throw new Error(`retrieval option "search" must be an object such as { mode: 'exact' }, got ${JSON.stringify(search)}`);
  if (search.mode !== undefined && search.mode !== 'exact' && search.mode !== 'index') throw new Error(`retrieval option "search.mode" must be exact or index, got ${JSON.stringify(search.mode)}`);
}

function refuseSearchOption(memory: Memory, retrieval: MemoryRetrievalOptions): void {
  if (retrieval.search !== undefined) {
    throw new Error(`retrieval option "search" applies to an on-disk (LanceDB) memory; ${memory.dir} is an in-RAM memory, searched by the ${memory.manifest.index.kind} index it was built with`);
  }
}

/** The pipeline over `memory` (either engine) as a {@link BatchRetriever}; queries are embedded by `embedder` (the memory's own). */
export function memoryRetriever(memory: AnyMemory | ReferenceMemory, embedder: Embedder, options: MemoryRetrievalOptions, scorer?: VisualScorer, progress: ProgressSink = silentProgress): BatchRetriever {
  const m = referenceMemory(memory);
  m.checkEmbedder(embedder);
  return async (queries, k) => m.retrieveBatch(queries, await embedder.embed(queries), { ...options, k }, scorer, progress);
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
  retrieval?: MemoryRetrievalOptions;
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
export async function buildReferenceSet(memory: AnyMemory | ReferenceMemory, embedder: Embedder, pool0: Question[], earlier: EarlierTask[], options: ReferenceSetOptions, scorer?: VisualScorer, classify?: DomainClassifier): Promise<CachedReferenceSet> {
  const seed = options.seed ?? options.siphon.seed ?? 42;
  const strategy = options.strategy ?? 'siphon';
  const retrieval = options.retrieval ?? {};
  const m = referenceMemory(memory);
  const run = memoryRetriever(m, embedder, retrieval, scorer, options.progress);
  const parts = {
    memory: m.cacheIdentity(retrieval),
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
