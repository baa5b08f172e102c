/**
 * File writes that never leave a half-written file: write to a temp name beside the target,
 * fsync, then rename (atomic on POSIX filesystems). A killed process leaves either the old
 * file or the new one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';

/** Writes `data` to `file` atomically (temp file + fsync + rename), creating parent folders. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Writes `value` as pretty JSON atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Replaces directory `dir` with the contents that `fill(tmpDir)` writes, atomically: the new
 * directory is built under a temp name (`.<name>.tmp-<pid>-*`) and swapped in by rename, so
 * readers see the old directory or the new one, never a mix. The old directory is kept (as
 * `<name>.old-<pid>-<time>`) until the new one is in place. Before writing, a swap that a killed
 * process left half done is recovered ({@link recoverDirSwap}), and temp and old folders left by
 * dead processes are removed.
 */
export async function replaceDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  recoverDirSwap(dir);
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-${process.pid}-`));
  try {
    await fill(tmp);
    const old = `${dir}.old-${process.pid}-${Date.now()}`;
    const hadOld = fs.existsSync(dir);
    if (hadOld) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    if (hadOld) fs.rmSync(old, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Repairs what a process killed inside {@link replaceDirAtomic} left beside `dir`: when `dir` is
 * missing and `<name>.old-*` holds the previous contents (killed between the two renames), the
 * newest old folder is put back (`isComplete`, when given, must accept it); then temp folders
 * (`.<name>.tmp-<pid>-*`) and old folders (`<name>.old-<pid>-*`) whose process is dead are
 * removed. Folders of live processes are left alone. Returns the names it restored or removed.
 */
export function recoverDirSwap(dir: string, isComplete?: (candidate: string) => boolean): string[] {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  const base = path.basename(abs);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const touched: string[] = [];
  const oldRe = new RegExp(`^${escapeRe(base)}\\.old-(\\d+)-(\\d+)$`);
  const tmpRe = new RegExp(`^\\.${escapeRe(base)}\\.tmp-(\\d+)-`);
  const olds = names
    .map((n) => ({ n, m: oldRe.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[2]) - Number(b.m[2]));
  if (!fs.existsSync(abs)) {
    const last = [...olds].reverse().find((o) => !pidAlive(Number(o.m[1])) && (!isComplete || isComplete(path.join(parent, o.n))));
    if (last) {
      fs.renameSync(path.join(parent, last.n), abs);
      touched.push(last.n);
    }
  }
  for (const n of names) {
    if (touched.includes(n)) continue;
    const m = oldRe.exec(n) ?? tmpRe.exec(n);
    if (m && !pidAlive(Number(m[1]))) {
      fs.rmSync(path.join(parent, n), { recursive: true, force: true });
      touched.push(n);
    }
  }
  return touched;
}

/**
 * Removes the temp files {@link writeFileAtomic} left in folder `dir` when its process was killed
 * mid-write (`<name>.<pid>.<time>.tmp` whose pid is dead). Returns the names removed.
 */
export function removeStaleTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = /\.(\d+)\.\d+\.tmp$/.exec(n);
    if (m && !pidAlive(Number(m[1]))) {
      fs.rmSync(path.join(dir, n), { force: true });
      removed.push(n);
    }
  }
  return removed;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Reads and parses a JSON file; errors name the file. */
export function readJson<T = unknown>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
  }
}

/** Hex SHA-256 of a stable JSON rendering of `value` (object keys sorted), for cache keys. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

/** JSON with object keys sorted, so equal values give equal strings. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (ArrayBuffer.isView(value)) return stableStringify(Array.from(value as unknown as ArrayLike<number>));
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
    .join(',')}}`;
}
