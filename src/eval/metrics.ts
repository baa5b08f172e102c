/**
 * Continual-learning metrics as pure functions of the accuracy matrix (no I/O, no globals).
 *
 * `A[t][d]` = accuracy (%) on dataset `d` after training task `t`, T×T, training order.
 *
 * - **Transfer / Avg / Last**: exactly ZSCL's `mtil/results.ipynb`. Transfer = mean over
 *   datasets d ≥ 1 of mean(A[j][d] for j < d) (the strict upper triangle, dataset 0 has none);
 *   Avg = mean over datasets of the column mean (= the mean of all of A); Last = mean of the
 *   last row.
 * - **ACC** = mean of the last row (the Task-CL name for Last).
 * - **BWT** (Lopez-Paz & Ranzato 2017) = 1/(T−1) · Σ_{j<T−1} (A[T−1][j] − A[j][j]).
 * - **Forgetting** (Chaudhry et al. 2018) = mean over j < T−1 of max_{l<T−1} A[l][j] − A[T−1][j].
 * - **FWT** (forward transfer against the zero-shot row z) = mean over d ≥ 1 of A[d−1][d] − z[d]:
 *   how much training on the tasks before d changed d's accuracy just before d is trained,
 *   relative to the untouched model.
 *
 * With a single task, Transfer, BWT, Forgetting and FWT have no pairs to average: they are
 * `null`, and {@link computeMetrics} says why in `undefinedReasons`. Nothing returns NaN.
 */
import { validateMatrix, validateRow, type AccuracyMatrix } from './matrix';

