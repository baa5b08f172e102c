/**
 * Picks and reports the TensorFlow.js backend.
 *
 * Order of preference: `torch` (primed's libtorch addon, `npm run build:torch`; CUDA when libtorch
 * sees a GPU, else CPU), then `tensorflow` (the native binding of `@tensorflow/tfjs-node-gpu`,
 * then `@tensorflow/tfjs-node`, when their optional binding is present), then `wasm` (SIMD, plus
 * the optional OpenBLAS matmul kernels), then the pure-JS `cpu`. `PRIMED_BACKEND` or the `backend`
 * option forces one; a forced backend that is not available is an error that says why.
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerNativeKernels } from './kernels';
import { parseTorchDevice, registerTorchBackend, torchAddonProblem, type TorchBackendInfo, type TorchPrecision } from './torch';

export {
  registerTorchBackend, torchBackendInfo, torchMemory, torchSync, torchAddonProblem, parseTorchDevice, TORCH_KERNEL_NAMES,
  type TorchBackendInfo, type TorchBackendOptions, type TorchMemory, type TorchPrecision,
} from './torch';
export { FUSED_KERNELS, hasFusedKernels } from './fused';

/** Backend names primed knows about, best first. */
export const BACKEND_NAMES = ['torch', 'tensorflow', 'wasm', 'cpu'] as const;
/** A backend name. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What was chosen, recorded with every run. */
export interface BackendInfo {
  /** tfjs backend name (`torch`, `tensorflow`, `wasm` or `cpu`). */
  name: BackendName;
  /** Which npm package provides it. */
  package: string;
  /** Threads the backend computes with (1 when single-threaded; libtorch's intra-op threads on `torch`). */
  threads: number;
  /** Where tensors live: `cpu`, `cuda:N` or `mps` on `torch`; `cpu` elsewhere. */
  device?: string;
  /** Matmul precision on CUDA (`fp32` or `tf32`); `fp32` everywhere else. */
  precision?: TorchPrecision;
  /** libtorch, its device and build, on the `torch` backend. */
  torch?: TorchBackendInfo;
  /** Whether WASM SIMD is in use (wasm only). */
  simd?: boolean;
  /** Version of `@tensorflow/tfjs-core`. */
  tfjsVersion: string;
  /** Why this one: `forced by PRIMED_BACKEND`, `forced by option`, or `best available`. */
  reason: string;
  /** Native (OpenBLAS) matmul kernels registered on this backend, when the optional addon is built. */
  native?: {
    /** True when the OpenBLAS `BatchMatMul` kernel replaced the backend's own; false when the backend's built-in matmul runs. */
    active: boolean;
    /**
     * `registered` when active; otherwise why not, e.g. `off by PRIMED_NATIVE=0`, `off by option native`, the addon's load
     * problem, or `no native kernels for backend tensorflow` (the native TensorFlow backend has its own fast matmul).
     */
    reason: string;
    /** BLAS threads the addon actually runs with (the `nativeThreads` option, default the core count); present only when `active`. */
    threads?: number;
  };
}

/** Availability of one optional package. */
export interface PackageProbe {
  /** npm package name. */
  package: string;
  /** Installed version, when installed. */
  version?: string;
  /** Whether it loads and can run. */
  usable: boolean;
  /** Why it is not usable. */
  problem?: string;
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Force a backend; overrides `PRIMED_BACKEND`. */
  backend?: BackendName;
  /** torch: `cpu`, `cuda`, `cuda:N` or `mps`; overrides `PRIMED_DEVICE`. Default: CUDA when available, else CPU. */
  device?: string;
  /** torch on CUDA: `fp32` (default) or `tf32` matmuls; overrides `PRIMED_PRECISION`. */
  precision?: TorchPrecision;
  /** Compute threads (torch's intra-op threads, wasm threads); overrides `PRIMED_THREADS`; default: the number of cores. */
  threads?: number;
  /** Print the choice to stderr. Default false. */
  verbose?: boolean;
  /**
   * Use the optional native matmul kernels (`npm run build:native`) on wasm/cpu when built.
   * Default true; `PRIMED_NATIVE=0` turns them off.
   */
  native?: boolean;
  /** BLAS threads of the native kernels. Default: `threads`. */
  nativeThreads?: number;
}

let current: BackendInfo | undefined;

