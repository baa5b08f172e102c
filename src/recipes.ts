/**
 * Run recipes: the training, retrieval and evaluation settings of a scale, as validated data
 * that is saved next to every result (primed-decisions.md §2–4). `paper` is the paper's preset;
 * `mini` picks its own values so that a whole mini-MGTIL sequence runs in minutes on a CPU.
 */
import { SIPHON_DEFAULTS, type SiphonOptions } from './memory/siphon';
import { TRAINER_DEFAULTS } from './train/config';

/** A run scale. */
export type Scale = 'mini' | 'paper';

/** Everything a continual-learning run needs besides the model, benchmark and method. */
export interface RunRecipe {
  /** Which scale these values are for. */
  scale: Scale;
  /** Trainer settings per task. */
  trainer: {
    /** Iterations per task (small datasets are cycled). */
    steps: number;
    /** Images per batch. */
    batchSize: number;
    /** Peak learning rate (AdamW, warm-up then cosine to 0). */
    lr: number;
    /** Warm-up steps. */
    warmup: number;
    /** Label smoothing of the task loss. */
    labelSmoothing: number;
    /** Steps between mid-task checkpoints. */
    checkpointEvery: number;
  };
  /** Reference pairs per step for the distillation methods (B). */
  referenceBatchSize: number;
  /** Dynamic Siphon counts a, b, c per query and n general questions. */
  siphon: Required<Pick<SiphonOptions, 'a' | 'b' | 'c' | 'n'>>;
  /** Size of the uniform reference set (PRIMED_uni, ZSCL); default: about what the siphon yields. */
  uniformTotal: number;
  /** Images per evaluation batch. */
  evalBatchSize: number;
}

/**
 * The mini recipe: 150 steps of batch 32 per task at lr 3e-4 (the mini model is small and
 * trained from a short pretraining, so it needs a larger step than BiomedCLIP's 1e-5), reference
 * batches of 32, and siphon counts scaled to the ~1,200 image–caption pairs of the mini memory.
 */
export const MINI_RECIPE_RUN: RunRecipe = {
  scale: 'mini',
  trainer: { steps: 150, batchSize: 32, lr: 3e-4, warmup: 15, labelSmoothing: 0.2, checkpointEvery: 50 },
  referenceBatchSize: 32,
  siphon: { a: 10, b: 10, c: 8, n: 20 },
  uniformTotal: 300,
  evalBatchSize: 256,
};

const { steps, batchSize, lr, warmup, labelSmoothing, checkpointEvery } = TRAINER_DEFAULTS;

/**
 * The paper's recipe for HieraMedTransfer (decisions §2 and §4): the trainer's defaults
 * (`TRAINER_DEFAULTS`, which are the paper's), reference batches as large as the task batches,
 * and the siphon counts of `SIPHON_DEFAULTS.hieramedtransfer`.
 */
export const PAPER_RECIPE_HMT: RunRecipe = {
  scale: 'paper',
  trainer: { steps, batchSize, lr, warmup, labelSmoothing, checkpointEvery },
  referenceBatchSize: batchSize,
  siphon: { ...SIPHON_DEFAULTS.hieramedtransfer },
  uniformTotal: 10000,
  evalBatchSize: 128,
};

/** The paper's recipe for MedXtreme: as HieraMedTransfer's, with the siphon counts of `SIPHON_DEFAULTS.medxtreme` (70:70:100). */
export const PAPER_RECIPE_MX: RunRecipe = { ...PAPER_RECIPE_HMT, siphon: { ...SIPHON_DEFAULTS.medxtreme } };

/** The default recipe of a benchmark at a scale. */
export function defaultRecipe(benchmark: string, scale: Scale): RunRecipe {
  if (scale === 'mini') return structuredClone(MINI_RECIPE_RUN);
  return structuredClone(benchmark.toLowerCase() === 'medxtreme' ? PAPER_RECIPE_MX : PAPER_RECIPE_HMT);
}

/** A recipe with `overrides` applied (deep for `trainer` and `siphon`), validated; errors name the field. */
export function resolveRecipe(base: RunRecipe, overrides: DeepPartial<RunRecipe> = {}): RunRecipe {
  const r: RunRecipe = {
    ...base,
    ...overrides,
    trainer: { ...base.trainer, ...(overrides.trainer ?? {}) },
    siphon: { ...base.siphon, ...(overrides.siphon ?? {}) },
  } as RunRecipe;
  const posInt = (name: string, v: unknown) => {
    if (!(Number.isInteger(v) && (v as number) > 0)) throw new Error(`recipe field ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  const nonNegInt = (name: string, v: unknown) => {
    if (!(Number.isInteger(v) && (v as number) >= 0)) throw new Error(`recipe field ${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  };
  if (r.scale !== 'mini' && r.scale !== 'paper') throw new Error(`recipe field scale must be "mini" or "paper", got ${JSON.stringify(r.scale)}`);
  posInt('trainer.steps', r.trainer.steps);
  posInt('trainer.batchSize', r.trainer.batchSize);
  nonNegInt('trainer.warmup', r.trainer.warmup);
  posInt('trainer.checkpointEvery', r.trainer.checkpointEvery);
  if (!(r.trainer.lr > 0)) throw new Error(`recipe field trainer.lr must be > 0, got ${r.trainer.lr}`);
  if (!(r.trainer.labelSmoothing >= 0 && r.trainer.labelSmoothing < 1)) throw new Error(`recipe field trainer.labelSmoothing must be in [0, 1), got ${r.trainer.labelSmoothing}`);
  posInt('referenceBatchSize', r.referenceBatchSize);
  for (const k of ['a', 'b', 'c', 'n'] as const) nonNegInt(`siphon.${k}`, r.siphon[k]);
  posInt('uniformTotal', r.uniformTotal);
  posInt('evalBatchSize', r.evalBatchSize);
  const known = new Set(Object.keys(base));
  for (const k of Object.keys(overrides)) if (!known.has(k)) throw new Error(`unknown recipe field ${k}; known: ${[...known].join(', ')}`);
  for (const group of ['trainer', 'siphon'] as const) {
    const given = overrides[group];
    if (given === undefined) continue;
    if (!given || typeof given !== 'object' || Array.isArray(given)) throw new Error(`recipe field ${group} must be an object, got ${JSON.stringify(given)}`);
    const fields = Object.keys(base[group]);
    for (const k of Object.keys(given)) if (!fields.includes(k)) throw new Error(`unknown recipe field ${group}.${k}; known: ${fields.map((f) => `${group}.${f}`).join(', ')}`);
  }
  return r;
}

/** A partial object, recursively. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
