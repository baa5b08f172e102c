/**
 * Kernel profile of one workload step: which tfjs kernels dominate (tf.profile gives each
 * kernel's name and time), grouped by kernel name, largest first.
 *
 *   tsx bench/profile.ts [--kind train|primed|eval] [--backend wasm|cpu] [--batch 32] [--kernels off|native]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { MINI } from './lib/cases';
import { applyKernelChoice, type KernelChoice } from './lib/kernel-choice';
import { buildWorkload } from './lib/workloads';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kind: { type: 'string', default: 'train' },
      backend: { type: 'string', default: 'wasm' },
      batch: { type: 'string', default: '32' },
      kernels: { type: 'string', default: 'off' },
    },
  });
  const kind = values.kind as 'train' | 'primed' | 'eval';
  if (!['train', 'primed', 'eval'].includes(kind)) throw new Error(`--kind: expected train|primed|eval, got ${kind}`);
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch <= 0) throw new Error(`--batch: expected a positive integer, got ${values.batch}`);
  const info = await initBackend({ backend: values.backend as 'wasm' | 'cpu' });
  applyKernelChoice(values.kernels as KernelChoice, info.name);
  const w = buildWorkload(kind, { model: MINI.model, vocabSize: MINI.vocabSize, batch, refBatch: MINI.refBatch, seed: 1 });
  w.run();
  w.run();
  const t0 = performance.now();
  const p = await tf.profile(() => { w.run(); });
  const wall = performance.now() - t0;
  const by = new Map<string, { ms: number; calls: number }>();
  for (const k of p.kernels) {
    const e = by.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls += 1;
    by.set(k.name, e);
  }
  const total = [...by.values()].reduce((a, b) => a + b.ms, 0);
  process.stdout.write(`${kind} step, ${info.name}, batch ${batch}: ${p.kernels.length} kernel calls, ${total.toFixed(1)} ms in kernels, ${wall.toFixed(1)} ms wall (profiled)\n`);
  for (const [name, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    process.stdout.write(`${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${e.calls} calls\n`);
  }
  w.dispose();
}

main().catch((err) => {
  process.stderr.write(`profile: ${(err as Error).message}\n`);
  process.exit(1);
});
