/**
 * EWC (Kirkpatrick et al., 2017), in its online form (Schwarz et al., 2018; the accumulation and
 * penalty of Mammoth's `ewc_on`): after each task, the diagonal empirical Fisher of the task loss
 * (mean of per-sample squared gradients; NOT `ewc_on`'s estimator, which weights each sample by
 * its p(y|x), see {@link estimateFisher}) is added to γ times the earlier tasks' Fisher; during later tasks the loss gains
 * `λ·Σ F·(θ − θ*)²` with θ* the weights at the end of the previous task.
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
import { numberIn, positiveInteger } from './options';
import { defineMethod } from './spec';
import { loadSnapshot, saveSnapshot } from './state';

/** Options of {@link ewc}. */
export interface EwcOptions {
  /**
   * λ, the weight of the penalty `λ·Σ F·(θ − θ*)²` (no ½, as Mammoth's `ewc_on`). Default
   * {@link EWC_DEFAULT_LAMBDA}; must be a finite number ≥ 0 (0 turns EWC into fine-tuning).
   */
  lambda: number;
  /** Batches of the training split used to estimate the Fisher. Default 8. */
  fisherBatches: number;
  /**
   * Their size. Default 32. The Fisher is still the mean of *per-sample* squared gradients:
   * each batch is differentiated one image at a time, so this only sets how images are read.
   */
  fisherBatchSize: number;
  /**
   * Online-EWC decay γ (Schwarz et al., 2018; Mammoth's `--gamma`): after each task
   * `F ← γ·F + F_task`. Default 1 (the Fishers of all tasks summed, Mammoth's setting).
   */
  gamma: number;
}

/**
 * The default λ, 1000: calibrated so that the penalty matters at mini scale without swamping the
 * new task (docs/primed-decisions.md §7; `npx tsx scripts/calibrate-ewc.ts`). With the per-sample
 * Fisher of {@link estimateFisher} after task 1 of mini-MGTIL (mini model and recipe), plain
 * fine-tuning of task 2 ends at `Σ F·(θ − θ*)²` ≈ 5e-4 … 3e-3 against a task cross-entropy of
 * ≈ 0.6; the λ that makes the two equal was 713 (order I, seed 42, 150 steps), 1087 (40 steps),
 * 1140 (order II), 208 (seed 7). 1000 is the power of ten nearest their median. For scale:
 * Mammoth's tuned `e_lambda` for `ewc_on` (same penalty, no ½) spans 0.7 (perm/rot-MNIST) to 90
 * (seq-MNIST) with SGD at lr 0.03–0.1 (`utils/best_args.py`); a 3e-4 AdamW step moves weights far
 * less, so the same pull needs a larger λ. Retune λ for another model or recipe.
 */
export const EWC_DEFAULT_LAMBDA = 1000;

/** Default EWC options. */
export const EWC_DEFAULTS: EwcOptions = { lambda: EWC_DEFAULT_LAMBDA, fisherBatches: 8, fisherBatchSize: 32, gamma: 1 };

/**
 * Diagonal empirical Fisher (Kirkpatrick et al., 2017, as commonly implemented; Martens, 2020, §11):
 * `F = 1/N Σ_n (∂ℓ(x_n, y_n)/∂θ)²`, the mean over N = `batches · batchSize` training images
 * (shuffled, seeded) of the squared gradient of *that image's* cross-entropy (true label, no
 * label smoothing), by trainable parameter name. Each image is differentiated on its own: the
 * square of a batch-mean gradient would be `(1/B Σ g_n)²`, which near a minimum of the task loss
 * is about `F/B`, a B-fold underestimate. This is not Mammoth's `ewc_on` estimator, which adds
 * `p(y_n|x_n)·(∂ℓ_n/∂θ)²` (each squared gradient weighted by the model's probability of the true
 * label) and divides by `len(train_loader)·batch_size`.
 */
export async function estimateFisher(
  model: DualEncoderLike,
  dataset: ClassificationDataset,
  preprocess: ImagePreprocess,
  names: readonly string[],
  options: { batches: number; batchSize: number; seed: number },
): Promise<WeightSnapshot> {
  const vars = model.trainableVariables();
  if (vars.length !== names.length) throw new Error(`estimateFisher: ${names.length} names for ${vars.length} trainable variables`);
  const nameOf = new Map(vars.map((v, i) => [v.name, names[i]]));
  const fisher: WeightSnapshot = new Map(vars.map((v, i) => [names[i], tf.keep(tf.zerosLike(v))]));
  const prompts = tokenize(model, classPrompts(dataset));
  let batches = 0;
  let samples = 0;
  try {
    for await (const batch of dataset.split('train').batches(preprocess, { batchSize: options.batchSize, shuffle: true, seed: options.seed })) {
      if (batches >= options.batches) break;
      const images = batchImages(batch);
      try {
        const [n, h, w, c] = images.shape;
        for (let i = 0; i < n; i++) {
          tf.tidy(() => {
            const one = tf.slice(images, [i, 0, 0, 0], [1, h, w, c]);
            const label = batch.labels.subarray(i, i + 1);
            const { value, grads } = tf.variableGrads(() => classificationLoss(model, one, prompts, label, 0), vars);
            value.dispose();
            for (const [tfName, g] of Object.entries(grads)) {
              const name = nameOf.get(tfName)!;
              const old = fisher.get(name)!;
              fisher.set(name, tf.keep(tf.add(old, tf.square(g))));
              old.dispose();
            }
          });
        }
        samples += n;
      } finally {
        images.dispose();
      }
      batches++;
    }
  } finally {
    prompts.dispose();
  }
  for (const [n, f] of fisher) {
    fisher.set(n, tf.tidy(() => tf.div(f, Math.max(1, samples))));
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

  /** Adds this task's Fisher to γ times the earlier ones and moves the anchor to the current weights. */
  async afterTask(ctx: TaskContext): Promise<void> {
    const f = await estimateFisher(ctx.model, ctx.task.dataset, ctx.preprocess, ctx.trainableNames, {
      batches: this.o.fisherBatches, batchSize: this.o.fisherBatchSize, seed: ctx.rng('ewc-fisher').nextUint32(),
    });
    if (this.fisher) {
      const gamma = this.o.gamma ?? 1;
      for (const [n, t] of f) {
        const old = this.fisher.get(n)!;
        f.set(n, tf.tidy(() => tf.add(tf.mul(old, gamma), t)));
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

/** The `ewc` method (online EWC). */
export const ewcMethod = defineMethod<EwcOptions>({
  name: 'ewc',
  label: 'EWC',
  summary: 'online EWC: λ·Σ F·(θ − θ*)² with the summed per-sample empirical Fisher of the earlier tasks',
  order: 30,
  // The paper has EWC only as a regulariser ablation of PRIMED (Table 4e/10), not as a baseline row.
  paperRow: null,
  color: '#56b4e9',
  referenceSet: 'none',
  relativeCost: 1,
  defaults: EWC_DEFAULTS,
  checks: { lambda: numberIn(0), fisherBatches: positiveInteger, fisherBatchSize: positiveInteger, gamma: numberIn(0, 1) },
  build: (o) => {
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
  },
});

/** The EWC method. */
export function ewc(options: Partial<EwcOptions> = {}): ContinualMethod {
  return ewcMethod.create(options);
}
