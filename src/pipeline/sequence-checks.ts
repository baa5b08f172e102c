/**
 * Retrieval that explains itself, for runs on the user's own tasks: a task domain the question
 * pool does not know is refused or added explicitly, a memory holding the sequence's own images
 * is reported before the run, each reference set's makeup is written beside the run, and a run
 * folder recorded against other data is refused naming the task.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SplitDataset } from '../data/dataset';
import { FileSplit } from '../data/file-split';
import type { ClassificationDataset } from '../data/types';
import { normalizeDomain, type Question } from '../memory/pool';
import type { Memory } from '../memory/store';
import { isOnDiskMemory, type AnyMemory } from '../memory/reference-set';
import type { LanceMemory } from '../memory/lance/store';
import type { PreparedReference } from './reference';

/** What {@link checkPoolDomains} returns. */
export interface PoolDomains {
  /** The pool to use (the given one, grown when domains were added). */
  pool: Question[];
  /** Domains added (as the tasks spell them). */
  added: string[];
}

/**
 * Checks that every trained task's domain is one of the pool's question domains (the siphon's
 * domain bag takes the pool questions of the earlier tasks' domains, so an unknown domain gets
 * none). Throws naming the task and the pool's domains, unless `addDomains`: then the pool grows
 * by one question per class and extra template (`"<template with class>"`, or `"<domain> showing
 * <class>"` for a task with one template) in the task's domain.
 */
export function checkPoolDomains(pool: Question[], tasks: ClassificationDataset[], options: { addDomains: boolean }): PoolDomains {
  const known = new Set(pool.filter((q) => q.domain).map((q) => normalizeDomain(q.domain!)));
  const missing = new Map<string, ClassificationDataset[]>();
  for (const t of tasks) {
    const d = normalizeDomain(t.domain);
    if (known.has(d)) continue;
    missing.set(d, [...(missing.get(d) ?? []), t]);
  }
  if (!missing.size) return { pool, added: [] };
  if (!options.addDomains) {
    const first = [...missing.values()][0][0];
    const domains = [...new Set(pool.filter((q) => q.domain).map((q) => q.domain!))].sort();
    throw new Error(
      `task '${first.name}' has domain '${first.domain}', which no question of the question pool has, so the siphon's domain bag would find nothing for it. ` +
        `Use one of the pool's domains (${domains.join(', ')}) as the task's domain, or add it: option addDomains: true (CLI --add-domains) grows the pool with questions made from the task's class names.`,
    );
  }
  const extra: Question[] = [];
  for (const ts of missing.values()) {
    for (const t of ts) {
      const templates = t.templates.slice(1);
      for (const c of t.classNames) {
        const texts = templates.length ? templates.map((tpl) => tpl.replace('{}', c).replace(/\.$/, '')) : [`${t.domain} showing ${c}`];
        for (const text of texts) extra.push({ text, domain: t.domain, source: 'pool' });
      }
    }
  }
  return { pool: [...pool, ...extra], added: [...missing.values()].map((ts) => ts[0].domain) };
}

/** Images of one task found in a memory. */
export interface TaskImagesInMemory {
  /** Task name. */
  task: string;
  /** Memory rows holding one of its images. */
  rows: number[];
  /** Up to three memory entry ids, for the message. */
  examples: string[];
}

/** Memories with more image entries than this are matched by path only (no content hashing). */
export const MEMORY_HASH_LIMIT = 50_000;

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Finds memory entries whose image is one of the tasks' image files: the same path, or (for
 * memories of at most {@link MEMORY_HASH_LIMIT} image entries) a file of the same size and
 * content. Images inside tar shards are not checked.
 */
export function findTaskImagesInMemory(memory: Memory, tasks: SplitDataset[]): TaskImagesInMemory[] {
  const { byPath, bySize } = taskImageFiles(tasks);
  if (!byPath.size) return [];
  const found = new Map<string, TaskImagesInMemory>();
  const hit = (task: string, row: number) => addHit(found, task, row, memory.entry(row).id);
  const locations: { row: number; file: string }[] = [];
  for (let row = 0; row < memory.size; row++) {
    const loc = memory.imageLocation(row);
    if (loc && !loc.member) locations.push({ row, file: path.resolve(loc.file) });
  }
  const hashes = new Map<string, string>();
  const hashOf = (f: string) => hashes.get(f) ?? (hashes.set(f, sha256File(f)), hashes.get(f)!);
  for (const { row, file } of locations) {
    const task = byPath.get(file);
    if (task) {
      hit(task, row);
      continue;
    }
    if (locations.length > MEMORY_HASH_LIMIT || !fs.existsSync(file)) continue;
    const same = bySize.get(fs.statSync(file).size);
    const match = same?.find((c) => hashOf(c.file) === hashOf(file));
    if (match) hit(match.task, row);
  }
  return [...found.values()];
}

