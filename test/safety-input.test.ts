/**
 * Issue 13, "validate at every boundary", "integrity on open", "secrets" and "one writer per
 * memory": each case below was accepted silently (or crashed without naming anything) before.
 * Every refusal names the file and the line, entry or field, and writes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { parseMatrixCsv } from '../src/eval/matrix-io';
import { computeMetrics } from '../src/eval/metrics';
import { importEntries } from '../src/memory/importers';
import { buildMemory, addEntries } from '../src/memory/build';
import { openMemory } from '../src/memory/store';
import { precomputedEmbedder } from '../src/memory/embedders/precomputed';
import { endpointEmbedder } from '../src/memory/embedders/endpoint';
import { embedderFromSpec } from '../src/memory/embedders/spec';
import { writeNpy } from '../src/data/npy';
import { writeTar } from '../src/memory/importers/tar';
import { redactSecrets, redactUrl } from '../src/util/safe-url';
import { checkPathSegment } from '../src/util/safe-name';
import { fakeEmbedder } from './fixtures/memory/fake-embedder';
import { embeddingsServer } from './fixtures/memory/embeddings-server';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'primed-input-'));
const write = (d: string, name: string, data: string | Uint8Array) => {
  const f = path.join(d, name);
  fs.writeFileSync(f, data);
  return f;
};

test('metrics: NaN in the first row or column is an error, not a header or labels; accuracies outside [0, 100] are refused', () => {
  // before: the NaN row was taken for a header and a 2×3 "matrix" was scored
  assert.throws(() => parseMatrixCsv('NaN,30,20\n85,90,25\n60,85,95\n', 'm.csv'), /m\.csv: line 1, column 1 is "NaN", not a number/);
  assert.throws(() => parseMatrixCsv('80,30,20\nnan,90,25\n60,85,95\n', 'm.csv'), /m\.csv: line 2, column 1 is "nan", not a number/);
  assert.throws(() => computeMetrics([[700, 1], [2, 3]]), /row 0, column 0 is 700, outside \[0, 100\]/);
  assert.throws(() => computeMetrics([[70, 1], [2, -5]]), /row 1, column 1 is -5, outside \[0, 100\]/);
  assert.throws(() => computeMetrics([[70, 1], [2, 5]], { zeroShot: [50, 101] }), /column 1 is 101, outside \[0, 100\]/);
});

test('memory sources: quoting errors, null rows, non-UTF-8 captions and empty files are refused naming file and line', () => {
  const d = tmp();
  const unterminated = write(d, 'u.csv', 'id,caption\na,"lung ct\nb,brain mri\nc,skin\n');
  assert.throws(() => importEntries(unterminated), /u\.csv:2: unterminated quoted field/);
  // a stray quote used to swallow every row up to the next quote
  const stray = write(d, 's.csv', 'id,caption\na,"lung" ct\nb,brain mri\n');
  assert.throws(() => importEntries(stray), /s\.csv:2: text after the closing quote/);
  const nul = write(d, 'n.jsonl', '{"caption":"lung ct"}\nnull\n');
  assert.throws(() => importEntries(nul), /n\.jsonl:2: expected a JSON object .*got null/);
  const latin1 = write(d, 'l.jsonl', Buffer.concat([Buffer.from('{"caption":"ok"}\n{"caption":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
  assert.throws(() => importEntries(latin1), /l\.jsonl:2: not valid UTF-8/);
  const latin1Csv = write(d, 'l.csv', Buffer.concat([Buffer.from('id,caption\na,caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  assert.throws(() => importEntries(latin1Csv), /l\.csv:2: not valid UTF-8/);
  assert.throws(() => importEntries(write(d, 'e.jsonl', '')), /e\.jsonl: no entries/);
  assert.throws(() => importEntries(write(d, 'h.csv', 'id,caption\n')), /h\.csv: no entries \(only a header row\)/);
  // a good file still reads, CRLF and a byte-order mark included
  const good = importEntries(write(d, 'g.jsonl', '\ufeff{"caption":"lung ct"}\r\n{"caption":"brain"}\r\n'));
  assert.deepEqual(good.entries.map((e) => e.caption), ['lung ct', 'brain']);
});

test('tar shards: link members, a "#" in a member name and 0-byte shards are refused', () => {
  const d = tmp();
  const src = path.join(d, 'src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'a.txt'), 'lung ct');
  fs.symlinkSync('a.txt', path.join(src, 'b.txt'));
  const linked = path.join(d, 'linked.tar');
  const r = spawnSync('tar', ['-cf', linked, '-C', src, 'a.txt', 'b.txt']);
  assert.equal(r.status, 0, String(r.stderr));
  assert.throws(() => importEntries(linked), /linked\.tar: member "b\.txt" is a symbolic link/);
  const hash = write(d, 'hash.tar', writeTar([{ name: 'x#1.txt', data: Buffer.from('lung') }]));
  assert.throws(() => importEntries(hash), /hash\.tar: member "x#1\.txt" has a '#'/);
  const shards = path.join(d, 'shards');
  fs.mkdirSync(shards);
  fs.writeFileSync(path.join(shards, '000.tar'), writeTar([{ name: 'k.txt', data: Buffer.from('lung') }]));
  fs.writeFileSync(path.join(shards, '001.tar'), '');
  assert.throws(() => importEntries(shards), /001\.tar: empty shard \(0 bytes\)/);
});

test('vectors: NaN or all-zero precomputed rows and non-numeric endpoint embeddings are refused, and nothing is written', async () => {
  const d = tmp();
  const nan = write(d, 'nan.npy', writeNpy({ dtype: 'f4', shape: [2, 2], data: Float32Array.from([1, 0, NaN, 1]) }));
  const entries = [{ id: 'a', caption: 'a' }, { id: 'b', caption: 'b' }];
  await assert.rejects(buildMemory(path.join(d, 'm1'), entries, { embedder: precomputedEmbedder(nan) }), /nan\.npy: row 1: component 0 is NaN/);
  const zero = write(d, 'zero.npy', writeNpy({ dtype: 'f4', shape: [2, 2], data: Float32Array.from([1, 0, 0, 0]) }));
  await assert.rejects(buildMemory(path.join(d, 'm2'), entries, { embedder: precomputedEmbedder(zero) }), /zero\.npy: row 1: vector is all zeros/);
  const srv = await embeddingsServer(() => ({ status: 200, body: { data: [{ index: 0, embedding: [1, 0] }, { index: 1, embedding: ['x', null] }] } }));
  try {
    const e = endpointEmbedder({ url: srv.url, model: 'm', dim: 2, maxAttempts: 1 });
    await assert.rejects(buildMemory(path.join(d, 'm3'), entries, { embedder: e }), /data\[1\]\.embedding: component 0 is "x", not a finite number/);
  } finally {
    await srv.close();
  }
  assert.deepEqual(fs.readdirSync(d).filter((n) => n.startsWith('m')), [], 'no memory folder, no temp folder');
});

test('memory open verifies the recorded checksums and keeps stored paths inside the memory folder', async () => {
  const d = tmp();
  const dir = path.join(d, 'mem');
  await buildMemory(dir, [{ id: 'a', caption: 'lung ct' }, { id: 'b', caption: 'brain mri' }], { embedder: fakeEmbedder(8) });
  const entriesFile = path.join(dir, 'entries.jsonl');
  const original = fs.readFileSync(entriesFile, 'utf8');
  fs.writeFileSync(entriesFile, original.replace('lung ct', 'lung CT'));
  assert.throws(() => openMemory(dir), /entries\.jsonl: checksum mismatch/);
  fs.writeFileSync(entriesFile, original);
  const npy = path.join(dir, 'text-embeddings.npy');
  const bytes = fs.readFileSync(npy);
  const changed = Buffer.from(bytes);
  changed[changed.length - 1] ^= 1;
  fs.writeFileSync(npy, changed);
  assert.throws(() => openMemory(dir), /text-embeddings\.npy: checksum mismatch/);
  fs.writeFileSync(npy, bytes);
  assert.equal(openMemory(dir).size, 2);

  // an entry whose image path leaves its root, recorded with a matching checksum, is still refused
  const escaping = original.replace('"caption":"lung ct"', '"caption":"lung ct","image":"../../../etc/passwd","root":0');
  fs.writeFileSync(entriesFile, escaping);
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  fs.writeFileSync(manifestFile, JSON.stringify({ ...manifest, imageRoots: ['.'], entriesSha256: createHash('sha256').update(escaping).digest('hex') }));
  assert.throws(() => openMemory(dir), /entries\.jsonl:1 \(id "a"\): field "image" \("\.\.\/\.\.\/\.\.\/etc\/passwd"\) leaves its image root/);
  fs.writeFileSync(entriesFile, original);
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  // index.json naming a file outside the folder
  const indexFile = path.join(dir, 'index.json');
  const index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  fs.writeFileSync(indexFile, JSON.stringify({ ...index, file: '../outside.f32' }));
  assert.throws(() => openMemory(dir), /index\.json: field "file" must name a file inside the memory folder/);
});

test('one writer per memory: a second writer is refused naming the first one\'s pid; a killed writer\'s lock is cleared', async () => {
  const d = tmp();
  const dir = path.join(d, 'mem');
  await buildMemory(dir, [{ id: 'a', caption: 'lung ct' }], { embedder: fakeEmbedder(64) });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'memory', 'kill-writer.ts'), dir, '200000'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  try {
    const lock = path.join(d, '.mem.lock');
    let childDone = false;
    void exited.then(() => (childDone = true));
    while (!fs.existsSync(lock) && !childDone) await new Promise((r) => setTimeout(r, 2));
    assert.ok(fs.existsSync(lock), 'the writer holds a lock file beside the memory folder');
    await assert.rejects(
      buildMemory(dir, [{ id: 'x', caption: 'x' }], { embedder: fakeEmbedder(64), replace: true }),
      new RegExp(`mem: this memory is being written by process ${child.pid}\\b`),
    );
    await assert.rejects(addEntries(openMemory(dir), [{ id: 'y', caption: 'y' }], { embedder: fakeEmbedder(64) }), /being written by process/);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  // the dead writer's lock is stale: the next writer clears it and writes
  const m = await addEntries(openMemory(dir), [{ id: 'z', caption: 'z' }], { embedder: fakeEmbedder(64) });
  assert.equal(m.size, 2);
  assert.equal(fs.existsSync(path.join(d, '.mem.lock')), false);
});

test('secrets: credentials and key-like query parameters never reach a recorded or printed URL', () => {
  assert.equal(redactUrl('https://user:pw@host.example/v1?api_key=sk-123&model=m'), 'https://host.example/v1?api_key=***&model=m');
  assert.equal(redactUrl('http://127.0.0.1:8000/v1'), 'http://127.0.0.1:8000/v1');
  const cmd = redactSecrets('primed evaluate --memory m --embedder endpoint:http://bob:hunter2@h/v1?token=abc&x-api-key=k#qwen --seed 1');
  assert.equal(cmd, 'primed evaluate --memory m --embedder endpoint:http://h/v1?token=***&x-api-key=***#qwen --seed 1');
  assert.doesNotMatch(cmd, /hunter2|abc|bob/);
});

test('names from the command line or a file stay one path segment', () => {
  for (const bad of ['..', '.', '../x', 'a/b', 'a\\b', '/abs', '', 'a\0b']) assert.throws(() => checkPathSegment(bad, 'option --benchmark'), /option --benchmark/);
  assert.equal(checkPathSegment('mini-mgtil', 'x'), 'mini-mgtil');
});

// The bound only keeps a regression (the 5-minute default) from hanging the suite.
test('endpoint embedders take a timeout from the spec options (--embedder-timeout): a silent server fails fast, naming it', { timeout: 120_000 }, async () => {
  const srv = await embeddingsServer(() => 'hang');
  try {
    const t0 = Date.now();
    await assert.rejects(embedderFromSpec(`endpoint:${srv.url}#m`, { timeoutMs: 200, maxAttempts: 1 }), /endpoint embedder http:\/\/127\.0\.0\.1:\d+\/v1 \(model m\): timed out after 200 ms/);
    assert.ok(Date.now() - t0 < 60_000, 'not the 5-minute default');
  } finally {
    await srv.close();
  }
});

test('large JSONL is read line by line: lines across the 4 MiB read boundary, multi-byte characters included, come back whole', () => {
  const d = tmp();
  // ~6 MiB of lines with a 3-byte character, so some line and some character straddle 4 MiB
  const caption = 'lung ✓ '.repeat(40);
  const n = 20_000;
  const file = write(d, 'big.jsonl', Array.from({ length: n }, (_, i) => JSON.stringify({ id: `e${i}`, caption: `${i} ${caption}` })).join('\n') + '\n');
  assert.ok(fs.statSync(file).size > 5 * 2 ** 20);
  const { entries } = importEntries(file);
  assert.equal(entries.length, n);
  entries.forEach((e, i) => assert.equal(e.caption, `${i} ${caption}`));
});
