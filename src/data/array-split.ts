/**
 * A split held as one uint8 image array `[n, h, w]` or `[n, h, w, c]` (MedMNIST style). The
 * bytes stay compact in memory; pixels are converted to float only per batch.
 */
import type { Batch, BatchOptions, ImagePreprocess } from './types';
import type { ProvenancedSplit } from './dataset';
import type { RawImage } from './image';
import { streamBatches } from './batching';

/** Items of an in-memory image array. */
export class ArraySplit implements ProvenancedSplit {
  /** Number of items. */
  readonly size: number;
  private readonly height: number;
  private readonly width: number;
  private readonly channels: number;

  /**
   * Wraps `images` (uint8, C order, `shape` `[n, h, w]` or `[n, h, w, c]`), one label per image,
   * and `idPrefix` from which item ids `${idPrefix}/${i}` are made.
   */
  constructor(
    private readonly images: Uint8Array,
    shape: number[],
    private readonly labelArray: Int32Array,
    private readonly idPrefix: string,
  ) {
    if (shape.length !== 3 && shape.length !== 4) throw new Error(`${idPrefix}: images must be [n, h, w] or [n, h, w, c], got [${shape}]`);
    [this.size, this.height, this.width] = shape;
    this.channels = shape.length === 4 ? shape[3] : 1;
    if (this.channels !== 1 && this.channels !== 3) throw new Error(`${idPrefix}: images must have 1 or 3 channels, got ${this.channels}`);
    if (labelArray.length !== this.size) throw new Error(`${idPrefix}: ${this.size} images but ${labelArray.length} labels`);
  }

  /** Labels (a copy). */
  labels(): Int32Array {
    return this.labelArray.slice();
  }

  /** `${idPrefix}/${i}` per item. */
  itemIds(): string[] {
    return Array.from({ length: this.size }, (_, i) => `${this.idPrefix}/${i}`);
  }

  /** The raw pixels of item `i` (a view, not a copy). */
  image(i: number): RawImage {
    const per = this.height * this.width * this.channels;
    return { pixels: this.images.subarray(i * per, (i + 1) * per), height: this.height, width: this.width, channels: this.channels };
  }

  /** Batches over all items. */
  batches(preprocess: ImagePreprocess, options: BatchOptions): AsyncIterable<Batch> {
    return streamBatches(this.labelArray, (pos) => Array.from(pos, (p) => this.image(p)), preprocess, options);
  }

  /** Batches over the items at `positions`; batch `indices` are positions within that list. */
  batchesAt(positions: Int32Array, preprocess: ImagePreprocess, options: BatchOptions): AsyncIterable<Batch> {
    const labels = Int32Array.from(positions, (p) => this.labelArray[p]);
    return streamBatches(labels, (pos) => Array.from(pos, (p) => this.image(positions[p])), preprocess, options);
  }
}