/** The image files of the tasks' file splits: task by absolute path, and files by size. */
function taskImageFiles(tasks: SplitDataset[]): { byPath: Map<string, string>; bySize: Map<number, { file: string; task: string }[]> } {
  const byPath = new Map<string, string>();
  const bySize = new Map<number, { file: string; task: string }[]>();
  for (const t of tasks) {
    for (const s of t.splitNames()) {
      const split = t.split(s);
      if (!(split instanceof FileSplit)) continue;
      for (const f of split.files()) {
        byPath.set(path.resolve(f.path), t.name);
        const size = fs.statSync(f.path).size;
        bySize.set(size, [...(bySize.get(size) ?? []), { file: f.path, task: t.name }]);
      }
    }
  }
  return { byPath, bySize };
}

function addHit(found: Map<string, TaskImagesInMemory>, task: string, row: number, id: string): void {
  const r = found.get(task) ?? { task, rows: [], examples: [] };
  r.rows.push(row);
  if (r.examples.length < 3) r.examples.push(id);
  found.set(task, r);
}

/**
 * {@link findTaskImagesInMemory} for a memory of either engine. An on-disk (LanceDB) memory is
 * matched by path only: each task file under a source's root is looked up by LanceDB's filter on
 * the `image` column (no scan of the table in JS, no content hashing, at any size).
 */
export async function findTaskImagesInAnyMemory(memory: AnyMemory, tasks: SplitDataset[]): Promise<TaskImagesInMemory[]> {
  return isOnDiskMemory(memory) ? findTaskImagesInLance(memory, tasks) : findTaskImagesInMemory(memory, tasks);
}

async function findTaskImagesInLance(memory: LanceMemory, tasks: SplitDataset[]): Promise<TaskImagesInMemory[]> {
  const { byPath } = taskImageFiles(tasks);
  const found = new Map<string, TaskImagesInMemory>();
  for (const [source, src] of memory.manifest.sources.entries()) {
    const under = new Map<string, string>(); // image path relative to the source root → task
    for (const [file, task] of byPath) {
      const rel = path.relative(src.root, file);
      if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) under.set(rel.split(path.sep).join('/'), task);
    }
    if (!under.size) continue;
    const hits = await memory.rowsWithImages(source, [...under.keys()]);
    for (const h of hits.sort((a, b) => a.row - b.row)) addHit(found, under.get(h.image)!, h.row, h.id);
  }
  return [...found.values()];
}

/** What `references/task-<t>-<name>.json` holds: where a task's reference set came from. */
export interface ReferenceMakeup {
  /** The task trained with it. */
  task: string;
  /** The earlier tasks whose labels and domains drove the siphon. */
  earlierTasks: string[];
  /** Reference-set cache key. */
  key: string;
  /** Whether it was read from the cache. */
  cacheHit: boolean;
  /** Image–caption pairs in the set. */
  size: number;
  /** Pairs per bag (task / domain / general / uniform). */
  bags: PreparedReference['bags'];
  /** Pairs per memory entry domain. */
  domains: Record<string, number>;
  /** Pairs per memory source (entry `meta.source`, else `unknown`). */
  sources: Record<string, number>;
  /** The memory it was retrieved from. */
  memory: {
    /** Memory folder. */
    dir: string;
    /** Its text embedder id. */
    embedder: string;
    /** Entries it held. */
    entries: number;
  };
}

/** The makeup of a prepared reference set: bags, domains and sources of its pairs (a memory of either engine). */
export async function referenceMakeup(memory: AnyMemory, ref: PreparedReference, task: string, earlierTasks: string[]): Promise<ReferenceMakeup> {
  const domains: Record<string, number> = {};
  const sources: Record<string, number> = {};
  const entries = isOnDiskMemory(memory) ? await memory.entries(ref.rows) : ref.rows.map((r) => memory.entry(r));
  for (const e of entries) {
    const d = e.domain ?? 'unknown';
    const src = typeof e.meta?.source === 'string' ? (e.meta.source as string) : 'unknown';
    domains[d] = (domains[d] ?? 0) + 1;
    sources[src] = (sources[src] ?? 0) + 1;
  }
  return {
    task,
    earlierTasks,
    key: ref.key,
    cacheHit: ref.cacheHit,
    size: ref.rows.length,
    bags: ref.bags,
    domains,
    sources,
    memory: { dir: memory.dir, embedder: memory.manifest.embedder.id, entries: memory.size },
  };
}

/**
 * Refuses to resume or read back the run in `runDir` when the data of one of its tasks changed
 * since it was recorded (`config.data` of its `result.json`), naming the task. Returns whether the
 * run records fingerprints (true for a new run; false for a run recorded before they existed,
 * which is then left unchecked so that it can still resume).
 */
export function refuseChangedData(runDir: string, fingerprints: Record<string, string | null>): boolean {
  const file = path.join(runDir, 'result.json');
  if (!fs.existsSync(file)) return true;
  let stored: { config?: { data?: Record<string, string | null> } };
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return true; // the protocol reports an unreadable result.json itself
  }
  const data = stored.config?.data;
  if (!data) return false;
  for (const [task, now] of Object.entries(fingerprints)) {
    if (task in data && data[task] !== now) {
      throw new Error(
        `${file}: the data of task '${task}' changed since this run was recorded (fingerprint ${data[task]}, now ${now}: images added, removed, relabelled or modified); ` +
          `refusing to resume or read it back. Use a new run folder (--out) or start over (--fresh)`,
      );
    }
  }
  return true;
}
