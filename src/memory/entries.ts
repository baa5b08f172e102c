/** Validation and the stored form (JSONL) of memory entries. */
import type { MemoryEntry } from './types';

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

/** Parses `entries.jsonl` text; errors name the file and line. */
export function parseEntriesJsonl(text: string, file: string): StoredEntry[] {
  const out: StoredEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let e: StoredEntry;
    try {
      e = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    validateEntry(e, `${file}:${i + 1}`);
    out.push(e);
  });
  return out;
}
