/**
 * ROC-AUC for the MedXtreme metrics: per task, the macro one-vs-rest AUC over that task's
 * classes; then the mean over tasks ({@link computeMetrics} `aucPerTask`).
 *
 * The binary AUC is the Mann-Whitney statistic with mid-ranks for tied scores, which equals the
 * area under the ROC curve drawn with the trapezoid rule over tied thresholds: the value
 * scikit-learn's `roc_auc_score` gives.
 *
 * A class with no positive (absent from the test set) or no negative example has no AUC.
 * scikit-learn raises an error there; here the class is skipped in the macro average and listed
 * in `skipped`. If every class is skipped the AUC is `null`.
 */

/**
 * Binary ROC-AUC of `scores` (higher = more positive) against `positive` (true/false per item),
 * in [0, 1]. `null` when there is no positive or no negative item.
 */
export function binaryRocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  const n = scores.length;
  if (positive.length !== n) throw new Error(`binaryRocAuc: ${n} scores but ${positive.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const midRank = (i + j) / 2 + 1; // 1-based ranks i+1..j+1 share their mean
    for (let k = i; k <= j; k++) {
      if (positive[order[k]]) {
        nPos++;
        rankSumPos += midRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Result of {@link macroOvrAuc}. */
export interface MacroAuc {
  /** Mean of the per-class AUCs that exist, in [0, 1]; `null` when none does. */
  auc: number | null;
  /** AUC per class (column of the scores); `null` for a skipped class. */
  perClass: (number | null)[];
  /** Classes skipped: absent from the labels (no positive) or the only class present (no negative). */
  skipped: number[];
}

/**
 * Macro one-vs-rest ROC-AUC: class c's AUC uses score column c against `label === c`.
 * `scores` is row-major `[n, classes]`; `labels` holds class indices in 0..classes−1.
 */
export function macroOvrAuc(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number): MacroAuc {
  const n = labels.length;
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`macroOvrAuc: classes must be a positive integer, got ${classes}`);
  if (scores.length !== n * classes) {
    throw new Error(`macroOvrAuc: scores has ${scores.length} values, expected labels (${n}) × classes (${classes}) = ${n * classes}`);
  }
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new Error(`macroOvrAuc: label ${i} is ${y}, outside 0..${classes - 1}`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new Error(`macroOvrAuc: score of item ${Math.floor(i / classes)}, class ${i % classes} is ${scores[i]}`);
  }
  const perClass: (number | null)[] = [];
  const skipped: number[] = [];
  const column = new Float64Array(n);
  const positive = new Array<boolean>(n);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < n; i++) {
      column[i] = scores[i * classes + c];
      positive[i] = labels[i] === c;
    }
    const a = binaryRocAuc(column, positive);
    perClass.push(a);
    if (a === null) skipped.push(c);
  }
  const present = perClass.filter((a): a is number => a !== null);
  return { auc: present.length ? present.reduce((s, a) => s + a, 0) / present.length : null, perClass, skipped };
}
