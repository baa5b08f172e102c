/**
 * Approximate cosine search with HNSW (hnswlib-node). Vectors are normalised, so space `ip`
 * (distance 1 − ⟨a, b⟩) ranks like cosine; `cosine` normalises again inside hnswlib.
 */
import * as path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import type { SearchHits, VectorIndex } from '../types';
import { readIndexDescriptor, writeIndexDescriptor, type VerifyOptions } from './index-file';

const DATA_FILE = 'index.hnsw';

/** HNSW parameters (hnswlib names). */
export interface HnswOptions {
  /** Links per node. Default 16. */
  m?: number;
  /** Candidate list size while building. Default 200. */
  efConstruction?: number;
  /** Candidate list size while searching (raised to k when k is larger). Default 128. */
  ef?: number;
  /** `ip` (default; vectors are already normalised) or `cosine`. */
  space?: 'ip' | 'cosine';
  /** Seed of hnswlib's level generator. Default 42. */
  seed?: number;
}

/** The defaults of {@link HnswOptions}. */
export const HNSW_DEFAULTS: Required<HnswOptions> = { m: 16, efConstruction: 200, ef: 128, space: 'ip', seed: 42 };

function checkOptions(o: Required<HnswOptions>): void {
  for (const f of ['m', 'efConstruction', 'ef'] as const) {
    if (!Number.isInteger(o[f]) || o[f] <= 0) throw new Error(`hnsw option "${f}" must be a positive integer, got ${o[f]}`);
  }
  if (o.space !== 'ip' && o.space !== 'cosine') throw new Error(`hnsw option "space" must be "ip" or "cosine", got ${JSON.stringify(o.space)}`);
}

/** HNSW index over normalised vectors. */
export class HnswIndex implements VectorIndex {
  /** Always `hnsw`. */
  readonly kind = 'hnsw' as const;
  /** Effective parameters. */
  readonly options: Required<HnswOptions>;
  private readonly hnsw: HierarchicalNSW;
  private count = 0;

  /** An empty HNSW index of dimension `dim`. */
  constructor(readonly dim: number, options: HnswOptions = {}, opened?: { hnsw: HierarchicalNSW; count: number }) {
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`HnswIndex: dimension must be a positive integer, got ${dim}`);
    // Options left undefined keep their defaults.
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...HNSW_DEFAULTS, ...given };
    checkOptions(this.options);
    if (opened) {
      this.hnsw = opened.hnsw;
      this.count = opened.count;
    } else {
      this.hnsw = new HierarchicalNSW(this.options.space, dim);
      this.hnsw.initIndex({ maxElements: 1024, m: this.options.m, efConstruction: this.options.efConstruction, randomSeed: this.options.seed });
    }
  }

  /** Number of vectors. */
  size(): number {
    return this.count;
  }

  /** Appends row-major vectors; the index grows as needed. */
  add(vectors: Float32Array): void {
    if (vectors.length % this.dim !== 0) throw new Error(`HnswIndex.add: ${vectors.length} floats is not a multiple of dimension ${this.dim}`);
    const n = vectors.length / this.dim;
    const need = this.count + n;
    if (need > this.hnsw.getMaxElements()) this.hnsw.resizeIndex(Math.max(need, 2 * this.hnsw.getMaxElements()));
    const point = new Array<number>(this.dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < this.dim; j++) point[j] = vectors[i * this.dim + j];
      this.hnsw.addPoint(point, this.count + i);
    }
    this.count = need;
  }

  /** The `k` nearest rows (approximate), best first; with `filter`, among the rows it accepts. */
  search(query: Float32Array, k: number, filter?: (row: number) => boolean): SearchHits {
    if (query.length !== this.dim) throw new Error(`hnsw index: query has dimension ${query.length}, the index has ${this.dim}`);
    const kk = Math.min(k, this.count);
    if (kk <= 0) return { rows: new Int32Array(0), scores: new Float32Array(0) };
    this.hnsw.setEf(Math.max(this.options.ef, kk));
    const r = this.hnsw.searchKnn(Array.from(query), kk, filter);
    const order = r.neighbors.map((_, i) => i).sort((a, b) => r.distances[a] - r.distances[b] || r.neighbors[a] - r.neighbors[b]);
    return {
      rows: Int32Array.from(order, (i) => r.neighbors[i]),
      scores: Float32Array.from(order, (i) => 1 - r.distances[i]),
    };
  }

  /** Writes `index.hnsw` (hnswlib's format) and `index.json`. */
  save(dir: string): void {
    this.hnsw.writeIndexSync(path.join(dir, DATA_FILE));
    writeIndexDescriptor(dir, { kind: 'hnsw', dim: this.dim, count: this.count, file: DATA_FILE, params: { ...this.options } });
  }

  /**
   * Opens the HNSW index saved in `dir` without rebuilding it, after checking size, checksum
   * and dimension (hnswlib itself would not notice most damage). `ef` may be overridden.
   */
  static open(dir: string, options: VerifyOptions & { ef?: number } = {}): HnswIndex {
    const d = readIndexDescriptor(dir, options);
    const file = path.join(dir, d.file);
    const params = { ...HNSW_DEFAULTS, ...(d.params as HnswOptions), ...(options.ef ? { ef: options.ef } : {}) };
    const hnsw = new HierarchicalNSW(params.space, d.dim);
    try {
      hnsw.readIndexSync(file);
    } catch (err) {
      throw new Error(`${file}: cannot read HNSW index (${(err as Error).message})`);
    }
    if (hnsw.getCurrentCount() !== d.count) throw new Error(`${file}: holds ${hnsw.getCurrentCount()} vectors, index.json says ${d.count}`);
    return new HnswIndex(d.dim, params, { hnsw, count: d.count });
  }
}
