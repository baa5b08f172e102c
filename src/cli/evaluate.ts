import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, initBackend, type BackendName } from '../backend';
import { evaluateMGTIL, type MGTILResult } from '../experiment';
import { METHOD_NAMES, METHOD_SPECS } from '../methods';
import { loadCheckpoint, loadModel } from '../model/checkpoint';
import type { DualEncoderLike } from '../model/types';
import { accuracyMatrixFigure, forgettingCurvesFigure } from '../report/figures';
import { writeFigureHtml, writeFigureImage } from '../report/export';
import { openAnyMemory } from '../memory/store';
import { checkMemoryRetrieval } from '../memory/reference-set';
import { checkMemorySource, type MemorySource } from '../memory/out-of-source';
import { EMBEDDER_SPEC_HELP, queryEmbedderFor } from '../memory/embedders/spec';
import { hasChromium } from '../report/chromium';
import { terminalProgress } from '../util/progress';
import { formatNumber } from '../report/style';
import { writeJsonAtomic } from '../util/fs';
import { acquireFolderLock } from '../util/lock';
import { childPath } from '../util/safe-name';
import { redactSecrets } from '../util/safe-url';
import { formatDataReport, getBenchmark } from '../benchmarks';
import { checkFreshAllowed, checkWritableFolder } from './run-folder';
import { UsageError, type CliCommand } from './command';

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`option --${name} must be an integer, got "${v}"`);
  return n;
}

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined ? '   –' : formatNumber(x).padStart(5);
}

/** The results table printed at the end of a run. */
export function resultTable(r: MGTILResult): string {
  const names = r.tasks;
  const w = Math.max(12, ...names.map((n, t) => `${t + 1}. ${n}`.length));
  const lines: string[] = [];
  lines.push(`accuracy matrix (%), rows = after training task t, columns = test sets:`);
  // full task names: each column as wide as its name (at least 6)
  const cw = names.map((n) => Math.max(6, n.length));
  const cellsOf = (row: readonly number[]) => row.map((x, j) => formatNumber(x).padStart(cw[j])).join(' ');
  lines.push(`${''.padEnd(w)} ${names.map((n, j) => n.padStart(cw[j])).join(' ')}`);
  if (r.zeroShot) lines.push(`${'zero-shot'.padEnd(w)} ${cellsOf(r.zeroShot)}`);
  r.matrix.forEach((row, t) => lines.push(`${`${t + 1}. ${names[t]}`.padEnd(w)} ${cellsOf(row)}`));
  const m = r.metrics;
  if (m) {
    lines.push('');
    lines.push(`${r.method} on ${r.benchmark.name} order ${r.benchmark.order}:`);
    lines.push(`  Transfer ${fmt(m.transfer)}   Avg ${fmt(m.avg)}   Last ${fmt(m.last)}`);
    lines.push(`  ACC      ${fmt(m.acc)}   BWT ${fmt(m.bwt)}   Forgetting ${fmt(m.forgetting)}   AUC ${fmt(m.auc)}`);
  }
  return lines.join('\n');
}

/**
 * Method options from `--set OPTION=VALUE` flags: the value is JSON when it parses (`100`,
 * `true`, `[1,2]`, `"x"`), else the raw string (`l2`). A flag without `=` or with an empty name
 * is a usage error; a name given twice too. Which names a method accepts, and their ranges, is
 * checked by the method itself (its error names the option).
 */
export function parseMethodSets(flags: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq > 0 ? flag.slice(0, eq).trim() : '';
    if (!name) throw new UsageError(`option --set: expected OPTION=VALUE (e.g. lambda=100), got "${flag}"`);
    if (name in out) throw new UsageError(`option --set: ${name} is given twice`);
    const raw = flag.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: keep the string (e.g. regularizer=l2)
    }
    out[name] = value;
  }
  return out;
}

