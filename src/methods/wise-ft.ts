/**
 * WiSE-FT (Wortsman et al., CVPR 2022) in the continual setting: after each task the weights
 * become `(1 − α)·θ_initial + α·θ`, θ_initial being the pretrained model.
 */
import type { ContinualMethod } from './types';
import { numberIn, resolveMethodOptions } from './options';
import { copySnapshot, loadSnapshot, saveSnapshot } from './state';
import { disposeWeights, interpolateWeights, restoreWeights, snapshotWeights, type WeightSnapshot } from '../train/weights';

/** Options of {@link wiseFt}. */
export interface WiseFtOptions {
  /** α, the weight of the fine-tuned model in the average. Default 0.5. */
  alpha: number;
}

/** The WiSE-FT method. */
export function wiseFt(options: Partial<WiseFtOptions> = {}): ContinualMethod {
  const o = resolveMethodOptions('wise-ft', { alpha: 0.5 }, options, { alpha: numberIn(0, 1) });
  let initial: WeightSnapshot | undefined;
  return {
    name: 'wise-ft',
    options: o,
    beforeTask: (ctx) => {
      initial ??= copySnapshot(ctx.startWeights); // the first task starts from the pretrained model
    },
    afterTask: (ctx) => {
      const current = snapshotWeights(ctx.model);
      const mixed = interpolateWeights(initial!, current, o.alpha);
      restoreWeights(ctx.model, mixed);
      disposeWeights(current);
      disposeWeights(mixed);
    },
    saveState: (dir) => saveSnapshot(dir, 'initial', initial),
    loadState: (dir) => {
      disposeWeights(initial);
      initial = loadSnapshot(dir, 'initial');
    },
    dispose: () => disposeWeights(initial),
  };
}
