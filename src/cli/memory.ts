import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bundledDataDir } from '../data/bundled';
import { checkArtefactTarget, isInside } from '../util/artefact';
import { initBackend } from '../backend';
import { importEntries } from '../memory/importers';
import { buildMemory, addEntries, MEMORY_ARTEFACT } from '../memory/build';
import { openMemory, type Memory } from '../memory/store';
import { exactSearchChunked, matrixChunkSource } from '../memory/vector/chunked-exact';
import { EMBEDDER_SPEC_HELP, embedderFromSpec, queryEmbedderFor } from '../memory/embedders/spec';
import type { IndexChoice } from '../memory/vector/open';
import { terminalProgress } from '../util/progress';
import { UsageError, type CliCommand } from './command';
import { addToLanceMemory, buildLanceMemory, isLanceMemory, openLanceMemory } from '../memory/lance/store';
import type { EmbedderSpecOptions } from '../memory/embedders/spec';

type Values = Record<string, string | boolean | undefined>;

/** build / add / info / query of an on-disk (LanceDB) memory. */
async function runLance(sub: string, dir: string, text: string | undefined, values: Values, specOpts: EmbedderSpecOptions): Promise<number> {
  const str = (k: string) => values[k] as string | undefined;
  const progress = terminalProgress();
  const log = (line: string) => process.stderr.write(line + '\n');
  switch (sub) {
    case 'build':
    case 'add': {
      const from = str('from');
      if (!from) throw new UsageError(`${sub} needs --from`);
      if (isInside(from, dir)) throw new UsageError(`--from ${from} lies inside the memory folder ${dir}; move the source out first`);
      let embedder;
      if (sub === 'add' || (isLanceMemory(dir) && !str('embedder'))) {
        const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { embedder: { id: string; spec?: string } };
        embedder = (await queryEmbedderFor(m.embedder.id, str('embedder'), specOpts)) ?? (m.embedder.spec ? await embedderFromSpec(m.embedder.spec, specOpts) : undefined);
        if (!embedder) throw new UsageError(`this memory was embedded with ${m.embedder.id} and records no model path; pass --embedder`);
      } else embedder = await embedderFromSpec(str('embedder') ?? `model:${path.join(bundledDataDir(), 'models', 'mini')}`, specOpts);
      const vt = str('vector-type');
      if (vt !== undefined && vt !== 'float16' && vt !== 'float32') throw new UsageError(`--vector-type must be float16 or float32, got ${JSON.stringify(vt)}`);
      const idx = str('index');
      if (idx !== undefined && idx !== 'ivf-pq' && idx !== 'none') throw new UsageError(`--index for --engine lance must be ivf-pq or none, got ${JSON.stringify(idx)}`);
      const opts = {
        embedder,
        vectorType: vt as 'float16' | 'float32' | undefined,
        batchRows: int(str('batch-rows'), 'batch-rows'),
        index:
          idx === undefined && ['partitions', 'nprobes', 'refine-factor', 'kmeans-iterations'].every((f) => str(f) === undefined)
            ? undefined
            : {
                kind: (idx ?? 'ivf-pq') as 'ivf-pq' | 'none',
                partitions: int(str('partitions'), 'partitions'),
                nprobes: int(str('nprobes'), 'nprobes'),
                refineFactor: int(str('refine-factor'), 'refine-factor'),
                kmeansIterations: int(str('kmeans-iterations'), 'kmeans-iterations'),
              },
        progress,
        log,
      };
      const r = sub === 'build' ? await buildLanceMemory(dir, from, opts) : await addToLanceMemory(dir, from, opts);
      process.stdout.write(`${sub === 'build' ? 'built' : 'added to'} ${dir}: ${r.count} entries on disk (${r.resumedFrom ? `${r.resumedFrom} committed before this run, ` : ''}${r.committed} committed now)\n`);
      return 0;
    }
    case 'info': {
      const m = await openLanceMemory(dir);
      if (values.json) process.stdout.write(JSON.stringify({ dir, ...m.manifest, diskBytes: m.diskBytes() }, null, 2) + '\n');
      else {
        const e = m.manifest.embedder;
        process.stdout.write(
          [
            `memory    ${dir} (on disk, LanceDB)`,
            `entries   ${m.size}`,
            `embedder  ${e.id} (dimension ${e.dim}${e.matryoshkaFrom ? `, Matryoshka-truncated from ${e.matryoshkaFrom}` : ''})`,
            `vectors   ${m.manifest.vectorType}; index ${m.manifest.index.kind}${m.manifest.index.kind === 'ivf-pq' ? ` (${m.manifest.index.partitions} partitions, ${m.manifest.index.subVectors} sub-vectors, nprobes ${m.manifest.index.nprobes}, refine ×${m.manifest.index.refineFactor}${m.manifest.index.kmeansIterations ? `, ${m.manifest.index.kmeansIterations} k-means iterations` : ''})` : ''}`,
            `disk      ${(m.diskBytes() / 2 ** 20).toFixed(1)} MiB`,
            `version   ${m.manifest.version}, written ${m.manifest.updatedAt}`,
          ].join('\n') + '\n',
        );
      }
      return 0;
    }
    case 'query': {
      if (!text) throw new UsageError('query needs the query text');
      const k = int(str('k'), 'k') ?? 10;
      // The search options are checked before the embedder is loaded (a model or an endpoint).
      if (str('ef') !== undefined) throw new UsageError('--ef sets the search breadth of an in-RAM HNSW index; this memory is on disk (LanceDB): use --nprobes and --refine-factor, or --exact');
      const nprobes = int(str('nprobes'), 'nprobes');
      const refineFactor = int(str('refine-factor'), 'refine-factor');
      if (values.exact && (nprobes !== undefined || refineFactor !== undefined)) throw new UsageError('--nprobes and --refine-factor tune the IVF-PQ index; --exact searches every vector without it');
      const m = await openLanceMemory(dir);
      if (!values.exact && (nprobes !== undefined || refineFactor !== undefined) && m.defaultSearchMode === 'exact') throw new UsageError(`${dir} has no vector index (built with --index none), so it is searched exactly; --nprobes and --refine-factor do not apply`);
      const id = m.manifest.embedder;
      const embedder = (await queryEmbedderFor(id.id, str('embedder'), specOpts)) ?? (id.spec ? await embedderFromSpec(id.spec, specOpts) : undefined);
      if (!embedder) throw new UsageError(`this memory was embedded with ${id.id} and records no model path; pass --embedder`);
      m.checkEmbedder(embedder);
      const [q] = await embedder.embed([text]);
      const [hits] = await m.searchBatch(q, k, { mode: values.exact ? 'exact' : undefined, nprobes, refineFactor });
      const entries = await m.entries(Array.from(hits.rows));
      const rows = entries.map((e, i) => ({ rank: i + 1, score: hits.scores[i], ...e }));
      if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else for (const r of rows) process.stdout.write(`${String(r.rank).padStart(3)}  ${r.score.toFixed(4)}  ${r.id}  ${r.caption}${r.image ? `  [${r.image}]` : ''}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown sub-command ${JSON.stringify(sub)}; expected build, add, info or query`);
  }
}

const USAGE = `primed memory build <dir> --from <file.jsonl|file.csv|shard.tar|shards-dir> [--embedder SPEC] [--embedder-id ID]
                     [--index exact|hnsw|usearch|auto] [--auto-threshold N] [--m N] [--ef-construction N] [--ef N] [--segment-rows N]
                     [--replace]
                     [--engine ram|lance] [--vector-type float16|float32] [--batch-rows N] [--partitions N] [--nprobes N]
                     [--refine-factor N] [--kmeans-iterations N] [--concurrency N] [--truncate-dim N]
       primed memory add <dir> --from <source> [--embedder SPEC] [--embedder-id ID] [--concurrency N] [--truncate-dim N]
       primed memory info <dir> [--json]
       primed memory query <dir> "<text>" [--k N] [--json] [--exact] [--ef N | --nprobes N --refine-factor N] [--embedder SPEC] [--embedder-id ID]
${EMBEDDER_SPEC_HELP}
--engine lance builds an on-disk memory (LanceDB: vectors on disk, IVF-PQ index, --index none for exact search only) for corpora
that do not fit in RAM; it commits --batch-rows rows at a time (default 4096), and after an interruption the same command
continues from the last commit. --concurrency N keeps N embedding requests in flight; --truncate-dim N keeps the first N
components of an endpoint's vectors (Matryoshka) and renormalises. query --exact searches every vector (ties at the k-th score
included); query --ef N widens an in-RAM HNSW search, --nprobes N / --refine-factor N an on-disk memory's IVF-PQ search, for this
query only (higher: better recall, slower; bench/README.md measures both). --segment-rows N splits a usearch index into graphs of
at most N rows (default 1,000,000), each searched and merged: one graph's recall falls as it grows on clustered vectors.
Without --embedder, build embeds with the bundled mini model (model:<data>/models/mini) and records the model's path in the manifest;
add and query use the memory's own embedder: its endpoint, or the model at the recorded path (refused if those weights changed).
build writes into a new or empty folder; --replace replaces a memory already there (kept until the new one is complete).
A folder holding anything else is never overwritten. One process writes a memory at a time.`;

const OPTIONS = {
  from: { type: 'string' },
  embedder: { type: 'string' },
  'embedder-id': { type: 'string' },
  'api-key-env': { type: 'string' },
  index: { type: 'string' },
  'auto-threshold': { type: 'string' },
  m: { type: 'string' },
  'ef-construction': { type: 'string' },
  ef: { type: 'string' },
  'segment-rows': { type: 'string' },
  k: { type: 'string' },
  json: { type: 'boolean' },
  replace: { type: 'boolean' },
  'embedder-timeout': { type: 'string' },
  engine: { type: 'string' },
  'vector-type': { type: 'string' },
  'batch-rows': { type: 'string' },
  partitions: { type: 'string' },
  nprobes: { type: 'string' },
  'refine-factor': { type: 'string' },
  'kmeans-iterations': { type: 'string' },
  concurrency: { type: 'string' },
  'truncate-dim': { type: 'string' },
  exact: { type: 'boolean' },
} as const;

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** `primed memory build|add|info|query`: build, extend, inspect and query a retrieval memory. */
export const command: CliCommand = {
  name: 'memory',
  summary: 'build, extend, inspect and query a retrieval memory',
  usage: USAGE,
  async run(argv) {
    // Embedding with a model runs on tfjs: pick (and report nothing of) the best backend first.
    await initBackend();
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    const [sub, dir, text] = positionals;
    if (!sub || !dir) throw new UsageError('expected a sub-command (build, add, info, query) and a memory folder');
    const progress = terminalProgress();
    const timeoutS = int(values['embedder-timeout'], 'embedder-timeout');
    const specOpts = {
      id: values['embedder-id'],
      apiKeyEnv: values['api-key-env'],
      timeoutMs: timeoutS !== undefined ? timeoutS * 1000 : undefined,
      concurrency: int(values.concurrency, 'concurrency'),
      truncateTo: int(values['truncate-dim'], 'truncate-dim'),
    };
    if (sub !== 'build' && isLanceMemory(dir)) return runLance(sub, dir, text, values, specOpts);
    const memoryEmbedder = async (m: Memory) => {
      const id = m.manifest.embedder.id;
      const recorded = m.manifest.embedder.spec;
      const e = (await queryEmbedderFor(id, values.embedder, specOpts)) ?? (recorded ? await embedderFromSpec(recorded, specOpts) : undefined);
      if (!e) throw new UsageError(`this memory was embedded with ${id} and records no model path; pass --embedder model:<checkpoint dir> (and --embedder-id ${id})`);
      m.checkEmbedder(e);
      return e;
    };
    switch (sub) {
      case 'build': {
        if (!values.from) throw new UsageError('build needs --from');
        if (values.engine !== undefined && values.engine !== 'ram' && values.engine !== 'lance') throw new UsageError(`--engine must be ram or lance, got ${JSON.stringify(values.engine)}`);
        if (values.engine === 'lance') {
          if (values['segment-rows'] !== undefined) throw new UsageError('--segment-rows splits an in-RAM usearch index; an on-disk (--engine lance) memory has none');
          return runLance('build', dir, text, values, specOpts);
        }
        const kind = (values.index ?? 'auto') as IndexChoice;
        if (!['exact', 'hnsw', 'usearch', 'auto'].includes(kind)) throw new UsageError(`--index must be exact, hnsw, usearch or auto, got ${JSON.stringify(kind)}`);
        if (isInside(values.from, dir) && fs.existsSync(dir)) {
          throw new UsageError(`--from ${values.from} lies inside the memory folder ${dir}, which build would replace; move the source out first`);
        }
        // Before any work: the folder must be new, empty, or (with --replace) a memory.
        try {
          checkArtefactTarget(dir, MEMORY_ARTEFACT, values.replace === true);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        const { root, entries } = importEntries(values.from);
        const spec = values.embedder ?? `model:${path.join(bundledDataDir(), 'models', 'mini')}`;
        const embedder = await embedderFromSpec(spec, specOpts);
        // The HNSW settings go to whichever HNSW index is built: hnswlib-node (--index hnsw) or usearch (--index usearch, or auto above its threshold).
        const hnsw = { m: int(values.m, 'm'), efConstruction: int(values['ef-construction'], 'ef-construction'), ef: int(values.ef, 'ef') };
        const usearch = kind === 'usearch' || kind === 'auto';
        if (values['segment-rows'] !== undefined && !usearch) throw new UsageError(`--segment-rows applies to a usearch index (--index usearch or auto), not --index ${kind}`);
        const segmentRows = int(values['segment-rows'], 'segment-rows');
        const m = await buildMemory(dir, entries, { embedder, imageRoot: root, progress, replace: values.replace === true, index: { kind, autoThreshold: int(values['auto-threshold'], 'auto-threshold'), hnsw, ...(usearch ? { usearch: { ...hnsw, segmentRows } } : {}) } });
        process.stdout.write(`built ${dir}: ${m.size} entries, ${m.manifest.index.kind} index, version ${m.manifest.version}; embedder ${m.manifest.embedder.id}${m.manifest.embedder.spec ? ` from ${m.manifest.embedder.spec}` : ''}\n`);
        return 0;
      }
      case 'add': {
        if (!values.from) throw new UsageError('add needs --from');
        const { root, entries } = importEntries(values.from);
        const opened = openMemory(dir);
        const m = await addEntries(opened, entries, { embedder: await memoryEmbedder(opened), imageRoot: root, progress });
        process.stdout.write(`added ${entries.length} entries to ${dir}: ${m.size} in all, version ${m.manifest.version}\n`);
        return 0;
      }
      case 'info': {
        const m = openMemory(dir);
        const info = { dir, ...m.manifest, withImages: m.stored.filter((s) => s.image).length };
        if (values.json) process.stdout.write(JSON.stringify(info, null, 2) + '\n');
        else {
          process.stdout.write(
            [
              `memory    ${dir}`,
              `entries   ${m.size} (${info.withImages} with images)`,
              `embedder  ${m.manifest.embedder.id} (dimension ${m.manifest.embedder.dim})${m.manifest.embedder.spec ? `, from ${m.manifest.embedder.spec}` : ''}`,
              `index     ${m.manifest.index.kind} (chosen by ${m.manifest.index.choice})`,
              `version   ${m.manifest.version}, written ${m.manifest.updatedAt}`,
            ].join('\n') + '\n',
          );
        }
        return 0;
      }
      case 'query': {
        if (!text) throw new UsageError('query needs the query text');
        const k = int(values.k, 'k') ?? 10;
        for (const f of ['nprobes', 'refine-factor'] as const) {
          if (values[f] !== undefined) throw new UsageError(`--${f} tunes the IVF-PQ index of an on-disk (--engine lance) memory; ${dir} is held in RAM (use --ef or --exact)`);
        }
        const ef = int(values.ef, 'ef');
        if (ef !== undefined && values.exact) throw new UsageError('--ef sets the breadth of the HNSW search; --exact scores every vector without it');
        const m = openMemory(dir, { ef });
        if (ef !== undefined && m.index.kind === 'exact') throw new UsageError(`--ef sets the breadth of an HNSW search; ${dir} has an exact index (every query already scores every vector)`);
        const embedder = await memoryEmbedder(m);
        m.checkEmbedder(embedder);
        const [q] = await embedder.embed([text]);
        // --exact: every vector through the tensor backend, the tie-robust set as the paper's dense stage keeps it.
        const hits = values.exact ? (await exactSearchChunked(matrixChunkSource(m.textEmbeddings, m.manifest.embedder.dim), q, k))[0] : m.search(q, k);
        const rows = Array.from(hits.rows, (row, i) => ({ rank: i + 1, score: hits.scores[i], ...m.entry(row) }));
        if (values.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        else for (const r of rows) process.stdout.write(`${String(r.rank).padStart(3)}  ${r.score.toFixed(4)}  ${r.id}  ${r.caption}${r.image ? `  [${r.image}]` : ''}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown sub-command ${JSON.stringify(sub)}; expected build, add, info or query`);
    }
  },
};
