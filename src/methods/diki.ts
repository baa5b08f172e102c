/**
 * DIKI (Tang et al., "Mind the Interference: Retaining Pre-trained Knowledge in Parameter
 * Efficient Continual Learning of Vision-Language Models", ECCV 2024; code github.com/lloongx/DIKI),
 * the paper's "DIKI" row.
 *
 * The pretrained model stays frozen. Each task t gets its own prefix `P_t` in each of the first
 * `depth` attention layers of the image tower: `prefixLength` keys and values of the layer's
 * width (keys drawn from U(−1, 1), values zero, as DIKI's `prefix_pool`). Interference-free
 * knowledge integration (IKI): the prefix is attended to in a separate softmax and added to the
 * layer's own context, `Attn(q, K, V) + w·Attn(q, P_k, P_v)` (DIKI's
 * `multi_head_attention_forward`), so zero values leave the pretrained model exactly as it was.
 * Training on task t updates only `P_t` (w = 1), with the task loss.
 *
 * Distribution-aware integration calibration (DIC): before training on task t, the mean and
 * covariance (+ 1e-7·I) of the frozen model's L2-normalised image embeddings of its training
 * images are stored. At evaluation every image gets, for each learnt task, the Gaussian
 * log-likelihood `ℓ_t` of its frozen embedding; it uses the prefixes of the most likely task,
 * weighted by `w = sigmoid(max_t ℓ_t / 512 − 1)` (DIKI's constant 512). With `batchwisePrompt`
 * (DIKI's setting) the whole batch uses the task most of its images chose, each image keeping
 * its own weight. An image unlike every learnt task gets w ≈ 0: the zero-shot model.
 *
 * Simplifications, stated: (1) prefixes in the image tower only. DIKI also puts prefixes in the
 * first 8 text layers, picked by the image batch's majority task and weighted by the batch's mean
 * w; here evaluation embeds each task's class prompts once, before any image is seen, so the
 * text side cannot follow the images. (2) The optimiser is the experiment's (AdamW, the recipe's
 * learning rate, schedule and label smoothing), not DIKI's SGD (lr 5, cosine, 10 epochs); with the
 * mini recipe the prefixes move little. (3) `depth` is capped at the image tower's layers (the
 * mini model has fewer than DIKI's 8). (4) The Gaussians are computed in float64 (DIKI: float32).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { AttentionExtension, DualEncoderLike } from '../model/types';
import type { TaskContext } from '../train/plugin';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../util/fs';
import { Rng } from '../util/rng';
import type { ContinualMethod } from './types';
import { isBoolean, numberIn, positiveInteger } from './options';
import { defineMethod } from './spec';

/** Options of the `diki` method. */
export interface DikiOptions {
  /** Image-tower layers with prefixes, from the first (capped at the tower's layers). Default 8 (DIKI's `prompt_depth_vision`). */
  depth: number;
  /** Prefix tokens per layer. Default 8 (DIKI's `n_ctx_vision`). */
  prefixLength: number;
  /** Tasks the prefix pool holds (DIKI's `pool_size`, its number of tasks). Default 16. */
  maxTasks: number;
  /** At evaluation, one task for the whole batch (its images' majority). Default true (DIKI's `batchwise_prompt`). */
  batchwisePrompt: boolean;
  /** The divisor of the log-likelihood in the calibration weight `sigmoid(ℓ/divisor − 1)`. Default 512 (DIKI's constant). */
  calibrationDivisor: number;
  /** Added to the covariance's diagonal. Default 1e-7 (DIKI's). */
  covarianceJitter: number;
  /** Images per batch when the task's Gaussian is estimated. Default 64. */
  statsBatchSize: number;
}

/** Default DIKI options. */
export const DIKI_DEFAULTS: DikiOptions = {
  depth: 8, prefixLength: 8, maxTasks: 16, batchwisePrompt: true, calibrationDivisor: 512, covarianceJitter: 1e-7, statsBatchSize: 64,
};

