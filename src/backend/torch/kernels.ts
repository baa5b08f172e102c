/**
 * The forward kernels of the `torch` backend: each tfjs kernel name mapped to one addon call
 * (an ATen op). Shapes and axes are resolved here with tfjs-core's own helpers, so every kernel
 * sees the same arguments as on the cpu backend. A kernel not listed here is not registered, and
 * tfjs's engine then fails with an error naming it: nothing falls back to another backend.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNELS } from '../fused';
import { dtypeCode as code, type TorchBackend } from './backend';

type Inputs = Record<string, tf.TensorInfo>;
type Attrs = Record<string, unknown>;
type Kernel = (backend: TorchBackend, inputs: Inputs, attrs: Attrs) => tf.TensorInfo | tf.TensorInfo[];

/** Unary ops in the addon's order (torch_addon.cc `enum Unary`). */
const UNARY = [
  'Abs', 'Neg', 'Exp', 'Expm1', 'Log', 'Log1p', 'Sqrt', 'Rsqrt', 'Square', 'Reciprocal', 'Sigmoid', 'Tanh',
  'Erf', 'Relu', 'Relu6', 'Elu', 'Selu', 'Softplus', 'Sign', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'Tan',
  'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'LogicalNot', 'IsNan', 'IsInf',
  'IsFinite', 'ZerosLike', 'OnesLike',
] as const;

/** Binary ops in the addon's order (`enum Binary`). */
const BINARY = [
  'Add', 'Sub', 'Multiply', 'RealDiv', 'FloorDiv', 'Pow', 'Maximum', 'Minimum', 'SquaredDifference', 'Mod', 'Atan2',
  'Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual', 'LogicalAnd', 'LogicalOr',
] as const;

/** Reductions in the addon's order (`enum Reduce`), with the attribute naming their axes. */
const REDUCE: Array<[string, string]> = [
  ['Sum', 'axis'], ['Mean', 'axis'], ['Max', 'reductionIndices'], ['Min', 'axis'], ['Prod', 'axis'], ['Any', 'axis'], ['All', 'axis'],
];

const S_LEAKY_RELU = 0, S_STEP = 1, S_CLIP = 2;

function one(b: TorchBackend, _id: number): tf.TensorInfo {
  return b.output();
}

function emptyOf(b: TorchBackend, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  b.addon.fill(shape, 0, code(dtype));
  return b.output();
}

const kernels: Record<string, Kernel> = {};

UNARY.forEach((name, op) => {
  kernels[name] = (b, { x }) => one(b, b.addon.unary(op, b.slot(x)));
});

BINARY.forEach((name, op) => {
  kernels[name] = (b, { a, b: y }) => one(b, b.addon.binary(op, b.slot(a), b.slot(y)));
});

REDUCE.forEach(([name, axisAttr], op) => {
  kernels[name] = (b, { x }, attrs) => {
    const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
    if (axes.length === 0) {
      if (name === 'Mean' && x.dtype !== 'float32') return one(b, b.addon.cast(b.slot(x), code('float32')));
      if ((name === 'Any' || name === 'All') && x.dtype !== 'bool') return one(b, b.addon.cast(b.slot(x), code('bool')));
      return b.alias(x);
    }
    return one(b, b.addon.reduce(op, b.slot(x), axes, Boolean(attrs.keepDims)));
  };
});

