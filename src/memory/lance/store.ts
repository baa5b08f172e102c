/**
 * The on-disk memory for paper-scale corpora (millions of image–caption pairs): one LanceDB
 * table holds each entry's row, id, caption, image reference, domain, metadata and its vector
 * (float16 or float32), so nothing needs to fit in RAM. Search is exact (the vectors stream
 * through a matrix product on the tensor backend: {@link exactSearchChunked}) or approximate
 * (LanceDB's IVF-PQ index, refined against the full vectors); LanceDB's full-text index serves
 * the BM25 stage.
 *
 * Builds resume: rows are committed in batches (each `add` is one atomic LanceDB commit), in
 * the fixed order of the source, so after `kill -9` the same command counts the committed rows,
 * skips them in the source, and continues: no duplicate, no lost row.
 *
 * Folder layout: `manifest.json` ({@link LanceManifest}), `lance/entries.lance/` (the table).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import './env';
import * as lancedb from '@lancedb/lancedb';
import * as arrow from 'apache-arrow';
import { readJson, writeJsonAtomic } from '../../util/fs';
import { acquireFolderLock } from '../../util/lock';
import { silentProgress, type ProgressSink } from '../../util/progress';
import type { EmbedderIdentity } from '../manifest';
import { checkSameEmbedder, locateImage, readImageAt, type ImageLocation } from '../store';
import type { MemoryRetrievalOptions, ReferenceMemory } from '../reference-set';
import type { VisualScorer } from '../retrieval/visual';
import type { Embedder, MemoryEntry, SearchHits } from '../types';
import { checkVector, l2NormalizeInPlace } from '../vectors';
import { streamEntries } from '../importers/stream';
import { applyTieRobustThreshold } from '../retrieval/dense';
import type { Candidate } from '../retrieval/candidate';
import { retrieveBatchFromLance } from './retrieve';
import { exactSearchChunked, type VectorChunk, type VectorChunkSource } from '../vector/chunked-exact';
import { fromHalf, toHalf } from './half';
import { checkUniqueIds, type IdOrigin } from './unique-ids';

/** Format tag of an on-disk memory's manifest. */
export const LANCE_FORMAT = 'primed-memory-lance/1';

const TABLE = 'entries';
const DB_DIR = 'lance';
const MANIFEST = 'manifest.json';

/** The approximate vector index of an on-disk memory. */
export interface LanceIndexOptions {
  /** `ivf-pq` (default: IVF partitions of product-quantised vectors, refined against the full vectors) or `none` (exact search only). */
  kind?: 'ivf-pq' | 'none';
  /** IVF partitions. Default √rows, at least 1. */
  partitions?: number;
  /** PQ sub-vectors (must divide the dimension). Default dim / 16. */
  subVectors?: number;
  /** Partitions probed per query. Default 32. */
  nprobes?: number;
  /**
   * Candidates re-scored against the full vectors, as a multiple of k. Default 50: on clustered
   * 1024-d vectors (1M rows, bench/results/memory-scale-1m.json) PQ codes alone cannot order the
   * hundreds of near neighbours of one cluster; ×10 reached recall@10 0.56, ×50 0.998.
   */
  refineFactor?: number;
  /**
   * k-means iterations when training the index (LanceDB's `maxIterations`). Default 10, as faiss
   * trains its IVF: on clustered 1024-d vectors (250k rows, 244 partitions) LanceDB's own default
   * of 50 took 3.1× the build time (197 against 64 s) for the same recall@10 (0.9995 at refine ×50;
   * 0.961 against 0.963 at ×10).
   */
  kmeansIterations?: number;
}

/** Contents of an on-disk memory's `manifest.json`. */
export interface LanceManifest {
  /** Format tag {@link LANCE_FORMAT}. */
  format: typeof LANCE_FORMAT;
  /** Storage engine: LanceDB. */
  engine: 'lance';
  /** Incremented each time a build or add completes. */
  version: number;
  /** Rows committed when the manifest was last written (the table's row count is the truth while a build runs). */
  count: number;
  /** Whether every source is fully committed and indexed; false while a build or add is under way or was killed. */
  complete: boolean;
  /** The text embedder of the vectors (id, dimension, Matryoshka truncation). */
  embedder: EmbedderIdentity;
  /** Storage type of the vectors. */
  vectorType: 'float16' | 'float32';
  /** Vector index parameters (resolved when the index was built). */
  index: Required<LanceIndexOptions>;
  /** Sources in the order they were added, each with the row it starts at and (once committed) its row count. */
  sources: {
    /** Absolute path of the source (JSONL, CSV, shard or folder of shards). */
    path: string;
    /** Folder the source's image paths are relative to. */
    root: string;
    /** First row of this source. */
    startRow: number;
    /** Rows of the source (counted by the validation pass before anything is committed). */
    rows: number;
  }[];
  /** Rows per committed batch. */
  batchRows: number;
  /** When the manifest was last written (ISO 8601). */
  updatedAt: string;
}