/** A task's Gaussian over frozen image embeddings: mean, lower Cholesky factor of the covariance, log-determinant. */
export interface TaskGaussian {
  /** Mean `[d]`. */
  mean: Float64Array;
  /** Row-major lower-triangular `L` with `L·Lᵀ = Σ + jitter·I`, `[d, d]`. */
  cholesky: Float64Array;
  /** `log det Σ`. */
  logDet: number;
}

/** Mean and covariance (unbiased, + `jitter`·I) of `rows` (n × d, row-major), as a {@link TaskGaussian}. */
export function fitGaussian(rows: Float64Array, n: number, d: number, jitter: number): TaskGaussian {
  if (n < 2) throw new Error(`DIKI: a task's Gaussian needs at least 2 training images, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j] / n;
  const cov = new Float64Array(d * d);
  const delta = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) delta[j] = rows[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] += (delta[a] * delta[b]) / (n - 1);
  }
  for (let a = 0; a < d; a++) {
    cov[a * d + a] += jitter;
    for (let b = 0; b < a; b++) cov[b * d + a] = cov[a * d + b];
  }
  const L = new Float64Array(d * d);
  let logDet = 0;
  for (let j = 0; j < d; j++) {
    let s = cov[j * d + j];
    for (let k = 0; k < j; k++) s -= L[j * d + k] ** 2;
    if (!(s > 0)) throw new Error(`DIKI: the covariance is not positive definite at ${j} (${s}); raise covarianceJitter`);
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    logDet += 2 * Math.log(ljj);
    for (let i = j + 1; i < d; i++) {
      let t = cov[i * d + j];
      for (let k = 0; k < j; k++) t -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = t / ljj;
    }
  }
  return { mean, cholesky: L, logDet };
}

/** Gaussian log-density of `x` (`torch.distributions.MultivariateNormal.log_prob`). */
export function gaussianLogProb(g: TaskGaussian, x: ArrayLike<number>): number {
  const d = g.mean.length;
  const z = new Float64Array(d);
  let maha = 0;
  for (let i = 0; i < d; i++) {
    let s = x[i] - g.mean[i];
    for (let k = 0; k < i; k++) s -= g.cholesky[i * d + k] * z[k];
    z[i] = s / g.cholesky[i * d + i];
    maha += z[i] * z[i];
  }
  return -0.5 * (d * Math.log(2 * Math.PI) + g.logDet + maha);
}

/** Which task's prefixes each image of a batch uses, and with what weight (DIC). */
export interface DikiRouting {
  /** Task per image. */
  tasks: Int32Array;
  /** Weight per image. */
  weights: Float32Array;
}

/** DIC: routes frozen embeddings `[n, d]` (row-major) over the learnt tasks' Gaussians. */
export function routeImages(gaussians: readonly TaskGaussian[], embeddings: Float32Array, n: number, o: Pick<DikiOptions, 'batchwisePrompt' | 'calibrationDivisor'>): DikiRouting {
  const d = embeddings.length / n;
  const tasks = new Int32Array(n);
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = embeddings.subarray(i * d, (i + 1) * d);
    let best = 0;
    let bestLogP = -Infinity;
    gaussians.forEach((g, t) => {
      const lp = gaussianLogProb(g, x);
      if (lp > bestLogP) { bestLogP = lp; best = t; }
    });
    tasks[i] = best;
    weights[i] = 1 / (1 + Math.exp(-(bestLogP / o.calibrationDivisor - 1)));
  }
  if (o.batchwisePrompt) {
    // The most frequent task, the lowest index among ties (torch.unique sorted, then topk).
    const counts = new Map<number, number>();
    for (const t of tasks) counts.set(t, (counts.get(t) ?? 0) + 1);
    let major = -1;
    for (const [t, c] of counts) if (major < 0 || c > counts.get(major)! || (c === counts.get(major)! && t < major)) major = t;
    tasks.fill(major);
  }
  return { tasks, weights };
}

/** The prefix attention of IKI: `softmax(q·P_kᵀ)·P_v` per head, times each image's weight. */
function prefixAttention(q: tf.Tensor4D, keys: tf.Tensor3D, values: tf.Tensor3D, weights: tf.Tensor | undefined): tf.Tensor4D {
  // q [B, H, T, dh]; keys/values [B, L, width] → [B, H, L, dh].
  const [b, h, , dh] = q.shape;
  const heads = (p: tf.Tensor3D) => p.reshape([b, p.shape[1], h, dh]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
  const scores = tf.matMul(q, heads(keys), false, true);
  const out = tf.matMul(tf.softmax(scores), heads(values)) as tf.Tensor4D;
  return weights ? (tf.mul(out, weights.reshape([b, 1, 1, 1])) as tf.Tensor4D) : out;
}

/** The DIKI method with resolved options. */
function dikiFrom(o: DikiOptions): ContinualMethod {
  let model: DualEncoderLike | undefined;
  let layers = 0;
  // prefixes[t][l]: `[2, prefixLength, width]`, keys then values (DIKI's prefix_pool[t]).
  let prefixes: tf.Variable[][] = [];
  let gaussians: TaskGaussian[] = [];
  let training: number | undefined; // the task being trained (its prefixes, weight 1)
  let routing: DikiRouting | undefined; // the evaluation batch's routing

  const gaussianOf = async (ctx: TaskContext): Promise<TaskGaussian> => {
    const m = ctx.model;
    m.extend!(undefined); // the frozen, pretrained model
    const parts: Float32Array[] = [];
    let n = 0;
    try {
      for await (const b of ctx.task.dataset.split('train').batches(ctx.preprocess, { batchSize: o.statsBatchSize })) {
        const e = tf.tidy(() => m.encodeImage(tf.tensor4d(b.images, b.shape, 'float32')));
        parts.push(e.dataSync() as Float32Array);
        e.dispose();
        n += b.shape[0];
      }
    } finally {
      m.extend!(extension);
    }
    const rows = new Float64Array(n * m.embedDim);
    let at = 0;
    for (const p of parts) { rows.set(p, at); at += p.length; }
    return fitGaussian(rows, n, m.embedDim, o.covarianceJitter);
  };

  const extension: AttentionExtension = {
    name: 'diki',
    variables: () => new Map(prefixes.flatMap((perLayer, t) => perLayer.map((v, l) => [`diki.task${t}.layer${l}.prefix`, v] as [string, tf.Variable]))),
    trainableVariables: () => (training === undefined ? [] : prefixes[training]),
    beginImages: (images, plainEncodeImage) => {
      routing = undefined;
      if (training !== undefined || gaussians.length === 0) return;
      const plain = plainEncodeImage(images);
      routing = routeImages(gaussians, plain.dataSync() as Float32Array, images.shape[0], o);
    },
    attend: (tower, layer, q) => {
      if (tower !== 'vision' || layer >= layers) return undefined;
      const b = q.shape[0];
      if (training !== undefined) {
        const p = prefixes[training][layer];
        const [, len, width] = p.shape;
        const keys = tf.broadcastTo(p.slice([0, 0, 0], [1, len, width]), [b, len, width]) as tf.Tensor3D;
        const values = tf.broadcastTo(p.slice([1, 0, 0], [1, len, width]), [b, len, width]) as tf.Tensor3D;
        return prefixAttention(q, keys, values, undefined);
      }
      if (!routing) return undefined;
      const stacked = tf.stack(prefixes.slice(0, gaussians.length).map((perLayer) => perLayer[layer])); // [tasks, 2, L, width]
      const picked = tf.gather(stacked, tf.tensor1d(routing.tasks, 'int32')) as tf.Tensor4D; // [B, 2, L, width]
      const [, , len, width] = picked.shape;
      const keys = picked.slice([0, 0, 0, 0], [b, 1, len, width]).reshape([b, len, width]) as tf.Tensor3D;
      const values = picked.slice([0, 1, 0, 0], [b, 1, len, width]).reshape([b, len, width]) as tf.Tensor3D;
      return prefixAttention(q, keys, values, tf.tensor1d(routing.weights));
    },
  };

  const attach = (m: DualEncoderLike) => {
    if (model === m) return;
    if (model) throw new Error('method diki: already attached to another model');
    if (!m.extend) throw new Error('method diki: the model cannot be extended (it has no extend()); use a DualEncoder');
    const named = m.namedVariables();
    const towerLayers = new Set([...named.keys()].flatMap((k) => /^visual\.(?:transformer\.resblocks|trunk\.blocks)\.(\d+)\./.exec(k)?.[1] ?? [])).size;
    const qkv = [...named].find(([k]) => /^visual\.(transformer\.resblocks\.0\.attn\.in_proj_weight|trunk\.blocks\.0\.attn\.qkv\.weight)$/.test(k));
    if (!qkv || towerLayers === 0) throw new Error('method diki: cannot find the image tower\'s attention layers');
    const width = qkv[1].shape[1]!;
    layers = Math.min(o.depth, towerLayers);
    const rng = new Rng('diki-prefix-init');
    prefixes = Array.from({ length: o.maxTasks }, (_, t) =>
      Array.from({ length: layers }, (_, l) => {
        const init = new Float32Array(2 * o.prefixLength * width);
        for (let i = 0; i < o.prefixLength * width; i++) init[i] = 2 * rng.next() - 1; // keys U(−1, 1), values 0
        return tf.tidy(() => tf.variable(tf.tensor3d(init, [2, o.prefixLength, width]), true)); // the initial tensor is freed, the variable kept
      }),
    );
    model = m;
    m.extend(extension);
  };

  const gaussianFile = (dir: string) => path.join(dir, 'diki-gaussians.f64');
  return {
    name: 'diki',
    options: o,
    attach: (m, task) => {
      attach(m);
      if (task) {
        if (task.taskIndex >= o.maxTasks) throw new Error(`method diki: task ${task.taskIndex} is beyond option maxTasks (${o.maxTasks}); raise it`);
        training = task.taskIndex;
      }
    },
    beforeTask: async (ctx) => {
      attach(ctx.model);
      training = undefined; // the Gaussian is the frozen model's
      const g = await gaussianOf(ctx);
      gaussians = [...gaussians.slice(0, ctx.task.taskIndex), g];
      training = ctx.task.taskIndex;
    },
    afterTask: () => {
      training = undefined;
      routing = undefined;
    },
    saveState: (dir) => {
      const d = gaussians[0]?.mean.length ?? 0;
      const all = new Float64Array(gaussians.length * (d + d * d));
      gaussians.forEach((g, t) => {
        all.set(g.mean, t * (d + d * d));
        all.set(g.cholesky, t * (d + d * d) + d);
      });
      writeFileAtomic(gaussianFile(dir), new Uint8Array(all.buffer));
      writeJsonAtomic(path.join(dir, 'diki.json'), { tasks: gaussians.length, dim: d, logDets: gaussians.map((g) => g.logDet) });
    },
    loadState: (dir) => {
      const f = path.join(dir, 'diki.json');
      if (!fs.existsSync(f)) return;
      const s = readJson<{ tasks: number; dim: number; logDets: number[] }>(f);
      const raw = fs.readFileSync(gaussianFile(dir));
      const all = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const d = s.dim;
      gaussians = s.logDets.map((logDet, t) => ({
        mean: all.slice(t * (d + d * d), t * (d + d * d) + d),
        cholesky: all.slice(t * (d + d * d) + d, (t + 1) * (d + d * d)),
        logDet,
      }));
    },
    dispose: () => {
      model?.extend?.(undefined);
      for (const perLayer of prefixes) tf.dispose(perLayer);
      prefixes = [];
      model = undefined;
    },
  };
}

/** The `diki` method. */
export const dikiMethod = defineMethod<DikiOptions>({
  name: 'diki',
  label: 'DIKI',
  summary: 'DIKI (ECCV 2024): per-task attention prefixes on a frozen model, routed at test time by per-task Gaussians (image tower only)',
  order: 75,
  paperRow: 'DIKI',
  color: '#882255',
  referenceSet: 'none',
  relativeCost: 1.2,
  needsModelExtension: true,
  defaults: DIKI_DEFAULTS,
  checks: {
    depth: positiveInteger, prefixLength: positiveInteger, maxTasks: positiveInteger, batchwisePrompt: isBoolean,
    calibrationDivisor: numberIn(1e-9), covarianceJitter: numberIn(0), statsBatchSize: positiveInteger,
  },
  build: (o) => dikiFrom(o),
});
