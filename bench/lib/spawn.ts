/** Runs a bench worker (tfjs or PyTorch) in a child process with a JSON case file. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

/** Writes `input` to a temp file, runs `cmd args... file`, parses the last stdout line as JSON. */
export function runJsonChild<T>(label: string, cmd: string, args: string[], input: unknown, env: NodeJS.ProcessEnv = {}): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-bench-'));
  const file = path.join(dir, 'case.json');
  fs.writeFileSync(file, JSON.stringify(input));
  try {
    const r = spawnSync(cmd, [...args, file], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 });
    if (r.status !== 0) {
      const lines = (r.stderr || String(r.error ?? '')).trim().split('\n');
      // The error's own message first (the stack's last frames alone do not say what failed).
      const message = lines.find((l) => /error|^tfjs-worker:|Traceback|abort/i.test(l) && !/^\s+at /.test(l));
      const tail = [...(message ? [message] : []), ...lines.slice(-3)].join('\n');
      throw new Error(`${label}: exited with ${r.status ?? r.signal}: ${tail}`);
    }
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new Error(`${label}: no JSON result on stdout (got ${JSON.stringify(line.slice(0, 200))})`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
