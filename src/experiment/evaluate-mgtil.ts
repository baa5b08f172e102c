/**
 * `evaluateMGTIL`: the MGTIL protocol for one method. Validation, the recipe, the data check,
 * the memory and question pool (for methods that distil on a reference set, as their spec says),
 * the retrieval plugin, the method learner and the zero-shot cache, composed around `runProtocol`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { currentBackend, initBackend } from '../backend';
import { assertDataReady, checkTaskData, getBenchmark, listBenchmarks, loadBenchmarkTasks, orderedTasks, resolveRoot, type BenchmarkRef, type DataReport } from '../benchmarks';
import { runProtocol, type ProtocolResult, type TaskEvaluation } from '../eval/protocol';
import { openZeroShotCache, zeroShotKeyParts } from '../eval/zero-shot-cache';
import { createMethodLearner } from '../eval/learner';
import { loadMiniModel } from '../foundation';
import { createMethod, methodSpec, METHOD_NAMES, METHOD_SPECS } from '../methods';
import type { DualEncoderLike } from '../model/types';
import { modelIdentity, modelPresetName } from '../model/identity';
import { checkMemorySource, type MemorySource } from '../memory/out-of-source';
import type { Question } from '../memory/pool';
import { checkMemoryRetrieval, isOnDiskMemory, type AnyMemory, type MemoryRetrievalOptions } from '../memory/reference-set';
import type { Embedder } from '../memory/types';
import type { Bag } from '../memory/siphon';
import { earlierTasksOf, type ReferenceStrategy } from '../pipeline/reference';
import { retrievalPlugin } from '../pipeline/retrieval-plugin';
import { checkPoolDomains, findTaskImagesInAnyMemory, referenceMakeup, refuseChangedData } from '../pipeline/sequence-checks';
import { defaultRecipe, resolveRecipe, type DeepPartial, type RunRecipe, type Scale } from '../recipes';
import type { TrainerPlugin } from '../train/plugin';
import { modelPreprocess } from '../train/preprocess';
import type { ProgressSink } from '../util/progress';
import { contentHash, writeJsonAtomic } from '../util/fs';
import { childPath } from '../util/safe-name';
import { loadMemory } from './load-memory';
import { cacheDir, miniPool, referenceContext } from './shared';

/** A method option as result.json records it: a list of more than 20 strings as its count and content hash. */
function recordedOption(v: unknown): unknown {
  return Array.isArray(v) && v.length > 20 && v.every((x) => typeof x === 'string') ? { count: v.length, sha256: contentHash(v.join('\n')) } : v;
}

/**
 * `config.memory` of result.json: the memory's embedder, version, size and where it came from; an
 * on-disk memory adds its engine and the dense search mode (an in-RAM memory's record is
 * unchanged from before on-disk memories, so its runs still resume).
 */
function recordedMemory(memory: AnyMemory, source: string, retrieval: MemoryRetrievalOptions | undefined): Record<string, unknown> {
  const base = { embedder: memory.manifest.embedder.id, version: memory.manifest.version, entries: memory.size, source };
  if (!isOnDiskMemory(memory)) return base;
  return { ...base, engine: 'lance', search: retrieval?.search?.mode ?? memory.defaultSearchMode };
}

/** Methods that distil on a reference set from the memory, and how it is chosen (absent: the method uses none); read from each method's spec. */
export const REFERENCE_STRATEGY: Readonly<Partial<Record<string, ReferenceStrategy>>> = Object.freeze(
  Object.fromEntries(METHOD_SPECS.flatMap((s) => (s.referenceSet === 'none' ? [] : [[s.name, s.referenceSet]]))),
);

