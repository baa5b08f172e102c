/**
 * **Experiment calls**: the four notebook-level calls ({@link loadMemory}, {@link trainTask},
 * {@link distill}, {@link evaluateMGTIL}), the recipes that give their budgets, and the pieces
 * of the pipeline they compose (reference sets, sequence checks).
 *
 * @module Experiment calls
 */
export * from '../cells';
export * from '../recipes';
export * from '../pipeline/reference';
export * from '../pipeline/sequence-checks';
