/**
 * ZSCL (Zheng et al., ICCV 2023) as its code does it (primed-paper.md §7.3): distillation from
 * the initial model on a reference set (image→text and text→image, T = 2, text embeddings from
 * the teacher's text tower) whose logits are each reference image against a FIXED sentence set
 * (`referenceTexts`; ZSCL's `ref_texts`, all Conceptual Captions validation sentences, unmatched
 * to the ImageNet reference images), l2 towards the start-of-task weights, and a weight ensemble:
 * at every step with `step % avgFreq == 0`, `n += 1; θ̂ ← (θ̂·n + θ)/(n + 1)`, θ̂ starting as
 * the start-of-task weights; the task ends with θ̂.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../model/types';
import { zsclDistillation } from '../train/losses';
import { isOnDiskMemory, type AnyMemory } from '../memory/reference-set';
import { Rng } from '../util/rng';
import { tokenize } from '../train/task-loss';
import { disposeWeights, restoreWeights, type WeightSnapshot } from '../train/weights';
import { readJson, writeJsonAtomic } from '../util/fs';
import type { ContinualMethod } from './types';
import { isBoolean, numberIn, positiveInteger } from './options';
import { InitialWeights, l2Term, StepTensors } from './lifecycle';
import { defineMethod } from './spec';
import { checkReferenceSource, drawReferenceBatch, type ReferenceSource } from './reference';
import { checkTeacher, makeTeacher, type TeacherChoice } from './teacher';
import { copySnapshot, loadSnapshot, saveSnapshot } from './state';

/**
 * Options of the ZSCL baseline (distillation on a reference set), made by {@link createMethod} under the name `zscl`;
 * unset fields take the default stated on each field.
 */
export interface ZsclOptions {
  /** Reference pairs (their images; their captions only with `referenceTexts: 'batch'`). Required. */
  referenceSet: ReferenceSource | undefined;
  /**
   * The sentences the distillation logits are over: a fixed list (ZSCL's `ref_texts`, embedded
   * once per task by the teacher; `evaluateMGTIL` gives the memory's text-only captions, the
   * analogue of ZSCL's Conceptual Captions), or `batch`: each step's reference captions (a B×B
   * matrix; with an in-memory `referenceSet`, all of its captions). Default `batch`.
   */
  referenceTexts: string[] | 'batch';
  /** Reference images per step. Default 64. */
  referenceBatchSize: number;
  /** Teacher. Default `initial` (ZSCL's choice). */
  teacher: TeacherChoice;
  /** KD temperature. Default 2. */
  temperature: number;
  /** Weight of each distillation direction. Default 1. */
  distillWeight: number;
  /** Weight of the l2 term. Default 1. */
  l2: number;
  /** Weight ensemble on/off. Default true. */
  weightEnsemble: boolean;
  /** Steps between ensemble updates. Default 100. */
  avgFreq: number;
}

/** Default ZSCL options. */
export const ZSCL_DEFAULTS: ZsclOptions = {
  referenceSet: undefined, referenceTexts: 'batch', referenceBatchSize: 64, teacher: 'initial', temperature: 2, distillWeight: 1, l2: 1, weightEnsemble: true, avgFreq: 100,
};

/** `(avg·n + current)/(n + 1)` for every name of `avg` (ZSCL's `merge_we`), in place. */
export function mergeIntoEnsemble(avg: WeightSnapshot, current: ReadonlyMap<string, tf.Tensor>, n: number): void {
  for (const [name, a] of avg) {
    const c = current.get(name);
    if (!c) throw new Error(`weight ensemble: model lacks ${name}`);
    avg.set(name, tf.tidy(() => tf.keep(tf.div(tf.add(tf.mul(a, n), c), n + 1))));
    a.dispose();
  }
}

function embedTexts(model: DualEncoderLike, texts: string[], chunk = 256): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < texts.length; i += chunk) {
    parts.push(tf.tidy(() => {
      const ids = tokenize(model, texts.slice(i, i + chunk));
      return model.encodeText(ids);
    }));
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

/** Checks a `referenceTexts` value: `batch` or a non-empty list of non-empty strings; returns a problem or undefined. */
export function checkReferenceTexts(v: unknown): string | undefined {
  if (v === 'batch') return undefined;
  if (Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'string' && t.trim() !== '')) return undefined;
  return 'must be "batch" or a non-empty list of non-empty sentences';
}

/**
 * ZSCL's sentence set from a memory: its text-only captions (the mini memories' ROCO captions),
 * at most `max` of them (a sample seeded by `seed`, in memory order); undefined when the memory
 * has none. An on-disk (LanceDB) memory is refused with what to give instead.
 */
export function zsclSentences(memory: AnyMemory, seed: number, max = 20000): string[] | undefined {
  if (isOnDiskMemory(memory)) {
    // An on-disk memory's text-only captions would take a scan of the whole table (18M rows at paper scale) on every run.
    throw new Error(
      `zscl: memory ${memory.dir} is an on-disk (LanceDB) memory, from which ZSCL's sentence set (the memory's text-only captions) is not read; ` +
        `give the method option referenceTexts: 'batch' (the reference batch's own captions) or your own list of sentences (CLI: --set referenceTexts=batch)`,
    );
  }
  const rows: number[] = [];
  for (let r = 0; r < memory.size; r++) if (!memory.entry(r).image) rows.push(r);
  if (rows.length === 0) return undefined;
  const keep = rows.length <= max ? rows : new Rng(`zscl-sentences-${seed}`).sampleIndices(rows.length, max).sort((a, b) => a - b).map((i) => rows[i]);
  return keep.map((r) => memory.entry(r).caption);
}

