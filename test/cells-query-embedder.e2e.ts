/**
 * A memory embedded by an embeddings server (a local OpenAI-compatible endpoint serving a
 * bag-of-words embedder, standing in for Qwen3-Embedding-8B) used through the cells: distill and
 * evaluateMGTIL with `queryEmbedder`, the clear error without it, the reference-set keys of a run
 * read back from result.json after a resume and on reopening it finished, and `primed evaluate
 * --memory` using the memory's own endpoint (API key from the environment, never printed).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { distill, evaluateMGTIL, type MGTILResult } from '../src/experiment';
import { initBackend } from '../src/backend';
import { loadBenchmarkTasks } from '../src/benchmarks';
import { loadMiniModel } from '../src/foundation';
import { buildMiniCorpus } from '../src/data/mini-corpus';
import { buildMemory, type MemoryInput } from '../src/memory/build';
import { encodePng } from '../src/memory/mini';
import { endpointEmbedder } from '../src/memory/embedders/endpoint';
import { queryEmbedderFor } from '../src/memory/embedders/spec';
import type { Memory } from '../src/memory/store';
import { command } from '../src/cli/evaluate';
import { UsageError } from '../src/cli/command';
import { runCaptured } from './helpers/cli';
import { fakeEmbedder } from './fixtures/memory/fake-embedder';
import { embedderServer } from './fixtures/memory/embeddings-server';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-query-embedder-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');
const KEY = 'sk-test-QUERY-EMBEDDER-91b2';
const MODEL = 'fake-qwen3-embedding';
const DIM = 32;

let server: Awaited<ReturnType<typeof embedderServer>> | undefined;
let memory: Memory;
let memoryDir: string;
const endpoint = () => endpointEmbedder({ url: server!.url, model: MODEL, dim: DIM });

/** A memory of 60 image–caption pairs per domain of the mini corpus and 100 text-only captions, embedded through the endpoint. */
async function endpointMemory(): Promise<Memory> {
  if (memory) return memory;
  server = await embedderServer(fakeEmbedder(DIM));
  const corpus = buildMiniCorpus({ seed: 0 });
  const perDomain = new Map<string, number>();
  const images = corpus.filter((e) => e.image && (perDomain.set(e.domain, (perDomain.get(e.domain) ?? 0) + 1).get(e.domain) ?? 0) <= 60);
  const entries: MemoryInput[] = [...images, ...corpus.filter((e) => !e.image).slice(0, 100)].map((e) => ({
    id: e.id,
    caption: e.caption,
    domain: e.domain,
    ...(e.image ? { imageData: { bytes: encodePng(e.image), ext: 'png' as const } } : {}),
  }));
  memoryDir = path.join(tmp, 'endpoint-memory');
  memory = await buildMemory(memoryDir, entries, { embedder: endpoint(), index: { kind: 'exact' } });
  return memory;
}

after(async () => {
  await server?.close();
});

