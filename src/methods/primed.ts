/**
 * PRIMED (arXiv 2512.13072; primed-paper.md §4, primed-decisions.md §3).
 *
 * Each step trains on the task loss plus distillation on a batch of B retrieved, matched
 * caption–image pairs from the reference set:
 *
 * - **CKT**: student and teacher B×B cosine matrices M (rows captions, columns images);
 *   `Z = logitScale·M/T`; mean over rows of KL(softmax(Z_teacher) ‖ softmax(Z_student)) plus
 *   the same over columns. The teacher is the model at the start of the task (`last`).
 * - **CMC**: symmetric InfoNCE of the student's matrix against the identity.
 * - **DFG**: W = (∂(α·L_CKT + β·L_CMC)/∂θ)², recomputed every step and held constant;
 *   L_DFG = Σ W·(θ − θ_start)², added as its gradient 2λ·W·(θ − θ_start).
 *
 * `L = L_CE + α·L_CKT + β·L_CMC + λ·L_DFG`, α = 1, β = 0.25, λ = 1. No weight ensemble.
 * `primed-dyn` and `primed-uni` are this method given different reference sets (the Dynamic
 * Siphon's, or a uniform one); retrieval options are the memory layer's and pass through.
 * Every ablation of Tables 3, 4 and 9–12 is a setting of these options.
 */
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../model/types';
import { cktLoss, cmcLoss, pairSimilarity, type CktDirection } from '../train/losses';
import type { LossTerm } from '../train/plugin';
import type { ContinualMethod } from './types';
import { dfgGradientTerm } from './dfg';
import { EWC_DEFAULTS, EwcPenalty } from './ewc';
import { anything, isBoolean, numberIn, oneOf, positiveInteger, resolveMethodOptions } from './options';
import { checkReferenceSource, drawReferenceBatch, referenceTensors, type ReferenceSource } from './reference';
import { InitialWeights, l2Term, StepTensors } from './lifecycle';
import { defineMethod } from './spec';
import { checkTeacher, makeTeacher, type TeacherChoice } from './teacher';

/**
 * Options of the PRIMED method, made by {@link createMethod} under the names `primed`, `primed-uni` and `primed-dyn`;
 * unset fields take the default stated on each field.
 */
export interface PrimedOptions {
  /** The retrieved reference set (matched pairs) or a callback giving each step's batch. Required. */
  referenceSet: ReferenceSource | undefined;
  /** Reference pairs per step, B. Default 64 (paper scale). */
  referenceBatchSize: number;
  /** Teacher: `last` (default), `initial`, `wise:0.5` (Table 4a). */
  teacher: TeacherChoice;
  /** CKT on/off (Table 3). Default true. */
  ckt: boolean;
  /** CMC on/off (Table 3). Default true. */
  cmc: boolean;
  /** α, weight of CKT (Table 4c). Default 1. */
  alpha: number;
  /** β, weight of CMC (Table 4d). Default 0.25. */
  beta: number;
  /** Parameter-space regulariser (Table 4e; `none` turns DFG off for Table 3). Default `dfg`. */
  regularizer: 'dfg' | 'l2' | 'ewc' | 'none';
  /** λ, weight of the regulariser. Default 1. */
  lambda: number;
  /** CKT temperature T. Default 1. */
  temperature: number;
  /** CKT directions: `both` (default, "contrastive"), `image`, `text` (Table 4b). */
  direction: CktDirection;
  /** Batches for EWC's Fisher when `regularizer` is `ewc`. Default 8. */
  fisherBatches: number;
  /** Retrieval and siphon options of the memory layer, recorded with the method. Default none. */
  retrieval: unknown;
}

/** Default PRIMED options (decisions §3). */
export const PRIMED_DEFAULTS: PrimedOptions = {
  referenceSet: undefined, referenceBatchSize: 64, teacher: 'last', ckt: true, cmc: true, alpha: 1, beta: 0.25,
  regularizer: 'dfg', lambda: 1, temperature: 1, direction: 'both', fisherBatches: 8, retrieval: undefined,
};

/** The CKT and CMC terms for one reference batch, in the `distill` gradient group. */
export function distillationTerms(
  student: DualEncoderLike,
  teacherMatrix: tf.Tensor2D | undefined,
  ref: { images: tf.Tensor4D; ids: tf.Tensor2D },
  scale: tf.Scalar,
  o: Pick<PrimedOptions, 'ckt' | 'cmc' | 'alpha' | 'beta' | 'temperature' | 'direction'>,
): LossTerm[] {
  const matrix = () => pairSimilarity(student.encodeText(ref.ids), student.encodeImage(ref.images));
  const terms: LossTerm[] = [];
  if (o.ckt && o.alpha > 0 && teacherMatrix) {
    terms.push({ name: 'ckt', weight: o.alpha, group: 'distill', compute: () => tf.tidy(() => cktLoss(matrix(), teacherMatrix, scale, o)) });
  }
  if (o.cmc && o.beta > 0) {
    terms.push({ name: 'cmc', weight: o.beta, group: 'distill', compute: () => tf.tidy(() => cmcLoss(matrix(), scale)) });
  }
  return terms;
}

