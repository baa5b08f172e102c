/** Turns a task spec into a loaded {@link SplitDataset}, reading from a benchmark root. */
import * as path from 'node:path';
import { bundledDataDir } from '../data/bundled';
import { loadLocalDataset } from '../data/local-dataset';
import { loadMedMnist } from '../data/medmnist';
import type { SplitDataset } from '../data/dataset';
import type { BenchmarkSpec, TaskSpec } from './types';

/** Lower-cased native labels and prompt names, accepted as labels / folder names. */
export function labelAliases(task: TaskSpec): Record<string, number> {
  const aliases: Record<string, number> = {};
  task.nativeLabels.forEach((l, i) => (aliases[l.toLowerCase()] = i));
  task.classNames.forEach((l, i) => (aliases[l.toLowerCase()] ??= i));
  return aliases;
}

/** The root a benchmark reads from: `root` when given, else the bundled data for bundled benchmarks. */
export function resolveRoot(spec: BenchmarkSpec, root?: string): string {
  if (root) return path.resolve(root);
  if (spec.root) return spec.root;
  if (spec.data === 'bundled') return bundledDataDir();
  throw new Error(`benchmark '${spec.name}' reads datasets you prepare yourself: give the option root (CLI: --root DIR)`);
}

/** What a task expects on disk under `root`, in one paragraph. */
export function expectedLayout(task: TaskSpec, root: string): string {
  if (task.source.kind === 'medmnist-npz') {
    return `${path.join(root, task.source.file)} (MedMNIST npz: {train,val,test}_images uint8, {train,val,test}_labels [n,1])`;
  }
  const dir = path.resolve(root, task.source.dir);
  if (task.source.manifest) {
    return `${path.join(dir, task.source.manifest)}: a CSV (header row) or JSONL manifest with an image path and a label per row, paths relative to ${dir}, JPEG or PNG; labels = ${task.nativeLabels.slice(0, 6).join(', ')}${task.nativeLabels.length > 6 ? ', ...' : ''} or class indices`;
  }
  const labels = task.nativeLabels.length > 6 ? `${task.nativeLabels.slice(0, 6).map((l) => `'${l}'`).join(', ')}, ... (${task.nativeLabels.length} classes)` : task.nativeLabels.map((l) => `'${l}'`).join(', ');
  return (
    `${path.join(dir, 'manifest.csv')} (or manifest.jsonl) with columns path,label[,split][,patient]: path relative to ${dir}, ` +
    `JPEG or PNG; label = native label (${labels}), prompt name or class index; split = train/val/test (else a seeded 70/10/20 split, grouped by patient when given). ` +
    `Or class folders ${dir}/<label>/**/*.jpg|png named by the native labels. ` +
    (task.origin ? `Source: ${task.origin}.` : '') +
    (task.singleLabelRule ? ` Single-label rule to apply when building the manifest: ${task.singleLabelRule}` : '')
  );
}

/** Options of {@link loadTask}. */
export interface LoadTaskOptions {
  /** Benchmark root (already resolved). */
  root: string;
  /** Seed of the seeded split for datasets without one. Default 0. */
  seed?: number;
}

/** Loads one task's dataset. Errors name the task and what was expected. */
export function loadTask(task: TaskSpec, options: LoadTaskOptions): SplitDataset {
  const info = { name: task.id, domain: task.domain, classNames: task.classNames, templates: task.templates };
  if (task.source.kind === 'medmnist-npz') {
    return loadMedMnist({ ...info, file: path.join(options.root, task.source.file), resplit: task.source.resplit });
  }
  const src = task.source;
  const dir = path.resolve(options.root, src.dir);
  return loadLocalDataset({
    ...info,
    dir,
    aliases: labelAliases(task),
    seed: src.splitSeed ?? options.seed ?? 0,
    fractions: src.fractions,
    manifestFile: src.manifest ? path.join(dir, src.manifest) : undefined,
    manifest: src.columns ? { pathColumn: src.columns.path, labelColumn: src.columns.label, splitColumn: src.columns.split, groupColumn: src.columns.group } : undefined,
    evaluationOnly: task.evaluationOnly,
    crop: task.crop,
  });
}