/** `primed evaluate`: the MGTIL protocol for one method, with a progress bar, a table and a figure. */
export const command: CliCommand = {
  name: 'evaluate',
  summary: 'run the MGTIL protocol for a method on a benchmark and write result.json',
  usage:
    'primed evaluate [--benchmark mini-mgtil|hieramedtransfer|medxtreme | --tasks SEQUENCE.json] [--add-domains] [--method ' +
    METHOD_SPECS.filter((s) => !s.aliasOf).map((s) => s.name).join('|') +
    '] [--order I|II] [--seed N] [--out DIR] [--steps N] [--set OPTION=VALUE ...] [--root DATASETS] [--preset biomedclip|clip-vit-b16 --checkpoint PATH | --model DIR] [--memory-source in-source|out-of-source | --memory DIR [--memory-search exact|index] [--embedder SPEC] [--embedder-id ID] [--api-key-env VAR] [--embedder-timeout SECONDS]] [--fresh] [--keep-state] [--backend NAME] [--json]\n' +
    `${EMBEDDER_SPEC_HELP}\n` +
    '--tasks runs your own task sequence (a JSON or YAML file listing image folders or CSV manifests; see docs/your-own-data.md) instead of a benchmark; every image is decoded and checked before training, and the report is printed. --add-domains lets the distillation methods add a task domain the question pool lacks (else refused).\n' +
    '--set gives the method an option (repeatable; VALUE is read as JSON when it parses, else as a string), e.g. --method ewc --set lambda=100 --set gamma=0.9, or --method primed-dyn --set regularizer=l2; the options are recorded in result.json.\n' +
    '--fresh discards the run in --out and starts over, only once every option is valid and only if --out holds a primed run (or is empty); --keep-state keeps the final learner state of a finished run (by default a finished run keeps only its results). One process writes a run folder at a time; a second is refused, naming the first one\'s pid.\n' +
    '--memory-source picks the bundled mini memory of the distillation methods: in-source (default; the tasks\' own validation images captioned from their labels) or out-of-source (images of other datasets: BCCD blood smears and adult chest radiographs, data/out-of-source/); --memory DIR is a memory of your own, in-RAM or on-disk (primed memory build --engine lance); --memory-search picks an on-disk memory\'s dense search, exact (every vector) or index (IVF-PQ; the default when it has one).\n' +
    'The queries against --memory are embedded by --embedder; without it, by the memory\'s own endpoint when an endpoint embedded it, else by the initial model\'s text tower.',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        benchmark: { type: 'string' },
        tasks: { type: 'string' },
        'add-domains': { type: 'boolean' },
        method: { type: 'string', default: 'primed-dyn' },
        order: { type: 'string', default: 'I' },
        seed: { type: 'string', default: '42' },
        out: { type: 'string' },
        steps: { type: 'string' },
        set: { type: 'string', multiple: true },
        root: { type: 'string' },
        preset: { type: 'string' },
        checkpoint: { type: 'string' },
        model: { type: 'string' },
        memory: { type: 'string' },
        'memory-source': { type: 'string' },
        'memory-search': { type: 'string' },
        embedder: { type: 'string' },
        'embedder-id': { type: 'string' },
        'api-key-env': { type: 'string' },
        fresh: { type: 'boolean' },
        'keep-state': { type: 'boolean' },
        'embedder-timeout': { type: 'string' },
        backend: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (values.order !== 'I' && values.order !== 'II') throw new UsageError(`option --order must be I or II, got "${values.order}"`);
    if (!(METHOD_NAMES as readonly string[]).includes(values.method!)) {
      throw new UsageError(`option --method: unknown method "${values.method}"; expected one of ${METHOD_NAMES.join(', ')}`);
    }
    if (values.checkpoint && !values.preset) throw new UsageError('option --checkpoint needs --preset (biomedclip or clip-vit-b16)');
    const seed = int('seed', values.seed)!;
    const steps = int('steps', values.steps);
    const methodOptions = parseMethodSets(values.set ?? []);
    const embedderTimeout = int('embedder-timeout', values['embedder-timeout']);
    if (embedderTimeout !== undefined && embedderTimeout <= 0) throw new UsageError(`option --embedder-timeout must be a positive number of seconds, got "${values['embedder-timeout']}"`);
    // The run folder: its default is built from names, so validate them before using them as a path.
    if (values.tasks && values.benchmark) throw new UsageError('give --benchmark or --tasks, not both');
    const spec = (() => {
      try {
        return getBenchmark(values.tasks ?? values.benchmark ?? 'mini-mgtil');
      } catch (err) {
        throw new UsageError(`option ${values.tasks ? '--tasks' : '--benchmark'}: ${(err as Error).message}`);
      }
    })();
    const out = path.resolve(values.out ?? childPath('runs', [`${spec.name}-${values.order}-${values.method}-s${seed}`], 'option --benchmark'));
    checkWritableFolder(out, 'out');
    if (values.fresh) checkFreshAllowed(out);
    const backend = await initBackend({ backend: values.backend as BackendName | undefined });
    process.stderr.write(`primed: backend ${describeBackend(backend)}\n`);

    let model: DualEncoderLike | undefined;
    if (values.checkpoint) model = await loadCheckpoint(values.checkpoint, { preset: values.preset! });
    else if (values.model) model = await loadModel(values.model);
    if ((values.embedder || values['embedder-id'] || values['api-key-env']) && !values.memory) throw new UsageError('options --embedder, --embedder-id and --api-key-env need --memory DIR');
    const memorySearch = values['memory-search'];
    if (memorySearch !== undefined && memorySearch !== 'exact' && memorySearch !== 'index') throw new UsageError(`option --memory-search must be exact or index, got "${memorySearch}"`);
    if (memorySearch !== undefined && !values.memory) throw new UsageError('option --memory-search needs --memory DIR (an on-disk memory)');
    const memorySource = values['memory-source'];
    if (memorySource !== undefined) {
      const problem = checkMemorySource(memorySource, 'option --memory-source');
      if (problem) throw new UsageError(problem);
      if (values.memory) throw new UsageError('options --memory and --memory-source: give one (--memory-source picks a bundled mini memory, --memory DIR is your own)');
    }
    // In-RAM or on-disk (primed memory build --engine lance): the manifest says which.
    const memory = values.memory ? await openAnyMemory(values.memory) : undefined;
    const retrieval = memorySearch ? { search: { mode: memorySearch as 'exact' | 'index' } } : undefined;
    if (memory && retrieval) {
      try {
        checkMemoryRetrieval(memory, retrieval);
      } catch (err) {
        throw new UsageError(`option --memory-search: ${(err as Error).message}`);
      }
    }
    const queryEmbedder = memory
      ? await queryEmbedderFor(memory.manifest.embedder.id, values.embedder, {
          id: values['embedder-id'],
          apiKeyEnv: values['api-key-env'],
          timeoutMs: embedderTimeout !== undefined ? embedderTimeout * 1000 : undefined,
        })
      : undefined;
    // One writer per run folder (a second `primed evaluate --out` here is refused, naming this pid).
    const lock = acquireFolderLock(out, 'run folder');
    try {

    const result = await evaluateMGTIL({
      benchmark: spec,
      addDomains: values['add-domains'],
      onDataReport: (report, warnings) => {
        process.stderr.write(formatDataReport(report) + '\n');
        for (const w of warnings.filter((x) => !report.tasks.some((t) => x.startsWith(`${t.id}: `)))) process.stderr.write(`warning: ${w}\n`);
      },
      order: values.order,
      method: values.method,
      seed,
      runDir: out,
      fresh: values.fresh,
      keepStates: values['keep-state'] ? 'final' : 'last',
      root: values.root,
      model,
      memory,
      memorySource: memorySource as MemorySource | undefined,
      queryEmbedder,
      retrieval,
      methodOptions,
      recipe: steps !== undefined ? { trainer: { steps } } : undefined,
      progress: terminalProgress(),
    });
    model?.dispose();

    // result.json is the protocol's; add what this command ran.
    writeJsonAtomic(path.join(out, 'run.json'), { method: result.method, benchmark: result.benchmark, referenceKeys: result.referenceKeys, command: redactSecrets(['primed', 'evaluate', ...argv].join(' ')) });
    const figure = forgettingCurvesFigure({
      dataset: 'each task',
      title: `${result.method}: accuracy on each task as tasks are learned (${result.benchmark.name}, order ${result.benchmark.order})`,
      taskNames: result.tasks,
      series: result.tasks.map((t, d) => ({
        name: t,
        x: [0, ...result.matrix.map((_, i) => i + 1)],
        y: [result.zeroShot?.[d] ?? 0, ...result.matrix.map((row) => row[d])],
      })),
    });
    writeFigureHtml(figure, path.join(out, 'forgetting-curves.html'));
    const heat = accuracyMatrixFigure({ matrix: result.matrix, datasets: result.tasks, zeroShot: result.zeroShot ?? undefined, title: `${result.method}: accuracy matrix (%)` });
    writeFigureHtml(heat, path.join(out, 'accuracy-matrix.html'));
    const written = ['result.json', 'matrix.csv', 'forgetting-curves.html', 'accuracy-matrix.html'];
    if (hasChromium()) {
      await writeFigureImage(figure, path.join(out, 'forgetting-curves.png'));
      written.push('forgetting-curves.png');
    }
    if (values.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    } else {
      process.stdout.write(resultTable(result) + '\n\n');
      process.stdout.write(`wrote ${written.map((f) => path.join(out, f)).join(', ')}\n`);
    }
    return 0;
    } finally {
      lock.release();
    }
  },
};
