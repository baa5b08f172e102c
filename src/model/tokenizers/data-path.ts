/**
 * Where the vocabularies shipped in `data/tokenizers/` are, whether this code runs from `src/`
 * (tsx) or from the compiled `dist/src/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Absolute path of `data/tokenizers/<file>` in the primed package. */
export function bundledTokenizerFile(file: string): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'data', 'tokenizers', file);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`data/tokenizers/${file}: not found above ${__dirname} (is the primed package complete?)`);
    }
    dir = parent;
  }
}
