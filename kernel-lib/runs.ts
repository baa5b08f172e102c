/**
 * Runs `evaluateMGTIL` jobs for the notebooks (02-06) and `npm run figures`: complete runs are
 * read back at once, the others go to a pool of worker processes, one per core (the wasm backend
 * computes on one thread), or run in this process one after another. One worker script,
 * `run-worker.ts` beside this file (compiled to `dist/kernel-lib/run-worker.js`), calls
 * {@link runJob}, the same function the in-process path uses.
 *
 * Every run goes to its own run directory; `evaluateMGTIL` resumes a run found there with the
 * same configuration (instantly when it is complete), so notebooks that ask for the same run
 * share it. A job with a `tag` whose run directory holds a run of another configuration runs in
 * `<runDir>-<tag>` instead and says so (a note in the log).
 */
import { checkPathSegment } from '../src/util/safe-name';
import { displayPath } from './paths';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { EvaluateMGTILOptions, MGTILResult } from '../src/experiment';
import type { ModelPreset } from '../src/model/presets';
import type { DualEncoderLike } from '../src/model/types';
import type { AnyMemory } from '../src/memory/reference-set';
import type { ProgressEvent, ProgressSink } from '../src/util/progress';

/**
 * The library, loaded on first use: importing kernel-lib stays light and touches no model or data
 * (the library looks for its bundled data when it loads).
 */
function lib() {
  return {
    ...(require('../src/experiment') as typeof import('../src/experiment')),
    ...(require('../src/eval/protocol') as typeof import('../src/eval/protocol')),
    ...(require('../src/benchmarks') as typeof import('../src/benchmarks')),
    ...(require('../src/backend') as typeof import('../src/backend')),
    ...(require('../src/foundation') as typeof import('../src/foundation')),
    ...(require('../src/model/create') as typeof import('../src/model/create')),
    ...(require('../src/model/checkpoint') as typeof import('../src/model/checkpoint')),
  };
}

// ---------------------------------------------------------------------------------------------
// Jobs

/** The JSON-safe options of one `evaluateMGTIL` run (no model, memory or callbacks: they cannot cross to a worker). */
export type JobOptions = Pick<EvaluateMGTILOptions, 'benchmark' | 'order' | 'method' | 'methodOptions' | 'scale' | 'recipe' | 'seed' | 'root' | 'retrieval'> & {
  /** Run directory (absolute, or relative to the working directory). */
  runDir: string;
};

/**
 * The starting model of a job, built where the job runs: an untrained model with the mini
 * model's architecture and tokenizer (`random`, a control), or a checkpoint
 * (`loadCheckpoint(path, { preset })`). A job without one starts from the bundled mini model.
 */
export type JobModel =
  | {
      /** An untrained model (mini architecture and tokenizer). */
      kind: 'random';
      /** Seed of its initialisation. */
      seed: number;
    }
  | {
      /** A checkpoint. */
      kind: 'checkpoint';
      /** Its safetensors file (or a folder holding one). */
      path: string;
      /** Its layout: `biomedclip` or `clip-vit-b16`. */
      preset: string;
    };

/** One protocol run. */
export interface RunJob {
  /** Unique short name, e.g. `primed-dyn-I` (the key of its result). */
  name: string;
  /** Its options. */
  options: JobOptions;
  /** Its starting model; default the bundled mini model. */
  model?: JobModel;
  /** A memory folder for the distillation methods (paper scale); default the mini memory. */
  memory?: string;
  /**
   * When `runDir` holds a run of another configuration, run in `<runDir>-<tag>` instead (and
   * note it) rather than fail. Default {@link RunJobsOptions.tag}.
   */
  tag?: string;
}

/** Whether `runDir` holds a complete run (its `result.json` says so). */
export function isComplete(runDir: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8')).complete === true;
  } catch {
    return false;
  }
}

/**
 * Worker processes for {@link runJobs}: `PRIMED_NOTEBOOK_WORKERS` when set (a positive integer),
 * else the number of cores, at most 4.
 */
export function defaultWorkers(): number {
  const env = process.env.PRIMED_NOTEBOOK_WORKERS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`PRIMED_NOTEBOOK_WORKERS must be a positive integer, got "${env}"`);
    return n;
  }
  return Math.max(1, Math.min(4, os.cpus().length));
}

// ---------------------------------------------------------------------------------------------
// One run

