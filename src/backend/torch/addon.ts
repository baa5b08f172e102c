/**
 * Loads the libtorch addon (native/torch/build/primed_torch.node, built by `npm run build:torch`).
 * Absent or unloadable, the `torch` backend is unavailable and `problem` says why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../kernels/native-addon';

/** What `init` reports about the libtorch in use. */
export interface TorchAddonInfo {
  /** libtorch version, e.g. `1.13.0` or `2.11.0`. */
  libtorch: string;
  /** The device tensors live on, e.g. `cpu` or `cuda:0`. */
  device: string;
  /** Whether libtorch sees a CUDA device. */
  cuda: boolean;
  /** CUDA devices visible. */
  gpus: number;
  /** CUDA runtime version as an integer (e.g. 12040), 0 without CUDA. */
  cudaVersion: number;
  /** Intra-op threads. */
  threads: number;
  /** Whether TF32 matmuls are allowed (CUDA only). */
  tf32: boolean;
}

/** The addon's functions (native/torch/src/torch_addon.cc). Tensors are slot ids. */
export interface TorchAddon {
  init(device: string, threads: number, tf32: boolean): TorchAddonInfo;
  threads(n?: number): number;
  setScratch(buffer: Int32Array): void;
  fromArray(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: number): number;
  toArray(id: number): Float32Array | Int32Array | Uint8Array;
  free(id: number): void;
  stats(): [number, number];
  sync(): void;
  unary(op: number, x: number): number;
  unaryScalar(op: number, x: number, s1: number, s2: number): number;
  binary(op: number, a: number, b: number): number;
  addN(ids: number[]): number;
  select(cond: number, t: number, e: number): number;
  cast(x: number, dtype: number): number;
  reduce(op: number, x: number, axes: number[], keepDims: boolean): number;
  argReduce(isMax: boolean, x: number, axis: number): number;
  cumsum(x: number, axis: number, exclusive: boolean, reverse: boolean): number;
  softmax(x: number, dim: number, log: boolean): number;
  softmaxBackward(dy: number, y: number, dim: number): number;
  topk(x: number, k: number, sorted: boolean): number;
  matmul(a: number, b: number, transposeA: boolean, transposeB: boolean): number;
  reshape(x: number, shape: number[]): number;
  transpose(x: number, perm: number[]): number;
  slice(x: number, begin: number[], size: number[]): number;
  stridedSlice(x: number, begin: number[], end: number[], strides: number[]): number;
  flip(x: number, dims: number[]): number;
  concat(ids: number[], axis: number): number;
  stack(ids: number[], axis: number): number;
  unstack(x: number, axis: number): number;
  split(x: number, sizes: number[], axis: number): number;
  tile(x: number, reps: number[]): number;
  broadcastTo(x: number, shape: number[]): number;
  pad(x: number, pads: number[], value: number): number;
  fill(shape: number[], value: number, dtype: number): number;
  range(start: number, step: number, count: number, dtype: number): number;
  gather(x: number, indices: number, batch: number, outer: number, dim: number, slice: number, outShape: number[]): number;
  gatherNd(x: number, indices: number, strides: number[], sliceSize: number, outShape: number[]): number;
  scatterNd(indices: number, updates: number, shape: number[], strides: number[]): number;
  segmentSum(x: number, segmentIds: number, numSegments: number): number;
  oneHot(indices: number, depth: number, on: number, off: number, dtype: number): number;
  resizeBilinear(x: number, height: number, width: number, alignCorners: boolean, halfPixelCenters: boolean): number;
  layerNorm(x: number, weight: number, bias: number, eps: number): number;
  layerNormBackward(dy: number, x: number, mean: number, rstd: number, weight: number, bias: number): number;
  gelu(x: number, tanh: boolean): number;
  geluBackward(dy: number, x: number, tanh: boolean): number;
  linear(x: number, weight: number, bias: number): number;
  adamwInPlace(param: number, grad: number, m: number, v: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): boolean;
  dfg(grad: number, param: number, start: number, lambda: number): number;
  adamw(param: number, grad: number, m: number, v: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): number;
}

/** Environment variable naming another addon file. */
export const TORCH_ADDON_ENV = 'PRIMED_TORCH_ADDON';

/** The addon's path: `$PRIMED_TORCH_ADDON`, else native/torch/build/primed_torch.node of this package. */
export function torchAddonPath(): string {
  return process.env[TORCH_ADDON_ENV] ?? path.join(packageRoot(), 'native', 'torch', 'build', 'primed_torch.node');
}

/** What the build recorded (native/torch/build/build-info.json), when present. */
export function torchBuildInfo(): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(path.dirname(torchAddonPath()), 'build-info.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

let cached: { addon?: TorchAddon; file: string; problem?: string } | undefined;

/** Loads the addon once; `problem` says why it is unusable. */
export function loadTorchAddon(): { addon?: TorchAddon; file: string; problem?: string } {
  if (cached) return cached;
  const file = torchAddonPath();
  if (!fs.existsSync(file)) {
    cached = { file, problem: `not built (${file} is absent; run npm run build:torch)` };
    return cached;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(file) as TorchAddon;
    if (typeof addon.matmul !== 'function' || typeof addon.setScratch !== 'function') throw new Error('it is not primed_torch.node (no matmul/setScratch); rebuild with npm run build:torch');
    cached = { addon, file };
  } catch (err) {
    cached = { file, problem: `cannot load ${file}: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}
