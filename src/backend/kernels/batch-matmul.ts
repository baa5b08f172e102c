/**
 * A `BatchMatMul` kernel for the wasm and cpu backends that runs the product in the native
 * addon (OpenBLAS sgemm) on the backend's own memory: no copies for wasm (views into its heap),
 * one output allocation for cpu. Anything it does not cover (non-float32, batch broadcasting
 * other than 1-to-n) goes to the backend's original kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './native-addon';

type KernelFunc = tf.KernelConfig['kernelFunc'];

interface WasmBackendLike {
  dataIdMap: { get(id: unknown): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

interface CpuBackendLike {
  data: { get(id: unknown): { values?: ArrayLike<number> } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** Shape facts of one product, or undefined when the native path does not cover it. */
interface Plan {
  batch: number;
  m: number;
  n: number;
  k: number;
  strideA: number;
  strideB: number;
  outShape: number[];
}

function plan(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): Plan | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length, rb = b.shape.length;
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const k2 = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== k2 || m === 0 || n === 0 || k === 0) return undefined;
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const sizeA = batchA.reduce((x, y) => x * y, 1), sizeB = batchB.reduce((x, y) => x * y, 1);
  let outBatch: number[];
  if (sizeA === sizeB && (batchA.length === batchB.length || sizeA === 1)) outBatch = batchA.length >= batchB.length ? batchA : batchB;
  else if (sizeB === 1) outBatch = batchA;
  else if (sizeA === 1) outBatch = batchB;
  else return undefined; // general broadcasting: leave it to the backend
  if (batchA.length === batchB.length && sizeA === sizeB && batchA.some((d, i) => d !== batchB[i])) return undefined;
  const batch = Math.max(sizeA, sizeB);
  return { batch, m, n, k, strideA: sizeA === 1 ? 0 : m * k, strideB: sizeB === 1 ? 0 : k * n, outShape: [...outBatch, m, n] };
}

/** A kernel function that uses `addon` and falls back to `original`. */
export function nativeBatchMatMul(addon: NativeAddon, backendName: string, original: KernelFunc, counter: { native: number; fallback: number }): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = plan(a, b, transposeA, transposeB);
    if (!p) {
      counter.fallback++;
      return original(args);
    }
    counter.native++;
    const size = p.batch * p.m * p.n;
    if (backendName === 'wasm') {
      const be = args.backend as unknown as WasmBackendLike;
      const out = be.makeOutput(p.outShape, 'float32');
      const heap = be.wasm.HEAPU8.buffer; // read after makeOutput: allocation may grow the heap
      const view = (t: tf.TensorInfo, len: number) => new Float32Array(heap, be.dataIdMap.get(t.dataId)!.memoryOffset, len);
      const lenA = (p.strideA || p.m * p.k) * (p.strideA ? p.batch : 1);
      const lenB = (p.strideB || p.k * p.n) * (p.strideB ? p.batch : 1);
      addon.sgemmBatched(view(a, lenA), view(b, lenB), view(out, size), p.batch, p.m, p.n, p.k, transposeA, transposeB, p.strideA, p.strideB);
      return out;
    }
    const be = args.backend as unknown as CpuBackendLike;
    const values = (t: tf.TensorInfo) => {
      const v = be.data.get(t.dataId)?.values;
      return v instanceof Float32Array ? v : Float32Array.from(v ?? []);
    };
    const c = new Float32Array(size);
    addon.sgemmBatched(values(a), values(b), c, p.batch, p.m, p.n, p.k, transposeA, transposeB, p.strideA, p.strideB);
    return be.makeTensorInfo(p.outShape, 'float32', c);
  };
}