/** A partial result as rows arrive. */
export interface PartialRun {
  /** Task names in training order. */
  tasks: string[];
  /** Finished rows of the accuracy matrix. */
  matrix: number[][];
  /** Zero-shot accuracy per task. */
  zeroShot: number[] | null;
}

/** What a run needs that cannot cross to a worker process (paper scale: a loaded checkpoint, an open memory). */
export interface InProcessResources {
  /** The starting model (trained in place, disposed after the run). */
  model?: DualEncoderLike;
  /** The memory of the distillation methods (in-RAM or on-disk). */
  memory?: AnyMemory;
}

/** Options of {@link runJob}. */
export interface RunJobOptions {
  /** Progress of training and evaluation (`evaluateMGTIL`'s). */
  progress?: ProgressSink;
  /** Called with each new row of the accuracy matrix. */
  onRow?: (row: number, partial: PartialRun) => void | Promise<void>;
  /** Gives the model and memory instead of the job's `model` and `memory` (called once per attempt). */
  prepare?: (job: RunJob) => Promise<InProcessResources>;
  /** Only read back a complete run: throws (a `NotComplete` error) rather than run or resume one. */
  readBackOnly?: boolean;
}

/** What {@link runJob} returns. */
export interface JobOutcome {
  /** The run's result. */
  result: MGTILResult;
  /** Wall-clock seconds. */
  seconds: number;
  /** Set when the run went to `<runDir>-<tag>` (its run directory held another configuration). */
  note?: string;
}

/** Thrown by {@link runJob} with `readBackOnly` when the run directory it would use holds no complete run. */
class NotComplete extends Error {}

const memories = new Map<string, Promise<AnyMemory>>();

function distills(job: RunJob): boolean {
  return lib().REFERENCE_STRATEGY[job.options.method ?? 'primed-dyn'] !== undefined;
}

/** Builds a job's starting model (undefined: evaluateMGTIL's default, the bundled mini model). */
async function buildModel(spec: JobModel | undefined): Promise<DualEncoderLike | undefined> {
  if (!spec) return undefined;
  const { initBackend, loadMiniModel, createModel, loadCheckpoint } = lib();
  await initBackend();
  if (spec.kind === 'random') {
    const base = await loadMiniModel();
    try {
      // The mini preset resolved (its tokenizer spec is there; the tokenizer is given anyway).
      return createModel(base.preset as unknown as ModelPreset, { seed: spec.seed, tokenizer: base.tokenizer });
    } finally {
      base.dispose();
    }
  }
  if (spec.kind === 'checkpoint') return loadCheckpoint(spec.path, { preset: spec.preset });
  throw new Error(`unknown job model ${JSON.stringify(spec)}`);
}

/** The memory in `dir`, opened once per process. */
function memoryAt(dir: string): Promise<AnyMemory> {
  const key = path.resolve(dir);
  let m = memories.get(key);
  if (!m) {
    m = lib().loadMemory(key);
    memories.set(key, m);
    m.catch(() => memories.delete(key));
  }
  return m;
}

function cannotResume(err: unknown): boolean {
  return err instanceof lib().ResumeMismatchError;
}

/**
 * Runs (or resumes, or reads back) one job here, in this process: builds its model, opens its
 * memory, calls `evaluateMGTIL`. With a tag, a run directory that holds a run of another
 * configuration is left alone and the run goes to `<runDir>-<tag>` (the outcome's `note` says so);
 * without one that is an error that says how to fix it. The worker processes of {@link runJobs}
 * call this too.
 */
export async function runJob(job: RunJob, options: RunJobOptions = {}): Promise<JobOutcome> {
  const t0 = Date.now();
  const attempt = async (runDir: string): Promise<MGTILResult> => {
    if (options.readBackOnly && !isComplete(runDir)) throw new NotComplete(`${runDir}: no complete run`);
    const res = options.prepare ? await options.prepare(job) : { model: await buildModel(job.model) };
    try {
      const memory = res.memory ?? (job.memory && distills(job) ? await memoryAt(job.memory) : undefined);
      return await lib().evaluateMGTIL({
        ...job.options,
        runDir: runDir,
        ...(res.model ? { model: res.model } : {}),
        ...(memory ? { memory: memory } : {}),
        progress: options.progress,
        onRow: options.onRow ? (row, partial) => options.onRow!(row, { tasks: partial.tasks, matrix: partial.matrix, zeroShot: partial.zeroShot }) : undefined,
      });
    } finally {
      res.model?.dispose();
    }
  };
  const runDir = path.resolve(job.options.runDir);
  try {
    return { result: await attempt(runDir), seconds: (Date.now() - t0) / 1000 };
  } catch (err) {
    if (!cannotResume(err)) throw err;
    const text = String((err as Error)?.message ?? err);
    if (!job.tag) {
      throw new Error(`${text}\n(the run in ${displayPath(runDir)} was made with another configuration, e.g. a different model; delete that folder to run it again)`);
    }
    const alt = `${runDir}-${job.tag}`;
    const result = await attempt(alt);
    const note = `${displayPath(runDir)} holds a run of another configuration (${text.split('\n')[0]}); this one ran in ${displayPath(alt)}`;
    return { result: result, seconds: (Date.now() - t0) / 1000, note: note };
  }
}

