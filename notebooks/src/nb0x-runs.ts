/**
 * Shared plumbing of notebooks 02/03 and `figures/make.ts`: the protocol runs behind the
 * paper's Tables 1/2/7/8 and Figs. 4/7, run in parallel worker processes (one per core), the
 * names the paper uses for our methods, and the paper-scale dataset/checkpoint checks.
 *
 * Every run goes to its own run directory; `evaluateMGTIL` resumes a run found there with the
 * same configuration (instantly when it is complete), so notebooks and `npm run figures` that
 * ask for the same run share it.
 *
 * Imported by the notebooks (tslab compiles it with TypeScript 5.0.4: keep to that syntax) and
 * by figures/make.ts (tsx). It imports the compiled library, `dist/` (`npm run build`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import {
  evaluateMGTIL,
  getBenchmark,
  loadMemory,
  checkBenchmark,
  formatProblems,
  type EvaluateMGTILOptions,
  type MGTILResult,
  type ProgressSink,
  type DualEncoderLike,
  type Memory,
} from '../../dist/src';

// ---------------------------------------------------------------------------------------------
// Method names

/** The nine methods this library implements, in the paper's table order. */
export const METHODS = ['finetune', 'l2', 'ewc', 'lwf', 'icarl', 'wise-ft', 'zscl', 'primed-uni', 'primed-dyn'];

/** How the tables label our methods. */
export const METHOD_LABEL: Record<string, string> = {
  finetune: 'Continual FT',
  l2: 'l2 baseline',
  ewc: 'EWC',
  lwf: 'LwF',
  icarl: 'iCaRL',
  'wise-ft': 'WiSE-FT',
  zscl: 'ZSCL',
  'primed-uni': 'PRIMED_uni',
  'primed-dyn': 'PRIMED_dyn',
};

/** The row name of each method in the paper's Tables 1/2 (`paperTables.table1/table2`); null = not in the paper's tables. */
export const PAPER_ROW: Record<string, string | null> = {
  finetune: 'Continual FT',
  l2: 'l2 baseline',
  ewc: null, // EWC appears only as a regulariser ablation (Table 4e/10), not as a baseline row
  lwf: 'LwF',
  icarl: 'iCaRL',
  'wise-ft': 'WiSE-FT',
  zscl: 'ZSCL',
  'primed-uni': 'PRIMED_uni',
  'primed-dyn': 'PRIMED_dyn',
};

/** The row name of each method in the paper's per-dataset Tables 7/8 (`paperTables.table7/table8`). */
export const PAPER_PER_DATASET_ROW: Record<string, string | null> = {
  finetune: 'ContFT',
  l2: 'l2',
  ewc: null,
  lwf: 'LwF',
  icarl: 'iCaRL',
  'wise-ft': 'WiSE-FT',
  zscl: 'ZSCL',
  'primed-uni': 'PRIMED_uni',
  'primed-dyn': 'PRIMED_dyn',
};

/** Paper baselines this library does not implement (their rows show the paper's numbers only). */
export const PAPER_ONLY_ROWS = ['MoE-CL', 'SND', 'DIKI', 'GIFT'];

// ---------------------------------------------------------------------------------------------
// Jobs

/** The JSON-safe options of one `evaluateMGTIL` run (no model, memory or callbacks: they cannot cross to a worker). */
export type JobOptions = Pick<EvaluateMGTILOptions, 'benchmark' | 'order' | 'method' | 'methodOptions' | 'scale' | 'recipe' | 'seed' | 'root' | 'retrieval'> & {
  /** Run directory (absolute, or relative to the working directory). */
  runDir: string;
};

/** One protocol run. */
export interface RunJob {
  /** Unique short name, e.g. `primed-dyn-I`. */
  name: string;
  /** Its options. */
  options: JobOptions;
}

