/**
 * MedMNIST `.npz` files: `{train,val,test}_images` (uint8 `[n, 28, 28]` or `[n, 28, 28, 3]`) and
 * `{train,val,test}_labels` (uint8 `[n, 1]`). A file may hold only some splits (the bundled
 * PathMNIST subset holds only `test`); such a file can be re-split deterministically.
 */
import * as path from 'node:path';
import { readNpz, type NdArray } from './npy';
import { ArraySplit } from './array-split';
import { SplitDataset, SubsetSplit, type DatasetInfo, type ProvenancedSplit } from './dataset';
import { seededSplit, type SplitFractions } from './splits';
import type { SplitName } from './types';

/** The arrays of one MedMNIST split. */
export interface MedMnistArrays {
  /** uint8 images. */
  images: NdArray;
  /** Labels, one per image. */
  labels: Int32Array;
}

/** Reads the splits present in a MedMNIST npz, checking dtypes and shapes; errors name the file and entry. */
export function readMedMnist(file: string): Partial<Record<SplitName, MedMnistArrays>> {
  const arrays = readNpz(file);
  const out: Partial<Record<SplitName, MedMnistArrays>> = {};
  for (const s of ['train', 'val', 'test'] as const) {
    const images = arrays[`${s}_images`];
    const labels = arrays[`${s}_labels`];
    if (!images && !labels) continue;
    if (!images || !labels) throw new Error(`${file}: has ${images ? `${s}_images` : `${s}_labels`} but not its partner`);
    if (images.dtype !== 'u1') throw new Error(`${file}: entry '${s}_images.npy' must be uint8, got ${images.dtype}`);
    if (labels.shape[0] !== images.shape[0]) throw new Error(`${file}: ${s}_images has ${images.shape[0]} rows but ${s}_labels has ${labels.shape[0]}`);
    if (labels.shape.length > 1 && labels.shape.slice(1).some((d) => d !== 1)) {
      throw new Error(`${file}: entry '${s}_labels.npy' has shape [${labels.shape}]; multi-label MedMNIST sets are not supported`);
    }
    if (labels.dtype === 'i8' || labels.dtype === 'u8' || labels.dtype.startsWith('f')) {
      throw new Error(`${file}: entry '${s}_labels.npy' must hold small integers, got ${labels.dtype}`);
    }
    out[s] = { images, labels: Int32Array.from(labels.data as ArrayLike<number>) };
  }
  if (!Object.keys(out).length) throw new Error(`${file}: no MedMNIST arrays (expected train_images/train_labels, val_..., test_...)`);
  return out;
}

/** Options of {@link loadMedMnist}. */
export interface MedMnistOptions extends DatasetInfo {
  /** Path of the `.npz`. */
  file: string;
  /**
   * Re-split one stored split into train/val/test (for files without official splits), with a
   * fixed seed and fractions; items keep their original provenance ids.
   */
  resplit?: {
    /** The stored split whose items are re-split; the file's other splits are ignored. */
    from: SplitName;
    /** Seed of the stratified shuffle; fixed per task so every run gets the same items. */
    seed: number;
    /** Shares of `train`, `val` and `test` in [0, 1], summing to 1. */
    fractions: SplitFractions;
  };
}

/** Loads a MedMNIST npz as a {@link SplitDataset}; item ids are `<file name>/<split>/<index>`. */
export function loadMedMnist(options: MedMnistOptions): SplitDataset {
  const arrays = readMedMnist(options.file);
  const base = path.basename(options.file);
  const splits: Partial<Record<SplitName, ProvenancedSplit>> = {};
  const make = (s: SplitName) => new ArraySplit(arrays[s]!.images.data as Uint8Array, arrays[s]!.images.shape, arrays[s]!.labels, `${base}/${s}`);
  if (options.resplit) {
    const { from, seed, fractions } = options.resplit;
    if (!arrays[from]) throw new Error(`${options.file}: resplit.from '${from}' is not in the file`);
    const whole = make(from);
    const idx = seededSplit(whole.labels(), { seed, fractions });
    for (const s of ['train', 'val', 'test'] as const) if (idx[s].length) splits[s] = new SubsetSplit(whole, idx[s]);
  } else {
    for (const s of ['train', 'val', 'test'] as const) if (arrays[s]) splits[s] = make(s);
  }
  return new SplitDataset(options, splits);
}
