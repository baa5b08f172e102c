/** A split of image files on disk, decoded per batch (never all at once). */
import * as fs from 'node:fs';
import type { Batch, BatchOptions, ImagePreprocess } from './types';
import type { ProvenancedSplit } from './dataset';
import { decodeImage } from './image';
import { streamBatches } from './batching';

/** One image file and its label. */
export interface FileItem {
  /** Absolute path of the image. */
  path: string;
  /** Class index. */
  label: number;
  /** Provenance id (by default the path relative to the dataset root). */
  id: string;
}

/** Items backed by JPEG/PNG files. */
export class FileSplit implements ProvenancedSplit {
  /** Number of items. */
  readonly size: number;
  private readonly labelArray: Int32Array;

  /** Wraps `items` (kept in the given order). */
  constructor(private readonly items: FileItem[]) {
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
    const load = (pos: Int32Array) =>
      Promise.all(
        Array.from(pos, async (p) => {
          const item = this.items[positions[p]];
          let bytes: Uint8Array;
          try {
            bytes = await fs.promises.readFile(item.path);
          } catch (err) {
            throw new Error(`${item.path}: cannot read image (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
          }
          return decodeImage(bytes, item.path);
        }),
      );
    return streamBatches(labels, load, preprocess, options);
  }
}
