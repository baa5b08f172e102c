/**
 * Notebook 04: the paper's ablations of PRIMED as `primed-dyn` configurations. Tables 3/9
 * switch its three modules (CKT, CMC, DFG) on and off; Tables 4/10 vary one component at a time
 * (teacher, KD loss, α, β, regulariser, retrieval). Each row maps to `methodOptions` (or the
 * `retrieval` option) of one `evaluateMGTIL` run; rows that are the same computation share a run.
 */
import * as path from 'node:path';
import { paperTables, type FourSequences } from '../src/paper/index';
import type { MGTILResult } from '../src/experiment';
import { methodComparisonFigure } from '../src/report/figures';
import { showFigure, showTable } from './display';
import type { RunJob } from './runs';
import { ourTriple, paperKindsOf, paperSequenceKey, PAPER_METRIC_NAMES, sequenceLabel, sideBySide, type NotebookContext, type TaskOrder } from './notebook';

/** One ablation: a name (its run directory) and the `primed-dyn` options. */
export interface Ablation {
  /** `default` (full PRIMED) or the configuration's name, e.g. `cmc-dfg`, `teacher-initial`. */
  name: string;
  /** The `primed-dyn` method options. */
  methodOptions: Record<string, unknown>;
  /** The retrieval mode, for the RAG rows. */
  retrieval?: {
    /** Which retrieval `evaluateMGTIL` uses. */
    mode: 'bm25' | 'embedding' | 'hierarchical';
  };
}

/** Full PRIMED: the same run as notebook 02's `primed-dyn`. */
export const DEFAULT_ABLATION: Ablation = { name: 'default', methodOptions: {} };
/** The `core` plan: full PRIMED, CKT off, DFG off, BM25-only retrieval. */
export const CORE_ABLATIONS: ReadonlySet<string> = new Set(['default', 'cmc-dfg', 'ckt-cmc', 'rag-bm25']);

/** A Table 9 row (modules on/off) as options; the all-on row is the default. */
export function moduleAblation(row: { ckt: boolean; cmc: boolean; dfg: boolean }): Ablation {
  if (row.ckt && row.cmc && row.dfg) return DEFAULT_ABLATION;
  const name = [row.ckt ? 'ckt' : '', row.cmc ? 'cmc' : '', row.dfg ? 'dfg' : ''].filter((s) => s !== '').join('-');
  return { name: name, methodOptions: { ckt: row.ckt, cmc: row.cmc, regularizer: row.dfg ? 'dfg' : 'none' } };
}
// β = 0 switches CMC off: Table 10's "CMC β = 0" is Table 9's "CKT + DFG" (the paper prints the same numbers).
const CKT_DFG = moduleAblation({ ckt: true, cmc: false, dfg: true });

/** Table 10: (aspect, setting) → options. */
export const COMPONENT_ABLATIONS: Readonly<Record<string, Readonly<Record<string, Ablation>>>> = {
  'Teacher': {
    'Initial CLIP': { name: 'teacher-initial', methodOptions: { teacher: 'initial' } },
    'WISE(0.5)': { name: 'teacher-wise0.5', methodOptions: { teacher: 'wise:0.5' } },
    'Last CLIP': DEFAULT_ABLATION,
  },
  'KD loss': {
    'Image-only': { name: 'kd-image', methodOptions: { direction: 'image' } },
    'Text-only': { name: 'kd-text', methodOptions: { direction: 'text' } },
    'Contrastive': DEFAULT_ABLATION,
  },
  'CKT α': {
    '0.5': { name: 'alpha-0.5', methodOptions: { alpha: 0.5 } },
    '1.5': { name: 'alpha-1.5', methodOptions: { alpha: 1.5 } },
    '1.0': DEFAULT_ABLATION,
  },
  'CMC β': {
    '0.0': CKT_DFG,
    '0.5': { name: 'beta-0.5', methodOptions: { beta: 0.5 } },
    '0.25': DEFAULT_ABLATION,
  },
  'Reg.': {
    'l2': { name: 'reg-l2', methodOptions: { regularizer: 'l2' } },
    'EWC': { name: 'reg-ewc', methodOptions: { regularizer: 'ewc' } },
    'DFG': DEFAULT_ABLATION,
  },
  'RAG': {
    'BM25': { name: 'rag-bm25', methodOptions: { retrieval: { mode: 'bm25' } }, retrieval: { mode: 'bm25' } },
    'Embedding': { name: 'rag-embedding', methodOptions: { retrieval: { mode: 'embedding' } }, retrieval: { mode: 'embedding' } },
    'Hierarchical': DEFAULT_ABLATION,
  },
};
/** The default setting of each Table 10 aspect (the full model's). */
export const DEFAULT_SETTING: Readonly<Record<string, string>> = { 'Teacher': 'Last CLIP', 'KD loss': 'Contrastive', 'CKT α': '1.0', 'CMC β': '0.25', 'Reg.': 'DFG', 'RAG': 'Hierarchical' };

