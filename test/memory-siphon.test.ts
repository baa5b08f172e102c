import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dynamicSiphon, siphonBags, type BatchRetriever } from '../src/memory/siphon';
import { growPool, assignDomains, zeroShotDomainClassifier, readQuestionPool, writeQuestionPool, type Question, type EarlierTask } from '../src/memory/pool';
import { uniformReferenceSet, UNIFORM_KEYWORDS } from '../src/memory/uniform';
import { buildReferenceSet } from '../src/memory/reference-set';
import type { VisualScorer } from '../src/memory/retrieval/visual';
import { buildMemory } from '../src/memory/build';
import { fakeEmbedder } from './fixtures/memory/fake-embedder';

const pool0: Question[] = [
  ...Array.from({ length: 6 }, (_, i) => ({ text: `a chest X-ray photo of finding ${i}`, domain: 'chest X-ray' })),
  ...Array.from({ length: 4 }, (_, i) => ({ text: `a fundus photo of finding ${i}`, domain: 'fundus' })),
  ...Array.from({ length: 20 }, (_, i) => ({ text: `a CT photo of finding ${i}`, domain: 'CT' })),
];
const earlier: EarlierTask[] = [{ name: 'pneumoniamnist', domain: 'chest x-ray', classNames: ['normal', 'pneumonia'] }];

/** A fake retriever: each query gets 100 distinct rows of its own, so quotas are visible. */
const fakeRetriever = (): BatchRetriever & { calls: { queries: string[]; k: number }[] } => {
  const calls: { queries: string[]; k: number }[] = [];
  const ids = new Map<string, number>();
  const fn = (async (queries: string[], k: number) => {
    calls.push({ queries, k });
    return queries.map((q) => {
      if (!ids.has(q)) ids.set(q, ids.size);
      const base = ids.get(q)! * 1000;
      return Array.from({ length: k }, (_, i) => ({ row: base + i, dense: 1 - i / 1000 }));
    });
  }) as BatchRetriever & { calls: typeof calls };
  fn.calls = calls;
  return fn;
};

test('pool growth (Eq. 1) adds the earlier tasks\' class prompts once', () => {
  const grown = growPool(pool0, earlier);
  assert.equal(grown.length, pool0.length + 2);
  assert.deepEqual(grown.slice(-2).map((q) => [q.text, q.source]), [['a chest x-ray photo of normal', 'task'], ['a chest x-ray photo of pneumonia', 'task']]);
  assert.equal(growPool(grown, earlier).length, grown.length);
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'primed-pool-')), 'pool.jsonl');
  writeQuestionPool(f, grown);
  assert.deepEqual(readQuestionPool(f), grown);
  fs.writeFileSync(f, '{"domain":"x"}\n');
  assert.throws(() => readQuestionPool(f), /pool\.jsonl:1: field "text"/);
});

test('siphon: bags are disjoint, domain bag = seen domains, general = n seeded samples of the rest, quotas a/b/c', async () => {
  const bags = await siphonBags(growPool(pool0, earlier), earlier, { n: 5, seed: 7 });
  assert.equal(bags.task.length, 2);
  assert.equal(bags.domain.length, 6); // the chest X-ray questions ('chest x-ray' matches case-insensitively)
  assert.equal(bags.general.length, 5);
  const all = [...bags.task, ...bags.domain, ...bags.general];
  assert.equal(new Set(all).size, all.length, 'bags overlap');
  assert.ok(bags.general.every((q) => !q.includes('X-ray')));
  assert.deepEqual((await siphonBags(pool0, earlier, { n: 5, seed: 7 })).general, bags.general, 'same seed, same sample');
  assert.notDeepEqual((await siphonBags(pool0, earlier, { n: 5, seed: 8 })).general, bags.general);

  const r = fakeRetriever();
  const set = await dynamicSiphon(pool0, earlier, r, { a: 3, b: 2, c: 4, n: 5, seed: 7 });
  assert.equal(r.calls[0].k, 4); // k = max(a, b, c)
  const count = (bag: string) => set.items.filter((x) => x.bag === bag).length;
  assert.equal(count('task'), 2 * 3);
  assert.equal(count('domain'), 6 * 2);
  assert.equal(count('general'), 5 * 4);
  for (const x of set.items.filter((i) => i.bag === 'domain')) assert.ok(bags.domain.includes(x.query));
});

test('domains: a question\'s own field first, else zero-shot against domain names', async () => {
  const emb = fakeEmbedder(32);
  const classify = zeroShotDomainClassifier(emb, ['fundus', 'dermoscopy'], '{}');
  const d = await assignDomains([{ text: 'x', domain: 'CT' }, { text: 'fundus' }, { text: 'dermoscopy' }], classify);
  assert.deepEqual(d, ['CT', 'fundus', 'dermoscopy']);
  await assert.rejects(assignDomains([{ text: 'no domain here' }]), /1 questions have no domain .*no domain classifier/);
});

