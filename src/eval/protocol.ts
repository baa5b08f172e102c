/**
 * The MGTIL protocol: evaluate zero-shot on every task, then for each task in order train on
 * it and evaluate on every task's test set, filling one row of the accuracy matrix.
 *
 * After the zero-shot row and after every matrix row, the run directory is brought up to date
 * atomically: `result.json` (everything), `matrix.csv`, `zero-shot.csv`, and the learner's state
 * in `state/row-<t>/`. A run that was killed resumes from its last finished row (the learner
 * reloads `state/row-<t>/`), and gives the same matrix as an uninterrupted run provided the
 * learner is deterministic given its saved state (a learner that keeps an RNG saves it too).
 *
 * With a `zeroShotCache` (see `zero-shot-cache.ts`), each task's zero-shot evaluation is read
 * from the cache when present and written to it when computed, so runs that start from the same
 * model on the same tasks evaluate the zero-shot row once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendIdentity, currentBackend, describeIdentity, type BackendInfo } from '../backend';
import { acquireFolderLock } from '../util/lock';
import { readJson, recoverDirSwap, removeStaleTempFiles, replaceDirAtomic, stableStringify, writeFileAtomic, writeJsonAtomic } from '../util/fs';
import { silentProgress, type ProgressSink } from '../util/progress';
import { macroOvrAuc } from './auc';
import { matrixToCsv } from './matrix-io';
import { computeMetrics, perDataset, type MetricSummary, type PerDatasetMetrics } from './metrics';
import type { ZeroShotCache } from './zero-shot-cache';

/** What a learner reports for one task's test set. */
export interface TaskEvaluation {
  /** Top-1 accuracy in %. */
  accuracy: number;
  /** Optional class scores, row-major `[n, classes]`, for the AUC. */
  scores?: Float32Array;
  /** Class index per test item (with `scores`). */
  labels?: Int32Array;
}

/** The model side of the protocol: a method wrapped around a model and the benchmark's data. */
export interface ProtocolLearner {
  /** Evaluates the current model on task `taskIndex`'s test set. */
  evaluate(taskIndex: number): Promise<TaskEvaluation>;
  /**
   * Trains on task `taskIndex`. What it resolves to (any JSON value, e.g. the reference set a
   * distillation method used) is recorded with the row as `result.trainInfo[taskIndex]`, so a
   * finished run read back still has it; `undefined` is recorded as null.
   */
  train(taskIndex: number, signal: { progress: ProgressSink }): Promise<unknown>;
  /** Writes everything needed to continue from here (weights, optimiser, RNG) into `dir`. */
  saveState(dir: string): Promise<void>;
  /** Restores what {@link ProtocolLearner.saveState} wrote. */
  loadState(dir: string): Promise<void>;
}

/** Seconds spent on one matrix row. */
export interface RowTiming {
  /** Training on the row's task. */
  trainS: number;
  /** Evaluating on every task. */
  evalS: number;
}

/** Where a run's time went. */
export interface ProtocolTimings {
  /** Seconds of the zero-shot evaluation (`null` before it ran; on a cache hit, the seconds spent reading the cache). */
  zeroShotEvalS: number | null;
  /** Train and eval seconds per finished row. */
  rows: RowTiming[];
}

