/**
 * Runs one tfjs workload on one backend in its own process (a clean backend, its own RSS) and
 * prints one JSON line: `{ secondsPerIter, backend, leakedTensors, rssMiB }`.
 *
 *   tsx bench/tfjs-worker.ts CASE.json
 *
 * CASE.json: `{ kind, backend, spec: WorkloadSpec, timing: TimingOptions, kernels?: "native"|"off" }`.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { torchMemory, torchSync } from '../src/backend/torch';
import { buildWorkload, type WorkloadSpec } from './lib/workloads';
import { timeRuns, type TimingOptions } from './lib/timing';
import { applyKernelChoice, type KernelChoice } from './lib/kernel-choice';

/** The worker's input. */
export interface WorkerCase {
  /** Workload kind. */
  kind: 'train' | 'primed' | 'eval';
  /** tfjs backend. */
  backend: 'torch' | 'wasm' | 'cpu' | 'tensorflow';
  /** Compute threads (torch: libtorch intra-op threads). */
  threads?: number;
  /** torch device (`cpu`, `cuda`, ...). */
  device?: string;
  /** torch matmul precision on CUDA. */
  precision?: 'fp32' | 'tf32';
  /** Model, batch, seed. */
  spec: WorkloadSpec;
  /** Timing budget. */
  timing: TimingOptions;
  /** Whether to register the native matmul kernels (default `off`). */
  kernels?: KernelChoice;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/tfjs-worker.ts CASE.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as WorkerCase;
  // native: false: initBackend would otherwise register the native matmul kernels itself (with
  // every core), and the "off" rows would not measure the backend's own kernels.
  const backend = await initBackend({ backend: c.backend, native: false, threads: c.threads, device: c.device, precision: c.precision });
  const kernels = applyKernelChoice(c.kernels ?? 'off', backend.name);
  const before = tf.memory().numTensors;
  const w = buildWorkload(c.kind, c.spec);
  // CUDA work is asynchronous: each timed run ends when the device is done.
  const sync = backend.name === 'torch' ? torchSync : () => {};
  const times = await timeRuns(() => {
    w.run();
    sync();
  }, c.timing);
  const result = {
    secondsPerIter: times,
    backend,
    kernels,
    config: w.config,
    promptIds: w.promptIds,
    refIds: w.refIds,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    // maxRSS is in KiB: the process's peak, model build included.
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  w.dispose();
  const leaked = tf.memory().numTensors - before;
  process.stdout.write(JSON.stringify({ ...result, leakedTensors: leaked, torchMemory: torchMemory() }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`tfjs-worker: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
