/**
 * Approximate cosine search with usearch's HNSW: vectors are added and searched in batches on
 * all cores (native threads), with f32, f16 or i8 storage. This replaces hnswlib-node's
 * one-point-at-a-time, single-threaded `addPoint` for large in-RAM memories; `bench/memory/scale.ts`
 * measures the two side by side. Row `i` is usearch key `i`.
 *
 * Rows are split into segments of at most `segmentRows` (1M by default), each its own graph,
 * searched one after another and merged by score, as faiss's IndexShards and Milvus's segments
 * do: on clustered vectors one graph's recall stops short of exact search as it grows (5M × 1024
 * at M 16: no more than 0.93 at any ef), where five 1M graphs reach 0.987 at ef 256
 * (bench/results/memory-scale-5m-segments.json).
 */
import * as path from 'node:path';
import * as os from 'node:os';
import usearch, { Index as NativeIndex, MetricKind, type ScalarKind } from 'usearch';
import type { SearchHits, VectorIndex } from '../types';
import { dotAt } from '../vectors';
import { readIndexDescriptor, writeIndexDescriptor, type VerifyOptions } from './index-file';

const DATA_FILE = 'index.usearch';
/** File of segment `i`: the first keeps the name a one-graph index has always had. */
const segmentFile = (i: number) => (i === 0 ? DATA_FILE : `index-${i}.usearch`);

/** usearch parameters (hnswlib's names where they mean the same). */
export interface UsearchOptions {
  /** Links per node (usearch `connectivity`). Default 16. */
  m?: number;
  /** Candidate list size while building (`expansion_add`). Default 128. */
  efConstruction?: number;
  /**
   * Candidate list size while searching each graph (`expansion_search`, raised to k when k is
   * larger). Default 256: on 5M × 1024 clustered vectors in 1M-row graphs (bench/README.md) ef 128
   * reached recall@10 0.95, 256 0.987, 512 0.992 at 0.67× the queries/s of 256. (One 5M graph
   * stopped near 0.93 at any ef; one 2M graph needed ef 512 for 0.965, the default until segments.)
   * A query-time setting: `openMemory(dir, { ef })` or `primed memory query --ef N` overrides it; an
   * index keeps the ef it was built with.
   */
  ef?: number;
  /**
   * Scalar type the graph stores its vectors in: `f16` (default), `f32` (twice the RAM) or `i8`.
   * The graph only picks the candidates: an in-RAM memory rescores them from its own float32
   * embeddings ({@link UsearchIndex.rescoreFrom}), so scores do not depend on it.
   */
  quantization?: 'f32' | 'f16' | 'i8';
  /** Threads for batch add and search; 0 = all cores. Default 0. */
  threads?: number;
  /**
   * Rows per graph: a larger index is split into segments of this many rows (the last one
   * partial), each searched for the k best and merged: queries cost about one graph's search per
   * segment, and recall stays that of a 1M graph however many rows. Default 1,000,000 (see
   * bench/README.md, "HNSW at 5M"). Fixed when the index is built; indexes saved before segments
   * existed are one segment of their size.
   */
  segmentRows?: number;
}

/** The defaults of {@link UsearchOptions}. */
export const USEARCH_DEFAULTS: Required<UsearchOptions> = { m: 16, efConstruction: 128, ef: 256, quantization: 'f16', threads: 0, segmentRows: 1_000_000 };

function checkOptions(o: Required<UsearchOptions>): void {
  for (const f of ['m', 'efConstruction', 'ef', 'segmentRows'] as const) {
    if (!Number.isInteger(o[f]) || o[f] <= 0) throw new Error(`usearch option "${f}" must be a positive integer, got ${o[f]}`);
  }
  if (!['f32', 'f16', 'i8'].includes(o.quantization)) throw new Error(`usearch option "quantization" must be f32, f16 or i8, got ${JSON.stringify(o.quantization)}`);
  if (!Number.isInteger(o.threads) || o.threads < 0) throw new Error(`usearch option "threads" must be a non-negative integer, got ${o.threads}`);
}

function makeNative(dim: number, o: Required<UsearchOptions>, ef: number): NativeIndex {
  return new NativeIndex({
    dimensions: dim,
    metric: MetricKind.IP,
    quantization: o.quantization as unknown as ScalarKind,
    connectivity: o.m,
    expansion_add: o.efConstruction,
    expansion_search: ef,
    multi: false,
  });
}

