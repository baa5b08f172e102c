/**
 * Issue 13, end to end with real processes: `primed evaluate` killed with SIGKILL while it
 * trains a task, and again while it writes its state, resumes to exactly the matrix of an
 * uninterrupted run; and a second `primed evaluate` into the folder being written is refused,
 * naming the first one's pid (before, both printed success and one result was overwritten).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

const CLI = path.join(__dirname, '..', 'bin', 'primed.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-kill-'));
const env = { ...process.env, PRIMED_CACHE_DIR: path.join(tmp, 'cache') };
const ARGS = ['--method', 'finetune', '--order', 'I', '--steps', '2', '--json'];

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(out: string, extra: string[] = []): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [CLI, 'evaluate', ...ARGS, '--out', out, ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Finished>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

function rowsDone(out: string): number {
  try {
    return (JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as { rowsDone: number }).rowsDone;
  } catch {
    return -1;
  }
}

/** Polls every millisecond until `ready()` or the child exits; SIGKILLs it when ready. Resolves true when the kill landed. */
async function killWhen(p: { child: ChildProcess; done: Promise<Finished> }, ready: () => boolean): Promise<boolean> {
  let exited = false;
  void p.done.then(() => (exited = true));
  while (!exited) {
    if (ready()) {
      p.child.kill('SIGKILL');
      const f = await p.done;
      return f.signal === 'SIGKILL';
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  return false;
}

/** Whether a write is under way in the run folder: a temp file or temp folder of an atomic write. */
function writing(out: string): boolean {
  for (const sub of ['', 'state', 'checkpoints']) {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(out, sub));
    } catch {
      continue;
    }
    if (names.some((n) => n.endsWith('.tmp') || n.includes('.tmp-'))) return true;
  }
  return false;
}

test('primed evaluate killed with SIGKILL mid-task and mid-write resumes to the uninterrupted matrix; a second writer is refused', async () => {
  const whole = start(path.join(tmp, 'whole'));
  const w = await whole.done;
  assert.equal(w.code, 0, w.stderr);
  const expected = JSON.parse(w.stdout) as { matrix: number[][]; zeroShot: number[] };

  const out = path.join(tmp, 'killed');
  // 1. killed while training task 1 (row 0 recorded, row 1 not)
  const a = start(out);
  // meanwhile a second writer (another seed) into the same folder is refused, naming the first
  let aDone = false;
  void a.done.then(() => (aDone = true));
  while (!fs.existsSync(path.join(tmp, '.killed.lock')) && !aDone) await new Promise((r) => setTimeout(r, 5));
  assert.ok(fs.existsSync(path.join(tmp, '.killed.lock')), 'the writer holds a lock file beside the run folder');
  const second = await start(out, ['--seed', '7']).done;
  assert.notEqual(second.code, 0);
  assert.match(second.stderr, new RegExp(`being written by process ${a.child.pid}\\b`));
  assert.ok(await killWhen(a, () => rowsDone(out) >= 1), 'the first kill landed mid-task');
  assert.ok(rowsDone(out) >= 1 && rowsDone(out) < 5, `killed after ${rowsDone(out)} rows`);
  assert.ok(fs.existsSync(path.join(tmp, '.killed.lock')), 'the killed writer left its lock behind');

  // 2. resumed (the dead writer's lock is cleared), then killed again while it writes state or results
  let landedMidWrite = false;
  for (let attempt = 0; attempt < 3 && rowsDone(out) < 5; attempt++) {
    const b = start(out);
    if (await killWhen(b, () => writing(out))) landedMidWrite = true;
    else assert.equal((await b.done).code, 0);
  }
  assert.ok(landedMidWrite, 'a kill landed during a write');

  // 3. resumed to the end: the same matrix as the uninterrupted run, and nothing half-written left
  const c = start(out);
  const f = await c.done;
  assert.equal(f.code, 0, f.stderr);
  const r = JSON.parse(f.stdout) as { matrix: number[][]; zeroShot: number[]; resumedAtRow: number[] };
  assert.deepEqual(r.matrix, expected.matrix, 'row for row');
  assert.deepEqual(r.zeroShot, expected.zeroShot);
  assert.ok(r.resumedAtRow.length >= 1);
  assert.equal(fs.existsSync(path.join(tmp, '.killed.lock')), false, 'the lock is released');
  // a finished run keeps only what a reader needs: no learner state, no mid-task checkpoint
  assert.equal(fs.existsSync(path.join(out, 'state')), false);
  assert.equal(fs.existsSync(path.join(out, 'checkpoints')), false);
  assert.deepEqual(fs.readdirSync(out).filter((n) => n.includes('.tmp')), []);
  assert.deepEqual(fs.readdirSync(tmp).filter((n) => n.includes('.tmp-') || n.includes('.old-')), []);
});
