/**
 * A split of image files on disk, loaded per batch (never all at once). Each file is prepared
 * once to the model's input (decode, antialiased resize, crop, channels; `prepare.ts`) and kept
 * in the prepared-image cache, so later passes read small squares instead of decoding again.
 */
import type { Batch, BatchOptions, ImagePreprocess } from './types';
import type { ProvenancedSplit } from './dataset';
import { streamBatches } from './batching';
import { loadPreparedImage, type CropMode } from './prepare';

/** One image file and its label. */
export interface FileItem {
  /** Absolute path of the image. */
  path: string;
  /** Class index. */
  label: number;
  /** Provenance id (by default the path relative to the dataset root). */
  id: string;
}

/** How a {@link FileSplit} prepares its images. */
export interface FilePrepareOptions {
  /** Crop mode. Default `centre`. */
  crop?: CropMode;
  /** Prepared-image cache folder. Default `imageCacheDir()`. */
  cacheDir?: string;
}

/** Items backed by JPEG/PNG files. */
export class FileSplit implements ProvenancedSplit {
  /** Number of items. */
  readonly size: number;
  private readonly labelArray: Int32Array;

  /**
   * Wraps `items` (kept in the given order). `crop` is how images are brought to the square input
   * (default `centre`, as open_clip); `cacheDir` overrides the prepared-image cache folder.
   */
  constructor(
    private readonly items: FileItem[],
    private readonly prepare: FilePrepareOptions = {},
  ) {
    this.size = items.length;
    this.labelArray = Int32Array.from(items, (it) => it.label);
  }

  /** Labels (a copy; no image read). */
  labels(): Int32Array {
    return this.labelArray.slice();
  }

  /** Provenance ids. */
  itemIds(): string[] {
    return this.items.map((it) => it.id);
  }

  /** How images are cropped to the square input. */
  cropMode(): CropMode {
    return this.prepare.crop ?? 'centre';
  }

  /** The file items (a copy). */
  files(): FileItem[] {
    return this.items.map((it) => ({ ...it }));
  }

  /** Batches over all items. */
  batches(preprocess: ImagePreprocess, options: BatchOptions): AsyncIterable<Batch> {
    return this.batchesAt(Int32Array.from({ length: this.size }, (_, i) => i), preprocess, options);
  }

  /** Batches over the items at `positions`; batch `indices` are positions within that list. */
  batchesAt(positions: Int32Array, preprocess: ImagePreprocess, options: BatchOptions): AsyncIterable<Batch> {
    const labels = Int32Array.from(positions, (p) => this.labelArray[p]);
    const spec = { size: preprocess.size, channels: preprocess.channels, crop: this.prepare.crop };
    const load = (pos: Int32Array) => Array.from(pos, (p) => loadPreparedImage(this.items[positions[p]].path, spec, { cacheDir: this.prepare.cacheDir }).image);
    return streamBatches(labels, load, preprocess, options);
  }
}
