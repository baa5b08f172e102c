import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadLocalDataset } from '../src/data/local-dataset';
import { readManifest } from '../src/data/manifest';
import { seededSplit } from '../src/data/splits';
import type { Batch, DatasetSplit } from '../src/data/types';

/** A solid-colour image; JPEG (lossy, but near-exact on flat colour) or PNG (exact). */
function writeImage(file: string, w: number, h: number, rgb: [number, number, number]): void {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (file.endsWith('.png')) {
    const png = new PNG({ width: w, height: h });
    data.copy(png.data);
    fs.writeFileSync(file, PNG.sync.write(png));
  } else fs.writeFileSync(file, jpeg.encode({ data, width: w, height: h }, 95).data);
}

const COLOURS: Record<string, [number, number, number]> = { cat: [200, 40, 40], dog: [30, 180, 60], eel: [20, 40, 220] };

/** root/<class>/ with 6 images per class, JPEG and PNG mixed, sizes differing. */
function makeFolder(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-folder-'));
  for (const [cls, rgb] of Object.entries(COLOURS)) {
    for (let i = 0; i < 6; i++) writeImage(path.join(root, cls, i % 2 ? `img${i}.png` : `sub/img${i}.jpg`), 16 + i, 12 + 2 * i, rgb);
  }
  return root;
}

async function collect(split: DatasetSplit, opts: { batchSize: number; shuffle?: boolean; seed?: number; dropLast?: boolean }): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of split.batches({ size: 8, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] }, opts)) out.push(b);
  return out;
}

test('image folder with JPEG and PNG files: classes, labels, decoded and resized pixels', async () => {
  const root = makeFolder();
  const ds = loadLocalDataset({ dir: root, name: 'toy', domain: 'toy', templates: ['a photo of {}.'], seed: 1, fractions: { train: 0.5, val: 0, test: 0.5 } });
  assert.deepEqual(ds.classNames, ['cat', 'dog', 'eel']);
  assert.equal(ds.split('train').size + ds.split('test').size, 18);
  assert.throws(() => ds.split('val'), /has no 'val' split \(it has train, test\)/);
  // Stratified: 3 per class in each split.
  assert.deepEqual([...ds.split('train').labels()].sort(), [0, 0, 0, 1, 1, 1, 2, 2, 2]);
  const batches = await collect(ds.split('train'), { batchSize: 4 });
  assert.deepEqual(batches.map((b) => b.shape[0]), [4, 4, 1]);
  for (const b of batches) {
    b.labels.forEach((label, i) => {
      const rgb = Object.values(COLOURS)[label];
      const px = b.images.subarray(i * 8 * 8 * 3, (i + 1) * 8 * 8 * 3);
      for (let c = 0; c < 3; c++) {
        // Resize of a flat image is flat; JPEG at quality 95 stays within a few levels.
        assert.ok(Math.abs(px[(3 * 8 + 4) * 3 + c] * 255 - rgb[c]) < 6, `label ${label} channel ${c}: ${px[(3 * 8 + 4) * 3 + c] * 255} vs ${rgb[c]}`);
      }
    });
  }
});

test('splits and shuffled batches are identical for one seed and differ for another', async () => {
  const root = makeFolder();
  const load = (seed: number) => loadLocalDataset({ dir: root, name: 'toy', domain: 'toy', templates: ['{}'], seed });
  const ids = (seed: number) => (['train', 'val', 'test'] as const).map((s) => load(seed).split(s).itemIds());
  assert.deepEqual(ids(7), ids(7));
  assert.notDeepEqual(ids(7), ids(8));
  const split = load(7).split('train');
  const order = async (seed: number) => (await collect(split, { batchSize: 5, shuffle: true, seed })).map((b) => Array.from(b.indices));
  assert.deepEqual(await order(3), await order(3));
  assert.notDeepEqual(await order(3), await order(4));
  assert.deepEqual((await order(3)).flat().sort((a, b) => a - b), Array.from({ length: split.size }, (_, i) => i));
  const dropped = await collect(split, { batchSize: 5, dropLast: true });
  assert.ok(dropped.every((b) => b.shape[0] === 5));
});

