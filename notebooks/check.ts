/**
 * The notebooks' own checks. Each `notebooks/NN-name.ipynb` is its own source: edit it in
 * JupyterLab, the classic Notebook or VS Code (or as JSON) and commit it; no generator overwrites it.
 *
 *   npx tsx notebooks/check.ts typecheck [nb.ipynb ...]  type-check every code cell (all notebooks by default)
 *   npx tsx notebooks/check.ts verify [nb.ipynb ...]     the committed outputs came from the committed code
 *   npx tsx notebooks/check.ts adopt [name ...]          copy executed notebooks (notebooks/executed/, from
 *                                                        `bash notebooks/run.sh`) over the sources, with their outputs
 *
 * **typecheck** writes each notebook's code cells, in order, into one TypeScript module (tslab runs
 * them as one program: a later cell sees an earlier cell's declarations) and compiles them with the
 * repo's TypeScript against the library's sources (`../dist/src` and `../dist/kernel-lib` resolve to
 * `src/` and `kernel-lib/`, so no build is needed). Errors name the notebook, the cell and its line.
 *
 * **verify**: run.sh stamps each executed copy with the SHA-256 of its code cells
 * (`metadata.primed.source_sha256`, with the budget and the wall time); a committed notebook
 * whose code differs from the code that produced its outputs, that stopped early or failed, or
 * that is over 2 MB, fails (test/notebook-sources.test.ts runs this in `npm test`).
 *
 * **adopt** refuses an executed copy whose cells differ from the source notebook's (an edit
 * made while it ran), and replaces the inlined plotly.js (4.7 MB, for offline use) with a loader
 * from the plotly CDN: a committed notebook stays small; offline its figures show their PNG.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
/** Largest committed notebook, bytes. */
export const MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024;

/** The parts of an nbformat-4 notebook read here. */
export interface NotebookFile {
  /** Cells in order. */
  cells: NotebookCell[];
  /** Notebook metadata; `primed` is run.sh's stamp. */
  metadata: { primed?: RunStamp; [key: string]: unknown };
  [key: string]: unknown;
}
/** One cell. */
export interface NotebookCell {
  /** `code` or `markdown`. */
  cell_type: string;
  /** Source lines (or one string). */
  source: string | string[];
  /** Execution count (code cells). */
  execution_count?: number | null;
  /** Outputs (code cells). */
  outputs?: { output_type: string; data?: Record<string, unknown>; text?: string | string[]; ename?: string; evalue?: string }[];
  [key: string]: unknown;
}
/** What run.sh records in an executed copy (`metadata.primed`). */
export interface RunStamp {
  /** {@link codeHash} of the code that ran. */
  source_sha256: string;
  /** `ok`, or how the run ended (`failed`, `timed out`, `stopped`). */
  status: string;
  /** PRIMED_SCALE. */
  scale: string;
  /** PRIMED_NOTEBOOK_STEPS (empty: the recipe's). */
  steps: string;
  /** Wall time of the run, seconds. */
  seconds: number;
  /** When it ran (ISO 8601). */
  executed: string;
}

/** A cell's source as one string. */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** The notebook's code cells' sources, in order. */
export function codeCells(nb: NotebookFile): string[] {
  return nb.cells.filter((c) => c.cell_type === 'code').map(cellSource);
}

/** SHA-256 of the code cells (each followed by a NUL byte): what run.sh stamps; Markdown edits do not change it. */
export function codeHash(nb: NotebookFile): string {
  const h = createHash('sha256');
  for (const s of codeCells(nb)) h.update(Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]));
  return h.digest('hex');
}

/** Reads a notebook; errors name the file. */
export function readNotebook(file: string): NotebookFile {
  let nb: NotebookFile;
  try {
    nb = JSON.parse(fs.readFileSync(file, 'utf8')) as NotebookFile;
  } catch (err) {
    throw new Error(`${file}: not a readable notebook (${(err as Error).message})`);
  }
  if (!Array.isArray(nb.cells)) throw new Error(`${file}: no "cells" array`);
  return nb;
}

/** The committed notebooks, `notebooks/[0-9]*.ipynb`, sorted. */
export function committedNotebooks(): string[] {
  return fs.readdirSync(NOTEBOOKS).filter((f) => /^[0-9].*\.ipynb$/.test(f)).sort().map((f) => path.join(NOTEBOOKS, f));
}

// ---------------------------------------------------------------------------------------------
// typecheck

/** One type error, placed in its notebook cell. */
export interface NotebookTypeError {
  /** The notebook file. */
  notebook: string;
  /** 1-based index among all cells (as Jupyter counts them), or 0 when outside any cell. */
  cell: number;
  /** 1-based line in that cell. */
  line: number;
  /** tsc's message. */
  message: string;
}

/**
 * Type-checks the code cells of `files` (see the module comment). Resolves to the errors found
 * in the notebooks' own code (errors inside the library are the library typecheck's business).
 */
