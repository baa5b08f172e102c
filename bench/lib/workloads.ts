/**
 * The timed tfjs workloads: one fine-tuning step (forward + backward + AdamW on the label-smoothed
 * CLIP classification loss), one PRIMED step (that, plus CKT + CMC on a reference batch against a
 * frozen teacher and the DFG gradient), and zero-shot evaluation of an image batch. They call the
 * library's own model, losses, optimiser and DFG, composed as the trainer composes them.
 */
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../src/model/create';
import type { DualEncoder } from '../../src/model/dual-encoder';
import { getPreset, type ModelPreset } from '../../src/model/presets';
import type { ModelConfigInput } from '../../src/model/config';
import { ZeroShotClassifier } from '../../src/model/zero-shot';
import { createMiniTokenizer } from '../../src/model/tokenizers/mini';
import { buildMiniVocab } from '../../src/model/tokenizers/mini';
import { AdamW } from '../../src/train/optimizer';
import { classificationLoss } from '../../src/train/task-loss';
import { cktLoss, cmcLoss, pairSimilarity } from '../../src/train/losses';
import { dfgGradientTerm } from '../../src/methods/dfg';
import { Rng } from '../../src/util/rng';
import { BENCH_CAPTIONS, BENCH_LR, BENCH_PROMPTS, LABEL_SMOOTHING } from './cases';

/** What a workload needs. */
export interface WorkloadSpec {
  /** `mini` or a model config. */
  model: ModelConfigInput | 'mini';
  /** Tokenizer vocabulary size (the mini vocabulary is padded to it). */
  vocabSize: number;
  /** Image batch. */
  batch: number;
  /** Reference batch (PRIMED). */
  refBatch: number;
  /** Seed of weights and inputs. */
  seed: number;
}

/** A ready workload: `run` does one timed unit; `dispose` frees everything. */
export interface Workload {
  /** The resolved model config (sent to the PyTorch peer). */
  config: DualEncoder['config'];
  /** Token ids of the class prompts. */
  promptIds: number[][];
  /** Token ids of the reference captions. */
  refIds: number[][];
  /** One unit of work. */
  run(): void;
  /** Frees the model, optimiser and inputs. */
  dispose(): void;
}

function benchTokenizer(vocabSize: number, contextLength: number) {
  const vocab = buildMiniVocab([...BENCH_PROMPTS, ...BENCH_CAPTIONS], { vocabSize, minCount: 1 });
  for (let i = 0; vocab.length < vocabSize; i++) vocab.push(`[unused${i}]`);
  return createMiniTokenizer(vocab, contextLength, 'bench');
}

function rows(ids: Int32Array, n: number, len: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(ids.subarray(i * len, (i + 1) * len)));
}

function buildModel(spec: WorkloadSpec): DualEncoder {
  const preset: ModelPreset | ModelConfigInput = spec.model === 'mini' ? getPreset('mini') : spec.model;
  const context = spec.model === 'mini' ? getPreset('mini').model.text.contextLength : spec.model.text.contextLength;
  const tokenizer = benchTokenizer(spec.vocabSize, context);
  return createModel(preset, { seed: spec.seed, tokenizer });
}

function randomImages(rng: Rng, n: number, size: number, channels: number): tf.Tensor4D {
  const px = new Float32Array(n * size * size * channels);
  for (let i = 0; i < px.length; i++) px[i] = rng.next() * 2 - 1;
  return tf.tensor4d(px, [n, size, size, channels]);
}

/** Names the trainable variables by their tfjs names (what `variableGrads` returns). */
function trainable(model: DualEncoder): Map<string, tf.Variable> {
  return new Map(model.trainableVariables().map((v) => [v.name, v]));
}

