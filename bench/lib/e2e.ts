/**
 * End-to-end figure: wall time and peak RSS of `primed evaluate` on mini-MGTIL, measured with
 * GNU time when the `evaluate` command exists, otherwise recorded as "not available yet".
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { MachineInfo } from './machine';

/** One end-to-end run. */
export interface EndToEndRun {
  /** Method name. */
  method: string;
  /** The command line run. */
  command: string;
  /** Wall seconds, when it ran. */
  wallSeconds?: number;
  /** Peak resident set, MiB (GNU time's maximum RSS). */
  peakRssMiB?: number;
  /** Exit code. */
  exitCode?: number;
  /** Cache state of the run (`cold`: a fresh PRIMED_CACHE_DIR). */
  cache?: string;
  /** `not available yet` or the failure. */
  note?: string;
}

/** The result file `bench/results/e2e-mini-mgtil.json`. */
export interface EndToEndResult {
  /** Always `e2e-mini-mgtil`. */
  figure: string;
  /** Runs by method. */
  runs: EndToEndRun[];
  /** Where. */
  machine: MachineInfo;
}

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli.ts');
/** Methods measured. */
export const E2E_METHODS = ['finetune', 'primed-dyn'];

function evaluateAvailable(): string | undefined {
  if (!fs.existsSync(path.join(ROOT, 'src', 'cli', 'evaluate.ts'))) return 'not available yet (src/cli/evaluate.ts is absent)';
  const help = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'evaluate', '--help'], { cwd: ROOT, encoding: 'utf8' });
  if (help.status !== 0) return `not available yet (primed evaluate --help exited ${help.status}: ${(help.stderr || '').trim().split('\n').pop()})`;
  return undefined;
}

/** Runs `primed evaluate --benchmark mini-mgtil --method M --order I` for each method. */
export function measureEndToEnd(machine: MachineInfo, log: (line: string) => void, timeoutSeconds = 3600): EndToEndResult {
  const missing = evaluateAvailable();
  const runs: EndToEndRun[] = [];
  for (const method of E2E_METHODS) {
    const args = ['evaluate', '--benchmark', 'mini-mgtil', '--method', method, '--order', 'I'];
    const command = `primed ${args.join(' ')}`;
    if (missing) {
      runs.push({ method, command, note: missing });
      continue;
    }
    const help = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'evaluate', '--help'], { cwd: ROOT, encoding: 'utf8' }).stdout;
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-bench-e2e-'));
    // A cold cache: the run builds the mini memory and its reference sets, as a first run does.
    const cacheDir = path.join(outDir, 'cache');
    if (/--out\b/.test(help)) args.push('--out', outDir);
    log(`e2e: ${command}`);
    const r = spawnSync('/usr/bin/time', ['-f', 'PRIMED_TIME %e %M', process.execPath, '--import', 'tsx', CLI, ...args], {
      cwd: ROOT, encoding: 'utf8', timeout: timeoutSeconds * 1000, maxBuffer: 256 * 2 ** 20,
      env: { ...process.env, PRIMED_CACHE_DIR: cacheDir },
    });
    const m = /PRIMED_TIME ([\d.]+) (\d+)/.exec(r.stderr ?? '');
    runs.push({
      method, command, cache: 'cold', exitCode: r.status ?? undefined,
      wallSeconds: m ? Number(m[1]) : undefined,
      peakRssMiB: m ? Math.round(Number(m[2]) / 1024) : undefined,
      note: r.status === 0 ? undefined : `failed: ${(r.stderr || String(r.error)).trim().split('\n').filter((l) => !l.startsWith('PRIMED_TIME')).pop()}`,
    });
    fs.rmSync(outDir, { recursive: true, force: true });
  }
  return { figure: 'e2e-mini-mgtil', runs, machine };
}
