/**
 * Live progress in notebooks. tslab can replace an output in place (Jupyter's
 * `update_display_data` with a `display_id`), so a progress bar and a forgetting curve redraw
 * in one output while a run goes on. Updates are throttled; the last state is always drawn.
 * Outside a kernel the same calls fall back to the terminal bar of `src/util/progress.ts`.
 */
import { randomBytes } from 'node:crypto';
import { formatSeconds, terminalProgress, type ProgressEvent, type ProgressSink } from '../src/util/progress';
import { escapeHtml } from '../src/report/plotly-bundle';
import { forgettingCurvesFromMatrices, type MethodMatrix } from '../src/report/figures';
import { currentCell, inKernel, sendBundle } from './kernel';
import { newFigureDisplay, type FigureDisplay } from './display';

/** Options of {@link notebookProgress}. */
export interface NotebookProgressOptions {
  /** Redraw at most every this many ms (a finished task is always drawn); default 500. */
  minIntervalMs?: number;
  /** Clock, for tests; default `Date.now`. */
  now?: () => number;
}

interface LabelState {
  event: ProgressEvent;
  started: number;
  updated: number;
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 || Number.isInteger(n) ? n.toFixed(0) : String(Number(n.toPrecision(3)));
}

function lineOf(s: LabelState): string {
  const e = s.event;
  const secs = (s.updated - s.started) / 1000;
  const frac = e.total > 0 ? Math.min(1, e.done / e.total) : 0;
  const eta = frac > 0 && frac < 1 && secs > 0 ? ` eta ${formatSeconds((secs / frac) * (1 - frac))}s` : '';
  const metrics = e.metrics ? ' ' + Object.entries(e.metrics).map(([k, v]) => `${k} ${fmt(v)}`).join(' ') : '';
  return `${e.label}: ${e.done}/${e.total || '?'} (${Math.round(frac * 100)}%) ${formatSeconds(secs)}s${eta}${metrics}`;
}

/** The MIME bundle of a progress display: one `<progress>` bar per label, plus plain text. */
export function progressBundle(states: readonly { event: ProgressEvent; started: number; updated: number }[]): Record<string, string> {
  const html = states
    .map((s) => {
      const e = s.event;
      const max = e.total > 0 ? e.total : 1;
      return `<div style="font-family:monospace;font-size:12px"><progress value="${Math.min(e.done, max)}" max="${max}" style="width:240px;vertical-align:middle"></progress> ${escapeHtml(lineOf(s))}</div>`;
    })
    .join('\n');
  return { 'text/html': html, 'text/plain': states.map(lineOf).join('\n') };
}

/**
 * A `ProgressSink` (src/util/progress.ts) for notebooks: one output holding a bar per label (training, evaluation...)
 * that updates in place. The sink can be made once (e.g. `env.progress` from `setup`) and used in
 * many cells: when a later cell uses it, it starts a fresh output there rather than redrawing the
 * earlier cell's. Outside a tslab kernel it is the terminal bar.
 */
export function notebookProgress(options: NotebookProgressOptions = {}): ProgressSink {
  if (!inKernel()) return terminalProgress();
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? 500;
  let id = '';
  const states = new Map<string, LabelState>();
  let shown = false;
  let lastDraw = -Infinity;
  let cell: unknown = {}; // no cell yet: the first event starts an output
  return (event) => {
    const here = currentCell();
    if (here !== cell) {
      cell = here;
      id = randomBytes(8).toString('hex');
      states.clear();
      shown = false;
    }
    const t = now();
    const key = event.slot ?? event.label;
    const prev = states.get(key);
    // a new label in the same slot is a new stage: its clock starts again
    states.set(key, { event, started: prev && prev.event.label === event.label ? prev.started : t, updated: t });
    const finished = event.total > 0 && event.done >= event.total;
    if (!shown || finished || t - lastDraw >= minInterval) {
      sendBundle(progressBundle([...states.values()]), { displayId: id, update: shown });
      shown = true;
      lastDraw = t;
    }
  };
}

/** What the protocol runner (`runProtocol` in src/eval/protocol.ts) passes with each new row; only these fields are read. */
export interface PartialResult {
  /** Task (dataset) names in training order. */
  tasks?: readonly string[];
  /** Finished rows of the accuracy matrix (rows 0..row). */
  matrix: readonly (readonly number[])[];
  /** Zero-shot accuracy per task, or null before it is measured. */
  zeroShot?: readonly number[] | null;
}

/** Options of {@link liveForgettingCurve}. */
export interface LiveCurveOptions {
  /** Dataset names in task order (the matrix columns); default the `tasks` of the first partial result. */
  datasets?: readonly string[];
  /** Which dataset's accuracy to track (index or name); default 0, the first task (as in the paper's Fig. 4). */
  dataset?: number | string;
  /** Legend name of the running method. */
  method: string;
  /** Finished runs to draw alongside for comparison. */
  baselines?: readonly MethodMatrix[];
  /** Redraw at most every this many ms; default 0 (every row: rows are minutes apart). */
  minIntervalMs?: number;
}

/** A forgetting curve that redraws as rows of the accuracy matrix arrive. */
export interface LiveCurve {
  /** Pass as the protocol runner's `onRow(row, partial)`: redraws from `partial.matrix` and `partial.zeroShot`. */
  onRow: (row: number, partial: PartialResult) => Promise<void>;
  /** The latest partial result received. */
  readonly latest: PartialResult | undefined;
  /** Draws the final figure (with its static PNG when Chromium is present); does nothing before the first row. */
  finish(): Promise<void>;
}

function datasetIndex(datasets: readonly string[], wanted: number | string | undefined): number {
  const index = typeof wanted === 'string' ? datasets.indexOf(wanted) : (wanted ?? 0);
  if (!Number.isInteger(index) || index < 0 || index >= datasets.length) {
    throw new Error(`liveForgettingCurve: option dataset ${JSON.stringify(wanted)} is not one of ${datasets.join(', ')}`);
  }
  return index;
}

/** Creates a {@link LiveCurve}; nothing is drawn until the first row. */
export function liveForgettingCurve(options: LiveCurveOptions, display: FigureDisplay = newFigureDisplay()): LiveCurve {
  if (options.datasets) datasetIndex(options.datasets, options.dataset); // fail early on a bad option
  let latest: PartialResult | undefined;
  let lastDraw = -Infinity;
  const figure = (p: PartialResult) => {
    const datasets = options.datasets ?? p.tasks;
    if (!datasets) throw new Error('liveForgettingCurve: give option datasets (the partial result has no tasks)');
    const run: MethodMatrix = { method: options.method, matrix: p.matrix, ...(p.zeroShot ? { zeroShot: p.zeroShot } : {}) };
    return forgettingCurvesFromMatrices([...(options.baselines ?? []), run], datasets, datasetIndex(datasets, options.dataset));
  };
  return {
    get latest() {
      return latest;
    },
    async onRow(_row, partial) {
      if (!partial || !Array.isArray(partial.matrix)) throw new Error('liveForgettingCurve: onRow needs the partial result (with matrix) as its second argument');
      latest = partial;
      const t = Date.now();
      if (t - lastDraw >= (options.minIntervalMs ?? 0)) {
        lastDraw = t;
        await display.show(figure(partial), { png: false });
      }
    },
    async finish() {
      if (latest) await display.show(figure(latest), { png: 'auto' });
    },
  };
}