export function typecheckNotebooks(files: readonly string[]): NotebookTypeError[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-nbcheck-'));
  try {
    fs.mkdirSync(path.join(tmp, 'notebooks'));
    fs.mkdirSync(path.join(tmp, 'dist'));
    fs.symlinkSync(path.join(ROOT, 'src'), path.join(tmp, 'dist', 'src'), 'dir');
    fs.symlinkSync(path.join(ROOT, 'kernel-lib'), path.join(tmp, 'dist', 'kernel-lib'), 'dir');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
    // Where each line of a generated module came from: [module file] -> line -> (cell, line in cell)
    const origin = new Map<string, { notebook: string; at: { cell: number; line: number }[] }>();
    for (const file of files) {
      const nb = readNotebook(file);
      const lines: string[] = [];
      const at: { cell: number; line: number }[] = [];
      nb.cells.forEach((cell, i) => {
        if (cell.cell_type !== 'code') return;
        // tslab's own magics and shell escapes are not TypeScript
        cellSource(cell).split('\n').forEach((text, j) => {
          lines.push(/^\s*%/.test(text) ? '' : text);
          at.push({ cell: i + 1, line: j + 1 });
        });
        lines.push(';');
        at.push({ cell: i + 1, line: 0 });
      });
      const name = path.basename(file, '.ipynb').replace(/[^A-Za-z0-9_-]/g, '_') + '.ts';
      // `export {}`: a module even without imports (top-level await needs one)
      fs.writeFileSync(path.join(tmp, 'notebooks', name), lines.join('\n') + '\nexport {};\n');
      origin.set(name, { notebook: file, at: at });
    }
    fs.writeFileSync(path.join(tmp, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        // tslab runs cells as CommonJS with top-level await; "bundler" resolution accepts the notebooks'
        // extensionless directory imports (../dist/src) under an ES module target that allows the await.
        target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: ['node'],
        strict: true, esModuleInterop: true, resolveJsonModule: true, skipLibCheck: true, noEmit: true,
      },
      include: ['notebooks/*.ts'],
    }));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(tmp, 'tsconfig.json'), '--pretty', 'false'], { cwd: tmp, encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`;
    if (r.status !== 0 && !/error TS/.test(out)) throw new Error(`tsc failed to run (exit ${r.status}):\n${out}`);
    const errors: NotebookTypeError[] = [];
    let last: NotebookTypeError | undefined;
    for (const text of out.split('\n')) {
      const m = /^notebooks\/([^()]+)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(text);
      if (m) {
        const o = origin.get(m[1]);
        if (!o) continue;
        const where = o.at[Number(m[2]) - 1] ?? { cell: 0, line: 0 };
        last = { notebook: o.notebook, cell: where.cell, line: where.line, message: m[4] };
        errors.push(last);
      } else if (/^\s/.test(text) && last) {
        last.message += `\n${text}`;
      } else {
        last = undefined;
      }
    }
    if (r.status !== 0 && errors.length === 0) {
      // errors only outside the notebooks' code: report them, not silence
      throw new Error(`tsc reported errors outside the notebooks' cells (run the library typecheck):\n${out.slice(0, 4000)}`);
    }
    return errors;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// verify

