/**
 * Reference sets stored on disk, keyed by a content hash of everything that determines them:
 * memory identity and version, question pool, earlier task labels, retrieval and siphon
 * options, the visual scorer's identity, seed. A second build with the same inputs is a hit; any changed input is a miss.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contentHash, readJson, writeJsonAtomic } from '../util/fs';
import type { ReferenceSet } from './siphon';

/** Everything a reference set depends on. */
export interface ReferenceKeyParts {
  /**
   * Memory identity: for an in-RAM memory its version, entries hash and embedder id; for an
   * on-disk memory what its `cacheIdentity` gives (engine, manifest, dense search mode).
   */
  memory: Record<string, unknown> | {
    /** The manifest's `version`, incremented on every build or add, so a changed memory never reuses an old reference set. */
    version: number;
    /** The manifest's SHA-256 of `entries.jsonl` (hex), tying the key to the entries' content and not only the version number. */
    entriesSha256: string;
    /** The text embedder's id (e.g. `model:mini@<hash>`): the same entries embedded differently retrieve differently. */
    embedder: string;
  };
  /** The question pool (texts and domains). */
  pool: unknown;
  /** Earlier tasks' labels (and domains). */
  earlierTasks: unknown;
  /** Retrieval, siphon and uniform options. */
  options: unknown;
  /** The visual rerank scorer's id (`VisualScorer.id`): another backbone reranks differently. Null without a scorer. */
  visualScorer: string | null;
  /** The seed. */
  seed: number;
}

/** A reference set with its cache key and whether it came from the cache. */
export interface CachedReferenceSet extends ReferenceSet {
  /** The cache key (record it with the run). */
  key: string;
  /** True when read from the cache. */
  cacheHit: boolean;
}

/** The key of a reference set. */
export function referenceSetKey(parts: ReferenceKeyParts): string {
  // Format 2: the dense stage retrieves among rows with images when text-only rows are dropped.
  // Format 3: the visual scorer's identity is part of the key.
  return contentHash({ format: 'primed-refset/3', ...parts });
}

/** Returns the cached reference set for `parts` from `cacheDir`, or builds, stores and returns it. */
export async function cachedReferenceSet(cacheDir: string, parts: ReferenceKeyParts, build: () => Promise<ReferenceSet>): Promise<CachedReferenceSet> {
  const key = referenceSetKey(parts);
  const file = path.join(cacheDir, `refset-${key}.json`);
  if (fs.existsSync(file)) {
    const stored = readJson<ReferenceSet & { key: string }>(file);
    if (stored.key !== key || !Array.isArray(stored.items)) throw new Error(`${file}: not the reference set of key ${key}`);
    return { items: stored.items, bags: stored.bags, key, cacheHit: true };
  }
  const set = await build();
  writeJsonAtomic(file, { key, parts, items: set.items, bags: set.bags });
  return { ...set, key, cacheHit: false };
}
