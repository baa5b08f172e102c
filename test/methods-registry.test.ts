/**
 * The method registry (src/methods/index.ts) and the spec of each method: what the CLI, the
 * experiment calls, the run pool, the figures and the notebooks read from it. The tables below are
 * the values those places held before the specs existed (cells.ts REFERENCE_STRATEGY,
 * kernel-lib/runs.ts RELATIVE_COST, report/results-figures.ts METHOD_ORDER / RESULT_METHOD_LABEL,
 * report/style.ts METHOD_COLOURS, notebooks PAPER_ROW / PAPER_PER_DATASET_ROW): moving them into the
 * method files must not change them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMethod, methodSpec, METHOD_NAMES, METHOD_SPECS, REFERENCE_STRATEGY } from '../src';
import { RESULT_METHOD_LABEL } from '../src/report/results-figures';
import { METHOD_COLOURS, methodColour } from '../src/report/style';
import type { Memory } from '../src/memory/store';

const PAPER_NINE = ['finetune', 'l2', 'ewc', 'lwf', 'icarl', 'wise-ft', 'zscl', 'primed-uni', 'primed-dyn'];

test('registry: every method once, in table order, second names last; unknown names listed', () => {
  const listed = METHOD_SPECS.filter((s) => !s.aliasOf).map((s) => s.name);
  assert.deepEqual(listed.filter((n) => PAPER_NINE.includes(n)), PAPER_NINE, 'the paper\'s nine in their table order');
  assert.deepEqual(METHOD_SPECS.filter((s) => s.aliasOf).map((s) => [s.name, s.aliasOf]), [['primed', 'primed-dyn']]);
  assert.deepEqual([...METHOD_NAMES], METHOD_SPECS.map((s) => s.name));
  assert.equal(new Set(METHOD_NAMES).size, METHOD_NAMES.length, 'names are unique');
  assert.equal(methodSpec('zscl').name, 'zscl');
  assert.throws(() => methodSpec('zsc1'), /unknown method "zsc1"; expected one of finetune, l2, ewc, lwf, icarl, wise-ft, zscl, /);
  assert.throws(() => createMethod('nope'), /unknown method "nope"; expected one of finetune/);
});

test('specs: labels, paper rows, reference sets, costs and colours are what the rim held before', () => {
  const label = Object.fromEntries(METHOD_SPECS.map((s) => [s.name, s.label]));
  assert.deepEqual(PAPER_NINE.map((n) => label[n]), ['Continual FT', 'l2 baseline', 'EWC', 'LwF', 'iCaRL', 'WiSE-FT', 'ZSCL', 'PRIMED_uni', 'PRIMED_dyn']);
  for (const n of PAPER_NINE) assert.equal(RESULT_METHOD_LABEL[n], label[n]);
  assert.equal(RESULT_METHOD_LABEL.primed, undefined, 'figures do not list the second name');
  const row = Object.fromEntries(METHOD_SPECS.map((s) => [s.name, [s.paperRow, s.paperPerDatasetRow]]));
  assert.deepEqual(row.ewc, [null, null], 'EWC is only an ablation in the paper');
  assert.deepEqual(row.finetune, ['Continual FT', 'ContFT']);
  assert.deepEqual(row.l2, ['l2 baseline', 'l2']);
  for (const n of ['lwf', 'icarl', 'wise-ft', 'zscl', 'primed-uni', 'primed-dyn']) assert.deepEqual(row[n], [label[n], label[n]]);
  assert.deepEqual({ ...REFERENCE_STRATEGY }, { zscl: 'uniform', 'primed-uni': 'uniform', 'primed-dyn': 'siphon', primed: 'siphon' });
  const cost = Object.fromEntries(METHOD_SPECS.map((s) => [s.name, s.relativeCost]));
  assert.deepEqual(PAPER_NINE.concat('primed').map((n) => cost[n]), [1, 1, 1, 1, 1.5, 1, 1.25, 1.35, 1.35, 1.35]);
  const before: Record<string, string> = {
    finetune: '#7f7f7f', 'Continual FT': '#7f7f7f', ContFT: '#7f7f7f', 'Fine-tune': '#7f7f7f', l2: '#bcbd22', 'l2 baseline': '#bcbd22', L2: '#bcbd22',
    ewc: '#56b4e9', EWC: '#56b4e9', lwf: '#009e73', LwF: '#009e73', icarl: '#cc79a7', iCaRL: '#cc79a7', 'wise-ft': '#e69f00', 'WiSE-FT': '#e69f00',
    zscl: '#8c564b', ZSCL: '#8c564b', 'primed-uni': '#0072b2', PRIMED_uni: '#0072b2', 'primed-dyn': '#d55e00', PRIMED_dyn: '#d55e00', PRIMED: '#d55e00',
    'zero-shot': '#333333', 'Zero-shot': '#333333',
  };
  for (const [k, c] of Object.entries(before)) assert.equal(METHOD_COLOURS[k], c, k);
  assert.equal(methodColour('PRIMED_dyn'), methodColour('primed-dyn'));
  const colours = METHOD_SPECS.filter((s) => !s.aliasOf).map((s) => s.color);
  assert.equal(new Set(colours).size, colours.length, 'no two methods share a colour');
});

test('specs: options resolve with defaults and checks; ZSCL adapts to the recipe, keeping what the user set', () => {
  assert.deepEqual(methodSpec('l2').resolveOptions({}), { lambda: 1 });
  assert.throws(() => methodSpec('wise-ft').resolveOptions({ alpha: 2 }), /method wise-ft: option alpha must be a number in \[0, 1\], got 2/);
  for (const s of METHOD_SPECS) if (s.name !== 'zscl') assert.deepEqual(s.adaptToRecipe({ a: 1 }, { steps: 150, seed: 1 }), { a: 1 }, s.name);
  const zscl = methodSpec('zscl');
  const memory = {
    size: 4,
    entry: (r: number) => ({ caption: `caption ${r}`, image: r % 2 === 0 ? 'img.png' : undefined }),
  } as unknown as Memory;
  assert.deepEqual(zscl.adaptToRecipe({}, { steps: 150, seed: 42, memory }), { avgFreq: 15, referenceTexts: ['caption 1', 'caption 3'] });
  assert.deepEqual(zscl.adaptToRecipe({}, { steps: 4, seed: 42 }), { avgFreq: 1, referenceTexts: 'batch' });
  const given = { avgFreq: 7, referenceTexts: 'batch' };
  assert.deepEqual(zscl.adaptToRecipe(given, { steps: 1000, seed: 42, memory }), given, 'user values stay');
  assert.deepEqual(given, { avgFreq: 7, referenceTexts: 'batch' }, 'the caller\'s object is not changed');
});