test('uniform variant: the same total spread evenly over 30 keywords', async () => {
  assert.equal(UNIFORM_KEYWORDS.length, 30);
  assert.equal(new Set(UNIFORM_KEYWORDS).size, 30);
  const set = await uniformReferenceSet(fakeRetriever(), 95);
  assert.equal(set.items.length, 95);
  const per = new Map<string, number>();
  for (const x of set.items) per.set(x.query, (per.get(x.query) ?? 0) + 1);
  assert.equal(per.size, 30);
  assert.ok(Math.max(...per.values()) - Math.min(...per.values()) <= 1);
});

test('reference-set cache: a second build is a hit, a changed option or memory is a miss, the key is recorded', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-refcache-'));
  const emb = fakeEmbedder(16);
  const captions = ['a chest x-ray photo of pneumonia', 'a chest x-ray photo of normal lungs', 'a fundus photo of retinopathy', 'a CT photo of kidney tumor'];
  const mem = await buildMemory(path.join(root, 'mem'), captions.map((caption, i) => ({ id: `m${i}`, caption })), { embedder: emb });
  // A text-only memory: dropTextOnly false keeps its rows retrievable (this test is about the cache).
  const opts = { siphon: { a: 2, b: 2, c: 2, n: 3 }, retrieval: { stages: { rerank: false }, dropTextOnly: false }, cacheDir: path.join(root, 'cache'), seed: 1 };
  const first = await buildReferenceSet(mem, emb, pool0, earlier, opts);
  assert.equal(first.cacheHit, false);
  assert.match(first.key, /^[0-9a-f]{64}$/);
  assert.ok(first.items.length > 0);
  assert.ok(fs.existsSync(path.join(root, 'cache', `refset-${first.key}.json`)));
  const calls = emb.calls.length;
  const second = await buildReferenceSet(mem, emb, pool0, earlier, opts);
  assert.equal(second.cacheHit, true);
  assert.equal(second.key, first.key);
  assert.deepEqual(second.items, first.items);
  assert.equal(emb.calls.length, calls, 'a hit embeds nothing');
  const changed = await buildReferenceSet(mem, emb, pool0, earlier, { ...opts, siphon: { ...opts.siphon, c: 3 } });
  assert.equal(changed.cacheHit, false);
  assert.notEqual(changed.key, first.key);
  const seed = await buildReferenceSet(mem, emb, pool0, earlier, { ...opts, seed: 2 });
  assert.equal(seed.cacheHit, false);
  const { addEntries } = require('../src/memory/build') as typeof import('../src/memory/build');
  const mem2 = await addEntries(mem, [{ id: 'new', caption: 'a dermoscopy photo of melanoma' }], { embedder: emb });
  assert.equal((await buildReferenceSet(mem2, emb, pool0, earlier, opts)).cacheHit, false, 'a new memory version is a miss');
});

test('reference-set cache: the visual scorer is part of the key (two backbones over one memory never share a set); a scorer without an id is refused', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-refcache-scorer-'));
  const emb = fakeEmbedder(16);
  const captions = ['a chest x-ray photo of pneumonia', 'a chest x-ray photo of normal lungs', 'a fundus photo of retinopathy', 'a CT photo of kidney tumor'];
  const mem = await buildMemory(path.join(root, 'mem'), captions.map((caption, i) => ({ id: `m${i}`, caption })), { embedder: emb });
  const opts = { siphon: { a: 2, b: 2, c: 2, n: 3 }, retrieval: { dropTextOnly: false }, cacheDir: path.join(root, 'cache'), seed: 1 };
  // Two "backbones": each scores every row the same, but they are different scorers.
  const scorer = (id: string, score: number): VisualScorer => Object.assign(async (_q: string, rows: number[]) => new Float32Array(rows.length).fill(score), { id });
  const a = await buildReferenceSet(mem, emb, pool0, earlier, opts, scorer('visual:backbone-a', 0.5));
  const b = await buildReferenceSet(mem, emb, pool0, earlier, opts, scorer('visual:backbone-b', 0.5));
  assert.equal(a.cacheHit, false);
  assert.equal(b.cacheHit, false, 'another scorer over the same memory is a miss');
  assert.notEqual(b.key, a.key);
  const again = await buildReferenceSet(mem, emb, pool0, earlier, opts, scorer('visual:backbone-a', 0.5));
  assert.equal(again.cacheHit, true, 'the same scorer hits');
  assert.equal(again.key, a.key);
  const none = await buildReferenceSet(mem, emb, pool0, earlier, { ...opts, retrieval: { ...opts.retrieval, stages: { rerank: false } } });
  assert.notEqual(none.key, a.key, 'no rerank, no scorer: its own key');
  await assert.rejects(
    buildReferenceSet(mem, emb, pool0, earlier, opts, async (_q, rows) => new Float32Array(rows.length)),
    /buildReferenceSet: the visual scorer has no id/,
  );
});
