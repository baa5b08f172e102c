/**
 * An opened memory: its manifest, entries, embeddings and vector index, read from a memory
 * folder without rebuilding anything. `openMemory` is what the `loadMemory` notebook cell calls.
 *
 * Folder layout: `manifest.json`, `entries.jsonl`, `text-embeddings.npy` (float32 [N, dim]),
 * optional `image-embeddings.npy`, `index.json` + the index data file, optional `images/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { readNpy } from '../data/npy';
import { readJson, recoverDirSwap } from '../util/fs';
import { MEMORY_FILES, readManifest, type EmbedderIdentity, type MemoryManifest } from './manifest';
import { parseEntriesJsonl, publicEntry, type StoredEntry } from './entries';
import { readTarMember, type TarMember } from './importers/tar';
import type { Embedder, MemoryEntry, SearchHits, VectorIndex } from './types';
import { openIndex } from './vector/open';

/** Options of {@link openMemory}. */
export interface OpenMemoryOptions {
  /** Verify the checksums the manifest and `index.json` record (entries, embeddings, index file). Default true. */
  verifyChecksum?: boolean;
  /** HNSW search breadth override. */
  ef?: number;
}

/** A memory opened from its folder. */
export class Memory {
  /** @internal Use {@link openMemory}. */
  constructor(
    /** The memory folder. */
    readonly dir: string,
    /** Its manifest. */
    readonly manifest: MemoryManifest,
    /** Entries as stored (with image roots). */
    readonly stored: StoredEntry[],
    /** Text embeddings, row-major `[count, dim]`. */
    readonly textEmbeddings: Float32Array,
    /** The vector index. */
    readonly index: VectorIndex,
    /** Image embeddings `[count, imageDim]`, when stored. */
    readonly imageEmbeddings?: Float32Array,
  ) {}

  /** Number of entries. */
  get size(): number {
    return this.stored.length;
  }

  /** Entry of row `row`. */
  entry(row: number): MemoryEntry {
    const s = this.stored[row];
    if (!s) throw new Error(`${this.dir}: no entry at row ${row} (the memory holds ${this.size})`);
    return publicEntry(s);
  }

  /** Text embedding of row `row` (a view, not a copy). */
  textEmbedding(row: number): Float32Array {
    const d = this.manifest.embedder.dim;
    return this.textEmbeddings.subarray(row * d, (row + 1) * d);
  }

  /** Image embedding of row `row`, when the memory stores them. */
  imageEmbedding(row: number): Float32Array | undefined {
    const d = this.manifest.imageEmbedder?.dim;
    return this.imageEmbeddings && d ? this.imageEmbeddings.subarray(row * d, (row + 1) * d) : undefined;
  }

  /** Refuses an embedder whose identity or dimension differs from the one that built the memory. */
  checkEmbedder(e: Embedder): void {
    const m = this.manifest.embedder;
    checkSameEmbedder(path.join(this.dir, MEMORY_FILES.manifest), m, e);
  }

  /** The `k` nearest rows to a query vector. */
  search(query: Float32Array, k: number): SearchHits {
    if (query.length !== this.manifest.embedder.dim) {
      throw new Error(`${this.dir}: query vector has dimension ${query.length}, the memory's index has ${this.manifest.embedder.dim}`);
    }
    return this.index.search(query, k);
  }

  /** Absolute path of row `row`'s image file, or for a tar reference the shard path and member. */
  imageLocation(row: number): ImageLocation | undefined {
    const s = this.stored[row];
    if (!s?.image) return undefined;
    const rootSpec = this.manifest.imageRoots[s.root ?? 0];
    if (rootSpec === undefined) throw new Error(`${this.dir}: entry ${s.id} names image root ${s.root}, which the manifest lacks`);
    return locateImage(path.resolve(this.dir, rootSpec), s, this.dir);
  }

  /** Encoded bytes (PNG/JPEG) of row `row`'s image, or undefined for a text-only entry. */
  readImageBytes(row: number): Uint8Array | undefined {
    const loc = this.imageLocation(row);
    return loc && readImageAt(loc, this.dir, row, this.stored[row].id);
  }
}

/** Where an entry's image lies on disk. */
export interface ImageLocation {
  /** Absolute path of the image file itself or, for an image inside a WebDataset tar, of the tar shard. */
  file: string;
  /** Where the image lies inside the tar shard `file` (read it with {@link readTarMember}); absent for a plain image file. */
  member?: TarMember;
}

