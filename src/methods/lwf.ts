/**
 * LwF (Li & Hoiem, TPAMI 2017) for a dual encoder: the "old heads" are the class prompts of the
 * earlier tasks. On each batch of the current task, the student's logits over those prompts
 * are distilled from the model at the start of the task (T = 2, Eq. 2 of the paper).
 */
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../model/types';
import { lwfDistillation } from '../train/losses';
import { batchImages, classLogits, classPrompts, tokenize } from '../train/task-loss';
import { modelWithWeights } from '../train/weights';
import type { ContinualMethod } from './types';
import { numberIn } from './options';
import { StepTensors } from './lifecycle';
import { defineMethod } from './spec';
import { readJson, writeJsonAtomic } from '../util/fs';
import * as path from 'node:path';
import * as fs from 'node:fs';

/** Options of {@link lwf}. */
export interface LwfOptions {
  /** Weight of the distillation term. Default 1. */
  weight: number;
  /** Temperature T. Default 2. */
  temperature: number;
}

/** The `lwf` method. */
export const lwfMethod = defineMethod<LwfOptions>({
  name: 'lwf',
  label: 'LwF',
  summary: "LwF: the start-of-task model's logits over earlier tasks' class prompts distilled on the current batch (T = 2)",
  order: 40,
  paperRow: 'LwF',
  color: '#009e73',
  referenceSet: 'none',
  relativeCost: 1,
  defaults: { weight: 1, temperature: 2 },
  checks: { weight: numberIn(0), temperature: numberIn(1e-6) },
  build: (o) => {
    let oldPrompts: string[] = [];
    let teacher: DualEncoderLike | undefined;
    let promptIds: tf.Tensor2D | undefined;
    const step = new StepTensors();
    return {
      name: 'lwf',
      options: o,
      beforeTask: (ctx) => {
        if (oldPrompts.length === 0) return;
        teacher = modelWithWeights(ctx.model, ctx.startWeights);
        promptIds = tokenize(ctx.model, oldPrompts);
      },
      lossTerms: (ctx) => {
        step.release();
        if (!teacher || !promptIds) return [];
        const images = batchImages(ctx.batch);
        const t = classLogits(teacher, images, promptIds);
        step.hold(images, t);
        const ids = promptIds;
        return [{
          name: 'lwf', weight: o.weight,
          compute: () => tf.tidy(() => {
            // At a task's first step the student IS the teacher (both hold the start-of-task weights),
            // so the term's gradient is exactly 0; computed in float32 it is rounding noise, which
            // Adam's normalisation turns into full-size steps on weights only this term reaches (the
            // prompt tokens of earlier tasks). There the teacher's logits stand in: same value, no gradient.
            const s = ctx.step === 0 ? t : classLogits(ctx.model, images, ids);
            return lwfDistillation(t, s, o.temperature);
          }),
        }];
      },
      afterStep: () => step.release(),
      afterTask: (ctx) => {
        step.release();
        teacher?.dispose();
        promptIds?.dispose();
        teacher = promptIds = undefined;
        oldPrompts = [...oldPrompts, ...classPrompts(ctx.task.dataset)];
      },
      saveState: (dir) => writeJsonAtomic(path.join(dir, 'lwf.json'), { oldPrompts }),
      loadState: (dir) => {
        const f = path.join(dir, 'lwf.json');
        if (fs.existsSync(f)) oldPrompts = readJson<{ oldPrompts: string[] }>(f).oldPrompts;
      },
      dispose: () => {
        step.release();
        teacher?.dispose();
        promptIds?.dispose();
      },
    };
  },
});

/** The LwF method. */
export function lwf(options: Partial<LwfOptions> = {}): ContinualMethod {
  return lwfMethod.create(options);
}