/** Options of {@link buildLanceMemory} and {@link addToLanceMemory}. */
export interface LanceBuildOptions {
  /** The text embedder (for `add` and a resume, the memory's own). */
  embedder: Embedder;
  /** Vector storage type. Default `float16` (half the disk; scores differ from float32 by about 1e-3). */
  vectorType?: 'float16' | 'float32';
  /** Rows per commit (and per embedder call). Default 4096. */
  batchRows?: number;
  /** Vector index. Default IVF-PQ. */
  index?: LanceIndexOptions;
  /** Progress of validation, commits and indexing. */
  progress?: ProgressSink;
  /** One line per notable event (resuming, indexing). */
  log?: (line: string) => void;
}

/** What a build or add did. */
export interface LanceBuildReport {
  /** Rows the table held when this call started (committed by an earlier, interrupted call). */
  resumedFrom: number;
  /** Rows this call committed. */
  committed: number;
  /** Rows in the memory now. */
  count: number;
}

function entriesSchema(dim: number, vectorType: 'float16' | 'float32'): arrow.Schema {
  const item = vectorType === 'float16' ? new arrow.Float16() : new arrow.Float32();
  return new arrow.Schema([
    new arrow.Field('row', new arrow.Int64(), false),
    new arrow.Field('id', new arrow.Utf8(), false),
    new arrow.Field('caption', new arrow.Utf8(), false),
    new arrow.Field('image', new arrow.Utf8(), true),
    new arrow.Field('domain', new arrow.Utf8(), true),
    new arrow.Field('meta', new arrow.Utf8(), true),
    new arrow.Field('root', new arrow.Int32(), false),
    new arrow.Field('vector', new arrow.FixedSizeList(dim, new arrow.Field('item', item, false)), false),
  ]);
}

/** A bound on the stored vectors' norms (normalised, then stored as float16 or float32), with room to spare; see `vectorSource`. */
const STORED_MAX_NORM = 1 + 2 ** -8;

/** One Arrow table of entries and their (normalised) vectors, rows numbered from `startRow`. */
function arrowBatch(schema: arrow.Schema, startRow: number, root: number, entries: MemoryEntry[], vectors: Float32Array, dim: number, vectorType: 'float16' | 'float32'): arrow.Table {
  const n = entries.length;
  const str = (values: (string | null)[]) => arrow.vectorFromArray(values, new arrow.Utf8()).data[0];
  const rows = arrow.makeData({ type: new arrow.Int64(), length: n, nullCount: 0, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(startRow + i)) });
  const roots = arrow.makeData({ type: new arrow.Int32(), length: n, nullCount: 0, data: new Int32Array(n).fill(root) });
  const itemType = vectorType === 'float16' ? new arrow.Float16() : new arrow.Float32();
  const child = arrow.makeData({ type: itemType, length: n * dim, nullCount: 0, data: vectorType === 'float16' ? toHalf(vectors) : vectors } as never);
  const vec = arrow.makeData({ type: schema.fields[7].type as arrow.FixedSizeList, length: n, nullCount: 0, child });
  const children = [
    rows,
    str(entries.map((e) => e.id)),
    str(entries.map((e) => e.caption)),
    str(entries.map((e) => e.image ?? null)),
    str(entries.map((e) => e.domain ?? null)),
    str(entries.map((e) => (e.meta ? JSON.stringify(e.meta) : null))),
    roots,
    vec,
  ];
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, struct)]);
}

