/**
 * A notebook's opening cell in one call, `const nb = await startNotebook({ name, needs })`, and
 * the helpers that put our numbers beside the paper's (notebooks 02-06).
 *
 * `startNotebook` runs {@link setup}, reads the notebook switches from the environment
 * (`PRIMED_SCALE`, `PRIMED_NOTEBOOK_STEPS`, `PRIMED_NOTEBOOK_PLAN`, `PRIMED_NOTEBOOK_ORDERS`,
 * `PRIMED_NOTEBOOK_WORKERS`, `PRIMED_NOTEBOOK_RUNS`), checks the paper-scale data with
 * {@link paperBenchmarkData} (one check for every notebook) and prints what it found, so the
 * notebook's first output says where everything comes from and what is missing.
 */
import * as path from 'node:path';
import { defaultRecipe } from '../src/recipes';
import { getBenchmark } from '../src/benchmarks/index';
import type { Triple } from '../src/paper/index';
import type { MGTILResult } from '../src/experiment';
import { displayPath } from './paths';
import { setup, type NotebookEnv, type Scale, type SetupOptions } from './setup';
import { defaultWorkers, runJobs, type RunJob } from './runs';
import { paperBenchmarkData } from './protocol';

/** Which configurations a notebook runs: `all`, or `core` (a subset named by each notebook). */
export type NotebookPlan = 'all' | 'core';
/** A task order of the MGTIL benchmarks. */
export type TaskOrder = 'I' | 'II';

/** Options of {@link startNotebook}. */
export interface StartNotebookOptions {
  /** The notebook's name (its runs are tagged with it when a run folder holds another configuration). */
  name: string;
  /** What the notebook needs at paper scale (see {@link SetupOptions}). */
  needs?: SetupOptions['needs'];
  /** The paper-scale checkpoint its runs use (checked); none for notebooks that read every configured one. */
  checkpoint?: string;
  /** Benchmarks at paper scale. Default both, HieraMedTransfer and MedXtreme. */
  paperBenchmarks?: readonly string[];
  /** Task orders when `PRIMED_NOTEBOOK_ORDERS` is not set. Default `['I']`. */
  orders?: readonly TaskOrder[];
  /** Seed. Default 42. */
  seed?: number;
  /** Environment to read the switches from (tests). Default `process.env`. */
  environment?: Record<string, string | undefined>;
}

/** What {@link startNotebook} found and set up: the switches, the data, the runs. */
export interface NotebookContext {
  /** The notebook's name. */
  readonly name: string;
  /** setup()'s result: backend, folders, paper config, progress sink. */
  readonly env: NotebookEnv;
  /** `mini` or `paper`. */
  readonly scale: Scale;
  /** Training steps per task (`PRIMED_NOTEBOOK_STEPS`; default the recipe's). */
  readonly steps: number;
  /** Which configurations run (`PRIMED_NOTEBOOK_PLAN`; default `all`). */
  readonly plan: NotebookPlan;
  /** Task orders (`PRIMED_NOTEBOOK_ORDERS`). */
  readonly orders: readonly TaskOrder[];
  /** Parallel worker processes (`PRIMED_NOTEBOOK_WORKERS`; default one per core, at most 4). */
  readonly workers: number;
  /** The benchmarks the runs use: mini-MGTIL at mini scale. */
  readonly benchmarks: readonly string[];
  /** Folder of the run directories (`PRIMED_NOTEBOOK_RUNS`; default `runs/notebooks`). */
  readonly runsRoot: string;
  /** Dataset root per paper benchmark that passed its checks. */
  readonly roots: Readonly<Record<string, string>>;
  /** What blocks the paper-scale runs, one line each (empty at mini scale). */
  readonly problems: readonly string[];
  /** Whether everything the runs need is there. */
  readonly ready: boolean;
  /** Every run's result in this kernel, by job name. */
  readonly results: Map<string, MGTILResult>;
  /** The run directory of a configuration: `<runsRoot>/[<benchmark>-]<stem>-<order>-s<steps>`. */
  runDir(stem: string, benchmark: string, order: TaskOrder): string;
  /** A job's name: `[<benchmark>-]<stem>-<order>` (mini-MGTIL unprefixed). */
  jobName(stem: string, benchmark: string, order: TaskOrder): string;
  /** The paper-scale backbone (`checkpoint`), memory and dataset root of a job; nothing at mini scale. */
  paperParts(benchmark: string): Pick<RunJob, 'model' | 'memory'> & {
    /** The benchmark's dataset root. */
    root?: string;
  };
  /** Runs `jobs` (kernel-lib's pool; complete runs are read back) into {@link results}. */
  runAll(jobs: readonly RunJob[]): Promise<void>;
  /** The run folder a job's result came from, or why there is none. */
  runCell(job: RunJob): string;
  /** A caption naming what ours and the paper's numbers are. */
  caption(what: string, benchmark: string, order: TaskOrder, kind: PaperKind): string;
  /** Prints why a cell is skipped and returns true when the paper-scale data is missing. */
  skip(): boolean;
}

