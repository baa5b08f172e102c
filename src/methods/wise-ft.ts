/**
 * WiSE-FT (Wortsman et al., CVPR 2022) in the continual setting: after each task the weights
 * become `(1 − α)·θ_initial + α·θ`, θ_initial being the pretrained model.
 */
import type { ContinualMethod } from './types';
import { numberIn } from './options';
import { InitialWeights } from './lifecycle';
import { defineMethod } from './spec';
import { disposeWeights, interpolateWeights, restoreWeights, snapshotWeights } from '../train/weights';

/** Options of {@link wiseFt}. */
export interface WiseFtOptions {
  /** α, the weight of the fine-tuned model in the average. Default 0.5. */
  alpha: number;
}

/** The `wise-ft` method. */
export const wiseFtMethod = defineMethod<WiseFtOptions>({
  name: 'wise-ft',
  label: 'WiSE-FT',
  summary: 'WiSE-FT: after each task the weights become (1 − α)·θ_initial + α·θ',
  order: 60,
  paperRow: 'WiSE-FT',
  color: '#e69f00',
  referenceSet: 'none',
  relativeCost: 1,
  defaults: { alpha: 0.5 },
  checks: { alpha: numberIn(0, 1) },
  build: (o) => {
    const initial = new InitialWeights();
    return {
      name: 'wise-ft',
      options: o,
      beforeTask: (ctx) => {
        initial.capture(ctx); // the first task starts from the pretrained model
      },
      afterTask: (ctx) => {
        const current = snapshotWeights(ctx.model);
        const mixed = interpolateWeights(initial.weights, current, o.alpha);
        restoreWeights(ctx.model, mixed);
        disposeWeights(current);
        disposeWeights(mixed);
      },
      saveState: (dir) => initial.save(dir),
      loadState: (dir) => initial.load(dir),
      dispose: () => initial.dispose(),
    };
  },
});

/** The WiSE-FT method. */
export function wiseFt(options: Partial<WiseFtOptions> = {}): ContinualMethod {
  return wiseFtMethod.create(options);
}
