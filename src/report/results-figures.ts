/**
 * The figures of `figures/`, made from committed result files (the `results/*.json` that
 * `scripts/summarize-runs.ts` writes) and nothing else: `npm run figures` (figures/make.ts) writes
 * them, and test/figures-provenance.test.ts re-derives them from the same files and fails when a
 * shipped figure, its README table or a result file has changed since. Pure functions: the caller
 * reads the files.
 */
import { createHash } from 'node:crypto';
import type { PlotlyFigure } from './plotly-types';
import { accuracyMatrixFigure, forgettingCurvesFromMatrices, forgettingGridFigure, methodComparisonFigure, type MethodMatrix } from './figures';
import { formatNumber } from './style';
import { METHOD_SPECS } from '../methods';

/** One run as a results file holds it (the fields read here). */
export interface ResultRun {
  /** The run folder it was read from. */
  dir: string;
  /** Task names in training order. */
  tasks: string[];
  /** The run's configuration (method, order, recipe, memory). */
  config: { method: string; order: string; recipe?: { trainer?: { steps?: number } }; memory?: { source?: string } | null; model?: { weights?: string } };
  /** Seed. */
  seed?: number;
  /** Whether all rows are done. */
  complete: boolean;
  /** Zero-shot accuracy per task. */
  zeroShot: number[] | null;
  /** Accuracy matrix A[t][d]. */
  matrix: number[][];
  /** Metrics of the finished run. */
  metrics: { transfer: number | null; avg: number; last: number; auc?: number | null } | null;
}

/** A results file: its path (relative to the repository) and its parsed JSON. */
export interface ResultSource {
  /** Path relative to the repository root, e.g. `results/mini-mgtil-order-I.json`. */
  file: string;
  /** The file's bytes (hashed into the manifest). */
  text: string;
}

/** One figure made from the results. */
export interface ResultFigure {
  /** File stem under figures/. */
  stem: string;
  /** The figure. */
  figure: PlotlyFigure;
  /** Which paper figure or table it reproduces, and what it shows. */
  caption: string;
}

/** What {@link figuresFromResults} makes: the figures and the markdown table of their numbers. */
export interface ResultFigures {
  /** The figures, in README order. */
  figures: ResultFigure[];
  /** The markdown table (Table 1 layout) of the numbers the figures show. */
  table: string[];
  /** The runs used, after merging the files (one per order, method and seed). */
  runs: ResultRun[];
}

/** The methods results show, in table order (second names such as `primed` are not listed). */
const METHOD_ORDER = METHOD_SPECS.filter((s) => !s.aliasOf).map((s) => s.name);
/** How figures label the methods (the notebooks' labels): each method spec's `label`. */
export const RESULT_METHOD_LABEL: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(METHOD_SPECS.filter((s) => !s.aliasOf).map((s) => [s.name, s.label])));
const labelOf = (m: string) => RESULT_METHOD_LABEL[m] ?? m;

/** sha256 (hex) of a text or bytes, as the manifest records it. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The runs of the given result files that the figures use: complete runs retrieving from the
 * in-source memory or none (out-of-source runs are another experiment), one per (order, method,
 * seed): the first file (in the order given) that holds it wins.
 */