function mean(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** ZSCL Transfer: mean over d ≥ 1 of the mean of A[j][d], j < d. `null` when T = 1. */
export function transfer(A: AccuracyMatrix): number | null {
  const cols = transferPerDataset(A).filter((v): v is number => v !== null);
  return cols.length ? mean(cols) : null;
}

/** ZSCL Avg: mean over datasets of the column mean over all T rows. */
export function avg(A: AccuracyMatrix): number {
  return mean(avgPerDataset(A));
}

/** ZSCL Last: mean of the last row. */
export function last(A: AccuracyMatrix): number {
  return mean(validateMatrix(A)[A.length - 1]);
}

/** ACC: mean accuracy of the final model over all tasks (equal to {@link last}). */
export function acc(A: AccuracyMatrix): number {
  return last(A);
}

/** BWT (Lopez-Paz): mean over j < T−1 of A[T−1][j] − A[j][j]. `null` when T = 1. */
export function bwt(A: AccuracyMatrix): number | null {
  const T = validateMatrix(A).length;
  if (T < 2) return null;
  const diffs: number[] = [];
  for (let j = 0; j < T - 1; j++) diffs.push(A[T - 1][j] - A[j][j]);
  return mean(diffs);
}

/** Forgetting (Chaudhry): mean over j < T−1 of max_{l<T−1} A[l][j] − A[T−1][j]. `null` when T = 1. */
export function forgetting(A: AccuracyMatrix): number | null {
  const T = validateMatrix(A).length;
  if (T < 2) return null;
  const drops: number[] = [];
  for (let j = 0; j < T - 1; j++) {
    let best = -Infinity;
    for (let l = 0; l < T - 1; l++) best = Math.max(best, A[l][j]);
    drops.push(best - A[T - 1][j]);
  }
  return mean(drops);
}

/** FWT against the zero-shot row: mean over d ≥ 1 of A[d−1][d] − z[d]. `null` when T = 1. */
export function fwt(A: AccuracyMatrix, zeroShot: number[]): number | null {
  const T = validateMatrix(A).length;
  validateRow(zeroShot, T, 'zero-shot row');
  if (T < 2) return null;
  const diffs: number[] = [];
  for (let d = 1; d < T; d++) diffs.push(A[d - 1][d] - zeroShot[d]);
  return mean(diffs);
}

/** Per-dataset Transfer (a Table 7/8 row): entry d = mean(A[j][d], j < d); entry 0 is `null`. */
export function transferPerDataset(A: AccuracyMatrix): (number | null)[] {
  const T = validateMatrix(A).length;
  return Array.from({ length: T }, (_, d) => (d === 0 ? null : mean(A.slice(0, d).map((row) => row[d]))));
}

/** Per-dataset Avg: the mean of each column over all T rows. */
export function avgPerDataset(A: AccuracyMatrix): number[] {
  const T = validateMatrix(A).length;
  return Array.from({ length: T }, (_, d) => mean(A.map((row) => row[d])));
}

/** Per-dataset Last: the last row. */
export function lastPerDataset(A: AccuracyMatrix): number[] {
  return validateMatrix(A)[A.length - 1].slice();
}

/** The per-dataset breakdown of Tables 7/8 (one entry per dataset, training order). */
export interface PerDatasetMetrics {
  /** Transfer per dataset; the first is `null` (no earlier task). */
  transfer: (number | null)[];
  /** Avg per dataset (column means). */
  avg: number[];
  /** Last per dataset (the final row). */
  last: number[];
}

/** Per-dataset Transfer/Avg/Last; their means are {@link transfer}, {@link avg}, {@link last}. */
export function perDataset(A: AccuracyMatrix): PerDatasetMetrics {
  return { transfer: transferPerDataset(A), avg: avgPerDataset(A), last: lastPerDataset(A) };
}

/** Names of the matrix-level metrics. */
export type MetricName = 'transfer' | 'avg' | 'last' | 'acc' | 'bwt' | 'forgetting' | 'fwt' | 'auc';

/** Every metric of one accuracy matrix. `null` = undefined for this matrix; see `undefinedReasons`. */
export interface MetricSummary {
  /** Number of tasks T. */
  tasks: number;
  /** ZSCL Transfer (%). */
  transfer: number | null;
  /** ZSCL Avg (%). */
  avg: number;
  /** ZSCL Last (%). */
  last: number;
  /** ACC (%), the mean of the last row. */
  acc: number;
  /** Backward transfer (Lopez-Paz), percentage points. */
  bwt: number | null;
  /** Forgetting (Chaudhry), percentage points. */
  forgetting: number | null;
  /** Forward transfer against the zero-shot row; present only when a zero-shot row was given. */
  fwt?: number | null;
  /** Mean over tasks of the final model's macro one-vs-rest ROC-AUC (%); present only when per-task AUCs were given. */
  auc?: number | null;
  /** Why each `null` metric is undefined. */
  undefinedReasons: Partial<Record<MetricName, string>>;
}

/** Options of {@link computeMetrics}. */
export interface ComputeMetricsOptions {
  /** Zero-shot accuracy per dataset (training order); adds `fwt`. */
  zeroShot?: number[];
  /** Macro ROC-AUC (%) per task of the final model (`null` where unknown); adds `auc` (their mean). */
  aucPerTask?: (number | null)[];
}

/** Computes every metric of `A` (validated first: square, finite). */
export function computeMetrics(A: AccuracyMatrix, options: ComputeMetricsOptions = {}): MetricSummary {
  const T = validateMatrix(A).length;
  const reasons: Partial<Record<MetricName, string>> = {};
  const single = 'a single task has no earlier or later task to compare with';
  const out: MetricSummary = {
    tasks: T,
    transfer: transfer(A),
    avg: avg(A),
    last: last(A),
    acc: acc(A),
    bwt: bwt(A),
    forgetting: forgetting(A),
    undefinedReasons: reasons,
  };
  if (T < 2) {
    reasons.transfer = `Transfer: ${single} (it averages datasets 2..T before they are trained)`;
    reasons.bwt = `BWT: ${single}`;
    reasons.forgetting = `Forgetting: ${single}`;
  }
  if (options.zeroShot) {
    out.fwt = fwt(A, options.zeroShot);
    if (out.fwt === null) reasons.fwt = `FWT: ${single}`;
  }
  if (options.aucPerTask) {
    const per = options.aucPerTask;
    if (per.length !== T) throw new Error(`aucPerTask: has ${per.length} entries, expected ${T} (one per task)`);
    const missing = per.flatMap((v, i) => (v === null ? [i] : []));
    if (missing.length) {
      out.auc = null;
      reasons.auc = `AUC: task(s) ${missing.join(', ')} have no AUC (no scores, or no class with both positives and negatives)`;
    } else {
      out.auc = mean(per as number[]);
    }
  }
  return out;
}

/** Mean and sample standard deviation of one metric over seeds. */
export interface MeanSd {
  /** Mean over the seeds. */
  mean: number;
  /** Sample standard deviation (divisor n − 1); `null` with a single seed. */
  sd: number | null;
  /** Number of seeds. */
  n: number;
}

/**
 * Mean ± sample sd (n − 1 divisor, as numpy's `std(ddof=1)` and pandas' default) of `values`.
 * One value gives `sd: null`; no value, or a non-finite one, is an error.
 */
export function meanSd(values: number[], where = 'values'): MeanSd {
  if (values.length === 0) throw new Error(`${where}: mean ± sd needs at least one value`);
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: entry ${i} is ${v}, not a finite number`);
  });
  const m = mean(values);
  if (values.length < 2) return { mean: m, sd: null, n: 1 };
  const ss = values.reduce((s, v) => s + (v - m) ** 2, 0);
  return { mean: m, sd: Math.sqrt(ss / (values.length - 1)), n: values.length };
}

/**
 * Mean ± sd over seeds of every metric in `summaries` (one per seed, same T). A metric that is
 * `null` (or absent) for any seed is `null` here.
 */
export function summarizeSeeds(summaries: MetricSummary[]): Partial<Record<MetricName, MeanSd | null>> {
  if (summaries.length === 0) throw new Error('summarizeSeeds: needs at least one MetricSummary');
  const T = summaries[0].tasks;
  summaries.forEach((s, i) => {
    if (s.tasks !== T) throw new Error(`summarizeSeeds: seed ${i} has ${s.tasks} tasks, seed 0 has ${T}`);
  });
  const names: MetricName[] = ['transfer', 'avg', 'last', 'acc', 'bwt', 'forgetting', 'fwt', 'auc'];
  const out: Partial<Record<MetricName, MeanSd | null>> = {};
  for (const name of names) {
    const vals = summaries.map((s) => s[name]);
    if (vals.every((v) => v === undefined)) continue;
    out[name] = vals.every((v): v is number => typeof v === 'number') ? meanSd(vals, name) : null;
  }
  return out;
}