function readLanceManifest(dir: string): LanceManifest {
  const file = path.join(dir, MANIFEST);
  const m = readJson<LanceManifest>(file);
  if (m.format !== LANCE_FORMAT) throw new Error(`${file}: not an on-disk memory manifest (format ${JSON.stringify(m.format)})`);
  if (!m.embedder || typeof m.embedder.id !== 'string' || !Number.isInteger(m.embedder.dim) || m.embedder.dim <= 0) throw new Error(`${file}: field "embedder" must be { id: string, dim: positive integer }`);
  if (m.vectorType !== 'float16' && m.vectorType !== 'float32') throw new Error(`${file}: field "vectorType" must be float16 or float32`);
  if (!Array.isArray(m.sources)) throw new Error(`${file}: field "sources" must be an array`);
  if (!Number.isInteger(m.count) || m.count < 0) throw new Error(`${file}: field "count" must be a non-negative integer`);
  return m;
}

/** Whether folder `dir` holds an on-disk (LanceDB) memory. */
export function isLanceMemory(dir: string): boolean {
  try {
    return readJson<{ format?: string }>(path.join(dir, MANIFEST)).format === LANCE_FORMAT;
  } catch {
    return false;
  }
}

function resolveIndex(o: LanceIndexOptions | undefined, dim: number, rows: number): Required<LanceIndexOptions> {
  const kind = o?.kind ?? 'ivf-pq';
  if (kind !== 'ivf-pq' && kind !== 'none') throw new Error(`index option "kind" must be ivf-pq or none, got ${JSON.stringify(kind)}`);
  const r: Required<LanceIndexOptions> = {
    kind,
    partitions: o?.partitions ?? Math.max(1, Math.round(Math.sqrt(rows))),
    subVectors: o?.subVectors ?? Math.max(1, Math.floor(dim / 16)),
    nprobes: o?.nprobes ?? 32,
    refineFactor: o?.refineFactor ?? 50,
    kmeansIterations: o?.kmeansIterations ?? 10,
  };
  for (const f of ['partitions', 'subVectors', 'nprobes', 'refineFactor', 'kmeansIterations'] as const) {
    if (!Number.isInteger(r[f]) || r[f] <= 0) throw new Error(`index option "${f}" must be a positive integer, got ${r[f]}`);
  }
  if (dim % r.subVectors !== 0) throw new Error(`index option "subVectors" (${r.subVectors}) must divide the dimension ${dim}`);
  return r;
}

/** The ids of the rows below `endRow` (those of earlier sources), read from the table. */
async function* committedIds(dir: string, endRow: number): AsyncGenerator<IdOrigin> {
  if (endRow <= 0) return;
  const table = await openTable(dir);
  for await (const b of table.query().where(`row < ${endRow}`).select(['row', 'id']) as AsyncIterable<arrow.RecordBatch>) {
    const ids = b.getChild('id')!;
    const rows = b.getChild('row')!;
    for (let i = 0; i < b.numRows; i++) yield { id: String(ids.get(i)), where: `row ${Number(rows.get(i))} of the memory ${dir}` };
  }
}

async function openTable(dir: string, schema?: arrow.Schema): Promise<lancedb.Table> {
  const db = await lancedb.connect(path.join(dir, DB_DIR));
  const names = await db.tableNames();
  if (names.includes(TABLE)) return db.openTable(TABLE);
  if (!schema) throw new Error(`${path.join(dir, DB_DIR)}: the table "${TABLE}" is missing; the memory is damaged`);
  return db.createEmptyTable(TABLE, schema);
}

/**
 * Builds an on-disk memory in `dir` from `source` (JSONL, CSV, a `.tar` shard or a folder of
 * shards), or continues a build of the same source that was killed. Every row is validated
 * before the first commit (a bad row is an error naming its file and line or shard and key, and
 * nothing is written); rows are then embedded and committed `batchRows` at a time.
 */
export async function buildLanceMemory(dir: string, source: string, options: LanceBuildOptions): Promise<LanceBuildReport> {
  return ingest(dir, source, options, 'build');
}

/** Adds the entries of `source` to the on-disk memory in `dir` (resumable like {@link buildLanceMemory}). */
export async function addToLanceMemory(dir: string, source: string, options: LanceBuildOptions): Promise<LanceBuildReport> {
  return ingest(dir, source, options, 'add');
}

