/**
 * The memory's scale curve (issue 15): build time, disk size, peak RSS, queries/s for a
 * 3,000-question pool and recall@10 against exact search, for
 *   - primed's on-disk store (LanceDB, float16 vectors, IVF-PQ refined against the full vectors),
 *     built through the same resumable path `primed memory build` uses;
 *   - primed's exact search (vectors streamed in chunks through matmul on the tensor backend);
 *   - primed's in-RAM usearch index (batch, multi-threaded build) and hnswlib-node;
 * with Debian's python3-faiss (IVF-PQ + refine at the same parameters, HNSW, flat) and
 * python3-hnswlib as peers, each engine in its own process (its own peak RSS), one after another.
 *
 *   npx tsx bench/memory/scale.ts --n 1000000 [--dim 1024] [--queries 3000] [--hnsw-rows N]
 *        [--engines exact,lance,faiss-ivfpq,faiss-flat,usearch,hnswlib,faiss-hnsw,hnswlib-node]
 *        (usearch-f32 / usearch-f16 / usearch-i8: usearch with that storage type)
 *        [--refine-sweep 10,50,100] [--ef-sweep 128,256,512]
 *        [--work DIR] [--out bench/results/memory-scale-1m.json]
 *
 * Vectors: 2,000 Gaussian clusters on the unit sphere, written once as raw float32 in seeded
 * 100k-row blocks by numpy (never all in RAM; the file for 1M rows is the prefix of the one for
 * 5M); queries are fresh draws from the same clusters. HNSW engines can run on
 * the first `--hnsw-rows` rows only (their build is the slow part); the result file says so.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { spawn, spawnSync } from 'node:child_process';
import { writeJsonAtomic } from '../../src/util/fs';
import { initBackend } from '../../src/backend';
import { exactSearchChunked } from '../../src/memory/vector/chunked-exact';
import { buildLanceMemory, openLanceMemory } from '../../src/memory/lance/store';
import { UsearchIndex, USEARCH_DEFAULTS, type UsearchOptions } from '../../src/memory/vector/usearch';
import { HnswIndex } from '../../src/memory/vector/hnsw';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    dim: { type: 'string', default: '1024' },
    queries: { type: 'string', default: '3000' },
    'hnsw-rows': { type: 'string' },
    engines: { type: 'string', default: 'exact,lance,faiss-ivfpq,faiss-flat,usearch,hnswlib,faiss-hnsw,hnswlib-node' },
    work: { type: 'string', default: path.join(os.tmpdir(), 'primed-memory-scale') },
    out: { type: 'string' },
    stage: { type: 'string' },
    seed: { type: 'string', default: '42' },
    merge: { type: 'boolean' },
    // Resume check: the lance stage's first attempt is killed with SIGKILL once this many rows are
    // committed (plus a fraction of a batch, so the kill lands mid-batch); the second attempt resumes.
    'kill-at-rows': { type: 'string' },
    resume: { type: 'boolean' },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '128' },
    ef: { type: 'string', default: '128' },
    // Rows per usearch graph (a larger index is split into segments, searched and merged).
    'segment-rows': { type: 'string', default: String(USEARCH_DEFAULTS.segmentRows) },
    partitions: { type: 'string' },
    nprobes: { type: 'string', default: '32' },
    'refine-factor': { type: 'string', default: '10' },
    // k-means iterations of the IVF training, for the store and faiss alike (faiss's default, the store's).
    'kmeans-iterations': { type: 'string', default: '10' },
    // Extra refine factors timed on the first 1,000 queries after the build (query-time only):
    // the recall/speed trade-off of the IVF-PQ engines, ours and faiss's, at the same settings.
    'refine-sweep': { type: 'string', default: '10,50,100' },
    // Extra HNSW search-list sizes (ef) timed on the first 1,000 queries after the build (query-time
    // only): the recall/speed trade-off of the in-RAM indexes, usearch's and python3-hnswlib's alike.
    'ef-sweep': { type: 'string', default: '' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
  },
});
const N = Number(values.n);
const DIM = Number(values.dim);
const NQ = Number(values.queries);
const HN = Number(values['hnsw-rows'] ?? N);
const WORK = path.resolve(values.work!, `${N}x${DIM}`);
const P = {
  m: Number(values.m),
  efConstruction: Number(values['ef-construction']),
  ef: Number(values.ef),
  segmentRows: Number(values['segment-rows']),
  // About 4,096 rows per IVF partition: k-means training stays affordable on 2 cores.
  partitions: Number(values.partitions ?? Math.max(1, Math.round(N / 4096))),
  subVectors: DIM / 16,
  nprobes: Number(values.nprobes),
  refineFactor: Number(values['refine-factor']),
  kmeansIterations: Number(values['kmeans-iterations']),
  refineSweep: values['refine-sweep']!.split(',').filter(Boolean).map(Number),
  efSweep: values['ef-sweep']!.split(',').filter(Boolean).map(Number),
  threads: Number(values.threads),
};
// One base file per (dim, seed), shared by every N: the vectors come in seeded 100k-row blocks, so
// the 1M point of the curve is the first 1M rows of the 5M one.
const ROOT = path.resolve(values.work!);
const BASE = path.join(ROOT, `base-d${DIM}-s${values.seed}.f32`);
const QUERIES = path.join(ROOT, `queries-d${DIM}-q${NQ}-s${values.seed}.f32`);
const TRUTH = path.join(WORK, 'truth.json');
const log = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const mib = (b: number) => b / 2 ** 20;
const peakRssMib = () => process.resourceUsage().maxRSS / 1024;
/** CPU seconds (user + system, all threads) this process has used: on a shared machine a steadier measure than wall time. */
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Reads rows [start, start + n) of the raw float32 base file. */
function readRows(fd: number, start: number, n: number): Float32Array {
  const out = new Float32Array(n * DIM);
  const bytes = new Uint8Array(out.buffer);
  let got = 0;
  while (got < bytes.length) {
    const k = fs.readSync(fd, bytes, got, bytes.length - got, start * DIM * 4 + got);
    if (k === 0) throw new Error(`${BASE}: ends at row ${start + got / (DIM * 4)}, expected ${N} rows`);
    got += k;
  }
  return out;
}

