/** What the torch-backend tests share: the device under test, switching to torch, a random reference set. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { torchAddonProblem } from '../../src/backend/torch';
import { Rng } from '../../src/util/rng';

/** The device under test: the CPU here, the GPU in bench/gpu/run.sh (PRIMED_DEVICE=cuda). */
export const DEVICE = process.env.PRIMED_DEVICE ?? 'cpu';

/** Switches to the torch backend on {@link DEVICE}, failing (not skipping) when the addon is missing; returns the device. */
export async function onTorch(): Promise<string> {
  const problem = torchAddonProblem();
  assert.equal(problem, undefined, `the torch addon is required for these tests: ${problem}`);
  const info = await initBackend({ backend: 'torch', device: DEVICE });
  assert.equal(tf.getBackend(), 'torch');
  return info.device!;
}

/** `n` random image–caption pairs of `side`×`side`×`channels` images. */
export function refSet(n: number, side: number, channels: number, seed = 1) {
  const rng = new Rng(seed);
  return {
    captions: Array.from({ length: n }, (_, i) => `caption ${i} shows finding ${i % 3}`),
    images: Float32Array.from({ length: n * side * side * channels }, () => rng.normal()),
    shape: [n, side, side, channels] as [number, number, number, number],
  };
}
