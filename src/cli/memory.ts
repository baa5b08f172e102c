import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bundledDataDir } from '../data/bundled';
import { checkArtefactTarget, isInside } from '../util/artefact';
import { initBackend } from '../backend';
import { importEntries } from '../memory/importers';
import { buildMemory, addEntries, MEMORY_ARTEFACT } from '../memory/build';
import { openMemory, type Memory } from '../memory/store';
import { EMBEDDER_SPEC_HELP, embedderFromSpec, queryEmbedderFor } from '../memory/embedders/spec';
import type { IndexChoice } from '../memory/vector/open';
import { terminalProgress } from '../util/progress';
import { UsageError, type CliCommand } from './command';

const USAGE = `primed memory build <dir> --from <file.jsonl|file.csv|shard.tar|shards-dir> [--embedder SPEC] [--embedder-id ID]
                     [--index exact|hnsw|auto] [--auto-threshold N] [--m N] [--ef-construction N] [--ef N] [--replace]
       primed memory add <dir> --from <source> [--embedder SPEC] [--embedder-id ID]
       primed memory info <dir> [--json]
       primed memory query <dir> "<text>" [--k N] [--json] [--embedder SPEC] [--embedder-id ID]
${EMBEDDER_SPEC_HELP}
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
  k: { type: 'string' },
  json: { type: 'boolean' },
  replace: { type: 'boolean' },
  'embedder-timeout': { type: 'string' },
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
    const specOpts = { id: values['embedder-id'], apiKeyEnv: values['api-key-env'], timeoutMs: timeoutS !== undefined ? timeoutS * 1000 : undefined };
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
        const kind = (values.index ?? 'auto') as IndexChoice;
        if (!['exact', 'hnsw', 'auto'].includes(kind)) throw new UsageError(`--index must be exact, hnsw or auto, got ${JSON.stringify(kind)}`);
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
        const hnsw = { m: int(values.m, 'm'), efConstruction: int(values['ef-construction'], 'ef-construction'), ef: int(values.ef, 'ef') };
        const m = await buildMemory(dir, entries, { embedder, imageRoot: root, progress, replace: values.replace === true, index: { kind, autoThreshold: int(values['auto-threshold'], 'auto-threshold'), hnsw } });
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
        const m = openMemory(dir);
        const embedder = await memoryEmbedder(m);
        m.checkEmbedder(embedder);
        const [q] = await embedder.embed([text]);
        const hits = m.search(q, k);
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