function positiveInteger(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
}

/**
 * The folder of a notebook's run directories: `PRIMED_NOTEBOOK_RUNS` when set, else
 * `<root>/runs/notebooks` at mini scale and `<runs folder>/notebooks` at paper scale.
 */
export function notebookRunsRoot(env: Pick<NotebookEnv, 'root' | 'runsDir'>, scale: Scale, environment: Record<string, string | undefined> = process.env): string {
  const given = environment.PRIMED_NOTEBOOK_RUNS;
  return path.resolve(given ? given : scale === 'mini' ? path.join(env.root, 'runs', 'notebooks') : path.join(env.runsDir, 'notebooks'));
}

/** The notebook switches {@link readNotebookSwitches} read. */
export interface NotebookSwitches {
  /** Training steps per task. */
  steps: number;
  /** Which configurations run. */
  plan: NotebookPlan;
  /** Task orders. */
  orders: TaskOrder[];
}

/** Reads the notebook switches; errors name the variable and the value. */
export function readNotebookSwitches(environment: Record<string, string | undefined>, scale: Scale, benchmark: string, defaultOrders: readonly TaskOrder[] = ['I']): NotebookSwitches {
  const stepsText = environment.PRIMED_NOTEBOOK_STEPS;
  const steps = stepsText !== undefined && stepsText !== '' ? positiveInteger(stepsText, 'PRIMED_NOTEBOOK_STEPS') : defaultRecipe(benchmark, scale).trainer.steps;
  const plan = environment.PRIMED_NOTEBOOK_PLAN || 'all';
  if (plan !== 'all' && plan !== 'core') throw new Error(`PRIMED_NOTEBOOK_PLAN must be all or core, got "${plan}"`);
  const orders = environment.PRIMED_NOTEBOOK_ORDERS ? environment.PRIMED_NOTEBOOK_ORDERS.split(',').map((s) => s.trim()).filter((s) => s !== '') : [...defaultOrders];
  if (!orders.length || orders.some((o) => o !== 'I' && o !== 'II')) throw new Error(`PRIMED_NOTEBOOK_ORDERS must be I, II or I,II, got "${environment.PRIMED_NOTEBOOK_ORDERS}"`);
  return { steps: steps, plan: plan, orders: orders as TaskOrder[] };
}

/**
 * The opening cell of notebooks 02-06: setup, the switches, the paper-scale checks (everything
 * missing listed; nothing runs without it), the run pool. Prints one line per finding.
 */
