/**
 * A {@link ClassificationDataset} assembled from its splits, plus the provenance every split
 * carries: a stable id per item (source file + native position), so corpora and memories can
 * prove they share no image with a task's train or test split.
 */
import type { BatchOptions, Batch, ClassificationDataset, DatasetSplit, ImagePreprocess, SplitName } from './types';

/** A split whose items have stable provenance ids (e.g. `pneumoniamnist.npz/train_images/17`). */
export interface ProvenancedSplit extends DatasetSplit {
  /** One id per item, in split order. */
  itemIds(): string[];
}

/** What a dataset is, besides its splits. */
export interface DatasetInfo {
  /** Short name, e.g. `pneumoniamnist`. */
  name: string;
  /** Domain / modality, e.g. `chest X-ray`. */
  domain: string;
  /** Class names in label order, as used in prompts. */
  classNames: string[];
  /** Prompt templates with `{}` for the class name; the first is used for training. */
  templates: string[];
}

/** A dataset made of named splits; asking for an absent split is an error naming what exists. */
export class SplitDataset implements ClassificationDataset {
  /** Short name. */
  readonly name: string;
  /** Domain / modality. */
  readonly domain: string;
  /** Class names in label order. */
  readonly classNames: string[];
  /** Prompt templates. */
  readonly templates: string[];
  private readonly splits: Partial<Record<SplitName, ProvenancedSplit>>;

  /** Creates a dataset; checks that labels fall within the classes and templates hold `{}`. */
  constructor(info: DatasetInfo, splits: Partial<Record<SplitName, ProvenancedSplit>>) {
    if (!info.classNames.length) throw new Error(`dataset '${info.name}': classNames is empty`);
    if (!info.templates.length || info.templates.some((t) => !t.includes('{}'))) {
      throw new Error(`dataset '${info.name}': every template needs a '{}' for the class name, got ${JSON.stringify(info.templates)}`);
    }
    for (const [split, s] of Object.entries(splits)) {
      const bad = s!.labels().find((l) => l < 0 || l >= info.classNames.length);
      if (bad !== undefined) throw new Error(`dataset '${info.name}' split '${split}': label ${bad} outside 0..${info.classNames.length - 1}`);
    }
    this.name = info.name;
    this.domain = info.domain;
    this.classNames = [...info.classNames];
    this.templates = [...info.templates];
    this.splits = splits;
  }

  /** The names of the splits present. */
  splitNames(): SplitName[] {
    return (['train', 'val', 'test'] as const).filter((s) => this.splits[s]);
  }

  /** One split; throws naming the dataset and the splits it has when absent. */
  split(name: SplitName): ProvenancedSplit {
    const s = this.splits[name];
    if (!s) throw new Error(`dataset '${this.name}' has no '${name}' split (it has ${this.splitNames().join(', ') || 'none'})`);
    return s;
  }

  /** The prompts of every class with template `t` (default: the training template). */
  prompts(t = 0): string[] {
    return this.classNames.map((c) => this.templates[t].replace('{}', c));
  }
}

/** A split that is a subset (by positions) of another split, keeping its provenance ids. */
export class SubsetSplit implements ProvenancedSplit {
  /** Number of items. */
  readonly size: number;

  /** Wraps `parent`, keeping the items at `positions` (in that order). */
  constructor(
    private readonly parent: ProvenancedSplit & { batchesAt(positions: Int32Array, p: ImagePreprocess, o: BatchOptions): AsyncIterable<Batch> },
    private readonly positions: Int32Array,
  ) {
    this.size = positions.length;
  }

  /** Labels of the kept items. */
  labels(): Int32Array {
    const all = this.parent.labels();
    return Int32Array.from(this.positions, (p) => all[p]);
  }

  /** Provenance ids of the kept items. */
  itemIds(): string[] {
    const all = this.parent.itemIds();
    return Array.from(this.positions, (p) => all[p]);
  }

  /** The split this subset is cut from. */
  root(): ProvenancedSplit {
    return this.parent;
  }

  /** Position in the parent split of this subset's item `i`. */
  position(i: number): number {
    return this.positions[i];
  }

  /** Batches over the kept items; `indices` are positions within this subset. */
  batches(preprocess: ImagePreprocess, options: BatchOptions): AsyncIterable<Batch> {
    return this.parent.batchesAt(this.positions, preprocess, options);
  }
}
