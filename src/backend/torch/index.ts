/**
 * The `torch` tfjs backend over libtorch (native/torch): registration, device and precision
 * choice, and what it reports. See backend.ts for the tensor store and kernels.ts for the kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { loadTorchAddon, torchBuildInfo, type TorchAddonInfo } from './addon';
import { TorchBackend, type TorchMemory } from './backend';
import { registerTorchKernels, TORCH_KERNEL_NAMES } from './kernels';

export { TorchBackend, type TorchMemory } from './backend';
export { TORCH_KERNEL_NAMES } from './kernels';
export { loadTorchAddon, torchAddonPath, torchBuildInfo, TORCH_ADDON_ENV, type TorchAddon, type TorchAddonInfo } from './addon';

/** Matmul precision on CUDA: `fp32` (exact float32) or `tf32` (TensorFloat-32 tensor cores). */
export type TorchPrecision = 'fp32' | 'tf32';

/** Options of {@link registerTorchBackend}. */
export interface TorchBackendOptions {
  /** `cpu`, `cuda`, `cuda:N` or `mps`. Default: `cuda` when libtorch sees a GPU, else `cpu`. */
  device?: string;
  /** Intra-op threads of libtorch on the CPU. Default: the number of cores. */
  threads?: number;
  /** Matmul precision on CUDA. Default `fp32`. */
  precision?: TorchPrecision;
}

/** What the torch backend runs on, recorded with every run. */
export interface TorchBackendInfo extends TorchAddonInfo {
  /** Matmul precision in force. */
  precision: TorchPrecision;
  /** The addon file. */
  addon: string;
  /** What the build linked (native/torch/build/build-info.json). */
  build?: Record<string, unknown>;
}

let registered: { info: TorchBackendInfo; backend?: TorchBackend } | undefined;

/** Why the torch backend cannot be used, or undefined when its addon loads. */
export function torchAddonProblem(): string | undefined {
  return loadTorchAddon().problem;
}

/** Parses a device name, or throws naming the option. */
export function parseTorchDevice(value: string, source: string): string {
  const v = value.trim().toLowerCase();
  if (v === 'cpu' || v === 'cuda' || v === 'mps' || /^cuda:\d+$/.test(v)) return v;
  throw new Error(`${source}: unknown device "${value}"; expected cpu, cuda, cuda:N or mps`);
}

/**
 * Initialises libtorch on the chosen device and registers the `torch` tfjs backend (it does not
 * switch to it: `tf.setBackend('torch')` does). Throws with the reason when the addon is missing
 * or the device is unavailable. Calling it again with other options re-initialises the device.
 */
export function registerTorchBackend(options: TorchBackendOptions = {}): TorchBackendInfo {
  const { addon, file, problem } = loadTorchAddon();
  if (!addon) throw new Error(`torch backend unavailable: ${problem}`);
  const precision = options.precision ?? 'fp32';
  if (precision !== 'fp32' && precision !== 'tf32') throw new Error(`torch backend: option precision must be "fp32" or "tf32", got "${precision}"`);
  const threads = options.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`torch backend: option threads must be a positive integer, got ${threads}`);
  let device = options.device ? parseTorchDevice(options.device, 'option device') : undefined;
  if (!device) {
    // Probe CUDA without committing: init on cpu first tells whether a GPU is visible.
    const probe = addon.init('cpu', threads, false);
    device = probe.cuda ? 'cuda' : 'cpu';
  }
  const info = addon.init(device, threads, precision === 'tf32');
  const full: TorchBackendInfo = { ...info, precision, addon: file, build: torchBuildInfo() };
  if (!tf.findBackend('torch')) {
    registerTorchKernels('torch');
    tf.registerBackend('torch', () => {
      const be = new TorchBackend(addon);
      if (registered) registered.backend = be;
      return be;
    }, 1);
  }
  registered = { info: full, backend: registered?.backend };
  return full;
}

/** What {@link registerTorchBackend} set up, or undefined before. */
export function torchBackendInfo(): TorchBackendInfo | undefined {
  return registered?.info;
}

/** libtorch tensors and bytes held by the torch backend, or undefined when it is not in use. */
export function torchMemory(): TorchMemory | undefined {
  const be = tf.findBackend('torch') as TorchBackend | null;
  return be ? be.torchMemory() : undefined;
}

/** Waits for the device (CUDA work is asynchronous); a no-op on the CPU. */
export function torchSync(): void {
  loadTorchAddon().addon?.sync();
}

/** Number of kernels the backend implements (for reports). */
export function torchKernelCount(): number {
  return TORCH_KERNEL_NAMES.length;
}
