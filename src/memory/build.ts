/**
 * Building and extending a memory. Every write builds the complete new folder under a temp
 * name and swaps it in by rename (`replaceDirAtomic`), so a process killed while writing
 * leaves the old memory or the new one, never half of each.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeNpy } from '../data/npy';
import { recoverDirSwap, replaceDirAtomic, writeFileAtomic, writeJsonAtomic } from '../util/fs';
import { checkArtefactTarget, type ArtefactKind } from '../util/artefact';
import { acquireFolderLock, withFolderLock } from '../util/lock';
import { silentProgress, type ProgressSink } from '../util/progress';
import { createHash } from 'node:crypto';
import { validateEntry, type StoredEntry } from './entries';
import { isPrecomputed } from './embedders/precomputed';
import { MEMORY_FILES, readManifest, type MemoryManifest } from './manifest';
import { Memory, openMemory } from './store';
import type { Embedder, MemoryEntry, VectorIndex } from './types';
import { checkVector, l2NormalizeInPlace, stackRows } from './vectors';
import { chooseIndexKind, createIndex, openIndex, type IndexOptions } from './vector/open';

/** An entry to add; `imageData` (encoded PNG/JPEG) is stored inside the memory under `images/`. */
export interface MemoryInput extends MemoryEntry {
  /** Image bytes to store in the memory folder (instead of `image`, which then is set for you). */
  imageData?: {
    /** The encoded file's bytes, written as-is (not re-encoded) to `images/<safe id>.<ext>` inside the memory folder. */
    bytes: Uint8Array;
    /** File extension of the stored image, matching its encoding: `png` or `jpg` (the bytes are decoded by magic number, not by name). */
    ext: 'png' | 'jpg';
  };
}

/** Options shared by {@link buildMemory} and {@link addEntries}. */
export interface WriteMemoryOptions {
  /** The text embedder (for `addEntries` it must be the one that built the memory). */
  embedder: Embedder;
  /** Folder that the entries' image paths are relative to (an importer's `root`). Required when entries have `image` paths. */
  imageRoot?: string;
  /** Image embeddings of the entries (same order), with the id of the image tower that made them. */
  imageEmbeddings?: {
    /**
     * Identity of the image tower that made the vectors (recorded as the manifest's `imageEmbedder.id`); `addEntries` requires
     * the same id, and the same dimension, as the memory was built with.
     */
    id: string;
    /** One vector per entry, in entry order, all of the same dimension; stored as given in `image-embeddings.npy` (S_v of the visual rerank). */
    vectors: Float32Array[];
  };
  /** Texts per embedder call (progress granularity). Default 256. */
  embedBatch?: number;
  /** Progress of embedding and indexing. */
  progress?: ProgressSink;
}

/** Options of {@link buildMemory}. */
export interface BuildMemoryOptions extends WriteMemoryOptions {
  /** Index choice and parameters. Default `auto` (exact below 20,000 rows). */
  index?: IndexOptions;
  /**
   * Replace a memory already in the folder (its version is continued; the old one is kept until
   * the new one is complete). Default false: a folder holding a memory is refused. A non-empty
   * folder that is not a memory is always refused: nothing the user made is deleted.
   */
  replace?: boolean;
}

/** The memory artefact kind: how `primed memory build` recognises a folder holding a memory. */
export const MEMORY_ARTEFACT: ArtefactKind = {
  name: 'memory',
  replaceHint: '--replace (option replace: true)',
  isArtefact(dir) {
    try {
      readManifest(dir);
      return true;
    } catch {
      return false;
    }
  },
};

