/**
 * Entries of a source read one at a time (never the whole corpus in memory): JSONL line by
 * line, WebDataset shards one shard at a time, CSV one file (CSV is parsed whole; use JSONL or
 * shards for corpora over a few hundred MB). The order is fixed (shards sorted by name), so a
 * resumed build can skip the rows it already committed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MemoryEntry } from '../types';
import { finish, importCsv } from './table';
import { importShard } from './webdataset';

/** A source opened for streaming. */
export interface EntryStream {
  /** Absolute folder the entries' image paths are relative to. */
  root: string;
  /** What the source is, for messages: `JSONL file`, `CSV file`, `N WebDataset shards`. */
  describe: string;
  /** The entries in source order (each call starts again from the beginning). */
  entries(): Generator<MemoryEntry>;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Lines of `file` (1-based numbers), read 4 MiB at a time, strict UTF-8, a leading BOM and trailing `\r` removed. */
function* lines(file: string): Generator<[string, number]> {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    let carry: Buffer = Buffer.alloc(0);
    let n = 0;
    const decode = (b: Buffer): [string, number] => {
      n++;
      if (n === 1 && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
      if (b.length && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
      try {
        return [decoder.decode(b), n];
      } catch {
        throw new Error(`${file}:${n}: not valid UTF-8 text (re-encode the file as UTF-8)`);
      }
    };
    for (;;) {
      const got = fs.readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      const chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, got)]) : Buffer.from(buf.subarray(0, got));
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        yield decode(chunk.subarray(start, nl));
        start = nl + 1;
      }
      carry = chunk.subarray(start);
    }
    if (carry.length) yield decode(carry);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens `source` (a `.jsonl`, a `.csv`, a `.tar` shard or a folder of shards) for streaming; errors name the source. */
export function streamEntries(source: string): EntryStream {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new Error(`${source}: not found`);
  }
  if (stat.isDirectory() || source.endsWith('.tar')) {
    const root = path.resolve(stat.isDirectory() ? source : path.dirname(source));
    const shards = stat.isDirectory() ? fs.readdirSync(source).filter((f) => f.endsWith('.tar')).sort() : [path.basename(source)];
    if (shards.length === 0) throw new Error(`${source}: no .tar shards found`);
    for (const s of shards) {
      if (s.includes('#')) throw new Error(`${path.join(root, s)}: a shard name with '#' cannot be addressed by image references; rename it`);
      if (fs.statSync(path.join(root, s)).size === 0) throw new Error(`${path.join(root, s)}: empty shard (0 bytes)`);
    }
    return {
      root,
      describe: `${shards.length} WebDataset shard${shards.length === 1 ? '' : 's'}`,
      *entries() {
        for (const s of shards) yield* importShard(path.join(root, s), s);
      },
    };
  }
  if (source.endsWith('.jsonl') || source.endsWith('.ndjson')) {
    const root = path.dirname(path.resolve(source));
    return {
      root,
      describe: 'JSONL file',
      *entries() {
        for (const [line, n] of lines(source)) {
          if (line.trim() === '') continue;
          let raw: Record<string, unknown>;
          try {
            raw = JSON.parse(line);
          } catch (err) {
            throw new Error(`${source}:${n}: invalid JSON (${(err as Error).message})`);
          }
          yield finish(raw, `${source}:${n}`, `${path.basename(source)}:${n}`, root);
        }
      },
    };
  }
  if (source.endsWith('.csv')) {
    return {
      root: path.dirname(path.resolve(source)),
      describe: 'CSV file',
      *entries() {
        yield* importCsv(source).entries;
      },
    };
  }
  throw new Error(`${source}: unknown source type; expected .jsonl, .csv, .tar or a folder of .tar shards`);
}
