import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { endpointEmbedder, probeEndpointEmbedder } from '../src/memory/embedders/endpoint';
import { buildMemory } from '../src/memory/build';
import { embeddingsServer as server } from './fixtures/memory/embeddings-server';

const KEY = 'sk-test-SECRET-7f3a9c';

const vec = (t: string) => [t.length, 1, 0];
const ok = (body: { input: string[] }) => ({ status: 200, body: { data: body.input.map((t, index) => ({ index, embedding: vec(t) })) } });

test('endpoint embedder: batches, sends the key, retries 429/5xx with backoff, normalises', async () => {
  process.env.PRIMED_EMBEDDINGS_API_KEY = KEY;
  // Fail the first request with 503 and the second with 429, then answer.
  const s = await server((n, _req, body) => (n === 0 ? { status: 503, body: { error: 'busy' } } : n === 1 ? { status: 429, body: {} } : ok(body)));
  try {
    const e = endpointEmbedder({ url: s.url, model: 'Qwen3-Embedding-8B', dim: 3, batchSize: 3, baseDelayMs: 5 });
    assert.equal(e.id, `endpoint:${s.url}#Qwen3-Embedding-8B`);
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'f', 'gg'];
    const out = await e.embed(texts);
    assert.equal(out.length, 7);
    // 'ccc' -> [3, 1, 0] / sqrt(10)
    assert.ok(Math.abs(out[2][0] - 3 / Math.sqrt(10)) < 1e-6 && Math.abs(out[2][1] - 1 / Math.sqrt(10)) < 1e-6);
    // Two failed tries of the first batch, then batches of 3, 3, 1.
    assert.deepEqual(s.seen.batches.map((b) => b.length), [3, 3, 3, 3, 1]);
    assert.ok(s.seen.auth.every((a) => a === `Bearer ${KEY}`));
    const probed = await probeEndpointEmbedder({ url: s.url, model: 'm' });
    assert.equal(probed.dim, 3);
  } finally {
    await s.close();
  }
});

test('endpoint embedder: the API key never reaches an error message or the memory', async () => {
  process.env.MY_KEY_VAR = KEY;
  // The server fails and echoes the Authorization header back, as a careless proxy might.
  const s = await server((_n, req) => ({ status: 500, body: { error: `bad auth ${req.headers.authorization}` } }));
  try {
    const e = endpointEmbedder({ url: s.url, model: 'm', dim: 3, apiKeyEnv: 'MY_KEY_VAR', maxAttempts: 3, baseDelayMs: 1 });
    const err = await e.embed(['x']).then(() => undefined, (x: Error) => x);
    assert.ok(err);
    assert.match(err.message, /HTTP 500/);
    assert.ok(!err.message.includes(KEY), err.message);
    assert.equal(s.seen.batches.length, 3); // retried to maxAttempts
    assert.ok(!(err.stack ?? '').includes(KEY));
  } finally {
    await s.close();
  }
  // A successful build records the embedder's public id only.
  const good = await server((_n, _r, body) => ok(body));
  try {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'primed-endpoint-')), 'mem');
    const e = endpointEmbedder({ url: good.url.replace('http://', `http://user:${KEY}@`), model: 'm', dim: 3, apiKeyEnv: 'MY_KEY_VAR' });
    await buildMemory(dir, [{ id: '1', caption: 'lung' }, { id: '2', caption: 'brain' }], { embedder: e });
    for (const f of fs.readdirSync(dir)) assert.ok(!fs.readFileSync(path.join(dir, f)).includes(KEY), `${f} holds the key`);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).embedder.id, `endpoint:${good.url}#m`);
  } finally {
    await good.close();
  }
});

test('endpoint embedder: a request that hangs times out; a 400 is not retried; a bad reply is named', async () => {
  const s = await server((n, _r, body) => (body.input[0] === 'hang' ? 'hang' : body.input[0] === 'bad' ? { status: 400, body: { error: 'no' } } : { status: 200, body: { data: [{ embedding: [1, 2] }] } }));
  try {
    const e = endpointEmbedder({ url: s.url, model: 'm', dim: 3, maxAttempts: 2, baseDelayMs: 1, timeoutMs: 150 });
    await assert.rejects(e.embed(['hang']), /timed out after 150 ms/);
    const before = s.seen.batches.length;
    await assert.rejects(e.embed(['bad']), /HTTP 400/);
    assert.equal(s.seen.batches.length - before, 1);
    await assert.rejects(e.embed(['short']), /data\[0\]\.embedding must be 3 numbers, got 2/);
  } finally {
    await s.close();
  }
});
