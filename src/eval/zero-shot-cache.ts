/**
 * Zero-shot evaluations stored on disk, one entry per task, keyed by a content hash of
 * everything that determines it: the model (preset, weights hash, tokenizer), the task (name,
 * class names, templates, test split identity), the evaluation options (split, batch size,
 * metrics), the pixel preprocessing, the numerics of the backend and a format version. The
 * zero-shot row of the MGTIL protocol (the initial model on every task) is the same in every
 * run of a model on a benchmark, whatever the method, order or seed; with this cache it is
 * computed once.
 *
 * What the key does not see: the pixels of the test images. A split is identified by its size,
 * labels and provenance ids (e.g. `pneumoniamnist.npz/test/17`, or the file path relative to the
 * dataset root); hashing the pixels would cost a pass over the data. After replacing image files
 * in place under the same names, delete `<cacheDir>/zero-shot/` (or pass `zeroShotCache: false`).
 *
 * Entries are written atomically. A file that cannot be read back as the entry of its key
 * (corrupt JSON, another key, a missing or non-finite accuracy) is an error naming the file,
 * as the reference-set cache does: a cache that fails silently hides a broken disk or a bug;
 * delete the file to recompute it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendIdentity, type BackendIdentity, type BackendInfo } from '../backend';
import type { ClassificationDataset, ImagePreprocess, SplitName } from '../data/types';
import type { DualEncoderLike } from '../model/types';
import { modelIdentity, modelPresetName } from '../model/identity';
import { contentHash, readJson, writeJsonAtomic } from '../util/fs';

/**
 * Format of the key and of the entry files. Bump it when something changes zero-shot numbers
 * without changing the key's other parts (the classifier, the prompt ensembling, the AUC).
 */
export const ZERO_SHOT_CACHE_FORMAT = 'primed-zero-shot/2';

/** One task's zero-shot evaluation, as the protocol records it. */
export interface ZeroShotCacheEntry {
  /** Top-1 accuracy in %. */
  accuracy: number;
  /** Macro one-vs-rest ROC-AUC in %, or null when the learner gave no class scores. */
  auc: number | null;
}

/** Everything one task's zero-shot evaluation depends on (hashed into its key). */
export interface ZeroShotKeyParts {
  /** The model. */
  model: {
    /** Preset name (`mini`, `biomedclip`, ...; `custom` when the model has none). */
    preset: string;
    /** {@link modelIdentity} of the weights (logit scale included). */
    weights: string;
    /** The tokenizer (its vocabulary and rules are not in the weights). */
    tokenizer: {
      /** Vocabulary and rules, e.g. `clip-bpe`. */
      kind: string;
      /** Tokens per text. */
      contextLength: number;
      /** Vocabulary size. */
      vocabSize: number;
    };
  };
  /** The task. */
  task: {
    /** Dataset name. */
    name: string;
    /** Class names in label order (they make the prompts). */
    classNames: string[];
    /** Prompt templates (all are averaged). */
    templates: string[];
    /** The evaluated split. */
    split: {
      /** Split name (`test`). */
      name: string;
      /** Number of items. */
      size: number;
      /** SHA-256 of its labels, in order. */
      labelsSha256: string;
      /** SHA-256 of its items' provenance ids, in order; null for a split without them. */
      itemIdsSha256: string | null;
    };
    /** Fingerprint of the task's data (files' sizes and modification times, see `taskFingerprint`), when the caller gave one: an edited image makes a new key. */
    data?: string | null;
  };
  /** Evaluation options. */
  evaluation: {
    /**
     * Images per batch. Part of the key: batched matmuls round differently, and scores (so
     * AUCs, and accuracies at near-ties) move in the last bits with it.
     */
    batchSize: number;
    /** The metrics an entry holds. */
    metrics: string[];
  };
  /** Pixel preprocessing of the model. */
  preprocess: ImagePreprocess;
  /**
   * What sets the numerics (null when no backend was initialised): backend, device, precision
   * and thread counts (1 and 2 threads can split a sum differently and change its last bits).
   */
  backend: (BackendIdentity & {
    /** The npm package providing it. */
    package: string;
    /** WASM SIMD in use. */
    simd: boolean;
    /** Native matmul kernels replace the backend's. */
    nativeMatmul: boolean;
  }) | null;
}

/** Options of {@link zeroShotKeyParts}. */
export interface ZeroShotKeyOptions {
  /** Images per evaluation batch (the learner's `evalBatchSize`). */
  batchSize: number;
  /** The model's pixel preprocessing. */
  preprocess: ImagePreprocess;
  /** The backend in use (`currentBackend()`). */
  backend: BackendInfo | undefined;
  /** {@link modelIdentity} of `model`, when the caller already computed it (hashing large weights takes seconds). */
  weights?: string;
  /** Split evaluated. Default `test`. */
  split?: SplitName;
  /** Data fingerprint per task (`taskFingerprint`), so that entries of image files that changed since are not reused. Default none. */
  fingerprints?: (string | null)[];
}