type PaperRow = FourSequences;
/** Which of PRIMED's modules a Table 9 row switches on. */
export interface ModuleSwitches {
  /** Contrastive knowledge transfer. */
  ckt: boolean;
  /** Cross-modality consistency. */
  cmc: boolean;
  /** The Dynamic Fisher Weight Guard. */
  dfg: boolean;
}

/** A Table 9 row: the paper's switches and numbers, and our configuration. */
export interface ModuleRow {
  /** The paper's row (switches and its four sequences). */
  paper: ModuleSwitches & PaperRow;
  /** Our configuration. */
  ablation: Ablation;
}
/** A Table 10 row; each aspect's group ends with its default row. */
export interface ComponentRow {
  /** The component varied. */
  aspect: string;
  /** Its setting. */
  setting: string;
  /** Our configuration. */
  ablation: Ablation;
  /** The paper's numbers (full PRIMED's for a default row). */
  paper: PaperRow;
}

/** Everything notebook 04 runs and shows, for one notebook context. */
export interface AblationPlan {
  /** Table 9's rows. */
  moduleRows: ModuleRow[];
  /** Table 10's rows, in the paper's order. */
  componentRows: ComponentRow[];
  /** The distinct configurations. */
  ablations: Ablation[];
  /** Whether the plan runs a configuration. */
  planned(a: Ablation): boolean;
  /** The job of a configuration. */
  job(a: Ablation, benchmark: string, order: TaskOrder): RunJob;
  /** Its result, once run. */
  result(a: Ablation, benchmark: string, order: TaskOrder): MGTILResult | undefined;
  /** The planned jobs of every benchmark and order. */
  jobs(): RunJob[];
}

