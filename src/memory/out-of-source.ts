/**
 * The out-of-source mini corpus: a memory whose images come from datasets OTHER than the
 * mini-MGTIL tasks (issue 17), to measure how much of PRIMED's gain needs the tasks' own images.
 * Its image–caption pairs are `data/out-of-source/` (BCCD peripheral blood smears, MIT; adult
 * COVID-19 / no-finding chest radiographs, CC BY 3.0; 28×28, made by
 * `scripts/make_out_of_source.py`, captions templated from the sources' labels); the ROCO
 * captions join as text-only entries, as in the in-source mini corpus. Only two of the five task
 * domains (chest X-ray, blood cell microscopy) have images here; ultrasound, fundus and
 * pathology have none.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundledDataDir } from '../data/bundled';
import { decodeImage } from '../data/image';
import { buildMiniCorpus } from '../data/mini-corpus';
import type { MiniCorpusEntryLike } from './mini';

/** Which mini memory a benchmark run retrieves from: the tasks' own validation images (`in-source`, the default) or images of other datasets (`out-of-source`). */
export type MemorySource = 'in-source' | 'out-of-source';

/** The memory sources {@link MemorySource} allows. */
export const MEMORY_SOURCES: readonly MemorySource[] = ['in-source', 'out-of-source'];

/** Returns a problem with a memory-source value, or undefined; `option` names it in the message. */
export function checkMemorySource(v: unknown, option = 'memorySource'): string | undefined {
  if (typeof v === 'string' && (MEMORY_SOURCES as readonly string[]).includes(v)) return undefined;
  return `${option} must be ${MEMORY_SOURCES.join(' or ')} (a memory folder of your own is given as --memory DIR / the memory option), got ${JSON.stringify(v)}`;
}

/**
 * The out-of-source corpus: every row of `<root>/out-of-source/captions.jsonl` with its image
 * (decoded to RGB), then the ROCO captions as text-only entries. `root` defaults to the bundled
 * data folder. A missing or malformed row is an error naming the file and line.
 */
export function outOfSourceCorpus(root: string = bundledDataDir()): MiniCorpusEntryLike[] {
  const dir = path.join(root, 'out-of-source');
  const file = path.join(dir, 'captions.jsonl');
  if (!fs.existsSync(file)) throw new Error(`${file}: missing; rebuild it with \`/usr/bin/python3 scripts/make_out_of_source.py\``);
  const entries: MiniCorpusEntryLike[] = [];
  fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let r: { id?: string; image?: string; caption?: string; domain?: string; source?: string };
    try {
      r = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file} line ${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    if (!r.id || !r.image || !r.caption || !r.domain) throw new Error(`${file} line ${i + 1}: needs id, image, caption and domain`);
    const imageFile = path.join(dir, r.image);
    if (path.relative(dir, imageFile).startsWith('..')) throw new Error(`${file} line ${i + 1}: image ${r.image} is outside ${dir}`);
    const image = decodeImage(fs.readFileSync(imageFile), imageFile);
    entries.push({ id: `out-of-source/${r.id}`, caption: r.caption, image, domain: r.domain, source: r.id.split('/')[0] });
  });
  const roco = buildMiniCorpus({ seed: 0, root }).filter((e) => e.source === 'roco');
  return [...entries, ...roco.map((e) => ({ id: e.id, caption: e.caption, domain: e.domain, source: e.source }))];
}
