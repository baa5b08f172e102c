/**
 * `primed memory build --engine lance` killed with SIGKILL mid-build, then run again: it must
 * continue from the last commit and end with exactly the rows and vectors of an uninterrupted
 * build (no duplicate, no lost row). Source: WebDataset shards; embedder: a local endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { writeTar } from '../src/memory/importers/tar';
import { openLanceMemory } from '../src/memory/lance/store';

const BIN = path.join(__dirname, '..', 'bin', 'primed.js');
const DIM = 16;

function vectorOf(text: string): number[] {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return Array.from({ length: DIM }, (_, j) => Math.sin(h * (j + 1) * 1e-6) + (text.startsWith('chest') && j === 0 ? 2 : 0));
}

function run(args: string[], onSpawn?: (pid: number) => void): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    onSpawn?.(child.pid!);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

test('a build killed with SIGKILL continues from its last commit and equals an uninterrupted build', { timeout: 300_000 }, async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-lance-kill-'));
  const shards = path.join(d, 'shards');
  fs.mkdirSync(shards);
  const topics = ['chest', 'brain', 'knee', 'skin'];
  let n = 0;
  for (let s = 0; s < 3; s++) {
    const members = [];
    for (let i = 0; i < 200; i++, n++) {
      members.push({ name: `k${String(n).padStart(5, '0')}.txt`, data: Buffer.from(`${topics[n % 4]} study ${n}`) });
      members.push({ name: `k${String(n).padStart(5, '0')}.json`, data: Buffer.from(JSON.stringify({ domain: topics[n % 4], source: 'test' })) });
    }
    fs.writeFileSync(path.join(shards, `part-${s}.tar`), writeTar(members));
  }
  let requests = 0;
  let onRequest: (() => void) | undefined;
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { input } = JSON.parse(body) as { input: string[] };
      requests++;
      onRequest?.();
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: input.map((t, index) => ({ index, embedding: vectorOf(t) })) }));
      }, 40);
    });
  });
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`;
  try {
    const args = (mem: string) => ['memory', 'build', mem, '--engine', 'lance', '--from', shards, '--embedder', `endpoint:${url}#toy`, '--batch-rows', '40', '--index', 'none', '--concurrency', '2'];
    const ref = path.join(d, 'ref');
    const whole = await run(args(ref));
    assert.equal(whole.code, 0, whole.err);
    assert.match(whole.out, /built .*: 600 entries on disk \(600 committed now\)/);

    const mem = path.join(d, 'mem');
    requests = 0;
    let pid = 0;
    const killed = run(args(mem), (p) => (pid = p));
    // Kill once several batches have been embedded (the probe request counts as one).
    onRequest = () => {
      if (requests === 8) process.kill(pid, 'SIGKILL');
    };
    const k = await killed;
    onRequest = undefined;
    assert.equal(k.signal, 'SIGKILL', `the build was killed mid-way (it exited with ${k.code}: ${k.err.slice(-300)})`);
    const manifest = JSON.parse(fs.readFileSync(path.join(mem, 'manifest.json'), 'utf8'));
    assert.equal(manifest.complete, false);
    const again = await run(args(mem));
    assert.equal(again.code, 0, again.err);
    const before = Number(/\((\d+) committed before this run, (\d+) committed now\)/.exec(again.out)?.[1]);
    assert.ok(before > 0 && before < 600 && before % 40 === 0, `resumed after ${before} committed rows: ${again.out}`);
    assert.match(again.err, new RegExp(`resuming: ${before} of 600 rows`));

    const a = await openLanceMemory(ref);
    const b = await openLanceMemory(mem);
    assert.equal(b.size, 600);
    const rows = Array.from({ length: 600 }, (_, i) => i);
    assert.deepEqual(await b.entries(rows), await a.entries(rows), 'same entries, each once, in source order');
    const collect = async (m: typeof a) => {
      const v = new Float32Array(600 * DIM);
      for await (const c of m.vectorSource().chunks(128)) c.rows!.length && Array.from(c.rows!).forEach((r, i) => v.set(c.vectors.subarray(i * DIM, (i + 1) * DIM), r * DIM));
      return v;
    };
    assert.deepEqual(await collect(b), await collect(a), 'same vectors row for row');
    // A query embedded at another dimension (Matryoshka-truncated) is refused.
    const q = await run(['memory', 'query', mem, 'chest', '--embedder', `endpoint:${url}#toy`, '--truncate-dim', '8']);
    assert.equal(q.code, 1);
    assert.match(q.err, /embedded with endpoint:.*#toy \(dimension 16\); refusing embedder .*\(dimension 8, Matryoshka-truncated from 16\)/);
    const ok = await run(['memory', 'query', mem, 'chest study 4', '--k', '3', '--exact', '--json']);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(JSON.parse(ok.out)[0].caption, 'chest study 4');
    // Search settings given alone (no --index or --partitions) reach the manifest, not the defaults.
    const tuned = path.join(d, 'tuned');
    const t = await run(['memory', 'build', tuned, '--engine', 'lance', '--from', shards, '--embedder', `endpoint:${url}#toy`, '--batch-rows', '200', '--nprobes', '3', '--refine-factor', '7']);
    assert.equal(t.code, 0, t.err);
    const tm = JSON.parse(fs.readFileSync(path.join(tuned, 'manifest.json'), 'utf8'));
    assert.deepEqual([tm.index.kind, tm.index.nprobes, tm.index.refineFactor], ['ivf-pq', 3, 7]);
  } finally {
    srv.close();
    fs.rmSync(d, { recursive: true, force: true });
  }
});
