/**
 * Exact cosine search: brute force over one row-major Float32Array of normalised vectors,
 * scored in chunks so memory stays flat. Right for memories up to tens of thousands of rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SearchHits, VectorIndex } from '../types';
import { dotAt, topKIndices } from '../vectors';
import { readIndexDescriptor, writeIndexDescriptor, type VerifyOptions } from './index-file';

const DATA_FILE = 'index.exact.f32';

/** Brute-force cosine index. */
export class ExactIndex implements VectorIndex {
  /** Always `exact`. */
  readonly kind = 'exact' as const;
  private data: Float32Array;
  private count = 0;

  /** An empty index of dimension `dim`, or one over `initial` (row-major) when given. */
  constructor(readonly dim: number, initial?: Float32Array) {
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`ExactIndex: dimension must be a positive integer, got ${dim}`);
    this.data = new Float32Array(Math.max(1024, dim));
    if (initial) this.add(initial);
  }

  /** Number of vectors. */
  size(): number {
    return this.count;
  }

  /** Appends row-major vectors. */
  add(vectors: Float32Array): void {
    if (vectors.length % this.dim !== 0) throw new Error(`ExactIndex.add: ${vectors.length} floats is not a multiple of dimension ${this.dim}`);
    const need = (this.count * this.dim) + vectors.length;
    if (need > this.data.length) {
      const grown = new Float32Array(Math.max(need, this.data.length * 2));
      grown.set(this.data.subarray(0, this.count * this.dim));
      this.data = grown;
    }
    this.data.set(vectors, this.count * this.dim);
    this.count += vectors.length / this.dim;
  }

  /** Cosine score of every row. */
  scoreAll(query: Float32Array): Float32Array {
    this.checkQuery(query);
    const out = new Float32Array(this.count);
    for (let r = 0; r < this.count; r++) out[r] = dotAt(query, this.data, r * this.dim);
    return out;
  }

  /** Top-`k` rows by cosine (among the rows `filter` accepts, when given). */
  search(query: Float32Array, k: number, filter?: (row: number) => boolean): SearchHits {
    const scores = this.scoreAll(query);
    if (!filter) {
      const rows = topKIndices(scores, k);
      return { rows, scores: Float32Array.from(rows, (r) => scores[r]) };
    }
    const eligible: number[] = [];
    for (let r = 0; r < this.count; r++) if (filter(r)) eligible.push(r);
    const sub = Float32Array.from(eligible, (r) => scores[r]);
    const rows = Int32Array.from(topKIndices(sub, k), (i) => eligible[i]);
    return { rows, scores: Float32Array.from(rows, (r) => scores[r]) };
  }

  /** Writes `index.exact.f32` (raw little-endian float32) and `index.json`. */
  save(dir: string): void {
    const file = path.join(dir, DATA_FILE);
    const view = this.data.subarray(0, this.count * this.dim);
    fs.writeFileSync(file, new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    writeIndexDescriptor(dir, { kind: 'exact', dim: this.dim, count: this.count, file: DATA_FILE, params: {} });
  }

  /** Opens the exact index saved in `dir` (no rebuild), checking size, checksum and dimension. */
  static open(dir: string, options: VerifyOptions = {}): ExactIndex {
    const d = readIndexDescriptor(dir, options);
    const file = path.join(dir, d.file);
    if (d.bytes !== d.count * d.dim * 4) throw new Error(`${file}: size ${d.bytes} does not hold ${d.count} vectors of dimension ${d.dim}`);
    const buf = fs.readFileSync(file);
    const data = new Float32Array(d.count * d.dim);
    new Uint8Array(data.buffer).set(buf);
    const idx = new ExactIndex(d.dim);
    idx.data = data;
    idx.count = d.count;
    return idx;
  }

  private checkQuery(q: Float32Array): void {
    if (q.length !== this.dim) throw new Error(`exact index: query has dimension ${q.length}, the index has ${this.dim}`);
  }
}
