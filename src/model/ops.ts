/**
 * The small tensor functions the blocks share: linear layers on PyTorch-layout weights, LayerNorm,
 * activations, an embedding lookup whose gradient runs on every backend, and L2 normalisation.
 */
import * as tf from '@tensorflow/tfjs';

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
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1];
    const outDim = weight.shape[0];
    const flat = (x.rank === 2 ? x : x.reshape([-1, inDim])) as tf.Tensor2D;
    let y: tf.Tensor = matMul2d(flat, tf.transpose(weight as tf.Tensor2D));
    if (bias) y = tf.add(y, bias);
    return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), outDim]);
  });
}

/** `x @ w` for a projection stored `[in, out]` (OpenAI's `proj`, `text_projection`). */
export function project(x: tf.Tensor2D, weight: tf.Tensor): tf.Tensor2D {
  return matMul2d(x, weight as tf.Tensor2D);
}

/** LayerNorm over the last axis (biased variance, as PyTorch). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), -1, true);
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), weight), bias);
  });
}

/** Exact GELU, `0.5 x (1 + erf(x / √2))` (PyTorch `nn.GELU()`, HF `gelu`). */
export function gelu(x: tf.Tensor): tf.Tensor {
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