// ---------------------------------------------------------------------------------------------
// Many runs

/** Options of {@link runJobs}. */
export interface RunJobsOptions {
  /**
   * Worker processes (each runs one protocol run at a time on one core). Default
   * {@link defaultWorkers}. 1 = run in this process.
   */
  workers?: number;
  /** Progress: a bar for all runs, one per run (rows of its matrix) and one per worker. */
  progress?: ProgressSink;
  /** Called with each new row of any run. */
  onRow?: (job: RunJob, row: number, partial: PartialRun) => void | Promise<void>;
  /**
   * Runs everything in this process, sequentially, with what this returns per job (paper scale:
   * a freshly loaded checkpoint and the configured memory) instead of the jobs' `model` and
   * `memory`. Workers are not used then.
   */
  prepare?: (job: RunJob) => Promise<InProcessResources>;
  /** The tag of jobs that have none (see {@link RunJob.tag}). Default none: such a run fails. */
  tag?: string;
  /**
   * Where the results go, by job name; jobs already in it are skipped (a notebook's results of
   * earlier cells). Default a new map. It is also what {@link runJobs} returns.
   */
  results?: Map<string, MGTILResult>;
  /** Where to print one line per run started/finished. Default console.log. */
  log?: (line: string) => void;
}

/** Rough cost of a run relative to `finetune` (its method spec's `relativeCost`, measured at mini scale; 1 for an unknown name), to schedule long runs first. */
const relativeCost = (method: string): number => (require('../src/methods') as typeof import('../src/methods')).METHOD_SPECS.find((s) => s.name === method)?.relativeCost ?? 1;

function tasksOf(job: RunJob): number {
  return lib().getBenchmark(job.options.benchmark ?? 'mini-mgtil').orders[job.options.order ?? 'I'].length;
}

/** The worker script: `run-worker.js` beside the compiled module, or `run-worker.ts` (through tsx) beside the source. */
function workerScript(): { script: string; execArgv: string[] } {
  const ts = path.extname(__filename) === '.ts';
  const script = path.join(__dirname, ts ? 'run-worker.ts' : 'run-worker.js');
  return { script: script, execArgv: ts ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [] };
}

interface WorkerHandle {
  child: ChildProcess;
  index: number;
  output: string[];
}

function startWorker(index: number, workers: number): Promise<WorkerHandle> {
  const w = workerScript();
  // The cores are shared among the workers: each computes on its share (threads beyond the cores
  // make every worker slower), unless PRIMED_THREADS says otherwise. Recorded in each result's backend.
  const threads = process.env.PRIMED_THREADS || String(Math.max(1, Math.floor(os.cpus().length / workers)));
  const child = fork(w.script, [], { execArgv: w.execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, PRIMED_THREADS: threads } });
  const handle: WorkerHandle = { child: child, index: index, output: [] };
  const keep = (chunk: Buffer) => {
    handle.output.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim()));
    if (handle.output.length > 40) handle.output.splice(0, handle.output.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return new Promise((resolve, reject) => {
    const onMsg = (m: { type?: string }) => {
      if (m?.type === 'ready') {
        child.off('message', onMsg);
        resolve(handle);
      }
    };
    child.on('message', onMsg);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker ${index} exited (code ${code}) before it was ready:\n${handle.output.join('\n')}`)));
  });
}

/** A message from a worker (see run-worker.ts). */
interface WorkerMessage {
  type: string;
  id?: string;
  event?: ProgressEvent;
  row?: number;
  partial?: PartialRun;
  outcome?: JobOutcome;
  message?: string;
}

function runInWorker(w: WorkerHandle, job: RunJob, onRow: (row: number, p: PartialRun) => Promise<void>, stage: ProgressSink): Promise<JobOutcome> {
  return new Promise((resolve, reject) => {
    const id = `${job.name}#${Date.now()}`;
    let chain = Promise.resolve();
    const onMsg = (m: WorkerMessage) => {
      if (m.id !== id) return;
      if (m.type === 'progress' && m.event) stage(m.event);
      else if (m.type === 'row') chain = chain.then(() => onRow(m.row!, m.partial!)).catch(() => undefined);
      else if (m.type === 'done' || m.type === 'error') {
        w.child.off('message', onMsg);
        w.child.off('exit', onExit);
        chain.then(() => (m.type === 'done' ? resolve(m.outcome!) : reject(new Error(m.message ?? 'unknown error'))));
      }
    };
    const onExit = (code: number | null) => reject(new Error(`worker ${w.index} died (exit ${code}):\n${w.output.slice(-15).join('\n')}`));
    w.child.on('message', onMsg);
    w.child.once('exit', onExit);
    w.child.send({ type: 'run', id: id, job: job });
  });
}

