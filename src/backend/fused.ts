/**
 * Fused kernels a backend may offer beyond tfjs's own set (today the `torch` backend): LayerNorm,
 * GELU and a linear layer with their backward kernels, and one AdamW update. Model and optimizer
 * code asks {@link hasFusedKernels} and otherwise composes the same maths from tfjs ops, so every
 * backend computes the same function; the fused path only takes fewer, larger kernel calls.
 */
import * as tf from '@tensorflow/tfjs';

/** Kernel names of the fused ops (prefixed so that they never clash with tfjs's). */
export const FUSED_KERNELS = {
  /** `{x, weight, bias?}` -> `x @ weightᵀ + bias` over the last axis (`nn.Linear` layout). */
  linear: '_PrimedLinear',
  /** `{x, weight, bias}`, attrs `{eps}` -> `[y, mean, rstd]` (LayerNorm over the last axis). */
  layerNorm: '_PrimedLayerNorm',
  /** `{dy, x, mean, rstd, weight, bias}` -> `[dx, dweight, dbias]`. */
  layerNormGrad: '_PrimedLayerNormGrad',
  /** `{dy, y}`, attrs `{dim}` -> the gradient of softmax over `dim` from its output `y`. */
  softmaxGrad: '_PrimedSoftmaxGrad',
  /** `{x}`, attrs `{approximate: 'none'|'tanh'}` -> GELU. */
  gelu: '_PrimedGelu',
  /** `{dy, x}`, attrs `{approximate}` -> dx. */
  geluGrad: '_PrimedGeluGrad',
  /** `{param, grad, m, v}`, attrs `{lr, beta1, beta2, epsilon, weightDecay, step}` -> `[param, m, v]`. */
  adamw: '_PrimedAdamW',
  /** `{grad, param, start}`, attrs `{lambda}` -> `[2λ·g²(θ−θ₀), λ·Σ g²(θ−θ₀)²]` (the DFG term of one parameter). */
  dfg: '_PrimedDfg',
} as const;

/** Whether the active backend has the fused kernels. */
export function hasFusedKernels(): boolean {
  return tf.getKernel(FUSED_KERNELS.layerNorm, tf.getBackend()) !== undefined;
}

/** Runs a fused kernel on the active backend (inputs and attrs as its entry in {@link FUSED_KERNELS} says). */
export function runFused(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
}
