/** The model layer: dual encoder, presets, checkpoints, safetensors, zero-shot classification. */
export type { AttentionExtension, DualEncoderLike, Tokenizer, Tower } from './types';
export * from './config';
export * from './presets';
export { DualEncoder, LOGIT_SCALE, paramSpecs, type ModelProvenance } from './dual-encoder';
export { createModel, type CreateModelOptions } from './create';
export {
  IGNORED_CHECKPOINT_KEYS,
  CHECKPOINT_FILE_NAMES,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  detectLayout,
  loadCheckpoint,
  loadModel,
  resolveCheckpointFile,
  saveModel,
  type LoadCheckpointOptions,
  type LoadModelOptions,
  type SaveModelOptions,
  type SavedModelConfig,
} from './checkpoint';
export * from './safetensors';
export * from './zero-shot';
export { type ParamKind, type ParamSpec, type ParamSource, randomInitSource, type RandomInitOptions } from './params';
