/**
 * primed: retrieval-guided continual learning of medical vision-language models (PRIMED,
 * arXiv 2512.13072) in TypeScript. The public API: re-exports only.
 *
 * @packageDocumentation
 */
export * from './experiment';
export * from './backend';
export * from './model';
export * from './model/tokenizers';
export { loadCheckpoint, saveModel, loadModel, type LoadCheckpointOptions, type SaveModelOptions, type LoadModelOptions, type SavedModelConfig } from './model/checkpoint';
export * from './data/types';
export * from './data/npy';
export * from './data/mini-corpus';
export { loadLocalDataset, findManifest, MANIFEST_NAMES, type LocalDatasetOptions } from './data/local-dataset';
// Exported under task-specific names: `readManifest` is the memory's (src/memory/manifest.ts).
export { readManifest as readTaskManifest, type Manifest as TaskManifest, type ManifestItem as TaskManifestItem, type ManifestOptions as TaskManifestOptions } from './data/manifest';
export { SplitDataset, type DatasetInfo, type ProvenancedSplit } from './data/dataset';
export { FileSplit, type FileItem, type FilePrepareOptions } from './data/file-split';
export * from './data/prepare';
export * from './data/export-folders';
export * from './pipeline/sequence-checks';
export * from './benchmarks';
export * from './eval';
export * from './eval/classify';
export * from './eval/learner';
export * from './train/trainer';
export * from './train/config';
export * from './train/plugin';
export * from './train/losses';
export * from './train/optimizer';
export * from './train/pretrain';
export * from './methods';
export * from './memory';
export * from './foundation';
export * from './recipes';
export * from './pipeline/reference';
export * from './pipeline/retrieval-plugin';
export * from './report';
export * from './paper';
export * from './util/rng';
export * from './util/progress';
export { writeFileAtomic, writeJsonAtomic, replaceDirAtomic, recoverDirSwap, readJson, contentHash, stableStringify } from './util/fs';
export { acquireFolderLock, withFolderLock, LockHeldError, type FolderLock, type LockInfo } from './util/lock';
export { redactUrl, redactSecrets } from './util/safe-url';
