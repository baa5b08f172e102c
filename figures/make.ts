/**
 * `npm run figures`: regenerates figures/ from the mini-MGTIL runs of notebooks 02/03.
 *
 * 1. Builds dist/ (the runs and the notebooks use the compiled library; SKIP_BUILD=1 skips it).
 * 2. Reads back, resumes or runs the 18 protocol runs (9 methods × Orders I/II) in
 *    runs/notebooks/<method>-<order>-s<steps>, the folders the notebooks use, in parallel worker
 *    processes. The budget is the mini recipe's 150 steps per task unless PRIMED_NOTEBOOK_STEPS is set.
 * 3. Writes each figure as PNG and SVG (headless Chromium) and interactive HTML (plotly inlined):
 *    the PRIMED_dyn accuracy matrix, Fig. 4-style forgetting curves of the first task, Fig. 7-style
 *    curves of selected tasks, and Table 1-style method bars; then figures/README.md with captions.
 *    The HTML pages load plotly.js from node_modules/ rather than inlining 4.7 MB each.
 *
 * Options:
 *   --screenshots   instead: screenshot the executed notebooks' HTML (notebooks/executed/, or NOTEBOOK_OUT,
 *                   written by `bash notebooks/run.sh`) into figures/screenshots/, each cut to start at one figure
 *   --no-images     HTML only (no Chromium)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
// Types only: the modules are required after the build (step 1), since they are the compiled dist/.
import type * as Lib from '../dist/src';
import type * as Chromium from '../dist/src/report/chromium';
import type * as Runs from '../notebooks/src/nb0x-runs';

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

interface FigureEntry {
  /** File stem under figures/. */
  stem: string;
  /** Which paper figure or table it reproduces, and what it shows. */
  caption: string;
}

