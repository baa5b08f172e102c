/**
 * Result tables in the paper's layouts, as plain data, as danfojs DataFrames, and as text; a run's
 * accuracy matrix and several runs' metrics as tables too ({@link toDataFrame} takes results).
 *
 * - Tables 1/2: methods × metrics (Transfer/Avg/Last, or ACC/AUC/BWT), optionally per order
 *   (`I-Transfer`, …, `II-Last`).
 * - Tables 7/8: per metric, methods × datasets plus an `avg` column (the Transfer block has no
 *   first dataset); and for one method, datasets × Transfer/Avg/Last.
 *
 * danfojs-node loads only when a DataFrame is asked for (it takes about a second to import).
 */
import type * as Danfo from 'danfojs-node';
import { nativeBindingPresent } from '../backend';
import * as path from 'node:path';
import Module from 'node:module';
import type { MetricName, MetricSummary, PerDatasetMetrics } from './metrics';
import type { ProtocolResult } from './protocol';

/** A table as plain data: row labels, column labels, and values (`null` = no value). */
export interface TableData {
  /** Caption, e.g. `Transfer`. */
  title?: string;
  /** Row labels (methods or datasets). */
  index: string[];
  /** Column labels. */
  columns: string[];
  /** `values[row][column]`. */
  values: (number | null)[][];
}

/** Column labels the paper uses for each metric. */
export const METRIC_LABELS: Record<MetricName, string> = {
  transfer: 'Transfer',
  avg: 'Avg',
  last: 'Last',
  acc: 'ACC',
  bwt: 'BWT',
  forgetting: 'Forgetting',
  fwt: 'FWT',
  auc: 'AUC',
};

/** The HieraMedTransfer metrics of Table 1. */
export const HMT_METRICS: MetricName[] = ['transfer', 'avg', 'last'];
/** The MedXtreme metrics of Table 2. */
export const MX_METRICS: MetricName[] = ['acc', 'auc', 'bwt'];

function pick(summary: MetricSummary | undefined, m: MetricName): number | null {
  const v = summary?.[m];
  return typeof v === 'number' ? v : null;
}

/** Tables 1/2 for one order: one row per method, one column per metric. */
export function summaryTable(methods: Record<string, MetricSummary>, metrics: MetricName[] = HMT_METRICS, title?: string): TableData {
  const index = Object.keys(methods);
  return {
    title,
    index,
    columns: metrics.map((m) => METRIC_LABELS[m]),
    values: index.map((name) => metrics.map((m) => pick(methods[name], m))),
  };
}

/** Tables 1/2 with both orders side by side: columns `I-Transfer … II-Last`. */
export function orderedSummaryTable(
  methods: Record<string, { I?: MetricSummary; II?: MetricSummary }>,
  metrics: MetricName[] = HMT_METRICS,
  title?: string,
): TableData {
  const index = Object.keys(methods);
  const orders = ['I', 'II'] as const;
  return {
    title,
    index,
    columns: orders.flatMap((o) => metrics.map((m) => `${o}-${METRIC_LABELS[m]}`)),
    values: index.map((name) => orders.flatMap((o) => metrics.map((m) => pick(methods[name][o], m)))),
  };
}

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
}

/** The three blocks of Tables 7/8. */
export interface PerDatasetTables {
  /** Transfer: methods × datasets 2..T + avg. */
  transfer: TableData;
  /** Avg: methods × datasets + avg. */
  avg: TableData;
  /** Last: methods × datasets + avg. */
  last: TableData;
}

/**
 * Tables 7/8: for Transfer, Avg and Last, a table of methods × datasets plus `avg` (the row
 * mean, which equals the matrix-level metric). The Transfer table leaves out the first dataset.
 */
