/**
 * safetensors: an 8-byte little-endian header length, a JSON header
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`), then raw little-endian
 * tensor bytes. The reader reads one tensor at a time straight from the file into its typed
 * array (no whole-file buffer); the writer streams tensors one at a time to a temp file that is
 * renamed into place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { numel } from './params';

/** Element types this module reads. F16 and BF16 are widened to float32, I64 narrowed to int32 (range-checked). */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
const FLOAT_DTYPES: SafetensorsDtype[] = ['F32', 'F16', 'BF16'];

/** One tensor's header entry, with absolute byte positions in the file. */
export interface SafetensorsEntry {
  /** Tensor name. */
  name: string;
  /** Element type. */
  dtype: SafetensorsDtype;
  /** Shape (`[]` for a scalar). */
  shape: number[];
  /** First byte in the file. */
  start: number;
  /** Byte length. */
  byteLength: number;
}

/** Largest header accepted (the format's own limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** A safetensors file opened for reading. Call {@link close} when done. */
export class SafetensorsReader {
  /** Entries in file order. */
  readonly entries: Map<string, SafetensorsEntry>;
  /** `__metadata__` strings, if any. */
  readonly metadata: Record<string, string>;
  private fd: number | undefined;

  private constructor(
    /** Path the reader was opened from (as given to {@link SafetensorsReader.open}); used to name the file in errors. */
    readonly file: string,
    fd: number, entries: Map<string, SafetensorsEntry>, metadata: Record<string, string>) {
    this.fd = fd;
    this.entries = entries;
    this.metadata = metadata;
  }

  /** Opens `file` and validates its header: every tensor's byte range must lie inside the file and match its shape and dtype. */
  static open(file: string): SafetensorsReader {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw new Error(`${file}: cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < 8) throw new Error(`${file}: not a safetensors file (${size} bytes, shorter than the 8-byte header length)`);
      const lenBuf = Buffer.alloc(8);
      fs.readSync(fd, lenBuf, 0, 8, 0);
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
        throw new Error(`${file}: header length ${headerLen} does not fit the file (${size} bytes): truncated or not safetensors`);
      }
      const headerBuf = Buffer.alloc(headerLen);
      fs.readSync(fd, headerBuf, 0, headerLen, 8);
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(headerBuf.toString('utf8'));
      } catch (err) {
        throw new Error(`${file}: header is not valid JSON (${(err as Error).message})`);
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error(`${file}: header is not a JSON object`);
      const dataStart = 8 + headerLen;
      const dataSize = size - dataStart;
      const entries = new Map<string, SafetensorsEntry>();
      let metadata: Record<string, string> = {};
      for (const [name, raw] of Object.entries(header)) {
        if (name === '__metadata__') {
          metadata = (raw ?? {}) as Record<string, string>;
          continue;
        }
        entries.set(name, parseEntry(file, name, raw, dataStart, dataSize));
      }
      return new SafetensorsReader(file, fd, entries, metadata);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Tensor names in file order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The entry of `name`; an error naming the file and tensor when absent. */
  entry(name: string): SafetensorsEntry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.file}: no tensor "${name}"`);
    return e;
  }

  /** The values of a float tensor (F32, F16, BF16) as float32. */
  readFloat32(name: string): Float32Array {
    const e = this.entry(name);
    if (!FLOAT_DTYPES.includes(e.dtype)) throw new Error(`${this.file}: tensor "${name}" is ${e.dtype}, not a float type`);
    const n = numel(e.shape);
    if (e.dtype === 'F32') {
      const out = new Float32Array(n);
      this.readInto(e, new Uint8Array(out.buffer));
      if (!LITTLE_ENDIAN) swapBytes(new Uint8Array(out.buffer), 4);
      return out;
    }
    const half = new Uint16Array(n);
    this.readInto(e, new Uint8Array(half.buffer));
    if (!LITTLE_ENDIAN) swapBytes(new Uint8Array(half.buffer), 2);
    return e.dtype === 'F16' ? float16ToFloat32(half) : bfloat16ToFloat32(half);
  }

