/**
 * Loads a dataset the user keeps on disk, from a manifest (`manifest.csv` / `manifest.jsonl`) or
 * from class folders, and gives it train/val/test splits: the manifest's `split` column when it
 * has one, otherwise a deterministic seeded split (grouped by `patient` when that column exists,
 * stratified by class otherwise).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SplitDataset, type DatasetInfo } from './dataset';
import { FileSplit, type FileItem } from './file-split';
import type { CropMode } from './prepare';
import { readManifest, type ManifestOptions } from './manifest';
import { scanImageFolder } from './image-folder';
import { seededSplit, type SplitFractions } from './splits';
import type { SplitName } from './types';

/** Manifest file names looked for in a dataset folder, in this order. */
export const MANIFEST_NAMES = ['manifest.csv', 'manifest.jsonl'];

/** Options of {@link loadLocalDataset}. */
export interface LocalDatasetOptions extends Omit<DatasetInfo, 'classNames'> {
  /** The dataset folder (holding a manifest, or one folder per class). */
  dir: string;
  /** Class names in label order. Default: from the manifest's labels or the folder names. */
  classNames?: string[];
  /** Extra accepted label / folder spellings (lower-cased key to class index). */
  aliases?: Record<string, number>;
  /** Manifest column options (label column by name or index, etc.). */
  manifest?: Omit<ManifestOptions, 'classNames' | 'aliases'>;
  /** Seed of the split when the data has none. Default 0. */
  seed?: number;
  /** Split shares when the data has none. Default 70/10/20. */
  fractions?: SplitFractions;
  /** The manifest file (CSV or JSONL, any name; paths in it are relative to its folder). Default: `manifest.csv|jsonl` in `dir`, else class folders. */
  manifestFile?: string;
  /** A test set only: every item goes to `test` (a split column is ignored). Default false. */
  evaluationOnly?: boolean;
  /** How images are brought to the square input (see `FileSplit`). Default `centre`. */
  crop?: CropMode;
}

/** The manifest in `dir`, if any. */
export function findManifest(dir: string): string | undefined {
  return MANIFEST_NAMES.map((n) => path.join(dir, n)).find((f) => fs.existsSync(f));
}

/** Loads a dataset folder as a {@link SplitDataset}; errors name the folder, file and field. */
export function loadLocalDataset(options: LocalDatasetOptions): SplitDataset {
  const { dir } = options;
  if (!fs.existsSync(dir)) throw new Error(`dataset '${options.name}': folder ${dir} not found`);
  const manifestFile = options.manifestFile ?? findManifest(dir);
  let classNames: string[];
  let items: (FileItem & { split?: SplitName; group?: string })[];
  if (manifestFile) {
    const m = readManifest(manifestFile, { ...options.manifest, classNames: options.classNames, aliases: options.aliases });
    classNames = m.classNames;
    items = m.items.map((it) => ({ path: it.path, label: it.label, id: `${options.name}/${it.relPath}`, split: it.split, group: it.group }));
  } else {
    const f = scanImageFolder(dir, { classNames: options.classNames, aliases: options.aliases });
    classNames = f.classNames;
    items = f.items.map((it) => ({ path: it.path, label: it.label, id: `${options.name}/${it.relPath}` }));
  }
  const bySplit: Record<SplitName, FileItem[]> = { train: [], val: [], test: [] };
  if (options.evaluationOnly) {
    bySplit.test = items;
  } else if (items.length && items.every((it) => it.split)) {
    for (const it of items) bySplit[it.split!].push(it);
  } else {
    const groups = items.some((it) => it.group) ? items.map((it) => it.group) : undefined;
    const idx = seededSplit(
      items.map((it) => it.label),
      { seed: options.seed ?? 0, fractions: options.fractions, groups },
    );
    for (const s of ['train', 'val', 'test'] as const) bySplit[s] = Array.from(idx[s], (i) => items[i]);
  }
  const splits: Partial<Record<SplitName, FileSplit>> = {};
  for (const s of ['train', 'val', 'test'] as const) if (bySplit[s].length) splits[s] = new FileSplit(bySplit[s], { crop: options.crop });
  return new SplitDataset({ name: options.name, domain: options.domain, classNames, templates: options.templates }, splits);
}
