/**
 * Imports entries from a JSONL or CSV file. Each row has a caption and optionally an id, an
 * image path relative to the file's folder, a domain and (JSONL) a `meta` object; CSV columns
 * other than id/caption/image/domain go to `meta`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MemoryEntry } from '../types';
import { validateEntry } from '../entries';
import { safeRelativePath } from './safe-path';
import { forEachLine, readUtf8 } from '../../util/lines';
import { parseCsv } from '../../data/csv';

/** Entries read by an importer, with the folder their image paths are relative to. */
export interface ImportResult {
  /** Absolute folder image paths are relative to. */
  root: string;
  /** The entries, in file order. */
  entries: MemoryEntry[];
}

/** One imported row as an entry: caption (or text), id (else `fallbackId`), image path checked against `root`, domain, meta; errors name `where`. */
export function finish(raw: Record<string, unknown>, where: string, fallbackId: string, root: string): MemoryEntry {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`${where}: expected a JSON object with a "caption" field, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  const caption = (raw.caption ?? raw.text) as string;
  const e: MemoryEntry = { id: raw.id === undefined || raw.id === '' ? fallbackId : String(raw.id), caption };
  if (raw.image !== undefined && raw.image !== '') {
    if (typeof raw.image !== 'string') throw new Error(`${where}: field "image" must be a string`);
    e.image = safeRelativePath(root, raw.image, `${where} (id ${JSON.stringify(e.id)})`);
  }
  if (raw.domain !== undefined && raw.domain !== '') e.domain = raw.domain as string;
  if (raw.meta !== undefined) e.meta = raw.meta as Record<string, unknown>;
  validateEntry(e, where);
  return e;
}

/** Reads a JSONL file of entries (one JSON object per line). */
export function importJsonl(file: string): ImportResult {
  const root = path.dirname(path.resolve(file));
  const entries: MemoryEntry[] = [];
  // Line by line: files of any size, strict UTF-8 (errors name the file and line).
  forEachLine(file, (line, n) => {
    if (line.trim() === '') return;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${n}: invalid JSON (${(err as Error).message})`);
    }
    entries.push(finish(raw, `${file}:${n}`, `${path.basename(file)}:${n}`, root));
  });
  if (entries.length === 0) throw new Error(`${file}: no entries (the file is empty)`);
  return { root, entries };
}

/** Reads a CSV file with a header row that has a `caption` (or `text`) column. */
export function importCsv(file: string): ImportResult {
  const root = path.dirname(path.resolve(file));
  const { rows, lines } = parseCsv(readUtf8(file), file);
  if (rows.length === 0) throw new Error(`${file}: empty CSV`);
  if (rows.length === 1) throw new Error(`${file}: no entries (only a header row)`);
  const header = rows[0].map((h) => h.trim());
  if (!header.includes('caption') && !header.includes('text')) throw new Error(`${file}: the header needs a "caption" column (found ${header.join(', ')})`);
  const known = new Set(['id', 'caption', 'text', 'image', 'domain']);
  return {
    root,
    entries: rows.slice(1).map((r, i) => {
      const where = `${file}:${lines[i + 1]}`;
      if (r.length !== header.length) throw new Error(`${where}: ${r.length} fields, the header has ${header.length}`);
      const raw: Record<string, unknown> = {};
      const meta: Record<string, string> = {};
      header.forEach((h, j) => (known.has(h) ? (raw[h] = r[j]) : (meta[h] = r[j])));
      if (Object.keys(meta).length) raw.meta = meta;
      return finish(raw, where, `${path.basename(file)}:${i + 2}`, root);
    }),
  };
}
