/**
 * Inline figures and tables for tslab notebooks.
 *
 * A figure is sent as ONE output whose MIME bundle holds:
 * - `application/vnd.plotly.v1+json`: the figure itself. VS Code and JupyterLab with the plotly
 *   extension render it interactively, and it needs no script, so it survives reopening.
 * - `text/html`: a `<div>` that starts with the static PNG as an `<img>` and a script that
 *   replaces it with the interactive plot. The classic Notebook, JupyterLab without the plotly
 *   extension and nbconvert's HTML export use this. When the notebook is reopened untrusted the
 *   script is stripped but the `<img>` stays, so the figure is still seen.
 * - `image/png` (when Chromium is present): the static image, for viewers without HTML.
 * - `text/plain`: a one-line summary.
 *
 * plotly.js itself (4.7 MB) is sent once per kernel session as a separate output
 * ({@link loadPlotly}, done by `setup()`), so figures stay small; the figure scripts wait for
 * `window.Plotly` to appear.
 */
import { randomBytes } from 'node:crypto';
import { accuracyMatrixFigure, type AccuracyMatrixInput } from '../src/report/figures';
import { escapeHtml, jsonForScript, plotlyBundle } from '../src/report/plotly-bundle';
import { assertFigure, type PlotlyFigure } from '../src/report/plotly-types';
import { formatNumber, plainText } from '../src/report/style';
import { hasChromium } from '../src/report/chromium';
import { renderFigure, DEFAULT_PLOTLY_CONFIG } from '../src/report/export';
import { sendBundle, type MimeBundle } from './kernel';

/** The MIME type of plotly figures in Jupyter. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

let plotlyLoaded = false;

/** Whether {@link loadPlotly} has sent plotly.js in this kernel session. */
export function plotlyIsLoaded(): boolean {
  return plotlyLoaded;
}

/** Forgets that plotly.js was sent (tests; or after clearing the output that carried it). */
export function resetPlotlyLoaded(): void {
  plotlyLoaded = false;
}

/**
 * Sends plotly.js (inlined, offline) as one output so later figures' HTML can draw; does
 * nothing if already sent in this session unless `force`. `setup()` calls it.
 */
export function loadPlotly(force = false): void {
  if (plotlyLoaded && !force) return;
  const { source, version } = plotlyBundle();
  const html = `<script type="text/javascript">if (!window.Plotly) {\n${source}\n}</script><span style="color:#888;font-size:smaller">plotly.js ${escapeHtml(version)} loaded (inline, offline)</span>`;
  sendBundle({ 'text/html': html, 'text/plain': `plotly.js ${version} loaded` });
  plotlyLoaded = true;
}

/** Options of {@link showFigure}. */
export interface ShowFigureOptions {
  /**
   * Add the static PNG (rendered in headless Chromium, about 2–3 s): `true`, `false`, or
   * `'auto'` (default) = when Chromium is installed and `PRIMED_NOTEBOOK_PNG` is not `0`.
   */
  png?: boolean | 'auto';
  /** Update the output with this display id in place instead of adding one (see {@link newFigureDisplay}). */
  displayId?: string;
  /** Whether this replaces the output with `displayId` (true) or creates it (false). Default false. */
  update?: boolean;
}

function wantPng(option: ShowFigureOptions['png']): boolean {
  if (option === true || option === false) return option;
  return process.env.PRIMED_NOTEBOOK_PNG !== '0' && hasChromium();
}

function figureSummary(fig: PlotlyFigure): string {
  const t = fig.layout.title as { text?: string } | undefined;
  const kinds = [...new Set(fig.data.map((d) => d.type))].join(', ');
  return `<plotly figure${t?.text ? ` "${plainText(t.text)}"` : ''}: ${fig.data.length} trace(s) (${kinds})>`;
}