/** What is wrong with a committed notebook's outputs (empty = nothing). */
export function verifyNotebook(file: string): string[] {
  const problems: string[] = [];
  const size = fs.statSync(file).size;
  if (size > MAX_NOTEBOOK_BYTES) problems.push(`${(size / 1024 / 1024).toFixed(1)} MB, over the ${MAX_NOTEBOOK_BYTES / 1024 / 1024} MB limit (plotly.js inlined? run \`npx tsx notebooks/check.ts adopt\`)`);
  const nb = readNotebook(file);
  const stamp = nb.metadata.primed;
  if (!stamp) return [...problems, 'no run stamp (metadata.primed): commit the copy that `bash notebooks/run.sh` executed, with `npx tsx notebooks/check.ts adopt`'];
  if (stamp.status !== 'ok') problems.push(`its run ended "${stamp.status}"`);
  if (stamp.source_sha256 !== codeHash(nb)) problems.push('its code cells differ from the code that produced its outputs: re-run it (bash notebooks/run.sh <notebook>) and adopt the executed copy');
  let expected = 1;
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    if (cell.execution_count !== expected) problems.push(`cell ${i + 1}: execution count ${cell.execution_count ?? 'none'}, expected ${expected} (not run in order from a fresh kernel)`);
    expected = (cell.execution_count ?? expected) + 1;
    for (const o of cell.outputs ?? []) {
      if (o.output_type === 'error') problems.push(`cell ${i + 1}: error output ${o.ename}: ${o.evalue}`);
      const html = o.data?.['text/html'];
      const htmlText = Array.isArray(html) ? html.join('') : typeof html === 'string' ? html : '';
      if (htmlText.length > 1024 * 1024) problems.push(`cell ${i + 1}: an HTML output of ${(htmlText.length / 1024 / 1024).toFixed(1)} MB (plotly.js inlined?)`);
      if (o.data?.['application/vnd.plotly.v1+json'] && !o.data['image/png']) problems.push(`cell ${i + 1}: a figure without its static PNG (code hosts show only the PNG)`);
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// adopt

/** The plotly.js loader a committed notebook carries instead of the inlined library: from the CDN, when online and trusted. */
export function cdnPlotlyLoader(version: string): string {
  const url = `https://cdn.plot.ly/plotly-${version}.min.js`;
  // requirejs (classic Notebook) would capture plotly as an AMD module: hide `define` while it loads
  return `<script type="text/javascript">if (!window.Plotly) { (function () { var d = window.define; window.define = undefined; var s = document.createElement('script'); s.src = '${url}'; s.onload = s.onerror = function () { window.define = d; }; document.head.appendChild(s); })(); }</script>` +
    `<span style="color:#888;font-size:smaller">plotly.js ${version} (from cdn.plot.ly; offline, the figures show their static images)</span>`;
}

/**
 * Copies the executed notebook `executed` over `source`, with its outputs; refuses when their
 * cells differ or the run did not end ok. The inlined plotly.js becomes a CDN loader.
 */
export function adoptExecuted(executed: string, source: string): { bytes: number } {
  const run = readNotebook(executed);
  const src = readNotebook(source);
  const stamp = run.metadata.primed;
  if (!stamp) throw new Error(`${executed}: no run stamp (metadata.primed); was it written by notebooks/run.sh?`);
  if (stamp.status !== 'ok') throw new Error(`${executed}: its run ended "${stamp.status}"; fix it and run it again`);
  const differs = run.cells.length !== src.cells.length || run.cells.some((c, i) => c.cell_type !== src.cells[i].cell_type || cellSource(c) !== cellSource(src.cells[i]));
  if (differs) throw new Error(`${source} changed since ${executed} ran (or the other way round): run it again`);
  // A copy whose run ended ok ran every code cell, in order, in one fresh kernel (run.sh stops at the
  // first failure); run.sh numbers them, and this numbers a copy from before it did.
  let count = 0;
  for (const cell of run.cells) if (cell.cell_type === 'code') cell.execution_count ??= ++count;
  for (const cell of run.cells) {
    for (const o of cell.outputs ?? []) {
      const plain = o.data?.['text/plain'];
      const m = /^plotly\.js (\S+) loaded$/.exec((Array.isArray(plain) ? plain.join('') : String(plain ?? '')).trim());
      if (m && o.data) o.data['text/html'] = cdnPlotlyLoader(m[1]);
    }
  }
  const text = JSON.stringify(run, null, 1) + '\n';
  const tmp = `${source}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, source);
  return { bytes: Buffer.byteLength(text) };
}

// ---------------------------------------------------------------------------------------------

function notebookArgs(args: string[]): string[] {
  return args.length ? args.map((a) => path.resolve(a)) : committedNotebooks();
}

function main(argv: string[]): number {
  const [command, ...args] = argv;
  if (command === 'typecheck') {
    const files = notebookArgs(args);
    const errors = typecheckNotebooks(files);
    for (const e of errors) console.error(`${path.relative(process.cwd(), e.notebook)}: cell ${e.cell}, line ${e.line}: ${e.message}`);
    console.log(`notebooks typecheck: ${files.length} notebook(s), ${errors.length} error(s)`);
    return errors.length ? 1 : 0;
  }
  if (command === 'verify') {
    let bad = 0;
    for (const file of notebookArgs(args)) {
      const problems = verifyNotebook(file);
      if (problems.length) bad++;
      for (const p of problems) console.error(`${path.relative(process.cwd(), file)}: ${p}`);
    }
    return bad ? 1 : 0;
  }
  if (command === 'adopt') {
    const out = process.env.NOTEBOOK_OUT ?? path.join(NOTEBOOKS, 'executed');
    const names = args.length ? args.map((a) => path.basename(a, '.ipynb')) : committedNotebooks().map((f) => path.basename(f, '.ipynb'));
    for (const name of names) {
      const { bytes } = adoptExecuted(path.join(out, `${name}.ipynb`), path.join(NOTEBOOKS, `${name}.ipynb`));
      const stamp = readNotebook(path.join(NOTEBOOKS, `${name}.ipynb`)).metadata.primed!;
      console.log(`adopted ${name}.ipynb: ${(bytes / 1024).toFixed(0)} KB, ran ${stamp.seconds} s at ${stamp.scale} scale, steps ${stamp.steps || 'recipe'}`);
    }
    return 0;
  }
  console.error('usage: npx tsx notebooks/check.ts typecheck|verify|adopt [notebook ...]');
  return 2;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
