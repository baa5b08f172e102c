/**
 * Imports WebDataset tar shards: members grouped by key (the path up to the first dot of the
 * file name), an image (`.jpg`, `.jpeg`, `.png`) and a caption (`.txt`, or `.json` with a
 * `caption` or `text` field; other JSON fields go to `meta`). Image references are
 * `tar://<shard>#<member>` with the member's offset and size in `meta`, so reading one image
 * needs no scan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MemoryEntry } from '../types';
import { listTar, readTarMember, type TarMember } from './tar';
import type { ImportResult } from './table';

const IMAGE_EXT = new Set(['jpg', 'jpeg', 'png']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 text of a member; bytes that are not UTF-8 are an error naming the member. */
function utf8(bytes: Uint8Array, where: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new Error(`${where}: not valid UTF-8 text`);
  }
}

function splitKey(name: string): { key: string; ext: string } {
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  return dot < 0 ? { key: name, ext: '' } : { key: name.slice(0, dot), ext: name.slice(dot + 1).toLowerCase() };
}

/** Entries of one shard; `shardRel` is the shard's path relative to the import root. */
export function importShard(shardFile: string, shardRel: string): MemoryEntry[] {
  const groups = new Map<string, Map<string, TarMember>>();
  for (const m of listTar(shardFile)) {
    // Images are addressed as tar://<shard>#<member>: a '#' in the name could not be read back.
    if (m.name.includes('#')) throw new Error(`${shardFile}: member ${JSON.stringify(m.name)} has a '#' in its name, which image references cannot address; rename it`);
    const { key, ext } = splitKey(m.name);
    if (!groups.has(key)) groups.set(key, new Map());
    groups.get(key)!.set(ext, m);
  }
  const out: MemoryEntry[] = [];
  for (const [key, members] of groups) {
    const where = `${shardFile}: key ${JSON.stringify(key)}`;
    let caption: string | undefined;
    let meta: Record<string, unknown> = {};
    const json = members.get('json');
    if (json) {
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(utf8(readTarMember(shardFile, json.offset, json.size), `${shardFile}: member ${json.name}`));
      } catch (err) {
        throw new Error(`${where}: malformed .json member (${(err as Error).message})`);
      }
      const { caption: c, text: t, ...rest } = obj;
      caption = (c ?? t) as string | undefined;
      meta = rest;
    }
    const txt = members.get('txt');
    if (txt && caption === undefined) caption = utf8(readTarMember(shardFile, txt.offset, txt.size), `${shardFile}: member ${txt.name}`).trim();
    if (typeof caption !== 'string' || caption.trim() === '') throw new Error(`${where}: no caption (needs a .txt member or a .json member with "caption")`);
    const imgExt = [...members.keys()].find((e) => IMAGE_EXT.has(e));
    const entry: MemoryEntry = { id: `${shardRel}#${key}`, caption };
    if (imgExt) {
      const m = members.get(imgExt)!;
      entry.image = `tar://${shardRel}#${m.name}`;
      meta.tarOffset = m.offset;
      meta.tarSize = m.size;
    }
    if (typeof meta.domain === 'string') {
      entry.domain = meta.domain;
      delete meta.domain;
    }
    if (Object.keys(meta).length) entry.meta = meta;
    out.push(entry);
  }
  return out;
}

/** Imports every `.tar` shard in folder `dir` (sorted by name), or the single shard `dir`. */
export function importShards(dir: string): ImportResult {
  const stat = fs.statSync(dir);
  const root = path.resolve(stat.isDirectory() ? dir : path.dirname(dir));
  const shards = stat.isDirectory() ? fs.readdirSync(dir).filter((f) => f.endsWith('.tar')).sort() : [path.basename(dir)];
  if (shards.length === 0) throw new Error(`${dir}: no .tar shards found`);
  for (const s of shards) {
    if (s.includes('#')) throw new Error(`${path.join(root, s)}: a shard name with '#' cannot be addressed by image references; rename it`);
    if (fs.statSync(path.join(root, s)).size === 0) throw new Error(`${path.join(root, s)}: empty shard (0 bytes)`);
  }
  const entries = shards.flatMap((s) => importShard(path.join(root, s), s));
  if (entries.length === 0) throw new Error(`${dir}: no entries in ${shards.length === 1 ? 'the shard' : `${shards.length} shards`}`);
  return { root, entries };
}