function packageVersion(name: string): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** Whether a tfjs-node package's native binding file exists (checked without loading it). */
export function nativeBindingPresent(pkg: string): boolean {
  try {
    const root = path.dirname(require.resolve(`${pkg}/package.json`));
    const lib = path.join(root, 'lib');
    return fs.existsSync(lib) && fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
  } catch {
    return false;
  }
}

/** Tries to load a native tfjs-node package; it registers the `tensorflow` backend on success. */
export function probeNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): PackageProbe {
  const version = packageVersion(pkg);
  if (!version) return { package: pkg, usable: false, problem: 'not installed' };
  if (!nativeBindingPresent(pkg)) {
    // Requiring it anyway would register half its kernels before failing; check the file first.
    return {
      package: pkg,
      version,
      usable: false,
      problem: 'installed, but its native binding is missing: its install script (which downloads libtensorflow) did not run or failed',
    };
  }
  try {
    require(pkg);
    return { package: pkg, version, usable: true };
  } catch (err) {
    const msg = String((err as Error).message ?? err).split('\n')[0];
    const problem = /tfjs_binding\.node/.test(msg)
      ? 'installed, but its native binding is missing: its install script (which downloads libtensorflow) did not run or failed'
      : msg;
    return { package: pkg, version, usable: false, problem };
  }
}

/** Probes every optional backend package without changing the active backend. */
export function probePackages(): PackageProbe[] {
  const wasmVersion = packageVersion('@tensorflow/tfjs-backend-wasm');
  return [
    probeNative('@tensorflow/tfjs-node-gpu'),
    probeNative('@tensorflow/tfjs-node'),
    {
      package: '@tensorflow/tfjs-backend-wasm',
      version: wasmVersion,
      usable: wasmVersion !== undefined,
      problem: wasmVersion ? undefined : 'not installed',
    },
  ];
}

function parseForced(value: string, source: string): BackendName {
  const v = value.trim().toLowerCase();
  if (v === 'node' || v === 'tfjs-node') return 'tensorflow';
  if (v === 'libtorch') return 'torch';
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(`${source}: unknown backend "${value}"; expected one of ${BACKEND_NAMES.join(', ')}`);
}

async function tryWasm(threads: number): Promise<{ ok: boolean; threads: number; simd: boolean; problem?: string }> {
  // Emscripten's Node glue installs process-wide handlers that re-throw every uncaught error,
  // which makes Node print the whole minified wasm loader as the error's source line.
  const before = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  const removeAddedHandlers = () => {
    for (const l of process.listeners('uncaughtException')) {
      if (!before.uncaughtException.includes(l)) process.removeListener('uncaughtException', l);
    }
    for (const l of process.listeners('unhandledRejection')) {
      if (!before.unhandledRejection.includes(l)) process.removeListener('unhandledRejection', l);
    }
  };
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(threads);
    const ok = await tf.setBackend('wasm');
    if (!ok) return { ok: false, threads: 1, simd: false, problem: 'tf.setBackend("wasm") failed' };
    await tf.ready();
    removeAddedHandlers();
    const multi = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    return { ok: true, threads: multi ? wasm.getThreadsCount() : 1, simd };
  } catch (err) {
    return { ok: false, threads: 1, simd: false, problem: String((err as Error).message ?? err) };
  }
}