test('grouped split keeps every patient in one split', () => {
  const labels = Array.from({ length: 60 }, (_, i) => i % 3);
  const groups = labels.map((_, i) => `p${Math.floor(i / 4)}`);
  const s = seededSplit(labels, { seed: 5, groups });
  const where = new Map<string, string>();
  for (const name of ['train', 'val', 'test'] as const) {
    for (const i of s[name]) {
      const prev = where.get(groups[i]);
      assert.ok(prev === undefined || prev === name, `patient ${groups[i]} in ${prev} and ${name}`);
      where.set(groups[i], name);
    }
  }
  assert.equal(s.train.length + s.val.length + s.test.length, 60);
});

test('manifest CSV: label column by name or index, official split column, label by name or index', () => {
  const root = makeFolder();
  const rows = ['file,diagnosis,split', 'cat/sub/img0.jpg,cat,train', 'dog/img1.png,1,test', '"eel/img3.png",EEL,val'];
  fs.writeFileSync(path.join(root, 'manifest.csv'), rows.join('\n') + '\n');
  const byName = readManifest(path.join(root, 'manifest.csv'), { pathColumn: 'file', labelColumn: 'diagnosis', classNames: ['cat', 'dog', 'eel'] });
  assert.deepEqual(byName.items.map((i) => [i.relPath, i.label, i.split]), [['cat/sub/img0.jpg', 0, 'train'], ['dog/img1.png', 1, 'test'], ['eel/img3.png', 2, 'val']]);
  const byIndex = readManifest(path.join(root, 'manifest.csv'), { pathColumn: 0, labelColumn: 1, classNames: ['cat', 'dog', 'eel'] });
  assert.deepEqual(byIndex.items.map((i) => i.label), [0, 1, 2]);
  const ds = loadLocalDataset({ dir: root, name: 'toy', domain: 'toy', templates: ['{}'], classNames: ['cat', 'dog', 'eel'], manifest: { pathColumn: 'file', labelColumn: 'diagnosis' } });
  assert.deepEqual([ds.split('train').size, ds.split('val').size, ds.split('test').size], [1, 1, 1]);
});

test('manifest errors name the file, line and field', () => {
  const root = makeFolder();
  const file = path.join(root, 'manifest.csv');
  fs.writeFileSync(file, 'path,label\ncat/img1.png,cat\ncat/missing.png,cat\n');
  assert.throws(() => readManifest(file), (e: Error) => e.message.includes(file) && /line 3: image 'cat\/missing\.png' not found/.test(e.message));
  fs.writeFileSync(file, 'path,label\ncat/img1.png,cat\n');
  assert.throws(() => readManifest(file, { labelColumn: 'diagnosis' }), /manifest\.csv: labelColumn 'diagnosis' not found \(columns: path, label\)/);
  assert.throws(() => readManifest(file, { labelColumn: 5 }), /labelColumn 5 is out of range/);
  fs.writeFileSync(file, 'path,label\ncat/img1.png,wolf\n');
  assert.throws(() => readManifest(file, { classNames: ['cat', 'dog'] }), /line 2: label 'wolf' in column 'label' is not one of the 2 classes/);
  fs.writeFileSync(file, 'path,label\n../outside.png,cat\n');
  assert.throws(() => readManifest(file), /line 2: path '\.\.\/outside\.png' escapes the dataset root/);
  fs.writeFileSync(file, `path,label\n${path.join(root, 'cat', 'img1.png')},cat\n`);
  assert.throws(() => readManifest(file), /escapes the dataset root/);
  fs.writeFileSync(path.join(root, 'm.jsonl'), '{"path":"cat/img1.png","label":"cat"}\n{"path":"dog/img9.png","label":"dog"}\n');
  assert.throws(() => readManifest(path.join(root, 'm.jsonl')), /m\.jsonl line 2: image 'dog\/img9\.png' not found/);
});

test('a corrupt image is reported by path when its batch is decoded', async () => {
  const root = makeFolder();
  fs.writeFileSync(path.join(root, 'cat', 'img1.png'), Buffer.from('not an image at all'));
  const ds = loadLocalDataset({ dir: root, name: 'toy', domain: 'toy', templates: ['{}'], fractions: { train: 1, val: 0, test: 0 } });
  await assert.rejects(collect(ds.split('train'), { batchSize: 32 }), /cat\/img1\.png: not a JPEG or PNG image/);
});
