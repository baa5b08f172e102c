/** LayerNorm as a block with checkpoint-named gain and shift. */
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params';
import { layerNorm } from './ops';

/** LayerNorm over the last axis with parameters `<prefix>.weight` and `<prefix>.bias`. */
export class LayerNorm {
  private readonly weight: tf.Variable;
  private readonly bias: tf.Variable;

  /** Declares the parameters in `store`. */
  constructor(store: ParamStore, prefix: string, width: number, readonly eps: number) {
    this.weight = store.param(`${prefix}.weight`, [width], 'norm-weight');
    this.bias = store.param(`${prefix}.bias`, [width], 'norm-bias');
  }

  /** Normalises `x` over its last axis. */
  apply(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
