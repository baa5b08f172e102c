import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { command } from '../src/cli/memory';
import { runCaptured } from './helpers/cli';

const run = (args: string[]) => runCaptured(command, args, { quiet: true });

test('primed memory build / add / info / query with an endpoint embedder', async () => {
  // Embeddings: a one-hot per first word, so the ranking is known by hand.
  const words = ['lung', 'brain', 'skin', 'eye'];
  const srv = http.createServer((req, res) => {
    let d = '';
    req.on('data', (c) => (d += c));
    req.on('end', () => {
      const { input } = JSON.parse(d) as { input: string[] };
      const data = input.map((t, index) => ({ index, embedding: words.map((w) => (t.toLowerCase().includes(w) ? 1 : 0.01)) }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data }));
    });
  });
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`;
  try {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-cli-'));
    fs.writeFileSync(path.join(d, 'a.jsonl'), ['lung ct', 'brain mri', 'skin lesion'].map((caption, i) => JSON.stringify({ id: `a${i}`, caption })).join('\n'));
    fs.writeFileSync(path.join(d, 'b.csv'), 'id,caption\nb0,eye fundus\n');
    const mem = path.join(d, 'mem');
    assert.equal((await run(['build', mem, '--from', path.join(d, 'a.jsonl'), '--embedder', `endpoint:${url}#toy`, '--index', 'hnsw'])).code, 0);
    const add = await run(['add', mem, '--from', path.join(d, 'b.csv')]);
    assert.match(add.out, /added 1 entries .* 4 in all, version 2/);
    const info = JSON.parse((await run(['info', mem, '--json'])).out);
    assert.equal(info.count, 4);
    assert.equal(info.index.kind, 'hnsw');
    assert.equal(info.embedder.id, `endpoint:${url}#toy`);
    const q = await run(['query', mem, 'eye exam', '--k', '2', '--json']);
    const rows = JSON.parse(q.out);
    assert.equal(rows.length, 2);
    assert.equal(rows[0].id, 'b0');
    assert.ok(rows[0].score > rows[1].score);
    const text = await run(['query', mem, 'lung', '--k', '1']);
    assert.match(text.out, /^\s+1\s+\d\.\d{4}\s+a0\s+lung ct/);
    await assert.rejects(run(['build', mem, '--from', path.join(d, 'a.jsonl'), '--embedder', `endpoint:${url}#toy`, '--index', 'ivf']), /--index must be exact, hnsw, usearch or auto/);
    await assert.rejects(run(['query', mem, 'x', '--k', '0']), /--k must be a positive integer/);
    // Query-time search settings. 'brain' scores brain mri first; the other three rows tie (one
    // matching word each, none the query's), so the exact search keeps all of them at k = 2.
    const exact = JSON.parse((await run(['query', mem, 'brain', '--k', '2', '--exact', '--json'])).out) as { id: string; score: number }[];
    assert.deepEqual(exact.map((r) => r.id), ['a1', 'a0', 'a2', 'b0']);
    assert.ok(exact[1].score === exact[2].score && exact[2].score === exact[3].score, 'the tied rows score the same');
    const wide = JSON.parse((await run(['query', mem, 'eye exam', '--k', '2', '--ef', '64', '--json'])).out) as { id: string }[];
    assert.equal(wide[0].id, 'b0');
    await assert.rejects(run(['query', mem, 'x', '--ef', '64', '--exact']), /--ef sets the breadth of the HNSW search; --exact scores every vector/);
    await assert.rejects(run(['query', mem, 'x', '--refine-factor', '20']), /--refine-factor tunes the IVF-PQ index of an on-disk \(--engine lance\) memory; .*mem is held in RAM/);
    // --index auto passes the HNSW settings to usearch when it crosses its threshold (they were dropped).
    const auto = path.join(d, 'auto');
    assert.equal((await run(['build', auto, '--from', path.join(d, 'a.jsonl'), '--embedder', `endpoint:${url}#toy`, '--auto-threshold', '2', '--ef', '300', '--m', '8'])).code, 0);
    const autoInfo = JSON.parse((await run(['info', auto, '--json'])).out);
    assert.equal(autoInfo.index.kind, 'usearch');
    assert.deepEqual([autoInfo.index.usearch.ef, autoInfo.index.usearch.m], [300, 8]);
    // --segment-rows 2: the usearch index is split into graphs of 2 rows, and a query still finds the exact best rows.
    const seg = path.join(d, 'seg');
    assert.equal((await run(['build', seg, '--from', path.join(d, 'a.jsonl'), '--embedder', `endpoint:${url}#toy`, '--index', 'usearch', '--segment-rows', '2'])).code, 0);
    assert.equal(JSON.parse((await run(['info', seg, '--json'])).out).index.usearch.segmentRows, 2);
    assert.ok(fs.existsSync(path.join(seg, 'index-1.usearch')), 'one data file per segment');
    // Its 3 rows lie in two graphs (2 + 1): each caption finds its own row, first, whichever graph holds it.
    for (const [i, caption] of ['lung ct', 'brain mri', 'skin lesion'].entries()) assert.equal(JSON.parse((await run(['query', seg, caption, '--k', '1', '--json'])).out)[0].id, `a${i}`);
    await assert.rejects(run(['build', path.join(d, 'seg-x'), '--from', path.join(d, 'a.jsonl'), '--embedder', `endpoint:${url}#toy`, '--index', 'exact', '--segment-rows', '2']), /--segment-rows applies to a usearch index \(--index usearch or auto\), not --index exact/);
    await assert.rejects(run(['build', path.join(d, 'seg-y'), '--engine', 'lance', '--from', path.join(d, 'a.jsonl'), '--embedder', `endpoint:${url}#toy`, '--segment-rows', '2']), /--segment-rows splits an in-RAM usearch index; an on-disk \(--engine lance\) memory has none/);
    await assert.rejects(run(['build', path.join(d, 'seg-z'), '--from', path.join(d, 'a.jsonl'), '--embedder', `endpoint:${url}#toy`, '--segment-rows', '0']), /--segment-rows must be a positive integer, got "0"/);
    assert.ok(!fs.existsSync(path.join(d, 'seg-x')) && !fs.existsSync(path.join(d, 'seg-y')) && !fs.existsSync(path.join(d, 'seg-z')), 'refused builds write nothing');
    const lance = path.join(d, 'lance');
    assert.equal((await run(['build', lance, '--engine', 'lance', '--from', path.join(d, 'a.jsonl'), '--embedder', `endpoint:${url}#toy`, '--index', 'none'])).code, 0);
    const onDisk = JSON.parse((await run(['query', lance, 'brain', '--k', '2', '--json'])).out) as { id: string }[];
    assert.deepEqual(onDisk.map((r) => r.id), ['a1', 'a0', 'a2'], 'an index-less on-disk memory is searched exactly, ties kept');
    await assert.rejects(run(['query', lance, 'x', '--ef', '64']), /--ef sets the search breadth of an in-RAM HNSW index; this memory is on disk/);
    await assert.rejects(run(['query', lance, 'x', '--nprobes', '8']), /has no vector index \(built with --index none\), so it is searched exactly; --nprobes and --refine-factor do not apply/);
  } finally {
    srv.closeAllConnections();
    srv.close();
  }
});
