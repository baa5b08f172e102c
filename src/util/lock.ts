/**
 * One writer per folder: an advisory lock file beside the folder (`<parent>/.<name>.lock`, so it
 * survives the folder being swapped by `replaceDirAtomic` or emptied by `--fresh`). It holds the
 * writer's pid, host, start time and command. A second writer is refused with an error naming
 * the holder's pid; a lock left by a process that no longer exists (killed with `kill -9`) is
 * detected and cleared. Within one process the lock is re-entrant (a CLI command that locks a
 * run folder may call `evaluateMGTIL`, which locks it again).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What a lock file holds. */
export interface LockInfo {
  /** Process id of the writer. */
  pid: number;
  /** Host name of the writer (a lock from another host is never treated as stale). */
  host: string;
  /** When the lock was taken (ISO 8601). */
  since: string;
  /** The writer's command line (for the error a second writer gets). */
  command: string;
}

/** Raised when another live process holds the lock. */
export class LockHeldError extends Error {
  /** Creates the error; `holder` is what the lock file says. */
  constructor(
    message: string,
    /** The lock file's contents. */
    readonly holder: LockInfo,
  ) {
    super(message);
    this.name = 'LockHeldError';
  }
}

/** A held lock; `release()` removes the lock file (once the last re-entrant holder releases). */
export interface FolderLock {
  /** The lock file. */
  readonly file: string;
  /** Releases the lock (idempotent). */
  release(): void;
}

const held = new Map<string, { count: number; file: string }>();
let exitHookInstalled = false;

/** Path of the lock file guarding folder `dir`. */
export function lockFileFor(dir: string): string {
  const abs = path.resolve(dir);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.lock`);
}

/** Whether process `pid` exists on this host (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A buffer to block on for short synchronous waits (Atomics.wait), the lock being synchronous. */
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return v && typeof v === 'object' && Number.isInteger(v.pid) ? v : undefined;
  } catch {
    return undefined;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const { file } of held.values()) {
      const info = readLock(file);
      if (info?.pid === process.pid) fs.rmSync(file, { force: true });
    }
    held.clear();
  });
}

/**
 * Takes the write lock of folder `dir` (which need not exist yet), or throws
 * {@link LockHeldError} naming the pid that holds it. `what` names the folder's kind in the
 * error (e.g. `run folder`, `memory`). Stale locks (dead pid on this host, or an unreadable lock
 * file older than a minute) are removed and the lock is taken.
 */
export function acquireFolderLock(dir: string, what = 'folder'): FolderLock {
  const key = path.resolve(dir);
  const file = lockFileFor(key);
  const mine = held.get(key);
  if (mine) {
    mine.count++;
    return releaser(key, file);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const info: LockInfo = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  let waitedMs = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new Error(`${file}: cannot create the lock file of ${what} ${key} (${code ?? (err as Error).message})`);
      const other = readLock(file);
      if (other) {
        if (other.host === info.host && !processAlive(other.pid)) {
          fs.rmSync(file, { force: true }); // stale: its writer is gone
          continue;
        }
        throw new LockHeldError(
          `${key}: this ${what} is being written by process ${other.pid}${other.host !== info.host ? ` on ${other.host}` : ''} (since ${other.since}: ${other.command}); wait for it to finish, or stop it, then retry (lock file ${file})`,
          other,
        );
      }
      // Unreadable: a writer between open and write, or a torn file. Old ones are stale.
      let age = 0;
      try {
        age = Date.now() - fs.statSync(file).mtimeMs;
      } catch {
        continue;
      }
      if (age > 60_000) {
        fs.rmSync(file, { force: true });
        continue;
      }
      // A writer between its open and its write (milliseconds, longer on a loaded machine): wait for
      // it, up to two seconds, so that the refusal can name its pid.
      if (waitedMs < 2_000) {
        Atomics.wait(SLEEPER, 0, 0, 20);
        waitedMs += 20;
        attempt--;
        continue;
      }
      throw new LockHeldError(`${key}: this ${what} is being locked by another process (lock file ${file} is being written); retry in a moment`, { pid: 0, host: '', since: '', command: '' });
    }
    try {
      fs.writeSync(fd, JSON.stringify(info) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    held.set(key, { count: 1, file });
    installExitHook();
    return releaser(key, file);
  }
  throw new Error(`${file}: could not take the lock of ${what} ${key} after clearing stale locks`);
}

function releaser(key: string, file: string): FolderLock {
  let done = false;
  return {
    file,
    release() {
      if (done) return;
      done = true;
      const h = held.get(key);
      if (!h) return;
      if (--h.count > 0) return;
      held.delete(key);
      if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
    },
  };
}

/** Runs `fn` holding the write lock of `dir` (see {@link acquireFolderLock}); releases it after, also on error. */
export async function withFolderLock<T>(dir: string, what: string, fn: () => Promise<T> | T): Promise<T> {
  const lock = acquireFolderLock(dir, what);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
