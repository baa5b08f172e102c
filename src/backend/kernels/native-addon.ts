/**
 * Loads the optional native addon (native/build/Release/primed_native.node, built by
 * `native/build.sh`). Absent or unloadable, every caller falls back to the backend's own kernels.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the addon exports (native/src/matmul.cc). */
export interface NativeAddon {
  /**
   * `c[i] = op(a[i]) @ op(b[i])` for `i < batch`, row-major float32; a stride of 0 broadcasts an
   * operand over the batch. Arrays may be views into the wasm heap.
   */
  sgemmBatched(
    a: Float32Array, b: Float32Array, c: Float32Array,
    batch: number, m: number, n: number, k: number,
    transposeA: boolean, transposeB: boolean, strideA: number, strideB: number,
  ): void;
  /** Sets (when given) and returns the BLAS thread count. */
  threads(n?: number): number;
}

/** Environment variable naming another addon file. */
export const NATIVE_ADDON_ENV = 'PRIMED_NATIVE_ADDON';

let cached: { addon?: NativeAddon; file: string; problem?: string } | undefined;

/**
 * The package root (the folder holding native/), found by walking up from this file, so that
 * addons are found from src/ and from dist/src/ alike.
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'native', 'binding.gyp'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(__dirname, '..', '..', '..');
    dir = up;
  }
}

/** The addon's path: `$PRIMED_NATIVE_ADDON`, else native/build/Release/primed_native.node of this checkout. */
export function nativeAddonPath(): string {
  if (process.env[NATIVE_ADDON_ENV]) return process.env[NATIVE_ADDON_ENV]!;
  return path.join(packageRoot(), 'native', 'build', 'Release', 'primed_native.node');
}

/** Loads the addon once; `problem` says why it is unusable. */
export function loadNativeAddon(): { addon?: NativeAddon; file: string; problem?: string } {
  if (cached) return cached;
  const file = nativeAddonPath();
  if (!fs.existsSync(file)) {
    cached = { file, problem: `not built (${file} is absent; run native/build.sh)` };
    return cached;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(file) as NativeAddon;
    if (typeof addon.sgemmBatched !== 'function') throw new Error('it exports no sgemmBatched');
    cached = { addon, file };
  } catch (err) {
    cached = { file, problem: `cannot load ${file}: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}
