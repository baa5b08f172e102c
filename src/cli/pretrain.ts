import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, describeBackend } from '../backend';
import { buildMiniFoundationModel, MINI_MODEL_DIR } from '../foundation';
import { terminalProgress } from '../util/progress';
import { checkArtefactTarget, type ArtefactKind } from '../util/artefact';
import { acquireFolderLock } from '../util/lock';
import { isSavedModelDir } from '../model/checkpoint';
import { UsageError, type CliCommand } from './command';

/** `primed pretrain --preset mini`: rebuilds the bundled mini foundation model. */
export const command: CliCommand = {
  name: 'pretrain',
  summary: 'CLIP-pretrain the mini dual encoder on the mini corpus and write a checkpoint',
  usage:
    'primed pretrain --preset mini [--out DIR] [--replace] [--steps N] [--seed N] [--json]\n' +
    '--out must be a new or empty folder, or (with --replace) a saved primed model, which is kept until the new one is complete; the default --out is the bundled model data/models/mini, so rebuilding it needs --replace. One process writes a folder at a time.',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        preset: { type: 'string', default: 'mini' },
        out: { type: 'string' },
        steps: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        replace: { type: 'boolean' },
      },
    });
    if (values.preset !== 'mini') {
      throw new UsageError(`option --preset: only "mini" can be pretrained here (got "${values.preset}"); the large presets load real checkpoints`);
    }
    const int = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n)) throw new UsageError(`option --${name} must be an integer, got "${v}"`);
      return n;
    };
    const steps = int('steps', values.steps);
    const seed = int('seed', values.seed);
    const out = path.resolve(values.out ?? MINI_MODEL_DIR);
    const modelKind: ArtefactKind = { name: 'model', replaceHint: '--replace', isArtefact: isSavedModelDir };
    // Before any work: the folder must be new, empty, or (with --replace) a saved model.
    const check = () => {
      try {
        checkArtefactTarget(out, modelKind, values.replace === true);
      } catch (err) {
        throw new UsageError(`option --out: ${(err as Error).message}`);
      }
    };
    check();
    const lock = acquireFolderLock(out, 'model folder');
    let report: Awaited<ReturnType<typeof buildMiniFoundationModel>>;
    try {
      check(); // again under the lock: another writer may have filled it meanwhile
      const backend = await initBackend();
      process.stderr.write(`primed: backend ${describeBackend(backend)}\n`);
      report = await buildMiniFoundationModel({ outDir: out, steps, seed, progress: terminalProgress() });
    } finally {
      lock.release();
    }
    if (values.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return 0;
    }
    const lines = [
      `wrote ${out}`,
      `pretraining: ${report.pretrain.steps} steps, loss ${report.pretrain.lossStart.toFixed(3)} -> ${report.pretrain.lossEnd.toFixed(3)}, ${report.pretrain.seconds.toFixed(0)} s`,
      'zero-shot accuracy on each mini-MGTIL task (test split):',
      ...report.zeroShot.map((z) => `  ${z.task.padEnd(16)} ${z.accuracy.toFixed(1).padStart(5)}%   (chance ${z.chance.toFixed(1)}%)`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
