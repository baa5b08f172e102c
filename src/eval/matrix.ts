/**
 * The accuracy matrix of the MGTIL protocol and the pure reshaping helpers that bring other
 * layouts (ZSCL's 11×12 files, Order II permutations) into it.
 *
 * `A[t][d]` = top-1 accuracy (%) on dataset `d` after training task `t`; rows and columns both
 * follow the training order, so the matrix is square (T×T).
 */

/** A T×T accuracy matrix: rows = after task t, columns = datasets in training order. */
export type AccuracyMatrix = number[][];

/**
 * Checks that `m` is a non-empty square matrix of finite numbers in [0, 100] (percentages) and returns it.
 * Errors name the source (`where`), the row and, where it applies, the column.
 */
export function validateMatrix(m: unknown, where = 'matrix'): AccuracyMatrix {
  if (!Array.isArray(m) || m.length === 0) throw new Error(`${where}: expected a non-empty array of rows`);
  const rows = m.length;
  m.forEach((row: unknown, r) => {
    if (!Array.isArray(row)) throw new Error(`${where}: row ${r} is not an array`);
    if (row.length !== rows) {
      throw new Error(
        `${where}: row ${r} has ${row.length} values but the matrix has ${rows} rows; an accuracy matrix must be square (T×T)`,
      );
    }
    row.forEach((v: unknown, c) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`${where}: row ${r}, column ${c} is ${JSON.stringify(v) ?? String(v)}, not a finite number`);
      }
      if (v < 0 || v > 100) throw new Error(`${where}: row ${r}, column ${c} is ${v}, outside [0, 100] (accuracies are percentages)`);
    });
  });
  return m as AccuracyMatrix;
}

/** Checks a per-dataset row (e.g. the zero-shot accuracies) of length `length`. */
export function validateRow(row: unknown, length: number, where = 'row'): number[] {
  if (!Array.isArray(row)) throw new Error(`${where}: expected an array of numbers`);
  if (row.length !== length) throw new Error(`${where}: has ${row.length} values, expected ${length} (one per dataset)`);
  row.forEach((v: unknown, c) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: column ${c} is ${JSON.stringify(v) ?? String(v)}, not a finite number`);
    if (v < 0 || v > 100) throw new Error(`${where}: column ${c} is ${v}, outside [0, 100] (accuracies are percentages)`);
  });
  return row as number[];
}

/** Reshapes a flat row-major array into `rows × cols`; errors when the sizes disagree. */
export function reshape(data: ArrayLike<number>, rows: number, cols: number, where = 'matrix'): number[][] {
  if (data.length !== rows * cols) throw new Error(`${where}: ${data.length} values cannot be reshaped to ${rows}×${cols}`);
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) out.push(Array.from({ length: cols }, (_, c) => Number(data[r * cols + c])));
  return out;
}

/** Removes column `k` from every row (ZSCL drops CIFAR10, column 2, this way). */
export function dropColumn(m: number[][], k: number, where = 'matrix'): number[][] {
  const cols = m[0]?.length ?? 0;
  if (!Number.isInteger(k) || k < 0 || k >= cols) throw new Error(`${where}: --drop-column ${k} is outside 0..${cols - 1}`);
  return m.map((row) => row.filter((_, c) => c !== k));
}

/** Checks that `order` is a permutation of 0..n-1. */
export function validatePermutation(order: number[], n: number, where = 'permutation'): number[] {
  if (order.length !== n) throw new Error(`${where}: has ${order.length} entries, expected ${n}`);
  const seen = new Set<number>();
  for (const i of order) {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`${where}: entry ${i} is outside 0..${n - 1}`);
    if (seen.has(i)) throw new Error(`${where}: entry ${i} appears twice`);
    seen.add(i);
  }
  return order;
}

/**
 * Reorders rows and columns: `out[i][j] = m[order[i]][order[j]]` (numpy's `a[p][:, p]`, which
 * is how ZSCL reads its Order II files).
 */
export function permuteMatrix(m: AccuracyMatrix, order: number[], where = 'matrix'): AccuracyMatrix {
  validatePermutation(order, m.length, `${where}: permutation`);
  return order.map((i) => order.map((j) => m[i][j]));
}

/** Reorders the entries of a per-dataset row: `out[j] = row[order[j]]`. */
export function permuteRow<T>(row: T[], order: number[], where = 'row'): T[] {
  validatePermutation(order, row.length, `${where}: permutation`);
  return order.map((j) => row[j]);
}

/** The zero-shot baseline as ZSCL reports it: the zero-shot row repeated T times. */
export function repeatRow(row: number[]): AccuracyMatrix {
  return row.map(() => row.slice());
}
