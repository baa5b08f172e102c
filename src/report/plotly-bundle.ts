/**
 * The plotly.js bundle (`plotly.js-dist-min`, installed with primed), read once from
 * node_modules and made safe to inline in a `<script>` element, so HTML files and notebook
 * outputs work offline with no CDN.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The bundle's source and version. */
export interface PlotlyBundle {
  /** JavaScript source; defines `window.Plotly`. Safe inside `<script>...</script>`. */
  source: string;
  /** plotly.js version, e.g. `3.7.0`. */
  version: string;
  /** Where it was read from. */
  file: string;
}

let cached: PlotlyBundle | undefined;

/** Reads (once) and returns the plotly.js bundle; the error says how to install it when missing. */
export function plotlyBundle(): PlotlyBundle {
  if (cached) return cached;
  let pkgJson: string;
  try {
    pkgJson = require.resolve('plotly.js-dist-min/package.json');
  } catch {
    throw new Error('plotly.js-dist-min is not installed (it is a dependency of primed: run `npm ci`)');
  }
  const dir = path.dirname(pkgJson);
  const file = path.join(dir, 'plotly.min.js');
  const version = (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  // `</script` would end the element early; `<\/script` means the same in JS strings and regexes.
  const source = fs.readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
  cached = { source, version, file };
  return cached;
}

/** JSON for embedding in a `<script>`: `<`, U+2028 and U+2029 escaped so no data can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
