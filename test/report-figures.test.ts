/** Figure specs: hand-worked inputs → exact traces, axes and values (pure, no browser). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracyMatrixFigure,
  forgettingCurvesFigure,
  forgettingCurvesFromMatrices,
  methodComparisonFigure,
  radarFigure,
  retrievalSizeFigure,
} from '../src/report/figures';

const datasets = ['pneumonia', 'breast', 'retina'];
const A = [
  [80, 40, 30],
  [60, 90, 35],
  [55, 70, 95],
];

const titleOf = (x: unknown) => (x as { title: { text: string } }).title.text;

test('accuracy matrix heatmap: rows after task t (first on top), columns datasets, annotated values, 0–100 scale', () => {
  const fig = accuracyMatrixFigure({ matrix: A, datasets, zeroShot: [50, 30, 20.25], title: 'Accuracy' });
  assert.equal(fig.data.length, 1);
  const h = fig.data[0];
  assert.equal(h.type, 'heatmap');
  assert.deepEqual(h.z, [[50, 30, 20.25], ...A]);
  assert.deepEqual(h.x, datasets);
  assert.deepEqual(h.y, ['zero-shot', 'after pneumonia', 'after breast', 'after retina']);
  assert.deepEqual(h.text, [['50.0', '30.0', '20.3'], ['80.0', '40.0', '30.0'], ['60.0', '90.0', '35.0'], ['55.0', '70.0', '95.0']]);
  assert.equal(h.texttemplate, '%{text}');
  assert.equal(h.zmin, 0);
  assert.equal(h.zmax, 100);
  assert.equal(titleOf(fig.layout), 'Accuracy');
  assert.equal(titleOf(fig.layout.xaxis), 'evaluated on');
  assert.equal((fig.layout.yaxis as { autorange: string }).autorange, 'reversed');
  // plotly.js 3 names: titles are objects, never bare strings.
  assert.equal(typeof fig.layout.title, 'object');
});

test('accuracy matrix accepts a partial matrix (run in progress) and rejects ragged rows by name', () => {
  const fig = accuracyMatrixFigure({ matrix: A.slice(0, 1), datasets, decimals: 2 });
  assert.deepEqual(fig.data[0].y, ['after pneumonia']);
  assert.deepEqual(fig.data[0].text, [['80.00', '40.00', '30.00']]);
  assert.throws(() => accuracyMatrixFigure({ matrix: [[1, 2]], datasets }), /matrix\[0\] has 2 entries but datasets has 3/);
  assert.throws(() => accuracyMatrixFigure({ matrix: [[1, NaN, 3]], datasets }), /matrix\[0\]\[1\] must be a number/);
  assert.throws(() => accuracyMatrixFigure({ matrix: A, datasets, zeroShot: [1] }), /zeroShot has 1 entries/);
});

test('forgetting curves from matrices: step 0 = zero-shot, step t = A[t-1][d], one line per method', () => {
  const B = [
    [70, 40, 30],
    [20, 90, 35],
  ];
  const fig = forgettingCurvesFromMatrices(
    [
      { method: 'PRIMED', matrix: A, zeroShot: [50, 30, 20] },
      { method: 'Continue-FT', matrix: B },
    ],
    datasets,
    0,
  );
  assert.deepEqual(
    fig.data.map((d) => [d.type, d.name, d.x, d.y]),
    [
      ['scatter', 'PRIMED', [0, 1, 2, 3], [50, 80, 60, 55]],
      ['scatter', 'Continue-FT', [1, 2], [70, 20]],
    ],
  );
  const xaxis = fig.layout.xaxis as { tickvals: number[]; ticktext: string[]; title: { text: string } };
  assert.deepEqual(xaxis.tickvals, [0, 1, 2, 3]);
  assert.deepEqual(xaxis.ticktext, ['zero-shot', '1: pneumonia', '2: breast', '3: retina']);
  assert.equal(titleOf(fig.layout), 'Accuracy on pneumonia as tasks are learned');
  assert.equal(titleOf(fig.layout.yaxis), 'accuracy on pneumonia (%)');
  // Second column.
  assert.deepEqual(forgettingCurvesFromMatrices([{ method: 'm', matrix: A }], datasets, 1).data[0].y, [40, 90, 70]);
  assert.throws(() => forgettingCurvesFromMatrices([{ method: 'm', matrix: A }], datasets, 3), /datasetIndex 3 is outside 0..2/);
});

test('forgetting curves with error bars; mismatched lengths name the series', () => {
  const fig = forgettingCurvesFigure({ dataset: 'AOD', series: [{ name: 'PRIMED', x: [0, 1], y: [40, 60], error: [1, 2] }] });
  assert.deepEqual(fig.data[0].error_y, { type: 'data', array: [1, 2], visible: true });
  assert.throws(() => forgettingCurvesFigure({ dataset: 'AOD', series: [{ name: 'ZSCL', x: [0, 1], y: [1] }] }), /series "ZSCL" y has 1 entries but x has 2/);
});

test('method comparison: grouped bars, one trace per method, values printed, sd as error bars', () => {
  const fig = methodComparisonFigure({
    categories: ['Transfer', 'Avg', 'Last'],
    methods: [
      { name: 'PRIMED', values: [41.26, 70, 74.5], sd: [0.5, 0.4, 0.3] },
      { name: 'ZSCL', values: [38, 66, 70] },
    ],
  });
  assert.equal(fig.layout.barmode, 'group');
  assert.deepEqual(fig.data.map((d) => [d.type, d.name, d.y, d.text]), [
    ['bar', 'PRIMED', [41.26, 70, 74.5], ['41.3', '70.0', '74.5']],
    ['bar', 'ZSCL', [38, 66, 70], ['38.0', '66.0', '70.0']],
  ]);
  assert.deepEqual((fig.data[0].error_y as { array: number[] }).array, [0.5, 0.4, 0.3]);
  assert.equal(fig.data[1].error_y, undefined);
  assert.equal(titleOf(fig.layout.yaxis), 'accuracy (%)');
  assert.throws(() => methodComparisonFigure({ categories: ['a'], methods: [{ name: 'X', values: [1, 2] }] }), /method "X" values has 2 entries but categories has 1/);
});

test('radar (Fig. 9): closed polygons over the datasets, radial range 0–100', () => {
  const fig = radarFigure({ axes: ['a', 'b', 'c', 'd'], series: [{ name: 'CLIP', values: [10, 20, 30, 40] }] });
  assert.equal(fig.data[0].type, 'scatterpolar');
  assert.deepEqual(fig.data[0].r, [10, 20, 30, 40, 10]);
  assert.deepEqual(fig.data[0].theta, ['a', 'b', 'c', 'd', 'a']);
  assert.deepEqual((fig.layout.polar as { radialaxis: { range: number[] } }).radialaxis.range, [0, 100]);
  assert.equal(titleOf(fig.layout), 'Zero-shot accuracy per dataset');
  assert.throws(() => radarFigure({ axes: ['a', 'b'], series: [{ name: 'x', values: [1, 2] }] }), /at least 3 axes/);
});

test('retrieval-size curve (Fig. 8): one line per sequence, chosen size marked, log x on request', () => {
  const fig = retrievalSizeFigure({
    series: [{ name: 'HMT Order I', x: [500, 1000, 2000], y: [60, 64, 65] }],
    chosen: 1000,
    logX: true,
  });
  assert.deepEqual([fig.data[0].x, fig.data[0].y], [[500, 1000, 2000], [60, 64, 65]]);
  const shapes = fig.layout.shapes as { x0: number; x1: number; type: string }[];
  assert.deepEqual([shapes.length, shapes[0].type, shapes[0].x0, shapes[0].x1], [1, 'line', 1000, 1000]);
  assert.equal((fig.layout.xaxis as { type: string }).type, 'log');
  assert.equal(titleOf(fig.layout.xaxis), 'retrieved samples');
});
