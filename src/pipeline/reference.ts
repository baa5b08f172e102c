/**
 * From the memory to a batch the distillation methods can use: retrieve the reference set for
 * the next task (Dynamic Siphon or uniform; cached on disk by content hash), then load and
 * preprocess its images into one {@link ReferenceBatch} of matched caption–image pairs.
 */
import * as path from 'node:path';
import type { ClassificationDataset, ImagePreprocess } from '../data/types';
import { decodeImage, preprocessImage } from '../data/image';
import { prepareImage } from '../data/prepare';
import type { DualEncoderLike } from '../model/types';
import type { ReferenceBatch } from '../methods/reference';
import { modelTextEmbedder } from '../memory/embedders/model';
import { modelEmbedderId } from '../model/identity';
import type { Embedder, MemoryEntry } from '../memory/types';
import { modelVisualScorer } from '../memory/retrieval/visual';
import { buildReferenceSet, referenceMemory, type AnyMemory, type MemoryRetrievalOptions, type ReferenceMemory } from '../memory/reference-set';
import type { EarlierTask, Question } from '../memory/pool';
import type { Bag, SiphonOptions } from '../memory/siphon';
import { silentProgress, type ProgressSink } from '../util/progress';
import { contentHash } from '../util/fs';

/** How the reference set is chosen: the Dynamic Siphon (PRIMED_dyn) or uniform keywords (PRIMED_uni, ZSCL). */
export type ReferenceStrategy = 'siphon' | 'uniform';

/** Everything retrieval needs that does not change from task to task. */
export interface ReferenceContext {
  /** The memory: in-RAM (`openMemory`) or on-disk (`openLanceMemory`; `openAnyMemory` opens either). */
  memory: AnyMemory;
  /**
   * The initial (pretrained) model: its text tower embeds the queries (it must be the model
   * that embedded the memory) and its two towers give the visual rerank score S_v.
   */
  initialModel: DualEncoderLike;
  /**
   * Embeds the queries; default the initial model's text tower (id `model:<preset>@<weights>`,
   * which must equal the memory's embedder id). Give the memory's own embedder for a memory built
   * with another one: `endpointEmbedder({ url, model, dim })` for a memory embedded by an
   * embeddings server (e.g. Qwen3-Embedding, as in the paper). Its id and dimension must equal
   * the memory's (`Memory.checkEmbedder`).
   */
  queryEmbedder?: Embedder;
  /** The base question pool M⁰. */
  pool: Question[];
  /** Where reference sets are cached (`<cacheDir>/<key>.json`). */
  cacheDir: string;
  /** Siphon or uniform. */
  strategy: ReferenceStrategy;
  /** Siphon counts. */
  siphon: SiphonOptions;
  /** Uniform set size. */
  uniformTotal: number;
  /** Retrieval stage switches (the paper's BM25 / embedding / hierarchical ablation). */
  retrieval?: MemoryRetrievalOptions;
  /** Pixel preprocessing of the student (same as the initial model's). */
  preprocess: ImagePreprocess;
  /** Seed of the general-bag sample. */
  seed: number;
  /** Progress of the retrieval queries. */
  progress?: ProgressSink;
}

/** A reference set ready for training, and where it came from. */
export interface PreparedReference {
  /** Matched pairs, preprocessed (only entries that have an image). */
  batch: ReferenceBatch;
  /** The cache key (recorded with the run). */
  key: string;
  /** Whether the set came from the cache. */
  cacheHit: boolean;
  /** Items per bag (task / domain / general / uniform). */
  bags: Partial<Record<Bag, number>>;
  /** Memory rows in the batch, in order. */
  rows: number[];
}

/** The siphon's view of the tasks learned so far. */
export function earlierTasksOf(tasks: ClassificationDataset[]): EarlierTask[] {
  return tasks.map((t) => ({ name: t.name, domain: t.domain, classNames: t.classNames, template: t.templates[0]?.replace(/\.$/, '') }));
}

/** The id of the initial model's visual scorer: its weights and the pixel preprocessing of the images it scores. */
export function visualScorerId(modelId: string, preprocess: ImagePreprocess): string {
  return `visual:${modelId}:${contentHash(preprocess).slice(0, 12)}`;
}