export function resultRuns(sources: readonly ResultSource[]): ResultRun[] {
  const seen = new Set<string>();
  const out: ResultRun[] = [];
  for (const s of sources) {
    const json = JSON.parse(s.text) as { generatedBy?: string; runs?: ResultRun[] };
    if (json.generatedBy !== 'scripts/summarize-runs.ts' || !Array.isArray(json.runs)) throw new Error(`${s.file}: not a results file of scripts/summarize-runs.ts`);
    for (const r of json.runs) {
      const memory = r.config.memory ? (r.config.memory.source ?? 'in-source') : 'none';
      if (!r.complete || !r.metrics || memory === 'out-of-source' || memory === 'user') continue;
      const key = `${r.config.order}|${r.config.method}|${r.seed ?? '?'}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** The element-wise mean over seeds of each method's matrix and zero-shot row. */
function seedMean(runs: readonly ResultRun[]): MethodMatrix & { seeds: number } {
  const T = runs[0].tasks.length;
  const matrix = Array.from({ length: T }, (_, t) => Array.from({ length: T }, (__, d) => mean(runs.map((r) => r.matrix[t][d]))));
  const zs = runs.every((r) => r.zeroShot) ? Array.from({ length: T }, (_, d) => mean(runs.map((r) => r.zeroShot![d]))) : undefined;
  return { method: labelOf(runs[0].config.method), matrix, ...(zs ? { zeroShot: zs } : {}), seeds: runs.length };
}

/**
 * The figures of figures/ from result runs: per task order, the PRIMED_dyn accuracy matrix
 * (Fig. 3a), the first task's forgetting curves (Fig. 4), Fig. 7 small multiples of the other
 * tasks, and Transfer/Avg/Last bars (Table 1, mean ± sd over seeds); plus the markdown table of
 * the bars' numbers. Several seeds of a method are averaged (matrices element-wise).
 */
export function figuresFromResults(sources: readonly ResultSource[]): ResultFigures {
  const runs = resultRuns(sources);
  if (runs.length === 0) throw new Error('figuresFromResults: no complete in-source run in the result files');
  const figures: ResultFigure[] = [];
  const table = ['| order | method | seeds | steps/task | Transfer | Avg | Last |', '|---|---|---:|---:|---:|---:|---:|'];
  const orders = [...new Set(runs.map((r) => r.config.order))].sort();
  for (const order of orders) {
    const here = runs.filter((r) => r.config.order === order);
    const tasks = here[0].tasks;
    for (const r of here) {
      if (r.tasks.join() !== tasks.join()) throw new Error(`${r.dir}: task order ${r.tasks.join(', ')} differs from ${here[0].dir}'s in order ${order}`);
    }
    const methods = [...new Set(here.map((r) => r.config.method))].sort((a, b) => rank(a) - rank(b));
    const byMethod = methods.map((m) => here.filter((r) => r.config.method === m));
    const steps = [...new Set(here.map((r) => r.config.recipe?.trainer?.steps ?? 0))];
    const budget = `mini-MGTIL, ${steps.join('/')} steps/task, seeds ${[...new Set(here.map((r) => r.seed))].join(', ')}`;
    const title = (main: string) => `${main}<br><sup>${budget}</sup>`;
    const means = byMethod.map(seedMean);
    const dyn = byMethod.findIndex((rs) => rs[0].config.method === 'primed-dyn');
    if (dyn >= 0) {
      const m = means[dyn];
      figures.push({
        stem: `primed-dyn-matrix-${order}`,
        figure: accuracyMatrixFigure({ matrix: m.matrix, datasets: tasks, zeroShot: m.zeroShot, title: title(`PRIMED_dyn, Order ${order}: accuracy matrix (%)`) }),
        caption: `Accuracy matrix of PRIMED_dyn, Order ${order} (mean over ${m.seeds} seed(s)): zero-shot row, then one row per learned task. The matrix the metrics are read from (Fig. 3a).`,
      });
    }
    figures.push({
      stem: `fig4-first-task-${order}`,
      figure: forgettingCurvesFromMatrices(means, tasks, 0, title(`Accuracy on the 1st task (${tasks[0]}), Order ${order}`)),
      caption: `Fig. 4 style: accuracy on the first task (${tasks[0]}) of Order ${order} over the sequence (step 0 = zero-shot), one line per method.`,
    });
    if (tasks.length > 1) {
      const followed = tasks.map((_, d) => d).slice(1);
      figures.push({
        stem: `fig7-grid-${order}`,
        figure: forgettingGridFigure({ results: means, datasets: tasks, followed, title: title(`Accuracy on each later task as the sequence is learned, Order ${order}`) }),
        caption: `Fig. 7 style: one panel per task ${followed.map((d) => d + 1).join(', ')} of Order ${order}: zero-shot until it is trained (dashed line), a jump, then what is kept (the paper's "mirrored Z").`,
      });
    }
    const metric = (rs: ResultRun[], k: 'transfer' | 'avg' | 'last') => rs.map((r) => r.metrics![k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const bars = methodComparisonFigure({
      categories: ['Transfer', 'Avg', 'Last'],
      methods: byMethod.map((rs) => ({
        name: labelOf(rs[0].config.method),
        values: (['transfer', 'avg', 'last'] as const).map((k) => (metric(rs, k).length ? mean(metric(rs, k)) : 0)),
        ...(rs.length > 1 ? { sd: (['transfer', 'avg', 'last'] as const).map((k) => sd(metric(rs, k))) } : {}),
      })),
      title: title(`Methods compared, Order ${order}`),
    });
    figures.push({
      stem: `table1-bars-${order}`,
      figure: { ...bars, layout: { ...bars.layout, width: Math.max(760, 260 + 90 * methods.length) } },
      caption: `Table 1 style: Transfer / Avg / Last per method, Order ${order}${here.some((r, i) => here.findIndex((x) => x.config.method === r.config.method) !== i) ? ' (mean ± sd over seeds)' : ''}.`,
    });
    for (const rs of byMethod) {
      const cell = (k: 'transfer' | 'avg' | 'last') => {
        const xs = metric(rs, k);
        if (!xs.length) return '–';
        return xs.length > 1 ? `${formatNumber(mean(xs))} ± ${formatNumber(sd(xs))}` : formatNumber(xs[0]);
      };
      table.push(`| ${order} | ${labelOf(rs[0].config.method)} | ${rs.length} | ${[...new Set(rs.map((r) => r.config.recipe?.trainer?.steps ?? '?'))].join('/')} | ${cell('transfer')} | ${cell('avg')} | ${cell('last')} |`);
    }
  }
  return { figures, table, runs };
}

function rank(method: string): number {
  const i = METHOD_ORDER.indexOf(method);
  return i < 0 ? METHOD_ORDER.length : i;
}

/** The JSON text of a figure as figures/*.html embeds it (what the provenance test compares). */
export function figureDataJson(fig: PlotlyFigure): string {
  return JSON.stringify({ data: fig.data, layout: fig.layout });
}
