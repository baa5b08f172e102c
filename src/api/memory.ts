/**
 * **Memory**: the store of image–caption pairs, its vector indexes, BM25, embedders, importers,
 * the multi-stage retrieval, the Dynamic Siphon, the question pool and the reference-set cache.
 *
 * @module Memory
 */
export * from '../memory';
