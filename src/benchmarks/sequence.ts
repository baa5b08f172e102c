/**
 * Your own task sequences: a JSON (or YAML) file listing tasks by image folder or CSV/JSONL
 * manifest, read into a {@link BenchmarkSpec} that every entry point takes in place of a
 * built-in benchmark name (`primed evaluate --tasks seq.json`, `evaluateMGTIL({ tasks })`,
 * `loadBenchmarkTasks`, the notebooks' `PRIMED_SCALE=seq.json`). Every field is validated, nested
 * ones too; errors name the file and the field (`seq.json: tasks[1].stpes: unknown field`).
 *
 * ```json
 * { "name": "my-radiology",
 *   "tasks": [
 *     { "folder": "chest", "domain": "chest X-ray" },
 *     { "manifest": "blood/labels.csv", "domain": "blood cell microscopy", "columns": { "path": "file", "label": "cell" } },
 *     { "folder": "external-test", "domain": "chest X-ray", "evaluationOnly": true } ] }
 * ```
 * Relative paths are relative to the file's folder. See docs/your-own-data.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classFolders } from '../data/image-folder';
import { readManifest } from '../data/manifest';
import { validateFractions, type SplitFractions } from '../data/splits';
import type { CropMode } from '../data/prepare';
import type { BenchmarkSpec, TaskOrder, TaskSpec } from './types';

/** One task of a sequence file, as the user writes it. Exactly one of `folder` and `manifest`. */
export interface SequenceTaskInput {
  /** Image folder with one sub-folder per class (`<folder>/<class>/**\/*.jpg|png`). */
  folder?: string;
  /** CSV (header row) or JSONL manifest: an image path (relative to the manifest's folder) and a label per row, optionally a split and a patient. */
  manifest?: string;
  /** Domain / modality, e.g. `chest X-ray`: used in the default prompt and by the siphon's domain bag. Required. */
  domain: string;
  /** Task id, the name in results. Default: the folder's (or the manifest folder's) name. */
  id?: string;
  /** Display title. Default: the id. */
  title?: string;
  /** Class names in label order, as they appear in prompts. Default: `labels`, else the sorted folder names / manifest labels. */
  classNames?: string[];
  /** The data's own label spellings (folder names, CSV codes), same order as `classNames`. Default: `classNames`. */
  labels?: string[];
  /** Prompt templates with `{}`; the first is used for training. Default `["a {domain} image of {}."]`. */
  templates?: string[];
  /** A test set only (never trained on). Default false. */
  evaluationOnly?: boolean;
  /** `centre` (default: short side resized, centre square cut, as open_clip) or `none` (whole image squashed to the square). */
  crop?: CropMode;
  /** Manifest columns by name or 0-based index. Default `path`, `label`, `split` and `patient` (the last two when present). */
  columns?: {
    /** Image path column (name or 0-based index). Default `path`. */
    path?: string | number;
    /** Label column (name or 0-based index). Default `label`. */
    label?: string | number;
    /** Split column. Default `split` (used when present). */
    split?: string;
    /** Patient (group) column. Default `patient` (used when present). */
    group?: string;
  };
  /** Split shares and seed when the data has no split column. Default 0.7 / 0.1 / 0.2, seed 0. */
  split?: SplitShares;
}

/** Split shares of a sequence task, plus the seed of its split. */
export interface SplitShares extends SplitFractions {
  /** Seed of the seeded split. Default 0. */
  seed?: number;
}

/** A task sequence file's content. */
export interface TaskSequenceInput {
  /** Sequence name: results, run folders and figures carry it. Letters, digits, `.`, `_`, `-`. */
  name: string;
  /** Display title. Default: the name. */
  title?: string;
  /** One paragraph about it. */
  description?: string;
  /** Image side the sequence is meant for; a model with another input size is refused. Also `primed data prepare`'s default size. */
  imageSize?: number;
  /** The tasks, in training order (order I). */
  tasks: SequenceTaskInput[];
  /** Task ids per order. Default: I = the listed order, II = reversed. */
  orders?: Partial<Record<TaskOrder, string[]>>;
}

