/**
 * Images prepared once: decode, antialiased bicubic resize (short side to the model's input
 * size, then a centre crop: open_clip's `Resize(size, BICUBIC)` + `CenterCrop(size)` as
 * torchvision runs them on a PIL image), channel conversion, done once per image file and kept
 * on disk, keyed by the file's content and the preprocessing (a file's content hash is remembered
 * by its path, size and modification time, so a later run reads no full file). Later passes read `size × size`
 * bytes instead of decoding a full-resolution JPEG again, so a full-resolution dataset trains at
 * the speed of a pre-resized one.
 *
 * The resampler is Pillow's (`ImagingResample`, `Resample.c`): a separable convolution whose
 * bicubic kernel (a = −0.5) is widened by the downscale factor (that is the antialiasing), with
 * 22-bit fixed-point weights, horizontal pass first, each pass rounded and clipped to 8 bits.
 */
import { fork } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundledDataDir } from './bundled';
import { decodeImage, type RawImage } from './image';
import { writeFileAtomic } from '../util/fs';
import { silentProgress, type ProgressSink } from '../util/progress';

/** How an image is brought to a square: `centre` (resize the short side, centre-crop) or `none` (resize both sides). */
export type CropMode = 'centre' | 'none';

/** What an image is prepared to: side length, channels and crop. */
export interface PrepareSpec {
  /** Output side length. */
  size: number;
  /** Output channels: 3 (grey is repeated) or 1 (RGB becomes ITU-R BT.601 luma, as PIL's `convert('L')`). */
  channels: number;
  /** Crop mode. Default `centre`. */
  crop?: CropMode;
}

