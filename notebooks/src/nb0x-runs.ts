/**
 * Shared plumbing of notebooks 02/03 and `figures/make.ts`: the protocol runs behind the
 * paper's Tables 1/2/7/8 and Figs. 4/7, the names the paper uses for our methods, and the
 * paper-scale dataset/checkpoint checks. The runs themselves go through kernel-lib's `runJobs`
 * (kernel-lib/runs.ts: a pool of worker processes, one per core), re-exported here.
 *
 * Imported by the notebooks (tslab compiles it with TypeScript 5.0.4: keep to that syntax) and
 * by figures/make.ts (tsx). It imports the compiled library, `dist/` (`npm run build`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getBenchmark, checkBenchmark, formatProblems } from '../../dist/src';
import type { RunJob } from '../../dist/kernel-lib/runs';

export {
  runJobs,
  isComplete,
  type RunJob,
  type JobOptions,
  type PartialRun,
  type InProcessResources,
  type RunJobsOptions,
} from '../../dist/kernel-lib/runs';

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

/**
 * The row name of each method in the paper's Tables 1/2 (`paperTables.table1/table2`); null = not
 * in the paper's tables. Our labels, except EWC, which the paper has only as a regulariser
 * ablation (Table 4e/10), not as a baseline row.
 */
export const PAPER_ROW: Record<string, string | null> = { ...METHOD_LABEL, ewc: null };

/** The row name of each method in the paper's per-dataset Tables 7/8 (`paperTables.table7/table8`): shorter names for two. */
export const PAPER_PER_DATASET_ROW: Record<string, string | null> = { ...PAPER_ROW, finetune: 'ContFT', l2: 'l2' };

/** Paper baselines this library does not implement (their rows show the paper's numbers only). */
export const PAPER_ONLY_ROWS = ['MoE-CL', 'SND', 'DIKI', 'GIFT'];

// ---------------------------------------------------------------------------------------------
// Jobs

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