/** The HTML fragment of a figure: static PNG first (when given), replaced by the live plot once plotly.js is there. */
export function figureHtmlFragment(fig: PlotlyFigure, pngBase64?: string): string {
  const id = `primed-fig-${randomBytes(6).toString('hex')}`;
  const width = typeof fig.layout.width === 'number' ? `${fig.layout.width}px` : '100%';
  const height = typeof fig.layout.height === 'number' ? `${fig.layout.height}px` : '450px';
  const fallback = pngBase64
    ? `<img alt="${escapeHtml(figureSummary(fig))}" src="data:image/png;base64,${pngBase64}">`
    : `<pre>${escapeHtml(figureSummary(fig))} (run the cell, or trust the notebook, to draw it)</pre>`;
  const payload = jsonForScript({ data: fig.data, layout: fig.layout, config: { ...DEFAULT_PLOTLY_CONFIG, ...(fig.config ?? {}) } });
  // Poll for window.Plotly (up to 20 s) because the output that loads it may render after this one.
  return `<div id="${id}" style="width:${width};min-height:${height}">${fallback}</div>
<script type="text/javascript">
(function () {
  var fig = ${payload};
  function draw() { var el = document.getElementById('${id}'); if (!el) return; el.innerHTML = ''; window.Plotly.newPlot(el, fig.data, fig.layout, fig.config); }
  if (window.Plotly) { draw(); return; }
  var tries = 0, timer = setInterval(function () { if (window.Plotly) { clearInterval(timer); draw(); } else if (++tries > 200) clearInterval(timer); }, 100);
})();
</script>`;
}

/** Builds the MIME bundle of a figure (see the module comment); `pngBase64` adds the static image. */
export function figureBundle(fig: PlotlyFigure, pngBase64?: string): MimeBundle {
  assertFigure(fig, 'showFigure');
  const bundle: MimeBundle = {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout, config: { ...DEFAULT_PLOTLY_CONFIG, ...(fig.config ?? {}) } },
    'text/html': figureHtmlFragment(fig, pngBase64),
    'text/plain': figureSummary(fig),
  };
  if (pngBase64) bundle['image/png'] = pngBase64;
  return bundle;
}

/**
 * Shows a plotly figure inline (one output: plotly JSON + HTML + PNG + text). Loads plotly.js
 * first if this session has not. Resolves once the output is sent.
 */
export async function showFigure(fig: PlotlyFigure, options: ShowFigureOptions = {}): Promise<void> {
  assertFigure(fig, 'showFigure');
  loadPlotly();
  let png: string | undefined;
  // 1×: the static fallback keeps notebooks small (exported files are 2×)
  if (wantPng(options.png)) png = (await renderFigure(fig, 'png', { scale: 1 })).toString('base64');
  sendBundle(figureBundle(fig, png), { displayId: options.displayId, update: options.update });
}

/** A figure output that can be redrawn in place (live plots): the first `show` creates it, later ones replace it. */
export interface FigureDisplay {
  /** The Jupyter display id. */
  readonly id: string;
  /** Shows or replaces the figure. */
  show(fig: PlotlyFigure, options?: Omit<ShowFigureOptions, 'displayId' | 'update'>): Promise<void>;
}

/** Creates a {@link FigureDisplay}. */
export function newFigureDisplay(): FigureDisplay {
  const id = randomBytes(8).toString('hex');
  let shown = false;
  return {
    id,
    async show(fig, options = {}) {
      await showFigure(fig, { png: false, ...options, displayId: id, update: shown });
      shown = true;
    },
  };
}

/** Options of {@link showMatrix}. */
export type ShowMatrixOptions = Omit<AccuracyMatrixInput, 'matrix' | 'datasets'> & ShowFigureOptions;

/** Shows an accuracy matrix (rows = after task t, columns = datasets) as an annotated heatmap. */
export async function showMatrix(matrix: readonly (readonly number[])[], names: readonly string[], options: ShowMatrixOptions = {}): Promise<void> {
  const { png, displayId, update, ...spec } = options;
  await showFigure(accuracyMatrixFigure({ ...spec, matrix, datasets: names }), { png, displayId, update });
}

/** Rows of a table: objects with the same keys (the columns), or a danfo `DataFrame`. */
export type TableInput = readonly Record<string, unknown>[] | DataFrameLike;

/** The part of a danfo `DataFrame` that tables read (duck-typed, so danfojs is not loaded here). */
export interface DataFrameLike {
  /** Column names. */
  columns: readonly string[];
  /** Rows (arrays of cells); a 1-D array is one value per row. */
  values: readonly unknown[];
  /** Row labels; shown as a first column unless they are 0..n-1. */
  index?: readonly unknown[];
}

/** Options of {@link showTable} and {@link tableHtml}. */
export interface TableOptions {
  /** Decimals of numbers (a column with any non-integer number prints all its numbers so); default 1. */
  decimals?: number;
  /** Caption above the table. */
  caption?: string;
  /** Show at most this many rows (the rest are counted); default 200. */
  maxRows?: number;
  /** Column order/subset; default all columns in first-seen order. */
  columns?: readonly string[];
}