/** Options of {@link protocolJobs}. */
export interface ProtocolJobsOptions {
  /** Benchmark name. */
  benchmark: string;
  /** Methods. Default {@link METHODS}. */
  methods?: readonly string[];
  /** Orders. Default both. */
  orders?: readonly ('I' | 'II')[];
  /** Training steps per task. */
  steps: number;
  /** Seed. */
  seed: number;
  /** Folder of the run directories (`<runsRoot>/<method>-<order>-s<steps>`). */
  runsRoot: string;
  /** Dataset root (paper benchmarks). */
  root?: string;
}

/** The runs of a methods × orders grid, each in `<runsRoot>/<method>-<order>-s<steps>`. */
export function protocolJobs(o: ProtocolJobsOptions): RunJob[] {
  const jobs: RunJob[] = [];
  for (const order of o.orders ?? ['I', 'II']) {
    for (const method of o.methods ?? METHODS) {
      jobs.push({
        name: `${method}-${order}`,
        options: {
          benchmark: o.benchmark,
          order,
          method,
          recipe: { trainer: { steps: o.steps } },
          seed: o.seed,
          runDir: path.resolve(o.runsRoot, `${method}-${order}-s${o.steps}`),
          ...(o.root ? { root: o.root } : {}),
        },
      });
    }
  }
  return jobs;
}

/** Whether `runDir` holds a complete run (its `result.json` says so). */
export function isComplete(runDir: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8')).complete === true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Running

/** A partial result as rows arrive. */
export interface PartialRun {
  /** Task names in training order. */
  tasks: string[];
  /** Finished rows of the accuracy matrix. */
  matrix: number[][];
  /** Zero-shot accuracy per task. */
  zeroShot: number[] | null;
}

/** What a run needs that cannot cross to a worker process (paper scale: the checkpoint, the memory). */
export interface InProcessResources {
  /** The starting model (trained in place, disposed after the run). */
  model?: DualEncoderLike;
  /** The memory of the distillation methods. */
  memory?: Memory;
}

/** Options of {@link runJobs}. */
export interface RunJobsOptions {
  /** Repo root (`env.root`): where `dist/` and the worker script are. */
  root: string;
  /**
   * Worker processes (each runs one protocol run at a time on one core). Default
   * `PRIMED_NOTEBOOK_WORKERS`, else the number of cores (at most 4). 1 = run in this process.
   */
  workers?: number;
  /** Progress: a bar for all runs, one per run (rows of its matrix) and one per worker. */
  progress?: ProgressSink;
  /** Called with each new row of any run. */
  onRow?: (job: RunJob, row: number, partial: PartialRun) => void | Promise<void>;
  /**
   * Runs everything in this process, sequentially, with what this returns per job (paper scale:
   * a freshly loaded checkpoint and the configured memory). Workers are not used then.
   */
  prepare?: (job: RunJob) => Promise<InProcessResources>;
  /** Where to print one line per run started/finished. Default console.log. */
  log?: (line: string) => void;
}

const DISTILLING = new Set(['zscl', 'primed', 'primed-uni', 'primed-dyn']);
/** Rough cost of a run relative to `finetune` (measured at mini scale), to schedule long runs first. */
const RELATIVE_COST: Record<string, number> = { icarl: 1.5, 'primed-dyn': 1.35, 'primed-uni': 1.35, primed: 1.35, zscl: 1.25 };

function defaultWorkers(): number {
  const env = process.env.PRIMED_NOTEBOOK_WORKERS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`PRIMED_NOTEBOOK_WORKERS must be a positive integer, got "${env}"`);
    return n;
  }
  return Math.max(1, Math.min(4, os.cpus().length));
}

function tasksOf(job: RunJob): number {
  return getBenchmark(job.options.benchmark ?? 'mini-mgtil').orders[job.options.order ?? 'I'].length;
}