/** Builds notebook 04's plan; fails when `paperTables.table10` has a row it cannot map to options. */
export function ablationPlan(nb: NotebookContext): AblationPlan {
  const fullRow = paperTables.table9.find((r) => r.ckt && r.cmc && r.dfg)!;
  const componentRows: ComponentRow[] = [];
  for (const aspect of [...new Set(paperTables.table10.map((r) => r.aspect))]) {
    const map = COMPONENT_ABLATIONS[aspect];
    if (!map) throw new Error(`paperTables.table10 has aspect "${aspect}", which notebook 04 does not map to options`);
    for (const r of paperTables.table10.filter((x) => x.aspect === aspect)) {
      if (!map[r.setting]) throw new Error(`paperTables.table10: no options for ${aspect} = ${r.setting}`);
      componentRows.push({ aspect: aspect, setting: r.setting, ablation: map[r.setting], paper: { ...fullRow, ...r } });
    }
    if (!paperTables.table10.some((x) => x.aspect === aspect && map[x.setting] === DEFAULT_ABLATION)) {
      componentRows.push({ aspect: aspect, setting: DEFAULT_SETTING[aspect], ablation: DEFAULT_ABLATION, paper: fullRow });
    }
  }
  const moduleRows = paperTables.table9.map((r) => ({ paper: r, ablation: moduleAblation(r) }));
  const ablations = [...new Map([...moduleRows.map((r) => r.ablation), ...componentRows.map((r) => r.ablation)].map((a) => [a.name, a])).values()];
  const stem = (a: Ablation) => (a.name === 'default' ? 'primed-dyn' : `ablation-${a.name}`);
  const job = (a: Ablation, benchmark: string, order: TaskOrder): RunJob => {
    const { root, ...backbone } = nb.paperParts(benchmark);
    return {
      ...backbone,
      name: nb.jobName(stem(a), benchmark, order),
      options: {
        benchmark: benchmark,
        order: order,
        method: 'primed-dyn',
        ...(a.name === 'default' ? {} : { methodOptions: a.methodOptions }),
        recipe: { trainer: { steps: nb.steps } },
        ...(a.retrieval ? { retrieval: a.retrieval } : {}),
        seed: nb.env.seed,
        runDir: nb.runDir(stem(a), benchmark, order),
        ...(root ? { root: root } : {}),
      },
    };
  };
  const planned = (a: Ablation) => nb.plan === 'all' || CORE_ABLATIONS.has(a.name);
  return {
    moduleRows: moduleRows,
    componentRows: componentRows,
    ablations: ablations,
    planned: planned,
    job: job,
    result: (a, benchmark, order) => nb.results.get(job(a, benchmark, order).name),
    jobs: () => nb.benchmarks.flatMap((b) => nb.orders.flatMap((o) => ablations.filter(planned).map((a) => job(a, b, o)))),
  };
}

/** Shows the plan's configurations (options, run folder, whether planned). */
export function showAblationPlan(nb: NotebookContext, plan: AblationPlan): void {
  showTable(plan.ablations.map((a) => ({
    name: a.name,
    'primed-dyn options': a.name === 'default' ? '(defaults: teacher last, ckt, cmc, α 1, β 0.25, DFG λ 1, contrastive KD, hierarchical retrieval)' : JSON.stringify(a.methodOptions),
    'run directory': path.basename(plan.job(a, nb.benchmarks[0], nb.orders[0]).options.runDir ?? ''),
    planned: plan.planned(a) ? 'yes' : `not run (plan ${nb.plan})`,
  })), { caption: `${plan.ablations.length} distinct configurations; the plan runs ${plan.ablations.filter(plan.planned).length} of them per order and benchmark` });
}

const tick = (on: boolean) => (on ? '✓' : '');