/** The result of a protocol run, complete or partial; `result.json` holds exactly this. */
export interface ProtocolResult {
  /** Format version of `result.json`. */
  version: 1;
  /** Task (dataset) names in training order. */
  tasks: string[];
  /** The configuration the caller passed (opaque JSON), stored to validate resumes. */
  config: unknown;
  /** The seed the caller passed. */
  seed: number;
  /** The tfjs backend in use (`null` when none was initialised). */
  backend: BackendInfo | null;
  /** Zero-shot accuracy per task, or `null` before it is measured. */
  zeroShot: number[] | null;
  /** Zero-shot macro ROC-AUC (%) per task; `null` entries where the learner gave no scores. */
  zeroShotAuc: (number | null)[] | null;
  /** Finished rows of the accuracy matrix: `matrix[t][d]` after training task t. */
  matrix: number[][];
  /** Macro ROC-AUC (%) per row and task, beside the matrix; `null` where no scores. */
  aucMatrix: (number | null)[][];
  /** Number of finished rows. */
  rowsDone: number;
  /** True once every row is finished. */
  complete: boolean;
  /** All metrics, once complete (`auc` = mean of the last AUC row when every task has one). */
  metrics: MetricSummary | null;
  /** Per-dataset Transfer/Avg/Last (Tables 7/8), once complete. */
  perDataset: PerDatasetMetrics | null;
  /** Seconds spent: the zero-shot evaluation, then train/eval per row. */
  timings: ProtocolTimings;
  /** Row index each resume started from, in order (empty for an uninterrupted run). */
  resumedAtRow: number[];
  /**
   * Resumes on another thread count than the run started with (absent when none): from `row` on,
   * the rows were computed with these threads (see `backend` for the first ones).
   */
  resumedWithThreads?: ThreadChange[];
  /**
   * What `learner.train(t)` resolved to, per finished row (null where nothing). Absent from
   * files written before it existed; read back as nulls.
   */
  trainInfo: unknown[];
  /**
   * The zero-shot cache, when the run was given one: the key of each task's entry, and whether
   * it was read from the cache (true) or evaluated and stored (false). Null without a cache, and
   * for files written before it existed.
   */
  zeroShotCache: ZeroShotCacheUse | null;
}

/** How a run used the zero-shot cache (see {@link ProtocolResult.zeroShotCache}). */
export interface ZeroShotCacheUse {
  /** Cache key of each task's zero-shot entry, in task order. */
  keys: string[];
  /** Per task: read from the cache (true) or evaluated and then stored (false). */
  cacheHit: boolean[];
}

/** Options of {@link runProtocol}. */
export interface ProtocolOptions {
  /** Task names in training order (also the matrix's column order). */
  tasks: string[];
  /** The learner. */
  learner: ProtocolLearner;
  /** Run directory: `result.json`, `matrix.csv`, `zero-shot.csv`, `state/`. */
  runDir: string;
  /** Configuration to record (any JSON value); a resume requires an equal one. */
  config: unknown;
  /** Seed to record; a resume requires the same one. */
  seed: number;
  /**
   * Whether an existing run in `runDir` is resumed. Default true. With false, a `runDir` that
   * already holds a `result.json` is an error.
   */
  resume?: boolean;
  /**
   * Discard a run found in `runDir` and start over (default false). Done here, after every
   * option was validated and while holding the folder's lock; only a folder that holds a primed
   * run (a `result.json` of this format) or is empty is removed, anything else is refused.
   */
  fresh?: boolean;
  /**
   * Which learner states to keep: `last` (default) deletes `state/row-<t−1>/` once row t is
   * recorded, since model checkpoints are large, and deletes `state/` once the run is complete
   * (a finished run needs no state to be read back); `final` is the same but keeps the last
   * row's state after completion (to continue from the final model); `all` keeps every row's.
   */
  keepStates?: 'last' | 'final' | 'all';
  /** Progress events: one per evaluated task (label `evaluate …`, with the row's mean accuracy so far), the protocol's own bar (label `protocol`: tasks done / total, from the start), and the learner's own (it gets this sink in `learner.train`). */
  progress?: ProgressSink;
  /**
   * Where zero-shot evaluations are cached across runs (`openZeroShotCache`); default none. Give
   * it only when `learner.evaluate` before any training is a function of what the cache keys
   * cover (model, task, evaluation options), as with `createMethodLearner`.
   */
  zeroShotCache?: ZeroShotCache;
  /** Called after each row is recorded, with a copy of the partial result (e.g. a live forgetting curve). */
  onRow?: (row: number, partial: ProtocolResult) => void | Promise<void>;
  /** Stops the run between steps (the rows recorded so far stay, and resume later). */
  signal?: AbortSignal;
}

/** Path of the learner state written after row `t`. */
export function rowStateDir(runDir: string, t: number): string {
  return path.join(runDir, 'state', `row-${t}`);
}

