/** Picks the importer for a `--from` source by its form: `.jsonl`, `.csv`, a `.tar` shard or a folder of shards. */
import * as fs from 'node:fs';
import { importCsv, importJsonl, type ImportResult } from './table';
import { importShards } from './webdataset';

export type { ImportResult } from './table';

/** Imports entries from a JSONL file, a CSV file, a `.tar` shard or a folder of `.tar` shards. */
export function importEntries(source: string): ImportResult {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new Error(`${source}: not found`);
  }
  if (stat.isDirectory() || source.endsWith('.tar')) return importShards(source);
  if (source.endsWith('.jsonl') || source.endsWith('.ndjson')) return importJsonl(source);
  if (source.endsWith('.csv')) return importCsv(source);
  throw new Error(`${source}: unknown source type; expected .jsonl, .csv, .tar or a folder of .tar shards`);
}
