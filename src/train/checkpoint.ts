/**
 * Mid-task checkpoints: a directory of plain files, swapped in atomically, so a killed run
 * finds either the previous checkpoint or the new one.
 *
 * ```
 * state.json            step, task, seed, the key of the trainer configuration
 * weights.safetensors   every named variable of the model
 * start.safetensors     θ_start (the weights at the start of the task)
 * adam-m.safetensors    AdamW first moments;  adam-v.safetensors: second moments
 * plugins/<name>/       what each plugin's saveState wrote
 * ```
 * Random draws depend only on (seed, task, step), so the step is the whole random state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../model/types';
import { readJson, recoverDirSwap, replaceDirAtomic, writeJsonAtomic } from '../util/fs';
import type { AdamW } from './optimizer';
import type { TrainerPlugin } from './plugin';
import { disposeWeights, readWeightsFile, restoreWeights, snapshotWeights, writeWeightsFile, type WeightSnapshot } from './weights';

/** `state.json` of a checkpoint. */
export interface CheckpointState {
  /** Always `primed-train-checkpoint`. */
  format: 'primed-train-checkpoint';
  /** Format version. */
  version: 1;
  /** Task index. */
  taskIndex: number;
  /** Dataset name of the task. */
  dataset: string;
  /** Steps completed. */
  step: number;
  /** Steps of the task. */
  totalSteps: number;
  /** Run seed. */
  seed: number;
  /** Hash of the trainer configuration; a checkpoint from another configuration is refused. */
  configKey: string;
}

/** Everything a checkpoint holds. */
export interface CheckpointContent {
  /** Metadata. */
  state: CheckpointState;
  /** The model. */
  model: DualEncoderLike;
  /** θ_start. */
  startWeights: WeightSnapshot;
  /** The optimiser. */
  optimizer: AdamW;
  /** Plugins whose state is saved. */
  plugins: readonly TrainerPlugin[];
}

function momentsSnapshot(moments: Record<string, Float32Array>, shapes: Map<string, number[]>): WeightSnapshot {
  return new Map(Object.entries(moments).map(([k, v]) => [k, tf.tensor(v, shapes.get(k), 'float32')]));
}

/** Writes a checkpoint into `dir`, replacing the previous one atomically. */
export async function saveCheckpoint(dir: string, content: CheckpointContent): Promise<void> {
  const { model, optimizer } = content;
  await replaceDirAtomic(dir, async (tmp) => {
    const weights = snapshotWeights(model);
    const shapes = new Map([...weights].map(([k, t]) => [k, t.shape]));
    const opt = optimizer.getState();
    const m = momentsSnapshot(opt.m, shapes);
    const v = momentsSnapshot(opt.v, shapes);
    try {
      writeWeightsFile(path.join(tmp, 'weights.safetensors'), weights);
      writeWeightsFile(path.join(tmp, 'start.safetensors'), content.startWeights);
      writeWeightsFile(path.join(tmp, 'adam-m.safetensors'), m);
      writeWeightsFile(path.join(tmp, 'adam-v.safetensors'), v);
    } finally {
      disposeWeights(weights);
      disposeWeights(m);
      disposeWeights(v);
    }
    for (const p of content.plugins) {
      if (!p.saveState) continue;
      const pdir = path.join(tmp, 'plugins', p.name);
      fs.mkdirSync(pdir, { recursive: true });
      await p.saveState(pdir);
    }
    // state.json last: its presence marks a complete checkpoint.
    writeJsonAtomic(path.join(tmp, 'state.json'), { ...content.state, optimizerStep: opt.step });
  });
}

/** Reads `state.json` of a checkpoint, or undefined when `dir` holds none; first recovers a swap a killed writer left half done (`recoverDirSwap`). */
export function readCheckpointState(dir: string): CheckpointState | undefined {
  // A writer killed between the swap's two renames left the previous checkpoint aside: put it back.
  recoverDirSwap(dir, (c) => fs.existsSync(path.join(c, 'state.json')));
  const file = path.join(dir, 'state.json');
  if (!fs.existsSync(file)) return undefined;
  const s = readJson<CheckpointState>(file);
  if (s.format !== 'primed-train-checkpoint' || s.version !== 1) throw new Error(`${file}: not a primed training checkpoint (format ${s.format}, version ${s.version})`);
  return s;
}

/** The start-of-task weights stored in a checkpoint. */
export function readCheckpointStartWeights(dir: string): WeightSnapshot {
  return readWeightsFile(path.join(dir, 'start.safetensors'));
}

/** Restores model weights, optimiser moments and plugin states from a checkpoint. */
export async function restoreCheckpoint(dir: string, model: DualEncoderLike, optimizer: AdamW, plugins: readonly TrainerPlugin[]): Promise<void> {
  const state = readJson<CheckpointState & { optimizerStep: number }>(path.join(dir, 'state.json'));
  const weights = readWeightsFile(path.join(dir, 'weights.safetensors'));
  const m = readWeightsFile(path.join(dir, 'adam-m.safetensors'));
  const v = readWeightsFile(path.join(dir, 'adam-v.safetensors'));
  try {
    restoreWeights(model, weights);
    const arrays = (s: WeightSnapshot) => Object.fromEntries([...s].map(([k, t]) => [k, (t.dataSync() as Float32Array).slice()]));
    optimizer.setState({ step: state.optimizerStep, m: arrays(m), v: arrays(v) }, model.namedVariables());
  } finally {
    disposeWeights(weights);
    disposeWeights(m);
    disposeWeights(v);
  }
  for (const p of plugins) {
    const pdir = path.join(dir, 'plugins', p.name);
    if (p.loadState && fs.existsSync(pdir)) await p.loadState(pdir);
  }
}
