/** Creates, chooses and reopens vector indexes by kind. */
import type { IndexKind, VectorIndex } from '../types';
import { ExactIndex } from './exact';
import { HnswIndex, type HnswOptions } from './hnsw';
import { readIndexDescriptor, type VerifyOptions } from './index-file';
import { UsearchIndex, type UsearchOptions } from './usearch';

/** Which index to build: a kind, or `auto` (exact below `autoThreshold` rows, usearch's HNSW above). */
export type IndexChoice = IndexKind | 'auto';

/** Index options of a memory. */
export interface IndexOptions {
  /** `exact`, `hnsw`, `usearch` or `auto` (default). */
  kind?: IndexChoice;
  /** Row count from which `auto` picks an approximate index (usearch). Default 20,000. */
  autoThreshold?: number;
  /** HNSW parameters. */
  hnsw?: HnswOptions;
  /** usearch parameters (kind `usearch`). */
  usearch?: UsearchOptions;
}

/** Default `autoThreshold`. */
export const AUTO_THRESHOLD = 20_000;

/**
 * The index kind for a memory of `rows` rows under `options`. `auto` picks usearch from the
 * threshold: at 50k × 1024 it built 1.4× faster than python3-hnswlib and answered 1.3× more
 * queries/s at recall@10 0.9996 (bench/results/memory-scale-1m.json), where hnswlib-node adds one
 * point at a time on one thread.
 */
export function chooseIndexKind(rows: number, options: IndexOptions = {}): IndexKind {
  const kind = options.kind ?? 'auto';
  if (kind === 'exact' || kind === 'hnsw' || kind === 'usearch') return kind;
  if (kind !== 'auto') throw new Error(`index option "kind" must be exact, hnsw, usearch or auto, got ${JSON.stringify(kind)}`);
  const t = options.autoThreshold ?? AUTO_THRESHOLD;
  if (!Number.isInteger(t) || t < 0) throw new Error(`index option "autoThreshold" must be a non-negative integer, got ${t}`);
  return rows < t ? 'exact' : 'usearch';
}

/** An empty index of `kind`. */
export function createIndex(kind: IndexKind, dim: number, options: IndexOptions = {}): VectorIndex {
  if (kind === 'usearch') return new UsearchIndex(dim, options.usearch);
  return kind === 'exact' ? new ExactIndex(dim) : new HnswIndex(dim, options.hnsw);
}

/** Opens the index saved in `dir` (its kind is read from `index.json`). */
export function openIndex(dir: string, options: VerifyOptions & { ef?: number } = {}): VectorIndex {
  const d = readIndexDescriptor(dir, { ...options, verifyChecksum: false });
  if (d.kind === 'usearch') return UsearchIndex.open(dir, options);
  return d.kind === 'exact' ? ExactIndex.open(dir, options) : HnswIndex.open(dir, options);
}