async function ingest(dir: string, source: string, o: LanceBuildOptions, mode: 'build' | 'add'): Promise<LanceBuildReport> {
  const progress = o.progress ?? silentProgress;
  const log = o.log ?? (() => {});
  const batchRows = o.batchRows ?? 4096;
  if (!Number.isInteger(batchRows) || batchRows <= 0) throw new Error(`option "batchRows" must be a positive integer, got ${batchRows}`);
  if (o.vectorType !== undefined && o.vectorType !== 'float16' && o.vectorType !== 'float32') throw new Error(`option "vectorType" must be float16 or float32, got ${JSON.stringify(o.vectorType)}`);
  if (o.index) resolveIndex(o.index, o.embedder.dim, 1); // bad index options are refused before the folder is made
  const abs = path.resolve(source);
  fs.mkdirSync(dir, { recursive: true });
  const lock = acquireFolderLock(dir, 'memory');
  try {
    const e = o.embedder;
    let m: LanceManifest | undefined;
    if (isLanceMemory(dir)) m = readLanceManifest(dir);
    else if (fs.readdirSync(dir).some((f) => !f.startsWith('.'))) {
      throw new Error(`${dir}: holds files that are not an on-disk memory; build into a new or empty folder (nothing here is deleted)`);
    }
    if (m) checkSameEmbedder(path.join(dir, MANIFEST), m.embedder, e);
    if (mode === 'add' && !m) throw new Error(`${dir}: no on-disk memory to add to (build one first)`);
    const last = m?.sources[m.sources.length - 1];
    const resuming = !!m && !m.complete && last?.path === abs;
    if (m && !m.complete && !resuming) {
      throw new Error(`${path.join(dir, MANIFEST)}: a build or add of ${last?.path} was interrupted; run it again with that source to finish it before adding ${abs}`);
    }
    if (mode === 'build' && m && !resuming) {
      if (m.sources[0]?.path === abs) {
        log(`${dir}: already built from ${abs} (${m.count} rows); nothing to do`);
        return { resumedFrom: m.count, committed: 0, count: m.count };
      }
      throw new Error(`${dir}: already holds an on-disk memory built from ${m.sources[0]?.path}; use add for another source`);
    }
    const vectorType = m?.vectorType ?? o.vectorType ?? 'float16'; // both checked: the option on entry, the manifest when read

    // Validation pass: every row of the source is read and checked before anything is committed,
    // and no id may repeat, within the source or against the rows earlier sources committed.
    const stream = streamEntries(source);
    const startRow = resuming ? last!.startRow : (m?.count ?? 0);
    let total = 0;
    progress({ label: 'check source rows', done: 0, total: 1 });
    await checkUniqueIds(
      () => committedIds(dir, startRow),
      function* () {
        let n = 0;
        for (const entry of stream.entries()) yield { id: entry.id, where: `${abs}: entry ${++n}` };
        total = n;
      },
    );
    progress({ label: 'check source rows', done: 1, total: 1 });
    if (total === 0) throw new Error(`${source}: no entries`);

    if (resuming && last!.rows !== total) throw new Error(`${source}: now holds ${total} rows, ${last!.rows} when this build started; the source changed, so the build cannot resume (build into a new folder)`);
    const sources = resuming ? m!.sources : [...(m?.sources ?? []), { path: abs, root: stream.root, startRow, rows: total }];
    const rootIndex = sources.length - 1;
    const base: LanceManifest = {
      format: LANCE_FORMAT,
      engine: 'lance',
      version: m?.version ?? 0,
      count: m?.count ?? 0,
      complete: false,
      embedder: { id: e.id, dim: e.dim, ...(e.spec ? { spec: e.spec } : {}), ...(e.matryoshkaFrom ? { matryoshkaFrom: e.matryoshkaFrom } : {}) },
      vectorType,
      index: resolveIndex(o.index ?? m?.index, e.dim, startRow + total),
      sources,
      batchRows,
      updatedAt: new Date().toISOString(),
    };
    writeJsonAtomic(path.join(dir, MANIFEST), base);

    const schema = entriesSchema(e.dim, vectorType);
    const table = await openTable(dir, schema);
    const before = await table.countRows();
    const skip = before - startRow;
    if (skip < 0 || skip > total) throw new Error(`${path.join(dir, DB_DIR)}: the table holds ${before} rows, which does not fit source ${abs} (rows ${startRow}..${startRow + total - 1}); the memory is damaged`);
    if (skip > 0) log(`resuming: ${skip} of ${total} rows of ${abs} were committed before; continuing at row ${startRow + skip}`);

    let batch: MemoryEntry[] = [];
    let next = startRow + skip;
    let i = 0;
    const label = `commit rows (${stream.describe})`;
    progress({ label, done: skip, total });
    const flush = async () => {
      const texts = batch.map((x) => x.caption);
      const vecs = await e.embed(texts);
      if (vecs.length !== batch.length) throw new Error(`embedder ${e.id} returned ${vecs.length} vectors for ${batch.length} texts`);
      const flat = new Float32Array(batch.length * e.dim);
      vecs.forEach((v, j) => {
        const where = `embedder ${e.id}, row ${next + j} (id ${JSON.stringify(batch[j].id)})`;
        if (v.length !== e.dim) throw new Error(`${where}: vector of dimension ${v.length}, the memory's is ${e.dim}`);
        checkVector(v, e.dim, where);
        flat.set(l2NormalizeInPlace(Float32Array.from(v)), j * e.dim);
      });
      await table.add(arrowBatch(schema, next, rootIndex, batch, flat, e.dim, vectorType));
      next += batch.length;
      batch = [];
      progress({ label, done: next - startRow, total });
    };
    for (const entry of stream.entries()) {
      if (i++ < skip) continue;
      batch.push(entry);
      if (batch.length === batchRows) await flush();
    }
    if (batch.length) await flush();
    const count = await table.countRows();
    if (count !== startRow + total) throw new Error(`${path.join(dir, DB_DIR)}: holds ${count} rows after committing, expected ${startRow + total}`);

    await buildIndexes(table, base.index, count, progress, log);
    writeJsonAtomic(path.join(dir, MANIFEST), { ...base, version: base.version + 1, count, complete: true, updatedAt: new Date().toISOString() } satisfies LanceManifest);
    return { resumedFrom: skip, committed: total - skip, count };
  } finally {
    lock.release();
  }
}

