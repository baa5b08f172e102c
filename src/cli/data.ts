import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { checkTaskData, defineSequence, formatDataReport, getBenchmark, loadTask, resolveRoot, type SequenceTaskInput } from '../benchmarks';
import { exportTaskImages } from '../data/export-folders';
import { writeJsonAtomic } from '../util/fs';
import { getPreset } from '../model/presets';
import { imageCacheDir } from '../data/prepare';
import { terminalProgress } from '../util/progress';
import { UsageError, type CliCommand } from './command';

/**
 * `primed data check|prepare|export`: checks a task sequence (or benchmark) up front and, given
 * an image size, decodes and prepares every image once into the prepared-image cache, with a
 * progress bar; `export` writes bundled tasks out as image folders or a CSV manifest plus a
 * sequence file (the worked example of docs/your-own-data.md).
 */
export const command: CliCommand = {
  name: 'data',
  summary: 'check a task sequence or benchmark and prepare (decode, resize, crop, cache) every image once',
  usage:
    'primed data check|prepare (--tasks SEQUENCE.json | --benchmark NAME [--root DIR]) [--size N | --preset mini|clip-vit-b16|biomedclip] [--channels 1|3] [--workers N] [--json]\n' +
    'check lists per task the split sizes, skipped files (not .jpg/.jpeg/.png), classes without images and tiny test sets, and with a size decodes every image; ' +
    'prepare also needs a size (--size, --preset, or the sequence\'s imageSize) and stores each image resized and cropped as the model will read it, decoding on --workers processes (default: the cores less one, at most 8), ' +
    `in ${imageCacheDir()} (PRIMED_IMAGE_CACHE or PRIMED_CACHE_DIR move it). Exit code 1 when a task has errors (corrupt images, missing data).\n` +
    'primed data export --benchmark mini-mgtil --only ID[,ID...] --out DIR [--layout folders|manifest] [--format jpg|png] [--limit N] [--evaluation-only ID]: ' +
    'writes the train and test images of those bundled tasks (not val: it feeds the mini memory) as image files under DIR/<id>/ (class folders, or images/ + labels.csv) and DIR/seq.json reading them back; JPEG encoding is slow (about 25 ms an image), PNG is quick; --evaluation-only ID writes ID\'s test split as an evaluation-only task ID-external (and only ID\'s train split as ID).',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        tasks: { type: 'string' },
        benchmark: { type: 'string' },
        root: { type: 'string' },
        size: { type: 'string' },
        preset: { type: 'string' },
        channels: { type: 'string' },
        workers: { type: 'string' },
        json: { type: 'boolean' },
        only: { type: 'string' },
        out: { type: 'string' },
        layout: { type: 'string' },
        format: { type: 'string' },
        limit: { type: 'string' },
        'evaluation-only': { type: 'string' },
      },
    });
    const [sub, ...extra] = positionals;
    if (sub !== 'check' && sub !== 'prepare' && sub !== 'export') throw new UsageError(sub ? `unknown sub-command '${sub}' (check, prepare or export)` : 'give a sub-command: check, prepare or export');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (sub === 'export') return exportBundled(values);
    if (!values.tasks === !values.benchmark) throw new UsageError('give --tasks SEQUENCE.json or --benchmark NAME');
    if (values.size && values.preset) throw new UsageError('give --size or --preset, not both');
    const spec = (() => {
      try {
        return getBenchmark(values.tasks ?? values.benchmark!);
      } catch (err) {
        throw new UsageError(`option ${values.tasks ? '--tasks' : '--benchmark'}: ${(err as Error).message}`);
      }
    })();
    let size: number | undefined;
    let channels = 3;
    if (values.preset) {
      let p;
      try {
        p = getPreset(values.preset).preprocess;
      } catch (err) {
        throw new UsageError(`option --preset: ${(err as Error).message}`);
      }
      size = p.size;
      channels = p.channels;
    } else if (values.size !== undefined) {
      size = Number(values.size);
      if (!Number.isInteger(size) || size < 1) throw new UsageError(`option --size must be a positive integer, got "${values.size}"`);
    } else size = spec.imageSize;
    if (values.channels !== undefined) {
      channels = Number(values.channels);
      if (channels !== 1 && channels !== 3) throw new UsageError(`option --channels must be 1 or 3, got "${values.channels}"`);
    }
    const workers = values.workers === undefined ? undefined : Number(values.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers > 0)) throw new UsageError(`option --workers must be a positive integer, got "${values.workers}"`);
    if (sub === 'prepare' && size === undefined) throw new UsageError('prepare needs an image size: --size N, --preset NAME, or imageSize in the sequence file');
    let root: string;
    try {
      root = resolveRoot(spec, values.root);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const report = await checkTaskData(spec, root, { prepare: size ? { size, channels } : undefined, progress: terminalProgress(), workers });
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      process.stdout.write(formatDataReport(report) + '\n');
      if (size) process.stdout.write(`images prepared at ${size}×${size}×${channels} in ${imageCacheDir()}\n`);
    }
    return report.ok ? 0 : 1;
  },
};

