/**
 * **Data**: datasets and splits (npz/npy, MedMNIST, image folders with manifests), the bundled
 * mini corpus, data preparation and export, and the benchmark specs (task sequences).
 *
 * @module Data
 */
export * from '../data/types';
export * from '../data/npy';
export * from '../data/mini-corpus';
export { loadLocalDataset, findManifest, MANIFEST_NAMES, type LocalDatasetOptions } from '../data/local-dataset';
// Exported under task-specific names: `readManifest` is the memory's (src/memory/manifest.ts).
export { readManifest as readTaskManifest, type Manifest as TaskManifest, type ManifestItem as TaskManifestItem, type ManifestOptions as TaskManifestOptions } from '../data/manifest';
export { SplitDataset, type DatasetInfo, type ProvenancedSplit } from '../data/dataset';
export { FileSplit, type FileItem, type FilePrepareOptions } from '../data/file-split';
export * from '../data/prepare';
export * from '../data/export-folders';
export * from '../benchmarks';