/** usearch HNSW index over normalised vectors (inner product = cosine). */
export class UsearchIndex implements VectorIndex {
  /** Always `usearch`. */
  readonly kind = 'usearch' as const;
  /** Effective parameters. */
  readonly options: Required<UsearchOptions>;
  /** The segments' graphs, in row order; every one but the last holds `segmentRows` rows. */
  private segments: NativeIndex[];
  /** Float32 vectors hits are rescored from, row-major, one row per key ({@link rescoreFrom}). */
  private exact?: Float32Array;

  /** An empty index of dimension `dim`. */
  constructor(readonly dim: number, options: UsearchOptions = {}) {
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`UsearchIndex: dimension must be a positive integer, got ${dim}`);
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...USEARCH_DEFAULTS, ...given };
    checkOptions(this.options);
    this.segments = [makeNative(dim, this.options, this.options.ef)];
  }

  private get threads(): number {
    return this.options.threads || os.availableParallelism();
  }

  /** Number of vectors. */
  size(): number {
    return this.segments.reduce((n, g) => n + Number(g.size()), 0);
  }

  /** Number of graphs the rows are split into ({@link UsearchOptions.segmentRows}). */
  segmentCount(): number {
    return this.segments.length;
  }

  /**
   * From now on, rescores every hit from `vectors` (row-major float32, row `i` = key `i`: the
   * memory's own stored embeddings) with exact search's dot product, and orders by that score.
   * The graph's stored type (f16 by default) then only picks the candidates; scores are the very
   * float32 values exact search gives, so the tie-robust threshold sees true ties, not f16 ones.
   */
  rescoreFrom(vectors: Float32Array): void {
    if (vectors.length !== this.size() * this.dim) throw new Error(`usearch index: rescoring vectors hold ${vectors.length / this.dim} rows of dimension ${this.dim}, the index ${this.size()}`);
    this.exact = vectors;
  }

  /** Appends row-major vectors in one multi-threaded batch. */
  add(vectors: Float32Array): void {
    if (this.exact) throw new Error('UsearchIndex.add: the index rescores from a fixed set of vectors (rescoreFrom); add before attaching them');
    if (vectors.length % this.dim !== 0) throw new Error(`UsearchIndex.add: ${vectors.length} floats is not a multiple of dimension ${this.dim}`);
    const n = vectors.length / this.dim;
    for (let done = 0; done < n; ) {
      let last = this.segments[this.segments.length - 1];
      if (Number(last.size()) >= this.options.segmentRows) this.segments.push((last = makeNative(this.dim, this.options, this.options.ef)));
      const take = Math.min(n - done, this.options.segmentRows - Number(last.size()));
      const start = this.size();
      const keys = new BigUint64Array(take);
      for (let i = 0; i < take; i++) keys[i] = BigInt(start + i);
      last.add(keys, vectors.subarray(done * this.dim, (done + take) * this.dim), this.threads);
      done += take;
    }
  }

  /** One native batch search of one graph; usearch widens its search list to k when k exceeds `ef`. */
  private searchNative(graph: NativeIndex, queries: Float32Array, k: number): { keys: BigUint64Array; distances: Float32Array; counts: number[] } {
    const nq = queries.length / this.dim;
    const r = graph.search(queries, k, this.threads) as unknown as { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array | number };
    const counts = nq === 1 && (r.counts === undefined || typeof r.counts === 'number') ? [r.keys.length] : Array.from(r.counts as BigUint64Array, Number);
    return { keys: r.keys, distances: r.distances, counts };
  }

  /**
   * The `k` nearest rows of each of `queries` (row-major `[q, dim]`), searched in one
   * multi-threaded batch. Rows within a query are best first, ties by lower row.
   */
  searchBatch(queries: Float32Array, k: number): SearchHits[] {
    if (queries.length % this.dim !== 0) throw new Error(`usearch index: ${queries.length} floats is not a multiple of dimension ${this.dim}`);
    const nq = queries.length / this.dim;
    const kk = Math.min(k, this.size());
    if (kk <= 0 || nq === 0) return Array.from({ length: nq }, () => ({ rows: new Int32Array(0), scores: new Float32Array(0) }));
    const exact = this.exact;
    const hits: { row: number; score: number }[][] = Array.from({ length: nq }, () => []);
    // Each segment's k best (scored from the float32 vectors when attached), then the k best of all.
    for (const graph of this.segments) {
      const kg = Math.min(kk, Number(graph.size()));
      if (kg === 0) continue;
      const r = this.searchNative(graph, queries, kg);
      for (let q = 0; q < nq; q++) {
        const query = queries.subarray(q * this.dim, (q + 1) * this.dim);
        for (let i = 0; i < r.counts[q]; i++) {
          const row = Number(r.keys[q * kg + i]);
          hits[q].push({ row, score: Math.fround(exact ? dotAt(query, exact, row * this.dim) : 1 - r.distances[q * kg + i]) });
        }
      }
    }
    return hits.map((h) => {
      const best = h.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, kk);
      return { rows: Int32Array.from(best, (x) => x.row), scores: Float32Array.from(best, (x) => x.score) };
    });
  }

  /** The `k` nearest rows (approximate), best first; with `filter`, among the rows it accepts (over-fetching until enough pass). */
  search(query: Float32Array, k: number, filter?: (row: number) => boolean): SearchHits {
    if (query.length !== this.dim) throw new Error(`usearch index: query has dimension ${query.length}, the index has ${this.dim}`);
    if (!filter) return this.searchBatch(query, k)[0];
    const total = this.size();
    for (let fetch = Math.min(total, Math.max(k * 4, 32)); ; fetch = Math.min(total, fetch * 4)) {
      const hits = this.searchBatch(query, fetch)[0];
      const keep: number[] = [];
      for (let i = 0; i < hits.rows.length && keep.length < k; i++) if (filter(hits.rows[i])) keep.push(i);
      if (keep.length >= k || fetch >= total) return { rows: Int32Array.from(keep, (i) => hits.rows[i]), scores: Float32Array.from(keep, (i) => hits.scores[i]) };
    }
  }

  /** Writes one file per segment (`index.usearch`, `index-1.usearch`, ...; usearch's format) and `index.json`. */
  save(dir: string): void {
    const files = this.segments.map((g, i) => {
      g.save(path.join(dir, segmentFile(i)));
      return segmentFile(i);
    });
    writeIndexDescriptor(dir, { kind: 'usearch', dim: this.dim, count: this.size(), file: files[0], params: { ...this.options } }, files.slice(1));
  }

  /** Opens the usearch index saved in `dir` (no rebuild), after checking size, checksum and dimension; `ef` may be overridden. */
  static open(dir: string, options: VerifyOptions & { ef?: number } = {}): UsearchIndex {
    const d = readIndexDescriptor(dir, options);
    const saved = d.params as UsearchOptions;
    // Saved before segments existed: one graph of whatever size it has.
    const segmentRows = saved.segmentRows ?? Math.max(d.count, USEARCH_DEFAULTS.segmentRows);
    const idx = new UsearchIndex(d.dim, { ...saved, segmentRows, ...(options.ef ? { ef: options.ef } : {}) });
    const files = [d.file, ...(d.parts ?? []).map((p) => p.file)];
    const want = Math.max(1, Math.ceil(d.count / segmentRows));
    if (files.length !== want) throw new Error(`${path.join(dir, 'index.json')}: ${d.count} vectors in segments of ${segmentRows} need ${want} data files, it lists ${files.length}`);
    idx.segments = files.map((f, i) => {
      const file = path.join(dir, f);
      const graph = i === 0 ? idx.segments[0] : makeNative(d.dim, idx.options, idx.options.ef);
      try {
        graph.load(file);
      } catch (err) {
        throw new Error(`${file}: cannot read usearch index (${(err as Error).message})`);
      }
      const rows = Math.min(segmentRows, d.count - i * segmentRows);
      if (Number(graph.size()) !== rows) throw new Error(`${file}: holds ${graph.size()} vectors, index.json says this segment has ${rows}`);
      if (Number(graph.dimensions()) !== d.dim) throw new Error(`${file}: has dimension ${graph.dimensions()}, index.json says ${d.dim}`);
      return graph;
    });
    return idx;
  }
}
