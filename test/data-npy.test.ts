import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNpy, readNpz, writeNpy, writeNpz, type NdArray } from '../src/data/npy';
import { listZipEntries, readZipEntry } from '../src/data/zip';

// Oracle: arrays written by numpy (test/fixtures/data/make_fixtures.py) and their values as JSON.
const FIX = path.join(__dirname, 'fixtures', 'data');
interface Expected {
  dtype: string;
  shape: number[];
  fortran: boolean;
  values: (number | string)[];
}
const expected = (JSON.parse(fs.readFileSync(path.join(FIX, 'dtypes.expected.json'), 'utf8')) as { arrays: Record<string, Expected> }).arrays;

function asComparable(arr: NdArray): (number | string)[] {
  return Array.from(arr.data as ArrayLike<number | bigint>, (v) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v).replace('Infinity', 'inf');
    return v;
  });
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'primed-npy-'));
}

for (const file of ['dtypes.npz', 'dtypes_compressed.npz']) {
  test(`readNpz matches numpy for every dtype (${file})`, () => {
    const arrays = readNpz(path.join(FIX, file));
    assert.deepEqual(Object.keys(arrays).sort(), Object.keys(expected).sort());
    for (const [key, e] of Object.entries(expected)) {
      const a = arrays[key];
      assert.equal(a.dtype, e.dtype, `${key} dtype`);
      assert.deepEqual(a.shape, e.shape, `${key} shape`);
      // Exact equality: f2/f4 values widen to float64 without loss, as numpy printed them.
      assert.deepEqual(asComparable(a), e.values, `${key} values`);
    }
  });
}

test('Fortran-order arrays come back in C order, big-endian ones byte-swapped', () => {
  const arrays = readNpz(path.join(FIX, 'dtypes.npz'));
  assert.equal(expected.fortran_f8.fortran, true, 'fixture really is Fortran order');
  // Hand check: C-order arange(24)*0.5 reshaped to (2,3,4): element [1,2,3] = 23 * 0.5.
  assert.equal((arrays.fortran_f8.data as Float64Array)[1 * 12 + 2 * 4 + 3], 11.5);
  assert.deepEqual(Array.from(arrays.be_i4.data as Int32Array), [1, -2, 70000]);
});

test('writeNpy is byte-identical to numpy.save for C-order little-endian arrays', () => {
  const bytes = fs.readFileSync(path.join(FIX, 'dtypes.npz'));
  const entries = listZipEntries(bytes, 'dtypes.npz');
  let compared = 0;
  for (const entry of entries) {
    const key = entry.name.replace(/\.npy$/, '');
    if (key.startsWith('fortran') || key.startsWith('be_')) continue; // numpy keeps those layouts; we write C / LE
    const numpyBytes = readZipEntry(bytes, entry, 'dtypes.npz');
    const ours = writeNpy(readNpy(numpyBytes, key));
    assert.deepEqual(Buffer.from(ours), Buffer.from(numpyBytes), `${key}: bytes differ from numpy.save`);
    compared++;
  }
  assert.ok(compared >= 14);
});

test('writeNpz round-trips every dtype, stored and deflated, and writes no temp files', () => {
  const dir = tmpDir();
  const arrays = readNpz(path.join(FIX, 'dtypes.npz'));
  for (const compress of [false, true]) {
    const file = path.join(dir, `out-${compress}.npz`);
    writeNpz(file, arrays, { compress });
    const back = readNpz(file);
    for (const [key, a] of Object.entries(arrays)) {
      assert.equal(back[key].dtype, a.dtype);
      assert.deepEqual(back[key].shape, a.shape);
      assert.deepEqual(asComparable(back[key]), asComparable(a), key);
    }
  }
  assert.deepEqual(fs.readdirSync(dir).sort(), ['out-false.npz', 'out-true.npz']);
});

test('an object (pickled) array is refused with the file and entry named', () => {
  const file = path.join(FIX, 'object.npz');
  assert.throws(() => readNpz(file), (err: Error) => {
    assert.match(err.message, /object\.npz/);
    assert.match(err.message, /bad\.npy/);
    assert.match(err.message, /object \(pickled\)/);
    return true;
  });
});

test('a truncated npz is refused naming the file', () => {
  const dir = tmpDir();
  const bytes = fs.readFileSync(path.join(FIX, 'dtypes_compressed.npz'));
  const file = path.join(dir, 'truncated.npz');
  fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  assert.throws(() => readNpz(file), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(not a zip|truncated)`));
});

test('a corrupted entry is refused naming the file and the entry', () => {
  const dir = tmpDir();
  for (const name of ['dtypes.npz', 'dtypes_compressed.npz']) {
    const bytes = Buffer.from(fs.readFileSync(path.join(FIX, name)));
    const entry = listZipEntries(bytes, name).find((e) => e.name === 'f8.npy')!;
    // Flip bytes inside f8.npy's data region (past its local header).
    const dataStart = entry.localHeaderOffset + 30 + bytes.readUInt16LE(entry.localHeaderOffset + 26) + bytes.readUInt16LE(entry.localHeaderOffset + 28);
    for (let i = 0; i < 6; i++) bytes[dataStart + entry.compressedSize - 3 - i] ^= 0x5a;
    const file = path.join(dir, `corrupt-${name}`);
    fs.writeFileSync(file, bytes);
    assert.throws(() => readNpz(file), (err: Error) => {
      assert.ok(err.message.includes(file), err.message);
      assert.match(err.message, /f8\.npy/);
      assert.match(err.message, /corrupt|CRC/);
      return true;
    });
  }
});

test('readNpy refuses bad magic and truncated data', () => {
  assert.throws(() => readNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'x.npy'), /x\.npy: not a \.npy file/);
  const good = writeNpy({ dtype: 'f4', shape: [10], data: new Float32Array(10) });
  assert.throws(() => readNpy(good.subarray(0, good.length - 4), 'y.npy'), /y\.npy: truncated \.npy data/);
});
