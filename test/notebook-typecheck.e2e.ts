/**
 * Every code cell of every notebook type-checks against the library (notebooks/check.ts
 * typecheck: the cells of a notebook as one module, `../dist/...` resolved to the sources), and a
 * type error in a cell is reported with its notebook, cell and line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { committedNotebooks, readNotebook, typecheckNotebooks, cellSource } from '../notebooks/check';

test('the committed notebooks type-check; an error names its cell and line', () => {
  const files = committedNotebooks();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-nbtype-'));
  try {
    const nb = readNotebook(files[files.length - 1]);
    const index = nb.cells.findIndex((c) => c.cell_type === 'code');
    nb.cells[index].source = cellSource(nb.cells[index]) + '\nconst notANumber: number = "text";';
    const bad = path.join(tmp, 'bad.ipynb');
    fs.writeFileSync(bad, JSON.stringify(nb));
    const errors = typecheckNotebooks([...files, bad]);
    assert.deepEqual(errors.filter((e) => e.notebook !== bad), [], 'type errors in the committed notebooks');
    const mine = errors.filter((e) => e.notebook === bad);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].cell, index + 1);
    assert.equal(mine[0].line, cellSource(nb.cells[index]).split('\n').length);
    assert.match(mine[0].message, /TS2322/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
