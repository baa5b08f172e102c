/**
 * One-line notebook set-up: `const env = await setup({ scale: 'mini', seed: 42 })`.
 * Initialises the tfjs backend, resolves the repo's folders, and at `paper` scale reads the
 * dataset roots and checkpoint paths from one config file and lists exactly what is missing.
 * It prints what it found, so a notebook's first output says where everything comes from.
 *
 * The paper config (`primed.paper.json` at the repo root by default, or `PRIMED_PAPER_CONFIG`,
 * or the `config` option) looks like:
 * ```json
 * { "datasets": { "AOD": "/data/aod", "NCT100K": "/data/nct" },
 *   "checkpoints": { "biomedclip": "/models/biomedclip" },
 *   "memory": "/data/pmc-memory" }
 * ```
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend, describeBackend, type BackendInfo, type BackendName } from '../src/backend/index';
import { parseTorchDevice } from '../src/backend/torch';
import { readJson } from '../src/util/fs';
import type { ProgressSink } from '../src/util/progress';
import type { Scale } from '../src/recipes';
import { inKernel } from './kernel';
import { loadPlotly } from './display';
import { notebookProgress } from './progress';
import { displayPath, findRepoRoot } from './paths';

export { findRepoRoot };

/** Experiment scales: `mini` runs anywhere on the bundled data; `paper` needs the user's datasets and checkpoints. */
export type { Scale };

/** What a notebook's `PRIMED_SCALE` switch selects: a scale, and optionally the user's own task sequence. */
export interface ScaleChoice {
  /** `mini` or `paper` (the model, recipe and config to use). */
  scale: Scale;
  /** A task-sequence file (absolute) to run instead of the notebook's benchmark, when one was given. */
  tasks?: string;
}

/**
 * Reads a notebook's scale switch (default `process.env.PRIMED_SCALE`): `mini` (default),
 * `paper`, or the path of a task-sequence file (`.json`, `.yaml`, `.yml`), which runs that
 * sequence at mini scale; `paper:<file>` runs it at paper scale. Errors name the value.
 */
export function readScale(value: string | undefined = process.env.PRIMED_SCALE): ScaleChoice {
  const v = (value ?? 'mini').trim();
  if (v === 'mini' || v === 'paper') return { scale: v };
  const m = /^(?:(mini|paper):)?(.+\.(?:json|ya?ml))$/i.exec(v);
  if (!m) throw new Error(`PRIMED_SCALE must be mini, paper, or a task-sequence file (seq.json, or paper:seq.json), got "${value}"`);
  // Relative to the working directory, or to the repository root (notebooks run in notebooks/).
  const candidates = [path.resolve(m[2]), path.resolve('..', m[2])];
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new Error(`PRIMED_SCALE: task-sequence file not found (looked for ${candidates.join(' and ')})`);
  return { scale: (m[1] as Scale | undefined) ?? 'mini', tasks: file };
}

/** The paper-scale config file's content. */
export interface PaperConfig {
  /** Dataset name → root folder on disk. */
  datasets: Record<string, string>;
  /** Checkpoint (preset) name → file or folder. */
  checkpoints: Record<string, string>;
  /** Optional memory (retrieval corpus) folder. */
  memory?: string;
  /** Device of the torch backend at paper scale: `cuda` (default when a GPU is visible), `cuda:N`, `cpu` or `mps`. */
  device?: string;
  /** Matmul precision on CUDA: `fp32` (default) or `tf32`. */
  precision?: 'fp32' | 'tf32';
}

/** Options of {@link setup}. */
export interface SetupOptions {
  /** `mini` (default) or `paper`. */
  scale?: Scale;
  /** The one seed of the run; default 42 (the paper's). */
  seed?: number;
  /** Force a tfjs backend (else `PRIMED_BACKEND`, else the best available). */
  backend?: BackendName;
  /** Paper config file; default `PRIMED_PAPER_CONFIG`, else `<root>/primed.paper.json`. Read only at `paper` scale. */
  config?: string;
  /** What this notebook needs at `paper` scale; each one not configured or not on disk is listed as missing. */
  needs?: {
    /** Dataset names the notebook uses. */
    datasets?: readonly string[];
    /** Checkpoint names the notebook uses. */
    checkpoints?: readonly string[];
    /** Whether it needs the memory (retrieval corpus). */
    memory?: boolean;
  };
  /** Throw when something is missing (default false: list it and go on). */
  strict?: boolean;
  /** Runs folder; default `<root>/runs/<scale>`. */
  runsDir?: string;
  /** Repo root; default found from the working directory (the folder holding primed's package.json). */
  root?: string;
  /** Print the summary; default true. */
  print?: boolean;
}

/** What {@link setup} resolved. */
export interface NotebookEnv {
  /** The scale. */
  scale: Scale;
  /** The seed. */
  seed: number;
  /** The tfjs backend in use. */
  backend: BackendInfo;
  /** Repo root. */
  root: string;
  /** Bundled data (`<root>/data`). */
  dataDir: string;
  /** Where runs, checkpoints and caches go. */
  runsDir: string;
  /** Where figures are written (`<root>/figures`). */
  figuresDir: string;
  /** The paper config (paper scale only). */
  config?: PaperConfig;
  /** The config file read (paper scale only). */
  configFile?: string;
  /** What is missing, one line each (`datasets.AOD: /data/aod does not exist`). Empty when all is there. */
  missing: string[];
  /** A progress sink that draws in the notebook (the terminal bar outside one). */
  progress: ProgressSink;
}