/** Preprocessed pixels of the images of `rows` (undefined for a text-only entry), read from the memory in one batch; `known` = their entries when the caller has them already. */
async function loadPixels(memory: ReferenceMemory, rows: number[], preprocess: ImagePreprocess, known?: MemoryEntry[]): Promise<(Float32Array | undefined)[]> {
  const [entries, images] = await Promise.all([known ?? memory.entries(rows), memory.readImages(rows)]);
  return images.map((bytes, i) => {
    if (!bytes) return undefined;
    // As task images: short side resized (antialiased bicubic) and the centre square cut, as open_clip.
    const img = prepareImage(decodeImage(bytes, `memory entry ${entries[i].id}`), { size: preprocess.size, channels: preprocess.channels });
    return preprocessImage(img, preprocess);
  });
}

/**
 * Retrieves (or reads from the cache) the reference set for the task after `earlier`, and
 * returns its image–caption pairs as one preprocessed batch. Text-only entries are dropped: CKT
 * and CMC need matched pairs.
 */
export async function prepareReference(ctx: ReferenceContext, earlier: ClassificationDataset[]): Promise<PreparedReference> {
  const { initialModel, preprocess } = ctx;
  const memory = referenceMemory(ctx.memory);
  const initialId = modelEmbedderId(initialModel);
  // The queries must be embedded in the memory's space: an id that differs from the memory's is refused.
  const embedder = ctx.queryEmbedder ?? modelTextEmbedder(initialModel, { id: initialId });
  try {
    memory.checkEmbedder(embedder);
  } catch (err) {
    if (ctx.queryEmbedder) throw err;
    throw new Error(
      `${(err as Error).message}. The queries were to be embedded by the initial model's text tower (${embedder.id}), ` +
        `which did not embed this memory: pass the memory's own embedder as the queryEmbedder option ` +
        `(for a memory built by an embeddings server, endpointEmbedder({ url, model, dim }); CLI: --embedder)`,
    );
  }
  const px = preprocess.size * preprocess.size * preprocess.channels;
  const scorer = modelVisualScorer(initialModel, async (rows) => {
    const withImage: number[] = [];
    const chunks: Float32Array[] = [];
    const loaded = await loadPixels(memory, rows, preprocess);
    rows.forEach((r, i) => {
      const p = loaded[i];
      if (p) {
        withImage.push(r);
        chunks.push(p);
      }
    });
    const pixels = new Float32Array(withImage.length * px);
    chunks.forEach((c, i) => pixels.set(c, i * px));
    return { rows: withImage, pixels };
  }, visualScorerId(initialId, preprocess));
  const set = await buildReferenceSet(
    memory,
    embedder,
    ctx.pool,
    earlierTasksOf(earlier),
    {
      strategy: ctx.strategy,
      siphon: ctx.siphon,
      uniformTotal: ctx.uniformTotal,
      retrieval: ctx.retrieval,
      cacheDir: ctx.cacheDir,
      seed: ctx.seed,
      progress: ctx.progress ?? silentProgress,
    },
    scorer,
  );
  const rows: number[] = [];
  const captions: string[] = [];
  const chunks: Float32Array[] = [];
  const bags: Partial<Record<Bag, number>> = {};
  const seen = new Set<number>();
  const items = set.items.filter((item) => !seen.has(item.row) && !!seen.add(item.row));
  const itemRows = items.map((item) => item.row);
  const entries = await memory.entries(itemRows);
  const pixels = await loadPixels(memory, itemRows, preprocess, entries);
  items.forEach((item, i) => {
    const p = pixels[i];
    if (!p) return;
    rows.push(item.row);
    captions.push(entries[i].caption);
    chunks.push(p);
    bags[item.bag] = (bags[item.bag] ?? 0) + 1;
  });
  // One pair is a valid (if useless) set: CKT and CMC over a 1×1 matrix are 0, so the task trains on
  // its own loss alone. None at all is an error: there is nothing to distil on.
  if (rows.length === 0) {
    throw new Error(
      `reference set ${set.key} holds no image–caption pair after dropping text-only entries ` +
        `(memory ${path.basename(memory.dir)} has no images for these queries); raise the siphon counts or add images to the memory`,
    );
  }
  const images = new Float32Array(rows.length * px);
  chunks.forEach((c, i) => images.set(c, i * px));
  return {
    batch: { captions, images, shape: [rows.length, preprocess.size, preprocess.size, preprocess.channels] },
    key: set.key,
    cacheHit: set.cacheHit,
    bags,
    rows,
  };
}
