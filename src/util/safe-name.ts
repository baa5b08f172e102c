/**
 * Names that become one path segment (a benchmark, tag, task or class folder name from the
 * command line or from a file) must never escape their parent folder.
 */
import * as path from 'node:path';

/**
 * Checks that `name` is usable as a single path segment: non-empty, not `.` or `..`, without
 * `/`, `\` or NUL. `what` names the value in the error (e.g. `option --benchmark`, `tasks.json: tasks[2].name`).
 */
export function checkPathSegment(name: unknown, what: string): string {
  if (typeof name !== 'string' || name === '') throw new Error(`${what}: must be a non-empty name, got ${JSON.stringify(name)}`);
  if (name === '.' || name === '..' || /[/\\\0]/.test(name) || path.isAbsolute(name)) {
    throw new Error(`${what}: ${JSON.stringify(name)} is not a plain name (no "/", "\\", "..", or NUL); it must not leave its parent folder`);
  }
  return name;
}

/** `path.join(parent, ...segments)` after checking each segment with {@link checkPathSegment}. */
export function childPath(parent: string, segments: readonly string[], what: string): string {
  for (const s of segments) checkPathSegment(s, what);
  return path.join(parent, ...segments);
}
