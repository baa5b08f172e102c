/** Validation and the stored form (JSONL) of memory entries. */
import type { MemoryEntry } from './types';
import { forEachLineOfBuffer } from '../util/lines';

/** An entry as stored in `entries.jsonl`: the entry plus the index of its image root. */
export interface StoredEntry extends MemoryEntry {
  /** Position in the manifest's `imageRoots` of the folder `image` is relative to. */
  root?: number;
}

/** Checks one entry's fields; errors name `where` and the entry. */
export function validateEntry(e: MemoryEntry, where: string): void {
  const name = `${where}${e && typeof e.id === 'string' ? ` (id ${JSON.stringify(e.id)})` : ''}`;
  if (!e || typeof e !== 'object') throw new Error(`${where}: entry must be an object`);
  if (typeof e.id !== 'string' || e.id === '') throw new Error(`${name}: field "id" must be a non-empty string`);
  if (typeof e.caption !== 'string' || e.caption.trim() === '') throw new Error(`${name}: field "caption" must be a non-empty string`);
  if (e.image !== undefined && (typeof e.image !== 'string' || e.image === '')) throw new Error(`${name}: field "image" must be a non-empty string when present`);
  if (e.domain !== undefined && typeof e.domain !== 'string') throw new Error(`${name}: field "domain" must be a string when present`);
  if (e.meta !== undefined && (typeof e.meta !== 'object' || e.meta === null || Array.isArray(e.meta))) throw new Error(`${name}: field "meta" must be an object when present`);
}

/** The public entry (without the storage-only `root`). */
export function publicEntry(s: StoredEntry): MemoryEntry {
  const { root: _root, ...e } = s;
  return e;
}

/**
 * Parses `entries.jsonl` (text, or the file's bytes: read line by line, so files over V8's
 * 512 MiB string limit work too); errors name the file and line.
 */
export function parseEntriesJsonl(text: string | Uint8Array, file: string): StoredEntry[] {
  const out: StoredEntry[] = [];
  const parse = (line: string, n: number) => {
    if (line.trim() === '') return;
    let e: StoredEntry;
    try {
      e = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${n}: invalid JSON (${(err as Error).message})`);
    }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new Error(`${file}:${n}: expected a JSON object, got ${e === null ? 'null' : Array.isArray(e) ? 'an array' : typeof e}`);
    validateEntry(e, `${file}:${n}`);
    out.push(e);
  };
  if (typeof text === 'string') text.split('\n').forEach((line, i) => parse(line, i + 1));
  else forEachLineOfBuffer(text, file, parse);
  return out;
}
