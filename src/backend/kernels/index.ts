/**
 * Optional native kernels: `BatchMatMul` through the native addon (OpenBLAS), registered on the
 * wasm or cpu backend in place of its own kernel, which stays the fallback. Off unless
 * {@link registerNativeKernels} is called (or `PRIMED_NATIVE_KERNELS=1` where the caller honours
 * it); without the addon nothing changes and the status says why.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeBatchMatMul } from './batch-matmul';
import { loadNativeAddon } from './native-addon';

export { loadNativeAddon, nativeAddonPath, NATIVE_ADDON_ENV, type NativeAddon } from './native-addon';

/** Backends the native kernels can serve. */
export const NATIVE_KERNEL_BACKENDS = ['wasm', 'cpu'] as const;

/** What is in use, for reports and `primed doctor`. */
export interface NativeKernelStatus {
  /** Whether native kernels are registered on the active backend. */
  active: boolean;
  /** Why not, or what is registered. */
  reason: string;
  /** Backend they are registered on. */
  backend?: string;
  /** Kernel names replaced. */
  kernels?: string[];
  /** BLAS threads. */
  threads?: number;
  /** Addon file. */
  addon?: string;
  /** Calls served natively and by the fallback since registration. */
  calls?: { native: number; fallback: number };
}

let status: NativeKernelStatus = { active: false, reason: 'not registered' };
let restore: (() => void) | undefined;

/** Why the addon cannot be used, or undefined when it loads. */
export function nativeAddonProblem(): string | undefined {
  return loadNativeAddon().problem;
}

/** Options of {@link registerNativeKernels}. */
export interface NativeKernelOptions {
  /** BLAS threads. Default 1 (the wasm backend is single-threaded under Node; keeps comparisons fair). */
  threads?: number;
}

/**
 * Replaces `BatchMatMul` of `backend` (`wasm` or `cpu`) with the native one. Returns the status;
 * an absent addon or another backend gives `active: false` with the reason and changes nothing.
 */
export function registerNativeKernels(backend: string, options: NativeKernelOptions = {}): NativeKernelStatus {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`registerNativeKernels: option threads must be a positive integer, got ${threads}`);
  if (!(NATIVE_KERNEL_BACKENDS as readonly string[]).includes(backend)) {
    return (status = { active: false, reason: `no native kernels for backend ${backend} (only ${NATIVE_KERNEL_BACKENDS.join(', ')})` });
  }
  const { addon, file, problem } = loadNativeAddon();
  if (!addon) return (status = { active: false, reason: problem ?? 'addon unavailable', addon: file });
  unregisterNativeKernels();
  const original = tf.getKernel('BatchMatMul', backend);
  if (!original) return (status = { active: false, reason: `backend ${backend} has no BatchMatMul kernel to wrap` });
  const calls = { native: 0, fallback: 0 };
  tf.unregisterKernel('BatchMatMul', backend);
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: backend, kernelFunc: nativeBatchMatMul(addon, backend, original.kernelFunc, calls) });
  restore = () => {
    tf.unregisterKernel('BatchMatMul', backend);
    tf.registerKernel(original);
  };
  status = { active: true, reason: 'registered', backend, kernels: ['BatchMatMul'], threads: addon.threads(threads), addon: file, calls };
  return status;
}

/** Puts the backend's own kernels back. */
export function unregisterNativeKernels(): void {
  restore?.();
  restore = undefined;
  status = { active: false, reason: 'not registered' };
}

/** The current status. */
export function nativeKernelStatus(): NativeKernelStatus {
  return status;
}
