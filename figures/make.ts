/**
 * `npm run figures`: regenerates figures/ from the committed result files, and nothing else.
 *
 * 1. Reads the benchmark's results files, results/mini-mgtil-*.json written by scripts/summarize-runs.ts
 *    (the finished runs: matrices, zero-shot rows, metrics, configs, seeds); other results files are ablations.
 * 2. Makes the figures (src/report/results-figures.ts): per task order the PRIMED_dyn accuracy
 *    matrix, Fig. 4-style curves of the first task, Fig. 7-style small multiples of the other tasks,
 *    and Table 1-style bars (mean ± sd over seeds); several seeds are averaged.
 * 3. Writes each as interactive HTML (plotly.js loaded from node_modules/, not inlined) and as PNG
 *    (2×) and SVG (headless Chromium); removes figure files it no longer makes; writes
 *    figures/manifest.json (the commit, each source file's and each figure file's sha256) and
 *    figures/README.md (the numbers and captions). test/figures-provenance.test.ts checks them.
 *
 * To add runs: finish them (`primed evaluate` or scripts/run-grid.sh), collect them with
 * scripts/summarize-runs.ts into results/, then run this.
 *
 * Options:
 *   --screenshots   instead: screenshot the executed notebooks' HTML (notebooks/executed/, or NOTEBOOK_OUT,
 *                   written by `bash notebooks/run.sh`) into figures/screenshots/, each cut to start at one figure
 *   --no-images     HTML only (no Chromium)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
// The screenshots use the compiled dist/ (after the build); the figures are made from src/ directly.
import type * as Chromium from '../src/report/chromium'; // the types; the screenshots call the compiled copy in dist/
import { figureHtml, writeFigureImage } from '../src/report/export';
import { hasChromium } from '../src/report/chromium';
import { figuresFromResults, sha256, type ResultFigures, type ResultSource } from '../src/report/results-figures';

const ROOT = path.resolve(__dirname, '..');
/** Where the interactive pages load plotly.js from, relative to figures/ (npm installs it; it is a dependency of primed). */
const PLOTLY_SRC = '../node_modules/plotly.js-dist-min/plotly.min.js';
const OUT = path.join(ROOT, 'figures');
const args = new Set(process.argv.slice(2));

function build(): void {
  if (process.env.SKIP_BUILD === '1') return;
  console.log('figures: npm run build');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('figures: the build failed (see the type errors above)');
}

/** Screenshots of executed notebooks, each scrolled to the heading that starts with `heading`. */
const SHOTS = [
  { notebook: '00-quickstart', heading: '6. What was kept', file: '00-quickstart-forgetting.png', height: 1100 },
  { notebook: '02-hieramedtransfer', heading: 'Fig. 7', file: '02-hieramedtransfer-fig7.png', height: 1100 },
  { notebook: '03-medxtreme', heading: 'Fig. 4', file: '03-medxtreme-fig4.png', height: 1100 },
];

/**
 * The nbconvert HTML export cut so that it starts at the cell holding the heading `heading`
 * (Chromium's --screenshot takes the top of the page). plotly.js, which the set-up cell's
 * output carries, is moved into <head> so the figures below still draw.
 */
function trimToHeading(page: string, heading: string): string {
  const starts: number[] = [];
  for (let i = page.indexOf('<div class="jp-Cell '); i >= 0; i = page.indexOf('<div class="jp-Cell ', i + 1)) starts.push(i);
  const escaped = heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`<h[1-4] id="[^"]*">\\s*${escaped}`).exec(page);
  if (!m || !starts.length) throw new Error(`figures: no heading starting with "${heading}" in the notebook export`);
  const target = starts.filter((i) => i < m.index).pop() ?? starts[0];
  const from = page.indexOf('<script type="text/javascript">if (!window.Plotly)');
  const plotly = from >= 0 ? page.slice(from, page.indexOf('</script>', from) + '</script>'.length) : '';
  const head = page.slice(0, starts[0]).replace(/<\/head>/i, () => `${plotly}</head>`); // a function: plotly's source holds `$&`-like patterns
  return head + page.slice(target);
}

