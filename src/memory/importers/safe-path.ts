/**
 * Keeps imported image paths inside the import root: absolute paths, `..` escapes and
 * symlinks that resolve outside the root are refused, naming the entry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Checks that `rel` names an existing file inside `root` and returns it normalised with `/`
 * separators. `where` names the entry in errors.
 */
export function safeRelativePath(root: string, rel: string, where: string): string {
  if (path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.startsWith('\\')) {
    throw new Error(`${where}: image path ${JSON.stringify(rel)} is absolute; paths must be relative to the import root ${root}`);
  }
  const norm = path.posix.normalize(rel.replace(/\\/g, '/'));
  if (norm === '..' || norm.startsWith('../')) {
    throw new Error(`${where}: image path ${JSON.stringify(rel)} leaves the import root ${root}`);
  }
  const full = path.join(root, norm);
  let real: string;
  try {
    real = fs.realpathSync(full);
  } catch {
    throw new Error(`${where}: image ${JSON.stringify(rel)} not found under ${root}`);
  }
  const realRoot = fs.realpathSync(root);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new Error(`${where}: image path ${JSON.stringify(rel)} resolves outside the import root ${root} (through a symlink)`);
  }
  if (!fs.statSync(real).isFile()) throw new Error(`${where}: image ${JSON.stringify(rel)} is not a file`);
  return norm;
}
