/**
 * The one CSV parser (src/data/csv.ts) and the three readers built on it: task manifests, memory
 * importers and accuracy-matrix files. Expected rows are RFC 4180's (the same as Python's `csv`
 * module gives for these texts); errors name the file and the line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCsv } from '../src/data/csv';
import { parseMatrixCsv } from '../src/eval/matrix-io';
import { importEntries } from '../src/memory/importers';

test('parseCsv: quoted fields, doubled quotes, newlines inside quotes, CRLF; each row knows its starting line', () => {
  const text = 'id,caption\r\n1,"a ""quoted"", caption"\r\n\r\n2,"two\nlines"\n3,plain\n';
  const { rows, lines } = parseCsv(text, 'x.csv');
  assert.deepEqual(rows, [['id', 'caption'], ['1', 'a "quoted", caption'], ['2', 'two\nlines'], ['3', 'plain']]);
  assert.deepEqual(lines, [1, 2, 4, 6]);
  // no final newline, an empty last field, a lone CR line end
  assert.deepEqual(parseCsv('a,b\r1,', 'y.csv').rows, [['a', 'b'], ['1', '']]);
});

test('parseCsv: quoting errors name the file and the line', () => {
  assert.throws(() => parseCsv('a,b\r\n1,2\r\n3,"open\r\nx,y\r\n', 'u.csv'), /^Error: u\.csv:3: unterminated quoted field/);
  assert.throws(() => parseCsv('a,b\n1,"closed" late\n', 's.csv'), /^Error: s\.csv:2: text after the closing quote of a field opened on line 2/);
  assert.throws(() => parseCsv('a,b\n1,"two\nlines"x\n', 't.csv'), /^Error: t\.csv:3: text after the closing quote of a field opened on line 2/);
});

test('the readers share it: a quoted header and multi-line captions read the same in a memory import and a matrix file', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-csv-'));
  const good = path.join(d, 'e.csv');
  fs.writeFileSync(good, '"id","caption"\nr1,"lung ct, axial"\n\nr2,"brain\nmri"\n');
  assert.deepEqual(importEntries(good).entries.map((e) => [e.id, e.caption]), [['r1', 'lung ct, axial'], ['r2', 'brain\nmri']]);
  // an entry's error names the line it starts on, after a blank line and a two-line caption
  const bad = path.join(d, 'b.csv');
  fs.writeFileSync(bad, 'id,caption\nr1,"lung ct, axial"\n\nr2,"brain\nmri"\nr3, \n');
  assert.throws(() => importEntries(bad), /b\.csv:6 \(id "r3"\): field "caption" must be a non-empty string/);
  const m = parseMatrixCsv('# ZSCL order I\n"after_task","A, 1","B"\nA,80.5,20\n\n"B",70,90\n', 'm.csv');
  assert.deepEqual(m.columns, ['A, 1', 'B']);
  assert.deepEqual(m.rows, [[80.5, 20], [70, 90]]);
  // line numbers count the comment and blank lines
  assert.throws(() => parseMatrixCsv('# c\n80,20\n\n70,x\n', 'm.csv'), /m\.csv: line 4, column 2 is "x", not a number/);
});
