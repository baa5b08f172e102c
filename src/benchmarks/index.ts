/**
 * The benchmarks: mini-MGTIL (bundled), HieraMedTransfer and MedXtreme (datasets the user
 * prepares). `loadBenchmarkTasks` checks every dataset first, so a missing one is reported
 * before any training starts.
 */
import { miniMgtil } from './mini-mgtil';
import { hieraMedTransfer, medXtreme } from './mgtil';
import { checkBenchmark, formatProblems } from './check';
import { loadTask, resolveRoot } from './load';
import type { SplitDataset } from '../data/dataset';
import type { ProgressSink } from '../util/progress';
import type { BenchmarkSpec, TaskOrder, TaskSpec } from './types';

export type { BenchmarkSpec, TaskSpec, TaskOrder, TaskSource } from './types';
export { checkBenchmark, formatProblems, type BenchmarkProblem } from './check';
export { expectedLayout, loadTask, resolveRoot, labelAliases } from './load';
export { miniMgtil } from './mini-mgtil';
export { hieraMedTransfer, medXtreme } from './mgtil';

const BENCHMARKS: BenchmarkSpec[] = [miniMgtil, hieraMedTransfer, medXtreme];

/** Every benchmark spec. */
export function listBenchmarks(): BenchmarkSpec[] {
  return [...BENCHMARKS];
}

/** The spec named `name` (case-insensitive); the error lists the known names. */
export function getBenchmark(name: string): BenchmarkSpec {
  const spec = BENCHMARKS.find((b) => b.name === name.toLowerCase());
  if (!spec) throw new Error(`unknown benchmark '${name}' (known: ${BENCHMARKS.map((b) => b.name).join(', ')})`);
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
 * Loads every task of benchmark `name` in training order. Checks all datasets first and throws
 * one error listing every missing or malformed dataset with what was expected.
 */
export function loadBenchmarkTasks(name: string, options: LoadBenchmarkOptions = {}): SplitDataset[] {
  const spec = getBenchmark(name);
  const root = resolveRoot(spec, options.root);
  const tasks = orderedTasks(spec, options.order ?? 'I');
  const problems = checkBenchmark(spec, root, options.progress);
  if (problems.length) throw new Error(formatProblems(spec, problems));
  return tasks.map((t) => loadTask(t, { root, seed: options.seed ?? 0 }));
}
