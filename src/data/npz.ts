/**
 * NumPy `.npz` archives: a ZIP of `.npy` files, one per array (entry `x.npy` holds array `x`).
 * Entries may be stored (`numpy.savez`) or deflated (`numpy.savez_compressed`).
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../util/fs';
import { readNpy, writeNpy, validateNdArray, type NdArray } from './npy-codec';
import { buildZip, listZipEntries, readZipEntry } from './zip';

/** Reads every array of an in-memory `.npz`; `file` names it in errors. */
export function readNpzBytes(bytes: Uint8Array, file: string): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const entry of listZipEntries(bytes, file)) {
    if (entry.name.endsWith('/')) continue;
    const key = entry.name.replace(/\.npy$/, '');
    out[key] = readNpy(readZipEntry(bytes, entry, file), `${file}: entry '${entry.name}'`);
  }
  return out;
}

/**
 * Reads every array of the `.npz` file at `path` (synchronously). Errors name the file and,
 * for a bad array, the entry: not a zip, truncated, corrupt (CRC), object/pickled dtype.
 */
export function readNpz(path: string): Record<string, NdArray> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return readNpzBytes(bytes, path);
}

/** Options of {@link writeNpz}. */
export interface WriteNpzOptions {
  /** Deflate each entry, like `numpy.savez_compressed`. Default false (stored, like `numpy.savez`). */
  compress?: boolean;
}

/** Writes `arrays` as an `.npz` file atomically (temp file + rename); `numpy.load` reads it. */
export function writeNpz(path: string, arrays: Record<string, NdArray>, options: WriteNpzOptions = {}): void {
  const files = Object.entries(arrays).map(([key, arr]) => {
    if (!key || key.includes('/')) throw new Error(`writeNpz ${path}: bad array name '${key}'`);
    validateNdArray(arr, `writeNpz ${path}: array '${key}'`);
    return { name: `${key}.npy`, data: writeNpy(arr) };
  });
  writeFileAtomic(path, buildZip(files, options.compress ?? false));
}
