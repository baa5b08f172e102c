/**
 * The sidecar `index.json` that describes a saved vector index: kind, dimension, count, and
 * the data file's byte size and SHA-256, so a truncated or corrupt file is caught with a clear
 * message before a native library reads it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { readJson, writeJsonAtomic } from '../../util/fs';
import type { IndexKind } from '../types';

/** File name of the sidecar inside a memory folder. */
export const INDEX_DESCRIPTOR = 'index.json';

/** Contents of `index.json`. */
export interface IndexDescriptor {
  /** Format tag. */
  format: 'primed-index/1';
  /** Index kind. */
  kind: IndexKind;
  /** Vector dimension. */
  dim: number;
  /** Vectors held. */
  count: number;
  /** Data file name, relative to the folder. */
  file: string;
  /** Data file size in bytes. */
  bytes: number;
  /** Hex SHA-256 of the data file. */
  sha256: string;
  /** Kind-specific parameters (HNSW: m, efConstruction, ef, space, seed). */
  params: Record<string, unknown>;
  /** Further data files (a segmented usearch index's other segments), each checked as `file` is. */
  parts?: { file: string; bytes: number; sha256: string }[];
}

/** Hex SHA-256 of a file, read in chunks. */
export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Size and SHA-256 of `file` in `dir`. */
function describeFile(dir: string, file: string): { file: string; bytes: number; sha256: string } {
  const full = path.join(dir, file);
  return { file, bytes: fs.statSync(full).size, sha256: sha256File(full) };
}

/** Writes the sidecar for data file `file` and any further `parts` (already written) in folder `dir`. */
export function writeIndexDescriptor(dir: string, d: Omit<IndexDescriptor, 'format' | 'bytes' | 'sha256' | 'parts'>, parts: string[] = []): IndexDescriptor {
  const desc: IndexDescriptor = { format: 'primed-index/1', ...d, ...describeFile(dir, d.file), ...(parts.length ? { parts: parts.map((f) => describeFile(dir, f)) } : {}) };
  writeJsonAtomic(path.join(dir, INDEX_DESCRIPTOR), desc);
  return desc;
}

/** Options of {@link readIndexDescriptor}. */
export interface VerifyOptions {
  /** Dimension the caller expects (from the manifest); a different one is an error. */
  expectDim?: number;
  /** Check the SHA-256 of the data file (reads it once). Default true. */
  verifyChecksum?: boolean;
}

/**
 * Reads and checks `dir/index.json` and its data files: present, the size recorded, the
 * checksum recorded, the expected dimension. Every error names the file.
 */
export function readIndexDescriptor(dir: string, options: VerifyOptions = {}): IndexDescriptor {
  const descFile = path.join(dir, INDEX_DESCRIPTOR);
  const d = readJson<IndexDescriptor>(descFile);
  if (d.format !== 'primed-index/1') throw new Error(`${descFile}: unknown index format ${JSON.stringify(d.format)}`);
  for (const f of ['dim', 'count', 'bytes'] as const) {
    if (!Number.isInteger(d[f]) || d[f] < 0) throw new Error(`${descFile}: field "${f}" must be a non-negative integer`);
  }
  if (d.parts !== undefined && !Array.isArray(d.parts)) throw new Error(`${descFile}: field "parts" must be a list`);
  const files = [d, ...(d.parts ?? [])];
  const field = (i: number) => (i === 0 ? 'file' : `parts[${i - 1}]`);
  files.forEach((f, i) => checkDataName(descFile, field(i), f));
  if (options.expectDim !== undefined && d.dim !== options.expectDim) {
    throw new Error(`${path.join(dir, d.file)}: index dimension ${d.dim} does not match the memory's dimension ${options.expectDim}`);
  }
  files.forEach((f, i) => checkDataFile(dir, descFile, field(i), f, options));
  return d;
}

/** A data file the sidecar lists must be a plain name inside the folder, with a byte size. */
function checkDataName(descFile: string, field: string, f: { file: unknown; bytes: unknown }): void {
  const name = f.file;
  if (typeof name !== 'string' || name === '' || path.isAbsolute(name) || name.includes('\\') || path.posix.normalize(name).split('/').some((p) => p === '..') || path.posix.normalize(name) !== name) {
    throw new Error(`${descFile}: field "${field}" must name a file inside the memory folder, got ${JSON.stringify(name)}`);
  }
  if (!Number.isInteger(f.bytes) || (f.bytes as number) < 0) throw new Error(`${descFile}: field "${field}" must record a non-negative byte size`);
}

/** Checks one data file the sidecar lists: present, of the recorded size and (unless skipped) checksum. */
function checkDataFile(dir: string, descFile: string, field: string, f: { file: string; bytes: number; sha256: string }, options: VerifyOptions): void {
  const data = path.join(dir, f.file);
  let size: number;
  try {
    size = fs.statSync(data).size;
  } catch {
    throw new Error(`${data}: index file is missing`);
  }
  if (size !== f.bytes) throw new Error(`${data}: index file is truncated or corrupt (${size} bytes, expected ${f.bytes})`);
  if (options.verifyChecksum !== false && sha256File(data) !== f.sha256) {
    throw new Error(`${data}: index file is corrupt (checksum mismatch)`);
  }
}
