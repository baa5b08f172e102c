/**
 * **Experiment calls**: the four notebook-level calls ({@link loadMemory}, {@link trainTask},
 * {@link distill}, {@link evaluateMGTIL}; `src/experiment/`, one file each), the recipes that give
 * their budgets, and the pieces of the pipeline they compose (reference sets, the retrieval
 * plugin, sequence checks).
 *
 * @module Experiment calls
 */
export * from '../experiment';
export * from '../recipes';
export * from '../pipeline/reference';
export * from '../pipeline/retrieval-plugin';
export * from '../pipeline/sequence-checks';
