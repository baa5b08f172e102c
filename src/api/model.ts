/**
 * **Model**: the dual encoder (ViT image tower, text transformer), tokenizers, checkpoints and
 * presets, the foundation models, and the compute backend they run on.
 *
 * @module Model
 */
export * from '../model';
export * from '../model/tokenizers';
export { loadCheckpoint, saveModel, loadModel, type LoadCheckpointOptions, type SaveModelOptions, type LoadModelOptions, type SavedModelConfig } from '../model/checkpoint';
export * from '../foundation';
export * from '../backend';
