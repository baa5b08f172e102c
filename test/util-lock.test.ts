/**
 * The folder lock (src/util/lock.ts) when a second writer arrives while the first is between
 * creating its lock file and writing its pid into it: the second waits for the pid and names it,
 * instead of a vague refusal (under load that window is long: CI saw it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { acquireFolderLock, lockFileFor, LockHeldError } from '../src/util/lock';

test('a lock file still being written: the second writer waits for its pid and names it', async () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'primed-lock-')), 'runs');
  const file = lockFileFor(dir);
  fs.writeFileSync(file, ''); // the first writer has created its lock file, not yet written it
  // The first writer: fills the lock file in 300 ms, then stays alive.
  const script = `setTimeout(() => require('fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify({ pid: process.pid, host: require('os').hostname(), since: new Date().toISOString(), command: 'first' })), 300); setTimeout(() => {}, 10000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 50));
    assert.throws(
      () => acquireFolderLock(dir, 'run folder'),
      (err: unknown) => err instanceof LockHeldError && err.holder.pid === child.pid && new RegExp(`being written by process ${child.pid}\\b`).test(err.message),
    );
  } finally {
    child.kill('SIGKILL');
  }
});

test('a lock file that stays empty (and is young) is refused after a short wait, naming the lock file; nothing is removed', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'primed-lock-')), 'mem');
  const file = lockFileFor(dir);
  fs.writeFileSync(file, '');
  const t0 = Date.now();
  assert.throws(() => acquireFolderLock(dir, 'memory'), (err: unknown) => err instanceof LockHeldError && err.message.includes(file) && /being locked by another process/.test(err.message));
  assert.ok(Date.now() - t0 >= 1_500, 'it waited for the writer before refusing');
  assert.ok(fs.existsSync(file), 'a young lock file is not removed');
});
