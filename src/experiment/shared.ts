/**
 * What the four experiment calls share: where primed caches what it builds, the mini question
 * pool, and the retrieval context built from a run's recipe.
 */
import * as path from 'node:path';
import { bundledDataDir } from '../data/bundled';
import type { DualEncoderLike } from '../model/types';
import { readQuestionPool, type Question } from '../memory/pool';
import type { AnyMemory, MemoryRetrievalOptions } from '../memory/reference-set';
import type { Embedder } from '../memory/types';
import type { ReferenceContext, ReferenceStrategy } from '../pipeline/reference';
import type { RunRecipe } from '../recipes';
import type { ProgressSink } from '../util/progress';

/** Where primed caches built memories and reference sets: `PRIMED_CACHE_DIR`, else `<repo>/.cache`. */
export function cacheDir(): string {
  return path.resolve(process.env.PRIMED_CACHE_DIR ?? path.join(bundledDataDir(), '..', '.cache'));
}

/** The mini question pool M⁰ (`data/mini-question-pool.jsonl`). */
export function miniPool(): Question[] {
  return readQuestionPool(path.join(bundledDataDir(), 'mini-question-pool.jsonl'));
}

/** What a call says about retrieval, beyond the memory, model, recipe and seed. */
export interface RetrievalChoices {
  /** Question pool M⁰; default the mini pool. */
  pool?: Question[];
  /** Retrieval stage switches. */
  retrieval?: MemoryRetrievalOptions;
  /** Embeds the queries; default the initial model's text tower. */
  queryEmbedder?: Embedder;
  /** Progress of the retrieval queries. */
  progress?: ProgressSink;
}

/** The retrieval context of a run: the memory, the initial model, the recipe's siphon and uniform sizes, the cache under {@link cacheDir}. */
export function referenceContext(
  memory: AnyMemory,
  initialModel: DualEncoderLike,
  preprocess: ReferenceContext['preprocess'],
  recipe: RunRecipe,
  strategy: ReferenceStrategy,
  seed: number,
  options: RetrievalChoices,
): ReferenceContext {
  return {
    memory,
    initialModel,
    queryEmbedder: options.queryEmbedder,
    pool: options.pool ?? miniPool(),
    cacheDir: path.join(cacheDir(), 'reference-sets'),
    strategy,
    siphon: recipe.siphon,
    uniformTotal: recipe.uniformTotal,
    retrieval: options.retrieval,
    preprocess,
    seed,
    progress: options.progress,
  };
}
