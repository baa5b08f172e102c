import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binaryRocAuc, macroOvrAuc } from '../src/eval/auc';
import { computeMetrics } from '../src/eval/metrics';

interface AucCase { name: string; classes: number; labels: number[]; scores: number[]; perClass: (number | null)[]; skipped: number[]; macro: number | null }
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'eval', 'auc-cases.json'), 'utf8')) as { cases: AucCase[] };

for (const c of fixture.cases) {
  test(`macro OvR AUC matches the numpy Mann-Whitney oracle: ${c.name}`, () => {
    const r = macroOvrAuc(new Float32Array(c.scores), new Int32Array(c.labels), c.classes);
    assert.deepEqual(r.skipped, c.skipped);
    r.perClass.forEach((a, k) => {
      if (c.perClass[k] === null) assert.equal(a, null);
      else assert.ok(Math.abs(a! - c.perClass[k]!) < 1e-12, `class ${k}: ${a} vs ${c.perClass[k]}`);
    });
    assert.ok(Math.abs(r.auc! - c.macro!) < 1e-12);
  });
}

test('binary AUC, hand-worked: the scikit-learn docs example and tied scores', () => {
  // sklearn: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
  assert.equal(binaryRocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
  // ties: positives {0.5, 0.9}, negatives {0.5, 0.5}: pairs 0.5+0.5+1+1 = 3 of 4
  assert.equal(binaryRocAuc([0.5, 0.5, 0.5, 0.9], [false, true, false, true]), 0.75);
  // all tied: the ROC is the diagonal
  assert.equal(binaryRocAuc([1, 1, 1, 1, 1], [true, false, true, false, false]), 0.5);
  // perfect and inverted rankings
  assert.equal(binaryRocAuc([0.1, 0.2, 0.9], [false, false, true]), 1);
  assert.equal(binaryRocAuc([0.9, 0.2, 0.1], [false, false, true]), 0);
  assert.equal(binaryRocAuc([0.3, 0.4], [true, true]), null);
});

test('a class absent from the test set is skipped in the macro mean', () => {
  // 3 classes, class 2 never occurs. Class 0: positives {0.9, 0.6} vs negatives {0.2, 0.7}: 3/4.
  // Class 1: positives {0.8, 0.3} vs negatives {0.1, 0.4}: 3/4. Macro over classes 0, 1 = 0.75.
  const scores = new Float32Array([0.9, 0.1, 0.5, 0.6, 0.4, 0.5, 0.2, 0.8, 0.5, 0.7, 0.3, 0.5]);
  const r = macroOvrAuc(scores, new Int32Array([0, 0, 1, 1]), 3);
  assert.deepEqual(r.skipped, [2]);
  assert.equal(r.perClass[2], null);
  assert.equal(r.perClass[0], 0.75);
  assert.equal(r.perClass[1], 0.75);
  assert.equal(r.auc, 0.75);
  // only one class present: no class has negatives, no AUC at all
  assert.equal(macroOvrAuc(new Float32Array([0.2, 0.8, 0.4, 0.6]), new Int32Array([1, 1]), 2).auc, null);
});

test('bad AUC input is a clear error; a task without AUC makes the mean null with a reason', () => {
  assert.throws(() => macroOvrAuc(new Float32Array(5), new Int32Array(2), 3), /expected labels \(2\) × classes \(3\)/);
  assert.throws(() => macroOvrAuc(new Float32Array(4), new Int32Array([0, 2]), 2), /label 1 is 2/);
  const m = computeMetrics([[50, 40], [45, 60]], { aucPerTask: [80, null] });
  assert.equal(m.auc, null);
  assert.match(m.undefinedReasons.auc!, /task\(s\) 1/);
  assert.equal(computeMetrics([[50, 40], [45, 60]], { aucPerTask: [80, 70] }).auc, 75);
});
