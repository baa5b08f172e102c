/** The machine a result was measured on, stored with every result file. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';

/** Hardware and software versions. */
export interface MachineInfo {
  /** Logical cores. */
  cores: number;
  /** `model name` of /proc/cpuinfo. */
  cpuModel: string;
  /** SIMD flags of interest found in /proc/cpuinfo. */
  cpuFlags: string[];
  /** 1-minute load average when the run started (these machines are shared). */
  loadAverage: number;
  /** Total memory, GiB. */
  memoryGiB: number;
  /** Node.js version. */
  node: string;
  /** tfjs-core version. */
  tfjs: string;
  /** PyTorch version of the peer, or why there is none. */
  torch: string;
  /** ISO time. */
  date: string;
}

/** The Python that has torch (Debian's; the first `python3` on PATH lacks it). */
export const PEER_PYTHON = '/usr/bin/python3';

/** Gathers {@link MachineInfo}. */
export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  let cpuFlags: string[] = [];
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? cpuModel;
    const flags = new Set((/^flags\s*:\s*(.+)$/m.exec(info)?.[1] ?? '').split(/\s+/));
    cpuFlags = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_bf16', 'amx_tile'].filter((f) => flags.has(f));
  } catch {
    /* not Linux: keep os.cpus() */
  }
  const py = spawnSync(PEER_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  const torch = py.status === 0 ? py.stdout.trim() : `unavailable (${(py.stderr || String(py.error)).trim().split('\n').pop()})`;
  return {
    cores: os.cpus().length,
    cpuModel,
    cpuFlags,
    loadAverage: os.loadavg()[0],
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    tfjs: tf.version_core,
    torch,
    date: new Date().toISOString(),
  };
}
