import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readMedMnist, loadMedMnist } from '../src/data/medmnist';
import { resizeBilinear, preprocessImage } from '../src/data/image';

const DATA = path.join(__dirname, '..', 'data');

// Sizes and per-class counts as data/README.md documents them (and numpy's bincount, checked by hand once).
const EXPECTED: Record<string, { shape: number[]; splits: Record<string, number[]> }> = {
  'pneumoniamnist.npz': { shape: [28, 28], splits: { train: [1214, 3494], val: [135, 389], test: [234, 390] } },
  'breastmnist.npz': { shape: [28, 28], splits: { train: [147, 399], val: [21, 57], test: [42, 114] } },
  'retinamnist.npz': { shape: [28, 28, 3], splits: { train: [486, 128, 206, 194, 66], val: [54, 12, 28, 20, 6], test: [174, 46, 92, 68, 20] } },
  'pathmnist_test_subset718.npz': { shape: [28, 28, 3], splits: { test: [147, 78, 26, 60, 112, 60, 85, 28, 122] } },
  'bloodmnist_pbc28_subset.npz': { shape: [28, 28, 3], splits: { train: Array(8).fill(250), val: Array(8).fill(50), test: Array(8).fill(100) } },
};

function bincount(labels: Int32Array, n: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

test('bundled MedMNIST files: shapes and label counts match data/README.md', () => {
  for (const [file, e] of Object.entries(EXPECTED)) {
    const splits = readMedMnist(path.join(DATA, 'medmnist', file));
    assert.deepEqual(Object.keys(splits).sort(), Object.keys(e.splits).sort(), file);
    for (const [s, counts] of Object.entries(e.splits)) {
      const arr = splits[s as 'train']!;
      const n = counts.reduce((a, b) => a + b, 0);
      assert.deepEqual(arr.images.shape, [n, ...e.shape], `${file} ${s} shape`);
      assert.equal(arr.images.dtype, 'u1');
      assert.deepEqual(bincount(arr.labels, counts.length), counts, `${file} ${s} label counts`);
    }
  }
});

test('README sizes: PneumoniaMNIST train 4708 / val 524 / test 624', () => {
  const readme = fs.readFileSync(path.join(DATA, 'README.md'), 'utf8');
  assert.match(readme, /train 4708, val 524, test 624/);
  const ds = loadMedMnist({ file: path.join(DATA, 'medmnist', 'pneumoniamnist.npz'), name: 'p', domain: 'chest X-ray', classNames: ['normal', 'pneumonia'], templates: ['a chest X-ray photo of {}.'] });
  assert.deepEqual([ds.split('train').size, ds.split('val').size, ds.split('test').size], [4708, 524, 624]);
});

test('grey images become 3 channels by repetition and are normalised (x/255 - mean)/std', async () => {
  const ds = loadMedMnist({ file: path.join(DATA, 'medmnist', 'breastmnist.npz'), name: 'b', domain: 'ultrasound', classNames: ['m', 'b'], templates: ['{}'] });
  const raw = readMedMnist(path.join(DATA, 'medmnist', 'breastmnist.npz')).train!.images.data as Uint8Array;
  const pre = { size: 28, channels: 3, mean: [0.5, 0.4, 0.3], std: [0.5, 0.25, 0.2] };
  const it = ds.split('train').batches(pre, { batchSize: 2 })[Symbol.asyncIterator]();
  const { value: batch } = await it.next();
  assert.deepEqual(batch.shape, [2, 28, 28, 3]);
  // Pixel (row 3, col 5) of image 1, hand-computed from the raw byte.
  const v = raw[28 * 28 + 3 * 28 + 5] / 255;
  const o = (28 * 28 + 3 * 28 + 5) * 3;
  assert.ok(Math.abs(batch.images[o] - (v - 0.5) / 0.5) < 1e-6);
  assert.ok(Math.abs(batch.images[o + 1] - (v - 0.4) / 0.25) < 1e-6);
  assert.ok(Math.abs(batch.images[o + 2] - (v - 0.3) / 0.2) < 1e-6);
});

test('bilinear resize matches torch F.interpolate(align_corners=False)', () => {
  const fix = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'data', 'resize.json'), 'utf8')) as {
    cases: { height: number; width: number; channels: number; outHeight: number; outWidth: number; pixels: number[]; resized: number[] }[];
  };
  for (const c of fix.cases) {
    const got = resizeBilinear(c.pixels, c.height, c.width, c.channels, c.outHeight, c.outWidth);
    assert.equal(got.length, c.resized.length);
    let maxErr = 0;
    for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - c.resized[i]));
    assert.ok(maxErr < 1e-3, `${c.height}x${c.width} -> ${c.outHeight}x${c.outWidth}: max error ${maxErr}`);
  }
});

test('a bad ImagePreprocess is refused naming the field', () => {
  const img = { pixels: new Uint8Array(4 * 4 * 3), height: 4, width: 4, channels: 3 };
  assert.throws(() => preprocessImage(img, { size: 8, channels: 3, mean: [0.5], std: [1, 1, 1] }), /ImagePreprocess\.mean/);
  assert.throws(() => preprocessImage(img, { size: 0, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] }), /ImagePreprocess\.size/);
  assert.throws(() => preprocessImage(img, { size: 8, channels: 3, mean: [0, 0, 0], std: [1, 0, 1] }), /ImagePreprocess\.std/);
});