async function buildIndexes(table: lancedb.Table, index: Required<LanceIndexOptions>, count: number, progress: ProgressSink, log: (line: string) => void): Promise<void> {
  const steps = index.kind === 'ivf-pq' ? 3 : 2;
  progress({ label: 'index', done: 0, total: steps });
  await table.createIndex('row', { config: lancedb.Index.btree(), replace: true });
  await table.createIndex('caption', { config: lancedb.Index.fts(), replace: true });
  progress({ label: 'index', done: 2, total: steps });
  if (index.kind === 'ivf-pq') {
    // PQ training needs at least 256 rows; a smaller memory is searched exactly.
    if (count >= 256) {
      log(`building the IVF-PQ index (${Math.min(index.partitions, count)} partitions, ${index.subVectors} sub-vectors, ${index.kmeansIterations} k-means iterations) over ${count} rows`);
      await table.createIndex('vector', {
        config: lancedb.Index.ivfPq({ distanceType: 'dot', numPartitions: Math.min(index.partitions, count), numSubVectors: index.subVectors, maxIterations: index.kmeansIterations }),
        replace: true,
      });
    }
    progress({ label: 'index', done: 3, total: steps });
  }
}

/** One hit of {@link LanceMemory.bm25}. */
export interface Bm25Hit {
  /** Row in the memory. */
  row: number;
  /** BM25 score of its caption. */
  bm25: number;
}

/** A row found by {@link LanceMemory.rowsWithImages}. */
export interface ImageRow {
  /** Row in the memory. */
  row: number;
  /** Its entry id. */
  id: string;
  /** Its image path, relative to its source's root. */
  image: string;
}

/** Options of {@link LanceMemory.searchBatch}. */
export interface LanceSearchOptions {
  /** `exact` (every vector, chunked matrix products on the tensor backend) or `index` (IVF-PQ, refined). Default `index` when built, else `exact`. */
  mode?: 'exact' | 'index';
  /** Override of the manifest's `nprobes`. */
  nprobes?: number;
  /** Override of the manifest's `refineFactor`. */
  refineFactor?: number;
  /** Vectors per matrix product in exact mode. Default 32,768. */
  chunkRows?: number;
  /** Search among the rows that have an image only (text-only rows are never candidates). Default false. */
  imageOnly?: boolean;
}

/** An on-disk memory opened for reading; it serves the reference-set path as a {@link ReferenceMemory}. */
export class LanceMemory implements ReferenceMemory {
  /** The storage engine (the in-RAM memory's is `in-ram`). */
  readonly engine = 'lance' as const;

  /** @internal Use {@link openLanceMemory}. */
  constructor(
    /** The memory folder. */
    readonly dir: string,
    /** Its manifest. */
    readonly manifest: LanceManifest,
    private readonly table: lancedb.Table,
    private readonly hasVectorIndex: boolean,
  ) {}

