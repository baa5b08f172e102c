/**
 * The events of the training loop that methods, progress displays and checkpointing plug into
 * (Avalanche-style plugins). A plugin sees the loop only through these contexts.
 */
import type * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../model/types';
import type { Batch, ClassificationDataset, ImagePreprocess } from '../data/types';
import type { Rng } from '../util/rng';
import type { WeightSnapshot } from './weights';

/** What is being learned: one task of a continual-learning sequence. */
export interface TrainTask {
  /** 0-based position in the task order. */
  taskIndex: number;
  /** The task's dataset; training uses its `train` split and its first template. */
  dataset: ClassificationDataset;
}

/** Seen by every hook of a task. */
export interface TaskContext {
  /** The student being trained (its variables change in place). */
  readonly model: DualEncoderLike;
  /** The task. */
  readonly task: TrainTask;
  /** Pixel preprocessing of the model, for plugins that load images. */
  readonly preprocess: ImagePreprocess;
  /** Steps of this task. */
  readonly totalSteps: number;
  /** Run seed. */
  readonly seed: number;
  /** The weights at the start of the task, θ_start (kept by the trainer, restored on resume). */
  readonly startWeights: WeightSnapshot;
  /** Checkpoint names of the trainable parameters, in `model.trainableVariables()` order. */
  readonly trainableNames: readonly string[];
  /** A generator that depends only on the seed, the task and `label`. */
  rng(label: string): Rng;
}

/** Seen by the per-step hooks. */
export interface StepContext extends TaskContext {
  /** 0-based step within the task. */
  readonly step: number;
  /** Learning rate of this step. */
  readonly lr: number;
  /** The current task's batch of this step. */
  readonly batch: Batch;
  /** A generator that depends only on the seed, the task, the step and `label` (never on history). */
  stepRng(label: string): Rng;
}

/**
 * One term of the loss. The trainer calls `compute` inside `tf.variableGrads`; terms that share
 * a `group` are differentiated together, so a plugin can ask for the gradient of a subset of
 * terms (DFG needs the gradient of the distillation terms alone).
 */
export interface LossTerm {
  /** Name shown in progress and in errors, e.g. `ckt`. */
  name: string;
  /** Its weight in the total. Default 1. */
  weight?: number;
  /** Gradient group. Default `main`. */
  group?: string;
  /** The unweighted term as a scalar; must depend only on the model's variables and constants. */
  compute: () => tf.Scalar;
}

/** A term added directly as a gradient (for penalties whose gradient is known in closed form). */
export interface GradientTerm {
  /** Name shown in progress and in errors, e.g. `dfg`. */
  name: string;
  /** The (weighted) value of the term, for logging and the NaN guard. */
  value: number;
  /** Its gradient by parameter name; the trainer disposes these tensors. */
  grads: Map<string, tf.Tensor>;
}

/** After the optimiser step. */
export interface AfterStepContext extends StepContext {
  /** Weighted value of every term this step, by name, and `total`. */
  readonly losses: Readonly<Record<string, number>>;
}

/** A plugin: any subset of the hooks, plus state for checkpoints. */
export interface TrainerPlugin {
  /** Unique name; also the folder of its state inside a checkpoint. */
  readonly name: string;
  /**
   * Binds the plugin to the model it will train, before any of that model's weights are restored
   * from a checkpoint or a saved state (a method that adds parameters to the model, e.g. DIKI's
   * prefixes, adds them here). Called by the trainer at the start of each task with that task
   * (before it asks the model for its trainable parameters), and by the learner once without one;
   * must be idempotent.
   */
  attach?(model: DualEncoderLike, task?: TrainTask): void;
  /** Before the first step of a task (also on resume, with the model at θ_start). */
  beforeTask?(ctx: TaskContext): void | Promise<void>;
  /** Extra loss terms for this step (async work such as loading a reference batch goes here). */
  lossTerms?(ctx: StepContext): LossTerm[] | Promise<LossTerm[]>;
  /**
   * Extra gradients from the gradients of each group (by group name, then parameter name).
   * Called after all terms are differentiated and before the optimiser step.
   */
  gradientTerms?(ctx: StepContext, groupGrads: ReadonlyMap<string, ReadonlyMap<string, tf.Tensor>>): GradientTerm[];
  /** After the optimiser step. */
  afterStep?(ctx: AfterStepContext): void | Promise<void>;
  /** After the last step of a task. */
  afterTask?(ctx: TaskContext): void | Promise<void>;
  /** Writes whatever it needs to resume into `dir` (an empty folder). */
  saveState?(dir: string): void | Promise<void>;
  /** Reads what {@link TrainerPlugin.saveState} wrote. */
  loadState?(dir: string): void | Promise<void>;
  /** Frees tensors it holds. */
  dispose?(): void;
}
