import { parseArgs } from 'node:util';
import { checkTaskData, formatDataReport, getBenchmark, resolveRoot } from '../benchmarks';
import { getPreset } from '../model/presets';
import { imageCacheDir } from '../data/prepare';
import { terminalProgress } from '../util/progress';
import { UsageError, type CliCommand } from './command';

/**
 * `primed data check|prepare`: checks a task sequence (or benchmark) up front and, given an image
 * size, decodes and prepares every image once into the prepared-image cache, with a progress bar.
 */
export const command: CliCommand = {
  name: 'data',
  summary: 'check a task sequence or benchmark and prepare (decode, resize, crop, cache) every image once',
  usage:
    'primed data check|prepare (--tasks SEQUENCE.json | --benchmark NAME [--root DIR]) [--size N | --preset mini|clip-vit-b16|biomedclip] [--channels 1|3] [--json]\n' +
    'check lists per task the split sizes, skipped files (not .jpg/.jpeg/.png), classes without images and tiny test sets, and with a size decodes every image; ' +
    'prepare also needs a size (--size, --preset, or the sequence\'s imageSize) and stores each image resized and cropped as the model will read it, ' +
    `in ${imageCacheDir()} (PRIMED_IMAGE_CACHE or PRIMED_CACHE_DIR move it). Exit code 1 when a task has errors (corrupt images, missing data).`,
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
        json: { type: 'boolean' },
      },
    });
    const [sub, ...extra] = positionals;
    if (sub !== 'check' && sub !== 'prepare') throw new UsageError(sub ? `unknown sub-command '${sub}' (check or prepare)` : 'give a sub-command: check or prepare');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
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
    if (sub === 'prepare' && size === undefined) throw new UsageError('prepare needs an image size: --size N, --preset NAME, or imageSize in the sequence file');
    let root: string;
    try {
      root = resolveRoot(spec, values.root);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const report = checkTaskData(spec, root, { prepare: size ? { size, channels } : undefined, progress: terminalProgress() });
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      process.stdout.write(formatDataReport(report) + '\n');
      if (size) process.stdout.write(`images prepared at ${size}×${size}×${channels} in ${imageCacheDir()}\n`);
    }
    return report.ok ? 0 : 1;
  },
};
