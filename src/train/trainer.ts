/**
 * The loop for one task: batches (cycled), the task loss plus every plugin's terms, one
 * gradient per term group, extra closed-form gradients, AdamW with warm-up + cosine, hooks,
 * checkpoints, and a NaN guard. Methods plug in through {@link TrainerPlugin} only.
 */
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../model/types';
import { modelPreprocess } from './preprocess';
import { Rng } from '../util/rng';
import { contentHash } from '../util/fs';
import { silentProgress } from '../util/progress';
import { readCheckpointStartWeights, readCheckpointState, restoreCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint';
import { resolveTrainerOptions, type ResolvedTrainerOptions, type TrainerOptions } from './config';
import { CycledBatches } from './cycled-batches';
import { AdamW, warmupCosineLr } from './optimizer';
import type { AfterStepContext, GradientTerm, LossTerm, StepContext, TaskContext, TrainTask } from './plugin';
import { batchImages, classificationLoss, classPrompts, tokenize } from './task-loss';
import { disposeWeights, restoreWeights, snapshotWeights, type WeightSnapshot } from './weights';

/** A loss term turned NaN or infinite; the run stops and the last good checkpoint is kept. */
export class TrainingDivergedError extends Error {
  /** Creates the error. */
  constructor(
    /** 0-based step at which it happened. */
    readonly step: number,
    /** Name of the term. */
    readonly term: string,
    /** The value (NaN or ±Infinity). */
    readonly value: number,
    /** Steps stored in the checkpoint that was kept, when there is one. */
    readonly checkpointStep: number | undefined,
    where: string,
  ) {
    const kept = checkpointStep === undefined ? 'no checkpoint was written' : `the last good checkpoint (step ${checkpointStep}) is kept`;
    super(`training diverged at step ${step} of ${where}: loss term "${term}" is ${value}; ${kept}`);
    this.name = 'TrainingDivergedError';
  }
}

/** What {@link trainOnTask} did. */
export interface TrainResult {
  /** Steps of the task. */
  totalSteps: number;
  /** The step it started from (> 0 when resumed from a checkpoint). */
  resumedFromStep: number;
  /** The weighted losses of every step run in this call, by term name plus `total`. */
  history: Record<string, number>[];
}

/** The trainer option name of the task loss term. */
export const TASK_LOSS_TERM = 'ce';

function trainableNameMap(model: DualEncoderLike): { names: string[]; vars: tf.Variable[]; byTfName: Map<string, string> } {
  const named = model.namedVariables();
  const reverse = new Map<tf.Variable, string>();
  for (const [k, v] of named) reverse.set(v, k);
  const vars = model.trainableVariables();
  const names = vars.map((v) => {
    const n = reverse.get(v);
    if (!n) throw new Error(`model: trainable variable ${v.name} is missing from namedVariables()`);
    return n;
  });
  return { names, vars, byTfName: new Map(vars.map((v, i) => [v.name, names[i]])) };
}

function configKey(r: ResolvedTrainerOptions, plugins: string[]): string {
  const { checkpointDir: _dir, checkpointEvery: _every, ...rest } = r;
  return contentHash({ ...rest, plugins });
}

/**
 * Trains `model` in place on one task.
 *
 * With `checkpointDir`, a checkpoint is written every `checkpointEvery` steps and at the end;
 * calling again with the same folder resumes from it and ends with the same weights as an
 * uninterrupted run (same backend and seed). A NaN or infinite loss term throws
 * {@link TrainingDivergedError} before the step is applied and before any checkpoint is written.
 */
export async function trainOnTask(model: DualEncoderLike, task: TrainTask, options: TrainerOptions = {}): Promise<TrainResult> {
  const cfg = resolveTrainerOptions(options);
  const plugins = options.plugins ?? [];
  const progress = options.progress ?? silentProgress;
  const preprocess = modelPreprocess(model, options.preprocess, 'trainer');
  const { dataset, taskIndex } = task;
  const where = `task ${taskIndex} (${dataset.name})`;
  const key = configKey(cfg, plugins.map((p) => p.name));
  for (const p of plugins) p.attach?.(model, task);
  const { names, vars, byTfName } = trainableNameMap(model);
  const named = model.namedVariables();
  const trainableByName = new Map(names.map((n, i) => [n, vars[i]]));

  const existing = cfg.checkpointDir ? readCheckpointState(cfg.checkpointDir) : undefined;
  if (existing) {
    const mismatch =
      existing.taskIndex !== taskIndex ? `task ${existing.taskIndex}` :
      existing.dataset !== dataset.name ? `dataset ${existing.dataset}` :
      existing.configKey !== key ? 'another trainer configuration' : undefined;
    if (mismatch) throw new Error(`checkpointDir ${cfg.checkpointDir}: its checkpoint is for ${mismatch}, not ${where}; remove it or choose another folder`);
  }
  let startWeights: WeightSnapshot;
  if (existing) {
    startWeights = readCheckpointStartWeights(cfg.checkpointDir!);
    restoreWeights(model, startWeights);
  } else {
    startWeights = snapshotWeights(model);
  }

  const taskCtx: TaskContext = {
    model, task, preprocess, totalSteps: cfg.steps, seed: cfg.seed, startWeights, trainableNames: names,
    rng: (label) => Rng.derive(cfg.seed, `task${taskIndex}/${label}`),
  };
  const optimizer = new AdamW({ weightDecay: cfg.weightDecay });
  const lrAt = warmupCosineLr({ baseLr: cfg.lr, warmup: cfg.warmup, steps: cfg.steps });
  const promptIds = tokenize(model, classPrompts(dataset));
  const batches = new CycledBatches(dataset.split('train'), preprocess, cfg.batchSize, { seed: cfg.seed, label: `task${taskIndex}` });
  let lastCheckpoint: number | undefined = existing?.step;
  const history: Record<string, number>[] = [];

  const writeCheckpoint = async (step: number) => {
    if (!cfg.checkpointDir) return;
    const state: CheckpointState = {
      format: 'primed-train-checkpoint', version: 1, taskIndex, dataset: dataset.name, step, totalSteps: cfg.steps, seed: cfg.seed, configKey: key,
    };
    await saveCheckpoint(cfg.checkpointDir, { state, model, startWeights, optimizer, plugins });
    lastCheckpoint = step;
  };

  try {
    for (const p of plugins) await p.beforeTask?.(taskCtx);
    const startStep = existing ? existing.step : 0;
    if (existing) await restoreCheckpoint(cfg.checkpointDir!, model, optimizer, plugins);

    for (let step = startStep; step < cfg.steps; step++) {
      const batch = await batches.get(step);
      const ctx: StepContext = {
        ...taskCtx, step, lr: lrAt(step), batch,
        stepRng: (label) => Rng.derive(cfg.seed, `task${taskIndex}/step${step}/${label}`),
      };
      const images = batchImages(batch);
      const labels = tf.tensor1d(batch.labels, 'int32');
      const terms: LossTerm[] = [
        { name: TASK_LOSS_TERM, compute: () => classificationLoss(model, images, promptIds, labels, cfg.labelSmoothing) },
      ];
      try {
        for (const p of plugins) if (p.lossTerms) terms.push(...(await p.lossTerms(ctx)));
      } catch (err) {
        tf.dispose([images, labels]);
        throw err;
      }
      let losses: Record<string, number>;
      try {
        losses = runStep(ctx, terms, plugins, optimizer, vars, byTfName, trainableByName, named, lastCheckpoint, where);
      } finally {
        tf.dispose([images, labels]);
      }
      history.push(losses);
      const after: AfterStepContext = { ...ctx, losses };
      for (const p of plugins) await p.afterStep?.(after);
      progress({ label: `train ${dataset.name}`, done: step + 1, total: cfg.steps, metrics: losses });
      if ((step + 1) % cfg.checkpointEvery === 0 || step + 1 === cfg.steps) await writeCheckpoint(step + 1);
    }
    for (const p of plugins) await p.afterTask?.(taskCtx);
    return { totalSteps: cfg.steps, resumedFromStep: startStep, history };
  } finally {
    await batches.close();
    promptIds.dispose();
    optimizer.dispose();
    disposeWeights(startWeights);
  }
}

/** Gradients per group, NaN guard, extra gradient terms, optimiser update. Returns the losses. */
function runStep(
  ctx: StepContext,
  terms: LossTerm[],
  plugins: TrainerOptions['plugins'] & object,
  optimizer: AdamW,
  vars: tf.Variable[],
  byTfName: Map<string, string>,
  trainableByName: Map<string, tf.Variable>,
  named: Map<string, tf.Variable>,
  lastCheckpoint: number | undefined,
  where: string,
): Record<string, number> {
  const groups = new Map<string, LossTerm[]>();
  for (const t of terms) {
    const g = t.group ?? 'main';
    groups.set(g, [...(groups.get(g) ?? []), t]);
  }
  const losses: Record<string, number> = {};
  const groupGrads = new Map<string, Map<string, tf.Tensor>>();
  const extra: GradientTerm[] = [];
  const disposeAll = () => {
    for (const g of groupGrads.values()) tf.dispose([...g.values()]);
    for (const e of extra) tf.dispose([...e.grads.values()]);
  };
  const diverged = (term: string, value: number) => {
    disposeAll();
    return new TrainingDivergedError(ctx.step, term, value, lastCheckpoint, where);
  };
  try {
    for (const [group, groupTerms] of groups) {
      const raw: { name: string; value: tf.Scalar }[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const parts = groupTerms.map((t) => {
          const v = t.compute();
          raw.push({ name: t.name, value: tf.keep(tf.clone(v)) });
          return t.weight === undefined || t.weight === 1 ? v : tf.mul(v, t.weight);
        });
        return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Scalar;
      }, vars);
      value.dispose();
      const byName = new Map<string, tf.Tensor>();
      for (const [tfName, g] of Object.entries(grads)) byName.set(byTfName.get(tfName)!, g);
      groupGrads.set(group, byName);
      const values = raw.map((r) => r.value.dataSync()[0]);
      tf.dispose(raw.map((r) => r.value));
      for (let i = 0; i < raw.length; i++) {
        if (!Number.isFinite(values[i])) throw diverged(raw[i].name, values[i]);
        const w = groupTerms[i].weight ?? 1;
        losses[raw[i].name] = (losses[raw[i].name] ?? 0) + w * values[i];
      }
    }
    for (const p of plugins) {
      for (const e of p.gradientTerms?.(ctx, groupGrads) ?? []) {
        extra.push(e);
        if (!Number.isFinite(e.value)) throw diverged(e.name, e.value);
        losses[e.name] = (losses[e.name] ?? 0) + e.value;
      }
    }
  } catch (err) {
    if (!(err instanceof TrainingDivergedError)) disposeAll();
    throw err;
  }
  losses.total = Object.values(losses).reduce((a, b) => a + b, 0);
  const total = new Map<string, tf.Tensor>();
  for (const name of trainableByName.keys()) {
    const parts = [...groupGrads.values(), ...extra.map((e) => e.grads)].map((g) => g.get(name)).filter((g): g is tf.Tensor => !!g);
    if (parts.length) total.set(name, parts.length === 1 ? parts[0] : tf.addN(parts));
  }
  optimizer.apply(named, total, ctx.lr);
  for (const [name, t] of total) {
    const single = [...groupGrads.values(), ...extra.map((e) => e.grads)].some((g) => g.get(name) === t);
    if (!single) t.dispose();
  }
  disposeAll();
  return losses;
}
