/**
 * CLIP contrastive pretraining of a dual encoder on image–caption pairs: the symmetric InfoNCE
 * of CLIP (the same loss as PRIMED's CMC term) with AdamW and warm-up + cosine. It builds the
 * `mini` foundation model from the mini corpus, a stand-in for the PMC-scale pretraining of
 * BiomedCLIP.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImagePreprocess } from '../data/types';
import { preprocessImage, type RawImage } from '../data/image';
import type { DualEncoderLike } from '../model/types';
import { Rng } from '../util/rng';
import { silentProgress, type ProgressSink } from '../util/progress';
import { cmcLoss, pairSimilarity } from './losses';
import { AdamW, warmupCosineLr } from './optimizer';
import { modelPreprocess } from './preprocess';

/** One image–caption pair; pixels are 8-bit, `channels` per pixel. */
export interface PretrainPair {
  /** The caption. */
  caption: string;
  /** 8-bit pixels, row-major `[height, width, channels]`; resized and normalised to the model's preprocessing on use. */
  image: RawImage;
  /** Group for single-modality batches (e.g. the modality); pairs without one form a group of their own. */
  group?: string;
}

/** Options of {@link pretrainClip}; defaults are the `mini` recipe. */
export interface PretrainOptions {
  /** Optimiser steps. Default 600. */
  steps?: number;
  /** Pairs per step (captions within a batch are kept distinct). Default 64. */
  batchSize?: number;
  /** Peak learning rate. Default 1e-3. */
  lr?: number;
  /** Warm-up steps. Default 50. */
  warmup?: number;
  /** AdamW weight decay. Default 0.01. */
  weightDecay?: number;
  /** Seed of batch sampling. Default 0. */
  seed?: number;
  /**
   * Share of steps whose batch comes from a single group (modality). Mixed batches teach mostly
   * modality; homogeneous ones force finding-level contrast (hard negatives). Default 0.5.
   */
  groupBatchShare?: number;
  /** Pixel preprocessing; default the model's. */
  preprocess?: ImagePreprocess;
  /** Progress, one unit per step, with the loss. */
  progress?: ProgressSink;
}

/** What {@link pretrainClip} did. */
export interface PretrainResult {
  /** Steps run. */
  steps: number;
  /** Mean loss of the first and the last 10% of steps. */
  lossStart: number;
  /** Mean loss of the last 10% of steps. */
  lossEnd: number;
  /** Seconds. */
  seconds: number;
}

function positive(name: string, v: number, integer: boolean): void {
  if (!(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`pretrain: option ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
}

/**
 * Trains every trainable parameter of `model` in place with CLIP's contrastive loss on `pairs`.
 * Batches are drawn with a generator seeded by (seed, step), so a run is reproducible.
 */
export async function pretrainClip(model: DualEncoderLike, pairs: PretrainPair[], options: PretrainOptions = {}): Promise<PretrainResult> {
  const steps = options.steps ?? 600;
  const batchSize = options.batchSize ?? 64;
  const lr = options.lr ?? 1e-3;
  const warmup = options.warmup ?? 50;
  const seed = options.seed ?? 0;
  positive('steps', steps, true);
  positive('batchSize', batchSize, true);
  positive('lr', lr, false);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error(`pretrain: option warmup must be a non-negative integer, got ${warmup}`);
  if (pairs.length < 2) throw new Error(`pretrain: need at least 2 image–caption pairs, got ${pairs.length}`);
  const progress = options.progress ?? silentProgress;
  const preprocess = modelPreprocess(model, options.preprocess, 'pretrain');
  const started = Date.now();

  // Preprocess every image once; the corpus is small.
  const pixelsPer = preprocess.size * preprocess.size * preprocess.channels;
  const images = new Float32Array(pairs.length * pixelsPer);
  pairs.forEach((p, i) => images.set(preprocessImage(p.image, preprocess), i * pixelsPer));
  const byCaption = new Map<string, number[]>();
  pairs.forEach((p, i) => byCaption.set(p.caption, [...(byCaption.get(p.caption) ?? []), i]));
  const captions = [...byCaption.keys()];
  const b = Math.min(batchSize, captions.length);
  const groupShare = options.groupBatchShare ?? 0.5;
  if (!(groupShare >= 0 && groupShare <= 1)) throw new Error(`pretrain: option groupBatchShare must be in [0, 1], got ${groupShare}`);
  const captionsByGroup = new Map<string, number[]>();
  captions.forEach((c, ci) => {
    const g = pairs[byCaption.get(c)![0]].group ?? '';
    captionsByGroup.set(g, [...(captionsByGroup.get(g) ?? []), ci]);
  });
  const groups = [...captionsByGroup.values()].filter((cs) => cs.length >= 2);

  const trainable = model.trainableVariables();
  const params = new Map<string, tf.Variable>();
  for (const [name, v] of model.namedVariables()) if (trainable.includes(v)) params.set(name, v);
  // tf.variableGrads keys gradients by the variables' tfjs names; the optimiser wants checkpoint names.
  const nameOf = new Map([...params].map(([name, v]) => [v.name, name]));
  const optimizer = new AdamW({ weightDecay: options.weightDecay ?? 0.01 });
  const schedule = warmupCosineLr({ baseLr: lr, warmup: Math.min(warmup, steps - 1), steps });
  const losses: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      // Distinct captions per batch: duplicates would be contradictory InfoNCE targets.
      const rng = Rng.derive(seed, `pretrain/${step}`);
      let pool: number[] | undefined;
      if (groups.length > 0 && rng.next() < groupShare) pool = groups[rng.int(groups.length)];
      const picked = pool ? rng.sampleIndices(pool.length, Math.min(b, pool.length)).map((i) => pool![i]) : rng.sampleIndices(captions.length, b);
      const n = picked.length;
      const chosen = picked.map((c) => {
        const group = byCaption.get(captions[c])!;
        return { caption: captions[c], index: group[rng.int(group.length)] };
      });
      const batchImages = new Float32Array(n * pixelsPer);
      chosen.forEach((c, i) => batchImages.set(images.subarray(c.index * pixelsPer, (c.index + 1) * pixelsPer), i * pixelsPer));
      const ids = model.tokenizer.encodeBatch(chosen.map((c) => c.caption));
      const { value, grads } = tf.tidy(() => {
        const x = tf.tensor4d(batchImages, [n, preprocess.size, preprocess.size, preprocess.channels]);
        const t = tf.tensor2d(ids, [n, model.tokenizer.contextLength], 'int32');
        return tf.variableGrads(() => {
          const m = pairSimilarity(model.encodeText(t), model.encodeImage(x));
          return cmcLoss(m, model.logitScale());
        }, trainable);
      });
      const loss = (await value.data())[0];
      value.dispose();
      if (!Number.isFinite(loss)) {
        tf.dispose(Object.values(grads));
        throw new Error(`pretrain: loss is ${loss} at step ${step}; lower option lr (now ${lr})`);
      }
      const named = new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k) ?? k, g]));
      optimizer.apply(params, named, schedule(step));
      tf.dispose(Object.values(grads));
      losses.push(loss);
      progress({ label: 'pretrain', done: step + 1, total: steps, metrics: { loss } });
    }
  } finally {
    optimizer.dispose();
  }
  const tenth = Math.max(1, Math.floor(steps / 10));
  const mean = (xs: number[]) => xs.reduce((a, c) => a + c, 0) / xs.length;
  return { steps, lossStart: mean(losses.slice(0, tenth)), lossEnd: mean(losses.slice(-tenth)), seconds: (Date.now() - started) / 1000 };
}
