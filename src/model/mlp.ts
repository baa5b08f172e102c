/** The transformer MLP: `fc2(act(fc1(x)))` with `nn.Linear`-layout weights. */
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './params';
import { type Activation, activate, linear } from './ops';

/** Checkpoint name prefixes of the two linear layers (each gets `.weight` and `.bias`). */
export interface MlpParamNames {
  /** First layer, `width → hidden` (`mlp.c_fc`, `mlp.fc1`, `intermediate.dense`). */
  fc1: string;
  /** Second layer, `hidden → width` (`mlp.c_proj`, `mlp.fc2`, `output.dense`). */
  fc2: string;
}

/** Two-layer MLP. */
export class Mlp {
  private readonly w1: tf.Variable;
  private readonly b1: tf.Variable;
  private readonly w2: tf.Variable;
  private readonly b2: tf.Variable;

  /** Declares the parameters in `store`. */
  constructor(store: ParamStore, names: MlpParamNames, width: number, hidden: number, readonly activation: Activation) {
    this.w1 = store.param(`${names.fc1}.weight`, [hidden, width], 'weight');
    this.b1 = store.param(`${names.fc1}.bias`, [hidden], 'bias');
    this.w2 = store.param(`${names.fc2}.weight`, [width, hidden], 'weight');
    this.b2 = store.param(`${names.fc2}.bias`, [width], 'bias');
  }

  /** `[..., width] → [..., width]`. */
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => linear(activate(linear(x, this.w1, this.b1), this.activation), this.w2, this.b2));
  }
}