const SEQUENCE_FIELDS = ['name', 'title', 'description', 'imageSize', 'tasks', 'orders'];
const TASK_FIELDS = ['folder', 'manifest', 'domain', 'id', 'title', 'classNames', 'labels', 'templates', 'evaluationOnly', 'crop', 'columns', 'split'];
const COLUMN_FIELDS = ['path', 'label', 'split', 'group'];
const SPLIT_FIELDS = ['train', 'val', 'test', 'seed'];

/**
 * Fails naming the first field of `obj` that is not in `allowed`, as `<where><sep><field>`
 * (e.g. `seq.json: tasks[1].stpes`, or `recipe field trainer.stpes` with where `recipe field trainer`).
 */
export function checkKnownFields(obj: Record<string, unknown>, allowed: readonly string[], where: string, sep = '.'): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new Error(`${where}${sep}${k}: unknown field (expected one of ${allowed.join(', ')})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown, where: string, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || !v.trim()) throw new Error(`${where}: must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function strList(v: unknown, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.length || v.some((x) => typeof x !== 'string' || !x.trim())) {
    throw new Error(`${where}: must be a non-empty list of non-empty strings, got ${JSON.stringify(v)}`);
  }
  if (new Set(v.map((x: string) => x.toLowerCase())).size !== v.length) throw new Error(`${where}: has a repeated entry (${JSON.stringify(v)})`);
  return v as string[];
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Reads class names (sorted folder names or manifest labels) when the sequence gives none. */
function discoverLabels(task: { folder?: string; manifestFile?: string; columns?: SequenceTaskInput['columns'] }, where: string): string[] {
  if (task.folder) {
    if (!fs.existsSync(task.folder) || !fs.statSync(task.folder).isDirectory()) throw new Error(`${where}.folder: ${task.folder} is not a folder`);
    const folders = classFolders(task.folder);
    if (!folders.length) throw new Error(`${where}.folder: ${task.folder} has no class folders (expected ${task.folder}/<class>/*.jpg|png)`);
    return folders;
  }
  if (!fs.existsSync(task.manifestFile!)) throw new Error(`${where}.manifest: ${task.manifestFile} not found`);
  return readManifest(task.manifestFile!, { pathColumn: task.columns?.path, labelColumn: task.columns?.label, checkFiles: false }).classNames;
}

/**
 * One validated {@link TaskSpec} from a sequence entry; paths resolve against `baseDir`. Errors
 * name `where` (e.g. `seq.json: tasks[2]`) and the field.
 */
export function sequenceTask(input: unknown, baseDir: string, where = 'task'): TaskSpec {
  if (!isObject(input)) throw new Error(`${where}: must be an object with a folder or manifest and a domain, got ${JSON.stringify(input)}`);
  checkKnownFields(input, TASK_FIELDS, where);
  const t = input as unknown as SequenceTaskInput;
  if ((t.folder === undefined) === (t.manifest === undefined)) throw new Error(`${where}: give exactly one of folder (class folders) and manifest (CSV/JSONL file)`);
  const folder = t.folder !== undefined ? path.resolve(baseDir, str(t.folder, `${where}.folder`)!) : undefined;
  const manifestFile = t.manifest !== undefined ? path.resolve(baseDir, str(t.manifest, `${where}.manifest`)!) : undefined;
  const domain = str(t.domain, `${where}.domain`)!.trim();
  const dir = folder ?? path.dirname(manifestFile!);
  const id = str(t.id, `${where}.id`, true) ?? path.basename(dir);
  if (!ID_RE.test(id)) throw new Error(`${where}.id: '${id}' must be letters, digits, '.', '_' or '-' (it names files); give an id`);
  if (t.evaluationOnly !== undefined && typeof t.evaluationOnly !== 'boolean') throw new Error(`${where}.evaluationOnly: must be true or false, got ${JSON.stringify(t.evaluationOnly)}`);
  if (t.crop !== undefined && t.crop !== 'centre' && t.crop !== 'none') throw new Error(`${where}.crop: must be "centre" or "none", got ${JSON.stringify(t.crop)}`);
  let columns: SequenceTaskInput['columns'];
  if (t.columns !== undefined) {
    if (!isObject(t.columns)) throw new Error(`${where}.columns: must be an object such as {"path": "file", "label": "diagnosis"}`);
    if (folder) throw new Error(`${where}.columns: only a manifest has columns`);
    checkKnownFields(t.columns, COLUMN_FIELDS, `${where}.columns`);
    for (const k of COLUMN_FIELDS) {
      const v = (t.columns as Record<string, unknown>)[k];
      const index = typeof v === 'number' && Number.isInteger(v) && v >= 0 && (k === 'path' || k === 'label');
      if (v !== undefined && !index && !(typeof v === 'string' && v.trim())) throw new Error(`${where}.columns.${k}: must be a column name${k === 'path' || k === 'label' ? ' or a 0-based index' : ''}, got ${JSON.stringify(v)}`);
    }
    columns = t.columns;
  }
  let split: SequenceTaskInput['split'];
  if (t.split !== undefined) {
    if (!isObject(t.split)) throw new Error(`${where}.split: must be an object such as {"train": 0.7, "val": 0.1, "test": 0.2, "seed": 0}`);
    checkKnownFields(t.split, SPLIT_FIELDS, `${where}.split`);
    validateFractions(t.split as SplitFractions, `${where}.split`);
    if (t.split.seed !== undefined && !Number.isInteger(t.split.seed)) throw new Error(`${where}.split.seed: must be an integer, got ${JSON.stringify(t.split.seed)}`);
    split = t.split as SequenceTaskInput['split'];
  }
  const givenNames = strList(t.classNames, `${where}.classNames`);
  const givenLabels = strList(t.labels, `${where}.labels`);
  if (givenNames && givenLabels && givenNames.length !== givenLabels.length) {
    throw new Error(`${where}.labels: ${givenLabels.length} labels for ${givenNames.length} classNames (one label spelling per class, same order)`);
  }
  const nativeLabels = givenLabels ?? givenNames ?? discoverLabels({ folder, manifestFile, columns }, where);
  const classNames = givenNames ?? nativeLabels;
  const templates = strList(t.templates, `${where}.templates`) ?? [`a ${domain} image of {}.`];
  const noSlot = templates.find((x) => !x.includes('{}'));
  if (noSlot) throw new Error(`${where}.templates: "${noSlot}" has no {} for the class name`);
  const title = str(t.title, `${where}.title`, true) ?? id;
  return {
    id,
    title,
    domain,
    classNames,
    nativeLabels,
    templates,
    source: {
      kind: 'local',
      dir,
      manifest: manifestFile ? path.basename(manifestFile) : undefined,
      columns,
      fractions: split ? { train: split.train, val: split.val, test: split.test } : undefined,
      splitSeed: split?.seed,
    },
    evaluationOnly: t.evaluationOnly ?? false,
    crop: t.crop ?? 'centre',
  };
}

/** Options of {@link taskFromFolder} and {@link taskFromManifest}: every {@link SequenceTaskInput} field but the source. */
export type LocalTaskOptions = Omit<SequenceTaskInput, 'folder' | 'manifest'>;

/**
 * A task from an image folder (`<folder>/<class>/**\/*.jpg|png`): only the folder and the domain
 * are required; class names default to the folder names, the id to the folder's name.
 */
export function taskFromFolder(folder: string, options: LocalTaskOptions): TaskSpec {
  return sequenceTask({ ...options, folder }, process.cwd(), `task ${folder}`);
}

/**
 * A task from a CSV or JSONL manifest (columns `path,label[,split][,patient]`, paths relative to
 * the manifest's folder): only the file and the domain are required; class names default to the
 * sorted distinct labels.
 */
export function taskFromManifest(file: string, options: LocalTaskOptions): TaskSpec {
  return sequenceTask({ ...options, manifest: file }, process.cwd(), `task ${file}`);
}

/**
 * Validates a sequence (the content of a sequence file, or an object built in code) and returns
 * it as a {@link BenchmarkSpec}; relative paths resolve against `baseDir`. `where` prefixes errors.
 */
export function defineSequence(input: unknown, baseDir: string = process.cwd(), where = 'sequence'): BenchmarkSpec {
  if (!isObject(input)) throw new Error(`${where}: must be an object with a name and tasks`);
  checkKnownFields(input, SEQUENCE_FIELDS, where, ': ');
  const s = input as unknown as TaskSequenceInput;
  const f = (field: string) => `${where}: ${field}`;
  const name = str(s.name, f('name'))!;
  if (!ID_RE.test(name)) throw new Error(`${f('name')}: '${name}' must be letters, digits, '.', '_' or '-' (it names run folders)`);
  if (s.imageSize !== undefined && !(Number.isInteger(s.imageSize) && s.imageSize > 0)) throw new Error(`${f('imageSize')}: must be a positive integer, got ${JSON.stringify(s.imageSize)}`);
  if (!Array.isArray(s.tasks) || !s.tasks.length) throw new Error(`${f('tasks')}: must be a non-empty list of tasks`);
  const tasks = s.tasks.map((t, i) => sequenceTask(t, baseDir, f(`tasks[${i}]`)));
  const ids = tasks.map((t) => t.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`${f('tasks')}: two tasks have the id '${dup}'; give each an id`);
  if (tasks.every((t) => t.evaluationOnly)) throw new Error(`${f('tasks')}: every task is evaluationOnly; at least one must be trained on`);
  const orders: Record<TaskOrder, string[]> = { I: ids, II: [...ids].reverse() };
  if (s.orders !== undefined) {
    if (!isObject(s.orders)) throw new Error(`${f('orders')}: must be an object such as {"II": ["b", "a"]}`);
    checkKnownFields(s.orders, ['I', 'II'], f('orders'));
    for (const o of ['I', 'II'] as const) {
      const list = s.orders[o];
      if (list === undefined) continue;
      if (!Array.isArray(list) || [...list].sort().join('\n') !== [...ids].sort().join('\n')) {
        throw new Error(`${f(`orders.${o}`)}: must list every task id once (${ids.join(', ')}), got ${JSON.stringify(list)}`);
      }
      orders[o] = list;
    }
  }
  for (const k of ['title', 'description'] as const) str(s[k], f(k), true);
  return {
    name,
    title: s.title ?? name,
    description: s.description ?? `Your task sequence '${name}' (${tasks.length} tasks).`,
    tasks,
    orders,
    data: 'local',
    root: path.resolve(baseDir),
    imageSize: s.imageSize,
  };
}

/** Whether `name` is a sequence file path rather than a benchmark name (ends in .json, .yaml or .yml). */
export function isSequenceFile(name: string): boolean {
  return /\.(json|ya?ml)$/i.test(name);
}

/**
 * Reads a task-sequence file (JSON; YAML when the `yaml` package is installed) into a
 * {@link BenchmarkSpec}. Errors name the file and the field.
 */
export function readTaskSequence(file: string): BenchmarkSpec {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the task sequence (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let data: unknown;
  if (/\.ya?ml$/i.test(abs)) {
    let yaml: { parse(text: string): unknown };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      yaml = require('yaml');
    } catch {
      throw new Error(`${file}: reading YAML needs the 'yaml' package (npm install yaml), or write the sequence as JSON`);
    }
    try {
      data = yaml.parse(text);
    } catch (err) {
      throw new Error(`${file}: invalid YAML (${(err as Error).message})`);
    }
  } else {
    try {
      data = JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message;
      const pos = /position (\d+)/.exec(msg);
      if (!pos) throw new Error(`${file}: invalid JSON (${msg})`);
      const before = text.slice(0, Number(pos[1])).split('\n');
      throw new Error(`${file} line ${before.length} column ${before[before.length - 1].length + 1}: invalid JSON (${msg})`);
    }
  }
  const spec = defineSequence(data, path.dirname(abs), file);
  return { ...spec, file: abs };
}
