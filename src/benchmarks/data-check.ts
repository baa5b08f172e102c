/**
 * Checks up front, with a report: before any training, every task of a benchmark or sequence is
 * loaded and (given the model's preprocessing) every image file is decoded and prepared once
 * (`data/prepare.ts`), so a corrupt file fails the run at the start, naming it, instead of
 * crashing it mid-task. The report also lists files the loaders skip (unsupported types), classes
 * without images, and test sets so small that one image moves the accuracy by a visible step.
 *
 * It also fingerprints each task's data (item ids, labels, file sizes and modification times;
 * for bundled npz files their content hash), which runs record so that a resume or read-back
 * against changed data is refused naming the task.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SplitDataset } from '../data/dataset';
import { FileSplit } from '../data/file-split';
import { IMAGE_EXTENSIONS } from '../data/image';
import { classFolders } from '../data/image-folder';
import { prepareFilesParallel, type PrepareSpec } from '../data/prepare';
import type { SplitName } from '../data/types';
import { silentProgress, type ProgressSink } from '../util/progress';
import { loadTask } from './load';
import type { BenchmarkSpec, TaskSpec } from './types';

/** Test sets smaller than this get a warning (one image moves accuracy by more than 1 point). */
export const TINY_TEST_SET = 100;

/** Images of one class per split. */
export interface ClassCount {
  /** Class name. */
  name: string;
  /** Training images. */
  train: number;
  /** Validation images. */
  val: number;
  /** Test images. */
  test: number;
}

/** What was found for one task. */
export interface TaskDataReport {
  /** Task id. */
  id: string;
  /** Whether the task is evaluation-only. */
  evaluationOnly: boolean;
  /** Images per split. */
  splits: Partial<Record<SplitName, number>>;
  /** Images per class and split, in class order. */
  classes: ClassCount[];
  /** Files in the task's folders that the loader does not read (not .jpg/.jpeg/.png), relative to the task folder. */
  skipped: string[];
  /** Warnings: empty or missing classes, tiny test sets. */
  warnings: string[];
  /** Errors: the task cannot be used (missing data, corrupt images). */
  errors: string[];
  /** Image files decoded now or found prepared in the cache (0 when not decoded). */
  decoded: number;
  /** Data fingerprint (see {@link taskFingerprint}); null when the task could not be loaded. */
  fingerprint: string | null;
}

/** The report of {@link checkTaskData}. */
export interface DataReport {
  /** Benchmark or sequence name. */
  benchmark: string;
  /** One entry per task, in spec order. */
  tasks: TaskDataReport[];
  /** True when no task has errors. */
  ok: boolean;
  /** Seconds spent. */
  seconds: number;
}

/** Options of {@link checkTaskData}. */
export interface CheckDataOptions {
  /** Decode and prepare every image file to this (the model's size and channels); without it, files are only listed. */
  prepare?: Omit<PrepareSpec, 'crop'>;
  /** Prepared-image cache folder (default `imageCacheDir()`). */
  cacheDir?: string;
  /** Seed of seeded splits. Default 0. */
  seed?: number;
  /** Only these task ids (default all). */
  only?: string[];
  /** One progress unit per image decoded (`check <task>`). */
  progress?: ProgressSink;
  /** Worker processes decoding images (see `prepareFilesParallel`). Default: the cores less one, at most 8. */
  workers?: number;
}

function listSkipped(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && fs.statSync(p, { throwIfNoEntry: false })?.isDirectory())) walk(p);
      else if (!IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) out.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  };
  for (const c of classFolders(dir)) walk(path.join(dir, c));
  return out;
}

/**
 * A fingerprint of a task's data: SHA-256 over every split's item ids and labels, plus each image
 * file's size and modification time (file datasets) or the npz file's content (bundled tasks).
 * Changes when an image is added, removed, relabelled, replaced or touched.
 */
export function taskFingerprint(task: TaskSpec, ds: SplitDataset, root: string): string {
  const h = crypto.createHash('sha256');
  for (const s of ds.splitNames()) {
    const split = ds.split(s);
    const labels = split.labels();
    h.update(`split ${s} ${split.size}\n`);
    if (split instanceof FileSplit) {
      split.files().forEach((f) => {
        const st = fs.statSync(f.path);
        h.update(`${f.id}\t${f.label}\t${st.size}\t${Math.round(st.mtimeMs)}\n`);
      });
      h.update(`crop ${split.cropMode()}\n`);
    } else {
      split.itemIds().forEach((id, i) => h.update(`${id}\t${labels[i]}\n`));
    }
  }
  if (task.source.kind === 'medmnist-npz') h.update(fs.readFileSync(path.resolve(root, task.source.file)));
  return h.digest('hex').slice(0, 16);
}

