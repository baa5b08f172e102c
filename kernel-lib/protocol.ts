/**
 * The notebooks' shared protocol plumbing: the methods of the paper's Tables 1/2/7/8 and the
 * names the paper gives them, the runs of a methods × orders grid, and the paper-scale dataset,
 * checkpoint and memory checks. The runs go through {@link runJobs} (runs.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getBenchmark } from '../src/benchmarks/index';
import { checkBenchmark, formatProblems } from '../src/benchmarks/check';
import { METHOD_SPECS, methodSpec } from '../src/methods/index';
import type { RunJob } from './runs';

// ---------------------------------------------------------------------------------------------
// Method names

/** The methods this library implements, in the paper's table order (the method registry's, aliases left out). */
export const METHODS: readonly string[] = METHOD_SPECS.filter((s) => !s.aliasOf).map((s) => s.name);

const byMethod = <T>(pick: (spec: (typeof METHOD_SPECS)[number]) => T): Record<string, T> => Object.fromEntries(METHODS.map((m) => [m, pick(methodSpec(m))]));

/** How the tables label our methods (each method's `label`). */
export const METHOD_LABEL: Readonly<Record<string, string>> = byMethod((s) => s.label);

/**
 * The row name of each method in the paper's Tables 1/2 (`paperTables.table1/table2`, each method's
 * `paperRow`); null = not in the paper's tables (EWC, which the paper has only as a regulariser ablation).
 */
export const PAPER_ROW: Readonly<Record<string, string | null>> = byMethod((s) => s.paperRow);

/** The row name of each method in the paper's per-dataset Tables 7/8 (`paperTables.table7/table8`, each method's `paperPerDatasetRow`). */
export const PAPER_PER_DATASET_ROW: Readonly<Record<string, string | null>> = byMethod((s) => s.paperPerDatasetRow);

/** Whether a method retrieves a reference set from the memory (and so needs one). */
export function usesMemory(method: string): boolean {
  return methodSpec(method).referenceSet !== 'none';
}

/** Paper baselines this library does not implement (their rows show the paper's numbers only). */
export const PAPER_ONLY_ROWS: readonly string[] = ['MoE-CL', 'SND', 'DIKI', 'GIFT'].filter((row) => !Object.values(PAPER_ROW).includes(row));

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
  config?: {
    /** Dataset name → folder. */
    datasets: Record<string, string>;
    /** Checkpoint name → file or folder. */
    checkpoints: Record<string, string>;
    /** The memory folder. */
    memory?: string;
  };
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
 * tower (PRIMED embeds its retrieval queries with it). Without `checkpoint`, no checkpoint is checked.
 */
export function paperBenchmarkData(benchmark: string, env: PaperEnv, options: { checkpoint?: string; memory: boolean }): PaperData {
  const spec = getBenchmark(benchmark);
  const ids = new Set(spec.tasks.map((t) => t.id));
  const problems = env.missing.filter((line) => {
    const m = /^(datasets|checkpoints)\.([^:]+):/.exec(line);
    if (m) return m[1] === 'datasets' ? ids.has(m[2]) || m[2] === spec.name : m[2] === options.checkpoint;
    return line.startsWith('memory') ? options.memory : true; // the config file itself
  });
  const config = env.config;
  if (!config) return { problems: problems };
  if (options.checkpoint && !config.checkpoints[options.checkpoint] && !problems.some((p) => p.startsWith(`checkpoints.${options.checkpoint}`))) {
    problems.push(`checkpoints.${options.checkpoint}: not configured (a safetensors file, or a folder holding one)`);
  }
  if (options.memory) {
    if (!config.memory) {
      if (!problems.some((p) => p.startsWith('memory'))) problems.push('memory: not configured (a memory folder from `primed memory build`)');
    } else if (fs.existsSync(path.join(config.memory, 'manifest.json'))) {
      const id = (JSON.parse(fs.readFileSync(path.join(config.memory, 'manifest.json'), 'utf8')) as { embedder?: { id?: string } }).embedder?.id ?? '';
      if (!id.startsWith('model:')) {
        problems.push(`memory: ${config.memory} was embedded with ${id || 'an unknown embedder'}; PRIMED embeds its retrieval queries with the backbone's text tower, so build it with \`primed memory build ... --embedder model:<the ${options.checkpoint ?? "backbone"} checkpoint>\``);
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