/** Options of {@link evaluateMGTIL}. */
export interface EvaluateMGTILOptions {
  /** `mini-mgtil` (default), `hieramedtransfer` or `medxtreme`; or a task-sequence file / spec, as {@link EvaluateMGTILOptions.tasks}. */
  benchmark?: BenchmarkRef;
  /**
   * Your own task sequence instead of a benchmark: a sequence file path (`seq.json`, `.yaml`),
   * a sequence object (`{ name, tasks: [{ folder, domain }, ...] }`, paths relative to the working
   * directory) or a spec from `defineSequence` / `readTaskSequence`. Results carry its name.
   */
  tasks?: BenchmarkRef;
  /**
   * For the distillation methods: a trained task whose domain is not among the question pool's
   * domains is refused (its siphon domain bag would be empty) unless this is true; then the pool
   * grows by that domain, with one question per class made from the task's first template.
   * Default false.
   */
  addDomains?: boolean;
  /** Called once the data check and the retrieval checks are done, before any training (e.g. to print the report and its warnings). */
  onDataReport?: (report: DataReport, warnings: string[]) => void;
  /** Task order. Default `I`. */
  order?: 'I' | 'II';
  /** Method name (see `METHOD_NAMES`). Default `primed-dyn`. */
  method?: string;
  /** Method options (beyond the reference set, which is wired here). */
  methodOptions?: Record<string, unknown>;
  /** The starting model; default the bundled mini model (it is trained in place). */
  model?: DualEncoderLike;
  /** Scale of the default recipe. Default `mini` for mini-mgtil, else `paper`. */
  scale?: Scale;
  /** Recipe overrides (steps, batch, lr, siphon counts...). */
  recipe?: DeepPartial<RunRecipe>;
  /** Run seed. Default 42. */
  seed?: number;
  /** Run directory (result.json, matrix.csv, state). Default `runs/<benchmark>-<order>-<method>-s<seed>`. */
  runDir?: string;
  /** Resume a run found in `runDir`. Default true. */
  resume?: boolean;
  /**
   * Discard a run found in `runDir` and start over (`primed evaluate --fresh`). Default false.
   * Happens only after every option was validated, under the folder's lock, and only to a
   * folder holding a primed run (or an empty one); any other folder is refused, untouched.
   */
  fresh?: boolean;
  /**
   * Learner states kept in `runDir/state/` (see `ProtocolOptions.keepStates`): `last` (default)
   * keeps the last row's while the run is going and none once it is complete; `final` keeps the
   * last row's after completion too; `all` keeps every row's. Mid-task checkpoints
   * (`checkpoints/`) are removed once the run is complete.
   */
  keepStates?: 'last' | 'final' | 'all';
  /** Dataset root for the paper benchmarks. */
  root?: string;
  /**
   * Memory for the distillation methods: a memory folder of your own, in-RAM (`loadMemory(dir)`)
   * or on-disk (`primed memory build --engine lance`, opened with `openAnyMemory(dir)`); default the
   * mini memory of {@link EvaluateMGTILOptions.memorySource}. An on-disk memory's dense stage searches
   * as `retrieval.search` says, else by its index when it has one; result.json records its engine.
   */
  memory?: AnyMemory;
  /**
   * Which mini memory the distillation methods retrieve from when `memory` is not given:
   * `in-source` (default; the tasks' own validation images, close to rehearsal) or
   * `out-of-source` (images of other datasets; see {@link loadMemory}). Recorded in result.json.
   * Giving both `memory` and `memorySource` is refused.
   */
  memorySource?: MemorySource;
  /**
   * Embeds the retrieval queries of the distillation methods. Leave it out for a memory embedded
   * by the initial model's text tower (the mini memory, or `primed memory build --embedder
   * model:<dir>` with the same weights): that tower embeds the queries. Give it for a memory built
   * with another embedder, which must be that same embedder: for a memory embedded by an
   * embeddings server (the paper's Qwen3-Embedding-8B behind an OpenAI-compatible
   * `/v1/embeddings`), `endpointEmbedder({ url, model, dim })` (or `embedderFromSpec` on the
   * memory's `manifest.embedder.id`). An embedder whose id or dimension differs from the
   * memory's is refused (`Memory.checkEmbedder`).
   */
  queryEmbedder?: Embedder;
  /** Question pool M⁰; default the mini pool. */
  pool?: Question[];
  /** Retrieval stage switches (Table 4f ablation), and an on-disk memory's dense search mode (`search: { mode: 'exact' | 'index' }`). */
  retrieval?: MemoryRetrievalOptions;
  /**
   * Read the zero-shot row from, and store it in, the cache under {@link cacheDir} (`zero-shot/`,
   * one entry per task keyed by model weights, task, evaluation options and backend; see
   * `zero-shot-cache.ts`). Default true; false evaluates it and leaves the cache alone.
   */
  zeroShotCache?: boolean;
  /** Extra trainer plugins (live displays). */
  plugins?: TrainerPlugin[];
  /** Progress of training and evaluation. */
  progress?: ProgressSink;
  /** Called after each row of the matrix (live forgetting curves). */
  onRow?: (row: number, partial: ProtocolResult) => void | Promise<void>;
  /** Stops the run between steps; the rows recorded so far stay and a later call resumes. */
  signal?: AbortSignal;
}