/** The job with its paths made absolute (a worker may resolve them elsewhere) and its tag filled in. */
function normalised(job: RunJob, tag: string | undefined): RunJob {
  const options: JobOptions = { ...job.options, runDir: path.resolve(job.options.runDir) };
  if (options.root) options.root = path.resolve(options.root);
  const out: RunJob = { ...job, options: options };
  if (job.model?.kind === 'checkpoint') out.model = { kind: 'checkpoint', path: path.resolve(job.model.path), preset: job.model.preset };
  if (job.memory) out.memory = path.resolve(job.memory);
  const t = job.tag ?? tag;
  // The tag names a sibling folder (<runDir>-<tag>): it must not leave the runs folder.
  if (t) out.tag = checkPathSegment(t, `runJobs: job ${job.name}: option tag`);
  return out;
}

/** What the two ways of running (here, in the pool) report to {@link runJobs}. */
interface Tracker {
  progress: ProgressSink;
  log: (line: string) => void;
  /** The `onRow` of a job's run (its row bar, the caller's `onRow`). */
  rowHandler: (job: RunJob) => (row: number, partial: PartialRun) => Promise<void>;
  record: (job: RunJob, r: JobOutcome, where: string) => void;
  fail: (job: RunJob, err: unknown) => void;
}

/**
 * Runs (or resumes, or just reads back) every job and returns their results by job name.
 * Complete runs are read back in this process (instant); the others go to a pool of worker
 * processes (`workers`, default {@link defaultWorkers}), or run here one after another
 * (`workers: 1`, or `prepare` given). Jobs with the same name run once (their options must
 * agree). Throws after all jobs ended if any failed, listing each failure; the others' results
 * are in `results` then.
 */
export async function runJobs(jobs: readonly RunJob[], o: RunJobsOptions = {}): Promise<Map<string, MGTILResult>> {
  const results = o.results ?? new Map<string, MGTILResult>();
  const byName = new Map<string, RunJob>();
  for (const job of jobs) {
    const seen = byName.get(job.name);
    if (seen && JSON.stringify(seen) !== JSON.stringify(normalised(job, o.tag))) throw new Error(`runJobs: two different jobs are named ${job.name}`);
    if (!seen && !results.has(job.name)) byName.set(job.name, normalised(job, o.tag));
  }
  const todo = [...byName.values()];
  if (!todo.length) return results;
  const progress = o.progress ?? (() => undefined);
  const failures: string[] = [];
  let finished = 0;
  const overall = () => progress({ label: 'all runs', done: finished, total: todo.length });
  overall();
  const t: Tracker = {
    progress: progress,
    log: o.log ?? ((line: string) => console.log(line)),
    rowHandler: (job) => {
      const T = tasksOf(job);
      progress({ label: job.name, done: 0, total: T + 1 });
      return async (row, partial) => {
        progress({ label: job.name, done: Math.min(T + 1, partial.matrix.length + (partial.zeroShot ? 1 : 0)), total: T + 1 });
        if (o.onRow) await o.onRow(job, row, partial);
      };
    },
    record: (job, r, where) => {
      results.set(job.name, r.result);
      finished++;
      overall();
      const T = tasksOf(job);
      progress({ label: job.name, done: T + 1, total: T + 1 });
      t.log(`${job.name}: ${where} in ${r.seconds.toFixed(1)} s -> ${displayPath(r.result.runDir)}${r.note ? `\n  note: ${r.note}` : ''}`);
    },
    fail: (job, err) => {
      failures.push(`${job.name}: ${(err as Error)?.message ?? String(err)}`);
      finished++;
      overall();
    },
  };
  const t0 = Date.now();

  // 1. Complete runs: read back here (evaluateMGTIL checks the stored configuration and returns at once).
  const pending: RunJob[] = [];
  for (const job of todo) {
    if (!isComplete(job.options.runDir)) {
      pending.push(job);
      continue;
    }
    try {
      t.record(job, await runJob(job, { prepare: o.prepare, readBackOnly: true }), 'read back (complete run)');
    } catch (err) {
      if (err instanceof NotComplete) pending.push(job); // another configuration's run is there, and the tagged folder holds no complete one
      else t.fail(job, err);
    }
  }
  // 2. The others: here, one after another, or in the pool.
  if (pending.length) {
    const workers = o.prepare ? 1 : Math.min(o.workers ?? defaultWorkers(), pending.length);
    if (workers <= 1) await runHere(pending, o.prepare, t);
    else await runPool(pending, workers, t);
    t.log(`${pending.length} run(s) in ${((Date.now() - t0) / 1000).toFixed(0)} s (${workers <= 1 ? 'in this process' : `${workers} workers`})`);
  }
  if (failures.length) throw new Error(`${failures.length} run(s) failed:\n${failures.join('\n\n')}`);
  return results;
}

