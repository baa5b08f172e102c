/**
 * **Evaluation**: classification of a task's split, the MGTIL protocol runner, accuracy
 * matrices and metrics (pure functions), tables, and the paper's own numbers to compare with.
 *
 * @module Evaluation
 */
export * from '../eval';
export * from '../eval/classify';
export * from '../eval/learner';
export * from '../paper';