/**
 * Chooses and initialises the best tfjs backend present (or the forced one) and returns what
 * it chose. Safe to call more than once: later calls return the first choice unless a
 * different backend is forced.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  let forced: BackendName | undefined;
  let reason = 'best available';
  if (options.backend) {
    forced = parseForced(options.backend, 'option backend');
    reason = 'forced by option';
  } else if (process.env.PRIMED_BACKEND) {
    forced = parseForced(process.env.PRIMED_BACKEND, 'environment variable PRIMED_BACKEND');
    reason = 'forced by PRIMED_BACKEND';
  }
  const deviceOption = options.device ?? (process.env.PRIMED_DEVICE ? parseTorchDevice(process.env.PRIMED_DEVICE, 'environment variable PRIMED_DEVICE') : undefined);
  const precisionOption = options.precision ?? (process.env.PRIMED_PRECISION as TorchPrecision | undefined);
  if (precisionOption !== undefined && precisionOption !== 'fp32' && precisionOption !== 'tf32') {
    throw new Error(`${options.precision ? 'option precision' : 'environment variable PRIMED_PRECISION'}: expected fp32 or tf32, got "${precisionOption}"`);
  }
  if (current && (!forced || forced === current.name)) {
    const sameDevice = !deviceOption || current.name !== 'torch' || sameTorchDevice(deviceOption, current.device);
    const samePrecision = !precisionOption || current.name !== 'torch' || precisionOption === current.precision;
    if (sameDevice && samePrecision) return current;
  }

  const threads = options.threads ?? threadsFromEnv() ?? os.cpus().length;
  const tfjsVersion = tf.version_core;
  const candidates: BackendName[] = forced ? [forced] : [...BACKEND_NAMES];
  const problems: string[] = [];
  for (const name of candidates) {
    if (name === 'torch') {
      const problem = torchAddonProblem();
      if (problem) {
        problems.push(`torch: ${problem}`);
        continue;
      }
      try {
        const info = registerTorchBackend({ device: deviceOption, threads, precision: precisionOption });
        if (await tf.setBackend('torch')) {
          await tf.ready();
          current = { name, package: 'primed torch addon (libtorch)', threads: info.threads, device: info.device, precision: info.precision, torch: info, tfjsVersion, reason };
          break;
        }
        problems.push('torch: tf.setBackend("torch") failed');
      } catch (err) {
        if (forced) throw err;
        problems.push(`torch: ${(err as Error).message}`);
      }
    } else if (name === 'tensorflow') {
      const probes = [probeNative('@tensorflow/tfjs-node-gpu'), probeNative('@tensorflow/tfjs-node')];
      const usable = probes.find((p) => p.usable);
      if (usable && (await tf.setBackend('tensorflow'))) {
        await tf.ready();
        current = { name, package: usable.package, threads, tfjsVersion, reason };
        break;
      }
      problems.push(...probes.map((p) => `${p.package}: ${p.problem ?? 'setBackend failed'}`));
    } else if (name === 'wasm') {
      const r = await tryWasm(threads);
      if (r.ok) {
        current = { name, package: '@tensorflow/tfjs-backend-wasm', threads: r.threads, simd: r.simd, tfjsVersion, reason };
        break;
      }
      problems.push(`@tensorflow/tfjs-backend-wasm: ${r.problem}`);
    } else {
      await tf.setBackend('cpu');
      await tf.ready();
      current = { name, package: '@tensorflow/tfjs-backend-cpu', threads: 1, tfjsVersion, reason };
      break;
    }
  }
  if (!current || (forced && current.name !== forced)) {
    throw new Error(`backend "${forced}" (${reason}) is not available: ${problems.join('; ')}`);
  }
  if (current.name !== 'torch') {
    if (deviceOption && deviceOption !== 'cpu') throw new Error(`device ${deviceOption} needs the torch backend; ${current.name} runs on the CPU only`);
    current.device = 'cpu';
    current.precision = 'fp32';
  }
  if (current.name === 'wasm' || current.name === 'cpu') {
    const wanted = options.native ?? process.env.PRIMED_NATIVE !== '0';
    const st = wanted
      ? registerNativeKernels(current.name, { threads: options.nativeThreads ?? threads })
      : { active: false, reason: options.native === false ? 'off by option native' : 'off by PRIMED_NATIVE=0' };
    current.native = { active: st.active, reason: st.reason, ...(st.active ? { threads: (st as { threads?: number }).threads } : {}) };
  }
  if (options.verbose) process.stderr.write(`primed: backend ${describeBackend(current)}\n`);
  return current;
}

/** `PRIMED_THREADS`, validated. */
function threadsFromEnv(): number | undefined {
  const v = process.env.PRIMED_THREADS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`environment variable PRIMED_THREADS: expected a positive integer, got "${v}"`);
  return n;
}

function sameTorchDevice(wanted: string, actual: string | undefined): boolean {
  if (wanted === 'cuda') return actual?.startsWith('cuda') ?? false;
  return wanted === actual;
}

/**
 * What sets a backend's numerics, as recorded with results and in numeric cache keys: backend,
 * device, precision and thread counts (sums split over another number of threads can differ in
 * the last bits), and the library versions.
 */
export interface BackendIdentity {
  /** Backend name. */
  name: BackendName;
  /** Device (`cpu`, `cuda:0`, ...). */
  device: string;
  /** Matmul precision (`fp32` or `tf32`). */
  precision: TorchPrecision;
  /** Compute threads. */
  threads: number;
  /** BLAS threads of the native matmul kernels (wasm/cpu), 0 when they are not in use. */
  nativeThreads: number;
  /** tfjs-core version. */
  tfjsVersion: string;
  /** libtorch version on `torch`. */
  libtorch?: string;
}

