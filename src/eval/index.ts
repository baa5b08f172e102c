/** Evaluation: the accuracy matrix, its metrics, ROC-AUC, the MGTIL protocol runner, and result tables. */
export * from './matrix';
export * from './matrix-io';
export * from './metrics';
export * from './auc';
export * from './protocol';
export * from './zero-shot-cache';
export * from './tables';
