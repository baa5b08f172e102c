/**
 * The NumPy `.npy` format (versions 1.0, 2.0 and 3.0): a magic string, a Python-literal header
 * (`descr`, `fortran_order`, `shape`) and the raw array bytes. Numeric dtypes only; object
 * (pickled) arrays are refused, since unpickling is neither safe nor possible here.
 */

/** Dtype codes {@link NdArray} supports (NumPy's kind + item size, little-endian in memory). */
export type NdDtype = 'f4' | 'f8' | 'f2' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';

/** Typed-array storage of an {@link NdArray}. */
export type NdData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/**
 * An n-dimensional array in C (row-major) order. `f2` (half precision) is decoded to a
 * `Float32Array` (exact: every half value is a float32); `b1` (bool) is a `Uint8Array` of 0/1;
 * `i8`/`u8` are `BigInt64Array`/`BigUint64Array`.
 */
export interface NdArray {
  /** Element type. */
  dtype: NdDtype;
  /** Dimensions; `[]` for a scalar. */
  shape: number[];
  /** Elements in C order; length = product of `shape`. */
  data: NdData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

const ITEM_SIZE: Record<NdDtype, number> = { f4: 4, f8: 8, f2: 2, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8, b1: 1 };

/** Allocates the typed array that stores `n` elements of `dtype`. */
export function allocData(dtype: NdDtype, n: number): NdData {
  switch (dtype) {
    case 'f4':
    case 'f2':
      return new Float32Array(n);
    case 'f8':
      return new Float64Array(n);
    case 'i1':
      return new Int8Array(n);
    case 'i2':
      return new Int16Array(n);
    case 'i4':
      return new Int32Array(n);
    case 'i8':
      return new BigInt64Array(n);
    case 'u1':
    case 'b1':
      return new Uint8Array(n);
    case 'u2':
      return new Uint16Array(n);
    case 'u4':
      return new Uint32Array(n);
    case 'u8':
      return new BigUint64Array(n);
  }
}

interface Header {
  dtype: NdDtype;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
}

/** Parses a numpy `descr` such as `<f4`, `|u1`, `>i8`, `|b1`. */
function parseDescr(descr: string, where: string): { dtype: NdDtype; littleEndian: boolean } {
  if (/^\|?O/.test(descr) || descr.includes('O')) {
    throw new Error(`${where}: object (pickled) arrays are not supported (dtype '${descr}'); save numeric arrays only`);
  }
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  if (!m) throw new Error(`${where}: unsupported dtype '${descr}' (numeric f2/f4/f8, i1-i8, u1-u8 and b1 only)`);
  const [, order, kind, size] = m;
  const dtype = `${kind}${size}` as NdDtype;
  if (!(dtype in ITEM_SIZE)) throw new Error(`${where}: unsupported dtype '${descr}'`);
  return { dtype, littleEndian: order !== '>' };
}

/** Parses the Python-literal header dict numpy writes. */
function parseHeader(text: string, where: string): Header {
  const descr = /'descr'\s*:\s*('([^']*)'|\[)/.exec(text);
  if (!descr) throw new Error(`${where}: npy header has no 'descr'`);
  if (descr[1] === '[') throw new Error(`${where}: structured (record) arrays are not supported`);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  if (!fortran) throw new Error(`${where}: npy header has no 'fortran_order'`);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shape) throw new Error(`${where}: npy header has no 'shape'`);
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: bad shape '(${shape[1]})' in npy header`);
      return v;
    });
  return { ...parseDescr(descr[2], where), fortranOrder: fortran[1] === 'True', shape: dims };
}

/** IEEE half to number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Number to IEEE half, rounding to nearest even (as numpy's astype('f2')). */
function floatToHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is the correct rounding.
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

function readElements(bytes: Uint8Array, offset: number, n: number, dtype: NdDtype, littleEndian: boolean): NdData {
  if (littleEndian && dtype !== 'f2' && dtype !== 'b1') {
    // Fast path: copy the bytes into an aligned buffer and view them directly.
    // (Buffer#slice would share memory, so copy explicitly into a fresh, aligned buffer.)
    const copy = new Uint8Array(n * ITEM_SIZE[dtype]);
    copy.set(bytes.subarray(offset, offset + copy.length));
    const Ctor = allocData(dtype, 0).constructor as new (buf: ArrayBuffer) => NdData;
    return new Ctor(copy.buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * ITEM_SIZE[dtype]);
  const out = allocData(dtype, n);
  const le = littleEndian;
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'f4':
        (out as Float32Array)[i] = view.getFloat32(i * 4, le);
        break;
      case 'f8':
        (out as Float64Array)[i] = view.getFloat64(i * 8, le);
        break;
      case 'f2':
        (out as Float32Array)[i] = halfToFloat(view.getUint16(i * 2, le));
        break;
      case 'i1':
        (out as Int8Array)[i] = view.getInt8(i);
        break;
      case 'i2':
        (out as Int16Array)[i] = view.getInt16(i * 2, le);
        break;
      case 'i4':
        (out as Int32Array)[i] = view.getInt32(i * 4, le);
        break;
      case 'i8':
        (out as BigInt64Array)[i] = view.getBigInt64(i * 8, le);
        break;
      case 'u1':
        (out as Uint8Array)[i] = view.getUint8(i);
        break;
      case 'b1':
        (out as Uint8Array)[i] = view.getUint8(i) ? 1 : 0;
        break;
      case 'u2':
        (out as Uint16Array)[i] = view.getUint16(i * 2, le);
        break;
      case 'u4':
        (out as Uint32Array)[i] = view.getUint32(i * 4, le);
        break;
      case 'u8':
        (out as BigUint64Array)[i] = view.getBigUint64(i * 8, le);
        break;
    }
  }
  return out;
}

/** Reorders Fortran-order (column-major) data of `shape` into C order. */
function fortranToC<T extends NdData>(src: T, shape: number[]): T {
  const n = src.length;
  if (shape.length < 2) return src;
  const dst = new (src.constructor as { new (n: number): T })(n);
  const fStrides: number[] = [];
  let s = 1;
  for (const d of shape) {
    fStrides.push(s);
    s *= d;
  }
  const idx = new Array<number>(shape.length).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let k = 0; k < shape.length; k++) f += idx[k] * fStrides[k];
    (dst as unknown as unknown[])[c] = (src as unknown as unknown[])[f];
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return dst;
}

/**
 * Decodes one `.npy` file. `name` (a file or npz entry) is used in error messages.
 * Fortran-order arrays are reordered into C order; big-endian data is byte-swapped.
 */
export function readNpy(bytes: Uint8Array, name = '<npy>'): NdArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error(`${name}: not a .npy file (bad magic string)`);
  }
  const major = bytes[6];
  if (major !== 1 && major !== 2 && major !== 3) throw new Error(`${name}: unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLen > bytes.length) throw new Error(`${name}: truncated .npy header`);
  const decoder = new TextDecoder(major === 3 ? 'utf-8' : 'latin1');
  const header = parseHeader(decoder.decode(bytes.subarray(headerStart, headerStart + headerLen)), name);
  const n = header.shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const needed = n * ITEM_SIZE[header.dtype];
  if (bytes.length - dataStart < needed) {
    throw new Error(`${name}: truncated .npy data (shape [${header.shape}] ${header.dtype} needs ${needed} bytes, found ${bytes.length - dataStart})`);
  }
  let data = readElements(bytes, dataStart, n, header.dtype, header.littleEndian);
  if (header.fortranOrder) data = fortranToC(data, header.shape);
  return { dtype: header.dtype, shape: header.shape, data };
}

