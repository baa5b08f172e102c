/**
 * Memory retrieval benchmark: hnswlib-node beside faiss HNSW (Python, same vectors, same M,
 * efConstruction, ef), exact search as the recall reference, and the time to build a
 * reference set for a 3,000-question pool over the same entries.
 *
 *   npx tsx bench/memory/retrieval.ts [--n 100000] [--dim 512] [--m 16] [--ef-construction 200] [--ef 128]
 *                                     [--queries 1000] [--truth-queries 200] [--threads 1] [--seed 42]
 *                                     [--faiss-timeout 900 (0: no faiss peer)] [--out FILE]
 *
 * Vectors: a mixture of 2,000 Gaussian clusters on the unit sphere (closer to real caption
 * embeddings than uniform noise, on which every graph index does poorly), written once as .npy
 * for both engines. Prints the figures and writes bench/results/memory-retrieval.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { writeNpy } from '../../src/data/npy';
import { writeJsonAtomic } from '../../src/util/fs';
import { Rng } from '../../src/util/rng';
import { ExactIndex } from '../../src/memory/vector/exact';
import { HnswIndex } from '../../src/memory/vector/hnsw';
import { l2NormalizeInPlace } from '../../src/memory/vectors';
import { retrieve } from '../../src/memory/retrieval/pipeline';
import { storedImageScorer } from '../../src/memory/retrieval/visual';
import { dynamicSiphon, SIPHON_DEFAULTS } from '../../src/memory/siphon';
import type { Question, EarlierTask } from '../../src/memory/pool';
import type { Embedder } from '../../src/memory/types';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '512' },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '200' },
    ef: { type: 'string', default: '128' },
    queries: { type: 'string', default: '1000' },
    'truth-queries': { type: 'string', default: '200' },
    threads: { type: 'string', default: '1' },
    seed: { type: 'string', default: '42' },
    'faiss-timeout': { type: 'string', default: '900' },
    out: { type: 'string', default: 'bench/results/memory-retrieval.json' },
  },
});
const N = Number(values.n);
const DIM = Number(values.dim);
const M = Number(values.m);
const EFC = Number(values['ef-construction']);
const EF = Number(values.ef);
const NQ = Number(values.queries);
const NT = Number(values['truth-queries']);
const SEED = Number(values.seed);

const mib = (b: number) => b / 2 ** 20;
const log = (s: string) => process.stderr.write(s + '\n');

function clustered(n: number, rng: Rng, centers: Float32Array, nc: number, spread: number): Float32Array {
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = rng.int(nc);
    const v = out.subarray(i * DIM, (i + 1) * DIM);
    for (let j = 0; j < DIM; j++) v[j] = centers[c * DIM + j] + spread * rng.normal();
    l2NormalizeInPlace(v);
  }
  return out;
}

async function main(): Promise<void> {
  const rng = new Rng(SEED);
  const NC = 2000;
  const centers = new Float32Array(NC * DIM).map(() => rng.normal() / Math.sqrt(DIM));
  const spread = 0.6 / Math.sqrt(DIM);
  log(`generating ${N} x ${DIM} vectors`);
  const base = clustered(N, rng, centers, NC, spread);
  const queries = clustered(NQ, rng, centers, NC, spread);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-bench-memory-'));
  fs.writeFileSync(path.join(work, 'base.npy'), writeNpy({ dtype: 'f4', shape: [N, DIM], data: base }));
  fs.writeFileSync(path.join(work, 'queries.npy'), writeNpy({ dtype: 'f4', shape: [NQ, DIM], data: queries }));

  log(`exact search for ${NT} reference queries`);
  const exact = new ExactIndex(DIM, base);
  let t = performance.now();
  const truth: Int32Array[] = [];
  for (let i = 0; i < NT; i++) truth.push(exact.search(queries.subarray(i * DIM, (i + 1) * DIM), 10).rows);
  const exactQps = NT / ((performance.now() - t) / 1000);
  const truthArr = new BigInt64Array(NT * 10);
  truth.forEach((r, i) => r.forEach((x, j) => (truthArr[i * 10 + j] = BigInt(x))));
  fs.writeFileSync(path.join(work, 'truth.npy'), writeNpy({ dtype: 'i8', shape: [NT, 10], data: truthArr }));

  log(`hnswlib-node build (M ${M}, efConstruction ${EFC})`);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  t = performance.now();
  const hnsw = new HnswIndex(DIM, { m: M, efConstruction: EFC, ef: EF });
  hnsw.add(base);
  const buildS = (performance.now() - t) / 1000;
  const rss1 = process.memoryUsage().rss;
  t = performance.now();
  const found: Int32Array[] = [];
  for (let i = 0; i < NQ; i++) found.push(hnsw.search(queries.subarray(i * DIM, (i + 1) * DIM), 10).rows);
  const qps = NQ / ((performance.now() - t) / 1000);
  let hit = 0;
  for (let i = 0; i < NT; i++) {
    const s = new Set(truth[i]);
    for (const r of found[i]) if (s.has(r)) hit++;
  }
  const hnswlibNode = { engine: 'hnswlib-node 3.0.0 (HierarchicalNSW, space ip)', threads: 1, build_s: buildS, qps, recall_at_10: hit / (NT * 10), rss_growth_mib: mib(rss1 - rss0), peak_rss_mib: mib(process.memoryUsage().rss) };
  log(JSON.stringify(hnswlibNode));

  log('faiss peer');
  let faiss: Record<string, unknown>;
  const faissTimeout = Number(values['faiss-timeout']);
  if (faissTimeout <= 0) {
    faiss = { engine: 'faiss IndexHNSWFlat', error: 'not run (--faiss-timeout 0)' };
  } else try {
    const faissOut = execFileSync('/usr/bin/python3', [path.join(__dirname, 'faiss_peer.py'), work, String(M), String(EFC), String(EF), values.threads!], { encoding: 'utf8', maxBuffer: 1 << 20, timeout: faissTimeout * 1000 });
    faiss = JSON.parse(faissOut.trim().split('\n').at(-1)!);
  } catch (err) {
    faiss = { engine: 'faiss IndexHNSWFlat', error: `did not finish: ${(err as Error).message.split('\n')[0]} (limit --faiss-timeout ${faissTimeout} s)` };
  }
  log(JSON.stringify(faiss));

  // Reference set for a 3,000-question pool over the same entries: query vectors from the
  // same clusters, captions of random words (for BM25), S_v from stored image vectors.
  log('reference set for a 3,000-question pool');
  const vocab = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}`);
  const captionOf = (r: number) => {
    const g = new Rng(SEED * 7919 + r);
    return Array.from({ length: 12 }, () => vocab[g.int(vocab.length)]).join(' ');
  };
  const captions = Array.from({ length: N }, (_, r) => captionOf(r));
  const domains = Array.from({ length: 20 }, (_, i) => `domain ${i}`);
  const pool: Question[] = Array.from({ length: 3000 }, (_, i) => ({ text: `q${i} ${vocab[i]} ${vocab[(i * 7) % 3000]}`, domain: domains[i % 20] }));
  const earlier: EarlierTask[] = [0, 1].map((i) => ({ name: `task${i}`, domain: domains[i], classNames: Array.from({ length: 5 }, (_, c) => `class ${i}-${c}`) }));
  const qvecs = new Map<string, Float32Array>();
  const qrng = new Rng(SEED + 1);
  const embedder: Embedder = {
    id: 'bench:clustered',
    dim: DIM,
    async embed(texts) {
      return texts.map((x) => {
        let v = qvecs.get(x);
        if (!v) qvecs.set(x, (v = clustered(1, qrng, centers, NC, spread)));
        return v;
      });
    },
  };
  const imageVecs = clustered(N, new Rng(SEED + 2), centers, NC, spread);
  const scorer = storedImageScorer((r) => imageVecs.subarray(r * DIM, (r + 1) * DIM), embedder);
  const source = { index: hnsw, size: N, caption: (r: number) => captions[r] };
  const quotas = SIPHON_DEFAULTS.hieramedtransfer;
  const retr = async (qs: string[], k: number) => {
    const vecs = await embedder.embed(qs);
    const out = [];
    for (let i = 0; i < qs.length; i++) out.push(await retrieve(source, qs[i], vecs[i], { k }, scorer));
    return out;
  };
  t = performance.now();
  const set = await dynamicSiphon(pool, earlier, retr, { ...quotas, seed: SEED });
  const siphonS = (performance.now() - t) / 1000;
  const siphonQueries = Object.values(set.bags).reduce((a, b) => a + (b?.length ?? 0), 0);
  t = performance.now();
  await retr(pool.map((q) => q.text), Math.max(quotas.a, quotas.b, quotas.c));
  const fullPoolS = (performance.now() - t) / 1000;

  const result = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.arch()}` },
    data: { n: N, dim: DIM, queries: NQ, truth_queries: NT, kind: 'mixture of 2000 Gaussian clusters on the unit sphere', seed: SEED },
    params: { M, efConstruction: EFC, ef: EF },
    exact: { engine: 'primed ExactIndex (JS brute force)', qps: exactQps },
    hnswlib_node: hnswlibNode,
    faiss,
    reference_set: {
      pool: 3000,
      siphon: { ...quotas, k: Math.max(quotas.a, quotas.b, quotas.c), queries: siphonQueries, items: set.items.length, seconds: siphonS },
      full_pool_pipeline: { queries: 3000, seconds: fullPoolS, queries_per_s: 3000 / fullPoolS },
      pipeline: 'dense (HNSW, tie-robust, over-fetch 4) -> S_v from stored image vectors -> dedup k_v 2 -> BM25 gate',
    },
  };
  writeJsonAtomic(values.out!, result);
  fs.rmSync(work, { recursive: true, force: true });
  console.log(JSON.stringify(result, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