/**
 * Checks the tasks of `spec` under `root` and returns a report (it never throws for data
 * problems: they are in `errors`). With `prepare`, decodes every image file once, caching the
 * prepared square, so training reads no full-resolution image again.
 */
export async function checkTaskData(spec: BenchmarkSpec, root: string, options: CheckDataOptions = {}): Promise<DataReport> {
  const t0 = performance.now();
  const progress = options.progress ?? silentProgress;
  const tasks = spec.tasks.filter((t) => !options.only || options.only.includes(t.id));
  const reports: TaskDataReport[] = [];
  for (const task of tasks) reports.push(await checkOne(task));
  return { benchmark: spec.name, tasks: reports, ok: reports.every((r) => !r.errors.length), seconds: (performance.now() - t0) / 1000 };

  async function checkOne(task: TaskSpec): Promise<TaskDataReport> {
    const r: TaskDataReport = { id: task.id, evaluationOnly: !!task.evaluationOnly, splits: {}, classes: [], skipped: [], warnings: [], errors: [], decoded: 0, fingerprint: null };
    let ds: SplitDataset;
    try {
      ds = loadTask(task, { root, seed: options.seed ?? 0 });
    } catch (err) {
      r.errors.push((err as Error).message);
      return r;
    }
    const src = task.source;
    if (src.kind === 'local' && !src.manifest && !fs.existsSync(path.join(path.resolve(root, src.dir), 'manifest.csv')) && !fs.existsSync(path.join(path.resolve(root, src.dir), 'manifest.jsonl'))) {
      r.skipped = listSkipped(path.resolve(root, src.dir));
      if (r.skipped.length) r.warnings.push(`${r.skipped.length} file(s) skipped (only ${IMAGE_EXTENSIONS.join(', ')} are read): ${r.skipped.slice(0, 5).join(', ')}${r.skipped.length > 5 ? ', ...' : ''}`);
    }
    const counts = ds.classNames.map((name) => ({ name, train: 0, val: 0, test: 0 }));
    for (const s of ds.splitNames()) {
      const labels = ds.split(s).labels();
      r.splits[s] = labels.length;
      for (const l of labels) counts[l][s]++;
    }
    r.classes = counts;
    const needed: SplitName[] = task.evaluationOnly ? ['test'] : ['train', 'test'];
    for (const s of needed) if (!r.splits[s]) r.errors.push(`no '${s}' images`);
    for (const c of counts) {
      const total = c.train + c.val + c.test;
      if (total === 0) r.warnings.push(`class '${c.name}' has no images (no folder or manifest rows for it)`);
      else if (!task.evaluationOnly && c.train === 0) r.warnings.push(`class '${c.name}' has no training images`);
      else if (c.test === 0) r.warnings.push(`class '${c.name}' has no test images`);
    }
    const nTest = r.splits.test ?? 0;
    if (nTest > 0 && nTest < TINY_TEST_SET) {
      r.warnings.push(`test set has only ${nTest} images: one image moves the accuracy by ${(100 / nTest).toFixed(2)} points`);
    }
    if (options.prepare) {
      const files = ds.splitNames().flatMap((s) => {
        const split = ds.split(s);
        return split instanceof FileSplit ? split.files().map((f) => f.path) : [];
      });
      if (files.length) {
        const crop = task.crop ?? 'centre';
        const summary = await prepareFilesParallel(files, { ...options.prepare, crop }, { cacheDir: options.cacheDir, progress, label: `check ${task.id}`, workers: options.workers });
        r.decoded = summary.prepared + summary.cached;
        for (const f of summary.failed) r.errors.push(`corrupt or unreadable image: ${f.error}`);
      }
    }
    try {
      r.fingerprint = taskFingerprint(task, ds, root);
    } catch (err) {
      r.errors.push(`cannot fingerprint the data (${(err as Error).message})`);
    }
    return r;
  }
}

/** The report as text: per task its split sizes, then its warnings and errors. */
export function formatDataReport(report: DataReport): string {
  const lines = [`data check of ${report.benchmark}: ${report.tasks.length} task(s), ${report.ok ? 'ready' : 'NOT ready'} (${report.seconds.toFixed(1)} s)`];
  for (const t of report.tasks) {
    const sizes = (['train', 'val', 'test'] as const).map((s) => `${s} ${t.splits[s] ?? 0}`).join(', ');
    lines.push(`- ${t.id}${t.evaluationOnly ? ' (evaluation only)' : ''}: ${sizes}; ${t.classes.length} classes${t.decoded ? `; ${t.decoded} images decoded` : ''}`);
    for (const w of t.warnings) lines.push(`    warning: ${w}`);
    for (const e of t.errors) lines.push(`    error: ${e}`);
  }
  return lines.join('\n');
}

/** Throws the formatted report when it has errors (the message names every bad task and file). */
export function assertDataReady(report: DataReport): void {
  if (!report.ok) throw new Error(formatDataReport(report));
}
