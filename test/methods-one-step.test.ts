/**
 * Whole training steps of each method (loss terms, gradients, method-specific gradient terms,
 * AdamW update, weight ensemble, teacher) against an independent PyTorch implementation written
 * from the methods' papers / reference code: scripts/make_method_step_fixtures.py →
 * test/fixtures/methods/one-step.json. Two tasks of two steps each on the tiny linear dual
 * encoder; every recorded loss term of every step and every weight after each task must agree
 * to 1e-5 (issue 17).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { createMethod } from '../src/methods';
import { trainOnTask } from '../src/train/trainer';
import type { ClassificationDataset, SplitName } from '../src/data/types';
import type { LinearSizes } from './fixtures/losses/fakes';
import { LinearDualEncoder, MemorySplit } from './fixtures/losses/fakes';

interface Case { history: Record<string, number>[]; weightsAfterTask: Record<string, number[]>[] }
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'methods', 'one-step.json'), 'utf8')) as {
  sizes: LinearSizes; logitScale: number; train: Record<string, number>;
  init: Record<string, number[][]>;
  tasks: { name: string; classNames: string[]; template: string; labels: number[]; images: number[][] }[];
  reference: { captions: string[]; images: number[][] };
  referenceTexts: string[];
  cases: Record<string, Case>;
};
const side = fx.sizes.imageSize;
const shape: [number, number, number] = [side, side, fx.sizes.channels];
const datasets: ClassificationDataset[] = fx.tasks.map((t) => {
  const train = new MemorySplit(t.images.map((x) => Float32Array.from(x)), t.labels, shape);
  return {
    name: t.name, domain: 'test', classNames: t.classNames, templates: [t.template],
    split(s: SplitName) {
      if (s !== 'train') throw new Error(`${t.name}: no ${s} split`);
      return train;
    },
  };
});
const referenceSet = {
  captions: fx.reference.captions,
  images: Float32Array.from(fx.reference.images.flat()),
  shape: [fx.reference.images.length, ...shape] as [number, number, number, number],
};
const refBatch = fx.reference.images.length;

/** Runs `method` through both tasks; returns each step's losses and the weights after each task. */
async function runMethod(name: string, options: Record<string, unknown>): Promise<Case> {
  await initBackend();
  const model = new LinearDualEncoder(fx.sizes, fx.init, fx.logitScale);
  const method = createMethod(name, options);
  const history: Record<string, number>[] = [];
  const weightsAfterTask: Record<string, number[]>[] = [];
  try {
    for (let t = 0; t < datasets.length; t++) {
      const r = await trainOnTask(model, { taskIndex: t, dataset: datasets[t] }, { ...fx.train, plugins: [method] });
      history.push(...r.history);
      weightsAfterTask.push(model.weights());
    }
  } finally {
    method.dispose?.();
    model.dispose();
  }
  return { history, weightsAfterTask };
}

/** Largest absolute difference between the run and an oracle case (losses and weights). */
function maxDiff(got: Case, want: Case): { where: string; diff: number } {
  let worst = { where: '', diff: 0 };
  const see = (where: string, a: number | undefined, b: number) => {
    const d = a === undefined ? Infinity : Math.abs(a - b);
    if (!(d <= worst.diff)) worst = { where, diff: d };
  };
  want.history.forEach((h, s) => { for (const [k, v] of Object.entries(h)) see(`step ${s} loss ${k}`, got.history[s]?.[k], v); });
  want.weightsAfterTask.forEach((w, t) => {
    for (const [k, v] of Object.entries(w)) v.forEach((x, i) => see(`task ${t} ${k}[${i}]`, got.weightsAfterTask[t]?.[k]?.[i], x));
  });
  return worst;
}

const TOL = 1e-5;
const runs: [string, string, Record<string, unknown>][] = [
  ['finetune', 'finetune', {}],
  ['l2', 'l2', {}],
  ['ewc', 'ewc', { lambda: 10, fisherBatches: 1, fisherBatchSize: 6 }],
  ['icarl', 'icarl', { bufferSize: 6, replayBatchSize: 6 }],
  ['lwf', 'lwf', {}],
  ['wise-ft', 'wise-ft', { alpha: 0.5 }],
  ['zscl', 'zscl', { referenceSet, referenceBatchSize: refBatch, referenceTexts: fx.referenceTexts, avgFreq: 1 }],
  ['primed teacher=last', 'primed', { referenceSet, referenceBatchSize: refBatch, teacher: 'last' }],
  ['primed teacher=initial', 'primed', { referenceSet, referenceBatchSize: refBatch, teacher: 'initial' }],
  ['primed teacher=wise:0.3', 'primed', { referenceSet, referenceBatchSize: refBatch, teacher: 'wise:0.3' }],
];

for (const [label, name, options] of runs) {
  test(`one-step oracle: ${label} matches PyTorch (every loss term of 4 steps, weights after each task) to 1e-5`, async () => {
    const got = await runMethod(name, options);
    const want = fx.cases[label];
    assert.ok(want, `fixture lacks case ${label}`);
    const { where, diff } = maxDiff(got, want);
    assert.ok(diff < TOL, `${label}: ${where} differs by ${diff}`);
  });
}

test('one-step oracle: PRIMED is told apart from a DFG with a flipped sign, a doubled scale, or none at all', async () => {
  const got = await runMethod('primed', { referenceSet, referenceBatchSize: refBatch, teacher: 'last' });
  for (const wrong of ['primed DFG sign flipped (must not match)', 'primed DFG scale x2 (must not match)', 'primed without DFG (must not match)']) {
    const { diff } = maxDiff(got, fx.cases[wrong]);
    assert.ok(diff > 100 * TOL, `${wrong}: only ${diff} away, the oracle could not tell`);
  }
});

test('one-step oracle: the teacher choices give different steps (initial ≠ last ≠ wise:0.3 on the second task)', () => {
  const a = fx.cases['primed teacher=last'], b = fx.cases['primed teacher=initial'], c = fx.cases['primed teacher=wise:0.3'];
  assert.ok(maxDiff(a, b).diff > 100 * TOL && maxDiff(a, c).diff > 100 * TOL && maxDiff(b, c).diff > 100 * TOL);
});

test('zscl: a bad referenceTexts is refused naming the option', () => {
  assert.throws(() => createMethod('zscl', { referenceSet, referenceTexts: [] }), /method zscl: option referenceTexts must be "batch" or a non-empty list of non-empty sentences/);
  assert.throws(() => createMethod('zscl', { referenceSet, referenceTexts: 'all' }), /option referenceTexts must be/);
});
