/** `trainTask`: one task, one method, the trainer. */
import { initBackend } from '../backend';
import type { ClassificationDataset } from '../data/types';
import { createMethod, type ContinualMethod } from '../methods';
import type { DualEncoderLike } from '../model/types';
import { defaultRecipe, resolveRecipe, type DeepPartial, type RunRecipe } from '../recipes';
import { trainOnTask, type TrainResult } from '../train/trainer';
import type { TrainerPlugin } from '../train/plugin';
import { silentProgress, type ProgressSink } from '../util/progress';

/** Options of {@link trainTask}. */
export interface TrainTaskOptions {
  /** A method name (`finetune`, `l2`, `ewc`, ...) or a method made with `createMethod`. Default `finetune`. */
  method?: string | ContinualMethod;
  /** Options of a named method. */
  methodOptions?: Record<string, unknown>;
  /** Position of the task in the sequence (methods keep per-task state). Default 0. */
  taskIndex?: number;
  /** Training settings; default the mini recipe's. */
  recipe?: DeepPartial<RunRecipe>;
  /** Seed. Default 42. */
  seed?: number;
  /** Mid-task checkpoints here (a killed run resumes). Default none. */
  checkpointDir?: string;
  /** More trainer plugins (loggers, live displays). */
  plugins?: TrainerPlugin[];
  /** Progress per step. */
  progress?: ProgressSink;
}

/**
 * Trains `model` in place on one task's train split with a continual-learning method.
 *
 * @example
 * ```ts
 * import { initBackend, loadMiniModel, loadBenchmarkTasks, trainTask } from 'primed';
 * await initBackend();
 * const model = await loadMiniModel();
 * const tasks = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
 * const r = await trainTask(model, tasks[0], { method: 'finetune', recipe: { trainer: { steps: 20 } } });
 * console.log(`loss ${r.history[0].total.toFixed(3)} -> ${r.history.at(-1)!.total.toFixed(3)}`);
 * ```
 */
export async function trainTask(model: DualEncoderLike, dataset: ClassificationDataset, options: TrainTaskOptions = {}): Promise<TrainResult> {
  await initBackend();
  const recipe = resolveRecipe(defaultRecipe('mini-mgtil', 'mini'), options.recipe);
  const method = typeof options.method === 'object' ? options.method : createMethod(options.method ?? 'finetune', options.methodOptions ?? {});
  return trainOnTask(model, { taskIndex: options.taskIndex ?? 0, dataset }, {
    ...recipe.trainer,
    seed: options.seed ?? 42,
    checkpointDir: options.checkpointDir,
    plugins: [method, ...(options.plugins ?? [])],
    progress: options.progress ?? silentProgress,
  });
}
