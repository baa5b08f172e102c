/**
 * The memory's contracts: entries, text embedders and vector indexes. Each implementation
 * lives in its own file beside this one (`embedders/`, `vector/`).
 */

/** One image–caption entry of the retrieval memory (primed-decisions.md §4). */
export interface MemoryEntry {
  /** Unique id within the memory. */
  id: string;
  /** The caption (what dense retrieval and BM25 read). */
  caption: string;
  /**
   * Where the image is: a path relative to the memory's image root, a `tar://<shard>#<member>`
   * reference into a WebDataset shard (shard path relative to the image root), or absent for a
   * text-only entry.
   */
  image?: string;
  /** Domain / modality, e.g. `chest X-ray`. */
  domain?: string;
  /** Free-form metadata (source, label, tar offsets ...). */
  meta?: Record<string, unknown>;
}

/**
 * Turns texts into L2-normalised vectors. Every vector of one memory comes from one embedder,
 * identified by `id` (recorded in the manifest); mixing embedders is refused.
 */
export interface Embedder {
  /** Stable identity, e.g. `model:mini@<hash>`, `endpoint:http://host/v1#Qwen3-Embedding-8B`. Never holds secrets. */
  readonly id: string;
  /**
   * How to make this embedder again, as a CLI spec (`model:<absolute checkpoint dir>`), when it
   * can be made from a path; recorded in the memory manifest so that `add` and `query` need no
   * `--embedder`. Never holds secrets.
   */
  readonly spec?: string;
  /** Output dimension. */
  readonly dim: number;
  /** The model's full dimension when its vectors are Matryoshka-truncated to `dim` (and renormalised). */
  readonly matryoshkaFrom?: number;
  /** L2-normalised embeddings, one per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Nearest neighbours of one query, best first. */
export interface SearchHits {
  /** Row numbers of the hits (row = position in the memory's entry table). */
  rows: Int32Array;
  /** Cosine similarity of each hit. */
  scores: Float32Array;
}

/** Which vector index a memory uses. */
export type IndexKind = 'exact' | 'hnsw' | 'usearch';

/**
 * A vector index over L2-normalised vectors, scored by cosine similarity. Rows are added in
 * order (row i = the i-th vector ever added).
 *
 * A server-backed engine (Qdrant, Milvus, pgvector ...) fits the same shape: `add` upserts
 * with the row as point id, `search` calls the engine's k-NN endpoint, `save` writes only a
 * small JSON descriptor (URL, collection, count) into the memory folder and its opener reads
 * that descriptor back; register it in `vector/open.ts` under a new {@link IndexKind}.
 */
export interface VectorIndex {
  /** The kind, recorded in the manifest. */
  readonly kind: IndexKind;
  /** Vector dimension. */
  readonly dim: number;
  /** Number of vectors. */
  size(): number;
  /** Appends vectors (row-major, `dim` floats each); their rows continue from `size()`. */
  add(vectors: Float32Array): void;
  /**
   * The `k` nearest rows to `query` (fewer when the index holds fewer). With `filter`, only rows
   * for which it returns true are considered (fewer than `k` when fewer pass).
   */
  search(query: Float32Array, k: number, filter?: (row: number) => boolean): SearchHits;
  /**
   * Cosine score of every row, when the index can give them cheaply (exact search). The dense
   * stage then sees every tie; indexes without it are over-fetched instead.
   */
  scoreAll?(query: Float32Array): Float32Array;
  /**
   * For an index whose stored vectors are approximate (usearch's f16 graph): rescore its hits from
   * these float32 vectors (row-major, one row per index row), so they score as exact search does.
   */
  rescoreFrom?(vectors: Float32Array): void;
  /** Writes the index into folder `dir` (which is a temp folder about to be swapped in). */
  save(dir: string): void;
}
