import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SafetensorsReader, writeSafetensors, float32ToFloat16, float16ToFloat32 } from '../src/model/safetensors';

const FIX = path.join(__dirname, 'fixtures', 'model');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'primed-st-'));

test('reads F32, F16, BF16, I64 and I32 written by numpy (scripts/make_model_parity_fixture.py)', () => {
  const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'dtypes.json'), 'utf8')) as Record<string, number[]>;
  const r = SafetensorsReader.open(path.join(FIX, 'dtypes.safetensors'));
  try {
    assert.deepEqual(r.names(), ['f32', 'f16', 'bf16', 'i64', 'i32']);
    assert.deepEqual(r.entry('bf16').shape, [4, 2]);
    assert.equal(r.metadata.note, 'dtype fixture');
    for (const name of ['f32', 'f16', 'bf16']) assert.deepEqual(Array.from(r.readFloat32(name)), expected[name].map(Math.fround), name);
    assert.deepEqual(Array.from(r.readInt32('i64')), expected.i64);
    assert.deepEqual(Array.from(r.readInt32('i32')), expected.i32);
    assert.throws(() => r.readFloat32('i32'), /"i32" is I32, not a float type/);
    assert.throws(() => r.readFloat32('nope'), /no tensor "nope"/);
  } finally {
    r.close();
  }
});

test('write then read round-trips F32 exactly and F16 as numpy rounds it', () => {
  const dir = tmp();
  const file = path.join(dir, 'a.safetensors');
  const values = new Float32Array([0, 1, -2.5, 0.1, 65504, 6.1035156e-5, 5.9604645e-8, -0.33333334]);
  writeSafetensors(file, [
    { name: 'x', shape: [2, 4], dtype: 'F32', data: values },
    { name: 'h', shape: [8], dtype: 'F16', data: () => values },
    { name: 'n', shape: [3], dtype: 'I64', data: new Int32Array([5, -6, 7]) },
    { name: 's', shape: [], dtype: 'F32', data: new Float32Array([4.5]) },
  ], { k: 'v' });
  const headerLen = Number(fs.readFileSync(file).readBigUInt64LE(0));
  assert.equal(headerLen % 8, 0, 'header padded to 8 bytes');
  const r = SafetensorsReader.open(file);
  assert.deepEqual(Array.from(r.readFloat32('x')), Array.from(values));
  const f16 = JSON.parse(fs.readFileSync(path.join(FIX, 'dtypes.json'), 'utf8')).f16 as number[];
  assert.deepEqual(Array.from(r.readFloat32('h')), f16.map(Math.fround), 'our float32→F16 rounding equals numpy astype(float16)');
  assert.deepEqual(Array.from(r.readInt32('n')), [5, -6, 7]);
  assert.deepEqual(Array.from(r.readFloat32('s')), [4.5]);
  assert.deepEqual(r.metadata, { k: 'v' });
  r.close();
  assert.deepEqual(fs.readdirSync(dir), ['a.safetensors'], 'no temp file left behind');
  // Round-to-nearest-even at a halfway point: 1 + 2^-11 lies between 1 and 1 + 2^-10.
  assert.deepEqual(Array.from(float16ToFloat32(float32ToFloat16(new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11])))), [1, 1 + 2 ** -9]);
  fs.rmSync(dir, { recursive: true });
});

test('a truncated file and a header pointing outside the file are errors naming file and tensor', () => {
  const dir = tmp();
  const file = path.join(dir, 'b.safetensors');
  writeSafetensors(file, [
    { name: 'first', shape: [4], dtype: 'F32', data: new Float32Array(4) },
    { name: 'second', shape: [4], dtype: 'F32', data: new Float32Array(4) },
  ]);
  const bytes = fs.readFileSync(file);
  const cut = path.join(dir, 'cut.safetensors');
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 3));
  assert.throws(() => SafetensorsReader.open(cut), (e: Error) => e.message.includes(cut) && /tensor "second".*outside/.test(e.message));
  fs.writeFileSync(cut, bytes.subarray(0, 12));
  assert.throws(() => SafetensorsReader.open(cut), /header length .* does not fit/);
  // A header whose offsets do not match shape × dtype.
  const bad = path.join(dir, 'bad.safetensors');
  const header = Buffer.from(JSON.stringify({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(bad, Buffer.concat([len, header, Buffer.alloc(8)]));
  assert.throws(() => SafetensorsReader.open(bad), /tensor "t": 8 bytes for shape \[3\] of F32, expected 12/);
  fs.rmSync(dir, { recursive: true });
});