/** The `zscl` method. */
export const zsclMethod = defineMethod<ZsclOptions>({
  name: 'zscl',
  label: 'ZSCL',
  summary: 'ZSCL: distillation from the initial model on a reference set over a fixed sentence set, l2, and a weight ensemble',
  order: 70,
  paperRow: 'ZSCL',
  color: '#8c564b',
  referenceSet: 'uniform',
  relativeCost: 1.25,
  defaults: ZSCL_DEFAULTS,
  checks: {
    referenceSet: checkReferenceSource, referenceTexts: checkReferenceTexts, referenceBatchSize: positiveInteger, teacher: checkTeacher, temperature: numberIn(1e-6),
    distillWeight: numberIn(0), l2: numberIn(0), weightEnsemble: isBoolean, avgFreq: positiveInteger,
  },
  adaptToRecipe: (options, { steps, seed, memory }) => {
    // ZSCL averages weights every 100 of 1,000 steps; keep ten averages per task at any scale.
    options.avgFreq ??= Math.max(1, Math.round(steps / 10));
    // ZSCL distils over a fixed sentence set unmatched to its reference images (Conceptual Captions);
    // here the memory's text-only captions (at most 20,000, a seeded sample), else the batch's own.
    if (options.referenceTexts === undefined) options.referenceTexts = (memory && zsclSentences(memory, seed)) ?? 'batch';
    return options;
  },
  build: (o) => zsclFrom(o),
});

/** The ZSCL method. */
export function zscl(options: Partial<ZsclOptions> = {}): ContinualMethod {
  return zsclMethod.create(options);
}

function zsclFrom(o: ZsclOptions): ContinualMethod {
  if (!o.referenceSet) throw new Error('method zscl: option referenceSet is required');
  const source = o.referenceSet;
  const initial = new InitialWeights();
  let teacher: DualEncoderLike | undefined;
  let setTexts: tf.Tensor2D | undefined; // teacher embeddings of every caption of an in-memory set
  let ensemble: WeightSnapshot | undefined;
  let merges = 0;
  const step = new StepTensors();
  const release = () => step.release();
  const endTask = () => {
    release();
    teacher?.dispose();
    setTexts?.dispose();
    disposeWeights(ensemble);
    teacher = setTexts = ensemble = undefined;
  };
  return {
    name: 'zscl',
    options: o,
    beforeTask: (ctx) => {
      initial.capture(ctx);
      endTask(); // drops a stale ensemble loaded with the state between tasks
      teacher = makeTeacher(ctx.model, o.teacher, ctx.startWeights, initial.weights);
      const fixed = o.referenceTexts !== 'batch' ? o.referenceTexts : typeof source !== 'function' ? source.captions : undefined;
      if (fixed) setTexts = embedTexts(teacher, fixed);
      ensemble = copySnapshot(ctx.startWeights);
      merges = 0;
    },
    lossTerms: async (ctx) => {
      release();
      const ref = await drawReferenceBatch(source, {
        taskIndex: ctx.task.taskIndex, step: ctx.step, batchSize: o.referenceBatchSize, rng: ctx.stepRng('reference'), preprocess: ctx.preprocess,
      });
      const images = tf.tensor4d(ref.images, ref.shape, 'float32');
      const texts = setTexts ?? embedTexts(teacher!, ref.captions);
      const scale = ctx.model.logitScale();
      const tLogits = tf.tidy(() => tf.mul(tf.matMul(teacher!.encodeImage(images), texts, false, true), scale) as tf.Tensor2D);
      step.hold(images, tLogits, scale, ...(texts === setTexts ? [] : [texts]));
      const sLogits = () => tf.mul(tf.matMul(ctx.model.encodeImage(images), texts, false, true), scale) as tf.Tensor2D;
      return [
        { name: 'zscl-image', weight: o.distillWeight, compute: () => tf.tidy(() => zsclDistillation(tLogits, sLogits(), o.temperature)) },
        { name: 'zscl-text', weight: o.distillWeight, compute: () => tf.tidy(() => zsclDistillation(tf.transpose(tLogits), tf.transpose(sLogits()), o.temperature)) },
        l2Term(ctx, o.l2),
      ];
    },
    afterStep: (ctx) => {
      release();
      if (o.weightEnsemble && ctx.step % o.avgFreq === 0) {
        merges += 1;
        mergeIntoEnsemble(ensemble!, ctx.model.namedVariables(), merges);
      }
    },
    afterTask: (ctx) => {
      if (o.weightEnsemble) restoreWeights(ctx.model, ensemble!);
      endTask();
    },
    saveState: (dir) => {
      initial.save(dir);
      saveSnapshot(dir, 'ensemble', ensemble);
      writeJsonAtomic(path.join(dir, 'zscl.json'), { merges });
    },
    loadState: (dir) => {
      initial.load(dir);
      const saved = loadSnapshot(dir, 'ensemble');
      if (saved) {
        disposeWeights(ensemble);
        ensemble = saved;
      }
      if (fs.existsSync(path.join(dir, 'zscl.json'))) merges = readJson<{ merges: number }>(path.join(dir, 'zscl.json')).merges;
    },
    dispose: () => {
      endTask();
      initial.dispose();
    },
  };
}
