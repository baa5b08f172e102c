/**
 * `npm run bench`: the performance suite. Each figure is measured beside its peer in the same
 * run (the machines are shared and noisy; read the ratios), written to bench/results/<name>.json
 * with the machine, and summarised in bench/README.md.
 *
 *   npm run bench -- [--only train,primed,eval,memory,e2e] [--quick] [--models mini,vitb16-2l]
 *                    [--backends torch,wasm,cpu] [--kernels auto|off|native|both]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../src/util/fs';
import { probePackages } from '../src/backend';
import { nativeAddonProblem } from '../src/backend/kernels';
import { torchAddonProblem } from '../src/backend/torch';
import { BENCH_MODELS } from './lib/cases';
import { measureEndToEnd } from './lib/e2e';
import type { KernelChoice } from './lib/kernel-choice';
import { machineInfo } from './lib/machine';
import { writeSummary } from './lib/summary';
import { defaultTorchThreads, measureThroughput } from './lib/throughput';
import { TIMING } from './lib/timing';

const FIGURES = ['train', 'primed', 'eval', 'memory', 'e2e'] as const;
const BACKENDS = ['torch', 'wasm', 'cpu', 'tensorflow'] as const;

function list<T extends string>(option: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const it of items) if (!allowed.includes(it as T)) throw new Error(`--${option}: unknown value "${it}"; expected some of ${allowed.join(', ')}`);
  return items as T[];
}

/** Whether a native tfjs binding is usable (an installed package without its binding is not). */
function tfjsNodePresent(): boolean {
  return probePackages().some((p) => p.package.startsWith('@tensorflow/tfjs-node') && p.usable);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', default: FIGURES.join(',') },
      quick: { type: 'boolean', default: false },
      models: { type: 'string', default: BENCH_MODELS.map((m) => m.name).join(',') },
      backends: { type: 'string' },
      kernels: { type: 'string', default: 'auto' },
      out: { type: 'string', default: path.join(__dirname, 'results') },
      readme: { type: 'string', default: path.join(__dirname, 'README.md') },
    },
  });
  const only = list('only', values.only!, FIGURES);
  const models = list('models', values.models!, BENCH_MODELS.map((m) => m.name)).map((n) => BENCH_MODELS.find((m) => m.name === n)!);
  const backends = values.backends
    ? list('backends', values.backends, BACKENDS)
    : ([...(torchAddonProblem() ? [] : ['torch' as const]), 'wasm', 'cpu', ...(tfjsNodePresent() ? ['tensorflow' as const] : [])] as Array<(typeof BACKENDS)[number]>);
  const kernelMode = list('kernels', values.kernels!, ['auto', 'off', 'native', 'both'])[0];
  const problem = nativeAddonProblem();
  const kernels: KernelChoice[] =
    kernelMode === 'off' ? ['off'] : kernelMode === 'native' ? ['native'] : kernelMode === 'both' ? ['off', 'native'] : problem ? ['off'] : ['off', 'native'];
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  if (problem) log(`native matmul kernels: ${problem}`);
  const timing = values.quick ? TIMING.quick : TIMING.full;
  const machine = machineInfo();
  log(`${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage.toFixed(1)}, torch ${machine.torch}`);

  for (const kind of ['train', 'primed', 'eval'] as const) {
    if (!only.includes(kind)) continue;
    for (const model of models) {
      if (values.quick && model.name !== 'mini') continue; // --quick: the mini figures only
      if (model.kinds && !model.kinds.includes(kind)) continue;
      const batches = kind === 'eval' ? [model.evalBatch] : kind === 'primed' ? [model.trainBatches[0]] : model.trainBatches;
      const threads = model.threads === 'all-cores' ? [os.cpus().length] : defaultTorchThreads();
      const modelTiming = model.timing === 'quick' ? TIMING.quick : timing;
      for (const batch of batches) {
        const r = measureThroughput({ kind, model, batch, backends, kernels, timing: modelTiming, torchThreads: threads }, machine, log);
        writeJsonAtomic(path.join(values.out!, `${r.figure}.json`), r);
        for (const m of [...r.ours, ...r.peers]) log(`${r.figure}: ${m.label} ${m.imagesPerSec.toFixed(1)} images/s`);
      }
    }
  }
  if (only.includes('memory')) log('memory: collected from bench/results/memory-retrieval.json when present (the memory suite writes it)');
  if (only.includes('e2e')) {
    const r = measureEndToEnd(machine, log);
    writeJsonAtomic(path.join(values.out!, `${r.figure}.json`), r);
    for (const run of r.runs) log(`e2e ${run.method}: ${run.wallSeconds ?? '-'} s, ${run.peakRssMiB ?? '-'} MiB ${run.note ?? ''}`);
  }
  writeSummary(values.out!, values.readme!);
  log(`summary written to ${values.readme}`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(1);
});