function dirBytes(p: string): number {
  const st = fs.statSync(p);
  return st.isDirectory() ? fs.readdirSync(p).reduce((s, f) => s + dirBytes(path.join(p, f)), 0) : st.size;
}

function recallAt10(found: ArrayLike<number>[], truth: number[][]): number {
  let hit = 0;
  found.forEach((f, q) => {
    const t = new Set(truth[q].slice(0, 10));
    for (let i = 0; i < Math.min(10, f.length); i++) if (t.has(f[i])) hit++;
  });
  return hit / (10 * found.length);
}

// ---------------------------------------------------------------------------------------------
// Stages (each runs in its own process and prints one JSON line).

/** Rows already in the shared base file (it grows to the largest N asked for; smaller N read its prefix). */
function baseRows(): number {
  return fs.existsSync(BASE) ? Math.floor(fs.statSync(BASE).size / (4 * DIM)) : 0;
}

function readQueries(): Float32Array {
  const b = fs.readFileSync(QUERIES);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
}

async function stageExact(): Promise<unknown> {
  const info = await initBackend();
  const fd = fs.openSync(BASE, 'r');
  const q = readQueries();
  const t = performance.now();
  const hits = await exactSearchChunked(
    {
      dim: DIM,
      count: N,
      *chunks(rows: number) {
        for (let s = 0; s < N; s += rows) yield { start: s, vectors: readRows(fd, s, Math.min(rows, N - s)) };
      },
    },
    q,
    10,
    { chunkRows: 16_384, onChunk: (d) => d % (16_384 * 16) === 0 && log(`exact ${d}/${N}`) },
  );
  const s = (performance.now() - t) / 1000;
  writeJsonAtomic(TRUTH, hits.map((h) => Array.from(h.rows.slice(0, 10))));
  return { engine: `primed exact (chunked matmul, tfjs ${info.name} backend)`, search_s: s, qps: NQ / s, recall_at_10: 1, peak_rss_mib: peakRssMib(), cpu_s: cpuS(), tieSetMean: hits.reduce((a, h) => a + h.rows.length, 0) / hits.length };
}

