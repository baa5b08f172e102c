/**
 * Figure specs for primed's results: pure functions from numbers to a plotly `{ data, layout }`.
 * No I/O and no plotly import here, so they run in tests, in the CLI (see `export.ts`) and in
 * notebooks (see `kernel-lib/display.ts`) alike. The paper's figures they reproduce:
 * accuracy matrix (tables), forgetting curves (Fig. 4/7), method comparison, zero-shot radar
 * (Fig. 9) and retrieval-size curve (Fig. 8).
 */
import type { PlotlyFigure, PlotlyTrace } from './plotly-types';
import { formatNumber, seriesColours } from './style';

/** Default size of every figure (px); plotly's own default is 700×450. */
export const DEFAULT_FIGURE_SIZE: FigureSize = { width: 760, height: 480 };

/** A figure size in px. */
export interface FigureSize {
  /** Width in px. */
  readonly width: number;
  /** Height in px. */
  readonly height: number;
}

function baseLayout(title: string | undefined, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(title ? { title: { text: title } } : {}),
    width: DEFAULT_FIGURE_SIZE.width,
    height: DEFAULT_FIGURE_SIZE.height,
    font: { family: 'Arial, sans-serif', size: 13 },
    ...extra,
  };
}

function checkFinite(values: readonly number[], what: string): void {
  values.forEach((v, i) => {
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${what}[${i}] must be a number, got ${String(v)}`);
  });
}

function checkLength(values: readonly unknown[], n: number, what: string, against: string): void {
  if (values.length !== n) throw new Error(`${what} has ${values.length} entries but ${against} has ${n}`);
}

/** Input of {@link accuracyMatrixFigure}. */
export interface AccuracyMatrixInput {
  /** A[t][d]: top-1 accuracy (%) on dataset d after training task t; rows may be fewer than datasets while a run is going. */
  matrix: readonly (readonly number[])[];
  /** Dataset names in task order (the columns). */
  datasets: readonly string[];
  /** Optional zero-shot accuracies (one per dataset), drawn as an extra first row `zero-shot`. */
  zeroShot?: readonly number[];
  /** Row labels; default `after <dataset of task t>`. */
  rowLabels?: readonly string[];
  /** Figure title. */
  title?: string;
  /** Decimals of the annotated values; default 1. */
  decimals?: number;
}

/**
 * Accuracy-matrix heatmap: rows = "after task t" (first task on top), columns = datasets,
 * every cell annotated with its value. Colour scale fixed to 0–100 so figures compare.
 */
export function accuracyMatrixFigure(input: AccuracyMatrixInput): PlotlyFigure {
  const { matrix, datasets } = input;
  const decimals = input.decimals ?? 1;
  if (datasets.length === 0) throw new Error('accuracyMatrixFigure: datasets is empty');
  if (matrix.length > datasets.length) throw new Error(`accuracyMatrixFigure: matrix has ${matrix.length} rows but only ${datasets.length} datasets`);
  matrix.forEach((row, t) => {
    checkLength(row, datasets.length, `accuracyMatrixFigure: matrix[${t}]`, 'datasets');
    checkFinite(row, `accuracyMatrixFigure: matrix[${t}]`);
  });
  const rows = matrix.map((r) => [...r]);
  let labels = input.rowLabels ? [...input.rowLabels] : matrix.map((_, t) => `after ${datasets[t]}`);
  checkLength(labels, matrix.length, 'accuracyMatrixFigure: rowLabels', 'matrix');
  if (input.zeroShot) {
    checkLength(input.zeroShot, datasets.length, 'accuracyMatrixFigure: zeroShot', 'datasets');
    checkFinite(input.zeroShot, 'accuracyMatrixFigure: zeroShot');
    rows.unshift([...input.zeroShot]);
    labels = ['zero-shot', ...labels];
  }
  const text = rows.map((r) => r.map((v) => formatNumber(v, decimals)));
  const trace: PlotlyTrace = {
    type: 'heatmap',
    z: rows,
    x: [...datasets],
    y: labels,
    text,
    texttemplate: '%{text}',
    hovertemplate: '%{y}<br>%{x}: %{text}%<extra></extra>',
    colorscale: 'Viridis',
    zmin: 0,
    zmax: 100,
    colorbar: { title: { text: 'accuracy (%)' } },
  };
  return {
    data: [trace],
    layout: baseLayout(input.title, {
      xaxis: { title: { text: 'evaluated on' }, side: 'bottom', automargin: true },
      yaxis: { title: { text: 'model', standoff: 12 }, autorange: 'reversed', automargin: true },
    }),
  };
}

/** One method's curve in {@link forgettingCurvesFigure}. */
export interface CurveSeries {
  /** Legend name (method, sequence or backbone). */
  name: string;
  /** x values. */
  x: readonly number[];
  /** y values, same length as x. */
  y: readonly number[];
  /** Optional symmetric error (e.g. sd over seeds), same length as y. */
  error?: readonly number[];
}

/** Input of {@link forgettingCurvesFigure}. */
export interface ForgettingCurvesInput {
  /** The dataset whose accuracy is tracked (for the title and axis). */
  dataset: string;
  /** One series per method: x = training step (0 = zero-shot), y = accuracy (%). */
  series: readonly CurveSeries[];
  /** Names of the tasks learned at steps 1..T, shown as x tick labels. */
  taskNames?: readonly string[];
  /** Figure title; default `Accuracy on <dataset> as tasks are learned`. */
  title?: string;
}

function scatterTrace(s: CurveSeries, where: string, colour: string): PlotlyTrace {
  checkLength(s.y, s.x.length, `${where}: series "${s.name}" y`, 'x');
  checkFinite(s.x, `${where}: series "${s.name}" x`);
  checkFinite(s.y, `${where}: series "${s.name}" y`);
  const trace: PlotlyTrace = {
    type: 'scatter',
    mode: 'lines+markers',
    name: s.name,
    x: [...s.x],
    y: [...s.y],
    line: { color: colour },
    marker: { color: colour },
    hovertemplate: `${s.name}: %{y:.1f}<extra></extra>`,
  };
  if (s.error) {
    checkLength(s.error, s.y.length, `${where}: series "${s.name}" error`, 'y');
    trace.error_y = { type: 'data', array: [...s.error], visible: true };
  }
  return trace;
}

/**
 * Forgetting curves in the style of the paper's Fig. 4/7: accuracy (%) on one dataset vs the
 * training step (step 0 = zero-shot, step t = after task t), one line per method.
 */
export function forgettingCurvesFigure(input: ForgettingCurvesInput): PlotlyFigure {
  if (input.series.length === 0) throw new Error('forgettingCurvesFigure: series is empty');
  const colours = seriesColours(input.series.map((s) => s.name));
  const data = input.series.map((s, i) => scatterTrace(s, 'forgettingCurvesFigure', colours[i]));
  const xaxis: Record<string, unknown> = { title: { text: 'training step (task)' }, dtick: 1, zeroline: false };
  if (input.taskNames) {
    const steps = input.taskNames.map((_, i) => i + 1);
    xaxis.tickmode = 'array';
    xaxis.tickvals = [0, ...steps];
    xaxis.ticktext = ['zero-shot', ...input.taskNames.map((n, i) => `${i + 1}: ${n}`)];
  }
  return {
    data,
    layout: baseLayout(input.title ?? `Accuracy on ${input.dataset} as tasks are learned`, {
      xaxis,
      yaxis: { title: { text: `accuracy on ${input.dataset} (%)` }, rangemode: 'tozero' },
      showlegend: true,
      legend: { orientation: 'h', y: -0.2 },
    }),
  };
}

/** One method's results in {@link forgettingCurvesFromMatrices}. */
export interface MethodMatrix {
  /** Method name. */
  method: string;
  /** Accuracy matrix A[t][d] (rows so far, possibly fewer than T while a run goes on). */
  matrix: readonly (readonly number[])[];
  /** Zero-shot accuracy per dataset; when present it becomes step 0. */
  zeroShot?: readonly number[];
}

/**
 * Builds the forgetting curves of dataset column `datasetIndex` from accuracy matrices:
 * step 0 = zero-shot (when given), step t = A[t-1][d].
 */
export function forgettingCurvesFromMatrices(
  results: readonly MethodMatrix[],
  datasets: readonly string[],
  datasetIndex: number,
  title?: string,
): PlotlyFigure {
  if (!Number.isInteger(datasetIndex) || datasetIndex < 0 || datasetIndex >= datasets.length) {
    throw new Error(`forgettingCurvesFromMatrices: datasetIndex ${datasetIndex} is outside 0..${datasets.length - 1}`);
  }
  const series = results.map((r) => {
    const x: number[] = [];
    const y: number[] = [];
    if (r.zeroShot) {
      checkLength(r.zeroShot, datasets.length, `forgettingCurvesFromMatrices: "${r.method}" zeroShot`, 'datasets');
      x.push(0);
      y.push(r.zeroShot[datasetIndex]);
    }
    r.matrix.forEach((row, t) => {
      checkLength(row, datasets.length, `forgettingCurvesFromMatrices: "${r.method}" matrix[${t}]`, 'datasets');
      x.push(t + 1);
      y.push(row[datasetIndex]);
    });
    return { name: r.method, x, y };
  });
  return forgettingCurvesFigure({ dataset: datasets[datasetIndex], series, taskNames: datasets, title });
}

/** Input of {@link forgettingGridFigure}. */
export interface ForgettingGridInput {
  /** One accuracy matrix per method (same task order). */
  results: readonly MethodMatrix[];
  /** Dataset names in task order (the matrix columns). */
  datasets: readonly string[];
  /** The columns (task indices, 0-based) to follow, one panel each. */
  followed: readonly number[];
  /** Panels per row; default 2 for up to 4 panels, else 3. */
  columns?: number;
  /** Figure title. */
  title?: string;
}

/**
 * Small multiples in the style of the paper's Fig. 7: one panel per followed task, its accuracy
 * (%) vs the training step (0 = zero-shot, t = after task t), one line per method in the method's
 * colour (one legend for all panels). Each panel has its own y range (so the differences show) and
 * a dashed line at the step where the followed task itself was trained.
 */
export function forgettingGridFigure(input: ForgettingGridInput): PlotlyFigure {
  const { results, datasets, followed } = input;
  if (results.length === 0) throw new Error('forgettingGridFigure: results is empty');
  if (followed.length === 0) throw new Error('forgettingGridFigure: followed is empty');
  for (const d of followed) {
    if (!Number.isInteger(d) || d < 0 || d >= datasets.length) throw new Error(`forgettingGridFigure: followed task ${d} is outside 0..${datasets.length - 1}`);
  }
  const cols = input.columns ?? (followed.length <= 4 ? 2 : 3);
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`forgettingGridFigure: columns must be a positive integer, got ${cols}`);
  const rows = Math.ceil(followed.length / cols);
  const gapX = 0.08;
  const gapY = 0.16;
  const w = (1 - gapX * (cols - 1)) / cols;
  const h = (1 - gapY * (rows - 1)) / rows;
  const colours = seriesColours(results.map((r) => r.method));
  const data: PlotlyTrace[] = [];
  const layoutAxes: Record<string, unknown> = {};
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  const T = datasets.length;
  followed.forEach((d, k) => {
    const row = Math.floor(k / cols);
    const col = k % cols;
    const suffix = k === 0 ? '' : String(k + 1);
    const x0 = col * (w + gapX);
    const y1 = 1 - row * (h + gapY);
    let lo = Infinity;
    let hi = -Infinity;
    results.forEach((r, i) => {
      const x: number[] = [];
      const y: number[] = [];
      if (r.zeroShot) {
        checkLength(r.zeroShot, T, `forgettingGridFigure: "${r.method}" zeroShot`, 'datasets');
        x.push(0);
        y.push(r.zeroShot[d]);
      }
      r.matrix.forEach((m, t) => {
        checkLength(m, T, `forgettingGridFigure: "${r.method}" matrix[${t}]`, 'datasets');
        x.push(t + 1);
        y.push(m[d]);
      });
      checkFinite(y, `forgettingGridFigure: "${r.method}" task ${d}`);
      for (const v of y) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      data.push({
        type: 'scatter',
        mode: 'lines+markers',
        name: r.method,
        legendgroup: r.method,
        showlegend: k === 0,
        x,
        y,
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        line: { color: colours[i], width: 2 },
        marker: { color: colours[i], size: 6 },
        hovertemplate: `${r.method}, after step %{x}: %{y:.1f}%<extra></extra>`,
      });
    });
    const pad = Math.max(2, 0.08 * (hi - lo));
    layoutAxes[`xaxis${suffix}`] = {
      domain: [x0, x0 + w],
      anchor: `y${suffix}`,
      range: [-0.3, T + 0.3],
      tickmode: 'array',
      tickvals: Array.from({ length: T + 1 }, (_, t) => t),
      ticktext: ['ZS', ...datasets.map((_, t) => String(t + 1))],
      zeroline: false,
      ...(row === rows - 1 || k + cols >= followed.length ? { title: { text: 'after task (ZS = zero-shot)', font: { size: 11 } } } : {}),
    };
    layoutAxes[`yaxis${suffix}`] = {
      domain: [y1 - h, y1],
      anchor: `x${suffix}`,
      range: [Math.max(0, lo - pad), Math.min(100, hi + pad)],
      ...(col === 0 ? { title: { text: 'accuracy (%)', font: { size: 11 } } } : {}),
    };
    // where the followed task itself was trained: step d + 1
    shapes.push({ type: 'line', xref: `x${suffix}`, yref: `y${suffix} domain`, x0: d + 1, x1: d + 1, y0: 0, y1: 1, line: { dash: 'dash', color: '#555', width: 1 } });
    annotations.push({ xref: `x${suffix}`, yref: `y${suffix} domain`, x: d + 1, y: 1, xanchor: 'left', yanchor: 'top', xshift: 3, text: 'trained', showarrow: false, font: { size: 10, color: '#555' } });
    annotations.push({ xref: 'paper', yref: 'paper', x: x0 + w / 2, y: y1, yshift: 14, xanchor: 'center', yanchor: 'bottom', text: `<b>task ${d + 1}: ${datasets[d]}</b>`, showarrow: false, font: { size: 12 } });
  });
  const taskKey = datasets.map((n, t) => `${t + 1} ${n}`).join(' · ');
  annotations.push({ xref: 'paper', yref: 'paper', x: 0.5, y: 0, yshift: -78, xanchor: 'center', yanchor: 'top', text: `tasks: ${taskKey}`, showarrow: false, font: { size: 11, color: '#444' } });
  return {
    data,
    layout: baseLayout(input.title, {
      ...layoutAxes,
      width: cols >= 3 ? 1200 : 1040,
      height: 160 + rows * 300,
      margin: { t: 150, b: 130, l: 70, r: 170 },
      shapes,
      annotations,
      showlegend: true,
      legend: { orientation: 'v', x: 1.02, xanchor: 'left', y: 1, yanchor: 'top' },
    }),
  };
}

/** Input of {@link methodComparisonFigure}. */
export interface MethodComparisonInput {
  /** Category labels on the x axis (metrics such as Transfer/Avg/Last, or datasets). */
  categories: readonly string[];
  /** One entry per method: a value per category, optionally an sd per category. */
  methods: readonly {
    /** Method name (legend). */
    name: string;
    /** One value per category. */
    values: readonly number[];
    /** Optional sd per category, drawn as error bars. */
    sd?: readonly number[];
  }[];
  /** y axis title; default `accuracy (%)`. */
  valueLabel?: string;
  /** Figure title. */
  title?: string;
  /** Decimals printed above the bars; default 1. */
  decimals?: number;
}

/** Black or white, whichever reads better on a `#rrggbb` colour (WCAG relative luminance). */
function textColourOn(hex: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return '#000000';
  const lin = (c: string) => {
    const v = parseInt(c, 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin(m[1]) + 0.7152 * lin(m[2]) + 0.0722 * lin(m[3]);
  return l > 0.22 ? '#000000' : '#ffffff';
}

/**
 * Grouped bar chart comparing methods: one bar group per category, one colour per method (its
 * `methodColour` in style.ts), values printed upright so that neighbouring labels never overlap,
 * with head room on the y axis so that no label or error bar is clipped. Without error bars the
 * values sit above the bars; with error bars (sd) they sit inside the bars' feet, in black or
 * white to contrast with the bar, so that no label crosses an error bar.
 */
export function methodComparisonFigure(input: MethodComparisonInput): PlotlyFigure {
  if (input.methods.length === 0) throw new Error('methodComparisonFigure: methods is empty');
  const decimals = input.decimals ?? 1;
  const colours = seriesColours(input.methods.map((m) => m.name));
  const withErrorBars = input.methods.some((m) => m.sd !== undefined);
  let top = 0;
  let bottom = 0;
  const data = input.methods.map((m, i) => {
    checkLength(m.values, input.categories.length, `methodComparisonFigure: method "${m.name}" values`, 'categories');
    checkFinite(m.values, `methodComparisonFigure: method "${m.name}" values`);
    const trace: PlotlyTrace = {
      type: 'bar',
      name: m.name,
      x: [...input.categories],
      y: [...m.values],
      marker: { color: colours[i] },
      text: m.values.map((v) => formatNumber(v, decimals)),
      textposition: withErrorBars ? 'inside' : 'outside',
      ...(withErrorBars ? { insidetextanchor: 'start', insidetextfont: { size: 11, color: textColourOn(colours[i]) } } : {}),
      textangle: -90,
      textfont: { size: 11 },
      cliponaxis: false,
      hovertemplate: `${m.name}<br>%{x}: %{text}<extra></extra>`,
    };
    if (m.sd) {
      checkLength(m.sd, m.values.length, `methodComparisonFigure: method "${m.name}" sd`, 'values');
      trace.error_y = { type: 'data', array: [...m.sd], visible: true };
    }
    m.values.forEach((v, k) => {
      top = Math.max(top, v + (m.sd?.[k] ?? 0));
      bottom = Math.min(bottom, v - (m.sd?.[k] ?? 0));
    });
    return trace;
  });
  // room above the tallest bar for its upright label (about 4 characters at 11 px), or for its error bar
  const span = Math.max(top - bottom, 1);
  const room = withErrorBars ? 0.06 : 0.22;
  const range = [bottom < 0 ? bottom - room * span : 0, top + room * span];
  return {
    data,
    layout: baseLayout(input.title, {
      barmode: 'group',
      xaxis: { title: { text: '' } },
      yaxis: { title: { text: input.valueLabel ?? 'accuracy (%)' }, range },
      legend: { orientation: 'h', y: -0.15 },
    }),
  };
}

/** Input of {@link radarFigure}. */
export interface RadarInput {
  /** Axis labels (datasets), in order around the circle. */
  axes: readonly string[];
  /** One closed polygon per series (backbone): a value per axis. */
  series: readonly {
    /** Backbone name (legend). */
    name: string;
    /** One value per axis. */
    values: readonly number[];
  }[];
  /** Radial range; default [0, 100]. */
  range?: readonly [number, number];
  /** Figure title; default `Zero-shot accuracy per dataset`. */
  title?: string;
}

/** Radar chart (paper Fig. 9): zero-shot accuracy per dataset, one polygon per backbone. */
export function radarFigure(input: RadarInput): PlotlyFigure {
  if (input.axes.length < 3) throw new Error(`radarFigure: needs at least 3 axes, got ${input.axes.length}`);
  if (input.series.length === 0) throw new Error('radarFigure: series is empty');
  const colours = seriesColours(input.series.map((s) => s.name));
  const data = input.series.map((s, i) => {
    checkLength(s.values, input.axes.length, `radarFigure: series "${s.name}" values`, 'axes');
    checkFinite(s.values, `radarFigure: series "${s.name}" values`);
    // Repeat the first point so the polygon closes.
    return {
      type: 'scatterpolar',
      name: s.name,
      r: [...s.values, s.values[0]],
      theta: [...input.axes, input.axes[0]],
      mode: 'lines+markers',
      line: { color: colours[i] },
      marker: { color: colours[i] },
      fill: 'toself',
      opacity: 0.6,
    } as PlotlyTrace;
  });
  return {
    data,
    layout: baseLayout(input.title ?? 'Zero-shot accuracy per dataset', {
      polar: { radialaxis: { visible: true, range: [...(input.range ?? [0, 100])], ticksuffix: '%' } },
      showlegend: true,
      height: 560,
    }),
  };
}

/** Input of {@link retrievalSizeFigure}. */
export interface RetrievalSizeInput {
  /** One curve per task sequence (benchmark + order): x = retrieved samples, y = accuracy. */
  series: readonly CurveSeries[];
  /** Which accuracy is on the y axis; default `accuracy (%)`. */
  valueLabel?: string;
  /** Mark the chosen size with a vertical dashed line. */
  chosen?: number;
  /** Log-scale x axis; default false. */
  logX?: boolean;
  /** Figure title; default `Accuracy vs retrieved reference-set size`. */
  title?: string;
}

/** Retrieval-size curve (paper Fig. 8): accuracy vs number of retrieved samples, one line per sequence. */
export function retrievalSizeFigure(input: RetrievalSizeInput): PlotlyFigure {
  if (input.series.length === 0) throw new Error('retrievalSizeFigure: series is empty');
  const colours = seriesColours(input.series.map((s) => s.name));
  const data = input.series.map((s, i) => scatterTrace(s, 'retrievalSizeFigure', colours[i]));
  const shapes =
    input.chosen === undefined
      ? []
      : [{ type: 'line', xref: 'x', yref: 'paper', x0: input.chosen, x1: input.chosen, y0: 0, y1: 1, line: { dash: 'dash', color: 'grey' } }];
  return {
    data,
    layout: baseLayout(input.title ?? 'Accuracy vs retrieved reference-set size', {
      xaxis: { title: { text: 'retrieved samples' }, type: input.logX ? 'log' : 'linear' },
      yaxis: { title: { text: input.valueLabel ?? 'accuracy (%)' } },
      shapes,
      showlegend: true,
      legend: { orientation: 'h', y: -0.2 },
    }),
  };
}