export function perDatasetTables(methods: Record<string, PerDatasetMetrics>, datasets: string[]): PerDatasetTables {
  const index = Object.keys(methods);
  for (const name of index) {
    const pd = methods[name];
    for (const key of ['transfer', 'avg', 'last'] as const) {
      if (pd[key].length !== datasets.length) {
        throw new Error(`perDatasetTables: method "${name}" has ${pd[key].length} ${key} values, but there are ${datasets.length} datasets`);
      }
    }
  }
  const block = (key: 'transfer' | 'avg' | 'last', from: number): TableData => ({
    title: METRIC_LABELS[key],
    index,
    columns: [...datasets.slice(from), 'avg'],
    values: index.map((name) => {
      const vals = methods[name][key].slice(from);
      return [...vals, mean(vals.filter((v): v is number => v !== null))];
    }),
  });
  return { transfer: block('transfer', 1), avg: block('avg', 0), last: block('last', 0) };
}

/** One method's breakdown: datasets × Transfer/Avg/Last. */
export function perDatasetTable(pd: PerDatasetMetrics, datasets: string[], title?: string): TableData {
  if (pd.avg.length !== datasets.length) throw new Error(`perDatasetTable: ${pd.avg.length} values but ${datasets.length} datasets`);
  return {
    title,
    index: datasets,
    columns: ['Transfer', 'Avg', 'Last'],
    values: datasets.map((_, d) => [pd.transfer[d], pd.avg[d], pd.last[d]]),
  };
}

/**
 * A run's accuracy matrix as a table: a `zero-shot` row when the run has one, then one row per
 * trained task (`after <task>`, as many as the run has done), one column per task.
 */
export function matrixTable(result: Pick<ProtocolResult, 'tasks' | 'matrix' | 'zeroShot'>, title?: string): TableData {
  return {
    title,
    index: [...(result.zeroShot ? ['zero-shot'] : []), ...result.matrix.map((_, t) => `after ${result.tasks[t]}`)],
    columns: [...result.tasks],
    values: [...(result.zeroShot ? [result.zeroShot] : []), ...result.matrix].map((row) => row.map((v) => (Number.isFinite(v) ? v : null))),
  };
}

/**
 * Runs side by side, one row per name (e.g. per method), one column per metric (default
 * Transfer, Avg, Last): a run not finished yet, or a metric it does not define, has `null`.
 */
export function resultsTable(results: Record<string, Pick<ProtocolResult, 'metrics'>>, metrics: MetricName[] = HMT_METRICS, title?: string): TableData {
  const summaries: Record<string, MetricSummary> = {};
  for (const [name, r] of Object.entries(results)) summaries[name] = r.metrics ?? ({} as MetricSummary);
  return summaryTable(summaries, metrics, title);
}

let danfo: typeof Danfo | undefined;

/**
 * Loads danfojs-node. It `require`s `@tensorflow/tfjs-node` for its tensors; when that native
 * binding is missing (the usual case here: wasm/cpu backends), it is given the pure-JS
 * `@tensorflow/tfjs` instead, for the duration of this one load only.
 */