export async function startNotebook(o: StartNotebookOptions): Promise<NotebookContext> {
  const environment = o.environment ?? process.env;
  const scale: Scale = environment.PRIMED_SCALE === 'paper' ? 'paper' : 'mini';
  if (environment.PRIMED_SCALE && environment.PRIMED_SCALE !== 'paper' && environment.PRIMED_SCALE !== 'mini') {
    throw new Error(`PRIMED_SCALE must be mini or paper in notebook ${o.name}, got "${environment.PRIMED_SCALE}"`);
  }
  const env = await setup({ scale: scale, seed: o.seed ?? 42, needs: o.needs });
  const benchmarks = scale === 'mini' ? ['mini-mgtil'] : [...(o.paperBenchmarks ?? ['hieramedtransfer', 'medxtreme'])];
  const { steps, plan, orders } = readNotebookSwitches(environment, scale, benchmarks[0], o.orders);
  const workers = defaultWorkers();
  const runsRoot = notebookRunsRoot(env, scale, environment);
  const problems: string[] = [];
  const roots: Record<string, string> = {};
  if (scale === 'paper') {
    for (const benchmark of benchmarks) {
      const found = paperBenchmarkData(benchmark, env, { checkpoint: o.checkpoint, memory: o.needs?.memory === true });
      for (const p of found.problems) if (!problems.includes(p)) problems.push(p);
      if (found.root) roots[benchmark] = found.root;
    }
  }
  const ready = problems.length === 0;
  const results = new Map<string, MGTILResult>();
  console.log(`training budget: ${steps} steps per task (PRIMED_NOTEBOOK_STEPS; the ${scale} recipe's own is ${defaultRecipe(benchmarks[0], scale).trainer.steps})`);
  console.log(`plan: ${plan} (PRIMED_NOTEBOOK_PLAN), orders: ${orders.join(', ')} (PRIMED_NOTEBOOK_ORDERS), ${workers} worker(s) (PRIMED_NOTEBOOK_WORKERS)`);
  console.log(`benchmark(s): ${benchmarks.join(', ')}; runs in ${displayPath(runsRoot)}`);
  if (!ready) {
    console.log(`Paper scale: cannot run, ${problems.length} problem(s):\n` + problems.map((p) => `  - ${p.replace(/\n/g, '\n    ')}`).join('\n') +
      `\nFix ${env.configFile ?? 'primed.paper.json'} (see primed.paper.example.json) and run again; every cell below is skipped.`);
  }
  const prefix = (benchmark: string) => (benchmark === 'mini-mgtil' ? '' : `${benchmark}-`);
  const ctx: NotebookContext = {
    name: o.name, env: env, scale: scale, steps: steps, plan: plan, orders: orders, workers: workers, benchmarks: benchmarks,
    runsRoot: runsRoot, roots: roots, problems: problems, ready: ready, results: results,
    runDir: (stem, benchmark, order) => path.join(runsRoot, `${prefix(benchmark)}${stem}-${order}-s${steps}`),
    jobName: (stem, benchmark, order) => `${prefix(benchmark)}${stem}-${order}`,
    paperParts(benchmark) {
      if (scale === 'mini') return {};
      const checkpoint = o.checkpoint ? env.config?.checkpoints[o.checkpoint] : undefined;
      return {
        ...(checkpoint && o.checkpoint ? { model: { kind: 'checkpoint' as const, path: checkpoint, preset: o.checkpoint } } : {}),
        ...(env.config?.memory ? { memory: env.config.memory } : {}),
        ...(roots[benchmark] ? { root: roots[benchmark] } : {}),
      };
    },
    async runAll(jobs) {
      await runJobs(jobs, { workers: workers, progress: env.progress, tag: o.name, results: results });
    },
    runCell(job) {
      const r = results.get(job.name);
      return r ? path.basename(r.runDir) : `not run (plan ${plan})`;
    },
    caption(what, benchmark, order, kind) {
      const oursText = benchmark === 'mini-mgtil'
        ? `ours = mini-MGTIL Order ${order} (5-task CPU stand-in, bundled mini model, ${steps} steps/task)`
        : `ours = ${benchmark} Order ${order} (BiomedCLIP, ${steps} steps/task)`;
      return `${what}: ${oursText}; paper = BiomedCLIP on ${kind === 'HMT' ? 'HieraMedTransfer' : 'MedXtreme'} Order ${order}. The numbers are not expected to match.`;
    },
    skip() {
      if (ready) return false;
      console.log('skipped: the paper-scale data is missing (see the list above)');
      return true;
    },
  };
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// Ours beside the paper's

/** The paper reports Transfer/Avg/Last on HieraMedTransfer (`HMT`) and ACC/AUC/BWT on MedXtreme (`MX`). */
export type PaperKind = 'HMT' | 'MX';
/** The three metric names of each kind. */
export const PAPER_METRIC_NAMES: Readonly<Record<PaperKind, readonly string[]>> = { HMT: ['Transfer', 'Avg', 'Last'], MX: ['ACC', 'AUC', 'BWT'] };

/** The metric kinds a benchmark's results are compared on: mini-MGTIL stands in for both. */
export function paperKindsOf(benchmark: string): PaperKind[] {
  return benchmark === 'mini-mgtil' ? ['HMT', 'MX'] : benchmark === 'medxtreme' ? ['MX'] : ['HMT'];
}

/** The key of a sequence in the paper's per-sequence tables (`HMT-I`, ...). */
export function paperSequenceKey(kind: PaperKind, order: TaskOrder): 'HMT-I' | 'HMT-II' | 'MX-I' | 'MX-II' {
  return `${kind}-${order}`;
}

/** Our three numbers of a run for a metric kind (null where missing). */
export function ourTriple(r: MGTILResult | undefined, kind: PaperKind): (number | null)[] {
  const m = r?.metrics;
  const pick = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (!m) return [null, null, null];
  return kind === 'HMT' ? [pick(m.transfer), pick(m.avg), pick(m.last)] : [pick(m.acc), pick(m.auc), pick(m.bwt)];
}

/** Adds `<metric> ours` / `<metric> paper` column pairs to a table row (and returns it). */
export function sideBySide(row: Record<string, unknown>, kind: PaperKind, mine: readonly (number | null)[], paper: Triple | null | undefined): Record<string, unknown> {
  PAPER_METRIC_NAMES[kind].forEach((name, i) => {
    row[`${name} ours`] = mine[i];
    row[`${name} paper`] = paper ? paper[i] : null;
  });
  return row;
}

/** `mini-MGTIL Order I`, `HieraMedTransfer Order II`, ... */
export function sequenceLabel(benchmark: string, order: TaskOrder): string {
  return benchmark === 'mini-mgtil' ? `mini-MGTIL Order ${order}` : `${getBenchmark(benchmark).name} Order ${order}`;
}
