/**
 * Task-incremental evaluation of a dual encoder on one dataset split: zero-shot CLIP scores
 * against template-averaged class embeddings (decisions §1, `ZeroShotClassifier`), argmax over
 * that task's classes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ClassificationDataset, ImagePreprocess, SplitName } from '../data/types';
import type { DualEncoderLike } from '../model/types';
import { ZeroShotClassifier } from '../model/zero-shot';
import { modelPreprocess } from '../train/preprocess';
import { silentProgress, type ProgressSink } from '../util/progress';

/** Options of {@link classify}. */
export interface ClassifyOptions {
  /** Split to evaluate. Default `test`. */
  split?: SplitName;
  /** Images per batch. Default 64. */
  batchSize?: number;
  /** Pixel preprocessing. Default: the model's `preprocess` property, when it has one. */
  preprocess?: ImagePreprocess;
  /** Prompt templates with `{}`. Default: all of the dataset's templates. */
  templates?: string[];
  /** Progress per batch. Default silent. */
  progress?: ProgressSink;
}

/** What {@link classify} measured. */
export interface ClassifyResult {
  /** Top-1 accuracy in percent. */
  accuracy: number;
  /** Row-major `[n, classes]` scores, `logitScale · cos`. */
  scores: Float32Array;
  /** True label per item. */
  labels: Int32Array;
  /** Predicted label per item. */
  predictions: Int32Array;
  /** Number of classes (the row length of `scores`). */
  classes: number;
}

/** Evaluates `model` on a split of `dataset`; argmax runs over the dataset's own classes. */
export async function classify(model: DualEncoderLike, dataset: ClassificationDataset, options: ClassifyOptions = {}): Promise<ClassifyResult> {
  const splitName = options.split ?? 'test';
  const batchSize = options.batchSize ?? 64;
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`classify: option batchSize must be a positive integer, got ${batchSize}`);
  const preprocess = modelPreprocess(model, options.preprocess, 'classify');
  const progress = options.progress ?? silentProgress;
  const split = dataset.split(splitName);
  const classes = dataset.classNames.length;
  const scores = new Float32Array(split.size * classes);
  const labels = new Int32Array(split.size);
  const predictions = new Int32Array(split.size);
  const classifier = new ZeroShotClassifier(model, dataset.classNames, { templates: options.templates ?? dataset.templates });
  let row = 0;
  let correct = 0;
  try {
    for await (const b of split.batches(preprocess, { batchSize })) {
      const s = tf.tidy(() => classifier.logits(tf.tensor4d(b.images, b.shape, 'float32')));
      const values = s.dataSync() as Float32Array;
      s.dispose();
      const n = b.shape[0];
      scores.set(values, row * classes);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (values[i * classes + c] > values[i * classes + best]) best = c;
        labels[row + i] = b.labels[i];
        predictions[row + i] = best;
        if (best === b.labels[i]) correct++;
      }
      row += n;
      progress({ label: `evaluate ${dataset.name}`, done: row, total: split.size });
    }
  } finally {
    classifier.dispose();
  }
  if (row !== split.size) throw new Error(`classify ${dataset.name}/${splitName}: the split yielded ${row} items, size says ${split.size}`);
  return { accuracy: row ? (100 * correct) / row : 0, scores, labels, predictions, classes };
}
