/**
 * Reading and writing accuracy matrices: CSV (with or without a header row and a row-label
 * column), JSON (`number[][]`, `{ matrix }`, or a protocol `result.json`) and NumPy `.npy`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNpy } from '../data/npy';
import { parseCsv } from '../data/csv';

/** What a matrix file held, before any validation of its shape. */
export interface MatrixFile {
  /** The numbers, row by row (possibly ragged or non-square: the caller validates). */
  rows: number[][];
  /** Column names, when the CSV had a header row or the JSON named its tasks. */
  columns?: string[];
  /** The zero-shot row, when the file carries one (a protocol `result.json`). */
  zeroShot?: number[];
}

/** Options of {@link readMatrixFile}. */
export interface ReadMatrixOptions {
  /**
   * For a 1-D `.npy`, the `[rows, cols]` to reshape it to. Default: square when the length is a
   * square number, else `rows × (rows + extraColumns)` when `extraColumns` is given.
   */
  shape?: [number, number];
  /**
   * Columns a 1-D `.npy` has beyond a square (ZSCL's files are 11×12 and drop one column):
   * with 1, 132 values reshape to 11×12.
   */
  extraColumns?: number;
}

function isNumeric(cell: string): boolean {
  return cell.trim() !== '' && Number.isFinite(Number(cell));
}

/** A number that is not finite (`NaN`, `inf`, `-Infinity`): a bad value, never a header or a label. */
function isNonFiniteNumber(cell: string): boolean {
  return /^[+-]?(nan|inf|infinity)$/i.test(cell.trim());
}

/** Whether a cell reads as text (a header or row label), not as a number, finite or not. */
function isText(cell: string): boolean {
  return !isNumeric(cell) && !isNonFiniteNumber(cell);
}

/**
 * Parses CSV text of numbers. A first line with any non-numeric cell is a header; a first
 * column that is non-numeric on every data row holds row labels and is dropped. Errors name
 * the file, line and column.
 */
export function parseMatrixCsv(text: string, where = 'csv'): MatrixFile {
  // `#` comment lines are blanked (kept as lines, so errors still give the file's line numbers); blank rows are skipped.
  const parsed = parseCsv(text.split(/\r?\n/).map((l) => (l.trimStart().startsWith('#') ? '' : l)).join('\n'), where);
  let table = parsed.rows.map((r, i) => ({ cells: r.map((c) => c.trim()), n: parsed.lines[i] })).filter(({ cells }) => !(cells.length === 1 && cells[0] === ''));
  if (table.length === 0) throw new Error(`${where}: no rows`);
  let columns: string[] | undefined;
  if (table[0].cells.some(isText) && !table[0].cells.some(isNonFiniteNumber)) {
    columns = table[0].cells;
    table = table.slice(1);
    if (table.length === 0) throw new Error(`${where}: only a header row, no numbers`);
  }
  const labelled = table.every((r) => isText(r.cells[0]));
  if (labelled) {
    table = table.map((r) => ({ cells: r.cells.slice(1), n: r.n }));
    if (columns && columns.length === table[0].cells.length + 1) columns = columns.slice(1);
  }
  const rows = table.map(({ cells, n }) =>
    cells.map((c, j) => {
      if (!isNumeric(c)) throw new Error(`${where}: line ${n}, column ${j + (labelled ? 2 : 1)} is "${c}", not a number`);
      return Number(c);
    }),
  );
  return { rows, columns };
}

/** Parses the JSON forms: `number[][]`, `{ matrix: number[][], tasks?, zeroShot? }`. */
export function parseMatrixJson(value: unknown, where = 'json'): MatrixFile {
  if (Array.isArray(value)) return { rows: value as number[][] };
  if (value && typeof value === 'object' && 'matrix' in value) {
    const v = value as { matrix: unknown; tasks?: unknown; zeroShot?: unknown };
    if (!Array.isArray(v.matrix)) throw new Error(`${where}: field "matrix" is not an array of rows`);
    const out: MatrixFile = { rows: v.matrix as number[][] };
    if (Array.isArray(v.tasks) && v.tasks.every((t) => typeof t === 'string')) out.columns = v.tasks as string[];
    if (Array.isArray(v.zeroShot)) out.zeroShot = v.zeroShot as number[];
    return out;
  }
  throw new Error(`${where}: expected a JSON array of rows or an object with a "matrix" field`);
}