/** The protocol result plus what was run. */
export interface MGTILResult extends ProtocolResult {
  /** Method name. */
  method: string;
  /** Benchmark name and order. */
  benchmark: {
    /** Benchmark name, e.g. `mini-mgtil`. */
    name: string;
    /** Task order. */
    order: 'I' | 'II';
  };
  /** Run directory. */
  runDir: string;
  /** The data check run before training: split sizes, skipped files, warnings, fingerprints (also in `<runDir>/data-check.json`). */
  dataReport: DataReport;
  /** Warnings found before the run (tiny test sets, empty classes, skipped files, memory images of the sequence's tasks, domains added to the pool). */
  warnings: string[];
  /** Reference-set cache keys per task (distillation methods; null for the others and for rows not trained yet). Stored in `result.json` (`trainInfo`). */
  referenceKeys: (string | null)[];
  /** Image–caption pairs per bag of each task's reference set, as {@link referenceKeys}. */
  referenceBags: (Partial<Record<Bag, number>> | null)[];
}

/** What {@link evaluateMGTIL} records in `result.json` for each trained row (`trainInfo[t]`). */
export interface MGTILTrainInfo {
  /** True for an evaluation-only task: nothing was trained at this row. */
  evaluationOnly?: boolean;
  /** The reference set the row's task distilled on (distillation methods). */
  reference: {
    /** Its cache key. */
    key: string;
    /** Pairs per bag. */
    bags: Partial<Record<Bag, number>>;
    /** Pairs in all. */
    size: number;
  } | null;
}

/**
 * The MGTIL protocol for one method: zero-shot on every task (read from the zero-shot cache
 * when this model was evaluated on these tasks before), then for each task in order: (retrieve
 * its reference set,) train, evaluate on every task. Resumable; results are written to `runDir`
 * after every row, with each row's reference-set key and bag counts (`trainInfo`), so a run
 * read back (resumed or finished) gives the same {@link MGTILResult.referenceKeys}.
 *
 * @example
 * ```ts
 * import { initBackend, evaluateMGTIL } from 'primed';
 * await initBackend();
 * const r = await evaluateMGTIL({ benchmark: 'mini-mgtil', order: 'I', method: 'primed-dyn', recipe: { trainer: { steps: 20 } }, runDir: 'runs/example-primed-dyn' });
 * console.log(`Transfer ${r.metrics!.transfer?.toFixed(1)}, Avg ${r.metrics!.avg.toFixed(1)}, Last ${r.metrics!.last.toFixed(1)}`);
 * ```
 */
