/**
 * iCaRL-style rehearsal (Rebuffi et al., CVPR 2017) for a dual encoder: a fixed-size buffer of
 * earlier tasks' training images, chosen per class by herding on the image embeddings (or at
 * random with the seed). Each step adds the cross-entropy of a replay batch over each stored
 * image's own task prompts (task-incremental).
 */
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { TaskContext } from '../train/plugin';
import { classificationLoss, classPrompts, tokenize } from '../train/task-loss';
import { readJson, writeJsonAtomic, writeFileAtomic } from '../util/fs';
import type { Rng } from '../util/rng';
import type { ContinualMethod } from './types';
import { numberIn, oneOf, positiveInteger } from './options';
import { StepTensors } from './lifecycle';
import { defineMethod } from './spec';

/** Options of {@link icarl}. */
export interface IcarlOptions {
  /** Images kept over all earlier classes. Default 200. */
  bufferSize: number;
  /** How exemplars are chosen: `herding` (iCaRL) or `random` (seeded). Default `herding`. */
  selection: 'herding' | 'random';
  /** Replay images per step. Default 16. */
  replayBatchSize: number;
  /** Weight of the replay loss. Default 1. */
  weight: number;
  /** Label smoothing of the replay loss (as the task loss). Default 0.2. */
  labelSmoothing: number;
}

interface Exemplar { task: number; label: number; pixels: Float32Array }

/** Picks `m` indices whose running mean best follows the mean of `emb` rows (iCaRL Alg. 4). */
export function herding(emb: Float32Array[], m: number): number[] {
  const d = emb[0]?.length ?? 0;
  const mu = new Float64Array(d);
  for (const e of emb) for (let j = 0; j < d; j++) mu[j] += e[j] / emb.length;
  const chosen: number[] = [];
  const sum = new Float64Array(d);
  const used = new Set<number>();
  for (let k = 1; k <= Math.min(m, emb.length); k++) {
    let best = -1;
    let bestDist = Infinity;
    emb.forEach((e, i) => {
      if (used.has(i)) return;
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (mu[j] - (sum[j] + e[j]) / k) ** 2;
      if (dist < bestDist) { bestDist = dist; best = i; }
    });
    used.add(best);
    chosen.push(best);
    for (let j = 0; j < d; j++) sum[j] += emb[best][j];
  }
  return chosen;
}

async function selectExemplars(ctx: TaskContext, perClass: number, selection: IcarlOptions['selection'], rng: Rng): Promise<Exemplar[]> {
  const split = ctx.task.dataset.split('train');
  const labels = split.labels();
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const wanted = new Set<number>();
  if (selection === 'random') {
    for (const idx of byClass.values()) for (const j of rng.sampleIndices(idx.length, Math.min(perClass, idx.length))) wanted.add(idx[j]);
  } else {
    const emb = new Map<number, Float32Array>();
    for await (const b of split.batches(ctx.preprocess, { batchSize: 64 })) {
      const e = tf.tidy(() => ctx.model.encodeImage(tf.tensor4d(b.images, b.shape)).dataSync() as Float32Array);
      const d = e.length / b.shape[0];
      b.indices.forEach((item, r) => emb.set(item, e.slice(r * d, (r + 1) * d)));
    }
    for (const idx of byClass.values()) for (const j of herding(idx.map((i) => emb.get(i)!), perClass)) wanted.add(idx[j]);
  }
  const out: Exemplar[] = [];
  for await (const b of split.batches(ctx.preprocess, { batchSize: 64 })) {
    const px = b.images.length / b.shape[0];
    b.indices.forEach((item, r) => {
      if (wanted.has(item)) out.push({ task: ctx.task.taskIndex, label: b.labels[r], pixels: b.images.slice(r * px, (r + 1) * px) });
    });
  }
  return out;
}

