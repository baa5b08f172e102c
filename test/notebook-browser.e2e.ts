/**
 * The notebook experience in a real browser: the classic Jupyter Notebook server (Debian's
 * `jupyter-notebook`, installed by scripts/setup.sh) on 127.0.0.1, `notebooks/00-quickstart.ipynb`
 * opened in headless Chromium (puppeteer-core driving /usr/bin/chromium), its first code cells run
 * through the page as a user would, and then: no cell errored, a plotly figure rendered (an SVG
 * plot inside the output), and the progress display of the zero-shot cell was one output that
 * changed in place (several states seen while the cell ran, never two progress outputs, ending at
 * 100 %). Builds dist/ first when it is missing (the notebooks import ../dist). Kernel spec, Jupyter config
 * and runtime files go to a temp dir; the server and its kernels are shut down at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import puppeteer from 'puppeteer-core';
import { findChromium } from '../src/report/chromium';

const repo = path.resolve(__dirname, '..');
const NOTEBOOK = 'notebooks/00-quickstart.ipynb';
/** The code cells run: set-up, budget, and the zero-shot cell (progress bars, a table and a figure). */
const LAST_CELL = 6;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('00-quickstart in the classic Notebook in headless Chromium: cells run, a plotly figure renders, progress updates in place', async () => {
  const server = '/usr/bin/jupyter-notebook';
  assert.ok(fs.existsSync(server), `${server} is missing: apt-get install jupyter-notebook (scripts/setup.sh installs it)`);
  const chromium = findChromium();
  assert.ok(chromium, 'Chromium is missing: apt-get install chromium (scripts/setup.sh installs it)');
  // The notebooks import ../dist: build it when this checkout has none (a fresh clone).
  if (!fs.existsSync(path.join(repo, 'dist/kernel-lib/index.js'))) {
    const built = spawnSync('npm', ['run', '-s', 'build'], { cwd: repo, encoding: 'utf8' });
    assert.equal(built.status, 0, `npm run build failed: ${built.stderr || built.stdout}`);
  }
  assert.ok(fs.existsSync(path.join(repo, 'dist/kernel-lib/index.js')), 'dist/ is missing after npm run build');
  // The committed notebook carries its outputs (and their stamp): running it here must not save over it.
  const committed = fs.readFileSync(path.join(repo, NOTEBOOK));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-browser-'));
  const kernelDir = path.join(tmp, 'jupyter', 'kernels', 'tslab');
  fs.mkdirSync(kernelDir, { recursive: true });
  fs.writeFileSync(
    path.join(kernelDir, 'kernel.json'),
    JSON.stringify({ argv: [path.join(repo, 'node_modules/.bin/tslab'), 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript' }),
  );
  const port = await freePort();
  const token = randomBytes(12).toString('hex');
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    JUPYTER_PATH: path.join(tmp, 'jupyter'),
    JUPYTER_CONFIG_DIR: path.join(tmp, 'config'),
    JUPYTER_RUNTIME_DIR: path.join(tmp, 'runtime'),
    PRIMED_NOTEBOOK_STEPS: '4',
    PRIMED_NOTEBOOK_PNG: '0', // the interactive figure is what is tested here, not its static fallback
  };
  let log = '';
  const proc = spawn(server, ['--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--NotebookApp.token=${token}`, `--notebook-dir=${repo}`, '--allow-root'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const api = (p: string, init: RequestInit = {}) => fetch(`${base}${p}${p.includes('?') ? '&' : '?'}token=${token}`, init);
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    // the server is up when its API answers
    for (let i = 0; ; i++) {
      const ok = await api('/api').then((r) => r.ok, () => false);
      if (ok) break;
      assert.ok(i < 600 && proc.exitCode === null, `the notebook server did not start:\n${log}`);
      await sleep(100);
    }
    const page = await browser.newPage();
    await page.setViewport({ width: 1300, height: 1000 });
    await page.goto(`${base}/notebooks/${NOTEBOOK}?token=${token}`, { waitUntil: 'load' });
    await page.waitForFunction(
      () => {
        const j = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter;
        return !!j?.notebook?.kernel?.is_connected();
      },
      { timeout: 120_000 },
    );
    // no autosave: the notebook file is the committed source
    await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { set_autosave_interval(ms: number): void } } }).Jupyter.notebook.set_autosave_interval(0));
    type Probe = { running: boolean; error: string | null; progressOutputs: number; progressText: string };
    for (let i = 0; i <= LAST_CELL; i++) {
      const code = await page.evaluate((n) => {
        const nb = (window as unknown as { Jupyter: { notebook: { get_cell(n: number): { cell_type: string; execute(): void } } } }).Jupyter.notebook;
        const cell = nb.get_cell(n);
        if (cell.cell_type !== 'code') return false;
        cell.execute();
        return true;
      }, i);
      if (!code) continue;
      const states = new Set<string>();
      let maxProgressOutputs = 0;
      let last: Probe;
      for (;;) {
        // what a user sees in the cell's output, read every 100 ms while the cell runs
        last = await page.evaluate((n): Probe => {
          const nb = (window as unknown as { Jupyter: { notebook: { get_cell(n: number): { input_prompt_number: unknown; element: ArrayLike<HTMLElement> } } } }).Jupyter.notebook;
          const cell = nb.get_cell(n);
          const el = cell.element[0];
          const outputs = Array.from(el.querySelectorAll('.output_area')).filter((o) => o.querySelector('progress'));
          const err = el.querySelector('.output_error');
          return {
            running: typeof cell.input_prompt_number !== 'number',
            error: err ? (err.textContent ?? 'error') : null,
            progressOutputs: outputs.length,
            progressText: outputs.map((o) => o.textContent ?? '').join('\n'),
          };
        }, i);
        maxProgressOutputs = Math.max(maxProgressOutputs, last.progressOutputs);
        if (last.progressText) states.add(last.progressText);
        if (!last.running || last.error) break;
        await sleep(100);
      }
      assert.equal(last.error, null, `cell ${i} failed in the browser: ${last.error}`);
      if (i === LAST_CELL) {
        assert.equal(maxProgressOutputs, 1, 'the progress display is one output, updated in place (never a second one)');
        assert.ok(states.size >= 2, `the progress display changed while the cell ran (states seen: ${[...states].join(' | ')})`);
        assert.match(last.progressText, /\(100%\)/, 'the finished bars show 100 %');
        // the figure: plotly drew an SVG plot in this cell's output
        await page.waitForFunction((n) => {
          const nb = (window as unknown as { Jupyter: { notebook: { get_cell(n: number): { element: ArrayLike<HTMLElement> } } } }).Jupyter.notebook;
          return !!nb.get_cell(n).element[0].querySelector('.js-plotly-plot svg.main-svg .barlayer, .js-plotly-plot svg.main-svg .scatterlayer');
        }, { timeout: 60_000 }, i);
        const bars = await page.evaluate((n) => {
          const nb = (window as unknown as { Jupyter: { notebook: { get_cell(n: number): { element: ArrayLike<HTMLElement> } } } }).Jupyter.notebook;
          return nb.get_cell(n).element[0].querySelectorAll('.js-plotly-plot .point').length;
        }, i);
        assert.ok(bars > 0, 'the plotly figure has drawn marks');
      }
    }
  } finally {
    await browser.close();
    // shut the kernels down through the API (they run in their own sessions), then the server
    const kernels = await api('/api/kernels').then((r) => (r.ok ? (r.json() as Promise<{ id: string }[]>) : []), () => []);
    for (const k of kernels) await api(`/api/kernels/${k.id}`, { method: 'DELETE' }).catch(() => undefined);
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r(undefined) : proc.once('exit', r)));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.ok(fs.readFileSync(path.join(repo, NOTEBOOK)).equals(committed), `${NOTEBOOK} was saved over while the test ran it`);
});
