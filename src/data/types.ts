/**
 * The data contract shared by loaders, benchmarks, the trainer and evaluation.
 * Batches are plain typed arrays (no tensors), so the data layer never leaks tfjs memory.
 */

export type { RawImage } from './image';

/** Which split of a dataset. */
export type SplitName = 'train' | 'val' | 'test';

/** One batch of images and labels. */
export interface Batch {
  /** Row-major float32 `[n, height, width, channels]`, already resized and normalised for the backbone. */
  images: Float32Array;
  /** `[n, height, width, channels]`. */
  shape: [number, number, number, number];
  /** Class index per image. */
  labels: Int32Array;
  /** Indices of these items within their split (for per-item bookkeeping). */
  indices: Int32Array;
}

/** How a backbone wants its pixels: side length, channels, and normalisation. */
export interface ImagePreprocess {
  /** Output side length (images are resized to size × size). */
  size: number;
  /** Output channels: 3 (grey is repeated) or 1. */
  channels: number;
  /** Per-channel mean on the [0, 1] scale. */
  mean: number[];
  /** Per-channel standard deviation on the [0, 1] scale. */
  std: number[];
}

/** Options of {@link DatasetSplit.batches}. */
export interface BatchOptions {
  /** Images per batch. */
  batchSize: number;
  /** Shuffle before batching, with `seed`. Default false. */
  shuffle?: boolean;
  /** Seed for shuffling. */
  seed?: number;
  /** Drop the last incomplete batch. Default false. */
  dropLast?: boolean;
}

/** One split of a dataset: streams batches without loading everything at once when it can. */
export interface DatasetSplit {
  /** Number of items. */
  readonly size: number;
  /** Label of every item (cheap: no pixels decoded). */
  labels(): Int32Array;
  /** Batches in order (or shuffled with a seed); each call starts a fresh pass. */
  batches(preprocess: ImagePreprocess, options: BatchOptions): AsyncIterable<Batch>;
}

/** A classification dataset as the MGTIL protocol sees it. */
export interface ClassificationDataset {
  /** Short name, e.g. `pneumoniamnist`. */
  readonly name: string;
  /** Domain / modality, e.g. `chest X-ray`, used in prompts and by the siphon. */
  readonly domain: string;
  /** Class names in label order, as they appear in prompts. */
  readonly classNames: string[];
  /** Prompt templates with `{}` for the class name (first one is used for training). */
  readonly templates: string[];
  /** The splits present. */
  split(name: SplitName): DatasetSplit;
}
