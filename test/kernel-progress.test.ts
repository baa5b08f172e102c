/** kernel-lib live progress: throttled in-place progress bars and a forgetting curve fed by the protocol's onRow. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setDisplayWriter, type DisplayContent } from '../kernel-lib/kernel';
import { notebookProgress, liveForgettingCurve, progressBundle } from '../kernel-lib/progress';
import type { FigureDisplay } from '../kernel-lib/display';
import type { PlotlyFigure } from '../src/report/plotly-types';
import type { ProtocolOptions } from '../src/eval/protocol';

test('notebookProgress: one output updated in place, throttled, the finished state always drawn', () => {
  const sent: { content: DisplayContent; update: boolean }[] = [];
  setDisplayWriter((content, update) => sent.push({ content, update }));
  let now = 0;
  const sink = notebookProgress({ minIntervalMs: 500, now: () => now });
  sink({ label: 'train breast', done: 0, total: 10 }); // t=0: first draw
  now = 100;
  sink({ label: 'train breast', done: 1, total: 10 }); // throttled
  now = 600;
  sink({ label: 'train breast', done: 5, total: 10, metrics: { loss: 0.5 } }); // drawn
  now = 700;
  sink({ label: 'eval', done: 1, total: 3 }); // throttled
  now = 800;
  sink({ label: 'train breast', done: 10, total: 10 }); // finished: drawn although within 500 ms
  setDisplayWriter(undefined);
  assert.deepEqual(sent.map((s) => s.update), [false, true, true]);
  const ids = new Set(sent.map((s) => s.content.transient.display_id));
  assert.equal(ids.size, 1);
  assert.equal(sent[1].content.data['text/plain'], 'train breast: 5/10 (50%) 0.6s eta 0.6s loss 0.5');
  const last = sent[2].content.data;
  assert.equal(last['text/plain'], 'train breast: 10/10 (100%) 0.8s\neval: 1/3 (33%) 0s');
  assert.match(last['text/html'] as string, /<progress value="10" max="10"/);
  assert.match(last['text/html'] as string, /<progress value="1" max="3"/);
});

test('notebookProgress made once and used in a later cell starts a new output there, not in the first cell', () => {
  const cell1: { content: DisplayContent; update: boolean }[] = [];
  const cell2: { content: DisplayContent; update: boolean }[] = [];
  // tslab makes a new display writer for each executing cell; setDisplayWriter stands in for it.
  setDisplayWriter((content, update) => cell1.push({ content, update }));
  const sink = notebookProgress({ minIntervalMs: 0 });
  sink({ label: 'train task 1', done: 1, total: 2 });
  sink({ label: 'train task 1', done: 2, total: 2 });
  setDisplayWriter((content, update) => cell2.push({ content, update }));
  sink({ label: 'train task 2', done: 1, total: 2 });
  sink({ label: 'train task 2', done: 2, total: 2 });
  setDisplayWriter(undefined);
  assert.deepEqual(cell1.map((s) => s.update), [false, true]);
  assert.deepEqual(cell2.map((s) => s.update), [false, true], 'the later cell creates its own output, then updates it');
  const id1 = cell1[0].content.transient.display_id;
  const id2 = cell2[0].content.transient.display_id;
  assert.ok(id1 && id2 && id1 !== id2, 'a new display id, so the first cell\'s output is left as it was');
  assert.equal(cell2[1].content.transient.display_id, id2);
  assert.doesNotMatch(cell2[1].content.data['text/plain'] as string, /task 1/, 'the earlier cell\'s bars are not carried over');
});

test('progressBundle escapes labels', () => {
  const b = progressBundle([{ event: { label: '<b>', done: 1, total: 0 }, started: 0, updated: 0 }]);
  assert.ok(b['text/html'].includes('&lt;b&gt;: 1/?'));
  assert.match(b['text/html'], /<progress value="1" max="1"/);
});

test('liveForgettingCurve: redraws from each partial result in one display; finish adds the final figure', async () => {
  const shown: { fig: PlotlyFigure; png: unknown }[] = [];
  const display: FigureDisplay = {
    id: 'x',
    async show(fig, options) {
      shown.push({ fig, png: options?.png });
    },
  };
  const live = liveForgettingCurve(
    { dataset: 'breast', method: 'PRIMED', baselines: [{ method: 'FT', matrix: [[80, 40], [60, 90]], zeroShot: [50, 30] }] },
    display,
  );
  // The protocol runner's own callback type accepts it.
  const onRow: ProtocolOptions['onRow'] = live.onRow;
  assert.equal(typeof onRow, 'function');
  await live.finish(); // nothing yet
  assert.equal(shown.length, 0);
  await live.onRow(0, { tasks: ['pneumonia', 'breast'], matrix: [[81, 42]], zeroShot: [50, 30] });
  await live.onRow(1, { tasks: ['pneumonia', 'breast'], matrix: [[81, 42], [70, 91]], zeroShot: [50, 30] });
  await live.finish();
  assert.equal(shown.length, 3);
  assert.deepEqual(shown.map((s) => s.png), [false, false, 'auto']);
  const first = shown[0].fig.data.map((d) => [d.name, d.x, d.y]);
  assert.deepEqual(first, [
    ['FT', [0, 1, 2], [30, 40, 90]],
    ['PRIMED', [0, 1], [30, 42]],
  ]);
  assert.deepEqual(shown[2].fig.data[1].y, [30, 42, 91]);
  assert.equal((shown[2].fig.layout.title as { text: string }).text, 'Accuracy on breast as tasks are learned');
  assert.throws(() => liveForgettingCurve({ datasets: ['a'], dataset: 'zz', method: 'm' }, display), /option dataset "zz" is not one of a/);
  await assert.rejects(liveForgettingCurve({ method: 'm' }, display).onRow(0, { matrix: [[1]] }), /give option datasets/);
});

test('notebookProgress: events with one slot share one line, which shows the current stage in its own units', () => {
  const sent: { content: DisplayContent; update: boolean }[] = [];
  setDisplayWriter((content, update) => sent.push({ content, update }));
  let now = 0;
  const sink = notebookProgress({ minIntervalMs: 0, now: () => now });
  sink({ label: 'all runs', done: 0, total: 2 });
  sink({ label: 'worker 1: train breast', slot: 'worker 1', done: 150, total: 150 });
  now = 1000;
  sink({ label: 'worker 1: evaluate after breast', slot: 'worker 1', done: 2, total: 5 });
  setDisplayWriter(undefined);
  const text = sent.at(-1)!.content.data['text/plain'] as string;
  // two lines, not three: the worker's line now shows the evaluation (2 of 5 tasks), its clock restarted
  assert.equal(text, 'all runs: 0/2 (0%) 0s\nworker 1: evaluate after breast: 2/5 (40%) 0s');
});