/** The first path where two JSON values differ, e.g. `config.lr`, or null when equal. */
function firstDifference(a: unknown, b: unknown, at: string): string | null {
  if (stableStringify(a) === stableStringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
    for (const k of keys) {
      const d = firstDifference(ao[k], bo[k], Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`);
      if (d) return d;
    }
  }
  return at;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'absent' : s.length > 80 ? s.slice(0, 77) + '...' : s;
}

function valueAt(root: unknown, pathText: string, rootName: string): unknown {
  const parts = pathText.slice(rootName.length).match(/[^.[\]]+/g) ?? [];
  let v: unknown = root;
  for (const p of parts) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/**
 * Thrown when a run folder holds a run that cannot be continued by this call: another
 * experiment (tasks, seed or config differ), or an unfinished run started on another backend,
 * device or precision. The message names the differing field and how to proceed.
 */
export class ResumeMismatchError extends Error {
  /** Creates the error. */
  constructor(
    message: string,
    /** The stored run's `result.json`. */
    readonly file: string,
    /** What differs: a path into the stored run such as `config.model.weights`, or `backend`. */
    readonly field: string,
  ) {
    super(message);
    this.name = 'ResumeMismatchError';
  }
}

/** Checks that a stored run is the same experiment; the error names the differing field. */
function checkSameRun(stored: ProtocolResult, options: ProtocolOptions, file: string): void {
  const pairs: [string, unknown, unknown][] = [
    ['tasks', stored.tasks, options.tasks],
    ['seed', stored.seed, options.seed],
    ['config', stored.config, options.config],
  ];
  for (const [name, old, now] of pairs) {
    const at = firstDifference(old, now, name);
    if (at) {
      throw new ResumeMismatchError(
        `${file}: cannot resume: the stored ${at} (${describe(valueAt(old, at, name))}) differs from the new one (${describe(valueAt(now, at, name))}); use a new run directory or the same ${name}`,
        file,
        at,
      );
    }
  }
}

/** A resume on another thread count (see {@link ProtocolResult.resumedWithThreads}). */
export interface ThreadChange {
  /** First row computed with these threads. */
  row: number;
  /** Compute threads from that row on. */
  threads: number;
  /** Native matmul BLAS threads from that row on (0 when not in use). */
  nativeThreads: number;
}

/**
 * An unfinished run continues only on the backend, device and matmul precision it started on:
 * another one computes other numerics, and the matrix would mix two. Another thread count is
 * allowed (sums may differ in their last bits) and recorded in `resumedWithThreads`. A complete run
 * is only read back, on anything.
 */
function checkSameBackend(stored: BackendInfo | null, now: BackendInfo | undefined, file: string): void {
  if (!stored || !now) return;
  const a = backendIdentity(stored), b = backendIdentity(now);
  const differs = (['name', 'device', 'precision'] as const).filter((k) => a[k] !== b[k]);
  if (differs.length === 0) return;
  const what = differs.map((k) => `${k} ${a[k]} then, ${b[k]} now`).join('; ');
  throw new ResumeMismatchError(
    `${file}: cannot resume: the run was started on ${describeIdentity(a)} and would continue on ${describeIdentity(b)} (${what}); ` +
      'resume it with the same backend, device and precision (PRIMED_BACKEND, PRIMED_DEVICE, PRIMED_PRECISION), or use a new run directory',
    file,
    'backend',
  );
}

function aucOf(ev: TaskEvaluation, where: string): number | null {
  if (!ev.scores || !ev.labels) return null;
  const n = ev.labels.length;
  if (n === 0 || ev.scores.length % n !== 0) throw new Error(`${where}: scores (${ev.scores.length}) is not a multiple of labels (${n})`);
  const a = macroOvrAuc(ev.scores, ev.labels, ev.scores.length / n).auc;
  return a === null ? null : a * 100;
}

function checkAccuracy(ev: TaskEvaluation, where: string): number {
  if (!ev || typeof ev.accuracy !== 'number' || !Number.isFinite(ev.accuracy)) {
    throw new Error(`${where}: learner.evaluate returned accuracy ${describe(ev?.accuracy)}, not a finite number`);
  }
  return ev.accuracy;
}

/**
 * Runs (or resumes) the MGTIL protocol and returns the complete result. See the module comment
 * for the files written.
 */
export async function runProtocol(options: ProtocolOptions): Promise<ProtocolResult> {
  const { tasks, learner, runDir } = options;
  const progress = options.progress ?? silentProgress;
  const keep = options.keepStates ?? 'last';
  if (!Array.isArray(tasks) || tasks.length === 0 || tasks.some((t) => typeof t !== 'string' || t === '')) {
    throw new Error('runProtocol: option tasks must be a non-empty array of task names');
  }
  if (new Set(tasks).size !== tasks.length) throw new Error('runProtocol: option tasks has a repeated name');
  if (keep !== 'last' && keep !== 'final' && keep !== 'all') throw new Error(`runProtocol: option keepStates must be "last", "final" or "all", got ${describe(keep)}`);
  if (!Number.isFinite(options.seed)) throw new Error(`runProtocol: option seed must be a number, got ${describe(options.seed)}`);
  const T = tasks.length;
  const resultFile = path.join(runDir, 'result.json');
  // One writer per run folder: a second process gets an error naming this one's pid.
  const lock = acquireFolderLock(runDir, 'run folder');
  try {
    return await runLocked(options, resultFile, T, keep, progress);
  } finally {
    lock.release();
  }
}

/** Removes `runDir` for option `fresh`: only a primed run or an empty folder. */
function discardRun(runDir: string, resultFile: string): void {
  if (!fs.existsSync(runDir)) return;
  if (!fs.statSync(runDir).isDirectory()) throw new Error(`${runDir}: is a file, not a run folder; nothing was removed`);
  const names = fs.readdirSync(runDir);
  if (names.length === 0) return;
  let primed = false;
  try {
    const r = readJson<Partial<ProtocolResult>>(resultFile);
    primed = r.version === 1 && Array.isArray(r.tasks) && Array.isArray(r.matrix);
  } catch {
    primed = false;
  }
  if (!primed) {
    throw new Error(`${runDir}: option fresh: this folder does not hold a primed run (no valid result.json) but is not empty (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}); refusing to delete it`);
  }
  fs.rmSync(runDir, { recursive: true, force: true });
}

async function runLocked(options: ProtocolOptions, resultFile: string, T: number, keep: 'last' | 'final' | 'all', progress: ProgressSink): Promise<ProtocolResult> {
  const { tasks, learner, runDir } = options;
  if (options.fresh) discardRun(runDir, resultFile);
  // What a writer killed mid-write left: its temp files here, its temp/old state folders.
  removeStaleTempFiles(runDir);
  const stateRoot = path.join(runDir, 'state');
  const rows = fs.existsSync(stateRoot) ? fs.readdirSync(stateRoot).map((n) => /^\.?(row-\d+)(\.old-|\.tmp-|$)/.exec(n)?.[1]) : [];
  for (const n of new Set(rows)) if (n) recoverDirSwap(path.join(stateRoot, n));

  let result: ProtocolResult;
  if (fs.existsSync(resultFile)) {
    if (options.resume === false) throw new Error(`${resultFile}: a run already exists here and option resume is false; use a new run directory`);
    result = readJson<ProtocolResult>(resultFile);
    if (result.version !== 1) throw new Error(`${resultFile}: unknown result version ${describe(result.version)}`);
    checkSameRun(result, options, resultFile);
    if (!result.complete) {
      checkSameBackend(result.backend, currentBackend(), resultFile);
      const [was, now] = [result.backend, currentBackend()].map((b) => (b ? backendIdentity(b) : undefined));
      if (was && now && (was.threads !== now.threads || was.nativeThreads !== now.nativeThreads)) {
        (result.resumedWithThreads ??= []).push({ row: result.rowsDone, threads: now.threads, nativeThreads: now.nativeThreads });
      }
    }
    // Fields added after version 1 was fixed: absent from older files.
    result.trainInfo ??= Array.from({ length: result.rowsDone }, () => null);
    result.zeroShotCache ??= null;
    // A complete run whose states were cleaned up needs none: nothing is trained any more.
    const stateDir = rowStateDir(runDir, result.rowsDone - 1);
    if (result.rowsDone > 0 && (!result.complete || fs.existsSync(stateDir))) await learner.loadState(stateDir);
    if (!result.complete) result.resumedAtRow.push(result.rowsDone);
  } else {
    result = {
      version: 1,
      tasks: tasks.slice(),
      config: options.config,
      seed: options.seed,
      backend: currentBackend() ?? null,
      zeroShot: null,
      zeroShotAuc: null,
      matrix: [],
      aucMatrix: [],
      rowsDone: 0,
      complete: false,
      metrics: null,
      perDataset: null,
      timings: { zeroShotEvalS: null, rows: [] },
      resumedAtRow: [],
      trainInfo: [],
      zeroShotCache: null,
    };
  }
  // Resumed runs keep the backend they started on (checked equal above); new ones record theirs.
  result.backend ??= currentBackend() ?? null;

  const save = () => {
    writeJsonAtomic(resultFile, result);
    writeFileAtomic(path.join(runDir, 'matrix.csv'), matrixToCsv(result.matrix, tasks, tasks.slice(0, result.rowsDone)));
    if (result.zeroShot) writeFileAtomic(path.join(runDir, 'zero-shot.csv'), matrixToCsv([result.zeroShot], tasks));
  };
  const stop = () => {
    if (options.signal?.aborted) throw new Error(`runProtocol: aborted after ${result.rowsDone} of ${T} rows; run again with the same options to resume`);
  };
  /** Evaluates every task; with a cache (the zero-shot row), a task's entry is read when present, else evaluated and stored. */
  const evaluateAll = async (label: string, cache?: ZeroShotCache): Promise<{ acc: number[]; auc: (number | null)[]; seconds: number; cacheHit: boolean[] }> => {
    const t0 = performance.now();
    const acc: number[] = [];
    const auc: (number | null)[] = [];
    const cacheHit: boolean[] = [];
    for (let d = 0; d < T; d++) {
      stop();
      let entry = cache?.read(d);
      if (cache) cacheHit.push(entry !== undefined);
      if (!entry) {
        const ev = await learner.evaluate(d);
        const where = `${label}, task ${d} (${tasks[d]})`;
        entry = { accuracy: checkAccuracy(ev, where), auc: aucOf(ev, where) };
        cache?.write(d, entry);
      }
      acc.push(entry.accuracy);
      auc.push(entry.auc);
      // the mean over the tasks evaluated so far: the finished bar shows the row's mean, not its last task's
      progress({ label, done: d + 1, total: T, metrics: { 'mean accuracy': acc.reduce((a, b) => a + b, 0) / acc.length } });
    }
    return { acc, auc, seconds: (performance.now() - t0) / 1000, cacheHit };
  };

  if (!result.zeroShot) {
    const cache = options.zeroShotCache;
    if (cache && cache.keys.length !== T) throw new Error(`runProtocol: option zeroShotCache has ${cache.keys.length} keys for ${T} tasks`);
    const zs = await evaluateAll('evaluate zero-shot', cache);
    result.zeroShot = zs.acc;
    result.zeroShotAuc = zs.auc;
    result.timings.zeroShotEvalS = zs.seconds;
    if (cache) result.zeroShotCache = { keys: cache.keys.slice(), cacheHit: zs.cacheHit };
    save();
  }

  // The protocol's own bar: tasks done / total (the trainer's `train <task>` bars are the learner's, per step).
  if (result.rowsDone < T) progress({ label: 'protocol', done: result.rowsDone, total: T });
  for (let t = result.rowsDone; t < T; t++) {
    stop();
    const t0 = performance.now();
    const info = await learner.train(t, { progress });
    const trainS = (performance.now() - t0) / 1000;
    const row = await evaluateAll(`evaluate after ${tasks[t]}`);
    await replaceDirAtomic(rowStateDir(runDir, t), (dir) => learner.saveState(dir));
    result.matrix.push(row.acc);
    result.aucMatrix.push(row.auc);
    result.timings.rows.push({ trainS, evalS: row.seconds });
    const infoJson = JSON.stringify(info);
    result.trainInfo[t] = infoJson === undefined ? null : JSON.parse(infoJson);
    result.rowsDone = t + 1;
    if (result.rowsDone === T) {
      result.complete = true;
      const lastAuc = result.aucMatrix[T - 1];
      result.metrics = computeMetrics(result.matrix, {
        zeroShot: result.zeroShot,
        aucPerTask: lastAuc.some((a) => a !== null) ? lastAuc : undefined,
      });
      result.perDataset = perDataset(result.matrix);
    }
    save();
    if (keep !== 'all' && t > 0) fs.rmSync(rowStateDir(runDir, t - 1), { recursive: true, force: true });
    if (keep === 'last' && result.complete) fs.rmSync(path.join(runDir, 'state'), { recursive: true, force: true });
    progress({ label: 'protocol', done: result.rowsDone, total: T });
    if (options.onRow) await options.onRow(t, structuredClone(result));
  }
  return result;
}
