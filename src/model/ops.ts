/**
 * The small tensor functions the blocks share: linear layers on PyTorch-layout weights, LayerNorm,
 * activations, an embedding lookup whose gradient runs on every backend, and L2 normalisation.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNELS, hasFusedKernels, runFused } from '../backend/fused';

/** Swaps the last two axes. */
export function transposeLast2(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[perm.length - 2] = perm.length - 1;
  perm[perm.length - 1] = perm.length - 2;
  return tf.transpose(x, perm);
}

/**
 * `a @ b` over the last two axes (equal batch axes), with a gradient that also multiplies
 * untransposed operands (`dy @ bᵀ`, `aᵀ @ dy` with explicit transposes). The wasm backend
 * multiplies several times slower when asked to transpose an operand itself, which tfjs's own
 * matMul gradient does.
 */
export function matMulFast<T extends tf.Tensor>(a: T, b: tf.Tensor): T {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(dy, transposeLast2(saved[1])), tf.matMul(transposeLast2(saved[0]), dy)],
    };
  });
  return f(a, b) as T;
}

/** 2-D {@link matMulFast}. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMulFast(a, b);
}

/**
 * `x @ wᵀ + b` for an `nn.Linear` weight stored `[out, in]`, on inputs of any rank `[..., in]`.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  if (hasFusedKernels()) return fusedLinear(x, weight, bias);
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1];
    const outDim = weight.shape[0];
    const flat = (x.rank === 2 ? x : x.reshape([-1, inDim])) as tf.Tensor2D;
    let y: tf.Tensor = matMul2d(flat, tf.transpose(weight as tf.Tensor2D));
    if (bias) y = tf.add(y, bias);
    return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), outDim]);
  });
}

/**
 * {@link linear} as one fused kernel (backends with {@link hasFusedKernels}): forward in one call,
 * backward as `dy @ W`, `dyᵀ @ x` and a column sum over the flattened leading axes.
 */
function fusedLinear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const grads = (dy: tf.Tensor, xs: tf.Tensor, w: tf.Tensor) => {
    const outDim = w.shape[0];
    const dy2 = dy.reshape([-1, outDim]) as tf.Tensor2D;
    const x2 = xs.reshape([-1, inDim]) as tf.Tensor2D;
    return [tf.matMul(dy2, w as tf.Tensor2D).reshape(xs.shape), tf.matMul(dy2, x2, true, false), tf.sum(dy2, 0)];
  };
  if (bias) {
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [xs, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([xs, w]);
      return { value: runFused(FUSED_KERNELS.linear, { x: xs, weight: w, bias: b }) as tf.Tensor, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grads(dy, saved[0], saved[1]) };
    });
    return f(x, weight, bias);
  }
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([xs, w]);
    return { value: runFused(FUSED_KERNELS.linear, { x: xs, weight: w }) as tf.Tensor, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grads(dy, saved[0], saved[1]).slice(0, 2) };
  });
  return f(x, weight);
}

/** `x @ w` for a projection stored `[in, out]` (OpenAI's `proj`, `text_projection`). */
export function project(x: tf.Tensor2D, weight: tf.Tensor): tf.Tensor2D {
  return matMul2d(x, weight as tf.Tensor2D);
}

/** LayerNorm over the last axis (biased variance, as PyTorch). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  if (hasFusedKernels()) {
    return tf.tidy(() => {
      const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
        const [xs, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
        const [y, mean, rstd] = runFused(FUSED_KERNELS.layerNorm, { x: xs, weight: w, bias: b }, { eps }) as tf.Tensor[];
        save([xs, mean, rstd, w, b]);
        return {
          value: y,
          gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) =>
            runFused(FUSED_KERNELS.layerNormGrad, { dy, x: s[0], mean: s[1], rstd: s[2], weight: s[3], bias: s[4] }) as tf.Tensor[],
        };
      });
      return f(x, weight, bias);
    });
  }
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), -1, true);
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), weight), bias);
  });
}

/**
 * Softmax over the last axis. With fused kernels its gradient is one kernel from the output
 * (tfjs composes it from four elementwise ops and a sum).
 */
export function softmaxLast(x: tf.Tensor): tf.Tensor {
  if (!hasFusedKernels()) return tf.softmax(x, -1);
  const dim = x.rank - 1;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.softmax(xs, -1);
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => runFused(FUSED_KERNELS.softmaxGrad, { dy, y: s[0] }, { dim }) as tf.Tensor };
  });
  return f(x);
}

/** Exact GELU, `0.5 x (1 + erf(x / √2))` (PyTorch `nn.GELU()`, HF `gelu`). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (hasFusedKernels()) {
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [xs, save] = args as [tf.Tensor, tf.GradSaveFunc];
      save([xs]);
      return {
        value: runFused(FUSED_KERNELS.gelu, { x: xs }, { approximate: 'none' }) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => runFused(FUSED_KERNELS.geluGrad, { dy, x: s[0] }, { approximate: 'none' }) as tf.Tensor,
      };
    });
    return f(x);
  }
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** OpenAI CLIP's QuickGELU, `x · sigmoid(1.702 x)`. */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** Activations by name. */
export type Activation = 'gelu' | 'quick_gelu';

/** Applies the named activation. */
export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  return act === 'gelu' ? gelu(x) : quickGelu(x);
}

/**
 * Rows of `table` `[vocab, width]` for int32 `ids` of any shape, giving `[...ids.shape, width]`.
 * The gradient is a scatter-add (`scatterND` sums duplicates): tfjs's own `gather` gradient
 * needs `UnsortedSegmentSum`, which the wasm backend lacks.
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const [vocab, width] = table.shape;
  return tf.tidy(() => {
    const flatIds = (ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32')).reshape([-1]);
    const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [tbl, idx, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      save([idx]);
      return {
        value: tf.gather(tbl, idx),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
          tf.scatterND(saved[0].reshape([-1, 1]), dy.reshape([-1, width]), [vocab, width]),
          tf.zerosLike(saved[0]),
        ],
      };
    });
    return lookup(table, flatIds).reshape([...ids.shape, width]);
  });
}

/** Rows scaled to unit L2 norm (a tiny epsilon keeps zero rows finite). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-24))) as tf.Tensor2D);
}