/**
 * Where the image of `entry` lies, its `image` being relative to the absolute folder `root`: a
 * plain file, or for a `tar://<shard>#<member>` reference the shard and the member's offset and
 * size (`meta.tarOffset` / `meta.tarSize`, recorded by the WebDataset importer). Errors name `dir`.
 */
export function locateImage(root: string, entry: Pick<MemoryEntry, 'id' | 'image' | 'meta'>, dir: string): ImageLocation | undefined {
  if (!entry.image) return undefined;
  const tar = /^tar:\/\/(.+)#(.+)$/.exec(entry.image);
  if (!tar) return { file: path.join(root, entry.image) };
  const offset = Number(entry.meta?.tarOffset);
  const size = Number(entry.meta?.tarSize);
  if (!Number.isInteger(offset) || !Number.isInteger(size)) throw new Error(`${dir}: entry ${entry.id} lacks meta.tarOffset/tarSize for ${entry.image}`);
  return { file: path.join(root, tar[1]), member: { name: tar[2], offset, size } };
}

/** The encoded bytes at `loc`; a missing file is an error naming the memory folder `dir`, the row, its id and the path. */
export function readImageAt(loc: ImageLocation, dir: string, row: number, id: string): Uint8Array {
  try {
    return loc.member ? readTarMember(loc.file, loc.member.offset, loc.member.size) : fs.readFileSync(loc.file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new Error(`${dir}: the image of row ${row} (id ${JSON.stringify(id)}) is missing: ${loc.file}${loc.member ? ` (tar member ${loc.member.name})` : ''} does not exist; restore it, or rebuild the memory without it`);
  }
}

/**
 * Refuses an embedder whose identity, dimension or Matryoshka truncation differs from the one
 * recorded in manifest `file`: scores between vectors of different embedders (or the same model
 * cut at another dimension) mean nothing.
 */
export function checkSameEmbedder(file: string, m: EmbedderIdentity, e: Embedder): void {
  const show = (id: string, dim: number, from?: number) => `${id} (dimension ${dim}${from ? `, Matryoshka-truncated from ${from}` : ''})`;
  if (e.id !== m.id || e.dim !== m.dim || (e.matryoshkaFrom ?? undefined) !== (m.matryoshkaFrom ?? undefined)) {
    throw new Error(`${file}: this memory was embedded with ${show(m.id, m.dim, m.matryoshkaFrom)}; refusing embedder ${show(e.id, e.dim, e.matryoshkaFrom)}, since mixing embedders or dimensions makes scores meaningless`);
  }
}

/** Recovers a swap a killed writer left half done, and removes its temp and old folders. */
function recoverInterruptedSwap(dir: string): void {
  recoverDirSwap(dir, (candidate) => fs.existsSync(path.join(candidate, MEMORY_FILES.manifest)));
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function readMatrix(file: string, rows: number, dim: number, sha: string | undefined, verify: boolean): Float32Array {
  const bytes = fs.readFileSync(file);
  if (verify && sha !== undefined && sha256(bytes) !== sha) {
    throw new Error(`${file}: checksum mismatch (the file changed after the memory was written, or is corrupt); rebuild the memory`);
  }
  const arr = readNpy(bytes, file);
  if (arr.dtype !== 'f4' || arr.shape.length !== 2 || arr.shape[0] !== rows || arr.shape[1] !== dim) {
    throw new Error(`${file}: expected float32 [${rows}, ${dim}], found ${arr.dtype} [${arr.shape.join(', ')}]`);
  }
  const data = arr.data as Float32Array;
  // Memories written since checksums are recorded were checked when built; older ones are checked here.
  if (sha === undefined) for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`${file}: row ${Math.floor(i / dim)}, column ${i % dim} is ${data[i]}, not a finite number`);
  }
  return data;
}

/** Whether a stored relative path stays inside the folder it is relative to (no absolute path, no `..`). */
function confined(rel: string): boolean {
  if (path.isAbsolute(rel) || rel.includes('\\') || /^[a-zA-Z]:/.test(rel)) return false;
  return !path.posix.normalize(rel).split('/').includes('..');
}

