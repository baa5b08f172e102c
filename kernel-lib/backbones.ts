/**
 * Notebook 06: the backbones to compare (the paper's Table 13 and Fig. 9), their zero-shot
 * accuracy per dataset, and the Table-13-style continual-learning runs with each.
 *
 * At mini scale: the bundled mini model (standing in for BiomedCLIP) and, as a control, the same
 * architecture and tokenizer untrained. At paper scale: every checkpoint of the config, opened
 * with its own preset when its name is one, else with each supported layout in turn.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { paperTables, type Triple } from '../src/paper/index';
import { methodComparisonFigure, radarFigure } from '../src/report/figures';
import { seriesColours } from '../src/report/style';
import type { PlotlyFigure } from '../src/report/plotly-types';
import type { DualEncoderLike } from '../src/model/types';
import type { ModelPreset } from '../src/model/presets';
import { showFigure, showTable } from './display';
import type { JobModel, RunJob } from './runs';
import { ourTriple, paperKindsOf, paperSequenceKey, PAPER_METRIC_NAMES, sequenceLabel, sideBySide, type NotebookContext, type PaperKind, type TaskOrder } from './notebook';
import { METHOD_LABEL, usesMemory } from './protocol';

/** A backbone: how a worker builds it, its label, and its name in the paper's tables. */
export interface Backbone {
  /** Short name (its runs' folder names). */
  name: string;
  /** Label in tables and figures. */
  label: string;
  /** How a worker builds it; none = the bundled mini model. */
  model?: JobModel;
  /** The paper's name of this backbone (null: not a paper backbone). */
  paper: string | null;
  /** Whether the memory was embedded with this backbone (zscl and primed-dyn need it). */
  memoryMethods: boolean;
  /** A note for the table. */
  note: string;
}

/** A backbone's zero-shot accuracy per dataset, with chance level. */
export interface ZeroShotProfile {
  /** Dataset names. */
  axes: string[];
  /** Accuracy (%) per dataset. */
  values: number[];
  /** Chance level (100 / classes) per dataset. */
  chance: number[];
}

const CONTROL_SEED = 42;
const PAPER_BACKBONE: Record<string, string> = { biomedclip: 'BiomedCLIP', mmkdclip: 'MMKD-CLIP', unimedclip: 'UniMed-CLIP', clipvitb16: 'OpenAI CLIP', openaiclip: 'OpenAI CLIP', bmcclip: 'BMC-CLIP' };
const SUPPORTED_PRESETS = ['biomedclip', 'clip-vit-b16'];
/** The methods of Table 13 and the `core` plan's subset. */
export const TABLE13_METHODS = ['finetune', 'wise-ft', 'zscl', 'primed-dyn'];
const CORE13 = new Set(['finetune', 'primed-dyn']);

async function openCheckpoint(name: string, file: string): Promise<{ model?: DualEncoderLike; preset?: string; error?: string }> {
  const { loadCheckpoint } = require('../src/model/checkpoint') as typeof import('../src/model/checkpoint');
  const presets = SUPPORTED_PRESETS.includes(name) ? [name] : SUPPORTED_PRESETS;
  const errors: string[] = [];
  for (const preset of presets) {
    try {
      return { model: await loadCheckpoint(file, { preset: preset }), preset: preset };
    } catch (err) {
      errors.push(`as ${preset}: ${(err as Error).message.split('\n').slice(0, 4).join(' ')}`);
    }
  }
  return { error: errors.join('\n') };
}

/** What {@link findBackbones} found. */
export interface FoundBackbones {
  /** The backbones. */
  backbones: Backbone[];
  /** Zero-shot accuracy per backbone name. */
  zeroShot: Map<string, ZeroShotProfile>;
}

/**
 * The backbones of this scale and each one's zero-shot accuracy on every task's test split. At mini
 * scale it also builds the control's memory (embedded with its own text tower) for its runs.
 */
