import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMetrics, perDataset } from '../src/eval/metrics';
import { repeatRow } from '../src/eval/matrix';
import { MX_METRICS, matrixTable, orderedSummaryTable, perDatasetTable, perDatasetTables, renderTable, resultsTable, summaryTable, toDataFrame, fromDataFrame } from '../src/eval/tables';

const HAND = [
  [80, 30, 20],
  [85, 90, 25],
  [60, 85, 95],
];
const ZS = repeatRow([50, 28, 22]);
const DATASETS = ['RANZCR', 'CheXchoNet', 'PD'];

test('Tables 1/2 layout: methods × metrics, per order, with null for undefined metrics', () => {
  const t = summaryTable({ 'Zero-shot': computeMetrics(ZS), Toy: computeMetrics(HAND) });
  assert.deepEqual(t.index, ['Zero-shot', 'Toy']);
  assert.deepEqual(t.columns, ['Transfer', 'Avg', 'Last']);
  assert.equal(t.values[1][0], 26.25);
  assert.ok(Math.abs(t.values[1][1]! - 570 / 9) < 1e-12);
  assert.equal(t.values[1][2], 80);
  const mx = summaryTable({ one: computeMetrics([[70]]) }, MX_METRICS);
  assert.deepEqual(mx.columns, ['ACC', 'AUC', 'BWT']);
  assert.deepEqual(mx.values[0], [70, null, null]);
  const both = orderedSummaryTable({ Toy: { I: computeMetrics(HAND), II: computeMetrics(ZS) } });
  assert.deepEqual(both.columns, ['I-Transfer', 'I-Avg', 'I-Last', 'II-Transfer', 'II-Avg', 'II-Last']);
  assert.equal(both.values[0][0], 26.25);
  assert.equal(both.values[0][3], 25);
});

test('Tables 7/8 layout: per metric, methods × datasets + avg; the avg column is the matrix metric', () => {
  const t = perDatasetTables({ Toy: perDataset(HAND), 'Zero-shot': perDataset(ZS) }, DATASETS);
  assert.deepEqual(t.transfer.columns, ['CheXchoNet', 'PD', 'avg']); // the first task has no Transfer
  assert.deepEqual(t.transfer.values[0], [30, 22.5, 26.25]);
  assert.deepEqual(t.avg.columns, [...DATASETS, 'avg']);
  assert.ok(Math.abs(t.avg.values[0][3]! - 570 / 9) < 1e-12);
  assert.deepEqual(t.last.values[0], [60, 85, 95, 80]);
  assert.throws(() => perDatasetTables({ Toy: perDataset(HAND) }, ['a', 'b']), /method "Toy" has 3 transfer values, but there are 2 datasets/);
  const one = perDatasetTable(perDataset(HAND), DATASETS);
  assert.deepEqual(one.values, [[null, 75, 60], [30, 205 / 3, 85], [22.5, 140 / 3, 95]]);
});

test('danfojs DataFrame keeps index, columns and values; the text renderer aligns them', () => {
  const t = perDatasetTables({ Toy: perDataset(HAND), 'Zero-shot': perDataset(ZS) }, DATASETS).transfer;
  const df = toDataFrame(t);
  assert.deepEqual(df.index, ['Toy', 'Zero-shot']);
  assert.deepEqual(df.columns, ['CheXchoNet', 'PD', 'avg']);
  assert.deepEqual(df.shape, [2, 3]);
  assert.deepEqual(fromDataFrame(df).values, t.values);
  const text = renderTable(df, { decimals: 2 });
  assert.equal(
    text,
    ['           CheXchoNet     PD    avg', 'Toy             30.00  22.50  26.25', 'Zero-shot       28.00  22.00  25.00'].join('\n'),
  );
  const withNull = renderTable(perDatasetTable(perDataset(HAND), DATASETS, 'Toy'), { decimals: 1 });
  assert.match(withNull, /^Toy\n/);
  assert.match(withNull, /RANZCR\s+–\s+75\.0\s+60\.0/);
});

test('toDataFrame of results: one run gives its accuracy matrix (zero-shot row first), runs by name give their metrics; values equal the plain tables', () => {
  const run = (matrix: number[][], zeroShot: number[] | null) => ({ tasks: DATASETS, matrix, zeroShot, metrics: matrix.length === 3 ? computeMetrics(matrix, zeroShot ? { zeroShot } : {}) : null });
  const toy = run(HAND, [50, 28, 22]);
  const m = toDataFrame(toy);
  assert.deepEqual(m.index, ['zero-shot', 'after RANZCR', 'after CheXchoNet', 'after PD']);
  assert.deepEqual(m.columns, DATASETS);
  assert.deepEqual(m.values, [[50, 28, 22], ...HAND]);
  assert.deepEqual(fromDataFrame(m), { ...matrixTable(toy), title: undefined });
  // an unfinished run: only its done rows, and no metrics yet
  const partial = run(HAND.slice(0, 1), null);
  assert.deepEqual(toDataFrame(partial).index, ['after RANZCR']);
  const runs = { Toy: toy, 'Zero-shot': run(ZS, null), partial };
  const df = toDataFrame(runs);
  const plain = resultsTable(runs);
  assert.deepEqual(df.index, ['Toy', 'Zero-shot', 'partial']);
  assert.deepEqual(df.columns, ['Transfer', 'Avg', 'Last']);
  assert.deepEqual(fromDataFrame(df).values, plain.values);
  assert.equal(plain.values[0][0], 26.25); // the hand-worked Transfer of HAND
  assert.deepEqual(plain.values[2], [null, null, null]);
  assert.deepEqual(fromDataFrame(toDataFrame(runs, MX_METRICS)).columns, ['ACC', 'AUC', 'BWT']);
  assert.throws(() => toDataFrame({ x: 1 } as never), /toDataFrame: expected a table .*a run result .*runs by name/);
});