async function stageLance(): Promise<unknown> {
  await initBackend();
  const dir = path.join(WORK, 'lance-memory');
  // The bench's own folder; kept when this attempt resumes a killed one.
  if (!values.resume) fs.rmSync(dir, { recursive: true, force: true });
  // A JSONL source of captions; the "embedder" hands out each caption's stored vector, so the
  // build runs the real path: validation pass, batched commits, indexes.
  const src = path.join(WORK, 'captions.jsonl');
  if (!fs.existsSync(src)) {
    const fdw = fs.openSync(src + '.tmp', 'w');
    for (let s = 0; s < N; s += 100_000) {
      const lines: string[] = [];
      for (let i = s; i < Math.min(N, s + 100_000); i++) lines.push(`{"id":"r${i}","caption":"synthetic caption ${i} cluster entry","domain":"d${i % 5}"}`);
      fs.writeSync(fdw, lines.join('\n') + '\n');
    }
    fs.closeSync(fdw);
    fs.renameSync(src + '.tmp', src);
  }
  const fd = fs.openSync(BASE, 'r');
  const embedder = {
    id: 'bench:synthetic',
    dim: DIM,
    async embed(texts: string[]) {
      const rows = texts.map((t) => Number(/caption (\d+) /.exec(t)![1]));
      const block = readRows(fd, rows[0], rows.length);
      return rows.map((r, i) => {
        if (r !== rows[0] + i) throw new Error('bench embedder: rows out of order');
        return block.subarray(i * DIM, (i + 1) * DIM);
      });
    },
  };
  const marks: Record<string, number> = {};
  let lastLogged = -1;
  const c0 = cpuS();
  const t0 = performance.now();
  const report = await buildLanceMemory(dir, src, {
    embedder,
    vectorType: 'float16',
    batchRows: 8192,
    index: { kind: 'ivf-pq', partitions: P.partitions, subVectors: P.subVectors, nprobes: P.nprobes, refineFactor: P.refineFactor, kmeansIterations: P.kmeansIterations },
    progress: (e) => {
      marks[e.label] ??= performance.now();
      if (e.done === e.total) marks[`${e.label} done`] = performance.now();
      // A parseable line per ~2% of the commit, which the orchestrator's kill watches for.
      if (e.label.startsWith('commit rows') && e.total && Math.floor((50 * e.done) / e.total) !== lastLogged) {
        lastLogged = Math.floor((50 * e.done) / e.total);
        log(`committed ${e.done}/${e.total}`);
      }
    },
    log,
  });
  const build_s = (performance.now() - t0) / 1000;
  const build_cpu_s = cpuS() - c0;
  const integrity = await checkLanceRows(dir, fd);
  const commitLabel = Object.keys(marks).find((k) => k.startsWith('commit rows') && !k.endsWith('done'))!;
  const queried = await queryLance(dir);
  return {
    engine: 'primed on-disk store (LanceDB 0.31.0, float16 vectors, IVF-PQ + refine)',
    resumedFrom: report.resumedFrom,
    committedThisAttempt: report.committed,
    integrity,
    params: { partitions: P.partitions, subVectors: P.subVectors, nprobes: P.nprobes, refineFactor: P.refineFactor, kmeansIterations: P.kmeansIterations, batchRows: 8192 },
    build_s,
    build_cpu_s,
    validate_s: (marks['check source rows done'] - marks['check source rows']) / 1000,
    commit_s: (marks[`${commitLabel} done`] - marks[commitLabel]) / 1000,
    index_s: (marks['index done'] - marks['index']) / 1000,
    disk_bytes: dirBytes(dir),
    ...queried,
    peak_rss_mib: peakRssMib(),
    cpu_s: cpuS(),
  };
}

/**
 * Queries a built store: the whole pool at the build's settings, the refine sweep on the first
 * 1,000 queries, and exact search over the stored float16 vectors on those 1,000 (a full pass).
 */
