/**
 * The GPU check in one go (run by bench/gpu/run.sh): the BiomedCLIP-shaped fine-tuning and PRIMED
 * steps (both towers, AdamW) on the torch backend against PyTorch on the same device and dtype
 * (fp32 and TF32 on CUDA), then one mini-MGTIL run on that device, written to
 * bench/results/gpu-<device>.json naming the device.
 *
 *   tsx bench/gpu/gpu-bench.ts [--device cuda|cuda:N|cpu] [--batch 64] [--ref-batch 64]
 *                              [--precisions fp32,tf32] [--quick] [--no-mgtil] [--out DIR]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { BackendInfo } from '../../src/backend';
import { writeJsonAtomic } from '../../src/util/fs';
import type { WorkerCase } from '../tfjs-worker';
import { BENCH_LR, BIOMEDCLIP_12L, LABEL_SMOOTHING } from '../lib/cases';
import { machineInfo, PEER_PYTHON } from '../lib/machine';
import { runJsonChild } from '../lib/spawn';
import { median, TIMING } from '../lib/timing';

interface WorkerOut {
  secondsPerIter: number[];
  backend: BackendInfo;
  config: unknown;
  promptIds: number[][];
  refIds: number[][];
  peakRssMiB: number;
  torchMemory?: { tensors: number; bytes: number };
}
interface PeerOut { secondsPerIter: number[]; torch: string; device: string; peakRssMiB: number; cudaPeakMiB: number | null }

/** One step kind at one precision, both sides. */
export interface GpuRow {
  /** `train` (fine-tuning step) or `primed`. */
  kind: 'train' | 'primed';
  /** `fp32` or `tf32`. */
  precision: 'fp32' | 'tf32';
  /** Images per second on the torch backend, or null when it failed. */
  oursImagesPerSec: number | null;
  /** Images per second of PyTorch. */
  peerImagesPerSec: number | null;
  /** ours / peer. */
  ratio: number | null;
  /** Median seconds per step, ours and peer. */
  seconds: { ours: number | null; peer: number | null };
  /** Peak host RSS (MiB) and, on CUDA, PyTorch's peak allocated device memory (MiB). */
  memory: { oursPeakRssMiB: number | null; peerPeakRssMiB: number | null; peerCudaPeakMiB: number | null; oursLiveTorchBytes: number | null };
  /** Why a side did not run. */
  errors: string[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      device: { type: 'string', default: 'cuda' },
      batch: { type: 'string', default: '64' },
      'ref-batch': { type: 'string' },
      precisions: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-mgtil': { type: 'boolean', default: false },
      out: { type: 'string', default: path.join(__dirname, '..', 'results') },
    },
  });
  const device = values.device!;
  const cuda = device.startsWith('cuda');
  const batch = Number(values.batch);
  const refBatch = Number(values['ref-batch'] ?? values.batch);
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(refBatch) || refBatch < 1) throw new Error('--batch and --ref-batch must be positive integers');
  const precisions = (values.precisions ?? (cuda ? 'fp32,tf32' : 'fp32')).split(',') as Array<'fp32' | 'tf32'>;
  for (const p of precisions) if (p !== 'fp32' && p !== 'tf32') throw new Error(`--precisions: unknown precision "${p}" (fp32, tf32)`);
  const timing = values.quick ? TIMING.quick : { warmup: 3, minRuns: 10, minSeconds: 10, maxRuns: 200 };
  const threads = os.cpus().length;
  const log = (line: string) => process.stderr.write(`gpu-bench: ${line}\n`);
  const machine = machineInfo();
  const spec = { model: BIOMEDCLIP_12L.model, vocabSize: BIOMEDCLIP_12L.vocabSize, batch, refBatch, seed: 1 };
  const worker = path.join(__dirname, '..', 'tfjs-worker.ts');
  const peer = path.join(__dirname, '..', 'torch_peer.py');
  const rows: GpuRow[] = [];
  let deviceName = cuda ? device : `cpu (${machine.cpuModel}, ${threads} threads)`;
  let backend: BackendInfo | undefined;

  for (const kind of ['train', 'primed'] as const) {
    for (const precision of precisions) {
      const row: GpuRow = { kind, precision, oursImagesPerSec: null, peerImagesPerSec: null, ratio: null, seconds: { ours: null, peer: null }, memory: { oursPeakRssMiB: null, peerPeakRssMiB: null, peerCudaPeakMiB: null, oursLiveTorchBytes: null }, errors: [] };
      log(`${kind} ${precision}: torch backend on ${device}, batch ${batch}`);
      let ours: WorkerOut | undefined;
      try {
        const c: WorkerCase = { kind, backend: 'torch', spec, timing, kernels: 'off', threads, device, precision };
        ours = runJsonChild<WorkerOut>(`${kind} ${precision} torch`, process.execPath, ['--import', 'tsx', worker], c);
        backend = ours.backend;
        const m = median(ours.secondsPerIter);
        Object.assign(row, { oursImagesPerSec: batch / m });
        row.seconds.ours = m;
        row.memory.oursPeakRssMiB = Math.round(ours.peakRssMiB);
        row.memory.oursLiveTorchBytes = ours.torchMemory?.bytes ?? null;
      } catch (err) {
        row.errors.push((err as Error).message);
      }
      if (ours) {
        log(`${kind} ${precision}: PyTorch on ${device}`);
        try {
          const input = { mode: kind, threads, config: ours.config, batch, refBatch, promptIds: ours.promptIds, refIds: ours.refIds, lr: BENCH_LR, labelSmoothing: LABEL_SMOOTHING, seed: 1, device, tf32: precision === 'tf32', ...timing };
          const p = runJsonChild<PeerOut>(`${kind} ${precision} pytorch`, PEER_PYTHON, [peer], input, { OPENBLAS_NUM_THREADS: String(threads) });
          const m = median(p.secondsPerIter);
          row.peerImagesPerSec = batch / m;
          row.seconds.peer = m;
          row.memory.peerPeakRssMiB = Math.round(p.peakRssMiB);
          row.memory.peerCudaPeakMiB = p.cudaPeakMiB === null ? null : Math.round(p.cudaPeakMiB);
          if (cuda) deviceName = p.device;
        } catch (err) {
          row.errors.push((err as Error).message);
        }
      }
      if (row.oursImagesPerSec && row.peerImagesPerSec) row.ratio = row.oursImagesPerSec / row.peerImagesPerSec;
      log(`${kind} ${precision}: ours ${row.oursImagesPerSec?.toFixed(2) ?? '-'} img/s, PyTorch ${row.peerImagesPerSec?.toFixed(2) ?? '-'} img/s, ratio ${row.ratio?.toFixed(2) ?? '-'}`);
      rows.push(row);
    }
  }

  let mgtil: Record<string, unknown> | null = null;
  if (!values['no-mgtil']) {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-gpu-mgtil-'));
    log(`mini-MGTIL (primed-dyn, order I) on ${device}`);
    const t0 = performance.now();
    const cli = path.join(__dirname, '..', '..', 'src', 'cli.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'evaluate', '--benchmark', 'mini-mgtil', '--method', 'primed-dyn', '--order', 'I', '--out', path.join(runDir, 'run')], {
      encoding: 'utf8', env: { ...process.env, PRIMED_BACKEND: 'torch', PRIMED_DEVICE: device, PRIMED_CACHE_DIR: path.join(runDir, 'cache') }, maxBuffer: 64 * 2 ** 20,
    });
    const wallSeconds = (performance.now() - t0) / 1000;
    if (r.status === 0) {
      const result = JSON.parse(fs.readFileSync(path.join(runDir, 'run', 'result.json'), 'utf8')) as { metrics: Record<string, number>; backend: BackendInfo };
      mgtil = { method: 'primed-dyn', order: 'I', wallSeconds: Math.round(wallSeconds), metrics: result.metrics, backend: result.backend };
    } else {
      mgtil = { error: (r.stderr || String(r.error)).trim().split('\n').slice(-5).join('\n'), wallSeconds: Math.round(wallSeconds) };
    }
    log(`mini-MGTIL: ${JSON.stringify(mgtil).slice(0, 300)}`);
    fs.rmSync(runDir, { recursive: true, force: true });
  }

  const slug = (cuda ? deviceName : 'cpu').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const out = {
    figure: `gpu-${slug}`,
    description: 'BiomedCLIP-shaped (ViT-B/16 224 px + PubMedBERT-base, 12+12 layers, text context 64) fine-tuning and PRIMED steps, AdamW, torch backend vs PyTorch on the same device and dtype; then mini-MGTIL (PRIMED_dyn, order I) once on that device',
    device: deviceName,
    requestedDevice: device,
    batch,
    refBatch,
    threads,
    rows,
    miniMgtil: mgtil,
    backend,
    machine,
  };
  const file = path.join(values.out!, `${out.figure}.json`);
  writeJsonAtomic(file, out);
  log(`wrote ${file}`);
  const failed = rows.some((r) => r.errors.length) || (mgtil !== null && 'error' in mgtil);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`gpu-bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
