/**
 * `loadMemory`: opens a memory folder (in-RAM or on-disk, as its manifest says), or the bundled
 * mini memory (built on first use with the initial model's text tower, then cached).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../backend';
import { buildMiniCorpus } from '../data/mini-corpus';
import { loadMiniModel, MINI_RECIPE } from '../foundation';
import type { DualEncoderLike } from '../model/types';
import { modelEmbedderId } from '../model/identity';
import { buildMiniMemory } from '../memory/mini';
import { checkMemorySource, outOfSourceCorpus, type MemorySource } from '../memory/out-of-source';
import { openAnyMemory, openMemory, type Memory } from '../memory/store';
import type { AnyMemory } from '../memory/reference-set';
import type { ProgressSink } from '../util/progress';
import { cacheDir } from './shared';

/** Options of {@link loadMemory}. */
export interface LoadMemoryOptions {
  /**
   * The model whose text tower embeds the mini memory when it has to be built (default: the
   * bundled mini model). Ignored when `dir` holds a memory.
   */
  model?: DualEncoderLike;
  /** Progress of a build. */
  progress?: ProgressSink;
  /**
   * Without `dir`: which mini memory, `in-source` (default: the tasks' validation images with
   * captions from their labels, plus the ROCO captions) or `out-of-source` (images of other
   * datasets, `data/out-of-source/`, plus the same ROCO captions; see `src/memory/out-of-source.ts`).
   */
  source?: MemorySource;
}

/**
 * Opens the memory in `dir`, whichever engine holds it: an in-RAM memory (`Memory`) or an on-disk
 * LanceDB memory (`LanceMemory`, built with `primed memory build --engine lance`); both go to
 * `evaluateMGTIL({ memory })` and `distill(..., { memory })`, and `isOnDiskMemory(m)` tells them
 * apart. Without `dir`, opens the mini memory of `options.source` (in RAM; built from its corpus
 * with the initial model's text tower on first use, then cached under {@link cacheDir}).
 *
 * @example
 * ```ts
 * import { initBackend, loadMemory } from 'primed';
 * await initBackend();
 * const memory = await loadMemory(); // the bundled mini memory
 * console.log(`${memory.stored.length} image–caption pairs`); // 8640 image–caption pairs
 * ```
 */
export async function loadMemory(dir?: undefined, options?: LoadMemoryOptions): Promise<Memory>;
export async function loadMemory(dir: string, options?: LoadMemoryOptions): Promise<AnyMemory>;
export async function loadMemory(dir?: string, options: LoadMemoryOptions = {}): Promise<AnyMemory> {
  const source = options.source ?? 'in-source';
  const problem = checkMemorySource(source, 'loadMemory option source');
  if (problem) throw new Error(problem);
  if (dir) {
    if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
      throw new Error(`${dir}: no memory here (no manifest.json); build one with \`npx primed memory build ${dir} --from <entries>\``);
    }
    return openAnyMemory(dir);
  }
  await initBackend();
  const owned = options.model ? undefined : await loadMiniModel();
  const model = options.model ?? owned!;
  try {
    const id = modelEmbedderId(model);
    const target = path.join(cacheDir(), 'memory', (source === 'in-source' ? '' : `${source}-`) + id.replace(/[^a-zA-Z0-9@._-]/g, '_'));
    if (fs.existsSync(path.join(target, 'manifest.json'))) return openMemory(target);
    const corpus = source === 'out-of-source' ? outOfSourceCorpus() : buildMiniCorpus({ seed: MINI_RECIPE.seed });
    return await buildMiniMemory(target, { corpus, model, embedderId: id, progress: options.progress });
  } finally {
    owned?.dispose();
  }
}
