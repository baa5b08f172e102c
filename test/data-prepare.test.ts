/**
 * Images prepared once (src/data/prepare.ts): the resize + centre crop against open_clip's
 * preprocessing computed by Pillow (test/fixtures/data/prepare.json, made by
 * make_prepare_fixtures.py), and the on-disk cache keyed by content and preprocessing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { decodeImage } from '../src/data/image';
import { loadPreparedImage, prepareFiles, prepareFilesParallel, prepareImage, type CropMode } from '../src/data/prepare';

interface Case { height: number; width: number; channels: number; size: number; crop: CropMode; outChannels: number; png: string; expected: number[] }
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/data/prepare.json'), 'utf8')) as { cases: Case[] };

test('decode + resize + crop equals open_clip (Pillow bicubic, torchvision Resize/CenterCrop) exactly', () => {
  assert.equal(fixture.cases.length, 6);
  for (const c of fixture.cases) {
    const img = decodeImage(Buffer.from(c.png, 'base64'), 'case.png');
    assert.deepEqual([img.height, img.width], [c.height, c.width]);
    const out = prepareImage(img, { size: c.size, channels: c.outChannels, crop: c.crop });
    assert.deepEqual([out.height, out.width, out.channels], [c.size, c.size, c.outChannels]);
    let maxDiff = 0;
    c.expected.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - out.pixels[i]))));
    assert.equal(maxDiff, 0, `${c.height}x${c.width}x${c.channels} -> ${c.size} ${c.crop}: max difference ${maxDiff}`);
  }
});

function writePng(file: string, w: number, h: number, seed: number): void {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h * 4; i++) png.data[i] = i % 4 === 3 ? 255 : (i * 7 + seed * 13) % 256;
  fs.writeFileSync(file, PNG.sync.write(png));
}

test('prepared images are cached by content and preprocessing; corrupt files are named, not cached', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-prepare-'));
  const cacheDir = path.join(tmp, 'cache');
  const a = path.join(tmp, 'a.png');
  writePng(a, 120, 80, 1);
  const first = loadPreparedImage(a, { size: 16, channels: 3 }, { cacheDir });
  assert.equal(first.cached, false);
  const again = loadPreparedImage(a, { size: 16, channels: 3 }, { cacheDir });
  assert.equal(again.cached, true);
  // The content hash is remembered on disk by path, size and mtime (a later process reads no full file).
  const memos = fs.readdirSync(path.join(cacheDir, 'hashes')).flatMap((d) => fs.readdirSync(path.join(cacheDir, 'hashes', d)).map((f) => path.join(cacheDir, 'hashes', d, f)));
  assert.deepEqual(memos.map((f) => fs.readFileSync(f, 'utf8')), [createHash('sha256').update(fs.readFileSync(a)).digest('hex')]);
  assert.deepEqual(Array.from(again.image.pixels), Array.from(first.image.pixels));
  assert.equal(loadPreparedImage(a, { size: 16, channels: 3, crop: 'none' }, { cacheDir }).cached, false, 'another crop is another entry');
  // A copy with the same bytes shares the entry; changed bytes make a new one.
  const b = path.join(tmp, 'b.png');
  fs.copyFileSync(a, b);
  assert.equal(loadPreparedImage(b, { size: 16, channels: 3 }, { cacheDir }).cached, true);
  writePng(a, 120, 80, 2);
  fs.utimesSync(a, new Date(), new Date(Date.now() + 5000));
  assert.equal(loadPreparedImage(a, { size: 16, channels: 3 }, { cacheDir }).cached, false, 'new content, new entry');
  const bad = path.join(tmp, 'bad.jpg');
  fs.writeFileSync(bad, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
  const events: number[] = [];
  const s = prepareFiles([a, b, bad], { size: 16, channels: 3 }, { cacheDir, progress: (e) => events.push(e.done) });
  assert.equal(s.cached, 2);
  assert.equal(s.failed.length, 1);
  assert.equal(s.failed[0].file, bad);
  assert.match(s.failed[0].error, /bad\.jpg: cannot decode JPEG/);
  assert.equal(events.at(-1), 3);
  const entries = fs.readdirSync(cacheDir).flatMap((d) => fs.readdirSync(path.join(cacheDir, d))).filter((f) => f.endsWith('.u8'));
  assert.equal(entries.length, 3, 'two crops of a + the new a; nothing for the corrupt file');
});

test('prepareFilesParallel on 2 worker processes: the same cache entries and failures as in-process', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-prepare-par-'));
  const files = Array.from({ length: 70 }, (_, i) => {
    const f = path.join(tmp, `img${i}.png`);
    writePng(f, 30 + (i % 7), 20 + (i % 5), i);
    return f;
  });
  fs.writeFileSync(files[33], 'broken');
  const par = path.join(tmp, 'par');
  const seq = path.join(tmp, 'seq');
  const events: number[] = [];
  const a = await prepareFilesParallel(files, { size: 12, channels: 3 }, { cacheDir: par, workers: 2, progress: (e) => events.push(e.done) });
  const b = prepareFiles(files, { size: 12, channels: 3 }, { cacheDir: seq });
  assert.deepEqual([a.prepared, a.cached, a.failed.map((f) => f.file)], [69, 0, [files[33]]]);
  assert.deepEqual([b.prepared, b.failed.length], [69, 1]);
  const entries = (dir: string) => fs.readdirSync(dir).filter((d) => d !== 'hashes').flatMap((d) => fs.readdirSync(path.join(dir, d)).map((f) => `${f}:${fs.readFileSync(path.join(dir, d, f)).toString('hex')}`)).sort();
  assert.deepEqual(entries(par), entries(seq));
  assert.equal(events.at(-1), 70);
  const again = await prepareFilesParallel(files, { size: 12, channels: 3 }, { cacheDir: par, workers: 2 });
  assert.deepEqual([again.prepared, again.cached], [0, 69]);
});