/** `primed data export`: every option checked before anything is written. */
function exportBundled(values: { benchmark?: string; only?: string; out?: string; layout?: string; format?: string; limit?: string; 'evaluation-only'?: string; root?: string }): number {
  if (!values.benchmark) throw new UsageError('export needs --benchmark NAME (e.g. mini-mgtil)');
  if (!values.only) throw new UsageError('export needs --only ID[,ID...]: the tasks to write, in sequence order');
  if (!values.out) throw new UsageError('export needs --out DIR');
  const layout = values.layout ?? 'folders';
  if (layout !== 'folders' && layout !== 'manifest') throw new UsageError(`option --layout must be folders or manifest, got "${layout}"`);
  const format = values.format ?? 'jpg';
  if (format !== 'jpg' && format !== 'png') throw new UsageError(`option --format must be jpg or png, got "${format}"`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`option --limit must be a positive integer, got "${values.limit}"`);
  let spec;
  try {
    spec = getBenchmark(values.benchmark);
  } catch (err) {
    throw new UsageError(`option --benchmark: ${(err as Error).message}`);
  }
  const ids = values.only.split(',').map((x) => x.trim()).filter(Boolean);
  for (const id of [...ids, ...(values['evaluation-only'] ? [values['evaluation-only']] : [])]) {
    if (!spec.tasks.some((t) => t.id === id)) throw new UsageError(`option --only/--evaluation-only: '${id}' is not a task of ${spec.name} (${spec.tasks.map((t) => t.id).join(', ')})`);
  }
  const out = path.resolve(values.out);
  if (fs.existsSync(out) && fs.readdirSync(out).length) throw new UsageError(`option --out: ${out} is not empty; give a new folder`);
  const root = resolveRoot(spec, values.root);
  const entries: SequenceTaskInput[] = [];
  const ext = values['evaluation-only'];
  for (const id of ids) {
    const ds = loadTask(spec.tasks.find((t) => t.id === id)!, { root });
    // A task whose test split becomes the external set keeps only its train split (split again by the loader), so the two share no image.
    entries.push(exportTaskImages(ds, path.join(out, id), { layout, format, limit, splits: id === ext ? ['train'] : undefined }, out));
    process.stderr.write(`wrote ${id} to ${path.join(out, id)}\n`);
  }
  if (ext) {
    const ds = loadTask(spec.tasks.find((t) => t.id === ext)!, { root });
    entries.push(exportTaskImages(ds, path.join(out, `${ext}-external`), { layout, format, limit, splits: ['test'], evaluationOnly: true, id: `${ext}-external` }, out));
  }
  const sequence = { name: `${spec.name}-as-files`, description: `Tasks ${ids.join(', ')} of ${spec.name} written as ${format} files (${layout}) by primed data export.`, tasks: entries };
  defineSequence(sequence, out, path.join(out, 'seq.json')); // reads back as written
  writeJsonAtomic(path.join(out, 'seq.json'), sequence);
  process.stdout.write(`wrote ${path.join(out, 'seq.json')} (${entries.length} tasks)\n`);
  return 0;
}