async function screenshots(): Promise<void> {
  const { screenshotHtml } = require('../dist/src/report/chromium') as typeof Chromium;
  const executed = path.resolve(process.env.NOTEBOOK_OUT ?? path.join(ROOT, 'notebooks', 'executed')); // run.sh's output folder
  const dir = path.join(OUT, 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  for (const s of SHOTS) {
    const html = path.join(executed, `${s.notebook}.html`);
    if (!fs.existsSync(html)) {
      console.log(`figures: ${html} is missing (run \`bash notebooks/run.sh\` first); skipped`);
      continue;
    }
    const page = trimToHeading(fs.readFileSync(html, 'utf8'), s.heading);
    const tmp = path.join(executed, `.${s.notebook}.shot.html`);
    fs.writeFileSync(tmp, page);
    try {
      const target = path.join(dir, s.file);
      await screenshotHtml(tmp, target, { width: 1200, height: s.height }, { waitMs: 15000 });
      console.log(`figures: wrote ${path.relative(ROOT, target)} (${Math.round(fs.statSync(target).size / 1024)} KB)`);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
}

/**
 * The committed result files the figures are made from: the benchmark's results, results/mini-mgtil-*.json
 * written by scripts/summarize-runs.ts (other results files hold ablations, e.g. a ZSCL variant, not figures).
 */
function resultSources(): ResultSource[] {
  const dir = path.join(ROOT, 'results');
  return fs
    .readdirSync(dir)
    .filter((f) => /^mini-mgtil-.*\.json$/.test(f))
    .sort()
    .map((f) => ({ file: `results/${f}`, text: fs.readFileSync(path.join(dir, f), 'utf8') }))
    .filter((s) => (JSON.parse(s.text) as { generatedBy?: string }).generatedBy === 'scripts/summarize-runs.ts');
}

/** The commit the figures were made at, with a note when the code or results that make them had uncommitted changes. */
function codeVersion(): string {
  const git = (...a: string[]) => spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const head = git('rev-parse', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--', 'results', 'src/report', 'figures/make.ts');
  return dirty ? `${head} (with uncommitted changes to: ${dirty.split('\n').map((l) => l.slice(3)).join(', ')})` : head;
}

async function figures(): Promise<void> {
  const sources = resultSources();
  if (sources.length === 0) throw new Error('figures: no results/*.json of scripts/summarize-runs.ts to make figures from');
  const made = figuresFromResults(sources);
  const images = !args.has('--no-images') && hasChromium();
  // figures/ holds only what this run makes: earlier figure files that are no longer made go
  for (const f of fs.readdirSync(OUT)) {
    if (/\.(html|png|svg)$/.test(f) && !made.figures.some((m) => f.startsWith(`${m.stem}.`))) fs.rmSync(path.join(OUT, f));
  }
  const entries: { stem: string; caption: string; files: Record<string, string> }[] = [];
  for (const m of made.figures) {
    // plotly.js (4.7 MB) is not inlined in every page: each loads the copy npm installed, so the pages work offline in a checkout.
    const page = figureHtml(m.figure, { inlinePlotly: false }).replace('</head>', `<script src="${PLOTLY_SRC}"></script>\n</head>`);
    fs.writeFileSync(path.join(OUT, `${m.stem}.html`), page);
    const files: Record<string, string> = { [`${m.stem}.html`]: sha256(page) };
    if (images) {
      for (const ext of ['png', 'svg']) {
        const file = path.join(OUT, `${m.stem}.${ext}`);
        await writeFigureImage(m.figure, file);
        files[`${m.stem}.${ext}`] = sha256(fs.readFileSync(file));
      }
    }
    entries.push({ stem: m.stem, caption: m.caption, files });
    console.log(`figures: wrote figures/${m.stem}.{${images ? 'png,svg,' : ''}html}`);
  }
  const version = codeVersion();
  const manifest = {
    generatedBy: 'figures/make.ts (npm run figures)',
    commit: version,
    sources: sources.map((s) => ({ file: s.file, sha256: sha256(s.text) })),
    runs: made.runs.map((r) => ({ dir: r.dir, order: r.config.order, method: r.config.method, seed: r.seed ?? null })),
    figures: entries,
  };
  fs.writeFileSync(path.join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  fs.writeFileSync(path.join(OUT, 'README.md'), figuresReadme(made, manifest.sources.map((s) => s.file), version, entries));
  console.log(`figures: wrote figures/README.md and figures/manifest.json (${entries.length} figures from ${sources.map((s) => s.file).join(', ')})`);
}

/** figures/README.md: where the figures come from, the numbers they show, and the list of figures. */
function figuresReadme(made: ResultFigures, sources: readonly string[], version: string, entries: readonly { stem: string; caption: string; files: Record<string, string> }[]): string {
  return [
    '# figures/',
    '',
    `Made by \`npm run figures\` (figures/make.ts) from the committed result files ${sources.map((s) => `\`${s}\``).join(', ')} ` +
      `(written by \`scripts/summarize-runs.ts\` from finished runs), at commit \`${version}\`. ` +
      '`figures/manifest.json` records each source file\'s sha256 and each figure file\'s; `test/figures-provenance.test.ts` ' +
      're-derives every figure and the table below from the result files and fails when they disagree. Do not edit these files: rerun the command.',
    '',
    `Each figure is here as interactive \`.html\` (loads plotly.js from \`${PLOTLY_SRC}\`; works offline in a checkout after \`npm ci\`)` +
      (entries.some((e) => Object.keys(e.files).some((f) => f.endsWith('.png'))) ? ', and as `.png` (2×) and `.svg` rendered in headless Chromium.' : '.'),
    '',
    'mini-MGTIL is a 5-task CPU stand-in (28×28 MedMNIST-style tasks) for the paper\'s HieraMedTransfer and MedXtreme, with a tiny CLIP-style model ' +
      "instead of BiomedCLIP: the figures reproduce the paper's figure *types*, not its numbers.",
    '',
    '## The numbers behind them',
    '',
    ...made.table,
    '',
    '## Figures',
    '',
    '| files | caption |',
    '|---|---|',
    ...entries.map((e) => `| ${Object.keys(e.files).map((f) => `[${f.slice(f.lastIndexOf('.') + 1)}](${f})`).join(' · ')} | ${e.caption} |`),
    '',
    '## screenshots/',
    '',
    'Headless-Chromium screenshots of the executed notebooks (`bash notebooks/run.sh`, then `npm run figures -- --screenshots`), each cut to start at one of its figures, ' +
      'as a check that the exported HTML draws its plots (they show the notebooks\' own runs, not the result files above):',
    '',
    ...SHOTS.map((s) => `- \`screenshots/${s.file}\`: notebooks/${s.notebook}.ipynb at "${s.heading}…"`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  if (args.has('--screenshots')) {
    build();
    await screenshots();
  } else await figures();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`figures: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
