/**
 * Dynamic Fisher Weight Guard (paper Eqs. 20–22, decisions §3). At every step the importance
 * is the squared gradient of the distillation terms, W = (∂(α·L_CKT + β·L_CMC)/∂θ)², a constant;
 * L_DFG = λ·Σ W·(θ − θ_start)². Its gradient 2λ·W·(θ − θ_start) is added directly, so the step
 * costs one extra gradient of the distillation terms, not a second-order pass.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNELS, hasFusedKernels, runFused } from '../backend/fused';
import type { GradientTerm } from '../train/plugin';
import type { WeightSnapshot } from '../train/weights';

/**
 * The DFG term of one step.
 * @param distillGrads gradient of the weighted distillation terms, by parameter name.
 * @param params the current parameters by name.
 * @param start θ_start by name.
 * @param lambda λ, the weight of L_DFG.
 */
export function dfgGradientTerm(
  distillGrads: ReadonlyMap<string, tf.Tensor>,
  params: ReadonlyMap<string, tf.Tensor>,
  start: WeightSnapshot,
  lambda: number,
): GradientTerm {
  const grads = new Map<string, tf.Tensor>();
  const values: tf.Tensor[] = [];
  const fused = hasFusedKernels();
  for (const [name, g] of distillGrads) {
    const p = params.get(name);
    const s = start.get(name);
    if (!p || !s) throw new Error(`DFG: parameter ${name} has no ${p ? 'start-of-task weight' : 'current value'}`);
    const [grad, v] = fused
      ? (runFused(FUSED_KERNELS.dfg, { grad: g, param: p, start: s }, { lambda }) as tf.Tensor[])
      : tf.tidy(() => {
          const w = tf.square(g);
          const diff = tf.sub(p, s);
          return [tf.mul(tf.mul(w, diff), 2 * lambda), tf.mul(tf.sum(tf.mul(w, tf.square(diff))), lambda)];
        });
    values.push(v);
    grads.set(name, grad);
  }
  // One read for the whole term (a read per parameter would stall a GPU once per parameter); the
  // per-parameter values are summed here in double precision.
  let value = 0;
  if (values.length) {
    const stacked = tf.stack(values);
    for (const v of stacked.dataSync()) value += v;
    tf.dispose([stacked, ...values]);
  }
  return { name: 'dfg', value, grads };
}