test('distill on an endpoint-embedded memory: works with queryEmbedder; without it, the error names both embedders and queryEmbedder', async () => {
  await initBackend();
  const mem = await endpointMemory();
  assert.equal(mem.manifest.embedder.id, `endpoint:${server!.url}#${MODEL}`);
  const [xray, ultrasound] = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
  const model = await loadMiniModel();
  const recipe = { trainer: { steps: 1, batchSize: 8 }, referenceBatchSize: 8 };
  try {
    await assert.rejects(distill(model, ultrasound, { memory: mem, earlierTasks: [xray], recipe }), (e: Error) => {
      assert.match(e.message, new RegExp(`embedded with endpoint:${server!.url.replace(/[.]/g, '\\.')}#${MODEL}`));
      assert.match(e.message, /refusing embedder model:mini@/);
      assert.match(e.message, /pass the memory's own embedder as the queryEmbedder option/);
      return true;
    });
    // A query embedder that is not the memory's own is refused too, even when given.
    const wrong = endpointEmbedder({ url: server!.url, model: 'another-model', dim: DIM });
    await assert.rejects(distill(model, ultrasound, { memory: mem, earlierTasks: [xray], recipe, queryEmbedder: wrong }), /refusing embedder endpoint:.*#another-model/);

    const queriesBefore = server!.seen.batches.length;
    const r = await distill(model, ultrasound, { memory: mem, earlierTasks: [xray], recipe, queryEmbedder: endpoint() });
    assert.ok(server!.seen.batches.length > queriesBefore, 'the queries went to the endpoint');
    assert.ok(r.reference.size > 0 && (r.reference.bags.task ?? 0) > 0, `reference set: ${JSON.stringify(r.reference.bags)}`);
    assert.ok(r.reference.rows.every((row) => mem.readImageBytes(row) !== undefined));
  } finally {
    model.dispose();
  }
});

const RECIPE = { trainer: { steps: 1 } };

test('evaluateMGTIL on an endpoint memory with queryEmbedder: reference keys survive a resume and reopening the finished run', async () => {
  await initBackend();
  const mem = await endpointMemory();
  const runDir = path.join(tmp, 'primed-run');
  const base = { method: 'primed-dyn', order: 'I' as const, runDir, memory: mem, recipe: RECIPE };
  // Without queryEmbedder: refused before the first task trains, with the hint.
  await assert.rejects(evaluateMGTIL({ ...base, runDir: path.join(tmp, 'no-query-embedder') }), /queryEmbedder/);

  const stop = new AbortController();
  await assert.rejects(
    evaluateMGTIL({ ...base, queryEmbedder: endpoint(), signal: stop.signal, onRow: (row) => (row === 1 ? stop.abort() : undefined) }),
    /aborted after 2 of 5 rows/,
  );
  const stored = JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8'));
  assert.equal(stored.trainInfo.length, 2);
  const keysBeforeStop = stored.trainInfo.map((i: { reference: { key: string } }) => i.reference.key);
  assert.ok(keysBeforeStop.every((k: unknown) => typeof k === 'string'));

  const resumed = await evaluateMGTIL({ ...base, queryEmbedder: endpoint() });
  assert.deepEqual(resumed.resumedAtRow, [2]);
  assert.ok(resumed.complete);
  assert.ok(resumed.referenceKeys.every((k) => typeof k === 'string' && k.length === 64), JSON.stringify(resumed.referenceKeys));
  assert.deepEqual(resumed.referenceKeys.slice(0, 2), keysBeforeStop, 'rows trained before the stop keep their keys');
  assert.equal(new Set(resumed.referenceKeys).size, 5, 'each task distils on its own set');
  assert.ok(resumed.referenceBags.every((b) => b !== null && Object.values(b).reduce((a, n) => a + (n ?? 0), 0) > 0));

  // Reopening the finished run trains nothing and gives the same keys and bags.
  const reopened = await evaluateMGTIL({ ...base, queryEmbedder: endpoint() });
  assert.deepEqual(reopened.resumedAtRow, [2]);
  assert.deepEqual(reopened.referenceKeys, resumed.referenceKeys);
  assert.deepEqual(reopened.referenceBags, resumed.referenceBags);
  assert.deepEqual(reopened.matrix, resumed.matrix);
});

const capture = (argv: string[]) => runCaptured(command, argv);

test('primed evaluate --memory: queries go to the memory\'s own endpoint (key from the environment, never printed)', async () => {
  await initBackend();
  const mem = await endpointMemory();
  await assert.rejects(command.run(['--embedder', `endpoint:${server!.url}#${MODEL}`]), (e: Error) => e instanceof UsageError && /need --memory DIR/.test(e.message));
  // The memory's own embedder, resolved from its manifest; a model-embedded memory gets none (the model embeds).
  assert.equal((await queryEmbedderFor(mem.manifest.embedder.id, undefined))?.id, mem.manifest.embedder.id);
  assert.equal(await queryEmbedderFor('model:mini@0123456789ab', undefined), undefined);

  // The finished run of the previous test, reopened through the CLI with the same settings.
  process.env.PRIMED_EMBEDDINGS_API_KEY = KEY;
  const chromium = process.env.PRIMED_CHROMIUM;
  process.env.PRIMED_CHROMIUM = path.join(tmp, 'no-chromium'); // no PNG rendering in a test
  const authBefore = server!.seen.auth.length;
  try {
    const { code, out } = await capture(['--memory', memoryDir, '--method', 'primed-dyn', '--order', 'I', '--steps', '1', '--out', path.join(tmp, 'primed-run'), '--json']);
    assert.equal(code, 0);
    const r = JSON.parse(out) as MGTILResult;
    const stored = JSON.parse(fs.readFileSync(path.join(tmp, 'primed-run', 'result.json'), 'utf8'));
    assert.deepEqual(r.referenceKeys, stored.trainInfo.map((i: { reference: { key: string } }) => i.reference.key));
    assert.ok(server!.seen.auth.slice(authBefore).length > 0 && server!.seen.auth.slice(authBefore).every((a) => a === `Bearer ${KEY}`), 'the key was sent');
    assert.ok(!out.includes(KEY), 'the key is not printed');
    const runJson = fs.readFileSync(path.join(tmp, 'primed-run', 'run.json'), 'utf8');
    assert.ok(!runJson.includes(KEY));
    assert.deepEqual(JSON.parse(runJson).referenceKeys, r.referenceKeys);
  } finally {
    delete process.env.PRIMED_EMBEDDINGS_API_KEY;
    if (chromium === undefined) delete process.env.PRIMED_CHROMIUM;
    else process.env.PRIMED_CHROMIUM = chromium;
  }
});
