/**
 * Batching shared by every split: the (optionally seeded, shuffled) order of items, and a stream
 * that decodes and preprocesses one batch at a time, so a split is never held decoded in memory.
 */
import { Rng } from '../util/rng';
import type { Batch, BatchOptions, ImagePreprocess } from './types';
import { preprocessInto, validatePreprocess, type RawImage } from './image';

/** Checks {@link BatchOptions}; errors name the option. */
export function validateBatchOptions(o: BatchOptions): void {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${o.batchSize}`);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new Error(`seed must be an integer, got ${o.seed}`);
}

/**
 * The item positions of each batch for one pass: `0..size-1` in order, or shuffled with `seed`
 * (default 0) when `shuffle` is set; the last short batch is dropped with `dropLast`.
 */
export function batchOrder(size: number, options: BatchOptions): Int32Array[] {
  validateBatchOptions(options);
  const order = Int32Array.from({ length: size }, (_, i) => i);
  if (options.shuffle) new Rng(options.seed ?? 0).shuffle(order);
  const batches: Int32Array[] = [];
  for (let start = 0; start < size; start += options.batchSize) {
    const end = Math.min(size, start + options.batchSize);
    if (end - start < options.batchSize && options.dropLast) break;
    batches.push(order.slice(start, end));
  }
  return batches;
}

/** Loads the raw images of the given split positions (in that order). */
export type ImageLoader = (positions: Int32Array) => Promise<RawImage[]> | RawImage[];

/**
 * Streams batches: for each batch of {@link batchOrder}, loads its images, preprocesses them into
 * one `[n, size, size, channels]` Float32Array and yields it with its labels and positions.
 */
export async function* streamBatches(
  labels: Int32Array,
  load: ImageLoader,
  preprocess: ImagePreprocess,
  options: BatchOptions,
): AsyncGenerator<Batch> {
  validatePreprocess(preprocess);
  const { size, channels } = preprocess;
  const per = size * size * channels;
  for (const positions of batchOrder(labels.length, options)) {
    const images = await load(positions);
    const out = new Float32Array(positions.length * per);
    images.forEach((img, i) => preprocessInto(img, preprocess, out, i * per));
    yield {
      images: out,
      shape: [positions.length, size, size, channels],
      labels: Int32Array.from(positions, (p) => labels[p]),
      indices: positions,
    };
  }
}
