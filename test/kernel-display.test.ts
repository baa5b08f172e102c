/**
 * kernel-lib display: the MIME bundles notebooks emit. Two ways in: a mock writer
 * (`setDisplayWriter`), and the real tslab module with its kernel-side writer replaced, which
 * checks that the bridge finds tslab's `jupyter.lastWriteDisplayData` the way a kernel would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { setDisplayWriter, displayMode, sendBundle, type DisplayContent } from '../kernel-lib/kernel';
import {
  PLOTLY_MIME,
  showFigure,
  showMatrix,
  showTable,
  tableText,
  loadPlotly,
  plotlyIsLoaded,
  resetPlotlyLoaded,
  newFigureDisplay,
} from '../kernel-lib/display';
import { forgettingCurvesFromMatrices } from '../src/report/figures';
import { hasChromium } from '../src/report/chromium';
import { plotlyBundle } from '../src/report/plotly-bundle';

type Sent = { content: DisplayContent; update: boolean };
function capture(): Sent[] {
  const sent: Sent[] = [];
  setDisplayWriter((content, update) => sent.push({ content, update }));
  return sent;
}

const datasets = ['pneumonia', 'breast', 'retina'];
const A = [
  [80, 40, 30],
  [60, 90, 35],
  [55, 70, 95],
];
const curves = forgettingCurvesFromMatrices([{ method: 'PRIMED', matrix: A, zeroShot: [50, 30, 20] }], datasets, 0);

test('showFigure: plotly.js is sent once per session, then one output with plotly JSON + HTML + text', async () => {
  const sent = capture();
  resetPlotlyLoaded();
  await showFigure(curves, { png: false });
  await showFigure(curves, { png: false });
  setDisplayWriter(undefined);
  assert.equal(sent.length, 3, 'bundle loader + 2 figures');
  const loader = sent[0].content.data;
  assert.ok((loader['text/html'] as string).includes(plotlyBundle().source.slice(0, 1000)), 'plotly.js inlined');
  assert.ok(plotlyIsLoaded());
  for (const { content, update } of sent.slice(1)) {
    assert.equal(update, false);
    assert.deepEqual(Object.keys(content.data).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    const fig = content.data[PLOTLY_MIME] as { data: { y: number[] }[]; layout: { title: { text: string } } };
    assert.deepEqual(fig.data[0].y, [50, 80, 60, 55]);
    assert.equal(fig.layout.title.text, 'Accuracy on pneumonia as tasks are learned');
    const html = content.data['text/html'] as string;
    assert.ok(!html.includes(plotlyBundle().source.slice(0, 1000)), 'figure outputs do not repeat plotly.js');
    assert.match(html, /window\.Plotly\.newPlot/);
    assert.match(html, /"y":\[50,80,60,55\]/);
    assert.equal(content.data['text/plain'], '<plotly figure "Accuracy on pneumonia as tasks are learned": 1 trace(s) (scatter)>');
  }
});

test('showFigure with PNG: image/png in the bundle and as the <img> the HTML shows before (or without) scripts', async () => {
  const sent = capture();
  resetPlotlyLoaded();
  loadPlotly();
  // CI installs Chromium and sets PRIMED_REQUIRE_CHROMIUM, so the real rendering path is what it tests.
  if (process.env.PRIMED_REQUIRE_CHROMIUM === '1') assert.ok(hasChromium(), 'Chromium is required here (apt-get install chromium)');
  if (!hasChromium()) {
    await assert.rejects(showFigure(curves, { png: true }), /apt-get install chromium/);
    setDisplayWriter(undefined);
    return;
  }
  await showFigure(curves, { png: true });
  setDisplayWriter(undefined);
  const data = sent[1].content.data;
  const png = Buffer.from(data['image/png'] as string, 'base64');
  const img = PNG.sync.read(png);
  assert.deepEqual([img.width, img.height], [760, 480]);
  const html = data['text/html'] as string;
  const m = /<img[^>]*src="data:image\/png;base64,([^"]+)"/.exec(html);
  assert.ok(m, 'static fallback inside the HTML');
  // The <img> comes before the script, so a sanitised (untrusted) reopen still shows the figure.
  assert.ok(html.indexOf('<img') < html.indexOf('<script'));
  assert.equal(m[1], data['image/png']);
});

test('newFigureDisplay: the first show creates an output, later shows replace it (same display id)', async () => {
  const sent = capture();
  resetPlotlyLoaded();
  loadPlotly();
  const display = newFigureDisplay();
  await display.show(curves);
  await display.show(curves);
  setDisplayWriter(undefined);
  const figs = sent.slice(1);
  assert.deepEqual(figs.map((s) => s.update), [false, true]);
  assert.deepEqual(figs.map((s) => s.content.transient.display_id), [display.id, display.id]);
  assert.equal(figs[0].content.data['image/png'], undefined, 'live displays skip the slow PNG by default');
});

test('showMatrix: an annotated heatmap of the matrix', async () => {
  const sent = capture();
  resetPlotlyLoaded();
  loadPlotly();
  await showMatrix(A, datasets, { title: 'A', png: false });
  setDisplayWriter(undefined);
  const fig = sent[1].content.data[PLOTLY_MIME] as { data: { type: string; z: number[][]; text: string[][] }[] };
  assert.equal(fig.data[0].type, 'heatmap');
  assert.deepEqual(fig.data[0].z, A);
  assert.deepEqual(fig.data[0].text[2], ['55.0', '70.0', '95.0']);
});

test('showTable: row objects and DataFrame-like objects become an HTML table and aligned text', () => {
  const sent = capture();
  showTable(
    [
      { method: 'PRIMED', Avg: 70.456, Last: 74, Steps: 150 },
      { method: 'ZSCL<', Avg: 66, Last: 73.14, Steps: 150 },
    ],
    { caption: 'Summary' },
  );
  // A danfo DataFrame exposes columns, values and index; a non-default index becomes the first column.
  showTable({ columns: ['method', 'Avg'], values: [['PRIMED', 70.5], ['FT', 60.25]], index: ['a', 'b'] }, { decimals: 1 });
  setDisplayWriter(undefined);
  const html = sent[0].content.data['text/html'] as string;
  assert.match(html, /<caption[^>]*>Summary<\/caption>/);
  assert.match(html, /<th>method<\/th><th>Avg<\/th><th>Last<\/th>/);
  // one decimal by default; an integer in a column of fractions gets it too ("74.0" beside "73.1"),
  // a column of integers only (Steps) stays integer
  assert.match(html, /<td style="text-align:right">70\.5<\/td><td style="text-align:right">74\.0<\/td><td style="text-align:right">150<\/td>/);
  assert.ok(html.includes('ZSCL&lt;'), 'cells are escaped');
  assert.equal(sent[0].content.data['text/plain'], 'Summary\nmethod  Avg   Last  Steps\nPRIMED  70.5  74.0  150\nZSCL<   66.0  73.1  150');
  assert.equal(sent[1].content.data['text/plain'], '   method  Avg\na  PRIMED  70.5\nb  FT      60.3');
  assert.throws(() => tableText({ columns: ['a'], values: [[1]] }, { columns: ['b'] }), /option columns names "b"/);
});

test('the bridge finds the real tslab kernel writer and sends whole bundles through it', () => {
  setDisplayWriter(undefined);
  // Outside a kernel: text only, to stdout.
  assert.equal(displayMode(), 'none');
  // What a tslab kernel sets up: globalThis.__tslab__.require('tslab') → the kernel's tslab, whose
  // jupyter module holds lastWriteDisplayData for the executing cell.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tslab = require('tslab');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
  const got: [unknown, boolean][] = [];
  const g = globalThis as { __tslab__?: unknown };
  g.__tslab__ = { require: (id: string) => (id === 'tslab' ? tslab : require(id)) };
  jupyter.lastWriteDisplayData = (content: unknown, update: boolean) => got.push([content, update]);
  try {
    assert.equal(displayMode(), 'bundle');
    assert.ok(sendBundle({ 'text/html': '<b>x</b>', 'text/plain': 'x' }, { displayId: 'abc', update: true }));
    assert.deepEqual(got, [[{ data: { 'text/html': '<b>x</b>', 'text/plain': 'x' }, metadata: {}, transient: { display_id: 'abc' } }, true]]);
  } finally {
    delete g.__tslab__;
    jupyter.lastWriteDisplayData = null;
  }
});
