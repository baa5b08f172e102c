/**
 * Where the bundled data (`data/` at the repository or package root) lives: `PRIMED_DATA_DIR`
 * when set, otherwise the nearest `data/` folder above this module that holds `data/medmnist`.
 * Works from `src/` (tsx) and from `dist/src/` (compiled) alike.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The bundled data folder; throws saying what was looked for when it is absent. */
export function bundledDataDir(): string {
  const env = process.env.PRIMED_DATA_DIR;
  if (env) return path.resolve(env);
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'data');
    if (fs.existsSync(path.join(candidate, 'medmnist'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`bundled data not found: no data/medmnist folder above ${__dirname}; set PRIMED_DATA_DIR to the folder holding medmnist/, labels/ and captions/`);
}
