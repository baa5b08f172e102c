/** Notebook 06's Avg/Last chart: one colour per backbone (the radar's), Avg solid, Last hatched. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avgLastFigure, type Backbone } from '../kernel-lib/backbones';
import { radarFigure } from '../src/report/figures';

const backbones: Backbone[] = [
  { name: 'mini', label: 'mini (bundled, pretrained)', paper: 'BiomedCLIP', memoryMethods: true, note: '' },
  { name: 'random', label: 'mini, random init (control)', model: { kind: 'random', seed: 42 }, paper: null, memoryMethods: true, note: '' },
];
const methods = ['finetune', 'primed-dyn'];
const metrics = (b: Backbone, m: string) => ({ avg: b.name === 'mini' ? (m === 'finetune' ? 45 : 50) : 30, last: b.name === 'mini' ? 40 : 25 });

test('avgLastFigure: the two bars of a backbone share its colour, the same as in the zero-shot radar; Last is hatched', () => {
  const fig = avgLastFigure(backbones, methods, metrics, 'mini-MGTIL Order I, 150 steps/task');
  assert.deepEqual(fig.data.map((t) => t.name), ['mini (bundled, pretrained): Avg', 'mini (bundled, pretrained): Last', 'mini, random init (control): Avg', 'mini, random init (control): Last']);
  const colour = (i: number) => (fig.data[i].marker as { color: string }).color;
  const pattern = (i: number) => (fig.data[i].marker as { pattern?: { shape: string } }).pattern;
  assert.equal(colour(0), colour(1));
  assert.equal(colour(2), colour(3));
  assert.notEqual(colour(0), colour(2));
  const radar = radarFigure({ axes: ['a', 'b', 'c'], series: backbones.map((b) => ({ name: b.label, values: [1, 2, 3] })) });
  assert.deepEqual([colour(0), colour(2)], radar.data.map((t) => (t.line as { color: string }).color), 'the radar colours each backbone the same');
  assert.equal(pattern(0), undefined);
  assert.equal(pattern(2), undefined);
  assert.equal(pattern(1)?.shape, '/');
  assert.equal(pattern(3)?.shape, '/');
  assert.deepEqual(fig.data.map((t) => t.legendgroup), ['mini', 'mini', 'random', 'random']);
  assert.deepEqual(fig.data[1].y, [40, 40]);
  assert.deepEqual(fig.data[2].y, [30, 30]);
  assert.deepEqual(fig.data[0].x, ['Continual FT', 'PRIMED_dyn']);
});
