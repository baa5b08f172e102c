/**
 * Deterministic seeded train/val/test splits for datasets that ship without one: stratified by
 * label, or grouped (e.g. by patient) so that no group straddles two splits.
 */
import { Rng } from '../util/rng';
import type { SplitName } from './types';

/** Fractions of the items per split; they must sum to 1. */
export interface SplitFractions {
  /** Training share. */
  train: number;
  /** Validation share. */
  val: number;
  /** Test share. */
  test: number;
}

/** Default fractions: 70 % train, 10 % val, 20 % test. */
export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.7, val: 0.1, test: 0.2 };

/** Options of {@link seededSplit}. */
export interface SeededSplitOptions {
  /** Seed of the shuffle. */
  seed: number;
  /** Shares per split. Default {@link DEFAULT_SPLIT_FRACTIONS}. */
  fractions?: SplitFractions;
  /** Group id per item (e.g. patient); when given, whole groups go to one split. */
  groups?: (string | undefined)[];
}

/** Checks `f`; errors name the option. */
export function validateFractions(f: SplitFractions, option = 'fractions'): void {
  for (const k of ['train', 'val', 'test'] as const) {
    if (!(f[k] >= 0 && f[k] <= 1)) throw new Error(`${option}.${k} must be in [0, 1], got ${f[k]}`);
  }
  if (Math.abs(f.train + f.val + f.test - 1) > 1e-6) throw new Error(`${option} must sum to 1, got ${f.train + f.val + f.test}`);
}

/**
 * Cuts `n` items into split counts: test and val are rounded shares, train takes the rest, so a
 * tiny class lands in train first (a class of 1-2 items is train-only at the default shares).
 */
function counts(n: number, f: SplitFractions): [number, number] {
  const test = Math.min(n, Math.round(n * f.test));
  const val = Math.min(n - test, Math.round(n * f.val));
  return [n - test - val, val];
}

/**
 * Splits items `0..labels.length-1` into train/val/test, the same for the same seed and input.
 * Without groups each class is split separately (so every class with enough items appears in
 * every split); with groups, shuffled groups fill train, then val, then test.
 * Each split's indices come back sorted ascending.
 */
export function seededSplit(labels: ArrayLike<number>, options: SeededSplitOptions): Record<SplitName, Int32Array> {
  const fractions = options.fractions ?? DEFAULT_SPLIT_FRACTIONS;
  validateFractions(fractions);
  const out: Record<SplitName, number[]> = { train: [], val: [], test: [] };
  const n = labels.length;
  if (options.groups) {
    if (options.groups.length !== n) throw new Error(`seededSplit: ${options.groups.length} groups for ${n} items`);
    const members = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const g = options.groups[i] ?? `#item${i}`;
      const list = members.get(g);
      if (list) list.push(i);
      else members.set(g, [i]);
    }
    const keys = [...members.keys()].sort();
    new Rng(options.seed).shuffle(keys);
    const [trainTarget, valTarget] = counts(n, fractions);
    let done = 0;
    for (const k of keys) {
      const items = members.get(k)!;
      const split: SplitName = done < trainTarget ? 'train' : done < trainTarget + valTarget ? 'val' : 'test';
      out[split].push(...items);
      done += items.length;
    }
  } else {
    const byLabel = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const list = byLabel.get(labels[i]);
      if (list) list.push(i);
      else byLabel.set(labels[i], [i]);
    }
    for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
      const items = Rng.derive(options.seed, `split-label-${label}`).shuffle(byLabel.get(label)!);
      const [tr, va] = counts(items.length, fractions);
      out.train.push(...items.slice(0, tr));
      out.val.push(...items.slice(tr, tr + va));
      out.test.push(...items.slice(tr + va));
    }
  }
  const sorted = (a: number[]) => Int32Array.from(a.sort((x, y) => x - y));
  return { train: sorted(out.train), val: sorted(out.val), test: sorted(out.test) };
}