async function embedCaptions(entries: MemoryEntry[], o: WriteMemoryOptions): Promise<Float32Array> {
  const e = o.embedder;
  const progress = o.progress ?? silentProgress;
  if (isPrecomputed(e)) {
    if (e.rows !== entries.length) throw new Error(`${e.source}: holds ${e.rows} embeddings for ${entries.length} entries; they must match row for row`);
    return stackRows(e.rowVectors(0, entries.length), e.dim, e.source);
  }
  const batch = o.embedBatch ?? 256;
  if (!Number.isInteger(batch) || batch <= 0) throw new Error(`option "embedBatch" must be a positive integer, got ${batch}`);
  const out = new Float32Array(entries.length * e.dim);
  progress({ label: 'embed captions', done: 0, total: entries.length });
  for (let s = 0; s < entries.length; s += batch) {
    const chunk = entries.slice(s, s + batch);
    const vecs = await e.embed(chunk.map((x) => x.caption));
    if (vecs.length !== chunk.length) throw new Error(`embedder ${e.id} returned ${vecs.length} vectors for ${chunk.length} texts`);
    vecs.forEach((v, i) => {
      if (v.length !== e.dim) throw new Error(`embedder ${e.id} returned a vector of dimension ${v.length}, it declares ${e.dim}`);
      checkVector(v, e.dim, `embedder ${e.id}, entry ${s + i} (id ${JSON.stringify(chunk[i].id)})`);
      out.set(l2NormalizeInPlace(Float32Array.from(v)), (s + i) * e.dim);
    });
    progress({ label: 'embed captions', done: Math.min(s + batch, entries.length), total: entries.length });
  }
  return out;
}

function addToIndex(index: VectorIndex, vectors: Float32Array, progress: ProgressSink): void {
  const rows = vectors.length / index.dim;
  // usearch adds a batch on all cores: bigger batches keep the threads busy.
  const step = index.kind === 'usearch' ? 50_000 : 2000;
  for (let s = 0; s < rows; s += step) {
    index.add(vectors.subarray(s * index.dim, Math.min(rows, s + step) * index.dim));
    progress({ label: `index (${index.kind})`, done: Math.min(rows, s + step), total: rows });
  }
}

function safeFileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) + '-' + createHash('sha1').update(id).digest('hex').slice(0, 8);
}

/** Turns inputs into stored entries, writing `imageData` into `tmp/images`. */
function storeEntries(inputs: MemoryInput[], tmp: string, imageRoots: string[], o: WriteMemoryOptions, seen: Set<string>): StoredEntry[] {
  let rootIndex: number | undefined;
  if (o.imageRoot !== undefined) {
    const abs = path.resolve(o.imageRoot);
    rootIndex = imageRoots.indexOf(abs);
    if (rootIndex < 0) rootIndex = imageRoots.push(abs) - 1;
  }
  return inputs.map((input, i) => {
    const { imageData, ...e } = input;
    validateEntry(e, `entry ${i}`);
    if (seen.has(e.id)) throw new Error(`entry ${i}: duplicate id ${JSON.stringify(e.id)}`);
    seen.add(e.id);
    const s: StoredEntry = { ...e };
    if (imageData) {
      let inner = imageRoots.indexOf('.');
      if (inner < 0) inner = imageRoots.push('.') - 1;
      const rel = `${MEMORY_FILES.images}/${safeFileName(e.id)}.${imageData.ext}`;
      fs.mkdirSync(path.join(tmp, MEMORY_FILES.images), { recursive: true });
      fs.writeFileSync(path.join(tmp, rel), imageData.bytes);
      s.image = rel;
      s.root = inner;
    } else if (e.image !== undefined) {
      if (rootIndex === undefined) throw new Error(`entry ${i} (id ${JSON.stringify(e.id)}): has an image path but option "imageRoot" is not set`);
      s.root = rootIndex;
    }
    return s;
  });
}

function imageMatrix(o: WriteMemoryOptions, n: number): { id: string; dim: number; data: Float32Array } | undefined {
  if (!o.imageEmbeddings) return undefined;
  const { id, vectors } = o.imageEmbeddings;
  if (vectors.length !== n) throw new Error(`option "imageEmbeddings": ${vectors.length} vectors for ${n} entries`);
  const dim = vectors[0]?.length ?? 0;
  return { id, dim, data: stackRows(vectors, dim, 'option "imageEmbeddings"') };
}

