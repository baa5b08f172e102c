/**
 * Reference data for distillation (PRIMED's retrieved set, ZSCL's reference set): matched
 * caption–image pairs, given either as a whole set in memory (sampled per step with the step's
 * seeded generator) or as a callback that the memory layer implements.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImagePreprocess } from '../data/types';
import type { DualEncoderLike } from '../model/types';
import type { Rng } from '../util/rng';
import { tokenize } from '../train/task-loss';

/** Matched pairs: caption k goes with image k. Pixels are preprocessed for the model. */
export interface ReferenceBatch {
  /** Captions, one per image. */
  captions: string[];
  /** Row-major float32 `[n, h, w, c]`. */
  images: Float32Array;
  /** `[n, h, w, c]`. */
  shape: [number, number, number, number];
}

/** What a reference callback is asked for. */
export interface ReferenceRequest {
  /** Task being trained. */
  taskIndex: number;
  /** Step within the task. */
  step: number;
  /** Pairs wanted. */
  batchSize: number;
  /** Generator seeded by (seed, task, step): use it for every random choice. */
  rng: Rng;
  /** How the model wants its pixels. */
  preprocess: ImagePreprocess;
}

/** A reference set in memory, or a callback that returns the batch of a step. */
export type ReferenceSource = ReferenceBatch | ((request: ReferenceRequest) => ReferenceBatch | Promise<ReferenceBatch>);

/** Checks that a value is a usable {@link ReferenceSource}; returns a problem or undefined. */
export function checkReferenceSource(v: unknown): string | undefined {
  if (typeof v === 'function') return undefined;
  const b = v as ReferenceBatch | undefined;
  if (!b || !Array.isArray(b.captions) || !(b.images instanceof Float32Array) || !Array.isArray(b.shape)) {
    return 'must be a function or { captions, images: Float32Array, shape }';
  }
  return validateBatch(b);
}

function validateBatch(b: ReferenceBatch): string | undefined {
  const [n, h, w, c] = b.shape;
  if (b.captions.length !== n) return `has ${b.captions.length} captions for ${n} images`;
  if (b.images.length !== n * h * w * c) return `has ${b.images.length} pixel values, shape [${b.shape}] needs ${n * h * w * c}`;
  if (n === 0) return 'is empty';
  return undefined;
}

/** Draws the reference batch of a step: up to `batchSize` distinct pairs. */
export async function drawReferenceBatch(source: ReferenceSource, request: ReferenceRequest): Promise<ReferenceBatch> {
  const batch = typeof source === 'function' ? await source(request) : sample(source, request);
  const problem = validateBatch(batch);
  if (problem) throw new Error(`reference batch of task ${request.taskIndex} step ${request.step} ${problem}`);
  return batch;
}

function sample(set: ReferenceBatch, { batchSize, rng }: ReferenceRequest): ReferenceBatch {
  const n = set.shape[0];
  const idx = rng.sampleIndices(n, Math.min(n, batchSize));
  const [, h, w, c] = set.shape;
  const px = h * w * c;
  const images = new Float32Array(idx.length * px);
  idx.forEach((i, j) => images.set(set.images.subarray(i * px, (i + 1) * px), j * px));
  return { captions: idx.map((i) => set.captions[i]), images, shape: [idx.length, h, w, c] };
}

/** A reference batch as tensors (caller disposes). */
export interface ReferenceTensors {
  /** `[n, h, w, c]`. */
  images: tf.Tensor4D;
  /** Token ids `[n, contextLength]`. */
  ids: tf.Tensor2D;
}

/** Uploads a reference batch for `model`'s tokenizer. */
export function referenceTensors(model: DualEncoderLike, batch: ReferenceBatch): ReferenceTensors {
  return { images: tf.tensor4d(batch.images, batch.shape, 'float32'), ids: tokenize(model, batch.captions) };
}