/** The `icarl` method. */
export const icarlMethod = defineMethod<IcarlOptions>({
  name: 'icarl',
  label: 'iCaRL',
  summary: 'iCaRL-style rehearsal: a herded buffer of earlier tasks\' images replayed with their own task prompts',
  order: 50,
  paperRow: 'iCaRL',
  color: '#cc79a7',
  referenceSet: 'none',
  relativeCost: 1.5,
  defaults: { bufferSize: 200, selection: 'herding', replayBatchSize: 16, weight: 1, labelSmoothing: 0.2 },
  checks: {
    bufferSize: positiveInteger, selection: oneOf('herding', 'random'), replayBatchSize: positiveInteger,
    weight: numberIn(0), labelSmoothing: numberIn(0, 0.999),
  },
  build: (o) => icarlFrom(o),
});

/** The iCaRL rehearsal method. */
export function icarl(options: Partial<IcarlOptions> = {}): ContinualMethod {
  return icarlMethod.create(options);
}

function icarlFrom(o: IcarlOptions): ContinualMethod {
  let buffer: Exemplar[] = [];
  let shape: [number, number, number] | undefined;
  let taskPrompts: string[][] = [];
  const step = new StepTensors();
  const release = () => step.release();
  return {
    name: 'icarl',
    options: o,
    lossTerms: (ctx) => {
      release();
      if (buffer.length === 0 || !shape) return [];
      const picks = ctx.stepRng('icarl-replay').sampleIndices(buffer.length, Math.min(o.replayBatchSize, buffer.length)).map((i) => buffer[i]);
      const byTask = new Map<number, Exemplar[]>();
      for (const e of picks) byTask.set(e.task, [...(byTask.get(e.task) ?? []), e]);
      return [...byTask].map(([task, items]) => {
        const px = items[0].pixels.length;
        const data = new Float32Array(items.length * px);
        items.forEach((e, i) => data.set(e.pixels, i * px));
        const images = tf.tensor4d(data, [items.length, ...shape!]);
        const labels = tf.tensor1d(items.map((e) => e.label), 'int32');
        const ids = tokenize(ctx.model, taskPrompts[task]);
        step.hold(images, labels, ids);
        // Each task's share of the replay batch weighs in proportion to its size.
        return { name: 'replay', weight: (o.weight * items.length) / picks.length, compute: () => classificationLoss(ctx.model, images, ids, labels, o.labelSmoothing) };
      });
    },
    afterStep: () => release(),
    afterTask: async (ctx) => {
      release();
      taskPrompts[ctx.task.taskIndex] = classPrompts(ctx.task.dataset);
      const classes = new Set(buffer.map((e) => `${e.task}/${e.label}`));
      const newClasses = ctx.task.dataset.classNames.length;
      const perClass = Math.max(1, Math.floor(o.bufferSize / (classes.size + newClasses)));
      const kept: Exemplar[] = [];
      const counts = new Map<string, number>();
      for (const e of buffer) {
        const k = `${e.task}/${e.label}`;
        if ((counts.get(k) ?? 0) < perClass) { kept.push(e); counts.set(k, (counts.get(k) ?? 0) + 1); }
      }
      const added = await selectExemplars(ctx, perClass, o.selection, ctx.rng('icarl-select'));
      buffer = [...kept, ...added];
      const s = ctx.preprocess;
      shape = [s.size, s.size, s.channels];
    },
    saveState: (dir) => {
      const px = buffer[0]?.pixels.length ?? 0;
      const all = new Float32Array(buffer.length * px);
      buffer.forEach((e, i) => all.set(e.pixels, i * px));
      writeFileAtomic(path.join(dir, 'icarl-pixels.f32'), new Uint8Array(all.buffer));
      writeJsonAtomic(path.join(dir, 'icarl.json'), { shape, taskPrompts, items: buffer.map((e) => ({ task: e.task, label: e.label })) });
    },
    loadState: (dir) => {
      const f = path.join(dir, 'icarl.json');
      if (!fs.existsSync(f)) return;
      const s = readJson<{ shape: [number, number, number]; taskPrompts: string[][]; items: { task: number; label: number }[] }>(f);
      const raw = fs.readFileSync(path.join(dir, 'icarl-pixels.f32'));
      const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const px = s.items.length ? all.length / s.items.length : 0;
      shape = s.shape;
      taskPrompts = s.taskPrompts;
      buffer = s.items.map((e, i) => ({ ...e, pixels: all.slice(i * px, (i + 1) * px) }));
    },
    dispose: release,
  };
}

