/**
 * The mini "literature corpus": a small, honest STAND-IN for the paper's 18M PubMed image–caption
 * database, used by the mini memory and to pretrain the `mini` model. It is NOT a literature
 * corpus: its images are MedMNIST-style 28×28 images with captions generated from their labels.
 *
 * - Image–caption entries come only from image slices disjoint from every mini-MGTIL task's
 *   train and test split: the `val` split of each task (for the PathMNIST subset, the held-out
 *   slice of its fixed re-split, which is also its `val`). Entry ids are the images' provenance
 *   ids, so disjointness is checkable.
 * - Captions mix granularity (seeded): modality only ("a chest X-ray") or modality + finding
 *   ("chest X-ray showing pneumonia"), in a few phrasings.
 * - The ROCO open-access captions (data/captions) join as text-only entries (no image).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../util/rng';
import { bundledDataDir } from './bundled';
import type { ProvenancedSplit } from './dataset';
import { ArraySplit } from './array-split';
import type { RawImage } from './image';
import { SubsetSplit } from './dataset';
import { miniMgtil } from '../benchmarks/mini-mgtil';
import { loadTask } from '../benchmarks/load';

/** One corpus entry. */
export interface CorpusEntry {
  /** Provenance id: `<npz>/<split>/<index>` for images, `roco/<roco_id>` for ROCO captions. */
  id: string;
  /** The caption. */
  caption: string;
  /** 8-bit RGB pixels (grey repeated to 3 channels, so `channels` is always 3; 28×28 for MedMNIST), absent for text-only ROCO entries. */
  image?: RawImage;
  /** Domain / modality, e.g. `chest X-ray`. */
  domain: string;
  /** Where the entry comes from: a task id (`pneumoniamnist`) or `roco`. */
  source: string;
  /** Class name of the image, when known (never for ROCO). */
  label?: string;
  /** Licence of the entry (ROCO: the article's licence). */
  licence?: string;
}

/** Options of {@link buildMiniCorpus}. */
export interface MiniCorpusOptions {
  /** Seed for caption granularity and phrasing. */
  seed: number;
  /** Folder holding medmnist/ and captions/. Default: the bundled data. */
  root?: string;
  /** Share of image captions that name the modality only. Default 0.3. */
  modalityOnlyShare?: number;
  /** Add the ROCO captions as text-only entries. Default true. */
  includeRoco?: boolean;
}

/** Modality phrases per task (caption granularity 1). */
const MODALITY_PHRASES: Record<string, string[]> = {
  pneumoniamnist: ['a chest X-ray', 'a paediatric chest radiograph', 'chest X-ray'],
  breastmnist: ['a breast ultrasound', 'an ultrasound image of the breast', 'breast ultrasound'],
  retinamnist: ['a fundus photograph', 'a colour fundus image', 'a retinal photograph'],
  pathmnist: ['an H&E stained colon tissue patch', 'a colorectal histopathology image', 'a pathology slide of the colon'],
  bloodmnist: ['a peripheral blood smear', 'a blood cell microscopy image', 'a microscopy image of a blood cell'],
};

/** Finding phrasings (granularity 2): `{m}` modality, `{c}` class name. */
const FINDING_PHRASES = ['{m} showing {c}', '{m} with {c}', '{c} on {m}', '{m} of {c}'];

function stripArticle(s: string): string {
  return s.replace(/^(a|an) /, '');
}

/**
 * The held-out (corpus) slice of each mini task: its `val` split, disjoint from the task's train
 * and test splits, so corpus images never leak into training or evaluation. One element per
 * mini-MGTIL task, in task order.
 */
export function corpusSlices(root?: string): {
  /** Task id, e.g. `pneumoniamnist`; also the corpus entries' `source`. */
  taskId: string;
  /** The task's `val` split: the images the corpus takes its image–caption entries from. */
  split: ProvenancedSplit;
  /** The task's domain / modality, e.g. `chest X-ray`; the entries' `domain`. */
  domain: string;
  /** The task's class names by label index; captions with a finding name `classNames[label]`. */
  classNames: string[];
}[] {
  const r = root ?? bundledDataDir();
  return miniMgtil.tasks.map((task) => {
    const ds = loadTask(task, { root: r });
    return { taskId: task.id, split: ds.split('val'), domain: task.domain, classNames: task.classNames };
  });
}

/** Item `i` of an in-memory (MedMNIST) split, or of a subset of one, as 8-bit RGB (a copy). */
export function rawImageOf(split: ProvenancedSplit, i: number): RawImage {
  const base = split instanceof SubsetSplit ? split.root() : split;
  const pos = split instanceof SubsetSplit ? split.position(i) : i;
  if (!(base instanceof ArraySplit)) throw new Error('rawImageOf: expected an in-memory (MedMNIST) split');
  const img = base.image(pos);
  if (img.channels === 3) return { ...img, pixels: img.pixels.slice() };
  const rgb = new Uint8Array(img.height * img.width * 3);
  for (let p = 0; p < img.height * img.width; p++) rgb[p * 3] = rgb[p * 3 + 1] = rgb[p * 3 + 2] = img.pixels[p];
  return { pixels: rgb, height: img.height, width: img.width, channels: 3 };
}

/** Reads the ROCO captions as text-only entries. */
function rocoEntries(file: string): CorpusEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read ROCO captions (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      let r: { roco_id?: string; caption?: string; subset?: string; license?: string };
      try {
        r = JSON.parse(l);
      } catch (err) {
        throw new Error(`${file} line ${i + 1}: invalid JSON (${(err as Error).message})`);
      }
      if (!r.roco_id || !r.caption) throw new Error(`${file} line ${i + 1}: needs roco_id and caption`);
      return { id: `roco/${r.roco_id}`, caption: r.caption.trim(), domain: r.subset === 'radiology' ? 'radiology' : 'medical figure', source: 'roco', licence: r.license };
    });
}

/** Builds the mini corpus (deterministic for a seed). */
export function buildMiniCorpus(options: MiniCorpusOptions): CorpusEntry[] {
  const share = options.modalityOnlyShare ?? 0.3;
  if (!(share >= 0 && share <= 1)) throw new Error(`modalityOnlyShare must be in [0, 1], got ${share}`);
  if (!Number.isInteger(options.seed)) throw new Error(`seed must be an integer, got ${options.seed}`);
  const root = options.root ?? bundledDataDir();
  const entries: CorpusEntry[] = [];
  for (const slice of corpusSlices(root)) {
    const rng = Rng.derive(options.seed, `mini-corpus-${slice.taskId}`);
    const labels = slice.split.labels();
    const ids = slice.split.itemIds();
    const phrases = MODALITY_PHRASES[slice.taskId] ?? [slice.domain];
    for (let i = 0; i < labels.length; i++) {
      const modality = phrases[rng.int(phrases.length)];
      const className = slice.classNames[labels[i]];
      const caption =
        rng.next() < share
          ? modality
          : FINDING_PHRASES[rng.int(FINDING_PHRASES.length)].replace('{m}', stripArticle(modality)).replace('{c}', className);
      entries.push({ id: ids[i], caption, image: rawImageOf(slice.split, i), domain: slice.domain, source: slice.taskId, label: className, licence: 'CC BY 4.0' });
    }
  }
  if (options.includeRoco !== false) entries.push(...rocoEntries(path.join(root, 'captions', 'roco_open_captions.jsonl')));
  return entries;
}
