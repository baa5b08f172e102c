/**
 * Checks that every dataset of a benchmark is on disk and well formed before any training starts,
 * and reports each problem by dataset with what was expected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectedLayout, loadTask } from './load';
import type { BenchmarkSpec } from './types';
import { silentProgress, type ProgressSink } from '../util/progress';

/** One problem found by {@link checkBenchmark}. */
export interface BenchmarkProblem {
  /** Task id. */
  dataset: string;
  /** What is wrong. */
  problem: string;
  /** What was expected there. */
  expected: string;
}

/**
 * Loads every task of `spec` from `root` (the same code path as training, without decoding
 * pixels of file datasets) and returns the problems; an empty list means ready to train.
 * Reports one progress unit per dataset (checking a large manifest stats every image).
 */
export function checkBenchmark(spec: BenchmarkSpec, root: string, progress: ProgressSink = silentProgress): BenchmarkProblem[] {
  const problems: BenchmarkProblem[] = [];
  spec.tasks.forEach((task, i) => {
    progress({ label: `check ${spec.name}`, done: i, total: spec.tasks.length });
    const expected = expectedLayout(task, root);
    const target = path.resolve(root, task.source.kind === 'local' ? path.join(task.source.dir, task.source.manifest ?? '') : task.source.file);
    if (!fs.existsSync(target)) {
      problems.push({ dataset: task.id, problem: `missing: ${target} not found`, expected });
      return;
    }
    try {
      const ds = loadTask(task, { root });
      for (const s of task.evaluationOnly ? (['test'] as const) : (['train', 'test'] as const)) {
        if (!ds.splitNames().includes(s)) problems.push({ dataset: task.id, problem: `no '${s}' images after splitting`, expected });
      }
    } catch (err) {
      problems.push({ dataset: task.id, problem: (err as Error).message, expected });
    }
  });
  progress({ label: `check ${spec.name}`, done: spec.tasks.length, total: spec.tasks.length });
  return problems;
}

/** A human-readable report of `problems`, one block per dataset. */
export function formatProblems(spec: BenchmarkSpec, problems: BenchmarkProblem[]): string {
  if (!problems.length) return `${spec.name}: all ${spec.tasks.length} datasets present`;
  return [
    `${spec.name}: ${new Set(problems.map((p) => p.dataset)).size} of ${spec.tasks.length} datasets missing or malformed`,
    ...problems.map((p) => `- ${p.dataset}: ${p.problem}\n  expected: ${p.expected}`),
  ].join('\n');
}
