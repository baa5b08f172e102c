/**
 * Where the repository is, and paths as notebooks print them. No dependency beyond node: the run
 * workers import it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

function isPrimedRoot(dir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'primed';
  } catch {
    return false;
  }
}

/**
 * A path as notebooks print it: relative to the working directory (`../runs/nb-mini` from
 * notebooks/) when it lies in the repository, so that committed outputs carry no machine's
 * absolute folders (a temporary worktree's `/tmp/...`); a path outside the repository (your own
 * datasets or checkpoints) stays absolute, as configured.
 */
export function displayPath(p: string, cwd: string = process.cwd()): string {
  const abs = path.resolve(cwd, p);
  const root = primedRootAbove(cwd) ?? path.resolve(cwd); // outside a checkout: only paths below cwd are shortened
  const inRepo = abs === root || abs.startsWith(root + path.sep);
  return inRepo ? path.relative(cwd, abs) || '.' : abs;
}

/** The nearest folder at or above `from` whose package.json is primed's, if any. */
function primedRootAbove(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (isPrimedRoot(dir)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Finds the repo root: the nearest folder at or above `from` whose package.json is primed's. */
export function findRepoRoot(from: string = process.cwd()): string {
  const root = primedRootAbove(from) ?? primedRootAbove(__dirname);
  if (root) return root;
  throw new Error(`setup: cannot find the primed repo root above ${from}; pass option root`);
}