/** Version of the preparation; part of every cache key, bumped when the pixels it makes change. */
export const PREPARE_VERSION = 1;

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`: per output pixel, the first input index and integer weights. */
function coefficients(inSize: number, outSize: number): { start: Int32Array; weights: Int32Array[] } {
  const scale = inSize / outSize;
  const filterscale = Math.max(1, scale);
  const support = 2 * filterscale;
  const start = new Int32Array(outSize);
  const weights: Int32Array[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    const k = new Float64Array(Math.max(0, xmax));
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    const w = new Int32Array(k.length);
    for (let x = 0; x < k.length; x++) {
      const v = ww !== 0 ? k[x] / ww : k[x];
      w[x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[xx] = xmin;
    weights.push(w);
  }
  return { start, weights };
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes 8-bit pixels with Pillow's antialiased bicubic filter (`Image.resize(size,
 * Image.BICUBIC)`), bit for bit: horizontal pass, then vertical, each rounded to 8 bits.
 */
export function resizeBicubicAntialias(src: Uint8Array, height: number, width: number, channels: number, outHeight: number, outWidth: number): Uint8Array {
  let cur = src;
  let w = width;
  if (outWidth !== width) {
    const { start, weights } = coefficients(width, outWidth);
    const out = new Uint8Array(height * outWidth * channels);
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < outWidth; xx++) {
        const k = weights[xx];
        const x0 = start[xx];
        for (let c = 0; c < channels; c++) {
          let ss = ONE / 2;
          for (let x = 0; x < k.length; x++) ss += cur[(y * w + x0 + x) * channels + c] * k[x];
          out[(y * outWidth + xx) * channels + c] = clip8(ss);
        }
      }
    }
    cur = out;
    w = outWidth;
  }
  if (outHeight !== height) {
    const { start, weights } = coefficients(height, outHeight);
    const out = new Uint8Array(outHeight * w * channels);
    const row = w * channels;
    for (let yy = 0; yy < outHeight; yy++) {
      const k = weights[yy];
      const y0 = start[yy];
      for (let i = 0; i < row; i++) {
        let ss = ONE / 2;
        for (let y = 0; y < k.length; y++) ss += cur[(y0 + y) * row + i] * k[y];
        out[yy * row + i] = clip8(ss);
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}

/** Python's `round` (half to even), as torchvision's centre crop uses it. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Brings a decoded image to `spec.size × spec.size × spec.channels` bytes: with `centre`, the
 * short side is resized to `size` (the long side to `floor(size · long / short)`, as torchvision's
 * `Resize(int)`) and the centre square is cut (offsets rounded half to even, as `CenterCrop`);
 * with `none`, both sides are resized to `size`. Then grey is repeated to RGB, or RGB becomes
 * luma when one channel is asked (PIL's `convert('L')`: `(19595 R + 38470 G + 7471 B + 2¹⁵) >> 16`).
 */
export function prepareImage(img: RawImage, spec: PrepareSpec): RawImage {
  const { size } = spec;
  let h: number;
  let w: number;
  if ((spec.crop ?? 'centre') === 'centre') {
    if (img.width <= img.height) {
      w = size;
      h = Math.trunc((size * img.height) / img.width);
    } else {
      h = size;
      w = Math.trunc((size * img.width) / img.height);
    }
  } else {
    h = size;
    w = size;
  }
  const resized = h === img.height && w === img.width ? img.pixels : resizeBicubicAntialias(img.pixels, img.height, img.width, img.channels, h, w);
  const top = roundHalfEven((h - size) / 2);
  const left = roundHalfEven((w - size) / 2);
  const ci = img.channels;
  const co = spec.channels;
  const out = new Uint8Array(size * size * co);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = ((y + top) * w + (x + left)) * ci;
      const d = (y * size + x) * co;
      if (ci === co) for (let c = 0; c < co; c++) out[d + c] = resized[s + c];
      else if (ci === 1) for (let c = 0; c < co; c++) out[d + c] = resized[s];
      else {
        const luma = (resized[s] * 19595 + resized[s + 1] * 38470 + resized[s + 2] * 7471 + 0x8000) >>> 16;
        for (let c = 0; c < co; c++) out[d + c] = luma;
      }
    }
  }
  return { pixels: out, height: size, width: size, channels: co };
}

/**
 * Where prepared images are kept: `PRIMED_IMAGE_CACHE`, else `images/` in primed's cache folder
 * (`PRIMED_CACHE_DIR`, else `.cache/` beside the bundled data, as `cacheDir()`), else
 * `~/.cache/primed/images` when there is no bundled data.
 */
export function imageCacheDir(): string {
  if (process.env.PRIMED_IMAGE_CACHE) return path.resolve(process.env.PRIMED_IMAGE_CACHE);
  if (process.env.PRIMED_CACHE_DIR) return path.resolve(process.env.PRIMED_CACHE_DIR, 'images');
  try {
    return path.resolve(bundledDataDir(), '..', '.cache', 'images');
  } catch {
    return path.join(os.homedir(), '.cache', 'primed', 'images');
  }
}

const hashMemo = new Map<string, { size: number; mtimeMs: number; hash: string }>();

/**
 * SHA-256 of a file's bytes, remembered while its path, size and modification time stay: per
 * process, and (with `memoDir`) on disk in `memoDir/<sha of path|size|mtime>`, so that a later run
 * finds its prepared images without reading every full-resolution file again.
 */
function fileHash(file: string, memoDir?: string): { hash: string; bytes?: Uint8Array } {
  const st = fs.statSync(file);
  const abs = path.resolve(file);
  const memo = hashMemo.get(abs);
  if (memo && memo.size === st.size && memo.mtimeMs === st.mtimeMs) return { hash: memo.hash };
  const statKey = crypto.createHash('sha256').update(`${abs}|${st.size}|${st.mtimeMs}`).digest('hex');
  const memoFile = memoDir ? path.join(memoDir, statKey.slice(0, 2), statKey) : undefined;
  if (memoFile) {
    try {
      const hash = fs.readFileSync(memoFile, 'utf8');
      if (/^[0-9a-f]{64}$/.test(hash)) {
        hashMemo.set(abs, { size: st.size, mtimeMs: st.mtimeMs, hash });
        return { hash };
      }
    } catch {
      // not remembered yet
    }
  }
  const data = fs.readFileSync(file);
  const hash = crypto.createHash('sha256').update(data).digest('hex');
  hashMemo.set(abs, { size: st.size, mtimeMs: st.mtimeMs, hash });
  if (memoFile) {
    fs.mkdirSync(path.dirname(memoFile), { recursive: true });
    writeFileAtomic(memoFile, hash);
  }
  return { hash, bytes: data };
}

/** The cache key of `file` prepared to `spec`: its content hash plus the preprocessing. */
export function preparedKey(contentHash: string, spec: PrepareSpec): string {
  return crypto
    .createHash('sha256')
    .update(`${contentHash}|v${PREPARE_VERSION}|${spec.size}|${spec.channels}|${spec.crop ?? 'centre'}|bicubic-aa`)
    .digest('hex');
}

/** Options of {@link loadPreparedImage}. */
export interface LoadPreparedOptions {
  /** Cache folder; default {@link imageCacheDir}. */
  cacheDir?: string;
  /** Read and write the cache. Default true; false prepares in memory only. */
  cache?: boolean;
}

/**
 * The image file `file` prepared to `spec`: read from the cache when there, else decoded,
 * prepared and stored (atomically). Errors name the file (unreadable, not an image, corrupt).
 * Returns the image and whether it came from the cache.
 */
export function loadPreparedImage(file: string, spec: PrepareSpec, options: LoadPreparedOptions = {}): PreparedImage {
  const useCache = options.cache !== false;
  const dir = options.cacheDir ?? imageCacheDir();
  let bytes: Uint8Array | undefined;
  let hash: string;
  try {
    ({ hash, bytes } = fileHash(file, useCache ? path.join(dir, 'hashes') : undefined));
  } catch (err) {
    throw new Error(`${file}: cannot read image (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const key = preparedKey(hash, spec);
  const entry = path.join(dir, key.slice(0, 2), `${key}.u8`);
  const n = spec.size * spec.size * spec.channels;
  if (useCache) {
    try {
      const data = fs.readFileSync(entry);
      if (data.length === n) return { image: { pixels: new Uint8Array(data.buffer, data.byteOffset, n), height: spec.size, width: spec.size, channels: spec.channels }, cached: true };
    } catch {
      // not cached yet
    }
  }
  const raw = decodeImage(bytes ?? fs.readFileSync(file), file);
  const image = prepareImage(raw, spec);
  if (useCache) {
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    writeFileAtomic(entry, image.pixels);
  }
  return { image, cached: false };
}

