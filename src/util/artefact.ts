/**
 * Never delete what primed did not create: before a command writes an artefact (a memory, a
 * model) into a folder that may already exist, the folder must be missing, empty, or an
 * artefact of the same kind, and replacing one needs an explicit flag. The old artefact stays
 * until the new one is complete (`replaceDirAtomic`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** How to recognise an artefact kind, and how to ask for its replacement. */
export interface ArtefactKind {
  /** What it is, for messages (e.g. `memory`, `model`). */
  name: string;
  /** Whether folder `dir` holds an artefact of this kind. */
  isArtefact(dir: string): boolean;
  /** How the caller asks for a replacement, for messages (e.g. `--replace`, `option replace: true`). */
  replaceHint: string;
}

/**
 * Checks that writing a `kind` artefact into `dir` deletes nothing the user made: `dir` is
 * missing, an empty folder, or (with `replace`) an artefact of that kind. Anything else is an
 * error naming the folder, what is in it, and the flag; nothing is written or removed.
 */
export function checkArtefactTarget(dir: string, kind: ArtefactKind, replace: boolean): void {
  checkParentWritable(dir, kind);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new Error(`${dir}: lies under a path that is a file, not a folder; choose another folder for the ${kind.name}`);
    throw new Error(`${dir}: cannot use this folder for the ${kind.name} (${code})`);
  }
  if (!st.isDirectory()) throw new Error(`${dir}: is a file, not a folder; refusing to replace it with a ${kind.name}`);
  const names = fs.readdirSync(dir);
  if (names.length === 0) return;
  if (kind.isArtefact(dir)) {
    if (replace) return;
    throw new Error(`${dir}: already holds a ${kind.name}; pass ${kind.replaceHint} to replace it (the old one is kept until the new one is complete), or choose another folder`);
  }
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, ... (${names.length} entries)` : '');
  throw new Error(`${dir}: is not empty and does not hold a ${kind.name} (it holds ${shown}); refusing to write over it. Choose a new or empty folder`);
}

/** The artefact is written beside `dir` (temp folder, then a rename): its nearest existing ancestor must be a writable folder. */
function checkParentWritable(dir: string, kind: ArtefactKind): void {
  let p = path.dirname(path.resolve(dir));
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(p);
    } catch {
      st = undefined;
    }
    if (st) {
      if (!st.isDirectory()) throw new Error(`${dir}: lies under ${p}, which is a file, not a folder; choose another folder for the ${kind.name}`);
      try {
        fs.accessSync(p, fs.constants.W_OK | fs.constants.X_OK);
      } catch {
        throw new Error(`${dir}: cannot write the ${kind.name} here, ${p} is not writable; choose a folder you can write to`);
      }
      return;
    }
    const up = path.dirname(p);
    if (up === p) return;
    p = up;
  }
}

/** Whether `inner` is `outer` or lies inside it (after resolving both). */
export function isInside(inner: string, outer: string): boolean {
  const rel = path.relative(path.resolve(outer), path.resolve(inner));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
