import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paperTables } from '../src/paper';
import * as fs from 'node:fs';
import * as path from 'node:path';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('Tables 7/8: every per-dataset row averages to the printed average (transcription check)', () => {
  // The printed "avg" column is the oracle; the JSON keeps only the per-dataset entries.
  const md = fs.readFileSync(path.join(__dirname, '..', 'docs', 'primed-paper.md'), 'utf8');
  for (const t of [paperTables.table7, paperTables.table8]) {
    for (const part of ['transfer', 'avg', 'last'] as const) {
      for (const [method, row] of Object.entries(t[part])) {
        const line = md.split('\n').find((l) => l.startsWith(`| ${method} | ${row[0].toFixed(2)} `));
        assert.ok(line, `row ${method} ${part} found in the notes`);
        const printed = Number(line!.trim().replace(/\|$/, '').split('|').pop()!.trim());
        assert.ok(Math.abs(mean(row) - printed) <= 0.011, `${method} ${part}: mean ${mean(row)} vs printed ${printed}`);
      }
    }
  }
});

test('Table 1 headline numbers and Table 7 zero-shot row agree with the paper', () => {
  assert.deepEqual(paperTables.table1['PRIMED_dyn'].I, [58.3, 73.1, 82.1]);
  assert.deepEqual(paperTables.table2['PRIMED_dyn'].II, [68.1, 86.3, -3.4]);
  assert.equal(paperTables.table7.zeroShot.length, 9);
  // Table 1's zero-shot Avg is the mean of Table 7's zero-shot row.
  assert.equal(Math.round(mean(paperTables.table7.zeroShot) * 10) / 10, paperTables.table1['Zero-shot'].I[1]);
  assert.equal(Math.round(mean(paperTables.table7.fineTune) * 100) / 100, 85.15);
});
