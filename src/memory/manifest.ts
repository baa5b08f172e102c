/** `manifest.json` of a memory folder: what made it, how big it is, and its version. */
import * as path from 'node:path';
import { readJson } from '../util/fs';
import type { IndexKind } from './types';
import type { IndexChoice } from './vector/open';
import type { HnswOptions } from './vector/hnsw';
import type { UsearchOptions } from './vector/usearch';

/** File names inside a memory folder. */
export const MEMORY_FILES = {
  /** `manifest.json`: the {@link MemoryManifest} (format, version, count, embedders, index, image roots, entries hash). */
  manifest: 'manifest.json',
  /** `entries.jsonl`: one JSON entry (id, caption, image path, domain, meta) per line; line `i` is row `i` of every matrix. */
  entries: 'entries.jsonl',
  /** `text-embeddings.npy`: float32 `[count, embedder.dim]` L2-normalised caption embeddings, the vectors the index searches. */
  textEmbeddings: 'text-embeddings.npy',
  /** `image-embeddings.npy`: float32 `[count, imageEmbedder.dim]` image-tower embeddings, when stored; used for the visual rerank. */
  imageEmbeddings: 'image-embeddings.npy',
  /** `images/`: folder of images stored inside the memory (from `imageData`), referenced by entries through image root `.`. */
  images: 'images',
} as const;

/** Which embedder made one of a memory's embedding matrices, as recorded in its manifest. */
export interface EmbedderIdentity {
  /**
   * The embedder's stable id (e.g. `model:mini@<hash>`, `endpoint:http://host/v1#Qwen3-Embedding-8B`); queries must be
   * embedded by an embedder with the same id, or the vectors are not comparable.
   */
  id: string;
  /** Vector dimension: the number of float32 columns of the matrix. */
  dim: number;
  /** Where the embedder comes from (`model:<absolute checkpoint dir>`), when it was built from one; `add` and `query` rebuild it from here. */
  spec?: string;
  /**
   * Matryoshka truncation: the model's full output dimension, when its vectors were cut to the
   * first `dim` components and renormalised. Queries must be cut the same way.
   */
  matryoshkaFrom?: number;
}

/** Contents of `manifest.json`. */
export interface MemoryManifest {
  /** Format tag. */
  format: 'primed-memory/1';
  /** Incremented on every change (build over an old memory, add); part of reference-set cache keys. */
  version: number;
  /** Number of entries (= rows of every embedding matrix and the index). */
  count: number;
  /** The text embedder of `text-embeddings.npy` and the index; `addEntries` and queries must use the same one. */
  embedder: EmbedderIdentity;
  /** The image embedder of `image-embeddings.npy`, when stored. */
  imageEmbedder?: EmbedderIdentity;
  /** Index kind in use, the choice that picked it, and its options. */
  index: {
    /** The index actually built over the text embeddings: `exact` (brute-force cosine), `hnsw` (hnswlib, approximate) or `usearch` (batch-built HNSW, approximate). */
    kind: IndexKind;
    /** What was asked for: a fixed kind, or `auto`, re-evaluated on every `addEntries` (so a growing memory can switch from exact to an approximate index). */
    choice: IndexChoice;
    /** Row count from which `auto` picks an approximate index (usearch) instead of exact; absent means the default {@link AUTO_THRESHOLD} (20,000). */
    autoThreshold?: number;
    /** HNSW build and search parameters given at build time; reused when the index is rebuilt. Absent means the HNSW defaults. */
    hnsw?: HnswOptions;
    /** usearch build and search parameters given at build time (kind `usearch`); absent means the usearch defaults. */
    usearch?: UsearchOptions;
  };
  /**
   * Folders image paths are relative to: absolute, or relative to the memory folder (`.` is
   * the memory folder itself). Each stored entry names its root by position.
   */
  imageRoots: string[];
  /** SHA-256 of `entries.jsonl` (ties cache keys to the content, not only the version); verified on open. */
  entriesSha256: string;
  /** SHA-256 of `text-embeddings.npy`, verified on open (absent in memories written before it was recorded). */
  textEmbeddingsSha256?: string;
  /** SHA-256 of `image-embeddings.npy`, when stored; verified on open. */
  imageEmbeddingsSha256?: string;
  /** When this version was written (ISO 8601). */
  updatedAt: string;
}

/** Reads and checks `dir/manifest.json`; errors name the file and field. */
export function readManifest(dir: string): MemoryManifest {
  const file = path.join(dir, MEMORY_FILES.manifest);
  const m = readJson<MemoryManifest>(file);
  if (m.format !== 'primed-memory/1') throw new Error(`${file}: not a primed memory manifest (format ${JSON.stringify(m.format)})`);
  if (!Number.isInteger(m.version) || m.version < 1) throw new Error(`${file}: field "version" must be a positive integer`);
  if (!Number.isInteger(m.count) || m.count < 0) throw new Error(`${file}: field "count" must be a non-negative integer`);
  if (!m.embedder || typeof m.embedder.id !== 'string' || !Number.isInteger(m.embedder.dim) || m.embedder.dim <= 0) {
    throw new Error(`${file}: field "embedder" must be { id: string, dim: positive integer }`);
  }
  if (!m.index || !['exact', 'hnsw', 'usearch'].includes(m.index.kind)) throw new Error(`${file}: field "index.kind" must be exact, hnsw or usearch`);
  if (!Array.isArray(m.imageRoots) || m.imageRoots.some((r) => typeof r !== 'string' || r === '')) throw new Error(`${file}: field "imageRoots" must be an array of folder paths`);
  if (typeof m.entriesSha256 !== 'string') throw new Error(`${file}: field "entriesSha256" must be a string`);
  return m;
}