export function loadDanfo(): typeof Danfo {
  if (danfo) return danfo;
  const danfoDir = path.dirname(require.resolve('danfojs-node'));
  let tfNodePath: string | undefined;
  try {
    tfNodePath = require.resolve('@tensorflow/tfjs-node', { paths: [danfoDir] });
  } catch {
    tfNodePath = undefined;
  }
  let shimmed = false;
  if (tfNodePath && !require.cache[tfNodePath]) {
    try {
      // Loading tfjs-node without its binding registers half its kernels before failing: check first.
      if (!nativeBindingPresent('@tensorflow/tfjs-node')) throw new Error('no native binding');
      require(tfNodePath);
    } catch {
      const shim = new Module(tfNodePath);
      shim.filename = tfNodePath;
      shim.loaded = true;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      shim.exports = require('@tensorflow/tfjs');
      require.cache[tfNodePath] = shim;
      shimmed = true;
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    danfo = require('danfojs-node') as typeof Danfo;
  } finally {
    if (shimmed && tfNodePath) delete require.cache[tfNodePath];
  }
  return danfo;
}

/** What {@link toDataFrame} takes: a table, one run's result, or runs by name. */
export type DataFrameSource = TableData | Pick<ProtocolResult, 'tasks' | 'matrix' | 'zeroShot'> | Record<string, Pick<ProtocolResult, 'metrics'>>;

function isTableData(x: object): x is TableData {
  return Array.isArray((x as TableData).index) && Array.isArray((x as TableData).columns) && Array.isArray((x as TableData).values);
}

function isResult(x: unknown): x is Pick<ProtocolResult, 'tasks' | 'matrix' | 'zeroShot' | 'metrics'> {
  return !!x && typeof x === 'object' && Array.isArray((x as ProtocolResult).matrix) && Array.isArray((x as ProtocolResult).tasks);
}

/**
 * A danfojs DataFrame (index = row labels; a missing value is `null`) of:
 * - a {@link TableData} (e.g. {@link summaryTable}, {@link perDatasetTables}, {@link perDatasetTable});
 * - one run's result (`evaluateMGTIL`, `runProtocol`): its accuracy matrix, as {@link matrixTable};
 * - runs by name, e.g. `{ finetune: r1, 'primed-dyn': r2 }`: their metrics side by side, as
 *   {@link resultsTable} (`metrics` picks the columns; default Transfer, Avg, Last).
 *
 * @example
 * ```ts
 * const runs = { finetune: await evaluateMGTIL({ method: 'finetune' }), 'primed-dyn': await evaluateMGTIL({ method: 'primed-dyn' }) };
 * toDataFrame(runs).print();               // methods × Transfer/Avg/Last
 * toDataFrame(runs['primed-dyn']).print(); // the accuracy matrix
 * ```
 */
export function toDataFrame(source: DataFrameSource, metrics?: MetricName[]): Danfo.DataFrame {
  let table: TableData;
  if (source && typeof source === 'object' && isTableData(source)) table = source;
  else if (isResult(source)) table = matrixTable(source);
  else if (source && typeof source === 'object' && Object.values(source).length > 0 && Object.values(source).every(isResult)) {
    table = resultsTable(source as Record<string, Pick<ProtocolResult, 'metrics'>>, metrics);
  } else {
    throw new Error('toDataFrame: expected a table ({ index, columns, values }), a run result ({ tasks, matrix }) or runs by name ({ name: result, ... })');
  }
  const dfd = loadDanfo();
  return new dfd.DataFrame(table.values, { columns: table.columns, index: table.index });
}

/** Options of {@link renderTable}. */
export interface TableRenderOptions {
  /** Digits after the decimal point. Default 2. */
  decimals?: number;
  /** Text for a missing value. Default `–`. */
  missing?: string;
}

/** Converts a DataFrame back to {@link TableData}. */
export function fromDataFrame(df: Danfo.DataFrame, title?: string): TableData {
  return {
    title,
    index: df.index.map(String),
    columns: df.columns.map(String),
    values: (df.values as unknown[][]).map((row) => row.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null))),
  };
}

/** Renders a table as aligned plain text for the terminal (numbers right-aligned). */
export function renderTable(table: TableData | Danfo.DataFrame, options: TableRenderOptions = {}): string {
  // A TableData is a plain object; anything else is a DataFrame.
  const t: TableData = Object.getPrototypeOf(table) === Object.prototype ? (table as TableData) : fromDataFrame(table as Danfo.DataFrame);
  const decimals = options.decimals ?? 2;
  const missing = options.missing ?? '–';
  const cells = t.values.map((row) => row.map((v) => (v === null ? missing : v.toFixed(decimals))));
  const labelWidth = Math.max(0, ...t.index.map((s) => s.length));
  const widths = t.columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j]?.length ?? 0)));
  const line = (label: string, parts: string[]) => [label.padEnd(labelWidth), ...parts.map((p, j) => p.padStart(widths[j]))].join('  ').trimEnd();
  const out = [line('', t.columns), ...cells.map((r, i) => line(t.index[i], r))];
  if (t.title) out.unshift(t.title);
  return out.join('\n');
}