Object.assign(kernels, {
  Identity: (b, { x }) => b.alias(x),
  LeakyRelu: (b, { x }, { alpha }) => one(b, b.addon.unaryScalar(S_LEAKY_RELU, b.slot(x), alpha as number, 0)),
  Step: (b, { x }, { alpha }) => one(b, b.addon.unaryScalar(S_STEP, b.slot(x), (alpha as number) ?? 0, 0)),
  ClipByValue: (b, { x }, { clipValueMin, clipValueMax }) =>
    one(b, b.addon.unaryScalar(S_CLIP, b.slot(x), clipValueMin as number, clipValueMax as number)),
  Cast: (b, { x }, { dtype }) => (x.dtype === dtype ? b.alias(x) : one(b, b.addon.cast(b.slot(x), code(dtype as tf.DataType)))),
  AddN: (b, inputs) => {
    const xs = Object.values(inputs) as tf.TensorInfo[];
    return one(b, b.addon.addN(xs.map((t) => b.slot(t))));
  },
  Select: (b, { condition, t, e }) => one(b, b.addon.select(b.slot(condition), b.slot(t), b.slot(e))),
  ArgMax: (b, { x }, { axis }) => one(b, b.addon.argReduce(true, b.slot(x), tf.util.parseAxisParam(axis as number, x.shape)[0])),
  ArgMin: (b, { x }, { axis }) => one(b, b.addon.argReduce(false, b.slot(x), tf.util.parseAxisParam(axis as number, x.shape)[0])),
  Cumsum: (b, { x }, { axis, exclusive, reverse }) =>
    one(b, b.addon.cumsum(b.slot(x), tf.util.parseAxisParam(axis as number, x.shape)[0], Boolean(exclusive), Boolean(reverse))),
  Softmax: (b, { logits }, { dim }) => one(b, b.addon.softmax(b.slot(logits), dim as number, false)),
  TopK: (b, { x }, { k, sorted }) => {
    b.addon.topk(b.slot(x), k as number, sorted !== false);
    return b.outputs();
  },
  BatchMatMul: (b, { a, b: y }, { transposeA, transposeB }) =>
    one(b, b.addon.matmul(b.slot(a), b.slot(y), Boolean(transposeA), Boolean(transposeB))),
  Reshape: (b, { x }, { shape }) => {
    const size = tf.util.sizeFromShape(x.shape);
    return one(b, b.addon.reshape(b.slot(x), tf.util.inferFromImplicitShape(shape as number[], size)));
  },
  Transpose: (b, { x }, { perm }) => one(b, b.addon.transpose(b.slot(x), perm as number[])),
  Slice: (b, { x }, { begin, size }) => {
    const [$begin, $size] = tf.slice_util.parseSliceParams(x, begin as number[], size as number[]);
    tf.slice_util.assertParamsValid(x, $begin, $size);
    return one(b, b.addon.slice(b.slot(x), $begin, $size));
  },
  StridedSlice: (b, { x }, attrs) => {
    const info = tf.slice_util.sliceInfo(
      x.shape, attrs.begin as number[], attrs.end as number[], attrs.strides as number[],
      attrs.beginMask as number, attrs.endMask as number, attrs.ellipsisMask as number,
      attrs.newAxisMask as number, attrs.shrinkAxisMask as number,
    );
    const finalShape = info.finalShape;
    if (info.isIdentity) return one(b, b.addon.reshape(b.slot(x), finalShape));
    // Negative strides: flip those axes and walk them forwards.
    const flips: number[] = [];
    const begin = [...info.begin], end = [...info.end], strides = [...info.strides];
    strides.forEach((s, d) => {
      if (s < 0) {
        flips.push(d);
        const n = x.shape[d];
        begin[d] = n - 1 - begin[d];
        end[d] = n - 1 - end[d];
        strides[d] = -s;
      }
    });
    let src = b.slot(x);
    let flipped: tf.TensorInfo | undefined;
    if (flips.length) {
      b.addon.flip(src, flips);
      flipped = b.output();
      src = b.slot(flipped);
    }
    b.addon.stridedSlice(src, begin, end, strides);
    const sliced = b.output();
    if (flipped) b.disposeIntermediateTensorInfo(flipped);
    const out = one(b, b.addon.reshape(b.slot(sliced), finalShape));
    b.disposeIntermediateTensorInfo(sliced);
    return out;
  },
  Reverse: (b, { x }, { dims }) => {
    const axes = tf.util.parseAxisParam(dims as number | number[], x.shape);
    return axes.length ? one(b, b.addon.flip(b.slot(x), axes)) : b.alias(x);
  },
  Concat: (b, inputs, { axis }) => {
    const xs = Object.values(inputs) as tf.TensorInfo[];
    const $axis = tf.util.parseAxisParam(axis as number, xs[0].shape)[0];
    const outShape = tf.backend_util.computeOutShape(xs.map((t) => t.shape), $axis);
    const nonEmpty = xs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length === 0) return emptyOf(b, outShape, xs[0].dtype);
    if (nonEmpty.length === 1) return b.alias(nonEmpty[0]);
    return one(b, b.addon.concat(nonEmpty.map((t) => b.slot(t)), $axis));
  },
  Pack: (b, inputs, { axis }) => {
    const xs = Object.values(inputs) as tf.TensorInfo[];
    const $axis = axis as number < 0 ? (axis as number) + xs[0].shape.length + 1 : (axis as number);
    return one(b, b.addon.stack(xs.map((t) => b.slot(t)), $axis));
  },
  Unpack: (b, { value }, { axis }) => {
    const $axis = tf.util.parseAxisParam(axis as number, value.shape)[0];
    b.addon.unstack(b.slot(value), $axis);
    return b.outputs();
  },
  SplitV: (b, { x }, { numOrSizeSplits, axis }) => {
    const $axis = tf.util.parseAxisParam(axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits as number | number[], $axis);
    b.addon.split(b.slot(x), sizes, $axis);
    return b.outputs();
  },
  Tile: (b, { x }, { reps }) => one(b, b.addon.tile(b.slot(x), reps as number[])),
  BroadcastTo: (b, { x }, { shape }) => one(b, b.addon.broadcastTo(b.slot(x), shape as number[])),
  PadV2: (b, { x }, { paddings, constantValue }) => {
    const pads: number[] = [];
    const p = paddings as Array<[number, number]>;
    for (let d = p.length - 1; d >= 0; d--) pads.push(p[d][0], p[d][1]);
    return one(b, b.addon.pad(b.slot(x), pads, constantValue as number));
  },
  Fill: (b, _inputs, { shape, value, dtype }) => {
    if (dtype === 'string' || typeof value === 'string') throw new Error('torch backend: Fill of strings is not supported');
    return one(b, b.addon.fill(shape as number[], value as number, code((dtype as tf.DataType) ?? 'float32')));
  },
  Range: (b, _inputs, { start, stop, step, dtype }) => {
    const s = start as number, e = stop as number, st = step as number;
    const sameSign = s === e ? false : s < e ? st > 0 : st < 0;
    const count = sameSign ? Math.ceil(Math.abs((e - s) / st)) : 0;
    return one(b, b.addon.range(s, st, count, code((dtype as tf.DataType) ?? 'float32')));
  },
  GatherV2: (b, { x, indices }, { axis, batchDims }) => {
    const $axis = tf.util.parseAxisParam(axis as number, x.shape)[0];
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, $axis, (batchDims as number) ?? 0);
    if (tf.util.sizeFromShape(info.outputShape) === 0) return emptyOf(b, info.outputShape, x.dtype);
    return one(b, b.addon.gather(b.slot(x), b.slot(indices), info.batchSize, info.outerSize, info.dimSize, info.sliceSize, info.outputShape));
  },
  GatherNd: (b, { params, indices }) => {
    const [resultShape, numSlices, sliceSize, strides] = tf.backend_util.prepareAndValidate(params, indices);
    if (numSlices === 0) return emptyOf(b, resultShape, params.dtype);
    return one(b, b.addon.gatherNd(b.slot(params), b.slot(indices), strides, sliceSize, resultShape));
  },
  ScatterNd: (b, { indices, updates }, { shape }) => {
    const info = tf.backend_util.calculateShapes(updates, indices, shape as number[]);
    return one(b, b.addon.scatterNd(b.slot(indices), b.slot(updates), shape as number[], info.strides));
  },
  UnsortedSegmentSum: (b, { x, segmentIds }, { numSegments }) =>
    one(b, b.addon.segmentSum(b.slot(x), b.slot(segmentIds), numSegments as number)),
  OneHot: (b, { indices }, { depth, onValue, offValue, dtype }) =>
    one(b, b.addon.oneHot(b.slot(indices), depth as number, (onValue as number) ?? 1, (offValue as number) ?? 0, code((dtype as tf.DataType) ?? 'int32'))),
  ResizeBilinear: (b, { images }, { alignCorners, halfPixelCenters, size }) => {
    const [h, w] = size as [number, number];
    return one(b, b.addon.resizeBilinear(b.slot(images), h, w, Boolean(alignCorners), Boolean(halfPixelCenters)));
  },
} satisfies Record<string, Kernel>);

