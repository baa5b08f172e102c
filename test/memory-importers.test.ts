import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTar, listTar } from '../src/memory/importers/tar';
import { importEntries } from '../src/memory/importers';
import { buildMemory } from '../src/memory/build';
import { fakeEmbedder } from './fixtures/memory/fake-embedder';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'primed-import-'));
const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

test('WebDataset shard: members grouped by key, image + caption, images readable through the memory', async () => {
  const d = tmp();
  const shard = writeTar([
    { name: 'a/000.png', data: PNG },
    { name: 'a/000.txt', data: bytes('a chest X-ray photo of pneumonia\n') },
    { name: 'a/001.jpg', data: bytes('JPEGDATA') },
    { name: 'a/001.json', data: bytes(JSON.stringify({ caption: 'a fundus photo', domain: 'fundus', source: 'x' })) },
    { name: 'a/002.txt', data: bytes('text only caption') },
  ]);
  fs.writeFileSync(path.join(d, 'shard-000.tar'), shard);
  // The tar our writer makes is a real ustar archive: system tar lists the same members.
  assert.equal(listTar(path.join(d, 'shard-000.tar')).length, 5);
  const { root, entries } = importEntries(d);
  assert.equal(root, path.resolve(d));
  assert.deepEqual(entries.map((e) => [e.id, e.caption, e.image, e.domain]), [
    ['shard-000.tar#a/000', 'a chest X-ray photo of pneumonia', 'tar://shard-000.tar#a/000.png', undefined],
    ['shard-000.tar#a/001', 'a fundus photo', 'tar://shard-000.tar#a/001.jpg', 'fundus'],
    ['shard-000.tar#a/002', 'text only caption', undefined, undefined],
  ]);
  assert.equal(entries[1].meta?.source, 'x');
  const m = await buildMemory(path.join(d, 'mem'), entries, { embedder: fakeEmbedder(8), imageRoot: root });
  assert.deepEqual(Array.from(m.readImageBytes(0)!), Array.from(PNG));
  assert.equal(Buffer.from(m.readImageBytes(1)!).toString(), 'JPEGDATA');
  assert.equal(m.readImageBytes(2), undefined);
});

test('malformed shards are rejected naming the shard and the key or member', () => {
  const d = tmp();
  const good = writeTar([{ name: 'k1.png', data: PNG }, { name: 'k1.txt', data: bytes('cap') }]);
  const f = path.join(d, 'bad.tar');
  // Damaged header checksum.
  const damaged = Buffer.from(good);
  damaged[10] ^= 0x55;
  fs.writeFileSync(f, damaged);
  assert.throws(() => importEntries(f), (e: Error) => e.message.includes(f) && /checksum/.test(e.message));
  // Truncated inside a member's data.
  fs.writeFileSync(f, good.subarray(0, 512 + 5));
  assert.throws(() => importEntries(f), (e: Error) => e.message.includes(f) && /k1\.png is truncated/.test(e.message));
  // A key without a caption.
  fs.writeFileSync(f, writeTar([{ name: 'k2.png', data: PNG }]));
  assert.throws(() => importEntries(f), (e: Error) => e.message.includes(f) && /key "k2": no caption/.test(e.message));
  // Broken JSON caption.
  fs.writeFileSync(f, writeTar([{ name: 'k3.json', data: bytes('{oops') }]));
  assert.throws(() => importEntries(f), (e: Error) => e.message.includes(f) && /key "k3": malformed \.json/.test(e.message));
});

test('JSONL and CSV import: paths relative to the file, escapes refused naming the entry', () => {
  const d = tmp();
  fs.mkdirSync(path.join(d, 'imgs'));
  fs.writeFileSync(path.join(d, 'imgs', 'x.png'), PNG);
  fs.writeFileSync(path.join(d, 'ok.jsonl'), [
    JSON.stringify({ id: 'a', caption: 'lung', image: 'imgs/x.png', domain: 'ct' }),
    JSON.stringify({ caption: 'text only' }),
  ].join('\n'));
  const r = importEntries(path.join(d, 'ok.jsonl'));
  assert.deepEqual(r.entries.map((e) => [e.id, e.image]), [['a', 'imgs/x.png'], ['ok.jsonl:2', undefined]]);

  fs.writeFileSync(path.join(d, 'ok.csv'), 'id,caption,image,source\nc1,"a ""quoted"", caption",imgs/x.png,roco\n');
  const c = importEntries(path.join(d, 'ok.csv'));
  assert.deepEqual(c.entries, [{ id: 'c1', caption: 'a "quoted", caption', image: 'imgs/x.png', meta: { source: 'roco' } }]);

  const outside = tmp();
  fs.writeFileSync(path.join(outside, 'secret.png'), PNG);
  fs.symlinkSync(path.join(outside, 'secret.png'), path.join(d, 'imgs', 'link.png'));
  const cases: [string, RegExp][] = [
    [JSON.stringify({ id: 'dots', caption: 'c', image: '../' + path.basename(outside) + '/secret.png' }), /id "dots"\): image path .* leaves the import root/],
    [JSON.stringify({ id: 'abs', caption: 'c', image: path.join(outside, 'secret.png') }), /id "abs"\): image path .* is absolute/],
    [JSON.stringify({ id: 'sym', caption: 'c', image: 'imgs/link.png' }), /id "sym"\): image path .* resolves outside the import root .*symlink/],
    [JSON.stringify({ id: 'gone', caption: 'c', image: 'imgs/none.png' }), /id "gone"\): image .* not found/],
    [JSON.stringify({ id: 'nocap' }), /id "nocap"\): field "caption"/],
  ];
  for (const [line, re] of cases) {
    fs.writeFileSync(path.join(d, 'bad.jsonl'), line + '\n');
    assert.throws(() => importEntries(path.join(d, 'bad.jsonl')), (e: Error) => e.message.includes('bad.jsonl:1') && re.test(e.message));
  }
  fs.writeFileSync(path.join(d, 'bad.csv'), 'id,image\n1,x\n');
  assert.throws(() => importEntries(path.join(d, 'bad.csv')), /bad\.csv: the header needs a "caption" column/);
});