async function queryLance(dir: string) {
  const m = await openLanceMemory(dir);
  const q = readQueries();
  const truth = JSON.parse(fs.readFileSync(TRUTH, 'utf8')) as number[][];
  const t1 = performance.now();
  const hits = await m.searchBatch(q, 10, { mode: 'index' });
  const search_s = (performance.now() - t1) / 1000;
  const nqx = Math.min(NQ, 1000);
  const sub = q.subarray(0, nqx * DIM);
  const sweep = [];
  for (const refineFactor of P.refineSweep) {
    const t = performance.now();
    const h = await m.searchBatch(sub, 10, { mode: 'index', refineFactor });
    sweep.push({ refineFactor, nprobes: P.nprobes, queries: nqx, qps: nqx / ((performance.now() - t) / 1000), recall_at_10: recallAt10(h.map((x) => x.rows), truth) });
    log(`lance refine x${refineFactor}: ${JSON.stringify(sweep.at(-1))}`);
  }
  const t2 = performance.now();
  const exact = await m.searchBatch(sub, 10, { mode: 'exact', chunkRows: 16_384 });
  const exact_s = (performance.now() - t2) / 1000;
  return {
    qps: NQ / search_s,
    recall_at_10: recallAt10(hits.map((h) => h.rows), truth),
    sweep,
    exact_on_store: { queries: nqx, qps: nqx / exact_s, recall_at_10: recallAt10(exact.map((h) => h.rows), truth) },
  };
}

/** Queries the store an earlier `lance` stage built (no build): for re-measuring or a new sweep. */
async function stageLanceQuery(): Promise<unknown> {
  await initBackend();
  const dir = path.join(WORK, 'lance-memory');
  if (!fs.existsSync(dir)) throw new Error(`${dir}: no store; run the lance stage first`);
  const c0 = cpuS();
  const r = await queryLance(dir);
  return { engine: 'primed on-disk store (LanceDB 0.31.0, float16 vectors, IVF-PQ + refine), queried again', params: { nprobes: P.nprobes, refineFactor: P.refineFactor }, ...r, peak_rss_mib: peakRssMib(), query_cpu_s: cpuS() - c0 };
}

/**
 * After a (possibly resumed) build: every row id 0..N-1 present exactly once, and every 64th
 * stored vector equal to its source row within float16 rounding.
 */
async function checkLanceRows(dir: string, fd: number): Promise<{ rows: number; duplicates: number; missing: number; vectorsChecked: number; maxAbsDiff: number; scan_s: number }> {
  const t = performance.now();
  const m = await openLanceMemory(dir);
  const seen = new Uint8Array(N);
  let rows = 0;
  let duplicates = 0;
  let vectorsChecked = 0;
  let maxAbsDiff = 0;
  for await (const c of m.vectorSource().chunks(65_536)) {
    const ids = c.rows!;
    for (let i = 0; i < ids.length; i++) {
      const r = ids[i];
      rows++;
      if (r < 0 || r >= N || seen[r]) duplicates++;
      else seen[r] = 1;
      if (r % 64 === 0 && r < N) {
        const src = readRows(fd, r, 1);
        for (let j = 0; j < DIM; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(src[j] - c.vectors[i * DIM + j]));
        vectorsChecked++;
      }
    }
  }
  const missing = seen.reduce((a, v) => a + (v ? 0 : 1), 0);
  if (duplicates || missing || maxAbsDiff > 1e-3) throw new Error(`${dir}: ${rows} rows, ${duplicates} duplicate or out-of-range ids, ${missing} missing, max |stored - source| ${maxAbsDiff}`);
  return { rows, duplicates, missing, vectorsChecked, maxAbsDiff, scan_s: (performance.now() - t) / 1000 };
}

/**
 * Frees native memory held by unreachable JS objects now (a usearch graph is freed only when its
 * JS wrapper is collected): needs `--expose-gc`, which `runStage` passes. N-API finalizers may
 * run a tick after the collection, hence the second pass.
 */