async function figures(): Promise<void> {
  const lib = require('../dist/src') as typeof Lib;
  const runs = require('../notebooks/src/nb0x-runs') as typeof Runs;
  const recipe = lib.defaultRecipe('mini-mgtil', 'mini');
  const steps = Number(process.env.PRIMED_NOTEBOOK_STEPS ?? recipe.trainer.steps);
  if (!Number.isInteger(steps) || steps <= 0) throw new Error(`PRIMED_NOTEBOOK_STEPS must be a positive integer, got "${process.env.PRIMED_NOTEBOOK_STEPS}"`);
  const seed = 42;
  await lib.initBackend();
  console.log(`figures: mini-MGTIL, ${steps} steps per task, seed ${seed}; runs in runs/notebooks/<method>-<order>-s${steps}`);
  const jobs = runs.protocolJobs({ benchmark: 'mini-mgtil', steps: steps, seed: seed, runsRoot: path.join(ROOT, 'runs', 'notebooks') });
  const results = await runs.runJobs(jobs, { progress: lib.terminalProgress(process.stderr, 10000) });
  const get = (method: string, order: 'I' | 'II') => {
    const r = results.get(`${method}-${order}`);
    if (!r || !r.metrics) throw new Error(`figures: no complete run for ${method}, Order ${order}`);
    return r;
  };
  const label = runs.METHOD_LABEL;
  const CURVE_METHODS = ['finetune', 'wise-ft', 'zscl', 'primed-uni', 'primed-dyn'];
  const written: FigureEntry[] = [];
  const images = !args.has('--no-images') && lib.hasChromium();
  async function save(fig: Parameters<typeof lib.writeFigureHtml>[0], entry: FigureEntry): Promise<void> {
    // plotly.js (4.7 MB) is not inlined in every page: each loads the copy npm installed, so the pages work offline in a checkout.
    const page = lib.figureHtml(fig, { inlinePlotly: false }).replace('</head>', `<script src="${PLOTLY_SRC}"></script>\n</head>`);
    fs.writeFileSync(path.join(OUT, `${entry.stem}.html`), page);
    if (images) {
      await lib.writeFigureImage(fig, path.join(OUT, `${entry.stem}.png`));
      await lib.writeFigureImage(fig, path.join(OUT, `${entry.stem}.svg`));
    }
    written.push(entry);
    console.log(`figures: wrote figures/${entry.stem}.{${images ? 'png,svg,' : ''}html}`);
  }
  const budget = `mini-MGTIL, mini model, ${steps} steps/task, seed ${seed}`;
  const title = (main: string) => `${main}<br><sup>${budget}</sup>`;

  for (const order of ['I', 'II'] as const) {
    const r = get('primed-dyn', order);
    await save(lib.accuracyMatrixFigure({ matrix: r.matrix, datasets: r.tasks, zeroShot: r.zeroShot ?? undefined, title: title(`PRIMED_dyn, Order ${order}: accuracy matrix (%)`) }), {
      stem: `primed-dyn-matrix-${order}`,
      caption: `Accuracy matrix of PRIMED_dyn, Order ${order}: zero-shot row, then one row per learned task; columns are the tasks evaluated. The matrix the paper's metrics are read from (Fig. 3a; Tables 1/2/7/8).`,
    });
  }
  for (const order of ['I', 'II'] as const) {
    const tasks = get('finetune', order).tasks;
    const series = CURVE_METHODS.map((m) => ({ method: label[m], matrix: get(m, order).matrix, zeroShot: get(m, order).zeroShot ?? undefined }));
    await save(lib.forgettingCurvesFromMatrices(series, tasks, 0, title(`Accuracy on the 1st task (${tasks[0]}), Order ${order}`)), {
      stem: `fig4-first-task-${order}`,
      caption: `Fig. 4 style: accuracy of the first task (${tasks[0]}) of Order ${order} over the task sequence (step 0 = zero-shot), one line per method. The paper plots AOD, the first MedXtreme task.`,
    });
  }
  const FIG7: Record<'I' | 'II', number[]> = { I: [1, 3], II: [1, 3] };
  for (const order of ['I', 'II'] as const) {
    const tasks = get('finetune', order).tasks;
    for (const d of FIG7[order]) {
      const series = CURVE_METHODS.map((m) => ({ method: label[m], matrix: get(m, order).matrix, zeroShot: get(m, order).zeroShot ?? undefined }));
      await save(lib.forgettingCurvesFromMatrices(series, tasks, d, title(`Accuracy on task ${d + 1} (${tasks[d]}), Order ${order}`)), {
        stem: `fig7-order-${order}-task${d + 1}`,
        caption: `Fig. 7 style: accuracy of task ${d + 1} (${tasks[d]}) of Order ${order} as tasks are learned: zero-shot until it is trained, a jump, then what is kept (the paper's "mirrored Z"). The paper shows tasks 1, 2, 4, 5 (Order I) and 2, 4, 6, 8 (Order II) of HieraMedTransfer.`,
      });
    }
  }
  for (const order of ['I', 'II'] as const) {
    const methods = runs.METHODS.map((m) => {
      const s = get(m, order).metrics!;
      return { name: label[m], values: [s.transfer ?? 0, s.avg, s.last] };
    });
    const bars = lib.methodComparisonFigure({ categories: ['Transfer', 'Avg', 'Last'], methods: methods, title: title(`Methods compared, Order ${order}`) });
    await save({ ...bars, layout: { ...bars.layout, width: 1000 } }, {
      stem: `table1-bars-${order}`,
      caption: `Table 1 style: Transfer / Avg / Last of the nine methods, Order ${order}, as grouped bars (the paper's Table 1 has these columns for HieraMedTransfer).`,
    });
  }

  const model = (get('primed-dyn', 'I').config as { model?: { weights?: string } }).model?.weights ?? '?';
  const readme = [
    '# figures/',
    '',
    `Made by \`npm run figures\` (figures/make.ts) from the mini-MGTIL runs in \`runs/notebooks/\`: ${budget} (model weights \`${model}\`). ` +
      `Each figure is here as \`.png\` and \`.svg\` (rendered in headless Chromium) and as interactive \`.html\`, which loads plotly.js from ` +
      `\`${PLOTLY_SRC}\` (open it in a checkout after \`npm ci\`; it needs no network).`,
    '',
    'mini-MGTIL is a 5-task CPU stand-in (28×28 MedMNIST-style tasks: chest X-ray, breast ultrasound, fundus, pathology, blood cells) for the ' +
      "paper's HieraMedTransfer and MedXtreme, with a tiny CLIP-style model instead of BiomedCLIP: the figures reproduce the paper's figure *types*, " +
      'not its numbers. The full mini budget is 150 steps per task (`npm run figures`); `PRIMED_NOTEBOOK_STEPS=N npm run figures` uses N.',
    '',
    `## The numbers behind them (Table 1 layout, ours; ${budget})`,
    '',
    '| method | I Transfer | I Avg | I Last | II Transfer | II Avg | II Last |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...runs.METHODS.map((m) => {
      const cells = (['I', 'II'] as const).flatMap((o) => {
        const s = get(m, o).metrics!;
        return [s.transfer, s.avg, s.last].map((v) => (v === null ? '–' : v.toFixed(1)));
      });
      return `| ${label[m]} | ${cells.join(' | ')} |`;
    }),
    '',
    "The paper's Table 1 (BiomedCLIP on HieraMedTransfer) is in `src/paper/paper-tables.json`; notebooks 02/03 print it beside ours.",
    '',
    '## Figures',
    '',
    '| file | reproduces | caption |',
    '|---|---|---|',
    ...written.map((w) => `| [${w.stem}.png](${w.stem}.png) · [svg](${w.stem}.svg) · [html](${w.stem}.html) | ${w.stem.startsWith('fig4') ? 'Fig. 4' : w.stem.startsWith('fig7') ? 'Fig. 7' : w.stem.startsWith('table1') ? 'Table 1' : 'Fig. 3a / accuracy matrix'} | ${w.caption} |`),
    '',
    '## screenshots/',
    '',
    'Headless-Chromium screenshots of the executed notebooks (`bash notebooks/run.sh`, then `npm run figures -- --screenshots`), each cut to start at one of its figures, ' +
      'as a check that the exported HTML draws its plots:',
    '',
    ...SHOTS.map((s) => `- \`screenshots/${s.file}\`: notebooks/${s.notebook}.ipynb at "${s.heading}…"`),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(OUT, 'README.md'), readme);
  console.log(`figures: wrote figures/README.md (${written.length} figures)`);
}

async function main(): Promise<void> {
  build();
  if (args.has('--screenshots')) await screenshots();
  else await figures();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`figures: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