/** Refuses image roots and entry image paths that leave the memory folder (or, for an absolute import root, that root). */
function checkStoredPaths(dir: string, manifest: MemoryManifest, stored: StoredEntry[], entriesFile: string): void {
  const manifestFile = path.join(dir, MEMORY_FILES.manifest);
  manifest.imageRoots.forEach((r, i) => {
    if (!path.isAbsolute(r) && !confined(r)) throw new Error(`${manifestFile}: field "imageRoots[${i}]" (${JSON.stringify(r)}) leaves the memory folder`);
  });
  stored.forEach((s, i) => {
    if (s.image === undefined) return;
    const where = `${entriesFile}:${i + 1} (id ${JSON.stringify(s.id)})`;
    if (s.root !== undefined && (!Number.isInteger(s.root) || s.root < 0 || s.root >= manifest.imageRoots.length)) {
      throw new Error(`${where}: field "root" (${JSON.stringify(s.root)}) names no image root of the manifest`);
    }
    const tar = /^tar:\/\/(.+)#(.+)$/.exec(s.image);
    const rel = tar ? tar[1] : s.image;
    if (!confined(rel)) throw new Error(`${where}: field "image" (${JSON.stringify(s.image)}) leaves its image root; stored paths must stay inside it`);
  });
}

/** Opens the memory in folder `dir` (no index rebuild); every inconsistency is an error naming the file. */
export function openMemory(dir: string, options: OpenMemoryOptions = {}): Memory {
  recoverInterruptedSwap(dir);
  if (!fs.existsSync(path.join(dir, MEMORY_FILES.manifest))) throw new Error(`${dir}: not a memory folder (no ${MEMORY_FILES.manifest})`);
  if (readJson<{ format?: string }>(path.join(dir, MEMORY_FILES.manifest)).format === 'primed-memory-lance/1') {
    throw new Error(`${dir}: an on-disk (LanceDB) memory, which is not loaded into RAM; open it with openLanceMemory (or openAnyMemory)`);
  }
  const manifest = readManifest(dir);
  const verify = options.verifyChecksum !== false;
  const entriesFile = path.join(dir, MEMORY_FILES.entries);
  const entriesText = fs.readFileSync(entriesFile); // bytes: parsed line by line, any size
  if (verify && sha256(entriesText) !== manifest.entriesSha256) {
    throw new Error(`${entriesFile}: checksum mismatch with ${MEMORY_FILES.manifest} "entriesSha256" (the file changed after the memory was written, or is corrupt); rebuild the memory`);
  }
  const stored = parseEntriesJsonl(entriesText, entriesFile);
  if (stored.length !== manifest.count) throw new Error(`${entriesFile}: holds ${stored.length} entries, the manifest says ${manifest.count}`);
  checkStoredPaths(dir, manifest, stored, entriesFile);
  const dim = manifest.embedder.dim;
  const text = readMatrix(path.join(dir, MEMORY_FILES.textEmbeddings), manifest.count, dim, manifest.textEmbeddingsSha256, verify);
  const index = openIndex(dir, { expectDim: dim, verifyChecksum: options.verifyChecksum, ef: options.ef });
  if (index.size() !== manifest.count) throw new Error(`${dir}: index holds ${index.size()} vectors, the manifest says ${manifest.count}`);
  index.rescoreFrom?.(text);
  const img = manifest.imageEmbedder
    ? readMatrix(path.join(dir, MEMORY_FILES.imageEmbeddings), manifest.count, manifest.imageEmbedder.dim, manifest.imageEmbeddingsSha256, verify)
    : undefined;
  return new Memory(dir, manifest, stored, text, index, img);
}

/**
 * Opens the memory in `dir` whichever engine holds it: an in-RAM memory ({@link openMemory}) or
 * an on-disk LanceDB memory (`openLanceMemory`), as the manifest's format says.
 */
export async function openAnyMemory(dir: string, options: OpenMemoryOptions = {}): Promise<Memory | import('./lance/store').LanceMemory> {
  const file = path.join(dir, MEMORY_FILES.manifest);
  if (fs.existsSync(file) && readJson<{ format?: string }>(file).format === 'primed-memory-lance/1') {
    // Loaded on demand: in-RAM users never load LanceDB's native module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { openLanceMemory } = require('./lance/store') as typeof import('./lance/store');
    return openLanceMemory(dir);
  }
  return openMemory(dir, options);
}