async function runInProcess(job: RunJob, o: RunJobsOptions, onRow: (row: number, p: PartialRun) => Promise<void>, stage?: ProgressSink): Promise<MGTILResult> {
  const res = o.prepare ? await o.prepare(job) : {};
  try {
    return await evaluateMGTIL({
      ...job.options,
      ...(res.model ? { model: res.model } : {}),
      ...(res.memory ? { memory: res.memory } : {}),
      progress: stage,
      onRow: (row, partial) => onRow(row, { tasks: partial.tasks, matrix: partial.matrix, zeroShot: partial.zeroShot }),
    });
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (/cannot resume/.test(msg)) {
      throw new Error(`${job.name}: ${msg}\n(the run in ${job.options.runDir} was made with another configuration, e.g. a different model; delete that folder to run it again)`);
    }
    throw err;
  } finally {
    res.model?.dispose();
  }
}

interface WorkerHandle {
  child: ChildProcess;
  index: number;
  stderr: string[];
}

function startWorker(root: string, index: number): Promise<WorkerHandle> {
  const script = path.join(root, 'notebooks', 'src', 'nb0x-worker.js');
  const child = fork(script, [], { cwd: root, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env } });
  const handle: WorkerHandle = { child, index, stderr: [] };
  const keep = (chunk: Buffer) => {
    handle.stderr.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim()));
    if (handle.stderr.length > 40) handle.stderr.splice(0, handle.stderr.length - 40);
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
    child.once('exit', (code) => reject(new Error(`worker ${index} exited (code ${code}) before it was ready:\n${handle.stderr.join('\n')}`)));
  });
}

function runInWorker(w: WorkerHandle, job: RunJob, root: string, onRow: (row: number, p: PartialRun) => Promise<void>, stage: ProgressSink): Promise<MGTILResult> {
  return new Promise((resolve, reject) => {
    const id = `${job.name}#${Date.now()}`;
    let chain = Promise.resolve();
    const onMsg = (m: { type: string; id?: string; event?: Parameters<ProgressSink>[0]; row?: number; partial?: PartialRun; result?: MGTILResult; message?: string }) => {
      if (m.id !== id) return;
      if (m.type === 'progress' && m.event) stage(m.event);
      else if (m.type === 'row') chain = chain.then(() => onRow(m.row!, m.partial!)).catch(() => undefined);
      else if (m.type === 'done' || m.type === 'error') {
        w.child.off('message', onMsg);
        w.child.off('exit', onExit);
        chain.then(() => {
          if (m.type === 'done') resolve(m.result!);
          else {
            const msg = m.message ?? 'unknown error';
            reject(new Error(/cannot resume/.test(msg) ? `${job.name}: ${msg}\n(the run in ${job.options.runDir} was made with another configuration, e.g. a different model; delete that folder to run it again)` : `${job.name}: ${msg}`));
          }
        });
      }
    };
    const onExit = (code: number | null) => reject(new Error(`${job.name}: worker ${w.index} died (exit ${code}):\n${w.stderr.slice(-15).join('\n')}`));
    w.child.on('message', onMsg);
    w.child.once('exit', onExit);
    w.child.send({ type: 'run', id, root, options: job.options });
  });
}

/**
 * Runs (or resumes, or just reads back) every job and returns their results by job name.
 * Complete runs are read back in this process (instant); the others go to a pool of worker
 * processes, or run here one after another (`workers: 1`, or `prepare` given). Throws after
 * all jobs ended if any failed, listing each failure.
 */