export async function findBackbones(nb: NotebookContext): Promise<FoundBackbones> {
  // loaded here, not at import: importing kernel-lib stays light (the library finds its bundled data when it loads)
  const lib = require('../src/index') as typeof import('../src/index');
  const backbones: Backbone[] = [];
  const zeroShot = new Map<string, ZeroShotProfile>();
  if (nb.scale === 'mini') {
    backbones.push({ name: 'mini', label: 'mini (bundled, pretrained)', paper: 'BiomedCLIP', memoryMethods: true, note: "stands in for BiomedCLIP (the paper's main backbone)" });
    backbones.push({ name: 'random', label: 'mini, random init (control)', model: { kind: 'random', seed: CONTROL_SEED }, paper: null, memoryMethods: true, note: 'control: same architecture and tokenizer, untrained; not a paper backbone' });
    const pretrained = await lib.loadMiniModel();
    const control = lib.createModel(pretrained.preset as unknown as ModelPreset, { seed: CONTROL_SEED, tokenizer: pretrained.tokenizer });
    for (const [b, model] of [[backbones[0], pretrained], [backbones[1], control]] as const) {
      const zs = await lib.miniZeroShot(model);
      zeroShot.set(b.name, { axes: zs.map((z) => z.task), values: zs.map((z) => z.accuracy), chance: zs.map((z) => z.chance) });
      console.log(`${b.label}: weights ${lib.modelIdentity(model)}`);
    }
    await lib.loadMemory(undefined, { model: control }); // the control's memory, embedded with its own text tower (built once here)
    pretrained.dispose();
    control.dispose();
  } else if (nb.ready || nb.env.config) {
    const tasks = nb.ready ? nb.benchmarks.flatMap((b) => lib.loadBenchmarkTasks(b, { order: 'I', root: nb.roots[b] })) : [];
    for (const [name, file] of Object.entries(nb.env.config?.checkpoints ?? {})) {
      const key = name.toLowerCase().replace(/[^a-z0-9]/g, '');
      if (!fs.existsSync(file)) { console.log(`${name}: ${file} does not exist; skipped`); continue; }
      const opened = await openCheckpoint(name, file);
      if (!opened.model) { console.log(`${name}: not loadable with either supported layout; skipped\n${opened.error}`); continue; }
      const memoryDir = nb.env.config?.memory;
      const hasMemory = memoryDir !== undefined && fs.existsSync(memoryDir);
      const memoryMethods = hasMemory && (name === 'biomedclip' || lib.readManifest(memoryDir!).embedder.id === `model:${path.resolve(file)}`);
      backbones.push({ name: name, label: `${name} (${opened.preset} layout)`, model: { kind: 'checkpoint', path: file, preset: opened.preset! }, paper: PAPER_BACKBONE[key] ?? null, memoryMethods: memoryMethods,
        note: memoryMethods ? '' : hasMemory ? 'zscl and primed-dyn skipped: the memory was not embedded with this backbone' : 'zscl and primed-dyn skipped: no memory configured' });
      if (tasks.length) {
        const values: number[] = [];
        for (const t of tasks) values.push((await lib.classify(opened.model, t)).accuracy);
        zeroShot.set(name, { axes: tasks.map((t) => t.name), values: values, chance: tasks.map((t) => 100 / t.classNames.length) });
      }
      opened.model.dispose();
    }
  }
  return { backbones: backbones, zeroShot: zeroShot };
}

/** The backbones table, the Fig. 9-style radar of their zero-shot accuracy and its data, and the paper's printed values. */
export async function showZeroShotRadar(nb: NotebookContext, backbones: readonly Backbone[], zeroShot: ReadonlyMap<string, ZeroShotProfile>): Promise<void> {
  showTable(backbones.map((b) => ({ backbone: b.label, 'paper name': b.paper ?? '—', note: b.note })), { caption: 'backbones' });
  const names = [...zeroShot.keys()];
  if (names.length) {
    const first = zeroShot.get(names[0])!;
    const label = (n: string) => backbones.find((b) => b.name === n)?.label ?? n;
    await showFigure(radarFigure({
      title: `Fig. 9 (ours): zero-shot accuracy per dataset, ${nb.scale === 'mini' ? 'mini-MGTIL' : 'HieraMedTransfer + MedXtreme'}`,
      axes: first.axes,
      series: [...names.map((n) => ({ name: label(n), values: zeroShot.get(n)!.values })), { name: 'chance', values: first.chance }],
    }));
    showTable(first.axes.map((a, i) => ({ dataset: a, ...Object.fromEntries(names.map((n) => [label(n), zeroShot.get(n)!.values[i]])), chance: first.chance[i] })),
      { decimals: 1, caption: 'zero-shot accuracy (%) per dataset (the radar above)' });
  } else console.log('no backbone to evaluate (see the list above)');
  const t7 = paperTables.table7;
  showTable([{ backbone: 'BiomedCLIP (paper, Table 7 zero-shot row)', ...Object.fromEntries(t7.columns.map((c, i) => [c, t7.zeroShot[i]])) }],
    { decimals: 2, caption: "the paper's Fig. 9 values it prints: BiomedCLIP zero-shot on the HieraMedTransfer datasets (MedXtreme: only the mean, ACC 9.9); MMKD-CLIP, BMC-CLIP, UniMed-CLIP and CLIP are in the figure only" });
}

/** The Table-13-style runs of {@link backboneJobs}. */
export interface BackboneJobs {
  /** The planned jobs. */
  jobs: RunJob[];
  /** The job of a backbone, method, benchmark and order. */
  job(b: Backbone, method: string, benchmark: string, order: TaskOrder): RunJob;
  /** Whether the plan runs a backbone's method. */
  planned(b: Backbone, method: string): boolean;
}

