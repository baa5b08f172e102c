/**
 * EWC (Kirkpatrick et al., 2017): after each task, the diagonal (empirical) Fisher of the task
 * loss, accumulated over tasks; during later tasks `λ·Σ F·(θ − θ*)²` with θ* the weights at the
 * end of the previous task.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ClassificationDataset, ImagePreprocess } from '../data/types';
import type { DualEncoderLike } from '../model/types';
import { ewcPenalty } from '../train/losses';
import type { TaskContext } from '../train/plugin';
import { batchImages, classificationLoss, classPrompts, tokenize } from '../train/task-loss';
import { disposeWeights, snapshotWeights, type WeightSnapshot } from '../train/weights';
import type { ContinualMethod } from './types';
import { numberIn, positiveInteger, resolveMethodOptions } from './options';
import { loadSnapshot, saveSnapshot } from './state';

/** Options of {@link ewc}. */
export interface EwcOptions {
  /** λ, the weight of the penalty. Default 1. */
  lambda: number;
  /** Batches of the training split used to estimate the Fisher. Default 8. */
  fisherBatches: number;
  /** Their size. Default 32. */
  fisherBatchSize: number;
}

/** Default EWC options. */
export const EWC_DEFAULTS: EwcOptions = { lambda: 1, fisherBatches: 8, fisherBatchSize: 32 };

/**
 * Diagonal empirical Fisher: the mean over `batches` shuffled (seeded) batches of the squared
 * gradient of the batch's cross-entropy (no label smoothing), by trainable parameter name.
 */
export async function estimateFisher(
  model: DualEncoderLike,
  dataset: ClassificationDataset,
  preprocess: ImagePreprocess,
  names: readonly string[],
  options: { batches: number; batchSize: number; seed: number },
): Promise<WeightSnapshot> {
  const vars = model.trainableVariables();
  const nameOf = new Map(vars.map((v, i) => [v.name, names[i]]));
  const fisher: WeightSnapshot = new Map(vars.map((v, i) => [names[i], tf.keep(tf.zerosLike(v))]));
  const prompts = tokenize(model, classPrompts(dataset));
  let count = 0;
  try {
    for await (const batch of dataset.split('train').batches(preprocess, { batchSize: options.batchSize, shuffle: true, seed: options.seed })) {
      if (count >= options.batches) break;
      tf.tidy(() => {
        const images = batchImages(batch);
        const { value, grads } = tf.variableGrads(() => classificationLoss(model, images, prompts, batch.labels, 0), vars);
        value.dispose();
        for (const [tfName, g] of Object.entries(grads)) {
          const n = nameOf.get(tfName)!;
          const old = fisher.get(n)!;
          fisher.set(n, tf.keep(tf.add(old, tf.square(g))));
          old.dispose();
        }
      });
      count++;
    }
  } finally {
    prompts.dispose();
  }
  for (const [n, f] of fisher) {
    fisher.set(n, tf.tidy(() => tf.div(f, Math.max(1, count))));
    f.dispose();
  }
  return fisher;
}

/** The EWC state and penalty, reusable by other methods (PRIMED's `regularizer: 'ewc'`). */
export class EwcPenalty {
  private fisher: WeightSnapshot | undefined;
  private anchor: WeightSnapshot | undefined;

  /** Creates it with resolved options. */
  constructor(private readonly o: EwcOptions) {}

  /** The penalty term, once a task has been learned. */
  lossTerms(ctx: TaskContext): { name: string; weight: number; compute: () => tf.Scalar }[] {
    if (!this.fisher || !this.anchor) return [];
    const params = ctx.model.trainableVariables();
    const anchors = ctx.trainableNames.map((n) => this.anchor!.get(n)!);
    const fisher = ctx.trainableNames.map((n) => this.fisher!.get(n)!);
    return [{ name: 'ewc', weight: this.o.lambda, compute: () => ewcPenalty(params, anchors, fisher) }];
  }

  /** Adds this task's Fisher and moves the anchor to the current weights. */
  async afterTask(ctx: TaskContext): Promise<void> {
    const f = await estimateFisher(ctx.model, ctx.task.dataset, ctx.preprocess, ctx.trainableNames, {
      batches: this.o.fisherBatches, batchSize: this.o.fisherBatchSize, seed: ctx.rng('ewc-fisher').nextUint32(),
    });
    if (this.fisher) {
      for (const [n, t] of f) {
        const old = this.fisher.get(n)!;
        f.set(n, tf.tidy(() => tf.add(old, t)));
        t.dispose();
      }
      disposeWeights(this.fisher);
    }
    this.fisher = f;
    disposeWeights(this.anchor);
    this.anchor = snapshotWeights(ctx.model, ctx.trainableNames);
  }

  /** Saves Fisher and anchor. */
  save(dir: string): void {
    saveSnapshot(dir, 'ewc-fisher', this.fisher);
    saveSnapshot(dir, 'ewc-anchor', this.anchor);
  }

  /** Loads what {@link EwcPenalty.save} wrote. */
  load(dir: string): void {
    this.dispose();
    if (fs.existsSync(path.join(dir, 'ewc-fisher.safetensors'))) {
      this.fisher = loadSnapshot(dir, 'ewc-fisher');
      this.anchor = loadSnapshot(dir, 'ewc-anchor');
    }
  }

  /** Frees its tensors. */
  dispose(): void {
    disposeWeights(this.fisher);
    disposeWeights(this.anchor);
    this.fisher = this.anchor = undefined;
  }
}

/** The EWC method. */
export function ewc(options: Partial<EwcOptions> = {}): ContinualMethod {
  const o = resolveMethodOptions('ewc', EWC_DEFAULTS, options, {
    lambda: numberIn(0), fisherBatches: positiveInteger, fisherBatchSize: positiveInteger,
  });
  const penalty = new EwcPenalty(o);
  return {
    name: 'ewc',
    options: o,
    lossTerms: (ctx) => penalty.lossTerms(ctx),
    afterTask: (ctx) => penalty.afterTask(ctx),
    saveState: (dir) => penalty.save(dir),
    loadState: (dir) => penalty.load(dir),
    dispose: () => penalty.dispose(),
  };
}
