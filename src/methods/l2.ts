/**
 * l2 baseline (ZSCL's `--l2`): `λ·Σ‖θ − θ_start‖²` (sum reduction), the anchor being the weights
 * at the start of the current task.
 */
import { l2Penalty } from '../train/losses';
import type { ContinualMethod } from './types';
import { numberIn, resolveMethodOptions } from './options';

/** Options of {@link l2}. */
export interface L2Options {
  /** λ, the weight of the penalty. Default 1 (ZSCL `--l2 1`). */
  lambda: number;
}

/** The l2 method. */
export function l2(options: Partial<L2Options> = {}): ContinualMethod {
  const o = resolveMethodOptions('l2', { lambda: 1 }, options, { lambda: numberIn(0) });
  return {
    name: 'l2',
    options: o,
    lossTerms: (ctx) => {
      const params = ctx.model.trainableVariables();
      const anchors = ctx.trainableNames.map((n) => ctx.startWeights.get(n)!);
      return [{ name: 'l2', weight: o.lambda, compute: () => l2Penalty(params, anchors) }];
    },
  };
}
