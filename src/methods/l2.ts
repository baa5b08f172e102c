/**
 * l2 baseline (ZSCL's `--l2`): `λ·Σ‖θ − θ_start‖²` (sum reduction), the anchor being the weights
 * at the start of the current task.
 */
import type { ContinualMethod } from './types';
import { numberIn } from './options';
import { l2Term } from './lifecycle';
import { defineMethod } from './spec';

/** Options of {@link l2}. */
export interface L2Options {
  /** λ, the weight of the penalty. Default 1 (ZSCL `--l2 1`). */
  lambda: number;
}

/** The `l2` method. */
export const l2Method = defineMethod<L2Options>({
  name: 'l2',
  label: 'l2 baseline',
  summary: 'the task loss plus λ·Σ‖θ − θ_start‖² (ZSCL\'s --l2)',
  order: 20,
  paperRow: 'l2 baseline',
  paperPerDatasetRow: 'l2',
  color: '#bcbd22',
  otherLabels: ['L2'],
  referenceSet: 'none',
  relativeCost: 1,
  defaults: { lambda: 1 },
  checks: { lambda: numberIn(0) },
  build: (o) => ({ name: 'l2', options: o, lossTerms: (ctx) => [l2Term(ctx, o.lambda)] }),
});

/** The l2 method. */
export function l2(options: Partial<L2Options> = {}): ContinualMethod {
  return l2Method.create(options);
}