/** Decodes a `.npy` file into its shape and its values as plain numbers. */
function readNpyNumbers(bytes: Uint8Array, where: string): { shape: number[]; data: number[] } {
  const arr = readNpy(bytes, where);
  return { shape: arr.shape, data: Array.from(arr.data as ArrayLike<number | bigint>, Number) };
}

/** Reads a `.npy` array of 1 or 2 dimensions as rows (a 1-D array is reshaped per `shape`). */
export function parseMatrixNpy(bytes: Uint8Array, where = 'npy', options: ReadMatrixOptions = {}): MatrixFile {
  const arr = readNpyNumbers(bytes, where);
  const data = arr.data;
  let rows: number;
  let cols: number;
  if (options.shape) {
    [rows, cols] = options.shape;
  } else if (arr.shape.length === 2) {
    [rows, cols] = arr.shape;
  } else if (arr.shape.length === 1) {
    const extra = options.extraColumns ?? 0;
    // rows × (rows + extra) = n  ⇒  rows = (−extra + √(extra² + 4n)) / 2
    rows = Math.round((-extra + Math.sqrt(extra * extra + 4 * data.length)) / 2);
    cols = rows + extra;
    if (rows * cols !== data.length) {
      throw new Error(`${where}: a 1-D array of ${data.length} values is not R×(R+${extra}); give its shape (--shape ROWS,COLS)`);
    }
  } else {
    throw new Error(`${where}: expected a 1-D or 2-D array, got shape [${arr.shape.join(', ')}]`);
  }
  if (rows * cols !== data.length) throw new Error(`${where}: ${data.length} values cannot be reshaped to ${rows}×${cols}`);
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(data.slice(r * cols, (r + 1) * cols));
  return { rows: out };
}

/** Reads a matrix file by extension: `.csv`, `.json` or `.npy`. Errors name the file. */
export function readMatrixFile(file: string, options: ReadMatrixOptions = {}): MatrixFile {
  const ext = path.extname(file).toLowerCase();
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (ext === '.csv' || ext === '.txt') return parseMatrixCsv(bytes.toString('utf8'), file);
  if (ext === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
    }
    return parseMatrixJson(value, file);
  }
  if (ext === '.npy') return parseMatrixNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file, options);
  throw new Error(`${file}: unknown extension "${ext}"; expected .csv, .json or .npy`);
}

/**
 * Reads a per-dataset row (e.g. zero-shot accuracies): a one-row CSV/npy, a JSON `number[]`,
 * `{ zeroShot: number[] }` or `{ row: number[] }`.
 */
export function readRowFile(file: string): number[] {
  if (path.extname(file).toLowerCase() === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: cannot read a JSON row (${(err as Error).message})`);
    }
    const v = value as { zeroShot?: unknown; row?: unknown };
    const row = Array.isArray(value) ? value : (v?.zeroShot ?? v?.row);
    if (!Array.isArray(row)) throw new Error(`${file}: expected a JSON array of numbers, or an object with "zeroShot" or "row"`);
    return row as number[];
  }
  if (path.extname(file).toLowerCase() === '.npy') {
    const arr = readNpyNumbers(new Uint8Array(fs.readFileSync(file)), file);
    if (arr.shape.length === 1 || (arr.shape.length === 2 && (arr.shape[0] === 1 || arr.shape[1] === 1))) return arr.data;
    throw new Error(`${file}: expected a 1-D array (one value per dataset), got shape [${arr.shape.join(', ')}]`);
  }
  const m = readMatrixFile(file);
  if (m.rows.length === 1) return m.rows[0];
  if (m.rows.every((r) => r.length === 1)) return m.rows.map((r) => r[0]);
  throw new Error(`${file}: expected a single row of numbers, found ${m.rows.length} rows`);
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Renders rows as CSV with a header of `columns`; with `rowLabels`, a first column named
 * `rowHeader` holds them. Numbers are written in full precision (round-trip exact).
 */
export function matrixToCsv(rows: number[][], columns: string[], rowLabels?: string[], rowHeader = 'after_task'): string {
  const head = (rowLabels ? [rowHeader, ...columns] : columns).map(csvCell).join(',');
  const body = rows.map((r, i) => (rowLabels ? [csvCell(rowLabels[i]), ...r.map(String)] : r.map(String)).join(','));
  return [head, ...body].join('\n') + '\n';
}
