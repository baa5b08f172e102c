/**
 * The four notebook-level calls moved to `src/experiment/` (one file per call); this module
 * re-exports them for code written against `src/cells`. New code imports `./experiment`.
 */
export * from './experiment';