function writeFolder(
  tmp: string,
  manifest: Omit<MemoryManifest, 'entriesSha256' | 'textEmbeddingsSha256' | 'imageEmbeddingsSha256' | 'updatedAt'>,
  stored: StoredEntry[],
  text: Float32Array,
  index: VectorIndex,
  image?: Float32Array,
): void {
  const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
  // One buffer of lines, not one string: memories over V8's 512 MiB string limit can be written.
  const jsonl = Buffer.concat(stored.map((s) => Buffer.from(JSON.stringify(s) + '\n', 'utf8')));
  writeFileAtomic(path.join(tmp, MEMORY_FILES.entries), jsonl);
  const textNpy = writeNpy({ dtype: 'f4', shape: [stored.length, manifest.embedder.dim], data: text });
  writeFileAtomic(path.join(tmp, MEMORY_FILES.textEmbeddings), textNpy);
  let imageSha: string | undefined;
  if (image && manifest.imageEmbedder) {
    const imageNpy = writeNpy({ dtype: 'f4', shape: [stored.length, manifest.imageEmbedder.dim], data: image });
    writeFileAtomic(path.join(tmp, MEMORY_FILES.imageEmbeddings), imageNpy);
    imageSha = sha(imageNpy);
  }
  index.save(tmp);
  // The manifest goes last: a folder without it is never mistaken for a memory.
  writeJsonAtomic(path.join(tmp, MEMORY_FILES.manifest), {
    ...manifest,
    entriesSha256: sha(jsonl),
    textEmbeddingsSha256: sha(textNpy),
    ...(imageSha ? { imageEmbeddingsSha256: imageSha } : {}),
    updatedAt: new Date().toISOString(),
  } satisfies MemoryManifest);
}

/**
 * Builds a memory in folder `dir` from `entries` (replacing any memory there, whose version
 * it continues), embedding captions with `options.embedder` and indexing them.
 */
export async function buildMemory(dir: string, entries: MemoryInput[], options: BuildMemoryOptions): Promise<Memory> {
  // One writer per memory folder; a crashed earlier write is recovered first.
  const lock = acquireFolderLock(dir, 'memory');
  try {
    recoverDirSwap(dir, (c) => MEMORY_ARTEFACT.isArtefact(c));
    checkArtefactTarget(dir, MEMORY_ARTEFACT, options.replace === true);
    return await buildLocked(dir, entries, options);
  } finally {
    lock.release();
  }
}

async function buildLocked(dir: string, entries: MemoryInput[], options: BuildMemoryOptions): Promise<Memory> {
  const progress = options.progress ?? silentProgress;
  let version = 1;
  if (fs.existsSync(path.join(dir, MEMORY_FILES.manifest))) {
    try {
      version = readManifest(dir).version + 1;
    } catch {
      version = 1;
    }
  }
  const text = await embedCaptions(entries, options);
  const img = imageMatrix(options, entries.length);
  const kind = chooseIndexKind(entries.length, options.index);
  await replaceDirAtomic(dir, (tmp) => {
    const imageRoots: string[] = [];
    const stored = storeEntries(entries, tmp, imageRoots, options, new Set());
    const index = createIndex(kind, options.embedder.dim, options.index);
    addToIndex(index, text, progress);
    const idx = options.index ?? {};
    writeFolder(
      tmp,
      {
        format: 'primed-memory/1',
        version,
        count: stored.length,
        embedder: { id: options.embedder.id, dim: options.embedder.dim, ...(options.embedder.spec ? { spec: options.embedder.spec } : {}), ...(options.embedder.matryoshkaFrom ? { matryoshkaFrom: options.embedder.matryoshkaFrom } : {}) },
        ...(img ? { imageEmbedder: { id: img.id, dim: img.dim } } : {}),
        index: { kind, choice: idx.kind ?? 'auto', autoThreshold: idx.autoThreshold, hnsw: idx.hnsw, ...(idx.usearch ? { usearch: idx.usearch } : {}) },
        imageRoots,
      },
      stored,
      text,
      index,
      img?.data,
    );
  });
  return openMemory(dir, { verifyChecksum: false });
}