/** What {@link loadPreparedImage} returns. */
export interface PreparedImage {
  /** The prepared image, `size × size × channels` bytes. */
  image: RawImage;
  /** Whether it was read from the cache. */
  cached: boolean;
}

/** A file {@link prepareFiles} could not prepare. */
export interface FailedImage {
  /** Its path. */
  file: string;
  /** Why (the message names the file). */
  error: string;
}

/** What {@link prepareFiles} did. */
export interface PrepareSummary {
  /** Files prepared now. */
  prepared: number;
  /** Files found in the cache. */
  cached: number;
  /** Files that could not be read or decoded, with the reason (nothing is cached for them). */
  failed: FailedImage[];
  /** Seconds spent. */
  seconds: number;
}

/** Options of {@link prepareFiles}. */
export interface PrepareFilesOptions extends LoadPreparedOptions {
  /** One unit per file. */
  progress?: ProgressSink;
  /** Progress label. Default `prepare images`. */
  label?: string;
}

/**
 * Prepares every file (decode, resize, crop, cache), reporting one progress unit per file under
 * `label`. Unreadable or corrupt files are collected in `failed`, not thrown, so one pass names
 * them all.
 */
export function prepareFiles(files: string[], spec: PrepareSpec, options: PrepareFilesOptions = {}): PrepareSummary {
  const progress = options.progress ?? silentProgress;
  const label = options.label ?? 'prepare images';
  const t0 = performance.now();
  const summary: PrepareSummary = { prepared: 0, cached: 0, failed: [], seconds: 0 };
  files.forEach((f, i) => {
    if (i % 16 === 0) progress({ label, done: i, total: files.length });
    try {
      if (loadPreparedImage(f, spec, options).cached) summary.cached++;
      else summary.prepared++;
    } catch (err) {
      summary.failed.push({ file: f, error: (err as Error).message });
    }
  });
  progress({ label, done: files.length, total: files.length });
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

/** Options of {@link prepareFilesParallel}. */
export interface PrepareParallelOptions extends PrepareFilesOptions {
  /** Worker processes. Default: the cores less one, at most 8; 1 prepares here. Fewer than 64 files are always prepared here. */
  workers?: number;
}

/** The default number of {@link prepareFilesParallel} workers: the cores less one, between 1 and 8. */
export function defaultPrepareWorkers(): number {
  return Math.max(1, Math.min(8, os.cpus().length - 1));
}

/**
 * {@link prepareFiles} on several worker processes (decoding a full-resolution JPEG takes the
 * better part of a second in JavaScript, so a large dataset's first preparation is worth spreading
 * over the cores). Files found in the cache cost a stat and a small read; progress is one unit per
 * file, as with {@link prepareFiles}.
 */
export async function prepareFilesParallel(files: string[], spec: PrepareSpec, options: PrepareParallelOptions = {}): Promise<PrepareSummary> {
  const workers = Math.min(options.workers ?? defaultPrepareWorkers(), Math.ceil(files.length / 32));
  if (workers <= 1 || files.length < 64) return prepareFiles(files, spec, options);
  const progress = options.progress ?? silentProgress;
  const label = options.label ?? 'prepare images';
  const t0 = performance.now();
  const ts = path.extname(__filename) === '.ts';
  const script = path.join(__dirname, ts ? 'prepare-worker.ts' : 'prepare-worker.js');
  const execArgv = ts ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [];
  const done = new Array<number>(workers).fill(0);
  const report = () => progress({ label, done: done.reduce((a, b) => a + b, 0), total: files.length });
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const mine = files.filter((_, i) => i % workers === w);
      return new Promise<PrepareSummary>((resolve, reject) => {
        const child = fork(script, [], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
        let stderr = '';
        let result: PrepareSummary | undefined;
        child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-2000)));
        child.on('message', (m: { type: string; done?: number; summary?: PrepareSummary }) => {
          if (m.type === 'progress') {
            done[w] = m.done ?? 0;
            report();
          } else if (m.type === 'done') result = m.summary;
        });
        child.on('error', reject);
        // 'close', not 'exit': a worker's last IPC message can arrive after its 'exit' event (seen under load).
        child.on('close', (code) => (result ? resolve(result) : reject(new Error(`prepare worker ${w + 1} of ${workers} exited with code ${code} before finishing${stderr ? `: ${stderr.trim()}` : ''}`))));
        child.send({ files: mine, spec, cacheDir: options.cacheDir ?? imageCacheDir(), cache: options.cache });
      });
    }),
  );
  progress({ label, done: files.length, total: files.length });
  const failed = parts.flatMap((p) => p.failed);
  const order = new Map(files.map((f, i) => [f, i]));
  failed.sort((a, b) => order.get(a.file)! - order.get(b.file)!);
  return {
    prepared: parts.reduce((s, p) => s + p.prepared, 0),
    cached: parts.reduce((s, p) => s + p.cached, 0),
    failed,
    seconds: (performance.now() - t0) / 1000,
  };
}