/** Checks that `arr` is a well-formed {@link NdArray}; errors name `where`. */
export function validateNdArray(arr: NdArray, where: string): void {
  if (!(arr.dtype in ITEM_SIZE)) throw new Error(`${where}: unknown dtype '${String(arr.dtype)}'`);
  if (!Array.isArray(arr.shape) || arr.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${where}: shape must be non-negative integers, got [${String(arr.shape)}]`);
  }
  const n = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== n) throw new Error(`${where}: data has ${arr.data.length} elements but shape [${arr.shape}] needs ${n}`);
  const expected = allocData(arr.dtype, 0).constructor;
  if (arr.data.constructor !== expected) {
    throw new Error(`${where}: dtype ${arr.dtype} needs a ${expected.name}, got a ${arr.data.constructor.name}`);
  }
}

/**
 * Encodes `arr` as a version 1.0 `.npy` file, C order, little-endian, with the header padded
 * the way numpy pads it (byte-identical to `numpy.save` for these dtypes).
 */
export function writeNpy(arr: NdArray): Uint8Array {
  validateNdArray(arr, 'writeNpy');
  const descr = arr.dtype === 'u1' || arr.dtype === 'i1' || arr.dtype === 'b1' ? `|${arr.dtype}` : `<${arr.dtype}`;
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // numpy pads magic + length + header + '\n' to a multiple of 64 bytes.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new Error('writeNpy: header too long for .npy version 1.0');
  const n = arr.data.length;
  const size = ITEM_SIZE[arr.dtype];
  const out = new Uint8Array(10 + header.length + n * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const o = 10 + header.length;
  const d = arr.data;
  for (let i = 0; i < n; i++) {
    switch (arr.dtype) {
      case 'f4':
        view.setFloat32(o + i * 4, (d as Float32Array)[i], true);
        break;
      case 'f8':
        view.setFloat64(o + i * 8, (d as Float64Array)[i], true);
        break;
      case 'f2':
        view.setUint16(o + i * 2, floatToHalf((d as Float32Array)[i]), true);
        break;
      case 'i1':
        view.setInt8(o + i, (d as Int8Array)[i]);
        break;
      case 'i2':
        view.setInt16(o + i * 2, (d as Int16Array)[i], true);
        break;
      case 'i4':
        view.setInt32(o + i * 4, (d as Int32Array)[i], true);
        break;
      case 'i8':
        view.setBigInt64(o + i * 8, (d as BigInt64Array)[i], true);
        break;
      case 'u1':
        view.setUint8(o + i, (d as Uint8Array)[i]);
        break;
      case 'b1':
        view.setUint8(o + i, (d as Uint8Array)[i] ? 1 : 0);
        break;
      case 'u2':
        view.setUint16(o + i * 2, (d as Uint16Array)[i], true);
        break;
      case 'u4':
        view.setUint32(o + i * 4, (d as Uint32Array)[i], true);
        break;
      case 'u8':
        view.setBigUint64(o + i * 8, (d as BigUint64Array)[i], true);
        break;
    }
  }
  return out;
}
