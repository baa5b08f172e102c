/**
 * `distill`: PRIMED on one task. The retrieval plugin prepares the task's reference set from the
 * memory before the task; PRIMED (`primed-dyn` or `primed-uni`) distils on it.
 */
import { initBackend } from '../backend';
import type { ClassificationDataset } from '../data/types';
import { createMethod } from '../methods';
import type { DualEncoderLike } from '../model/types';
import type { Question } from '../memory/pool';
import { checkMemoryRetrieval, type AnyMemory, type MemoryRetrievalOptions } from '../memory/reference-set';
import type { Embedder } from '../memory/types';
import { checkPoolDomains } from '../pipeline/sequence-checks';
import type { PreparedReference, ReferenceStrategy } from '../pipeline/reference';
import { retrievalPlugin } from '../pipeline/retrieval-plugin';
import { defaultRecipe, resolveRecipe, type DeepPartial, type RunRecipe } from '../recipes';
import { trainOnTask, type TrainResult } from '../train/trainer';
import { modelPreprocess } from '../train/preprocess';
import { silentProgress, type ProgressSink } from '../util/progress';
import { miniPool, referenceContext } from './shared';
import type { EvaluateMGTILOptions } from './evaluate-mgtil';

/** Options of {@link distill}. */
export interface DistillOptions {
  /** The memory to retrieve from: in-RAM (`loadMemory`, `openMemory`) or on-disk (`openLanceMemory`; `openAnyMemory` opens either). */
  memory: AnyMemory;
  /** Tasks learned before this one, in order (their labels and domains feed the siphon). */
  earlierTasks: ClassificationDataset[];
  /** The initial model (query embedder and visual rerank); default: `model` as it is now. */
  initialModel?: DualEncoderLike;
  /** `siphon` (PRIMED_dyn, default) or `uniform` (PRIMED_uni). */
  strategy?: ReferenceStrategy;
  /** PRIMED options (teacher, ckt, cmc, alpha, beta, regularizer, lambda, direction...). */
  methodOptions?: Record<string, unknown>;
  /** Retrieval stage switches (BM25 / embedding / hierarchical), and an on-disk memory's dense search mode (`search`). */
  retrieval?: MemoryRetrievalOptions;
  /** Embeds the retrieval queries; see {@link EvaluateMGTILOptions.queryEmbedder}. Default: the initial model's text tower. */
  queryEmbedder?: Embedder;
  /** Question pool M⁰; default the mini pool. */
  pool?: Question[];
  /** An earlier task whose domain no pool question has is refused unless this is true; then the pool grows by it (see {@link EvaluateMGTILOptions.addDomains}). Default false. */
  addDomains?: boolean;
  /** Settings; default the mini recipe's. */
  recipe?: DeepPartial<RunRecipe>;
  /** Seed. Default 42. */
  seed?: number;
  /** Progress of retrieval and training. */
  progress?: ProgressSink;
}

/** What {@link distill} did. */
export interface DistillResult {
  /** The training run. */
  train: TrainResult;
  /** The reference set it distilled on. */
  reference: Omit<PreparedReference, 'batch'> & {
    /** Image–caption pairs in the reference set. */
    size: number;
  };
}

/**
 * PRIMED on one task: retrieves the task's reference set from the memory (Dynamic Siphon over
 * the earlier tasks, cached), then trains `model` on the task with CE + CKT + CMC + DFG on it,
 * the teacher being `model` as it was before this task.
 *
 * @example
 * ```ts
 * import { initBackend, loadMemory, loadMiniModel, loadBenchmarkTasks, trainTask, distill } from 'primed';
 * await initBackend();
 * const memory = await loadMemory();
 * const model = await loadMiniModel();
 * const initial = model.clone(); // the pretrained model, which embedded the memory
 * const tasks = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
 * await trainTask(model, tasks[0], { recipe: { trainer: { steps: 20 } } });
 * const d = await distill(model, tasks[1], { memory, earlierTasks: [tasks[0]], initialModel: initial, recipe: { trainer: { steps: 20 } } });
 * console.log(`distilled on a reference set of ${d.reference.size} pairs`);
 * ```
 */
export async function distill(model: DualEncoderLike, dataset: ClassificationDataset, options: DistillOptions): Promise<DistillResult> {
  await initBackend();
  const recipe = resolveRecipe(defaultRecipe('mini-mgtil', 'mini'), options.recipe);
  const seed = options.seed ?? 42;
  const strategy = options.strategy ?? 'siphon';
  checkMemoryRetrieval(options.memory, options.retrieval);
  const initial = options.initialModel ?? model.clone();
  try {
    const pool = checkPoolDomains(options.pool ?? miniPool(), options.earlierTasks, { addDomains: options.addDomains ?? false }).pool;
    const context = referenceContext(options.memory, initial, modelPreprocess(model, undefined, 'distill'), recipe, strategy, seed, { ...options, pool });
    // The retrieval plugin builds (or reads from the cache) the reference set before the task; PRIMED distils on it.
    const retrieval = retrievalPlugin(context, () => options.earlierTasks);
    const method = createMethod(strategy === 'siphon' ? 'primed-dyn' : 'primed-uni', {
      referenceBatchSize: recipe.referenceBatchSize,
      ...(options.methodOptions ?? {}),
      referenceSet: retrieval.referenceSet,
    });
    const train = await trainOnTask(model, { taskIndex: options.earlierTasks.length, dataset }, {
      ...recipe.trainer,
      seed,
      plugins: [retrieval, method],
      progress: options.progress ?? silentProgress,
    });
    method.dispose?.();
    const { batch, ...rest } = retrieval.current!.reference;
    return { train, reference: { ...rest, size: batch.shape[0] } };
  } finally {
    if (!options.initialModel) initial.dispose();
  }
}