  /** The values of an integer tensor (I32, or I64 within the int32 range) as int32. */
  readInt32(name: string): Int32Array {
    const e = this.entry(name);
    const n = numel(e.shape);
    if (e.dtype === 'I32') {
      const out = new Int32Array(n);
      this.readInto(e, new Uint8Array(out.buffer));
      if (!LITTLE_ENDIAN) swapBytes(new Uint8Array(out.buffer), 4);
      return out;
    }
    if (e.dtype !== 'I64') throw new Error(`${this.file}: tensor "${name}" is ${e.dtype}, not an integer type`);
    const bytes = new Uint8Array(n * 8);
    this.readInto(e, bytes);
    const view = new DataView(bytes.buffer);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = view.getBigInt64(i * 8, true);
      if (v > 2147483647n || v < -2147483648n) throw new Error(`${this.file}: tensor "${name}" element ${i} (${v}) is outside the int32 range`);
      out[i] = Number(v);
    }
    return out;
  }

  private readInto(e: SafetensorsEntry, target: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.file}: reader is closed`);
    let done = 0;
    while (done < e.byteLength) {
      const got = fs.readSync(this.fd, target, done, e.byteLength - done, e.start + done);
      if (got === 0) throw new Error(`${this.file}: tensor "${e.name}" is truncated (read ${done} of ${e.byteLength} bytes)`);
      done += got;
    }
  }

  /** Closes the file. */
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function parseEntry(file: string, name: string, raw: unknown, dataStart: number, dataSize: number): SafetensorsEntry {
  const where = `${file}: tensor "${name}"`;
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    throw new Error(`${where}: dtype ${JSON.stringify(dtype)} is not supported (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${where}: invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isInteger(o) || o < 0) || offsets[1] < offsets[0]) {
    throw new Error(`${where}: invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataSize) {
    throw new Error(`${where}: data_offsets [${begin}, ${end}] point outside the file's ${dataSize} data bytes (file truncated?)`);
  }
  const byteLength = end - begin;
  const expected = numel(shape) * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (byteLength !== expected) {
    throw new Error(`${where}: ${byteLength} bytes for shape [${shape}] of ${dtype}, expected ${expected}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], start: dataStart + begin, byteLength };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

let f16Table: Float32Array | undefined;

/** IEEE half-precision bit patterns to float32 (table lookup; subnormals, infinities and NaN included). */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      f16Table[h] =
        exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
    }
  }
  const out = new Float32Array(bits.length);
  const table = f16Table;
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** bfloat16 bit patterns to float32 (the upper 16 bits of a float32). */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
  return new Float32Array(out.buffer);
}

/** float32 to IEEE half-precision bit patterns (round to nearest even; overflow to infinity). */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i];
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rem > halfway || (rem === halfway && h & 1)) h++;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
      out[i] = sign | h;
    }
  }
  return out;
}

/** One tensor to write. `data` may be a function so that large models are materialised one tensor at a time. */
export interface TensorToWrite {
  /** Tensor name. */
  name: string;
  /** Shape. */
  shape: number[];
  /** Stored element type: F32 or F16 for float data, I32 or I64 for int data. */
  dtype: 'F32' | 'F16' | 'I32' | 'I64';
  /** The values (float32 for F32/F16, int32 for I32/I64), or a function returning them when written. */
  data: Float32Array | Int32Array | (() => Float32Array | Int32Array);
}

/**
 * Writes a safetensors file atomically (temp file beside it, fsync, rename), streaming one tensor
 * at a time. The header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
 */
export function writeSafetensors(file: string, tensors: TensorToWrite[], metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw new Error(`${file}: duplicate or reserved tensor name "${t.name}"`);
    const bytes = numel(t.shape) * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  if (metadata) header.__metadata__ = metadata;
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    writeAll(fd, len);
    writeAll(fd, headerBytes);
    for (const t of tensors) writeAll(fd, encodeTensor(file, t));
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

function encodeTensor(file: string, t: TensorToWrite): Uint8Array {
  const data = typeof t.data === 'function' ? t.data() : t.data;
  const n = numel(t.shape);
  if (data.length !== n) throw new Error(`${file}: tensor "${t.name}" has ${data.length} values for shape [${t.shape}] (${n})`);
  let bytes: Uint8Array;
  if (t.dtype === 'F32' || t.dtype === 'I32') {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else if (t.dtype === 'F16') {
    const half = float32ToFloat16(data instanceof Float32Array ? data : Float32Array.from(data));
    bytes = new Uint8Array(half.buffer);
  } else {
    const wide = new BigInt64Array(n);
    for (let i = 0; i < n; i++) wide[i] = BigInt(Math.trunc(data[i]));
    bytes = new Uint8Array(wide.buffer);
  }
  if (!LITTLE_ENDIAN) throw new Error(`${file}: writing safetensors on a big-endian host is not supported`);
  return bytes;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}