const PRIMED_CHECKS = {
  referenceSet: checkReferenceSource, referenceBatchSize: positiveInteger, teacher: checkTeacher, ckt: isBoolean, cmc: isBoolean,
  alpha: numberIn(0), beta: numberIn(0), regularizer: oneOf('dfg', 'l2', 'ewc', 'none'), lambda: numberIn(0),
  temperature: numberIn(1e-6), direction: oneOf('both', 'text', 'image'), fisherBatches: positiveInteger, retrieval: anything,
};

/** `primed-dyn`: PRIMED on the Dynamic Siphon's reference set (PRIMED_dyn, the paper's method). */
export const primedDynMethod = defineMethod<PrimedOptions>({
  name: 'primed-dyn',
  label: 'PRIMED_dyn',
  summary: "PRIMED on the Dynamic Siphon's reference set: CE + CKT + CMC + DFG",
  order: 90,
  paperRow: 'PRIMED_dyn',
  color: '#d55e00',
  referenceSet: 'siphon',
  relativeCost: 1.35,
  defaults: PRIMED_DEFAULTS,
  checks: PRIMED_CHECKS,
  build: (o, name) => primedFrom(o, name),
});

/** `primed-uni`: PRIMED on a reference set drawn uniformly from the memory (PRIMED_uni). */
export const primedUniMethod = defineMethod<PrimedOptions>({
  name: 'primed-uni',
  label: 'PRIMED_uni',
  summary: 'PRIMED on a reference set drawn uniformly from the memory: CE + CKT + CMC + DFG',
  order: 80,
  paperRow: 'PRIMED_uni',
  color: '#0072b2',
  referenceSet: 'uniform',
  relativeCost: 1.35,
  defaults: PRIMED_DEFAULTS,
  checks: PRIMED_CHECKS,
  build: (o, name) => primedFrom(o, name),
});

/** `primed`: a second name of `primed-dyn`. */
export const primedMethod = defineMethod<PrimedOptions>({
  name: 'primed',
  label: 'PRIMED',
  summary: 'a second name of primed-dyn',
  order: 91,
  paperRow: null,
  color: '#d55e00',
  referenceSet: 'siphon',
  relativeCost: 1.35,
  aliasOf: 'primed-dyn',
  defaults: PRIMED_DEFAULTS,
  checks: PRIMED_CHECKS,
  build: (o, name) => primedFrom(o, name),
});

/** The PRIMED method; `name` is `primed`, `primed-dyn` or `primed-uni`. */
export function primed(options: Partial<PrimedOptions> = {}, name = 'primed'): ContinualMethod {
  return primedFrom(resolveMethodOptions(name, PRIMED_DEFAULTS, options, PRIMED_CHECKS), name);
}

function primedFrom(o: PrimedOptions, name: string): ContinualMethod {
  if (!o.referenceSet) throw new Error(`method ${name}: option referenceSet is required`);
  const source = o.referenceSet;
  const ewc = o.regularizer === 'ewc' ? new EwcPenalty({ ...EWC_DEFAULTS, lambda: o.lambda, fisherBatches: o.fisherBatches }) : undefined;
  const initial = new InitialWeights();
  let teacher: DualEncoderLike | undefined;
  const step = new StepTensors();
  const release = () => step.release();
  const endTask = () => { release(); teacher?.dispose(); teacher = undefined; };

  return {
    name,
    options: o,
    beforeTask: (ctx) => {
      initial.capture(ctx); // the first task starts from the pretrained model
      endTask();
      if (o.ckt) teacher = makeTeacher(ctx.model, o.teacher, ctx.startWeights, initial.weights);
    },
    lossTerms: async (ctx) => {
      release();
      const terms: LossTerm[] = [];
      if (o.ckt || o.cmc) {
        const batch = await drawReferenceBatch(source, {
          taskIndex: ctx.task.taskIndex, step: ctx.step, batchSize: o.referenceBatchSize, rng: ctx.stepRng('reference'), preprocess: ctx.preprocess,
        });
        // A single pair has no contrast: CKT and CMC over a 1×1 matrix are 0, so skip them (and DFG's W).
        if (batch.shape[0] >= 2) {
          const ref = referenceTensors(ctx.model, batch);
          const scale = ctx.model.logitScale();
          const teacherMatrix = teacher ? tf.tidy(() => pairSimilarity(teacher!.encodeText(ref.ids), teacher!.encodeImage(ref.images))) : undefined;
          step.hold(ref.images, ref.ids, scale, ...(teacherMatrix ? [teacherMatrix] : []));
          terms.push(...distillationTerms(ctx.model, teacherMatrix, ref, scale, o));
        }
      }
      if (o.regularizer === 'l2') terms.push(l2Term(ctx, o.lambda));
      if (ewc) terms.push(...ewc.lossTerms(ctx));
      return terms;
    },
    gradientTerms: (ctx, groupGrads) => {
      const distill = groupGrads.get('distill');
      if (o.regularizer !== 'dfg' || o.lambda === 0 || !distill) return [];
      return [dfgGradientTerm(distill, ctx.model.namedVariables(), ctx.startWeights, o.lambda)];
    },
    afterStep: () => release(),
    afterTask: async (ctx) => {
      endTask();
      await ewc?.afterTask(ctx);
    },
    saveState: (dir) => {
      initial.save(dir);
      ewc?.save(dir);
    },
    loadState: (dir) => {
      initial.load(dir);
      ewc?.load(dir);
    },
    dispose: () => {
      endTask();
      initial.dispose();
      ewc?.dispose();
    },
  };
}
