/**
 * Weight snapshots: named tensors copied out of a model (start-of-task anchors, teachers,
 * ensembles), put back into it, averaged, and stored as a safetensors file (float32 only).
 */
import * as tf from '@tensorflow/tfjs';
import type { DualEncoderLike } from '../model/types';
import { SafetensorsReader, writeSafetensors, type TensorToWrite } from '../model/safetensors';

/** Named tensors owned by whoever made the snapshot (dispose with {@link disposeWeights}). */
export type WeightSnapshot = Map<string, tf.Tensor>;

/** Copies every named variable of `model` (or only `names`) into kept tensors. */
export function snapshotWeights(model: DualEncoderLike, names?: Iterable<string>): WeightSnapshot {
  const vars = model.namedVariables();
  const out: WeightSnapshot = new Map();
  for (const name of names ?? vars.keys()) {
    const v = vars.get(name);
    if (!v) throw new Error(`snapshotWeights: model has no parameter ${name}`);
    out.set(name, tf.keep(v.clone()));
  }
  return out;
}

/** Assigns the snapshot's tensors to the model's variables of the same names. */
export function restoreWeights(model: DualEncoderLike, snapshot: WeightSnapshot): void {
  const vars = model.namedVariables();
  for (const [name, t] of snapshot) {
    const v = vars.get(name);
    if (!v) throw new Error(`restoreWeights: model has no parameter ${name}`);
    if (!tf.util.arraysEqual(v.shape, t.shape)) throw new Error(`restoreWeights: ${name} has shape [${t.shape}], model wants [${v.shape}]`);
    v.assign(t);
  }
}

/** Frees every tensor of a snapshot. */
export function disposeWeights(snapshot: WeightSnapshot | undefined): void {
  if (snapshot) for (const t of snapshot.values()) t.dispose();
}

/** `(1 − alpha)·a + alpha·b` for every name of `a` (WiSE-FT, `wise:0.5` teachers). */
export function interpolateWeights(a: WeightSnapshot, b: WeightSnapshot, alpha: number): WeightSnapshot {
  const out: WeightSnapshot = new Map();
  for (const [name, ta] of a) {
    const tb = b.get(name);
    if (!tb) throw new Error(`interpolateWeights: second snapshot lacks ${name}`);
    out.set(name, tf.tidy(() => tf.add(tf.mul(ta, 1 - alpha), tf.mul(tb, alpha))));
  }
  return out;
}

/** A copy of `model` with the snapshot's weights (a frozen teacher or reference model). */
export function modelWithWeights(model: DualEncoderLike, snapshot: WeightSnapshot): DualEncoderLike {
  const copy = model.clone();
  restoreWeights(copy, snapshot);
  return copy;
}

/** Writes a snapshot as a safetensors file (F32), atomically (names sorted). */
export function writeWeightsFile(file: string, snapshot: WeightSnapshot): void {
  const tensors: TensorToWrite[] = [...snapshot.keys()].sort().map((name) => {
    const t = snapshot.get(name)!;
    if (t.dtype !== 'float32') throw new Error(`writeWeightsFile ${file}: ${name} is ${t.dtype}, only float32 is stored`);
    return { name, shape: t.shape, dtype: 'F32', data: () => t.dataSync() as Float32Array };
  });
  writeSafetensors(file, tensors);
}

/** Reads a safetensors file (float tensors; F16/BF16 widened to float32) into kept tensors. */
export function readWeightsFile(file: string): WeightSnapshot {
  const reader = SafetensorsReader.open(file);
  const out: WeightSnapshot = new Map();
  try {
    for (const [name, e] of reader.entries) out.set(name, tf.keep(tf.tensor(reader.readFloat32(name), e.shape, 'float32')));
  } catch (err) {
    disposeWeights(out);
    throw err;
  } finally {
    reader.close();
  }
  return out;
}