function stringMap(value: unknown, file: string, field: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: field "${field}" must be an object of name → path`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' || v === '') throw new Error(`${file}: field "${field}.${k}" must be a non-empty path string`);
  }
  return value as Record<string, string>;
}

/** Reads and validates a paper config; relative paths are resolved against the file's folder. */
export function readPaperConfig(file: string): PaperConfig {
  const raw = readJson<Record<string, unknown>>(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object`);
  const known = new Set(['datasets', 'checkpoints', 'memory', 'device', 'precision']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new Error(`${file}: unknown field "${k}" (expected datasets, checkpoints, memory, device, precision)`);
  if (raw.device !== undefined) parseTorchDevice(String(raw.device), `${file}: field "device"`);
  if (raw.precision !== undefined && raw.precision !== 'fp32' && raw.precision !== 'tf32') throw new Error(`${file}: field "precision" must be "fp32" or "tf32", got ${JSON.stringify(raw.precision)}`);
  const base = path.dirname(path.resolve(file));
  const resolve = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, path.resolve(base, v)]));
  if (raw.memory !== undefined && (typeof raw.memory !== 'string' || raw.memory === '')) throw new Error(`${file}: field "memory" must be a path string`);
  return {
    datasets: resolve(stringMap(raw.datasets, file, 'datasets')),
    checkpoints: resolve(stringMap(raw.checkpoints, file, 'checkpoints')),
    ...(typeof raw.memory === 'string' ? { memory: path.resolve(base, raw.memory) } : {}),
    ...(raw.device !== undefined ? { device: String(raw.device) } : {}),
    ...(raw.precision !== undefined ? { precision: raw.precision as 'fp32' | 'tf32' } : {}),
  };
}

/** Lists what a paper config lacks for `needs`: names not configured and paths not on disk. */
export function missingFromConfig(config: PaperConfig, needs: SetupOptions['needs'] = {}): string[] {
  const missing: string[] = [];
  const check = (kind: 'datasets' | 'checkpoints', names: readonly string[]) => {
    const configured = config[kind];
    for (const name of new Set([...names, ...Object.keys(configured)])) {
      const p = configured[name];
      if (p === undefined) missing.push(`${kind}.${name}: not configured`);
      else if (!fs.existsSync(p)) missing.push(`${kind}.${name}: ${p} does not exist`);
    }
  };
  check('datasets', needs.datasets ?? []);
  check('checkpoints', needs.checkpoints ?? []);
  if (config.memory !== undefined && !fs.existsSync(config.memory)) missing.push(`memory: ${config.memory} does not exist`);
  else if (needs.memory && config.memory === undefined) missing.push('memory: not configured');
  return missing;
}

function summary(env: NotebookEnv): string {
  const lines = [
    `primed ${env.scale} scale, seed ${env.seed}`,
    `backend   ${describeBackend(env.backend)}`,
    `root      ${displayPath(env.root)}`,
    `data      ${displayPath(env.dataDir)}`,
    `runs      ${displayPath(env.runsDir)}`,
  ];
  if (env.configFile) lines.push(`config    ${displayPath(env.configFile)}`);
  if (env.config) {
    for (const [k, v] of Object.entries(env.config.datasets)) lines.push(`dataset   ${k} = ${displayPath(v)}`);
    for (const [k, v] of Object.entries(env.config.checkpoints)) lines.push(`checkpoint ${k} = ${displayPath(v)}`);
    if (env.config.memory) lines.push(`memory    ${displayPath(env.config.memory)}`);
  }
  if (env.missing.length) lines.push(`MISSING (${env.missing.length}):`, ...env.missing.map((m) => `  - ${m}`));
  return lines.join('\n');
}

/** Sets up a notebook (see the module comment) and returns the resolved environment. */
export async function setup(options: SetupOptions = {}): Promise<NotebookEnv> {
  const scale = options.scale ?? 'mini';
  if (scale !== 'mini' && scale !== 'paper') throw new Error(`setup: option scale must be "mini" or "paper", got ${JSON.stringify(scale)}`);
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`setup: option seed must be a non-negative integer, got ${String(seed)}`);
  const root = options.root ? path.resolve(options.root) : findRepoRoot();
  const backend = await initBackend({ backend: options.backend });
  const env: NotebookEnv = {
    scale,
    seed,
    backend,
    root,
    dataDir: path.join(root, 'data'),
    runsDir: path.resolve(options.runsDir ?? path.join(root, 'runs', scale)),
    figuresDir: path.join(root, 'figures'),
    missing: [],
    progress: notebookProgress(),
  };
  if (scale === 'paper') {
    const file = path.resolve(options.config ?? process.env.PRIMED_PAPER_CONFIG ?? path.join(root, 'primed.paper.json'));
    env.configFile = file;
    if (!fs.existsSync(file)) {
      env.missing.push(`config: ${file} does not exist (create it: { "datasets": { name: path }, "checkpoints": { name: path }, "memory": path })`);
    } else {
      env.config = readPaperConfig(file);
      env.missing.push(...missingFromConfig(env.config, options.needs));
      // The config names the device (and precision) of the torch backend for paper-scale runs.
      if (env.config.device || env.config.precision) {
        env.backend = await initBackend({ backend: options.backend, device: env.config.device, precision: env.config.precision });
      }
    }
  }
  if (options.print !== false) console.log(summary(env));
  if (inKernel()) loadPlotly();
  if (options.strict && env.missing.length) throw new Error(`setup: ${env.missing.length} thing(s) missing:\n${env.missing.join('\n')}`);
  return env;
}