/** The metrics an entry holds; part of the key so that adding one invalidates old entries. */
const METRICS = ['top1-accuracy', 'macro-ovr-auc'];

/** The key parts of each task's zero-shot evaluation of `model` (cheap: labels and ids, no pixels). */
export function zeroShotKeyParts(model: DualEncoderLike, tasks: ClassificationDataset[], options: ZeroShotKeyOptions): ZeroShotKeyParts[] {
  const weights = options.weights ?? modelIdentity(model);
  const preset = modelPresetName(model);
  const { kind, contextLength, vocabSize } = model.tokenizer;
  const b = options.backend;
  const backend = b ? { ...backendIdentity(b), package: b.package, simd: b.simd ?? false, nativeMatmul: b.native?.active ?? false } : null;
  const splitName = options.split ?? 'test';
  return tasks.map((t, i) => {
    const split = t.split(splitName);
    const ids = (split as { itemIds?: () => string[] }).itemIds?.();
    return {
      model: { preset, weights, tokenizer: { kind, contextLength, vocabSize } },
      task: {
        name: t.name,
        classNames: [...t.classNames],
        templates: [...t.templates],
        split: { name: splitName, size: split.size, labelsSha256: contentHash(split.labels()), itemIdsSha256: ids ? contentHash(ids) : null },
        ...(options.fingerprints ? { data: options.fingerprints[i] ?? null } : {}),
      },
      evaluation: { batchSize: options.batchSize, metrics: METRICS },
      preprocess: options.preprocess,
      backend,
    };
  });
}

/** The cache key of one task's zero-shot evaluation. */
export function zeroShotKey(parts: ZeroShotKeyParts): string {
  return contentHash({ format: ZERO_SHOT_CACHE_FORMAT, ...parts });
}

/** Per-task zero-shot entries on disk; what `runProtocol` takes as its `zeroShotCache` option. */
export interface ZeroShotCache {
  /** Key of each task's entry, in task order (recorded in `result.json`). */
  readonly keys: string[];
  /** The stored entry of task `taskIndex`, or undefined when there is none. Throws, naming the file, on a corrupt one. */
  read(taskIndex: number): ZeroShotCacheEntry | undefined;
  /** Stores task `taskIndex`'s entry (atomically). */
  write(taskIndex: number, entry: ZeroShotCacheEntry): void;
}

/** Path of the entry of `key` under `dir`. */
export function zeroShotCacheFile(dir: string, key: string): string {
  return path.join(dir, `zero-shot-${key}.json`);
}

function checkEntry(stored: unknown, key: string, file: string): ZeroShotCacheEntry {
  const s = stored as { key?: unknown; accuracy?: unknown; auc?: unknown } | null;
  const bad = (why: string) => new Error(`${file}: not a valid zero-shot cache entry (${why}); delete it to recompute`);
  if (!s || typeof s !== 'object') throw bad('not a JSON object');
  if (s.key !== key) throw bad(`it holds key ${JSON.stringify(s.key)}, expected ${key}`);
  if (typeof s.accuracy !== 'number' || !Number.isFinite(s.accuracy)) throw bad(`accuracy is ${JSON.stringify(s.accuracy)}`);
  if (s.auc !== null && (typeof s.auc !== 'number' || !Number.isFinite(s.auc))) throw bad(`auc is ${JSON.stringify(s.auc)}`);
  return { accuracy: s.accuracy, auc: s.auc };
}

/** The zero-shot cache in `dir` for tasks with key parts `parts` (from {@link zeroShotKeyParts}). */
export function openZeroShotCache(dir: string, parts: ZeroShotKeyParts[]): ZeroShotCache {
  const keys = parts.map(zeroShotKey);
  const fileOf = (t: number) => {
    if (!Number.isInteger(t) || t < 0 || t >= keys.length) throw new Error(`zero-shot cache: no task ${t} (it has ${keys.length})`);
    return zeroShotCacheFile(dir, keys[t]);
  };
  return {
    keys,
    read(t) {
      const file = fileOf(t);
      if (!fs.existsSync(file)) return undefined;
      return checkEntry(readJson(file), keys[t], file);
    },
    write(t, entry) {
      const file = fileOf(t);
      writeJsonAtomic(file, { key: keys[t], parts: parts[t], accuracy: entry.accuracy, auc: entry.auc });
    },
  };
}
