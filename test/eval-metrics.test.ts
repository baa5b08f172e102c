import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readMatrixFile } from '../src/eval/matrix-io';
import { dropColumn, permuteMatrix, repeatRow, validateMatrix } from '../src/eval/matrix';
import {
  acc, avg, bwt, computeMetrics, forgetting, fwt, last, meanSd, perDataset, summarizeSeeds, transfer,
} from '../src/eval/metrics';

const ZSCL = path.join(__dirname, 'fixtures', 'zscl');
const ORDER_II = [9, 6, 7, 8, 5, 10, 0, 1, 3, 4, 2];

/** ZSCL's published table (test/fixtures/zscl/README.md). */
const PUBLISHED: [string, boolean, number, number, number][] = [
  ['t3_1.npy', false, 44.6, 55.9, 77.3],
  ['t3_2.npy', false, 56.9, 64.7, 74.6],
  ['t3_7.npy', false, 68.1, 75.4, 83.6],
  ['t9_7.npy', true, 64.2, 74.5, 83.4],
];

const round1 = (x: number) => Math.round(x * 10) / 10;

function zsclMatrix(file: string, orderII: boolean): number[][] {
  const read = readMatrixFile(path.join(ZSCL, file), { extraColumns: 1 });
  assert.equal(read.rows.length, 11);
  assert.equal(read.rows[0].length, 12);
  const A = dropColumn(read.rows, 2);
  return orderII ? permuteMatrix(validateMatrix(A), ORDER_II) : validateMatrix(A);
}

for (const [file, orderII, pubTransfer, pubAvg, pubLast] of PUBLISHED) {
  test(`ZSCL golden: ${file} gives the published Transfer/Avg/Last`, () => {
    const A = zsclMatrix(file, orderII);
    assert.equal(round1(transfer(A)!), pubTransfer);
    assert.equal(round1(avg(A)), pubAvg);
    assert.equal(round1(last(A)), pubLast);
  });
}

test('ZSCL golden: Order II without the permutation would not match (the permutation matters)', () => {
  const A = zsclMatrix('t9_7.npy', false);
  assert.notEqual(round1(transfer(A)!), 64.2);
});

test('PRIMED Table 1 zero-shot row repeated 9× gives Transfer 57.5 and Avg 52.9', () => {
  const z = [16.44, 28.34, 52.07, 53.88, 52.65, 57.45, 62.28, 96.46, 56.49];
  const A = repeatRow(z);
  assert.equal(round1(transfer(A)!), 57.5);
  assert.equal(round1(avg(A)), 52.9);
  // Table 7's Transfer columns for the zero-shot model are the zero-shot entries 2..9
  const pdT = perDataset(A).transfer;
  assert.equal(pdT[0], null);
  pdT.slice(1).forEach((v, i) => assert.ok(Math.abs(v! - z[i + 1]) < 1e-9, `dataset ${i + 1}`));
  // Zero-shot against itself: no forward transfer, no forgetting
  assert.equal(fwt(A, z), 0);
  assert.ok(Math.abs(forgetting(A)!) < 1e-12);
  assert.equal(bwt(A), 0);
});

// Hand-worked 3×3 case.
// A = [[80, 30, 20], [85, 90, 25], [60, 85, 95]], zero-shot z = [50, 28, 22]
//  Transfer: d1: 30; d2: (20+25)/2 = 22.5 → 26.25      Avg: 570/9 = 63.333…   Last: 240/3 = 80
//  BWT: ((60−80) + (85−90))/2 = −12.5                   Forgetting: ((85−60) + (90−85))/2 = 15
//  FWT: ((30−28) + (25−22))/2 = 2.5
const HAND = [
  [80, 30, 20],
  [85, 90, 25],
  [60, 85, 95],
];
test('hand-worked 3×3: every metric', () => {
  const m = computeMetrics(HAND, { zeroShot: [50, 28, 22] });
  assert.equal(m.tasks, 3);
  assert.equal(m.transfer, 26.25);
  assert.ok(Math.abs(m.avg - 570 / 9) < 1e-12);
  assert.equal(m.last, 80);
  assert.equal(m.acc, 80);
  assert.equal(m.bwt, -12.5);
  assert.equal(m.forgetting, 15);
  assert.equal(m.fwt, 2.5);
  assert.deepEqual(m.undefinedReasons, {});
  assert.equal(acc(HAND), 80);
});

test('hand-worked 3×3: per-dataset breakdown (Tables 7/8) and its means', () => {
  const pd = perDataset(HAND);
  assert.deepEqual(pd.transfer, [null, 30, 22.5]);
  assert.deepEqual(pd.avg, [75, 205 / 3, 140 / 3]);
  assert.deepEqual(pd.last, [60, 85, 95]);
  // the row means of the tables are the matrix-level metrics
  assert.equal((30 + 22.5) / 2, transfer(HAND));
});

test('a single task: Transfer/BWT/Forgetting/FWT are null with reasons, never NaN', () => {
  const m = computeMetrics([[70]], { zeroShot: [40] });
  assert.equal(m.transfer, null);
  assert.equal(m.bwt, null);
  assert.equal(m.forgetting, null);
  assert.equal(m.fwt, null);
  assert.equal(m.avg, 70);
  assert.equal(m.last, 70);
  for (const k of ['transfer', 'bwt', 'forgetting', 'fwt'] as const) assert.match(m.undefinedReasons[k] ?? '', /single task/);
});

test('ragged, non-square or non-numeric matrices are errors naming the row', () => {
  assert.throws(() => computeMetrics([[1, 2], [3]]), /row 1 has 1 values/);
  assert.throws(() => computeMetrics([[1, 2, 3], [4, 5, 6]]), /row 0 has 3 values but the matrix has 2 rows/);
  assert.throws(() => computeMetrics([[1, NaN], [3, 4]]), /row 0, column 1/);
  assert.throws(() => computeMetrics([]), /non-empty/);
  assert.throws(() => fwt(HAND, [1, 2]), /zero-shot row: has 2 values, expected 3/);
});

test('mean ± sample sd over seeds (n−1 divisor)', () => {
  // numpy: np.std([1, 2, 3, 4], ddof=1) = 1.2909944487358056
  const s = meanSd([1, 2, 3, 4]);
  assert.equal(s.mean, 2.5);
  assert.ok(Math.abs(s.sd! - 1.2909944487358056) < 1e-15);
  assert.deepEqual(meanSd([5]), { mean: 5, sd: null, n: 1 });
  assert.throws(() => meanSd([]), /at least one/);
  const a = computeMetrics(HAND);
  const b = computeMetrics(HAND.map((r) => r.map((v) => v + 2)));
  const agg = summarizeSeeds([a, b]);
  assert.equal(agg.last!.mean, 81);
  assert.ok(Math.abs(agg.last!.sd! - Math.SQRT2) < 1e-12); // sd of {80, 82}, n−1
  assert.equal(agg.bwt!.sd, 0);
  assert.equal(agg.fwt, undefined);
  assert.throws(() => summarizeSeeds([a, computeMetrics([[1]])]), /seed 1 has 1 tasks/);
});