  /** Number of entries. */
  get size(): number {
    return this.manifest.count;
  }

  /** Refuses an embedder whose identity, dimension or truncation differs from the memory's. */
  checkEmbedder(e: Embedder): void {
    checkSameEmbedder(path.join(this.dir, MANIFEST), this.manifest.embedder, e);
  }

  /** The search mode of the dense stage when the options name none: `index` when the memory has a vector index, else `exact`. */
  get defaultSearchMode(): 'exact' | 'index' {
    return this.hasVectorIndex ? 'index' : 'exact';
  }

  /** The entries of `rows` (in that order). */
  async entries(rows: number[]): Promise<MemoryEntry[]> {
    return (await this.storedRows(rows)).map((s) => s.entry);
  }

  /** Entries of `rows` with the index of the source each came from (its `root` column). */
  private async storedRows(rows: number[]): Promise<{ entry: MemoryEntry; source: number }[]> {
    if (rows.length === 0) return [];
    for (const r of rows) if (!Number.isInteger(r) || r < 0 || r >= this.size) throw new Error(`${this.dir}: no entry at row ${r} (the memory holds ${this.size})`);
    const got = await this.table.query().where(`row IN (${[...new Set(rows)].join(',')})`).select(['row', 'id', 'caption', 'image', 'domain', 'meta', 'root']).toArray();
    const byRow = new Map(got.map((g) => [Number(g.row), g]));
    return rows.map((r) => {
      const g = byRow.get(r);
      if (!g) throw new Error(`${this.dir}: row ${r} is missing from the table; the memory is damaged`);
      const e: MemoryEntry = { id: g.id, caption: g.caption };
      if (g.image != null) e.image = g.image;
      if (g.domain != null) e.domain = g.domain;
      if (g.meta != null) e.meta = JSON.parse(g.meta);
      return { entry: e, source: Number(g.root) };
    });
  }

  /**
   * Where the images of `rows` lie (undefined for a text-only entry): each entry's `image` is
   * relative to the root of the source it was imported from (`manifest.sources[i].root`), and a
   * WebDataset entry's is a `tar://<shard>#<member>` reference with the member's offset in `meta`.
   */
  async imageLocations(rows: number[]): Promise<(ImageLocation | undefined)[]> {
    return (await this.storedRows(rows)).map((s, i) => this.locate(rows[i], s.entry, s.source));
  }

  private locate(row: number, entry: MemoryEntry, source: number): ImageLocation | undefined {
    if (!entry.image) return undefined;
    const src = this.manifest.sources[source];
    if (!src) throw new Error(`${this.dir}: row ${row} (id ${JSON.stringify(entry.id)}) names source ${source}, which ${MANIFEST} lacks; the memory is damaged`);
    return locateImage(src.root, entry, this.dir);
  }

  /** Encoded bytes (PNG/JPEG) of the images of `rows`, undefined for a text-only entry; a missing file is an error naming the memory, row, id and path. */
  async readImages(rows: number[]): Promise<(Uint8Array | undefined)[]> {
    return (await this.storedRows(rows)).map(({ entry, source }, i) => {
      const loc = this.locate(rows[i], entry, source);
      return loc && readImageAt(loc, this.dir, rows[i], entry.id);
    });
  }

  /**
   * Rows of source `source` (index into `manifest.sources`) whose `image` is one of `images` (paths
   * relative to that source's root, as stored), found by LanceDB's filter: no row is read into JS
   * unless it matches.
   */
  async rowsWithImages(source: number, images: string[]): Promise<ImageRow[]> {
    const out: ImageRow[] = [];
    const sql = (v: string) => `'${v.replace(/'/g, "''")}'`;
    for (let i = 0; i < images.length; i += 500) {
      const list = images.slice(i, i + 500).map(sql).join(',');
      const got = await this.table.query().where(`root = ${source} AND image IN (${list})`).select(['row', 'id', 'image']).toArray();
      for (const g of got) out.push({ row: Number(g.row), id: String(g.id), image: String(g.image) });
    }
    return out;
  }

  /** Encoded bytes of row `row`'s image, or undefined for a text-only entry. */
  async readImageBytes(row: number): Promise<Uint8Array | undefined> {
    return (await this.readImages([row]))[0];
  }

