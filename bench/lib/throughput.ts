/**
 * One throughput figure: a workload on each tfjs backend (and kernel choice) beside the PyTorch
 * peer at 1 thread and at all cores, all in the same run, as images/s and ratios.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackendInfo } from '../../src/backend';
import type { WorkerCase } from '../tfjs-worker';
import type { BenchModel } from './cases';
import { BENCH_LR, LABEL_SMOOTHING } from './cases';
import type { KernelChoice } from './kernel-choice';
import { PEER_PYTHON, type MachineInfo } from './machine';
import { runJsonChild } from './spawn';
import { median, type TimingOptions } from './timing';

/** One measured side. */
export interface Measurement {
  /** e.g. `tfjs wasm`, `tfjs wasm + native matmul`, `pytorch 1 thread`. */
  label: string;
  /** images per second (batch / median step time). */
  imagesPerSec: number;
  /** Median seconds per iteration. */
  medianSeconds: number;
  /** Timed iterations. */
  runs: number;
  /** Extra facts (backend info, kernel status, leaked tensors, threads). */
  details: Record<string, unknown>;
}

/** A figure as written to `bench/results/<name>.json`. */
export interface ThroughputResult {
  /** File name stem, e.g. `train-mini-b32`. */
  figure: string;
  /** `train`, `primed` or `eval`. */
  kind: 'train' | 'primed' | 'eval';
  /** What was measured. */
  description: string;
  /** Model name and description. */
  model: { name: string; description: string };
  /** Image batch. */
  batch: number;
  /** Our sides. */
  ours: Measurement[];
  /** PyTorch sides. */
  peers: Measurement[];
  /** Skipped sides and why. */
  skipped: string[];
  /** Where and with what. */
  machine: MachineInfo;
}

/** What to measure. */
export interface ThroughputPlan {
  /** Workload. */
  kind: 'train' | 'primed' | 'eval';
  /** Architecture. */
  model: BenchModel;
  /** Batch. */
  batch: number;
  /** tfjs backends to try. */
  backends: Array<'torch' | 'wasm' | 'cpu' | 'tensorflow'>;
  /** Kernel choices per backend (native only where the addon loads). */
  kernels: KernelChoice[];
  /** Timing. */
  timing: TimingOptions;
  /** PyTorch thread counts. */
  torchThreads: number[];
}

const DESCRIPTIONS = {
  train: 'one fine-tuning step: forward + backward + AdamW, CLIP classification CE (label smoothing 0.2) over 5 class prompts',
  primed: 'one PRIMED step: CE step + CKT + CMC on a reference batch against a frozen teacher + DFG gradient (α=1, β=0.25, λ=1)',
  eval: 'zero-shot evaluation: image encoding + cosine logits against precomputed class embeddings + argmax',
} as const;

interface WorkerOut {
  secondsPerIter: number[];
  backend: BackendInfo;
  kernels: unknown;
  config: unknown;
  promptIds: number[][];
  refIds: number[][];
  leakedTensors: number;
  rssMiB: number;
  peakRssMiB?: number;
  torchMemory?: { tensors: number; bytes: number };
}

const WORKER = path.join(__dirname, '..', 'tfjs-worker.ts');
const PEER = path.join(__dirname, '..', 'torch_peer.py');

/** Measures one figure. */
export function measureThroughput(plan: ThroughputPlan, machine: MachineInfo, log: (line: string) => void): ThroughputResult {
  const { kind, model, batch } = plan;
  const figure = `${kind}-${model.name}-b${batch}`;
  const spec = { model: model.model, vocabSize: model.vocabSize, batch, refBatch: model.refBatch, seed: 1 };
  const ours: Measurement[] = [];
  const skipped: string[] = [];
  let shared: WorkerOut | undefined;
  for (const backend of plan.backends) {
    const why = model.skipBackends?.[backend];
    if (why) {
      skipped.push(`tfjs ${backend}: ${why}`);
      continue;
    }
    // torch runs once per peer thread count (equal threads on both sides); the others once per kernel choice.
    const variants: Array<{ kernels: KernelChoice; threads?: number }> =
      backend === 'torch' ? plan.torchThreads.map((threads) => ({ kernels: 'off' as const, threads })) : plan.kernels.map((kernels) => ({ kernels }));
    for (const { kernels, threads } of variants) {
      const label =
        backend === 'torch'
          ? `tfjs torch cpu ${threads} thread${threads === 1 ? '' : 's'}`
          : `tfjs ${backend}${kernels === 'native' ? ' + native matmul' : ''}`;
      log(`${figure}: ${label}`);
      const c: WorkerCase = { kind, backend, spec, timing: plan.timing, kernels, ...(threads ? { threads, device: 'cpu' } : {}) };
      try {
        const out = runJsonChild<WorkerOut>(`${figure} ${label}`, process.execPath, ['--import', 'tsx', WORKER], c);
        shared ??= out;
        const m = median(out.secondsPerIter);
        ours.push({
          label, imagesPerSec: batch / m, medianSeconds: m, runs: out.secondsPerIter.length,
          details: { backend: out.backend, kernels: out.kernels, leakedTensors: out.leakedTensors, rssMiB: Math.round(out.rssMiB), peakRssMiB: Math.round(out.peakRssMiB ?? 0), ...(out.torchMemory ? { torchMemory: out.torchMemory } : {}) },
        });
      } catch (err) {
        skipped.push(`${label}: ${(err as Error).message}`);
      }
    }
  }
  const peers: Measurement[] = [];
  if (!shared) {
    skipped.push('pytorch: no tfjs side ran, so no config to hand the peer');
  } else if (machine.torch.startsWith('unavailable')) {
    skipped.push(`pytorch: ${machine.torch}`);
  } else {
    // PyTorch's set_num_threads does not reach the OpenBLAS thread pool that Debian's build
    // multiplies with; OPENBLAS_NUM_THREADS does (the torch backend sets it the same way).
    for (const threads of plan.torchThreads) {
      const label = `pytorch cpu ${threads} thread${threads === 1 ? '' : 's'}`;
      log(`${figure}: ${label}`);
      const input = {
        mode: kind, threads, config: shared.config, batch, refBatch: model.refBatch, promptIds: shared.promptIds, refIds: shared.refIds,
        lr: BENCH_LR, labelSmoothing: LABEL_SMOOTHING, seed: 1, ...plan.timing,
      };
      try {
        const out = runJsonChild<{ secondsPerIter: number[]; torch: string; threads: number; peakRssMiB?: number }>(`${figure} ${label}`, PEER_PYTHON, [PEER], input, { OPENBLAS_NUM_THREADS: String(threads) });
        const m = median(out.secondsPerIter);
        peers.push({
          label, imagesPerSec: batch / m, medianSeconds: m, runs: out.secondsPerIter.length,
          details: { torch: out.torch, threads: out.threads, peakRssMiB: Math.round(out.peakRssMiB ?? 0) },
        });
      } catch (err) {
        skipped.push(`${label}: ${(err as Error).message}`);
      }
    }
  }
  return { figure, kind, description: DESCRIPTIONS[kind], model: { name: model.name, description: model.description }, batch, ours, peers, skipped, machine };
}

/** Thread counts for the peer: 1 (tfjs wasm is single-threaded under Node) and all cores. */
export function defaultTorchThreads(): number[] {
  const n = os.cpus().length;
  return n > 1 ? [1, n] : [1];
}