// The fused kernels of ../fused.ts.
Object.assign(kernels, {
  [FUSED_KERNELS.linear]: (b, { x, weight, bias }) => one(b, b.addon.linear(b.slot(x), b.slot(weight), bias ? b.slot(bias) : -1)),
  [FUSED_KERNELS.layerNorm]: (b, { x, weight, bias }, { eps }) => {
    b.addon.layerNorm(b.slot(x), b.slot(weight), b.slot(bias), eps as number);
    return b.outputs();
  },
  [FUSED_KERNELS.layerNormGrad]: (b, { dy, x, mean, rstd, weight, bias }) => {
    b.addon.layerNormBackward(b.slot(dy), b.slot(x), b.slot(mean), b.slot(rstd), b.slot(weight), b.slot(bias));
    return b.outputs();
  },
  [FUSED_KERNELS.softmaxGrad]: (b, { dy, y }, { dim }) => one(b, b.addon.softmaxBackward(b.slot(dy), b.slot(y), dim as number)),
  [FUSED_KERNELS.gelu]: (b, { x }, { approximate }) => one(b, b.addon.gelu(b.slot(x), approximate === 'tanh')),
  [FUSED_KERNELS.geluGrad]: (b, { dy, x }, { approximate }) => one(b, b.addon.geluBackward(b.slot(dy), b.slot(x), approximate === 'tanh')),
  [FUSED_KERNELS.dfg]: (b, { grad, param, start }, { lambda }) => {
    b.addon.dfg(b.slot(grad), b.slot(param), b.slot(start), lambda as number);
    return b.outputs();
  },
  [FUSED_KERNELS.adamw]: (b, { param, grad, m, v }, a) => {
    b.addon.adamw(b.slot(param), b.slot(grad), b.slot(m), b.slot(v), a.lr as number, a.beta1 as number, a.beta2 as number, a.epsilon as number, a.weightDecay as number, a.step as number);
    return b.outputs();
  },
} satisfies Record<string, Kernel>);

/** Names of every kernel the torch backend implements. */
export const TORCH_KERNEL_NAMES: readonly string[] = Object.keys(kernels).sort();

/** Registers every kernel for `backendName`. */
export function registerTorchKernels(backendName: string): void {
  for (const [kernelName, fn] of Object.entries(kernels)) {
    if (tf.getKernel(kernelName, backendName)) continue;
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => fn(backend as TorchBackend, inputs as Inputs, (attrs ?? {}) as Attrs),
    });
  }
}
