/**
 * End to end through a real tslab kernel: notebooks/run.sh executes a notebook that imports the
 * compiled kernel-lib, and the saved .ipynb holds the plotly figure bundle, the table and the
 * final state of a live progress bar; a failing cell makes run.sh exit non-zero and still saves
 * the executed copy. Everything goes to a temp dir: kernel-lib is compiled there, the kernel
 * spec is found through JUPYTER_PATH there (nothing registered system-wide). Needs Jupyter's
 * nbclient/nbconvert (scripts/setup.sh installs them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { hasChromium, screenshotHtml } from '../src/report/chromium';

const repo = path.resolve(__dirname, '..');

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  text?: string | string[];
}
interface Notebook {
  cells: { cell_type: string; source: string | string[]; outputs?: Output[] }[];
}

function notebook(cells: string[]): Notebook & Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' }, language_info: { name: 'typescript' } },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: 'code', source, metadata: {}, execution_count: null, outputs: [] })),
  };
}

const join = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));

test('run.sh executes a tslab notebook: inline figure bundle, table, live progress; a failing cell fails the run', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-nb-'));
  try {
    // Compile only kernel-lib (and what it imports) into tmp/dist, as `npm run build` would into dist/.
    // Type errors are the typecheck's business (tsc emits regardless); here the emitted JS must exist.
    const tsc = spawnSync(
      path.join(repo, 'node_modules/.bin/tsc'),
      ['kernel-lib/index.ts', '--outDir', path.join(tmp, 'dist'), '--rootDir', '.', '--module', 'node16', '--moduleResolution', 'node16',
        '--target', 'ES2022', '--lib', 'ES2022,DOM', '--types', 'node', '--strict', '--esModuleInterop', '--resolveJsonModule',
        '--skipLibCheck', '--declaration'],
      { cwd: repo, encoding: 'utf8' },
    );
    assert.ok(fs.existsSync(path.join(tmp, 'dist/kernel-lib/index.js')), `kernel-lib did not compile:\n${tsc.stdout}${tsc.stderr}`);
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(tmp, 'node_modules'));
    const kernelDir = path.join(tmp, 'jupyter', 'kernels', 'tslab');
    fs.mkdirSync(kernelDir, { recursive: true });
    const bin = path.join(repo, 'node_modules/.bin/tslab');
    fs.writeFileSync(path.join(kernelDir, 'kernel.json'), JSON.stringify({ argv: [bin, 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript' }));
    const nbDir = path.join(tmp, 'nb');
    fs.mkdirSync(nbDir);
    fs.writeFileSync(
      path.join(nbDir, '1-ok.ipynb'),
      JSON.stringify(
        notebook([
          "import { setup, showFigure, showTable, forgettingCurvesFromMatrices, sendBundle } from '../dist/kernel-lib';\nconst env = await setup({ scale: 'mini', seed: 3, root: '" + repo + "' });",
          "await showFigure(forgettingCurvesFromMatrices([{ method: 'PRIMED', matrix: [[80, 40], [60, 90]], zeroShot: [50, 30] }], ['pneumonia', 'breast'], 0));",
          "showTable([{ method: 'PRIMED', Avg: 70.456 }]);",
          "for (let i = 0; i <= 10; i++) { env.progress({ label: 'train', done: i, total: 10 }); await new Promise((r) => setTimeout(r, 20)); }",
          // More outputs in one synchronous stretch than zeromq sends without deferring one, and more
          // bytes (24 MB) than the output socket's high-water mark and the TCP buffers hold while the
          // client reads (kernel-lib/send-queue.ts): without the queue the cell fails, without the
          // lifted mark its last lines are dropped.
          "const pad = '.'.repeat(8000);\nfor (let i = 0; i < 3000; i++) { sendBundle({ 'text/plain': `burst ${i} ${pad}` }, { displayId: 'burst', update: i > 0 }); if (i % 200 === 0) console.log(`line ${i}`); }\nconsole.log('burst done');",
        ]),
      ),
    );
    fs.writeFileSync(path.join(nbDir, '2-fail.ipynb'), JSON.stringify(notebook(["console.log('before');", "throw new Error('deliberate failure');", "console.log('never');"])));
    const out = path.join(tmp, 'out');
    const env = { ...process.env, SKIP_BUILD: '1', NOTEBOOK_OUT: out, JUPYTER_PATH: path.join(tmp, 'jupyter'), PRIMED_NOTEBOOK_PNG: '0' };

    const ok = spawnSync('bash', [path.join(repo, 'notebooks/run.sh'), path.join(nbDir, '1-ok.ipynb')], { env, encoding: 'utf8' });
    assert.equal(ok.status, 0, `run.sh failed:\n${ok.stderr}`);
    const executed = JSON.parse(fs.readFileSync(path.join(out, '1-ok.ipynb'), 'utf8')) as Notebook;
    const outputs = executed.cells.map((c) => c.outputs ?? []);
    assert.match(join(outputs[0].find((o) => o.output_type === 'stream')?.text), /primed mini scale, seed 3/);
    assert.ok(outputs[0].some((o) => o.output_type === 'display_data' && String(join(o.data?.['text/html'] as string[])).includes('window.Plotly')), 'plotly.js loaded by setup');
    const fig = outputs[1].find((o) => o.output_type === 'display_data');
    assert.ok(fig?.data, 'figure output saved');
    assert.deepEqual(Object.keys(fig.data).sort(), ['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
    assert.deepEqual((fig.data['application/vnd.plotly.v1+json'] as { data: { y: number[] }[] }).data[0].y, [50, 80, 60]);
    const table = join(outputs[2][0]?.data?.['text/html'] as string[]);
    assert.match(table, /<th>method<\/th><th>Avg<\/th>/);
    assert.match(table, /70\.5<\/td>/); // one decimal by default
    // Only one progress output, holding the final state (the kernel updated it in place).
    const progress = outputs[3].filter((o) => o.output_type === 'display_data');
    assert.equal(progress.length, 1);
    assert.match(join(progress[0].data?.['text/plain'] as string[]), /^train: 10\/10 \(100%\)/);
    // The burst cell completed with every line, in order, and its display in its last state.
    assert.equal(join(outputs[4].filter((o) => o.output_type === 'stream').map((o) => join(o.text)).join('')),
      Array.from({ length: 15 }, (_, i) => `line ${i * 200}\n`).join('') + 'burst done\n');
    const burst = outputs[4].filter((o) => o.output_type === 'display_data');
    assert.equal(burst.length, 1);
    assert.equal(join(burst[0].data?.['text/plain'] as string[]), `burst 2999 ${'.'.repeat(8000)}`);
    const html = path.join(out, '1-ok.html');
    assert.ok(fs.statSync(html).size > 3_000_000, 'HTML export carries plotly.js');
    if (hasChromium()) {
      // The exported page draws the plot: the screenshot is far from a blank frame.
      const shot = path.join(tmp, 'shot.png');
      await screenshotHtml(html, shot, { width: 1200, height: 900 });
      const png = PNG.sync.read(fs.readFileSync(shot));
      const colours = new Set<number>();
      for (let i = 0; i < png.data.length; i += 4) colours.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
      assert.ok(colours.size > 100, `screenshot has only ${colours.size} colours`);
    }

    const bad = spawnSync('bash', [path.join(repo, 'notebooks/run.sh'), path.join(nbDir, '2-fail.ipynb')], { env, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /cell 2 failed/);
    assert.match(bad.stderr, /deliberate failure/);
    const failed = JSON.parse(fs.readFileSync(path.join(out, '2-fail.ipynb'), 'utf8')) as Notebook;
    assert.equal(join(failed.cells[0].outputs?.[0]?.text), 'before\n');
    assert.deepEqual(failed.cells[2].outputs, [], 'execution stopped at the failing cell');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
