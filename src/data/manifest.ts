/**
 * Manifest datasets: a CSV (header row) or JSONL file listing `path, label[, split][, patient]`.
 * Paths are relative to the manifest's folder (the dataset root) and may not escape it; the
 * label column is configurable by name or by 0-based index; labels are class names (or aliases)
 * or integer class indices.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCsv } from './csv';
import { IMAGE_EXTENSIONS } from './image';
import type { SplitName } from './types';

/** Options of {@link readManifest}. */
export interface ManifestOptions {
  /** Column with the image path, by name or 0-based index. Default `path`. */
  pathColumn?: string | number;
  /** Column with the label, by name or 0-based index. Default `label`. */
  labelColumn?: string | number;
  /** Optional column with `train`/`val`/`test`. Default `split` (used when present). */
  splitColumn?: string;
  /** Optional column grouping items (patients) for splitting. Default `patient` (used when present). */
  groupColumn?: string;
  /** Class names in label order. Default: the sorted distinct label values. */
  classNames?: string[];
  /** Extra spellings accepted for a class (lower-cased key to class index), e.g. native codes. */
  aliases?: Record<string, number>;
  /** Check that every image exists (one stat per row). Default true. */
  checkFiles?: boolean;
}

/** One manifest row. */
export interface ManifestItem {
  /** Absolute image path. */
  path: string;
  /** Path as written, relative to the dataset root (its provenance id). */
  relPath: string;
  /** Class index. */
  label: number;
  /** Split, when the manifest has a split column. */
  split?: SplitName;
  /** Group (patient) id, when the manifest has a group column. */
  group?: string;
  /** Line in the manifest (1-based). */
  line: number;
}

/** A parsed manifest. */
export interface Manifest {
  /** Class names in label order. */
  classNames: string[];
  /** Rows. */
  items: ManifestItem[];
}

const SPLIT_ALIASES: Record<string, SplitName> = { train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test', testing: 'test' };

/** Reads the table of a CSV or JSONL manifest as header + string rows. */
function readTable(file: string): { header: string[]; rows: string[][]; lines: number[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read manifest (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (file.endsWith('.jsonl') || file.endsWith('.ndjson')) {
    const header: string[] = [];
    const objs: { obj: Record<string, unknown>; line: number }[] = [];
    text.split(/\r?\n/).forEach((l, i) => {
      if (!l.trim()) return;
      let obj: unknown;
      try {
        obj = JSON.parse(l);
      } catch (err) {
        throw new Error(`${file} line ${i + 1}: invalid JSON (${(err as Error).message})`);
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${file} line ${i + 1}: expected a JSON object`);
      for (const k of Object.keys(obj)) if (!header.includes(k)) header.push(k);
      objs.push({ obj: obj as Record<string, unknown>, line: i + 1 });
    });
    return {
      header,
      rows: objs.map(({ obj }) => header.map((k) => (obj[k] === undefined || obj[k] === null ? '' : String(obj[k])))),
      lines: objs.map((o) => o.line),
    };
  }
  const { rows, lines } = parseCsv(text, file);
  if (!rows.length) throw new Error(`${file}: empty manifest (expected a header row such as path,label)`);
  return { header: rows[0].map((h) => h.trim()), rows: rows.slice(1), lines: lines.slice(1) };
}

function columnIndex(header: string[], col: string | number, option: string, file: string): number {
  if (typeof col === 'number') {
    if (!Number.isInteger(col) || col < 0 || col >= header.length) {
      throw new Error(`${file}: ${option} ${col} is out of range (the manifest has ${header.length} columns: ${header.join(', ')})`);
    }
    return col;
  }
  const i = header.indexOf(col);
  if (i < 0) throw new Error(`${file}: ${option} '${col}' not found (columns: ${header.join(', ')})`);
  return i;
}

/**
 * Parses a manifest. Errors name the file, the line and the field: an unknown column, a label
 * that is no class, a path escaping the root, a missing image, an unsupported image type.
 */
export function readManifest(file: string, options: ManifestOptions = {}): Manifest {
  const root = path.dirname(path.resolve(file));
  const { header, rows, lines } = readTable(file);
  const pathCol = columnIndex(header, options.pathColumn ?? 'path', 'pathColumn', file);
  const labelCol = columnIndex(header, options.labelColumn ?? 'label', 'labelColumn', file);
  const splitCol = header.indexOf(options.splitColumn ?? 'split');
  const groupCol = header.indexOf(options.groupColumn ?? 'patient');
  const rawLabels = rows.map((r) => (r[labelCol] ?? '').trim());
  const classNames = options.classNames ?? [...new Set(rawLabels)].sort();
  const lookup = new Map<string, number>();
  classNames.forEach((c, i) => lookup.set(c.toLowerCase(), i));
  for (const [k, v] of Object.entries(options.aliases ?? {})) if (!lookup.has(k.toLowerCase())) lookup.set(k.toLowerCase(), v);
  const items: ManifestItem[] = rows.map((r, k) => {
    const where = `${file} line ${lines[k]}`;
    const rel = (r[pathCol] ?? '').trim();
    if (!rel) throw new Error(`${where}: empty path`);
    const abs = path.resolve(root, rel);
    const inside = path.relative(root, abs);
    if (path.isAbsolute(rel) || inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new Error(`${where}: path '${rel}' escapes the dataset root ${root}`);
    }
    if (!IMAGE_EXTENSIONS.includes(path.extname(rel).toLowerCase())) {
      throw new Error(`${where}: '${rel}' is not a supported image (${IMAGE_EXTENSIONS.join(', ')}); convert it first`);
    }
    if (options.checkFiles !== false && !fs.existsSync(abs)) throw new Error(`${where}: image '${rel}' not found (looked for ${abs})`);
    const raw = rawLabels[k];
    let label = lookup.get(raw.toLowerCase());
    if (label === undefined && /^\d+$/.test(raw) && Number(raw) < classNames.length) label = Number(raw);
    if (label === undefined) {
      const shown = classNames.length > 12 ? classNames.slice(0, 12).join(', ') + ', ...' : classNames.join(', ');
      throw new Error(`${where}: label '${raw}' in column '${header[labelCol]}' is not one of the ${classNames.length} classes (${shown}) nor a class index`);
    }
    const item: ManifestItem = { path: abs, relPath: inside.split(path.sep).join('/'), label, line: lines[k] };
    if (splitCol >= 0) {
      const s = SPLIT_ALIASES[(r[splitCol] ?? '').trim().toLowerCase()];
      if (!s) throw new Error(`${where}: split '${r[splitCol]}' must be train, val or test`);
      item.split = s;
    }
    if (groupCol >= 0 && (r[groupCol] ?? '').trim()) item.group = r[groupCol].trim();
    return item;
  });
  return { classNames, items };
}
