/**
 * The dynamic memory: store and persistence, vector indexes, embedders, importers, the
 * multi-stage retrieval, question pool, Dynamic Siphon, uniform variant and reference-set cache.
 */
export type { MemoryEntry, Embedder, SearchHits, IndexKind, VectorIndex } from './types';
export { openMemory, openAnyMemory, checkSameEmbedder, locateImage, readImageAt, Memory, type OpenMemoryOptions, type ImageLocation } from './store';
export { buildMemory, addEntries, type MemoryInput, type BuildMemoryOptions, type WriteMemoryOptions } from './build';
export { MEMORY_FILES, readManifest, type MemoryManifest, type EmbedderIdentity } from './manifest';
export { ExactIndex } from './vector/exact';
export { HnswIndex, HNSW_DEFAULTS, type HnswOptions } from './vector/hnsw';
export { chooseIndexKind, createIndex, openIndex, AUTO_THRESHOLD, type IndexChoice, type IndexOptions } from './vector/open';
export { modelTextEmbedder, type ModelEmbedderOptions } from './embedders/model';
export { endpointEmbedder, probeEndpointEmbedder, DEFAULT_API_KEY_ENV, type EndpointEmbedderOptions } from './embedders/endpoint';
export { precomputedEmbedder, isPrecomputed, type PrecomputedEmbedder, type PrecomputedOptions } from './embedders/precomputed';
export { embedderFromSpec, queryEmbedderFor, EMBEDDER_SPEC_HELP, type EmbedderSpecOptions } from './embedders/spec';
export { importEntries, type ImportResult } from './importers';
export { listTar, readTarMember, writeTar, type TarMember } from './importers/tar';
export { Bm25, bm25Tokens, type Bm25Options } from './bm25';
export { tieRobustThreshold, applyTieRobustThreshold, denseStage, denseStageExact, type DenseOptions } from './retrieval/dense';
export { exactSearchChunked, matrixChunkSource, type VectorChunkSource, type VectorChunk, type ChunkedExactOptions } from './vector/chunked-exact';
export { UsearchIndex, USEARCH_DEFAULTS, type UsearchOptions } from './vector/usearch';
export { buildLanceMemory, addToLanceMemory, openLanceMemory, isLanceMemory, LanceMemory, LANCE_FORMAT, type LanceManifest, type LanceBuildOptions, type LanceBuildReport, type LanceIndexOptions, type LanceSearchOptions, type Bm25Hit, type ImageRow } from './lance/store';
export { retrieveFromLance, retrieveBatchFromLance, type LanceRetrievalOptions } from './lance/retrieve';
export { streamEntries, type EntryStream } from './importers/stream';
export { fitPowerLaw, projectAt, projectEngine, type ScaleSample, type PowerFit, type EngineProjection, type ScaleResultFile } from './scale-projection';
export { visualRerank, storedImageScorer, modelVisualScorer, type VisualScorer } from './retrieval/visual';
export { dedupByCaption } from './retrieval/dedup';
export { bm25Gate } from './retrieval/bm25-gate';
export { retrieve, type RetrievalOptions, type RetrievalMode, type RetrievalSource } from './retrieval/pipeline';
export type { Candidate } from './retrieval/candidate';
export { readQuestionPool, writeQuestionPool, growPool, taskQuestions, assignDomains, zeroShotDomainClassifier, type Question, type EarlierTask, type DomainClassifier } from './pool';
export { dynamicSiphon, siphonBags, SIPHON_DEFAULTS, type SiphonOptions, type ReferenceSet, type ReferenceItem, type Bag, type BatchRetriever } from './siphon';
export { uniformReferenceSet, UNIFORM_KEYWORDS } from './uniform';
export { cachedReferenceSet, referenceSetKey, type CachedReferenceSet, type ReferenceKeyParts } from './reference-cache';
export { buildReferenceSet, memoryRetriever, referenceMemory, isOnDiskMemory, checkMemoryRetrieval, type ReferenceSetOptions, type AnyMemory, type ReferenceMemory, type MemoryRetrievalOptions } from './reference-set';
export { miniQuestionPool, buildMiniMemory, MINI_POOL_FINDINGS, type MiniCorpusEntryLike, type MiniMemoryOptions } from './mini';