/** Hard-links (or copies) every file under `from` into `to`. */
function linkTree(from: string, to: string): void {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const d of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, d.name);
    const b = path.join(to, d.name);
    if (d.isDirectory()) linkTree(a, b);
    else {
      try {
        fs.linkSync(a, b);
      } catch {
        fs.copyFileSync(a, b);
      }
    }
  }
}

/**
 * Adds `entries` to `memory` and returns the memory reopened at its new version. The embedder
 * must be the memory's own (same id and dimension). The index is extended (HNSW is not
 * rebuilt), or rebuilt as an approximate index (usearch) when `auto` crosses its threshold; a
 * memory whose `auto` index is already HNSW (hnswlib-node, the choice before usearch) keeps it.
 */
export async function addEntries(memory: Memory, entries: MemoryInput[], options: WriteMemoryOptions): Promise<Memory> {
  return withFolderLock(memory.dir, 'memory', () => addLocked(memory, entries, options));
}

async function addLocked(memory: Memory, entries: MemoryInput[], options: WriteMemoryOptions): Promise<Memory> {
  memory.checkEmbedder(options.embedder);
  const progress = options.progress ?? silentProgress;
  const m = memory.manifest;
  const img = imageMatrix(options, entries.length);
  if (m.imageEmbedder && (!img || img.id !== m.imageEmbedder.id || img.dim !== m.imageEmbedder.dim)) {
    throw new Error(`${memory.dir}: this memory stores image embeddings from ${m.imageEmbedder.id} (dimension ${m.imageEmbedder.dim}); option "imageEmbeddings" must give the same for the new entries`);
  }
  if (!m.imageEmbedder && img) throw new Error(`${memory.dir}: this memory stores no image embeddings; option "imageEmbeddings" cannot add some`);
  const text = await embedCaptions(entries, options);
  const total = m.count + entries.length;
  const chosen = chooseIndexKind(total, { kind: m.index.choice, autoThreshold: m.index.autoThreshold });
  // An approximate index stays the kind it is: switching hnsw -> usearch would rebuild it whole.
  const kind = chosen === 'usearch' && m.index.kind === 'hnsw' ? 'hnsw' : chosen;
  await replaceDirAtomic(memory.dir, (tmp) => {
    linkTree(path.join(memory.dir, MEMORY_FILES.images), path.join(tmp, MEMORY_FILES.images));
    const imageRoots = [...m.imageRoots];
    const seen = new Set(memory.stored.map((s) => s.id));
    const added = storeEntries(entries, tmp, imageRoots, options, seen);
    const allText = new Float32Array(total * m.embedder.dim);
    allText.set(memory.textEmbeddings);
    allText.set(text, memory.textEmbeddings.length);
    let index: VectorIndex;
    if (kind === m.index.kind) {
      // Reopen from disk rather than mutate the caller's open index.
      index = openIndex(memory.dir, { expectDim: m.embedder.dim, verifyChecksum: false });
      addToIndex(index, text, progress);
    } else {
      index = createIndex(kind, m.embedder.dim, { hnsw: m.index.hnsw, usearch: m.index.usearch });
      addToIndex(index, allText, progress);
    }
    let allImage: Float32Array | undefined;
    if (img && memory.imageEmbeddings) {
      allImage = new Float32Array(total * img.dim);
      allImage.set(memory.imageEmbeddings);
      allImage.set(img.data, memory.imageEmbeddings.length);
    }
    const { entriesSha256: _h, textEmbeddingsSha256: _t, imageEmbeddingsSha256: _i, updatedAt: _u, ...base } = m;
    writeFolder(tmp, { ...base, version: m.version + 1, count: total, index: { ...m.index, kind }, imageRoots }, [...memory.stored, ...added], allText, index, allImage);
  });
  return openMemory(memory.dir, { verifyChecksum: false });
}
