/** `manifest.json` of a memory folder: what made it, how big it is, and its version. */
import * as path from 'node:path';
import { readJson } from '../util/fs';
import type { IndexKind } from './types';
import type { IndexChoice } from './vector/open';
import type { HnswOptions } from './vector/hnsw';

/** File names inside a memory folder. */
export const MEMORY_FILES = {
  manifest: 'manifest.json',
  entries: 'entries.jsonl',
  textEmbeddings: 'text-embeddings.npy',
  imageEmbeddings: 'image-embeddings.npy',
  images: 'images',
} as const;

/** Contents of `manifest.json`. */
export interface MemoryManifest {
  /** Format tag. */
  format: 'primed-memory/1';
  /** Incremented on every change (build over an old memory, add); part of reference-set cache keys. */
  version: number;
  /** Number of entries (= rows of every embedding matrix and the index). */
  count: number;
  /** The text embedder's identity and dimension. */
  embedder: { id: string; dim: number };
  /** The image embedder of `image-embeddings.npy`, when stored. */
  imageEmbedder?: { id: string; dim: number };
  /** Index kind in use, the choice that picked it, and its options. */
  index: { kind: IndexKind; choice: IndexChoice; autoThreshold?: number; hnsw?: HnswOptions };
  /**
   * Folders image paths are relative to: absolute, or relative to the memory folder (`.` is
   * the memory folder itself). Each stored entry names its root by position.
   */
  imageRoots: string[];
  /** SHA-256 of `entries.jsonl` (ties cache keys to the content, not only the version). */
  entriesSha256: string;
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
  if (!m.index || (m.index.kind !== 'exact' && m.index.kind !== 'hnsw')) throw new Error(`${file}: field "index.kind" must be exact or hnsw`);
  if (!Array.isArray(m.imageRoots)) throw new Error(`${file}: field "imageRoots" must be an array`);
  return m;
}
