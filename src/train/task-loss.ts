/**
 * The task loss (decisions §2): CLIP zero-shot logits of the batch's images against the
 * task's class prompts (first template; the text tower is trained too), and cross-entropy with
 * label smoothing.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch, ClassificationDataset } from '../data/types';
import type { DualEncoderLike } from '../model/types';
import { clipLogits, labelSmoothedCrossEntropy } from './losses';

/** The training prompt of every class: the dataset's first template with `{}` replaced. */
export function classPrompts(dataset: ClassificationDataset): string[] {
  const template = dataset.templates[0];
  if (!template || !template.includes('{}')) {
    throw new Error(`dataset ${dataset.name}: templates[0] must contain "{}", got ${JSON.stringify(template)}`);
  }
  return dataset.classNames.map((c) => template.split('{}').join(c));
}

/** Token ids `[texts, contextLength]` of texts, as an int32 tensor (caller disposes). */
export function tokenize(model: DualEncoderLike, texts: string[]): tf.Tensor2D {
  return tf.tensor2d(model.tokenizer.encodeBatch(texts), [texts.length, model.tokenizer.contextLength], 'int32');
}

/** The batch's pixels as a `[n, h, w, c]` tensor (caller disposes). */
export function batchImages(batch: Pick<Batch, 'images' | 'shape'>): tf.Tensor4D {
  return tf.tensor4d(batch.images, batch.shape, 'float32');
}

/** `logitScale · image embeddings @ class-prompt embeddings ᵀ`, `[n, classes]`. */
export function classLogits(model: DualEncoderLike, images: tf.Tensor4D, promptIds: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => clipLogits(model.encodeImage(images), model.encodeText(promptIds), model.logitScale()));
}

/** Label-smoothed cross-entropy of {@link classLogits} against `labels`. */
export function classificationLoss(
  model: DualEncoderLike,
  images: tf.Tensor4D,
  promptIds: tf.Tensor2D,
  labels: Int32Array | tf.Tensor1D,
  labelSmoothing: number,
): tf.Scalar {
  return tf.tidy(() => labelSmoothedCrossEntropy(classLogits(model, images, promptIds), labels, labelSmoothing));
}