/** Here, one after another (paper scale, or one core). */
async function runHere(pending: RunJob[], prepare: RunJobsOptions['prepare'], t: Tracker): Promise<void> {
  for (const job of pending) {
    t.log(`${job.name}: running here`);
    try {
      t.record(job, await runJob(job, { progress: t.progress, onRow: t.rowHandler(job), prepare: prepare }), 'ran');
    } catch (err) {
      t.fail(job, err);
    }
  }
}

/** A pool of worker processes, each running one job after another. */
async function runPool(pending: RunJob[], workers: number, t: Tracker): Promise<void> {
  // Build each memory the distillation runs share once, here, so that workers never race to build it.
  const needMemory = new Map<string, JobModel | undefined>();
  for (const job of pending) if (distills(job) && !job.memory) needMemory.set(JSON.stringify(job.model ?? null), job.model);
  for (const spec of needMemory.values()) {
    const model = await buildModel(spec);
    try {
      await lib().loadMemory(undefined, { ...(model ? { model: model } : {}), progress: t.progress });
    } finally {
      model?.dispose();
    }
  }
  t.log(`running ${pending.length} run(s) in ${workers} worker processes (PRIMED_NOTEBOOK_WORKERS to change)`);
  // Longest first (rehearsal and distillation cost more per step), so no worker is left with a long run at the end.
  const queue = [...pending].sort((a, b) => relativeCost(b.options.method ?? '') - relativeCost(a.options.method ?? ''));
  const started = await Promise.allSettled(Array.from({ length: workers }, (_, i) => startWorker(i + 1, workers)));
  const handles = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const startErrors = started.flatMap((s) => (s.status === 'rejected' ? [String((s.reason as Error)?.message ?? s.reason)] : []));
  if (startErrors.length) t.log(`${startErrors.length} worker(s) did not start:\n${startErrors.join('\n')}`);
  try {
    await Promise.all(
      handles.map(async (w) => {
        // one line per worker showing its current stage in that stage's own units (steps, tasks, rows)
        const stage: ProgressSink = (e) => t.progress({ ...e, label: `worker ${w.index}: ${e.label}`, slot: `worker ${w.index}` });
        for (let job = queue.shift(); job; job = queue.shift()) {
          try {
            t.record(job, await runInWorker(w, job, t.rowHandler(job), stage), `ran in worker ${w.index}`);
          } catch (err) {
            t.fail(job, err);
            if (w.child.exitCode !== null || w.child.signalCode !== null) return; // this worker is gone; the others go on
          }
        }
      }),
    );
  } finally {
    const why = handles.length ? 'every worker process died' : `no worker process started (${startErrors[0] ?? 'unknown error'})`;
    for (const job of queue.splice(0)) t.fail(job, new Error(`not run: ${why}`));
    for (const w of handles) {
      if (w.child.exitCode === null && w.child.connected) w.child.send({ type: 'exit' });
    }
  }
}
