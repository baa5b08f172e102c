/**
 * Writes a bundled (in-memory) task out as image files, the way a user's own data usually looks:
 * one folder per class, or an image folder plus a CSV manifest. The worked example of
 * docs/your-own-data.md and the quickstart notebook's last section start from these files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import type { SplitDataset } from './dataset';
import { rawImageOf } from './mini-corpus';
import { encodePng } from '../memory/mini';
import type { SplitName } from './types';
import type { SequenceTaskInput } from '../benchmarks/sequence';

/** Options of {@link exportTaskImages}. */
export interface ExportImagesOptions {
  /** `folders` (default: `<dir>/<class>/<split>-<i>.jpg`) or `manifest` (`<dir>/images/*.jpg` + `<dir>/labels.csv` with columns file,diagnosis,split). */
  layout?: 'folders' | 'manifest';
  /**
   * Which splits to write. Default train and test: the bundled tasks' `val` slices feed the mini
   * corpus, so their images are in the mini memory, and exported they would land in the test sets.
   */
  splits?: SplitName[];
  /** At most this many images per split (the first ones). Default all. */
  limit?: number;
  /** `jpg` (default, quality 95) or `png`. */
  format?: 'jpg' | 'png';
  /** Mark the task evaluation-only in the returned entry (write `splits: ['test']` with it). */
  evaluationOnly?: boolean;
  /** Task id in the returned entry. Default the dataset's name. */
  id?: string;
}

/** A class name as a folder name: path separators and control characters replaced. */
function folderName(name: string): string {
  return name.replace(/[/\\\0-\x1f]/g, '-').replace(/^\.+/, '_');
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Writes the images of an in-memory dataset (a bundled MedMNIST task) under `dir` and returns the
 * task-sequence entry that reads them back (paths relative to `relativeTo`, default `dir`'s
 * parent). With the `folders` layout the split is left to the loader's seeded split; with
 * `manifest` the split is written in the CSV's `split` column.
 */
export function exportTaskImages(ds: SplitDataset, dir: string, options: ExportImagesOptions = {}, relativeTo = path.dirname(dir)): SequenceTaskInput {
  const layout = options.layout ?? 'folders';
  const format = options.format ?? 'jpg';
  const folders = ds.classNames.map(folderName);
  if (new Set(folders.map((f) => f.toLowerCase())).size !== folders.length) throw new Error(`exportTaskImages: class names of '${ds.name}' collide as folder names`);
  const rows = ['file,diagnosis,split'];
  for (const s of options.splits ?? ds.splitNames().filter((x) => x !== 'val')) {
    const split = ds.split(s);
    const labels = split.labels();
    const n = Math.min(split.size, options.limit ?? split.size);
    for (let i = 0; i < n; i++) {
      const img = rawImageOf(split, i);
      const name = `${s}-${String(i).padStart(5, '0')}.${format}`;
      const rel = layout === 'folders' ? path.join(folders[labels[i]], name) : path.join('images', name);
      const file = path.join(dir, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      if (format === 'png') fs.writeFileSync(file, encodePng(img));
      else {
        const rgba = new Uint8Array(img.width * img.height * 4);
        for (let p = 0; p < img.width * img.height; p++) {
          rgba.set(img.pixels.subarray(p * 3, p * 3 + 3), p * 4);
          rgba[p * 4 + 3] = 255;
        }
        fs.writeFileSync(file, jpeg.encode({ data: rgba, width: img.width, height: img.height }, 95).data);
      }
      rows.push([rel.split(path.sep).join('/'), folders[labels[i]], s].map(csvField).join(','));
    }
  }
  const where = path.relative(relativeTo, dir) || '.';
  const entry: SequenceTaskInput = {
    id: options.id ?? ds.name,
    domain: ds.domain,
    classNames: [...ds.classNames],
    labels: folders,
    templates: [...ds.templates],
  };
  if (layout === 'manifest') {
    fs.writeFileSync(path.join(dir, 'labels.csv'), rows.join('\n') + '\n');
    entry.manifest = path.join(where, 'labels.csv').split(path.sep).join('/');
    entry.columns = { path: 'file', label: 'diagnosis' };
  } else entry.folder = where.split(path.sep).join('/');
  if (options.evaluationOnly) entry.evaluationOnly = true;
  return entry;
}