export async function runJobs(jobs: readonly RunJob[], o: RunJobsOptions): Promise<Map<string, MGTILResult>> {
  const log = o.log ?? ((line: string) => console.log(line));
  const progress = o.progress ?? (() => undefined);
  const results = new Map<string, MGTILResult>();
  const failures: string[] = [];
  let finished = 0;
  const overall = () => progress({ label: `all runs`, done: finished, total: jobs.length });
  overall();
  const rowHandler = (job: RunJob) => {
    const T = tasksOf(job);
    progress({ label: job.name, done: 0, total: T + 1 });
    return async (row: number, partial: PartialRun) => {
      progress({ label: job.name, done: Math.min(T + 1, partial.matrix.length + (partial.zeroShot ? 1 : 0)), total: T + 1 });
      if (o.onRow) await o.onRow(job, row, partial);
    };
  };
  const record = (job: RunJob, r: MGTILResult, seconds: number, where: string) => {
    results.set(job.name, r);
    finished++;
    overall();
    const T = tasksOf(job);
    progress({ label: job.name, done: T + 1, total: T + 1 });
    log(`${job.name}: ${where} in ${seconds.toFixed(1)} s -> ${path.relative(process.cwd(), job.options.runDir) || '.'}`);
  };

  // 1. Complete runs: read back here (evaluateMGTIL checks the stored configuration and returns at once).
  const pending: RunJob[] = [];
  for (const job of jobs) {
    if (!isComplete(job.options.runDir)) {
      pending.push(job);
      continue;
    }
    const t0 = Date.now();
    try {
      record(job, await runInProcess(job, o, async () => undefined), (Date.now() - t0) / 1000, 'read back (complete run)');
    } catch (err) {
      failures.push((err as Error).message);
      finished++;
      overall();
    }
  }
  if (!pending.length) {
    if (failures.length) throw new Error(`${failures.length} run(s) failed:\n${failures.join('\n\n')}`);
    return results;
  }

  const workers = o.prepare ? 1 : Math.min(o.workers ?? defaultWorkers(), pending.length);
  if (workers <= 1) {
    // 2a. Here, one after another (paper scale, or one core).
    for (const job of pending) {
      const t0 = Date.now();
      log(`${job.name}: running here`);
      try {
        record(job, await runInProcess(job, o, rowHandler(job), progress), (Date.now() - t0) / 1000, 'ran');
      } catch (err) {
        failures.push((err as Error).message);
        finished++;
        overall();
      }
    }
  } else {
    // 2b. A pool of worker processes. Build the (cached) mini memory once first, so workers never race to build it.
    if (pending.some((j) => DISTILLING.has(j.options.method ?? 'primed-dyn'))) await loadMemory(undefined, { progress });
    log(`running ${pending.length} run(s) in ${workers} worker processes (PRIMED_NOTEBOOK_WORKERS to change)`);
    // Longest first (rehearsal and distillation cost more per step), so no worker is left with a long run at the end.
    const queue = [...pending].sort((a, b) => (RELATIVE_COST[b.options.method ?? ''] ?? 1) - (RELATIVE_COST[a.options.method ?? ''] ?? 1));
    const handles: WorkerHandle[] = [];
    try {
      for (let i = 0; i < workers; i++) handles.push(await startWorker(o.root, i + 1));
      await Promise.all(
        handles.map(async (w) => {
          const stage: ProgressSink = (e) => progress({ ...e, label: `worker ${w.index}` });
          for (let job = queue.shift(); job; job = queue.shift()) {
            const t0 = Date.now();
            try {
              record(job, await runInWorker(w, job, o.root, rowHandler(job), stage), (Date.now() - t0) / 1000, `ran in worker ${w.index}`);
            } catch (err) {
              failures.push((err as Error).message);
              finished++;
              overall();
              if (w.child.exitCode !== null || w.child.signalCode !== null) return; // this worker is gone; the others go on
            }
          }
        }),
      );
    } finally {
      for (const w of handles) {
        if (w.child.exitCode === null && w.child.connected) w.child.send({ type: 'exit' });
      }
    }
  }
  if (failures.length) throw new Error(`${failures.length} run(s) failed:\n${failures.join('\n\n')}`);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Paper scale: where the datasets are

/** What a notebook's paper-scale set-up found. */
export interface PaperData {
  /** The benchmark root to pass as `root`. */
  root?: string;
  /** One entry per problem that blocks the runs (empty = ready). */
  problems: string[];
}

/** The parts of kernel-lib's `NotebookEnv` read here. */
export interface PaperEnv {
  /** The paper config, when it was found. */
  config?: { datasets: Record<string, string>; checkpoints: Record<string, string>; memory?: string };
  /** setup's list of what is missing. */
  missing: readonly string[];
  /** Runs folder (the dataset links go under it). */
  runsDir: string;
}

/**
 * Everything a paper-scale notebook needs for `benchmark`, checked, with exactly what is missing.
 * The datasets come from the config's `datasets`, in either form (as in notebooks 04-06 and
 * `primed.paper.example.json`): `datasets.<benchmark>`, a folder holding one sub-folder per
 * dataset id, or one `datasets.<id>` entry per dataset, linked into one root under the runs
 * folder. Then `checkBenchmark` checks every dataset; the checkpoint and (with `memory`) the
 * memory come from setup's list, and the memory must be embedded by the backbone's own text
 * tower (PRIMED embeds its retrieval queries with it).
 */
export function paperBenchmarkData(benchmark: string, env: PaperEnv, options: { checkpoint: string; memory: boolean }): PaperData {
  const spec = getBenchmark(benchmark);
  const ids = new Set(spec.tasks.map((t) => t.id));
  const problems = env.missing.filter((line) => {
    const m = /^(datasets|checkpoints)\.([^:]+):/.exec(line);
    if (m) return m[1] === 'datasets' ? ids.has(m[2]) || m[2] === spec.name : m[2] === options.checkpoint;
    return line.startsWith('memory') ? options.memory : true; // the config file itself
  });
  const config = env.config;
  if (!config) return { problems: problems };
  if (!config.checkpoints[options.checkpoint] && !problems.some((p) => p.startsWith(`checkpoints.${options.checkpoint}`))) {
    problems.push(`checkpoints.${options.checkpoint}: not configured (a safetensors file, or a folder holding one)`);
  }
  if (options.memory) {
    if (!config.memory) {
      if (!problems.some((p) => p.startsWith('memory'))) problems.push('memory: not configured (a memory folder from `primed memory build`)');
    } else if (fs.existsSync(path.join(config.memory, 'manifest.json'))) {
      const id = (JSON.parse(fs.readFileSync(path.join(config.memory, 'manifest.json'), 'utf8')) as { embedder?: { id?: string } }).embedder?.id ?? '';
      if (!id.startsWith('model:')) {
        problems.push(`memory: ${config.memory} was embedded with ${id || 'an unknown embedder'}; PRIMED embeds its retrieval queries with the backbone's text tower, so build it with \`primed memory build ... --embedder model:<the ${options.checkpoint} checkpoint>\``);
      }
    } else if (fs.existsSync(config.memory)) {
      problems.push(`memory: ${config.memory} holds no manifest.json (build one with \`primed memory build\`)`);
    }
  }

  let root: string;
  const whole = config.datasets[spec.name];
  if (whole) {
    if (!fs.existsSync(whole)) return { problems: problems }; // setup reported datasets.<benchmark>
    root = whole;
  } else {
    const absent = spec.tasks.filter((t) => !config.datasets[t.id]);
    if (absent.length === spec.tasks.length) {
      problems.push(`datasets.${spec.name}: not configured (a folder holding ${spec.tasks.map((t) => t.id + '/').join(', ')}; or one datasets.<id> entry per dataset)`);
      return { problems: problems };
    }
    problems.push(...absent.map((t) => `datasets.${t.id}: not configured (needed by ${spec.name})`));
    root = path.join(env.runsDir, 'dataset-roots', spec.name);
    fs.mkdirSync(root, { recursive: true });
    for (const task of spec.tasks) {
      const target = config.datasets[task.id];
      const link = path.join(root, task.id);
      if (!target || !fs.existsSync(target)) continue; // reported above
      let current: string | undefined;
      try {
        current = fs.readlinkSync(link);
      } catch {
        current = undefined;
      }
      if (current !== target) {
        fs.rmSync(link, { force: true });
        fs.symlinkSync(target, link, 'dir');
      }
    }
  }
  const bad = checkBenchmark(spec, root);
  if (bad.length) {
    const note = whole ? '' : `\n(each dataset is read through the link ${path.join(root, '<id>')} to its configured folder)`;
    problems.push(formatProblems(spec, bad) + note);
  }
  return { root: root, problems: problems };
}