/** The Table-13-style runs: each backbone × method (memory methods only where the memory fits the backbone). */
export function backboneJobs(nb: NotebookContext, backbones: readonly Backbone[]): BackboneJobs {
  const planned = (b: Backbone, m: string) => (nb.plan === 'all' || CORE13.has(m)) && (b.memoryMethods || !usesMemory(m));
  const job = (b: Backbone, method: string, benchmark: string, order: TaskOrder): RunJob => {
    const stem = nb.scale === 'mini' && b.name === 'mini' ? method : `backbone-${b.name.replace(/[^a-zA-Z0-9.-]/g, '_')}-${method}`;
    const root = nb.roots[benchmark];
    return {
      name: nb.jobName(stem, benchmark, order),
      options: { benchmark: benchmark, order: order, method: method, recipe: { trainer: { steps: nb.steps } }, seed: nb.env.seed, runDir: nb.runDir(stem, benchmark, order), ...(root ? { root: root } : {}) },
      ...(b.model ? { model: b.model } : {}),
      ...(nb.scale === 'paper' && usesMemory(method) && nb.env.config?.memory ? { memory: nb.env.config.memory } : {}),
    };
  };
  const jobs = nb.benchmarks.flatMap((bm) => nb.orders.flatMap((o) => backbones.flatMap((b) => TABLE13_METHODS.filter((m) => planned(b, m)).map((m) => job(b, m, bm, o)))));
  return { jobs: jobs, job: job, planned: planned };
}

/** Paper numbers for a backbone row: Table 13 for its three backbones, Tables 1/2 for BiomedCLIP. */
function paperBackbone(b: Backbone, method: string, kind: PaperKind, order: TaskOrder): Triple | null {
  if (!b.paper) return null;
  const row = METHOD_LABEL[method];
  if (b.paper === 'BiomedCLIP') return (kind === 'HMT' ? paperTables.table1 : paperTables.table2)[row]?.[order] ?? null;
  return paperTables.table13[b.paper]?.[row]?.[paperSequenceKey(kind, order)] ?? null;
}

/**
 * Avg and Last of each method (groups) per backbone: one colour per backbone, the same as in the
 * zero-shot radar (`seriesColours` of the backbone labels), Avg solid and Last hatched, the two
 * bars of a backbone side by side and one legend group.
 */
export function avgLastFigure(backbones: readonly Backbone[], methods: readonly string[], metricsOf: (b: Backbone, method: string) => { avg: number; last: number }, what: string): PlotlyFigure {
  const fig = methodComparisonFigure({
    title: `Avg and Last per backbone (${what})`,
    categories: methods.map((m) => METHOD_LABEL[m]),
    methods: backbones.flatMap((b) => (['avg', 'last'] as const).map((k) => ({ name: `${b.label}: ${k === 'avg' ? 'Avg' : 'Last'}`, values: methods.map((m) => metricsOf(b, m)[k]) }))),
  });
  const colours = seriesColours(backbones.map((b) => b.label));
  fig.data.forEach((trace, i) => {
    const b = Math.floor(i / 2);
    const last = i % 2 === 1;
    trace.marker = { color: colours[b], line: { color: colours[b], width: 1 }, ...(last ? { pattern: { shape: '/', fillmode: 'overlay', fgcolor: '#ffffff', solidity: 0.35 } } : {}) };
    trace.legendgroup = backbones[b].name;
  });
  return fig;
}

/** Table 13 style: ours per backbone and method beside the paper's, Avg/Last as bars, then the paper's Table 13 as printed. */
export async function showBackboneTables(nb: NotebookContext, backbones: readonly Backbone[]): Promise<void> {
  const { job, planned } = backboneJobs(nb, backbones);
  for (const benchmark of nb.benchmarks) for (const order of nb.orders) {
    for (const kind of paperKindsOf(benchmark)) {
      showTable(backbones.flatMap((b) => TABLE13_METHODS.map((m) => ({
        ...sideBySide({ backbone: b.label, method: METHOD_LABEL[m], 'paper backbone': b.paper ?? '—' }, kind, ourTriple(nb.results.get(job(b, m, benchmark, order).name), kind), paperBackbone(b, m, kind, order)),
        run: planned(b, m) || b.memoryMethods ? nb.runCell(job(b, m, benchmark, order)) : 'skipped (no memory for this backbone)',
      }))), { decimals: 1, caption: nb.caption(`Table 13 style, ${PAPER_METRIC_NAMES[kind].join('/')}`, benchmark, order, kind).replace('paper = BiomedCLIP on', 'paper = the named backbone on') });
    }
    const ran = TABLE13_METHODS.filter((m) => backbones.every((b) => nb.results.get(job(b, m, benchmark, order).name)?.metrics));
    if (ran.length) await showFigure(avgLastFigure(backbones, ran, (b, m) => nb.results.get(job(b, m, benchmark, order).name)!.metrics!, `${sequenceLabel(benchmark, order)}, ${nb.steps} steps/task`));
  }
  const fmt3 = (t: Triple) => t.map((v) => (v === null ? '–' : v.toFixed(1))).join(' / ');
  showTable(Object.entries(paperTables.table13).flatMap(([backbone, methods]) => Object.entries(methods).map(([method, seq]) => ({
    backbone: backbone, method: method, 'HMT-I T/A/L': fmt3(seq['HMT-I']), 'HMT-II T/A/L': fmt3(seq['HMT-II']), 'MX-I ACC/AUC/BWT': fmt3(seq['MX-I']), 'MX-II ACC/AUC/BWT': fmt3(seq['MX-II']),
  }))), { caption: "the paper's Table 13 (other backbones; BiomedCLIP is Tables 1/2). GIFT is not implemented here." });
}
