/**
 * The experiment layer: the four notebook-level calls, one per notebook cell and one file each:
 * {@link loadMemory} (`load-memory.ts`), {@link trainTask} (`train-task.ts`), {@link distill}
 * (`distill.ts`) and {@link evaluateMGTIL} (`evaluate-mgtil.ts`), with what they share
 * (`shared.ts`). Each is a thin composition of the layers below (memory, methods + trainer,
 * the retrieval plugin, protocol); nothing here is needed to use those layers.
 */
export { modelIdentity, modelEmbedderId } from '../model/identity';
export { cacheDir, miniPool } from './shared';
export { loadMemory, type LoadMemoryOptions } from './load-memory';
export { trainTask, type TrainTaskOptions } from './train-task';
export { distill, type DistillOptions, type DistillResult } from './distill';
export { evaluateMGTIL, REFERENCE_STRATEGY, type EvaluateMGTILOptions, type MGTILResult, type MGTILTrainInfo } from './evaluate-mgtil';