async function collectNow(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('stage usearch needs node --expose-gc (run it through scale.ts, not --stage directly)');
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

/**
 * Stage `usearch` builds with the in-RAM memory's default storage type (f16); `usearch-f32`,
 * `usearch-f16` and `usearch-i8` name one. The bench times the graph alone: a memory then rescores
 * each query's k hits from its float32 vectors (k dot products, not timed here).
 */
async function stageUsearch(): Promise<unknown> {
  const stage = values.stage!;
  const quantization = stage === 'usearch' ? USEARCH_DEFAULTS.quantization : (stage.slice('usearch-'.length) as UsearchOptions['quantization']);
  let idx: UsearchIndex | undefined = new UsearchIndex(DIM, { m: P.m, efConstruction: P.efConstruction, ef: P.ef, quantization, threads: P.threads, segmentRows: P.segmentRows });
  const fd = fs.openSync(BASE, 'r');
  const c0 = cpuS();
  const t = performance.now();
  for (let s = 0; s < HN; s += 50_000) {
    idx.add(readRows(fd, s, Math.min(50_000, HN - s)));
    log(`usearch ${Math.min(HN, s + 50_000)}/${HN}`);
  }
  const build_s = (performance.now() - t) / 1000;
  const build_cpu_s = cpuS() - c0;
  const idxSegments = idx.segmentCount();
  const q = readQueries();
  const t1 = performance.now();
  const hits = idx.searchBatch(q, 10);
  const search_s = (performance.now() - t1) / 1000;
  const dir = path.join(WORK, `${stage}-index`);
  fs.mkdirSync(dir, { recursive: true });
  idx.save(dir);
  const truth = HN === N ? (JSON.parse(fs.readFileSync(TRUTH, 'utf8')) as number[][]) : await subsetTruth(q);
  const peak_rss_mib = peakRssMib();
  const sweep = [];
  const nqx = Math.min(NQ, 1000);
  if (P.efSweep.length) {
    // The sweep reopens the saved graph: free the built one first, or a 5M × 1024 run would hold two
    // (2 × 11 GiB) on a 24 GiB machine, and each reopened one before the next is loaded.
    idx = undefined;
    await collectNow();
    log(`usearch: built graph freed, RSS ${mib(process.memoryUsage().rss).toFixed(0)} MiB`);
  }
  for (const ef of P.efSweep) {
    // `ef` is a query-time setting: the saved graph reopened with it, as `openMemory(dir, { ef })` does.
    let reopened: UsearchIndex | undefined = UsearchIndex.open(dir, { ef });
    const t2 = performance.now();
    const h = reopened.searchBatch(q.subarray(0, nqx * DIM), 10);
    sweep.push({ ef, queries: nqx, qps: nqx / ((performance.now() - t2) / 1000), recall_at_10: recallAt10(h.map((x) => x.rows), truth) });
    reopened = undefined;
    await collectNow();
    log(`usearch ef ${ef}: ${JSON.stringify(sweep.at(-1))}, RSS after freeing ${mib(process.memoryUsage().rss).toFixed(0)} MiB`);
  }
  return { engine: `primed usearch index (usearch 2.26.2, ${quantization}, batch add)`, rows: HN, params: { m: P.m, efConstruction: P.efConstruction, ef: P.ef, quantization, threads: P.threads, segmentRows: P.segmentRows }, segments: idxSegments, build_s, build_cpu_s, disk_bytes: dirBytes(dir), qps: NQ / search_s, recall_at_10: recallAt10(hits.map((h) => h.rows), truth), ...(sweep.length ? { sweep } : {}), peak_rss_mib, cpu_s: cpuS() };
}

async function stageHnswlibNode(): Promise<unknown> {
  const idx = new HnswIndex(DIM, { m: P.m, efConstruction: P.efConstruction, ef: P.ef });
  const fd = fs.openSync(BASE, 'r');
  const c0 = cpuS();
  const t = performance.now();
  for (let s = 0; s < HN; s += 10_000) {
    idx.add(readRows(fd, s, Math.min(10_000, HN - s)));
    if ((s / 10_000) % 5 === 0) log(`hnswlib-node ${Math.min(HN, s + 10_000)}/${HN}`);
  }
  const build_s = (performance.now() - t) / 1000;
  const build_cpu_s = cpuS() - c0;
  const q = readQueries();
  const t1 = performance.now();
  const hits = Array.from({ length: NQ }, (_, i) => idx.search(q.subarray(i * DIM, (i + 1) * DIM), 10).rows);
  const search_s = (performance.now() - t1) / 1000;
  const truth = HN === N ? (JSON.parse(fs.readFileSync(TRUTH, 'utf8')) as number[][]) : await subsetTruth(q);
  return { engine: 'hnswlib-node 3.0.0 (single-threaded addPoint)', rows: HN, params: { m: P.m, efConstruction: P.efConstruction, ef: P.ef, threads: 1 }, build_s, build_cpu_s, qps: NQ / search_s, recall_at_10: recallAt10(hits, truth), peak_rss_mib: peakRssMib(), cpu_s: cpuS() };
}

/** Exact top-10 over the first HN rows (cached), when HNSW engines run on a subset. */
async function subsetTruth(q: Float32Array): Promise<number[][]> {
  const file = path.join(WORK, `truth-${HN}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  await initBackend();
  const fd = fs.openSync(BASE, 'r');
  const hits = await exactSearchChunked({ dim: DIM, count: HN, *chunks(rows: number) { for (let s = 0; s < HN; s += rows) yield { start: s, vectors: readRows(fd, s, Math.min(rows, HN - s)) }; } }, q, 10, { chunkRows: 16_384 });
  const t = hits.map((h) => Array.from(h.rows.slice(0, 10)));
  writeJsonAtomic(file, t);
  return t;
}

// ---------------------------------------------------------------------------------------------

/** This command's arguments without the named options (`--name value`, `--name=value` or a `--name` flag). */
function argsWithout(names: string[]): string[] {
  const a = process.argv.slice(2);
  const out: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const name = a[i].replace(/^--/, '').split('=')[0];
    if (!a[i].startsWith('--') || !names.includes(name)) out.push(a[i]);
    else if (!a[i].includes('=') && name !== 'resume' && i + 1 < a.length && !a[i + 1].startsWith('--')) i++;
  }
  return out;
}

function runStage(stage: string): Record<string, unknown> {
  log(`stage ${stage} ...`);
  const t = performance.now();
  // When, under what load and with which settings each stage ran: a --merge run adds stages hours
  // after the first ones, possibly with other settings (the file's top-level params are the first run's).
  const when = { startedAt: new Date().toISOString(), loadAverageAtStart: os.loadavg()[0], benchParams: P };
  let r;
  if (stage === 'gen') {
    // numpy draws the vectors (a JS Box-Muller took 450 s per million rows).
    fs.mkdirSync(WORK, { recursive: true });
    r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'scale_peer.py'), 'gen', BASE, QUERIES, String(N), String(DIM), String(NQ), String(values.seed)], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  } else if (['faiss-ivfpq', 'faiss-hnsw', 'faiss-flat', 'hnswlib'].includes(stage)) {
    const rows = stage === 'faiss-hnsw' || stage === 'hnswlib' ? HN : N;
    const truth = rows === N ? TRUTH : path.join(WORK, `truth-${HN}.json`);
    r = spawnSync('nice', ['-n', '5', '/usr/bin/python3', path.join(__dirname, 'scale_peer.py'), stage, BASE, QUERIES, truth, String(rows), String(DIM), JSON.stringify(P)], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  } else {
    const args = ['-n', '5', process.execPath, '--expose-gc', '--import', 'tsx', __filename, ...argsWithout(['stage', 'kill-at-rows']), `--stage=${stage}`];
    r = spawnSync('nice', args, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  }
  if (r.status !== 0) return { stage, error: `exited with ${r.status ?? r.signal}`, ...when, wall_s: (performance.now() - t) / 1000 };
  const line = r.stdout.trim().split('\n').pop()!;
  const res = JSON.parse(line) as Record<string, unknown>;
  log(`stage ${stage}: ${line}`);
  return { stage, ...res, ...when, wall_s: (performance.now() - t) / 1000 };
}

/**
 * Runs the lance stage's first attempt and kills it with SIGKILL once it reports `kill-at-rows`
 * committed rows (after a delay of half a batch's commit, so the kill lands mid-batch); the
 * caller then runs the stage again with --resume. Returns what the killed attempt got to.
 */
async function killLanceAttempt(killAt: number): Promise<Record<string, unknown>> {
  log(`stage lance (attempt to be killed at ${killAt} committed rows) ...`);
  const t = performance.now();
  const args = ['--import', 'tsx', __filename, ...argsWithout(['stage', 'kill-at-rows', 'resume']), '--stage=lance'];
  const child = spawn('nice', ['-n', '5', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let committedSeen = 0;
  let killedAt: number | undefined;
  let buf = '';
  child.stderr!.on('data', (d: Buffer) => {
    process.stderr.write(d);
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const m = /committed (\d+)\/(\d+)/.exec(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (!m) continue;
      committedSeen = Number(m[1]);
      if (killedAt === undefined && committedSeen >= killAt) {
        killedAt = committedSeen;
        setTimeout(() => child.kill('SIGKILL'), 1500);
      }
    }
  });
  const signal = await new Promise<string | null>((res) => child.on('exit', (_c, sig) => res(sig)));
  if (signal !== 'SIGKILL') throw new Error(`lance attempt ended with ${signal ?? 'an exit'} before reaching ${killAt} committed rows`);
  return { stage: 'lance-killed', killedAfterCommittedRows: committedSeen, signal, wall_s: (performance.now() - t) / 1000 };
}

async function main(): Promise<void> {
  if (values.stage) {
    const fn = { exact: stageExact, lance: stageLance, 'lance-query': stageLanceQuery, usearch: stageUsearch, 'usearch-f32': stageUsearch, 'usearch-f16': stageUsearch, 'usearch-i8': stageUsearch, 'hnswlib-node': stageHnswlibNode }[values.stage];
    if (!fn) throw new Error(`unknown stage ${values.stage}`);
    process.stdout.write(JSON.stringify(await fn()) + '\n');
    return;
  }
  const out = values.out ?? `bench/results/memory-scale-${N >= 1e6 ? `${N / 1e6}m` : `${N / 1e3}k`}.json`;
  const engines = values.engines!.split(',');
  // --merge: keep the other engines' rows of an earlier run of the same size, replacing the ones re-run.
  const earlier = values.merge && fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as { results: Record<string, unknown>[]; started: string; host: Record<string, unknown>; params: typeof P }) : undefined;
  const results: Record<string, unknown>[] = earlier ? earlier.results.filter((r) => !engines.includes(r.stage as string)) : [];
  const started = earlier?.started ?? new Date().toISOString();
  const host = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: os.loadavg()[0] };
  const write = () =>
    writeJsonAtomic(out, {
      bench: 'memory-scale',
      rows: N,
      dim: DIM,
      queries: NQ,
      hnswRows: HN,
      params: earlier?.params ?? P,
      vectors: '2,000 Gaussian clusters on the unit sphere (noise norm ~0.8), float32 source; queries fresh draws from the same clusters',
      host: earlier?.host ?? host,
      note: 'Each engine runs in its own process (nice 5) one after another, on a machine shared with other jobs; recall@10 is against primed exact search (chunked matmul) over the same rows.',
      started,
      finished: new Date().toISOString(),
      results,
    });
  fs.mkdirSync(WORK, { recursive: true });
  if (baseRows() < N || !fs.existsSync(QUERIES)) results.push(runStage('gen'));
  if (!fs.existsSync(TRUTH) || engines.includes('exact')) results.push(runStage('exact'));
  if (earlier) write();
  write();
  for (const e of engines.filter((x) => x !== 'exact')) {
    if (e === 'lance' && values['kill-at-rows']) {
      results.push(await killLanceAttempt(Number(values['kill-at-rows'])));
      write();
      process.argv.push('--resume');
    }
    results.push(runStage(e));
    write();
  }
  log(`wrote ${out}`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