export async function evaluateMGTIL(options: EvaluateMGTILOptions = {}): Promise<MGTILResult> {
  await initBackend();
  const benchmark = options.benchmark ?? 'mini-mgtil';
  const order = options.order ?? 'I';
  const methodName = options.method ?? 'primed-dyn';
  if (!(METHOD_NAMES as readonly string[]).includes(methodName)) {
    throw new Error(`option method: unknown method "${methodName}"; expected one of ${METHOD_NAMES.join(', ')}`);
  }
  const methodDef = methodSpec(methodName);
  if (options.memorySource !== undefined) {
    const problem = checkMemorySource(options.memorySource, 'option memorySource');
    if (problem) throw new Error(problem);
    if (options.memory) throw new Error('options memory and memorySource: give one (memorySource picks a bundled mini memory, memory is your own)');
  }
  const spec = getBenchmark(options.tasks ?? benchmark);
  const builtIn = listBenchmarks().includes(spec);
  const userModel = options.model ? modelPresetName(options.model) : 'mini';
  const scale = options.scale ?? (spec.name === 'mini-mgtil' || (!builtIn && userModel === 'mini') ? 'mini' : 'paper');
  const recipe = resolveRecipe(defaultRecipe(spec.name, scale), options.recipe);
  const seed = options.seed ?? 42;
  const runDir = path.resolve(options.runDir ?? childPath('runs', [`${spec.name}-${order}-${methodName}-s${seed}`], 'default run folder (benchmark, order, method, seed)'));
  const tasks = loadBenchmarkTasks(spec, { order, root: options.root });
  const taskSpecs = orderedTasks(spec, order);
  const evalOnly = taskSpecs.map((t) => !!t.evaluationOnly);

  const ownedModel = options.model ? undefined : await loadMiniModel();
  const model = options.model ?? ownedModel!;
  const initial = model.clone();
  const strategy = methodDef.referenceSet === 'none' ? undefined : methodDef.referenceSet;
  const preprocess = modelPreprocess(model, undefined, 'evaluateMGTIL');
  try {
    if (spec.imageSize !== undefined && spec.imageSize !== preprocess.size) {
      throw new Error(`${spec.file ?? spec.name}: imageSize is ${spec.imageSize} but the model (${modelPresetName(model)}) takes ${preprocess.size}×${preprocess.size} images; use a model of that size or change imageSize`);
    }
    // Checks up front: every image decoded (and prepared once, cached) before any training.
    const dataReport = await checkTaskData(spec, resolveRoot(spec, options.root), {
      prepare: { size: preprocess.size, channels: preprocess.channels },
      only: taskSpecs.map((t) => t.id),
      progress: options.progress,
    });
    assertDataReady(dataReport);
    const warnings = dataReport.tasks.flatMap((t) => t.warnings.map((w) => `${t.id}: ${w}`));
    const dataFingerprints = Object.fromEntries(taskSpecs.map((t) => [t.id, dataReport.tasks.find((r) => r.id === t.id)!.fingerprint]));
    // A run recorded against other data is refused, naming the task (runs recorded before fingerprints existed are not checked).
    const recordData = options.fresh ? true : refuseChangedData(runDir, dataFingerprints);
    const memory = strategy ? options.memory ?? (await loadMemory(undefined, { model: initial, source: options.memorySource })) : undefined;
    // A retrieval option the memory cannot take is refused before any training.
    if (memory) checkMemoryRetrieval(memory, options.retrieval);
    const trained = tasks.filter((_, t) => !evalOnly[t]);
    const basePool = strategy ? options.pool ?? miniPool() : undefined;
    const grown = strategy ? checkPoolDomains(basePool!, trained, { addDomains: options.addDomains ?? false }) : undefined;
    if (grown?.added.length) warnings.push(`question pool: added domain(s) ${grown.added.map((d) => `'${d}'`).join(', ')} with ${grown.pool.length - basePool!.length} questions from the tasks' class names`);
    if (memory && !builtIn) {
      for (const l of await findTaskImagesInAnyMemory(memory, tasks)) {
        warnings.push(`memory ${memory.dir} holds ${l.rows.length} image(s) of task '${l.task}' (e.g. ${l.examples.join(', ')}): retrieval can hand them to the reference sets of the tasks before it`);
      }
    }
    options.onDataReport?.(dataReport, warnings);
    const refCtx = strategy
      ? referenceContext(memory!, initial, preprocess, recipe, strategy, seed, { pool: grown!.pool, retrieval: options.retrieval, queryEmbedder: options.queryEmbedder })
      : undefined;
    // The retrieval plugin prepares each trained task's reference set (over the tasks trained before it) before the method sees the task.
    const retrieval = refCtx ? retrievalPlugin(refCtx, (t) => tasks.slice(0, t).filter((_, i) => !evalOnly[i])) : undefined;
    let methodOptions: Record<string, unknown> = { ...(options.methodOptions ?? {}) };
    if (retrieval) {
      methodOptions.referenceBatchSize ??= recipe.referenceBatchSize;
      methodOptions.referenceSet = retrieval.referenceSet;
    }
    // Options the method derives from the run (ZSCL: its ensemble interval and sentence set).
    methodOptions = methodDef.adaptToRecipe(methodOptions, { steps: recipe.trainer.steps, seed, memory });
    const method = createMethod(methodName, methodOptions);
    const methodLearner = createMethodLearner({
      model,
      tasks,
      method,
      trainer: { ...recipe.trainer, seed },
      plugins: options.plugins,
      checkpointDir: path.join(runDir, 'checkpoints'),
      evalBatchSize: recipe.evalBatchSize,
      beforeMethod: retrieval ? [retrieval] : undefined,
    });
    // An evaluation-only task trains nothing, so the row after it equals the row before: evaluations are reused until the next training.
    const lastEval = new Map<number, TaskEvaluation>();
    let reportWritten = false;
    // The data report beside the run: written on the protocol's first call, inside its run lock and after any --fresh discard.
    const writeReport = () => {
      if (reportWritten) return;
      writeJsonAtomic(path.join(runDir, 'data-check.json'), dataReport);
      reportWritten = true;
    };
    // What each row records in result.json: the reference set it distilled on.
    const learner = {
      ...methodLearner,
      async evaluate(d: number): Promise<TaskEvaluation> {
        writeReport();
        const hit = lastEval.get(d);
        if (hit) return hit;
        const ev = await methodLearner.evaluate(d);
        lastEval.set(d, ev);
        return ev;
      },
      async loadState(dir: string): Promise<void> {
        lastEval.clear();
        await methodLearner.loadState(dir);
      },
      async train(t: number, signal: { progress: ProgressSink }): Promise<MGTILTrainInfo> {
        writeReport();
        if (evalOnly[t]) return { evaluationOnly: true, reference: null };
        lastEval.clear();
        await methodLearner.train(t, signal);
        const ref = retrieval?.current?.taskIndex === t ? retrieval.current.reference : undefined;
        if (ref) {
          const earlier = tasks.slice(0, t).filter((_, i) => !evalOnly[i]).map((x) => x.name);
          writeJsonAtomic(path.join(runDir, 'references', `task-${t}-${tasks[t].name}.json`), await referenceMakeup(memory!, ref, tasks[t].name, earlier));
        }
        return { reference: ref ? { key: ref.key, bags: ref.bags, size: ref.rows.length } : null };
      },
    };
    const weights = modelIdentity(initial);
    const zeroShotCache =
      options.zeroShotCache === false
        ? undefined
        : openZeroShotCache(
            path.join(cacheDir(), 'zero-shot'),
            zeroShotKeyParts(initial, tasks, {
              batchSize: recipe.evalBatchSize,
              preprocess,
              backend: currentBackend(),
              weights,
              // Image files can change under the same names: their fingerprints are part of the key (the bundled npz tasks need none).
              fingerprints: builtIn && spec.data === 'bundled' ? undefined : taskSpecs.map((t) => dataFingerprints[t.id]),
            }),
          );
    const recordedMethodOptions = Object.fromEntries(Object.entries(methodOptions).filter(([k]) => k !== 'referenceSet').map(([k, v]) => [k, recordedOption(v)]));
    const result = await runProtocol({
      tasks: tasks.map((t) => t.name),
      learner,
      runDir,
      seed,
      resume: options.resume,
      fresh: options.fresh,
      keepStates: options.keepStates,
      config: {
        benchmark: spec.name,
        ...(recordData ? { data: dataFingerprints } : {}),
        ...(evalOnly.some(Boolean) ? { evaluationOnly: taskSpecs.filter((t) => t.evaluationOnly).map((t) => t.id) } : {}),
        order,
        method: methodName,
        methodOptions: { ...Object.fromEntries(Object.entries(method.options).filter(([k]) => k !== 'referenceSet')), ...recordedMethodOptions },
        recipe,
        model: { preset: modelPresetName(model), weights },
        earlierTasks: earlierTasksOf(tasks).map((t) => t.name),
        retrieval: options.retrieval ?? null,
        memory: memory ? recordedMemory(memory, options.memory ? 'user' : options.memorySource ?? 'in-source', options.retrieval) : null,
        pool: strategy ? contentHash(refCtx!.pool.map((q) => [q.text, q.domain ?? null])).slice(0, 16) : null,
      },
      zeroShotCache,
      progress: options.progress,
      onRow: options.onRow,
      signal: options.signal,
    });
    method.dispose?.();
    retrieval?.dispose?.();
    // A finished run needs no mid-task checkpoint: only what a reader (or keepStates) needs stays.
    if (result.complete) fs.rmSync(path.join(runDir, 'checkpoints'), { recursive: true, force: true });
    const references = tasks.map((_, t) => (result.trainInfo[t] as MGTILTrainInfo | null | undefined)?.reference ?? null);
    return {
      ...result,
      method: methodName,
      benchmark: { name: spec.name, order },
      runDir,
      dataReport,
      warnings,
      referenceKeys: references.map((r) => r?.key ?? null),
      referenceBags: references.map((r) => r?.bags ?? null),
    };
  } finally {
    initial.dispose();
    ownedModel?.dispose();
  }
}
