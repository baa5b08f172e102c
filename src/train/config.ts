/**
 * Trainer configuration: validated data with documented defaults (decisions §2, paper preset).
 */
import type { ImagePreprocess } from '../data/types';
import type { ProgressSink } from '../util/progress';
import type { TrainerPlugin } from './plugin';

/** Options of {@link trainOnTask}; every field has a default except where noted. */
export interface TrainerOptions {
  /** Iterations per task; small datasets are cycled. Default 1000. */
  steps?: number;
  /** Images per batch. Default 64. */
  batchSize?: number;
  /** Peak learning rate. Default 1e-5. */
  lr?: number;
  /** Linear warm-up steps before the cosine decay. Default 100. */
  warmup?: number;
  /** AdamW decoupled weight decay. Default 0. */
  weightDecay?: number;
  /** Label smoothing of the task loss. Default 0.2. */
  labelSmoothing?: number;
  /** Seed of every random draw (batches, plugins). Default 42. */
  seed?: number;
  /** Folder of the mid-task checkpoint (one per task). Default: no checkpoints. */
  checkpointDir?: string;
  /** Steps between checkpoints (the last step always writes one). Default 100. */
  checkpointEvery?: number;
  /** Pixel preprocessing. Default: the model's `preprocess` property, when it has one. */
  preprocess?: ImagePreprocess;
  /** Methods, loggers and other hooks, called in this order. Default none. */
  plugins?: TrainerPlugin[];
  /** Progress after every step, with the step's losses. Default silent. */
  progress?: ProgressSink;
}

/** {@link TrainerOptions} with every default filled in. */
export interface ResolvedTrainerOptions {
  /** See {@link TrainerOptions.steps}. */
  steps: number;
  /** See {@link TrainerOptions.batchSize}. */
  batchSize: number;
  /** See {@link TrainerOptions.lr}. */
  lr: number;
  /** See {@link TrainerOptions.warmup}. */
  warmup: number;
  /** See {@link TrainerOptions.weightDecay}. */
  weightDecay: number;
  /** See {@link TrainerOptions.labelSmoothing}. */
  labelSmoothing: number;
  /** See {@link TrainerOptions.seed}. */
  seed: number;
  /** See {@link TrainerOptions.checkpointDir}. */
  checkpointDir: string | undefined;
  /** See {@link TrainerOptions.checkpointEvery}. */
  checkpointEvery: number;
}

/** The paper preset's values (decisions §2). */
export const TRAINER_DEFAULTS: ResolvedTrainerOptions = {
  steps: 1000,
  batchSize: 64,
  lr: 1e-5,
  warmup: 100,
  weightDecay: 0,
  labelSmoothing: 0.2,
  seed: 42,
  checkpointDir: undefined,
  checkpointEvery: 100,
};

function positiveInt(name: string, v: number): void {
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`trainer option ${name} must be a positive integer, got ${v}`);
}

/** Fills defaults and validates; errors name the option. */
export function resolveTrainerOptions(options: TrainerOptions): ResolvedTrainerOptions {
  const known = new Set([...Object.keys(TRAINER_DEFAULTS), 'preprocess', 'plugins', 'progress']);
  for (const k of Object.keys(options)) if (!known.has(k)) throw new Error(`unknown trainer option ${k}; known: ${[...known].join(', ')}`);
  const r: ResolvedTrainerOptions = { ...TRAINER_DEFAULTS };
  for (const k of Object.keys(TRAINER_DEFAULTS) as (keyof ResolvedTrainerOptions)[]) {
    const v = options[k];
    if (v !== undefined) (r as unknown as Record<string, unknown>)[k] = v;
  }
  positiveInt('steps', r.steps);
  positiveInt('batchSize', r.batchSize);
  positiveInt('checkpointEvery', r.checkpointEvery);
  if (!(Number.isInteger(r.warmup) && r.warmup >= 0)) throw new Error(`trainer option warmup must be an integer >= 0, got ${r.warmup}`);
  if (!(r.lr >= 0 && Number.isFinite(r.lr))) throw new Error(`trainer option lr must be a finite number >= 0, got ${r.lr}`);
  if (!(r.weightDecay >= 0)) throw new Error(`trainer option weightDecay must be >= 0, got ${r.weightDecay}`);
  if (!(r.labelSmoothing >= 0 && r.labelSmoothing < 1)) throw new Error(`trainer option labelSmoothing must be in [0, 1), got ${r.labelSmoothing}`);
  if (!Number.isInteger(r.seed)) throw new Error(`trainer option seed must be an integer, got ${r.seed}`);
  const names = (options.plugins ?? []).map((p) => p.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`trainer option plugins: two plugins are named ${dup}`);
  return r;
}
