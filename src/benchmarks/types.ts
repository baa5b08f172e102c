/**
 * Benchmark specs are data: a list of task specs and two task orders, printable and saved next
 * to the results they produced. Loading and checking live in `load.ts` and `check.ts`.
 */
import type { SplitFractions } from '../data/splits';
import type { SplitName } from '../data/types';
import type { CropMode } from '../data/prepare';

/** A task order: Order I or Order II of the paper. */
export type TaskOrder = 'I' | 'II';

/** Where a task's data comes from, relative to the benchmark root. */
export type TaskSource =
  | {
      /** A MedMNIST-style `.npz` shipped with the project. */
      kind: 'medmnist-npz';
      /** Path of the npz relative to the root, e.g. `medmnist/pneumoniamnist.npz`. */
      file: string;
      /** Deterministic re-split of one stored split (files without official splits). */
      resplit?: {
        /** The stored split whose items are re-split (e.g. `test` for the PathMNIST subset); the file's other splits are ignored. */
        from: SplitName;
        /**
         * Seed of the stratified shuffle. Fixed per task (not the run seed), so every run sees the same
         * train/val/test items and the held-out `val` slice stays the same.
         */
        seed: number;
        /** Shares of `train`, `val` and `test` in [0, 1], summing to 1 (e.g. 0.6 / 0.15 / 0.25); counts are rounded per class. */
        fractions: SplitFractions;
      };
    }
  | {
      /** A dataset the user prepares: `<root>/<dir>/manifest.csv|jsonl`, or class folders. */
      kind: 'local';
      /** Folder relative to the root (or absolute); the task id for the paper benchmarks. */
      dir: string;
      /** Manifest file name inside `dir` (any name, CSV or JSONL). Default: `manifest.csv` or `manifest.jsonl` when present, else class folders. */
      manifest?: string;
      /** Manifest columns, by name or 0-based index. Default `path`, `label`, `split` (when present), `patient` (when present). */
      columns?: {
        /** Image path column (name or 0-based index). */
        path?: string | number;
        /** Label column (name or 0-based index). */
        label?: string | number;
        /** Split column (`train`/`val`/`test`). */
        split?: string;
        /** Group (patient) column. */
        group?: string;
      };
      /** Split shares used when the data has no split column. Default 70/10/20. */
      fractions?: SplitFractions;
      /** Seed of that split. Default: the run's data seed (0). */
      splitSeed?: number;
    };



/** One task (dataset) of a benchmark. */
export interface TaskSpec {
  /** Short id, e.g. `pd`, `pneumoniamnist`. */
  id: string;
  /** The name the paper uses, e.g. `NuCLS` (paper benchmarks; user tasks may leave it out). */
  paperName?: string;
  /** Full dataset name. */
  title: string;
  /** Domain / modality used in prompts, e.g. `chest X-ray`. */
  domain: string;
  /** Class names in label order, as they appear in prompts. */
  classNames: string[];
  /** The dataset's own label spellings (folder names, CSV codes), same order as `classNames`. */
  nativeLabels: string[];
  /** Prompt templates with `{}`; the first is used for training. */
  templates: string[];
  /** Where the data is read from. */
  source: TaskSource;
  /** Where the public dataset comes from (paper benchmarks). */
  origin?: string;
  /** Licence / access terms (paper benchmarks). */
  licence?: string;
  /** The dataset's native layout as distributed (paper benchmarks). */
  nativeLayout?: string;
  /** A test set only: never trained on; at its place in the order nothing is learned and every task is evaluated again. Default false. */
  evaluationOnly?: boolean;
  /**
   * Image files: `centre` (default) resizes the short side to the model's input size and
   * centre-crops the square, as open_clip's preprocessing does; `none` resizes the whole image to
   * the square (aspect not kept). Either way with an antialiased bicubic filter, once per image.
   */
  crop?: CropMode;
  /** The rule that makes multi-label sources single-label, when there is one. */
  singleLabelRule?: string;
  /** Number of images the paper reports. */
  paperImages?: number;
}

/** A benchmark: its tasks and both orders. */
export interface BenchmarkSpec {
  /** Id used on the command line, e.g. `hieramedtransfer`. */
  name: string;
  /** Display title. */
  title: string;
  /** One paragraph: what it is and where its data must be. */
  description: string;
  /** Every task, by id. */
  tasks: TaskSpec[];
  /** Task ids in training order, per order. */
  orders: Record<TaskOrder, string[]>;
  /** `bundled` when the data ships with the project (root defaults to the bundled data folder). */
  data: 'bundled' | 'local';
  /** Default root of a user's task sequence: the folder of its sequence file (absolute). */
  root?: string;
  /** The sequence file this spec was read from (user sequences). */
  file?: string;
  /** Image side the sequence is meant for (checked against the model's input size). */
  imageSize?: number;
}
