/** Figure style rules: one colour per method everywhere, bar labels that cannot collide or clip, Fig. 7 small multiples, one decimal, no "-0.0", plain titles, full task names in the CLI table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracyMatrixFigure,
  forgettingCurvesFromMatrices,
  forgettingGridFigure,
  methodComparisonFigure,
  radarFigure,
} from '../src/report/figures';
import { figureHtml } from '../src/report/export';
import { formatNumber, methodColour, plainText, METHOD_COLOURS } from '../src/report/style';
import { resultTable } from '../src/cli/evaluate';
import type { PlotlyTrace } from '../src/report/plotly-types';

const METHODS = ['Continual FT', 'l2 baseline', 'EWC', 'LwF', 'iCaRL', 'WiSE-FT', 'ZSCL', 'PRIMED_uni', 'PRIMED_dyn'];
const tasks = ['pneumoniamnist', 'breastmnist', 'retinamnist', 'pathmnist', 'bloodmnist'];
const matrix = (base: number) => tasks.map((_, t) => tasks.map((__, d) => (d <= t ? base + 10 * (d === t ? 1 : 0) + d : 30)));
const colourOf = (t: PlotlyTrace) => ((t.marker as { color?: string } | undefined)?.color ?? (t.line as { color?: string } | undefined)?.color) as string;

test('one colour per method: the same in bars, curves, small multiples and radar; distinct across methods; id and label agree', () => {
  const bars = methodComparisonFigure({ categories: ['Transfer', 'Avg', 'Last'], methods: METHODS.map((name, i) => ({ name, values: [30 + i, 40 + i, 35 + i] })) });
  const curves = forgettingCurvesFromMatrices([...METHODS].reverse().map((method, i) => ({ method, matrix: matrix(40 + i) })), tasks, 0);
  const grid = forgettingGridFigure({ results: METHODS.slice(5).map((method, i) => ({ method, matrix: matrix(40 + i) })), datasets: tasks, followed: [1, 3] });
  const radar = radarFigure({ axes: tasks, series: [{ name: 'PRIMED_dyn', values: [1, 2, 3, 4, 5] }, { name: 'ZSCL', values: [5, 4, 3, 2, 1] }] });
  const seen = new Map<string, string>();
  for (const fig of [bars, curves, grid, radar]) {
    for (const t of fig.data) {
      const c = colourOf(t);
      assert.ok(c, `trace ${t.name} has a colour`);
      const before = seen.get(t.name as string);
      if (before) assert.equal(c, before, `${t.name} changes colour between figures`);
      seen.set(t.name as string, c);
    }
  }
  assert.equal(new Set(METHODS.map((m) => seen.get(m))).size, METHODS.length, 'nine methods, nine colours');
  assert.equal(methodColour('primed-dyn'), methodColour('PRIMED_dyn'));
  assert.equal(methodColour('icarl'), METHOD_COLOURS.iCaRL);
  assert.equal(methodColour('no such method'), undefined);
});

test('bar labels: upright (never side by side), not clipped, head room above the tallest bar and its error bar', () => {
  const fig = methodComparisonFigure({
    categories: ['Transfer', 'Avg', 'Last', 'AUC'],
    methods: METHODS.map((name, i) => ({ name, values: [33.8, 33.8, 33.8, i === 4 ? 96.2 : 80], sd: [0, 0, 0, i === 4 ? 2 : 0] })),
  });
  for (const t of fig.data) {
    assert.equal(t.textangle, -90);
    // with error bars the labels sit inside the bars, at their feet: never across an error bar (test/report-bars.test.ts)
    assert.equal(t.textposition, 'inside');
    assert.equal(t.cliponaxis, false);
  }
  const range = (fig.layout.yaxis as { range: number[] }).range;
  assert.equal(range[0], 0);
  assert.ok(range[1] >= 98.2, `y range ${range} clips the iCaRL AUC bar's error bar (96.2 ± 2)`);
  const plain = methodComparisonFigure({ categories: ['AUC'], methods: [{ name: 'iCaRL', values: [96.2] }] });
  const plainRange = (plain.layout.yaxis as { range: number[] }).range;
  assert.equal(plain.data[0].textposition, 'outside');
  assert.ok(plainRange[1] >= 96.2 + 0.2 * 96.2, `y range ${plainRange} leaves room above the bar for its label`);
  assert.deepEqual(fig.data[0].text, ['33.8', '33.8', '33.8', '80.0']);
});

test('Fig. 7 small multiples: one panel per followed task with its own y range, the training step marked, one legend', () => {
  const results = ['Continual FT', 'PRIMED_dyn'].map((method, i) => ({ method, matrix: matrix(50 + 5 * i), zeroShot: tasks.map(() => 30) }));
  const fig = forgettingGridFigure({ results, datasets: tasks, followed: [0, 1, 3, 4], title: 'Fig. 7' });
  assert.equal(fig.data.length, 2 * 4);
  assert.deepEqual(fig.data.map((t) => t.xaxis), ['x', 'x', 'x2', 'x2', 'x3', 'x3', 'x4', 'x4']);
  assert.deepEqual(fig.data.filter((t) => t.showlegend).map((t) => t.name), ['Continual FT', 'PRIMED_dyn'], 'each method once in the legend');
  // task 2 (index 1) is trained at step 2: a dashed line there, in its own panel
  const shapes = fig.layout.shapes as { xref: string; x0: number }[];
  assert.deepEqual(shapes.map((s) => [s.xref, s.x0]), [['x', 1], ['x2', 2], ['x3', 4], ['x4', 5]]);
  // y ranges follow each panel's data (not 0–100): panel 2 holds 30 (zero-shot) .. 66 (PRIMED_dyn after training)
  const y2 = (fig.layout.yaxis2 as { range: number[] }).range;
  assert.ok(y2[0] > 20 && y2[0] < 30 && y2[1] > 66 && y2[1] < 75, `panel 2 y range ${y2}`);
  const titles = (fig.layout.annotations as { text: string }[]).map((a) => a.text);
  assert.ok(titles.includes('<b>task 4: pathmnist</b>'));
  assert.throws(() => forgettingGridFigure({ results, datasets: tasks, followed: [5] }), /outside 0\.\.4/);
});

test('numbers: one decimal, never "-0.0"; titles as plain text in page titles', () => {
  assert.equal(formatNumber(17), '17.0');
  assert.equal(formatNumber(-0.04), '0.0');
  assert.equal(formatNumber(-0), '0.0');
  assert.equal(formatNumber(-0.06), '-0.1');
  assert.equal(formatNumber(73.14), '73.1');
  const heat = accuracyMatrixFigure({ matrix: [[-0.01, 17]], datasets: ['a', 'b'], title: 'Matrix<br><sup>mini, 30 steps</sup>' });
  assert.deepEqual(heat.data[0].text, [['0.0', '17.0']]);
  assert.equal(plainText('Matrix<br><sup>mini, 30 steps</sup>'), 'Matrix · mini, 30 steps');
  const page = figureHtml(heat, { inlinePlotly: false });
  assert.match(page, /<title>Matrix · mini, 30 steps<\/title>/);
  assert.doesNotMatch(page, /&lt;br&gt;/);
});

test('CLI result table: full task names as column headers, rows aligned under them', () => {
  const m = matrix(40);
  const text = resultTable({
    method: 'primed-dyn',
    benchmark: { name: 'mini-mgtil', order: 'I' },
    tasks,
    matrix: m,
    zeroShot: tasks.map(() => -0.01),
    metrics: null,
  } as unknown as Parameters<typeof resultTable>[0]);
  const lines = text.split('\n');
  for (const t of tasks) assert.ok(lines[1].includes(t), `header has ${t}: ${lines[1]}`);
  assert.doesNotMatch(text, /-0\.0/);
  // every value ends where its column's name ends
  const header = lines[1];
  const rowLine = lines.find((l) => l.startsWith('5. bloodmnist'))!;
  for (const t of tasks) {
    const end = header.indexOf(t) + t.length;
    assert.match(rowLine.slice(end - 4, end), /^\d+\.\d$/, `a value right-aligned under ${t}`);
  }
  assert.equal(rowLine.length, header.length);
});