  /**
   * The retrieval pipeline for a batch of queries ({@link retrieveBatchFromLance}): the dense
   * stage searches as `options.search` says, else by the memory's {@link defaultSearchMode}; with
   * `dropTextOnly` (default) among rows with an image only, as the in-RAM pipeline does.
   */
  retrieveBatch(queries: string[], vectors: Float32Array[], options: MemoryRetrievalOptions & { k: number }, scorer?: VisualScorer, progress?: ProgressSink): Promise<Candidate[][]> {
    const imageOnly = options.dropTextOnly !== false;
    return retrieveBatchFromLance(this, queries, vectors, { ...options, search: { ...options.search, imageOnly } }, scorer, progress);
  }

  /**
   * What identifies this memory's retrieval results in a reference-set cache key: the engine, its
   * manifest (version, rows, sources, when it was completed, embedder, vector type) and the dense
   * search mode used (with the index parameters when searching by the index).
   */
  cacheIdentity(retrieval: MemoryRetrievalOptions = {}): Record<string, unknown> {
    const m = this.manifest;
    const mode = retrieval.search?.mode ?? this.defaultSearchMode;
    return {
      engine: 'lance',
      version: m.version,
      count: m.count,
      updatedAt: m.updatedAt,
      sources: m.sources.map((s) => ({ path: s.path, rows: s.rows })),
      embedder: m.embedder.id,
      vectorType: m.vectorType,
      search: mode === 'index' && this.hasVectorIndex ? { mode, nprobes: m.index.nprobes, refineFactor: m.index.refineFactor } : { mode: 'exact' },
    };
  }

  /** The stored vectors as a chunk stream, for {@link exactSearchChunked}; with `imageOnly`, those of rows with an image only. */
  vectorSource(options: { imageOnly?: boolean } = {}): VectorChunkSource {
    const dim = this.manifest.embedder.dim;
    const table = this.table;
    const dbDir = path.join(this.dir, DB_DIR);
    return {
      dim,
      count: this.size,
      // Every vector was L2-normalised before it was written; float16 storage rounds each component
      // by at most 2^-11 of itself (plus 2^-25 for subnormals), so norms stay below 1 + 2^-10.
      maxNorm: STORED_MAX_NORM,
      async *chunks(rows: number): AsyncGenerator<VectorChunk> {
        let vecs: Float32Array[] = [];
        let ids: number[] = [];
        let held = 0;
        const emit = (): VectorChunk => {
          const vectors = new Float32Array(held * dim);
          let o = 0;
          for (const v of vecs) {
            vectors.set(v, o);
            o += v.length;
          }
          const c = { start: -1, vectors, rows: Int32Array.from(ids) };
          vecs = [];
          ids = [];
          held = 0;
          return c;
        };
        const query = table.query();
        if (options.imageOnly) query.where('image IS NOT NULL');
        const batches = query.select(['row', 'vector'])[Symbol.asyncIterator]();
        for (;;) {
          let step: IteratorResult<arrow.RecordBatch>;
          try {
            step = await batches.next();
          } catch (err) {
            throw damaged(dbDir, err);
          }
          if (step.done) break;
          const b = step.value;
          const col = b.getChild('vector')!;
          const rowCol = b.getChild('row')!;
          for (const d of col.data) {
            const child = d.children[0];
            const values = child.values as Uint16Array | Float32Array;
            const start = d.offset * dim + child.offset;
            const flat = values.subarray(start, start + d.length * dim);
            vecs.push(flat instanceof Uint16Array ? fromHalf(flat) : Float32Array.from(flat));
          }
          for (let i = 0; i < b.numRows; i++) ids.push(Number(rowCol.get(i)));
          held += b.numRows;
          if (held >= rows) yield emit();
        }
        if (held) yield emit();
      },
    };
  }

