/**
 * The benchmarks: mini-MGTIL (bundled), HieraMedTransfer and MedXtreme (datasets the user
 * prepares), and the user's own task sequences (`sequence.ts`): wherever a benchmark name is
 * taken, a sequence file path (`.json`, `.yaml`) or a spec object is taken too.
 * `loadBenchmarkTasks` checks every dataset first, so a missing one is reported before any
 * training starts.
 */
import { miniMgtil } from './mini-mgtil';
import { hieraMedTransfer, medXtreme } from './mgtil';
import { checkBenchmark, formatProblems } from './check';
import { loadTask, resolveRoot } from './load';
import { defineSequence, isSequenceFile, readTaskSequence, type TaskSequenceInput } from './sequence';
import type { SplitDataset } from '../data/dataset';
import type { ProgressSink } from '../util/progress';
import type { BenchmarkSpec, TaskOrder, TaskSpec } from './types';

export type { BenchmarkSpec, TaskSpec, TaskOrder, TaskSource } from './types';
export { checkBenchmark, formatProblems, type BenchmarkProblem } from './check';
export { expectedLayout, loadTask, resolveRoot, labelAliases } from './load';
export { miniMgtil } from './mini-mgtil';
export * from './sequence';
export * from './data-check';
export { hieraMedTransfer, medXtreme } from './mgtil';

const BENCHMARKS: BenchmarkSpec[] = [miniMgtil, hieraMedTransfer, medXtreme];

/** Every benchmark spec. */
export function listBenchmarks(): BenchmarkSpec[] {
  return [...BENCHMARKS];
}

/** A benchmark name, a task-sequence file path (`.json`/`.yaml`), a spec, or a sequence object. */
export type BenchmarkRef = string | BenchmarkSpec | TaskSequenceInput;

/**
 * The spec named `name` (case-insensitive), or read from a task-sequence file when `name` ends in
 * `.json`, `.yaml` or `.yml`, or `name` itself when it is a spec or sequence object (a sequence's
 * relative paths resolve against the working directory). The error lists the known names.
 */
export function getBenchmark(name: BenchmarkRef): BenchmarkSpec {
  if (typeof name !== 'string') {
    if ('orders' in name && 'data' in name && Array.isArray(name.tasks) && name.tasks.every((t) => 'source' in t)) return name as BenchmarkSpec;
    return defineSequence(name);
  }
  if (isSequenceFile(name)) return readTaskSequence(name);
  const spec = BENCHMARKS.find((b) => b.name === name.toLowerCase());
  if (!spec) throw new Error(`unknown benchmark '${name}' (known: ${BENCHMARKS.map((b) => b.name).join(', ')}; or a task-sequence file ending in .json or .yaml)`);
  return spec;
}

/** The tasks of `spec` in the training order `order`. */
export function orderedTasks(spec: BenchmarkSpec, order: TaskOrder = 'I'): TaskSpec[] {
  const ids = spec.orders[order];
  if (!ids) throw new Error(`benchmark '${spec.name}': order must be I or II, got '${order}'`);
  return ids.map((id) => {
    const t = spec.tasks.find((x) => x.id === id);
    if (!t) throw new Error(`benchmark '${spec.name}' order ${order}: unknown task '${id}'`);
    return t;
  });
}

/** Options of {@link loadBenchmarkTasks}. */
export interface LoadBenchmarkOptions {
  /** `I` (default) or `II`. */
  order?: TaskOrder;
  /** Folder holding the datasets; default: the bundled data for mini-mgtil, required otherwise. */
  root?: string;
  /** Seed of the seeded splits of datasets that ship without one. Default 0. */
  seed?: number;
  /** Progress of the up-front dataset check. Default: silent. */
  progress?: ProgressSink;
}

/**
 * Loads every task of benchmark `name` (a name, a sequence file, or a spec: see
 * {@link getBenchmark}) in training order. Checks all datasets first and throws one error listing
 * every missing or malformed dataset with what was expected.
 */
export function loadBenchmarkTasks(name: BenchmarkRef, options: LoadBenchmarkOptions = {}): SplitDataset[] {
  const spec = getBenchmark(name);
  const root = resolveRoot(spec, options.root);
  const tasks = orderedTasks(spec, options.order ?? 'I');
  const problems = checkBenchmark(spec, root, options.progress);
  if (problems.length) throw new Error(formatProblems(spec, problems));
  return tasks.map((t) => loadTask(t, { root, seed: options.seed ?? 0 }));
}
