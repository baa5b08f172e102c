/**
 * Precomputed embeddings read from a `.npy` file (float32 or float16, shape `[rows, dim]`), for
 * memories embedded elsewhere. Row i belongs to the i-th entry being built or added. Queries
 * against such a memory need vectors from the same model: either `texts` (one per row, so
 * `embed` looks texts up) or another embedder that declares the same `id`.
 */
import * as fs from 'node:fs';
import { readNpy } from '../../data/npy';
import { createHash } from 'node:crypto';
import type { Embedder } from '../types';
import { l2NormalizeInPlace } from '../vectors';

/** An {@link Embedder} that also hands out its stored rows. */
export interface PrecomputedEmbedder extends Embedder {
  /** Always `precomputed`. */
  readonly kind: 'precomputed';
  /** Where the vectors came from (for messages). */
  readonly source: string;
  /** Number of stored rows. */
  readonly rows: number;
  /** Rows `[start, start + count)` as normalised vectors. */
  rowVectors(start: number, count: number): Float32Array[];
}

/** Options of {@link precomputedEmbedder}. */
export interface PrecomputedOptions {
  /** Identity recorded in the manifest (the model that made the vectors). Default `precomputed:<sha256 prefix of the file>`. */
  id?: string;
  /** Text of each row, so `embed` can answer queries equal to a stored text. */
  texts?: string[];
}

/** Reads `.npy` float32/float16 `[rows, dim]` embeddings from `file`. */
export function precomputedEmbedder(file: string, options: PrecomputedOptions = {}): PrecomputedEmbedder {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read precomputed embeddings (${(err as NodeJS.ErrnoException).code})`);
  }
  const arr = readNpy(bytes, file);
  if (arr.dtype !== 'f4' && arr.dtype !== 'f2') throw new Error(`${file}: embeddings must be float32 or float16, got ${arr.dtype}`);
  if (arr.shape.length !== 2 || arr.shape[1] <= 0) throw new Error(`${file}: embeddings must have shape [rows, dim], got [${arr.shape.join(', ')}]`);
  const [rows, dim] = arr.shape;
  const data = arr.data as Float32Array;
  if (options.texts && options.texts.length !== rows) throw new Error(`${file}: ${rows} rows but ${options.texts.length} texts were given`);
  const byText = new Map<string, number>();
  options.texts?.forEach((t, i) => byText.has(t) || byText.set(t, i));
  const id = options.id ?? `precomputed:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
  const row = (i: number) => l2NormalizeInPlace(data.slice(i * dim, (i + 1) * dim));
  return {
    kind: 'precomputed',
    id,
    dim,
    rows,
    source: file,
    rowVectors(start, count) {
      if (start < 0 || start + count > rows) throw new Error(`${file}: needs rows ${start}..${start + count - 1}, the file has ${rows}`);
      return Array.from({ length: count }, (_, i) => row(start + i));
    },
    async embed(texts) {
      return texts.map((t) => {
        const i = byText.get(t);
        if (i === undefined) throw new Error(`${file}: no precomputed embedding for text ${JSON.stringify(t.slice(0, 80))}; embed queries with an embedder of the same id (${id})`);
        return row(i);
      });
    },
  };
}

/** Whether `e` carries stored rows. */
export function isPrecomputed(e: Embedder): e is PrecomputedEmbedder {
  return (e as PrecomputedEmbedder).kind === 'precomputed';
}
