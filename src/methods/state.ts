/** Small helpers for methods' saved state: optional weight snapshots beside a JSON file. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readWeightsFile, writeWeightsFile, type WeightSnapshot } from '../train/weights';

/** Writes `snapshot` to `dir/name.safetensors` when present. */
export function saveSnapshot(dir: string, name: string, snapshot: WeightSnapshot | undefined): void {
  if (snapshot) writeWeightsFile(path.join(dir, `${name}.safetensors`), snapshot);
}

/** Reads `dir/name.safetensors`, or undefined when absent. */
export function loadSnapshot(dir: string, name: string): WeightSnapshot | undefined {
  const file = path.join(dir, `${name}.safetensors`);
  return fs.existsSync(file) ? readWeightsFile(file) : undefined;
}

/** A deep copy of a snapshot (kept tensors). */
export function copySnapshot(snapshot: WeightSnapshot): WeightSnapshot {
  return new Map([...snapshot].map(([k, t]) => [k, tf.keep(t.clone())]));
}
