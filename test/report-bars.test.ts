/**
 * Table 1/2-style bars: a value label never crosses an error bar (with sd the labels sit at the
 * bars' feet, in a colour that contrasts with the bar), and the y range holds every bar, error bar
 * and label.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { methodComparisonFigure } from '../src/report/figures';

test('bars with error bars: labels inside at the foot, contrasting colour, range holds mean + sd', () => {
  const fig = methodComparisonFigure({
    categories: ['Transfer', 'Avg'],
    methods: [
      { name: 'EWC', values: [32.1, 44], sd: [0.6, 0.6] }, // light blue
      { name: 'PRIMED_uni', values: [25.7, 47.5], sd: [0.7, 3] }, // dark blue
    ],
  });
  for (const t of fig.data) {
    assert.equal(t.textposition, 'inside');
    assert.equal(t.insidetextanchor, 'start');
  }
  const colour = (i: number) => (fig.data[i].insidetextfont as { color: string }).color;
  assert.equal(colour(0), '#000000');
  assert.equal(colour(1), '#ffffff');
  const range = (fig.layout.yaxis as { range: number[] }).range;
  assert.equal(range[0], 0);
  assert.ok(range[1] >= 47.5 + 3, `range ${range} clips the error bar`);
});

test('bars without error bars: labels above the bars, head room for them', () => {
  const fig = methodComparisonFigure({ categories: ['Avg'], methods: [{ name: 'EWC', values: [40] }, { name: 'LwF', values: [-5] }] });
  for (const t of fig.data) assert.equal(t.textposition, 'outside');
  const range = (fig.layout.yaxis as { range: number[] }).range;
  assert.ok(range[1] > 40 + 0.2 * 45 && range[0] < -5 - 0.2 * 45, `range ${range}`);
});
