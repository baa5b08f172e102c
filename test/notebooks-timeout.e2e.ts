/**
 * notebooks/run.sh fails cleanly on a timeout: a notebook whose kernel has started a child process
 * (standing in for the run workers, which hold the kernel's stdout) and then hangs is stopped at
 * NOTEBOOK_TIMEOUT; run.sh exits non-zero, saves the partial executed copy and the log, kills the
 * kernel's whole process group (the child included), and closes the caller's pipe, so a caller
 * reading run.sh's output to its end (`npm run notebooks | tail`) returns. Needs Jupyter's
 * nbclient/nbconvert and the tslab kernel (registered through JUPYTER_PATH in a temp dir).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..');

function notebook(cells: string[]): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' }, language_info: { name: 'typescript' } },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: 'code', source, metadata: {}, execution_count: null, outputs: [] })),
  };
}

/** Pids of live processes whose command line contains `marker` (read from /proc; nothing is killed). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = /^State:\s+(\w)/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (cmd.includes(marker) && state !== 'Z') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('run.sh on a timeout: partial copy and log saved, kernel process group killed, caller pipe closed', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-nb-timeout-'));
  const marker = `primed-timeout-${randomBytes(6).toString('hex')}`;
  try {
    const kernelDir = path.join(tmp, 'jupyter', 'kernels', 'tslab');
    fs.mkdirSync(kernelDir, { recursive: true });
    const bin = path.join(repo, 'node_modules/.bin/tslab');
    fs.writeFileSync(path.join(kernelDir, 'kernel.json'), JSON.stringify({ argv: [bin, 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript' }));
    const nb = path.join(tmp, 'hang.ipynb');
    fs.writeFileSync(
      nb,
      JSON.stringify(
        notebook([
          "console.log('cell one ran');",
          // a child that inherits the kernel's stdout and outlives a plain kernel shutdown, like a run worker
          `import { spawn } from 'child_process';\nspawn('/bin/sh', ['-c', 'sleep 900; : ${marker}'], { stdio: 'inherit' });\nconsole.log('child started');`,
          'await new Promise((r) => setTimeout(r, 900_000));',
          "console.log('never');",
        ]),
      ),
    );
    const out = path.join(tmp, 'out');
    const env = { ...process.env, SKIP_BUILD: '1', NOTEBOOK_OUT: out, NOTEBOOK_TIMEOUT: '45', NOTEBOOK_RETRIES: '1', JUPYTER_PATH: path.join(tmp, 'jupyter') };
    // Read run.sh's output through pipes until they close: an orphan holding them would keep this waiting.
    const child = spawn('bash', [path.join(repo, 'notebooks/run.sh'), nb], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let guard: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      new Promise<{ code: number | null; hung: false }>((resolve) => child.on('close', (code) => resolve({ code, hung: false }))),
      // a hang guard, not a timing assertion: if the pipes never close, fail instead of waiting forever
      new Promise<{ code: null; hung: true }>((resolve) => (guard = setTimeout(() => resolve({ code: null, hung: true }), 600_000))),
    ]);
    clearTimeout(guard);
    assert.equal(result.hung, false, `run.sh's pipes stayed open:\n${stderr}`);
    assert.notEqual(result.code, 0);
    assert.match(stderr, /timed out after 45s/);
    assert.doesNotMatch(stderr, /retrying/, 'a timeout is not retried');
    // the partial executed copy: the cells that ran keep their outputs, the rest none
    const executed = JSON.parse(fs.readFileSync(path.join(out, 'hang.ipynb'), 'utf8')) as { cells: { outputs: { text?: string | string[] }[] }[] };
    const text = (i: number) => executed.cells[i].outputs.map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? ''))).join('');
    assert.equal(text(0), 'cell one ran\n');
    assert.match(text(1), /child started/);
    assert.deepEqual(executed.cells[3].outputs, []);
    assert.match(fs.readFileSync(path.join(out, 'hang.log'), 'utf8'), /timed out after 45s, in cell 3/);
    assert.ok(fs.existsSync(path.join(out, 'hang.html')), 'the partial copy is exported too');
    assert.deepEqual(processesWith(marker), [], 'the kernel\'s child was killed with its process group');
  } finally {
    for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL'); // only this test's own child
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
