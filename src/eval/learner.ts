/**
 * The usual {@link ProtocolLearner}: a model, a continual-learning method and the trainer,
 * evaluated with task-incremental zero-shot classification. Its state after a row is the
 * model's weights plus the method's state; mid-task checkpoints let a killed task resume.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClassificationDataset } from '../data/types';
import type { DualEncoderLike } from '../model/types';
import type { ContinualMethod } from '../methods';
import { trainOnTask } from '../train/trainer';
import type { TrainerOptions } from '../train/config';
import { readWeightsFile, writeWeightsFile, snapshotWeights, restoreWeights, disposeWeights } from '../train/weights';
import { classify } from './classify';
import type { ProtocolLearner, TaskEvaluation } from './protocol';

/** Options of {@link createMethodLearner}. */
export interface MethodLearnerOptions {
  /** The student; trained in place. */
  model: DualEncoderLike;
  /** Tasks in training order. */
  tasks: ClassificationDataset[];
  /** The continual-learning method (a trainer plugin). */
  method: ContinualMethod;
  /** Trainer options (steps, batch size, learning rate, seed...); `plugins` and `checkpointDir` are set here. */
  trainer: Omit<TrainerOptions, 'plugins' | 'checkpointDir' | 'progress'>;
  /**
   * Plugins before the method: every event reaches them first. E.g. the retrieval plugin
   * (`retrievalPlugin`), whose `beforeTask` prepares the reference set the method distils on.
   */
  beforeMethod?: TrainerOptions['plugins'];
  /** Extra plugins after the method (loggers, live displays). */
  plugins?: TrainerOptions['plugins'];
  /** Where mid-task checkpoints go (`<dir>/task-<t>`); default none (a killed task restarts). */
  checkpointDir?: string;
  /** Images per evaluation batch. Default 128. */
  evalBatchSize?: number;
  /**
   * Receives warnings, e.g. a task whose test accuracy right after training on it is below
   * chance (training collapsed: a learning rate far too high). Default: printed to stderr.
   */
  onWarning?: (message: string) => void;
}

/**
 * The warning for a task whose test accuracy right after training on it is below chance
 * (100 / number of classes), or undefined when it is not. `lr` is named in the advice.
 */
export function belowChanceWarning(task: string, accuracy: number, classes: number, lr?: number): string | undefined {
  if (!(classes >= 2)) return undefined;
  const chance = 100 / classes;
  if (!(accuracy < chance)) return undefined;
  return (
    `after training on ${task}, its test accuracy is ${accuracy.toFixed(1)}%, below chance (${chance.toFixed(1)}% for ${classes} classes): ` +
    `training collapsed${lr !== undefined ? `; the learning rate (${lr}) may be far too high` : ''}`
  );
}

const WEIGHTS_FILE = 'weights.safetensors';

/** A {@link ProtocolLearner} that trains `method` on each task and evaluates every task's test split. */
export function createMethodLearner(options: MethodLearnerOptions): ProtocolLearner {
  const { model, tasks, method } = options;
  const evalBatchSize = options.evalBatchSize ?? 128;
  const taskCheckpoint = (t: number) => (options.checkpointDir ? path.join(options.checkpointDir, `task-${t}`) : undefined);
  const warn = options.onWarning ?? ((m: string) => process.stderr.write(`primed: warning: ${m}\n`));
  let justTrained: number | undefined;
  method.attach?.(model); // before a saved state is restored into the model
  return {
    async evaluate(taskIndex: number): Promise<TaskEvaluation> {
      const r = await classify(model, tasks[taskIndex], { batchSize: evalBatchSize });
      if (taskIndex === justTrained) {
        justTrained = undefined;
        const w = belowChanceWarning(tasks[taskIndex].name, r.accuracy, tasks[taskIndex].classNames.length, options.trainer.lr);
        if (w) warn(w);
      }
      return { accuracy: r.accuracy, scores: r.scores, labels: r.labels };
    },
    async train(taskIndex, signal) {
      // An earlier task's checkpoint is no longer needed once the next task starts.
      if (options.checkpointDir && taskIndex > 0) fs.rmSync(taskCheckpoint(taskIndex - 1)!, { recursive: true, force: true });
      await trainOnTask(model, { taskIndex, dataset: tasks[taskIndex] }, {
        ...options.trainer,
        plugins: [...(options.beforeMethod ?? []), method, ...(options.plugins ?? [])],
        checkpointDir: taskCheckpoint(taskIndex),
        progress: signal.progress,
      });
      justTrained = taskIndex;
    },
    async saveState(dir) {
      fs.mkdirSync(path.join(dir, 'method'), { recursive: true });
      const snap = snapshotWeights(model);
      try {
        writeWeightsFile(path.join(dir, WEIGHTS_FILE), snap);
      } finally {
        disposeWeights(snap);
      }
      await method.saveState?.(path.join(dir, 'method'));
    },
    async loadState(dir) {
      const file = path.join(dir, WEIGHTS_FILE);
      if (!fs.existsSync(file)) throw new Error(`${dir}: no ${WEIGHTS_FILE}; this learner state is incomplete`);
      const snap = readWeightsFile(file);
      try {
        restoreWeights(model, snap);
      } finally {
        disposeWeights(snap);
      }
      await method.loadState?.(path.join(dir, 'method'));
    },
  };
}