/** Tables 3/9 for every benchmark and order: ours beside the paper's, then the change against full PRIMED as bars. */
export async function showModuleAblations(nb: NotebookContext, plan: AblationPlan): Promise<void> {
  const fullRow = plan.moduleRows.find((r) => r.ablation === DEFAULT_ABLATION)!.paper;
  for (const benchmark of nb.benchmarks) for (const order of nb.orders) {
    for (const kind of paperKindsOf(benchmark)) {
      showTable(plan.moduleRows.map(({ paper, ablation }) => ({
        ...sideBySide({ CKT: tick(paper.ckt), CMC: tick(paper.cmc), DFG: tick(paper.dfg) }, kind, ourTriple(plan.result(ablation, benchmark, order), kind), paper[paperSequenceKey(kind, order)]),
        run: nb.runCell(plan.job(ablation, benchmark, order)),
      })), { decimals: 1, caption: nb.caption(`Table 9 (modules), ${PAPER_METRIC_NAMES[kind].join('/')}`, benchmark, order, kind) });
    }
    const base = ourTriple(plan.result(DEFAULT_ABLATION, benchmark, order), 'HMT');
    const paperBase = fullRow[paperSequenceKey('HMT', order)];
    const ran = plan.moduleRows.filter((r) => r.ablation !== DEFAULT_ABLATION && plan.result(r.ablation, benchmark, order) && base[1] !== null);
    if (!ran.length) continue;
    const label = (r: ModuleRow) => [r.paper.ckt ? 'CKT' : '', r.paper.cmc ? 'CMC' : '', r.paper.dfg ? 'DFG' : ''].filter((s) => s !== '').join('+');
    const delta = (r: ModuleRow, i: number, which: 'ours' | 'paper') => {
      const v = which === 'ours' ? ourTriple(plan.result(r.ablation, benchmark, order), 'HMT')[i] : r.paper[paperSequenceKey('HMT', order)][i];
      const b = which === 'ours' ? base[i] : paperBase[i];
      return v !== null && b !== null ? v - b : 0;
    };
    await showFigure(methodComparisonFigure({
      title: `Table 9: change vs full PRIMED (${sequenceLabel(benchmark, order)} vs the paper's HMT-${order})`,
      categories: ran.map(label),
      methods: [
        { name: 'ours ΔAvg', values: ran.map((r) => delta(r, 1, 'ours')) },
        { name: 'ours ΔLast', values: ran.map((r) => delta(r, 2, 'ours')) },
        { name: 'paper ΔAvg', values: ran.map((r) => delta(r, 1, 'paper')) },
        { name: 'paper ΔLast', values: ran.map((r) => delta(r, 2, 'paper')) },
      ],
      valueLabel: 'change vs full PRIMED (points)',
    }));
  }
}

/** Tables 4/10 for every benchmark and order: ours beside the paper's, then the change in Last as bars. */
export async function showComponentAblations(nb: NotebookContext, plan: AblationPlan): Promise<void> {
  const fullRow = plan.moduleRows.find((r) => r.ablation === DEFAULT_ABLATION)!.paper;
  for (const benchmark of nb.benchmarks) for (const order of nb.orders) {
    for (const kind of paperKindsOf(benchmark)) {
      showTable(plan.componentRows.map(({ aspect, setting, ablation, paper }) => ({
        ...sideBySide({ aspect: aspect, setting: setting + (ablation === DEFAULT_ABLATION ? ' (default)' : '') }, kind, ourTriple(plan.result(ablation, benchmark, order), kind), paper[paperSequenceKey(kind, order)]),
        run: nb.runCell(plan.job(ablation, benchmark, order)),
      })), { decimals: 1, caption: nb.caption(`Table 10 (components), ${PAPER_METRIC_NAMES[kind].join('/')}`, benchmark, order, kind) });
    }
    const base = ourTriple(plan.result(DEFAULT_ABLATION, benchmark, order), 'HMT');
    const ran = plan.componentRows.filter((r) => r.ablation !== DEFAULT_ABLATION && plan.result(r.ablation, benchmark, order) && base[2] !== null);
    if (!ran.length) continue;
    const paperBase = fullRow[paperSequenceKey('HMT', order)];
    const fig = methodComparisonFigure({
      title: `Table 10: change in Last vs full PRIMED (${sequenceLabel(benchmark, order)} vs the paper's HMT-${order})`,
      // two short lines per bar group, horizontal: a dozen rotated "aspect: setting" labels would be cut off
      categories: ran.map((r) => `${r.aspect}<br>${r.setting}`),
      methods: [
        { name: 'ours ΔLast', values: ran.map((r) => (ourTriple(plan.result(r.ablation, benchmark, order), 'HMT')[2] ?? 0) - (base[2] ?? 0)) },
        { name: 'paper ΔLast', values: ran.map((r) => (r.paper[paperSequenceKey('HMT', order)][2] ?? 0) - (paperBase[2] ?? 0)) },
      ],
      valueLabel: 'change in Last vs full PRIMED (points)',
    });
    await showFigure({ ...fig, layout: { ...fig.layout, width: Math.max(900, 90 * ran.length), xaxis: { ...(fig.layout.xaxis as object), tickangle: 0 }, legend: { orientation: 'h', y: -0.2 } } });
  }
}