/** The numerics-relevant identity of a backend (see {@link BackendIdentity}). */
export function backendIdentity(info: BackendInfo): BackendIdentity {
  return {
    name: info.name,
    device: info.device ?? 'cpu',
    precision: info.precision ?? 'fp32',
    threads: info.threads,
    nativeThreads: info.native?.active ? info.native.threads ?? 1 : 0,
    tfjsVersion: info.tfjsVersion,
    ...(info.torch ? { libtorch: info.torch.libtorch } : {}),
  };
}

/** One line naming a backend identity, e.g. `torch on cuda:0 (tf32, 16 threads)`. */
export function describeIdentity(id: Pick<BackendIdentity, 'name' | 'device' | 'precision' | 'threads'>): string {
  return `${id.name} on ${id.device ?? 'cpu'} (${id.precision ?? 'fp32'}, ${id.threads} thread${id.threads === 1 ? '' : 's'})`;
}

/** The backend chosen by {@link initBackend}, or undefined before it ran. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/** One line such as `wasm (@tensorflow/tfjs-backend-wasm, 1 thread, SIMD) tfjs 4.22.0, best available`. */
export function describeBackend(info: BackendInfo): string {
  const t = `${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  const simd = info.simd ? ', SIMD' : '';
  const native = info.native?.active ? `, native matmul (${info.native.threads} BLAS thread${info.native.threads === 1 ? '' : 's'})` : '';
  if (info.torch) {
    const cuda = info.torch.cuda ? `, CUDA ${formatCudaVersion(info.torch.cudaVersion)}` : '';
    return `torch (libtorch ${info.torch.libtorch} on ${info.device}${cuda}, ${info.precision}, ${t}) tfjs ${info.tfjsVersion}, ${info.reason}`;
  }
  return `${info.name} (${info.package}, ${t}${simd}${native}) tfjs ${info.tfjsVersion}, ${info.reason}`;
}

/** `12040` -> `12.4`. */
export function formatCudaVersion(v: number): string {
  return v > 0 ? `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}` : 'none';
}

/** Whether the torch addon loads. */
export interface TorchAddonStatus {
  /** True when `native/torch/build/primed_torch.node` loads. */
  usable: boolean;
  /** Why not, when it does not. */
  problem?: string;
}

/** Everything `primed doctor` prints. */
export interface DoctorReport {
  /** The chosen backend. */
  backend: BackendInfo;
  /** Node.js version. */
  node: string;
  /** tfjs version. */
  tfjs: string;
  /** Platform and CPU count. */
  platform: string;
  /** Cores. */
  cpus: number;
  /** Optional packages and whether they are usable. */
  packages: PackageProbe[];
  /** The torch addon: loaded, or why not. */
  torchAddon: TorchAddonStatus;
  /** What would make a faster backend available. */
  advice: string[];
}

/** Gathers the doctor report (initialises the backend if needed). */
export async function doctor(options: InitBackendOptions = {}): Promise<DoctorReport> {
  const backend = await initBackend(options);
  const packages = probePackages();
  const advice: string[] = [];
  const torchProblem = torchAddonProblem();
  if (backend.name !== 'torch') {
    advice.push(
      torchProblem
        ? `The torch backend (libtorch, CPU or CUDA) is unavailable: ${torchProblem}. Build it with \`npm run build:torch\` ` +
            '(Debian: `apt-get install libtorch-dev` first; on a GPU host, PRIMED_TORCH_DIR or the python3 PyTorch install is used).'
        : 'The torch backend is built but not in use (another backend was forced).',
    );
  }
  if (backend.name === 'wasm' && backend.threads === 1) {
    advice.push('The wasm backend runs single-threaded under Node.js (no multithread support detected).');
  }
  if (backend.native && !backend.native.active && backend.name !== 'tensorflow') {
    advice.push(`Native matmul kernels are not in use (${backend.native.reason}); \`apt-get install libopenblas-dev && npm run build:native\` builds them.`);
  }
  if (backend.name === 'cpu') advice.push('Install @tensorflow/tfjs-backend-wasm for a backend 10-20x faster than cpu.');
  return {
    backend,
    node: process.version,
    tfjs: tf.version_core,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    packages,
    torchAddon: { usable: !torchProblem, ...(torchProblem ? { problem: torchProblem } : {}) },
    advice,
  };
}