function isDataFrame(t: TableInput): t is DataFrameLike {
  return !Array.isArray(t) && typeof t === 'object' && t !== null && Array.isArray((t as { columns?: unknown }).columns) && Array.isArray((t as { values?: unknown }).values);
}

/** A table as column names and rows of cells (what a table shows; the library's result tables are `TableData`, which {@link showTable} takes too). */
export interface TableCells {
  /** Column names. */
  columns: string[];
  /** Rows, one cell per column. */
  rows: unknown[][];
}

/** Normalises rows or a DataFrame to `{ columns, rows }` (DataFrames keep their index as the first column when it is not 0..n-1). */
export function tableRows(input: TableInput, columns?: readonly string[]): TableCells {
  if (isDataFrame(input)) {
    const cols = [...input.columns];
    const values = input.values.map((r) => (Array.isArray(r) ? [...r] : [r]));
    const index = input.index ? [...input.index] : undefined;
    const defaultIndex = !index || index.every((v, i) => v === i);
    const all = defaultIndex ? { columns: cols, rows: values } : { columns: ['', ...cols], rows: values.map((r, i) => [index[i], ...r]) };
    if (!columns) return all;
    const at = columns.map((c) => {
      const k = all.columns.indexOf(c);
      if (k < 0) throw new Error(`showTable: option columns names "${c}", which the DataFrame does not have (it has ${cols.join(', ')})`);
      return k;
    });
    return { columns: [...columns], rows: all.rows.map((r) => at.map((k) => r[k])) };
  }
  if (!Array.isArray(input)) throw new Error('showTable: expected an array of row objects or a danfo DataFrame');
  const rows = input as readonly Record<string, unknown>[];
  const cols = columns ? [...columns] : [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return { columns: cols, rows: rows.map((r) => cols.map((c) => r[c])) };
}

/** Whether column j holds a non-integer number: then all its numbers get the decimals ("17.0" beside "73.1"). */
function fractionalColumns(rows: readonly (readonly unknown[])[], n: number): boolean[] {
  return Array.from({ length: n }, (_, j) => rows.some((r) => typeof r[j] === 'number' && !Number.isInteger(r[j])));
}

function formatCell(v: unknown, decimals: number, fractional = true): string {
  if (typeof v === 'number') return Number.isInteger(v) && !fractional ? String(v) : formatNumber(v, decimals);
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** An HTML `<table>` for rows or a DataFrame (numbers right-aligned, fixed decimals). */
export function tableHtml(input: TableInput, options: TableOptions = {}): string {
  const decimals = options.decimals ?? 1;
  const maxRows = options.maxRows ?? 200;
  const { columns, rows } = tableRows(input, options.columns);
  const shown = rows.slice(0, maxRows);
  const fractional = fractionalColumns(rows, columns.length);
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = shown
    .map((r) => `<tr>${r.map((v, j) => `<td style="text-align:${typeof v === 'number' ? 'right' : 'left'}">${escapeHtml(formatCell(v, decimals, fractional[j]))}</td>`).join('')}</tr>`)
    .join('\n');
  const more = rows.length > shown.length ? `<tr><td colspan="${columns.length}">… ${rows.length - shown.length} more rows</td></tr>` : '';
  const caption = options.caption ? `<caption style="caption-side:top;text-align:left;font-weight:bold">${escapeHtml(options.caption)}</caption>` : '';
  return `<table class="primed-table" style="border-collapse:collapse">${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}${more}</tbody></table>`;
}

/** The plain-text form of a table (for `text/plain` and logs): aligned columns. */
export function tableText(input: TableInput, options: TableOptions = {}): string {
  const decimals = options.decimals ?? 1;
  const { columns, rows } = tableRows(input, options.columns);
  const fractional = fractionalColumns(rows, columns.length);
  const cells = [columns, ...rows.slice(0, options.maxRows ?? 200).map((r) => r.map((v, j) => formatCell(v, decimals, fractional[j])))];
  const widths = columns.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const lines = cells.map((r) => r.map((c, j) => (c ?? '').padEnd(widths[j])).join('  ').trimEnd());
  return (options.caption ? `${options.caption}\n` : '') + lines.join('\n');
}

/** Shows rows or a danfo DataFrame as an HTML table (with a plain-text fallback). */
export function showTable(input: TableInput, options: TableOptions = {}): void {
  sendBundle({ 'text/html': tableHtml(input, options), 'text/plain': tableText(input, options) });
}

/** Shows Markdown text (headings, notes between results). */
export function showMarkdown(markdown: string): void {
  sendBundle({ 'text/markdown': markdown, 'text/plain': markdown });
}