/** Builds the named workload: `train`, `primed` or `eval`. */
export function buildWorkload(kind: 'train' | 'primed' | 'eval', spec: WorkloadSpec): Workload {
  const model = buildModel(spec);
  const rng = new Rng(spec.seed);
  const { imageSize, channels } = model.config.vision;
  const len = model.tokenizer.contextLength;
  const promptIdArray = model.tokenizer.encodeBatch(BENCH_PROMPTS);
  const captions = Array.from({ length: spec.refBatch }, (_, i) => BENCH_CAPTIONS[i % BENCH_CAPTIONS.length]);
  const refIdArray = model.tokenizer.encodeBatch(captions);
  const promptIds = tf.tensor2d(promptIdArray, [BENCH_PROMPTS.length, len], 'int32');
  const images = randomImages(rng, spec.batch, imageSize, channels);
  const labels = tf.tensor1d(Array.from({ length: spec.batch }, () => rng.int(BENCH_PROMPTS.length)), 'int32');
  const params = trainable(model);
  const vars = [...params.values()];
  const optimizer = new AdamW();
  const owned: tf.Tensor[] = [promptIds, images, labels];
  const disposers: Array<() => void> = [() => optimizer.dispose(), () => model.dispose()];
  let run: () => void;

  if (kind === 'train') {
    run = () => {
      const { value, grads } = tf.variableGrads(() => classificationLoss(model, images, promptIds, labels, LABEL_SMOOTHING), vars);
      value.dataSync(); // the trainer reads every loss (NaN guard)
      optimizer.apply(params, new Map(Object.entries(grads)), BENCH_LR);
      tf.dispose([value, ...Object.values(grads)]);
    };
  } else if (kind === 'primed') {
    const teacher = model.clone();
    const start = new Map([...params].map(([k, v]) => [k, tf.clone(v) as tf.Tensor]));
    const refImages = randomImages(rng, spec.refBatch, imageSize, channels);
    const refIds = tf.tensor2d(refIdArray, [spec.refBatch, len], 'int32');
    owned.push(refImages, refIds, ...start.values());
    disposers.push(() => teacher.dispose());
    const alpha = 1, beta = 0.25, lambda = 1;
    run = () => {
      const ce = tf.variableGrads(() => classificationLoss(model, images, promptIds, labels, LABEL_SMOOTHING), vars);
      const teacherMatrix = tf.tidy(() => pairSimilarity(teacher.encodeText(refIds), teacher.encodeImage(refImages)));
      const distill = tf.variableGrads(() => tf.tidy(() => {
        const m = pairSimilarity(model.encodeText(refIds), model.encodeImage(refImages));
        const scale = model.logitScale();
        return tf.add(tf.mul(cktLoss(m, teacherMatrix, scale), alpha), tf.mul(cmcLoss(m, scale), beta)) as tf.Scalar;
      }), vars);
      ce.value.dataSync();
      distill.value.dataSync();
      const dfg = dfgGradientTerm(new Map(Object.entries(distill.grads)), params, start, lambda);
      const total = new Map<string, tf.Tensor>();
      for (const name of params.keys()) {
        const parts = [ce.grads[name], distill.grads[name], dfg.grads.get(name)].filter((g): g is tf.Tensor => !!g);
        total.set(name, tf.addN(parts));
      }
      optimizer.apply(params, total, BENCH_LR);
      tf.dispose([ce.value, distill.value, teacherMatrix, ...Object.values(ce.grads), ...Object.values(distill.grads), ...dfg.grads.values(), ...total.values()]);
    };
  } else {
    const classifier = new ZeroShotClassifier(model, BENCH_PROMPTS.map((p) => p.replace('a microscopy photo of ', '')), { templates: ['a microscopy photo of {}'] });
    disposers.unshift(() => classifier.dispose());
    run = () => {
      classifier.predict(images);
    };
  }
  return {
    config: model.config,
    promptIds: rows(promptIdArray, BENCH_PROMPTS.length, len),
    refIds: rows(refIdArray, spec.refBatch, len),
    run,
    dispose: () => {
      tf.dispose(owned);
      for (const d of disposers) d();
    },
  };
}
