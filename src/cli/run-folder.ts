/**
 * The `--out` folder of a command: clear errors for a path that is a file or cannot be written,
 * and `--fresh` that only ever removes a folder holding a primed run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './command';

/** Whether `dir/result.json` is the result file of a primed run (the protocol's version-1 format). */
export function holdsPrimedRun(dir: string): boolean {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')) as { version?: unknown; tasks?: unknown; matrix?: unknown };
    return r.version === 1 && Array.isArray(r.tasks) && Array.isArray(r.matrix);
  } catch {
    return false;
  }
}

/**
 * Checks that `dir` (option `--<option>`) can be a folder this command writes: it is a folder or
 * does not exist yet, and its nearest existing ancestor is a writable folder. Errors name the
 * option and say what is wrong instead of a raw EEXIST/ENOTDIR/EACCES.
 */
export function checkWritableFolder(dir: string, option: string): void {
  let p = path.resolve(dir);
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new UsageError(`option --${option}: ${dir} lies under a path that is a file, not a folder`);
      if (code !== 'ENOENT') throw new UsageError(`option --${option}: cannot use ${dir} (${code})`);
    }
    if (st) {
      if (!st.isDirectory()) {
        throw new UsageError(p === path.resolve(dir) ? `option --${option}: ${dir} is a file, not a folder; choose a folder` : `option --${option}: ${dir} lies under ${p}, which is a file, not a folder`);
      }
      try {
        fs.accessSync(p, fs.constants.W_OK | fs.constants.X_OK);
      } catch {
        throw new UsageError(`option --${option}: ${p} is not writable; choose a folder you can write to`);
      }
      return;
    }
    const up = path.dirname(p);
    if (up === p) return;
    p = up;
  }
}

/**
 * `--fresh`, checked before any work: `dir` must be missing, an empty folder, or a folder
 * holding a primed run; anything else (a file, a folder of other files) is refused with an error
 * naming it. Nothing is removed here: the run itself discards the old one, after every argument
 * was validated, under the folder's lock (`evaluateMGTIL({ fresh: true })`).
 */
export function checkFreshAllowed(dir: string): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new UsageError(`option --fresh: ${dir} is a file, not a run folder; nothing was removed`);
  const names = fs.readdirSync(dir);
  if (names.length === 0 || holdsPrimedRun(dir)) return;
  throw new UsageError(
    `option --fresh: ${dir} does not hold a primed run (no valid result.json) but is not empty (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}); refusing to delete it. Choose another --out, or remove it yourself`,
  );
}