  /** The `k` nearest rows of each query (row-major `[q, dim]`), best first. Exact mode returns the tie-robust set (can exceed k). */
  async searchBatch(queries: Float32Array, k: number, options: LanceSearchOptions = {}): Promise<SearchHits[]> {
    const dim = this.manifest.embedder.dim;
    if (queries.length % dim !== 0) throw new Error(`${this.dir}: ${queries.length} query floats is not a multiple of the memory's dimension ${dim}`);
    const mode = options.mode ?? (this.hasVectorIndex ? 'index' : 'exact');
    if (mode !== 'exact' && mode !== 'index') throw new Error(`search option "mode" must be exact or index, got ${JSON.stringify(mode)}`);
    if (mode === 'exact' || !this.hasVectorIndex) return exactSearchChunked(this.vectorSource({ imageOnly: options.imageOnly }), queries, k, { chunkRows: options.chunkRows });
    const nq = queries.length / dim;
    const out: SearchHits[] = new Array(nq);
    // LanceDB answers one query per call; a few in flight keep its threads busy.
    let next = 0;
    const worker = async () => {
      while (next < nq) {
        const q = next++;
        const search = this.table.vectorSearch(Array.from(queries.subarray(q * dim, (q + 1) * dim)));
        if (options.imageOnly) search.where('image IS NOT NULL');
        const res = await search
          .distanceType('dot')
          .nprobes(options.nprobes ?? this.manifest.index.nprobes)
          .refineFactor(options.refineFactor ?? this.manifest.index.refineFactor)
          .limit(k)
          .select(['row', '_distance'])
          .toArray()
          .catch((err: unknown) => {
            throw damaged(path.join(this.dir, DB_DIR), err);
          });
        const hits = res.map((r: { row: bigint; _distance: number }) => ({ row: Number(r.row), score: -Number(r._distance) })).sort((a, b) => b.score - a.score || a.row - b.row);
        out[q] = { rows: Int32Array.from(hits, (h) => h.row), scores: Float32Array.from(hits, (h) => h.score) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, nq) }, worker));
    return out;
  }

  /** The dense candidates of one normalised query: every row at or above the tie-robust threshold (exact), or the thresholded over-fetched neighbours (index). */
  async denseCandidates(query: Float32Array, k: number, options: LanceSearchOptions & { overFetch?: number } = {}): Promise<Candidate[]> {
    const mode = options.mode ?? (this.hasVectorIndex ? 'index' : 'exact');
    const fetch = mode === 'exact' ? k : Math.ceil(k * (options.overFetch ?? 4));
    const [hits] = await this.searchBatch(query, fetch, options);
    return applyTieRobustThreshold(hits.rows, hits.scores, k);
  }

  /** The `k` rows whose captions score highest by BM25 (LanceDB's full-text index) against `text`. */
  async bm25(text: string, k: number, options: { imageOnly?: boolean } = {}): Promise<Bm25Hit[]> {
    const search = this.table.search(text, 'fts');
    if (options.imageOnly) search.where('image IS NOT NULL');
    const res = await search.limit(k).select(['row', '_score']).toArray();
    return res.map((r) => ({ row: Number(r.row), bm25: Number(r._score) }));
  }

  /** Bytes the memory folder takes on disk. */
  diskBytes(): number {
    const walk = (p: string): number => {
      const st = fs.statSync(p);
      return st.isDirectory() ? fs.readdirSync(p).reduce((s, f) => s + walk(path.join(p, f)), 0) : st.size;
    };
    return walk(this.dir);
  }
}

/** A LanceDB read error as an error naming the memory's table. */
function damaged(dbDir: string, err: unknown): Error {
  return new Error(`${dbDir}: cannot read the memory's table (${String((err as Error).message ?? err).split('\n')[0].slice(0, 300)}); the memory is damaged, rebuild it`);
}

/** Opens the on-disk memory in `dir`; an unfinished build (killed, or still running) is refused with what to do. */
export async function openLanceMemory(dir: string): Promise<LanceMemory> {
  if (!fs.existsSync(path.join(dir, MANIFEST))) throw new Error(`${dir}: not a memory folder (no ${MANIFEST})`);
  const m = readLanceManifest(dir);
  if (!m.complete) {
    const s = m.sources[m.sources.length - 1];
    throw new Error(`${dir}: the build from ${s?.path} did not finish (killed or still running); run the same build or add command again to continue it`);
  }
  let table: lancedb.Table;
  let count: number;
  let indices: { indexType: string; columns: string[] }[];
  try {
    table = await openTable(dir);
    count = await table.countRows();
    indices = await table.listIndices();
  } catch (err) {
    throw damaged(path.join(dir, DB_DIR), err);
  }
  if (count !== m.count) throw new Error(`${path.join(dir, DB_DIR)}: holds ${count} rows, ${MANIFEST} says ${m.count}`);
  const hasVectorIndex = indices.some((i) => i.columns.includes('vector'));
  return new LanceMemory(dir, m, table, hasVectorIndex);
}
