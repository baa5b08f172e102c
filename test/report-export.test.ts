/**
 * Figure export: self-contained HTML (data + inlined plotly.js), and PNG/SVG rendered by
 * plotly in headless Chromium (installed in CI by .ci/run); without Chromium, the error says
 * how to install it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { accuracyMatrixFigure, forgettingCurvesFromMatrices } from '../src/report/figures';
import { figureHtml, renderFigure, writeFigure } from '../src/report/export';
import { hasChromium, findChromium } from '../src/report/chromium';
import { plotlyBundle } from '../src/report/plotly-bundle';

const datasets = ['pneumonia', 'breast', 'retina'];
const A = [
  [80, 40, 30],
  [60, 90, 35],
  [55, 70, 95],
];
const heatmap = accuracyMatrixFigure({ matrix: A, datasets, title: 'Accuracy </script> matrix' });

test('HTML export is self-contained: inlined plotly.js, the figure data, no external script', () => {
  const html = figureHtml(heatmap);
  const bundle = plotlyBundle();
  assert.match(bundle.version, /^3\./);
  assert.ok(html.includes(bundle.source.slice(0, 2000)), 'plotly.js source inlined');
  assert.ok(html.length > 3_000_000, 'the ~4.7 MB bundle is inside');
  assert.doesNotMatch(html, /<script[^>]+src=/, 'no external script');
  // The data survives: parse the embedded JSON back.
  const m = /<script id="primed-figure-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'figure JSON element present');
  const parsed = JSON.parse(m[1]) as { data: { z: number[][] }[]; layout: { title: { text: string } } };
  assert.deepEqual(parsed.data[0].z, A);
  assert.equal(parsed.layout.title.text, 'Accuracy </script> matrix');
  // A title with "</script>" cannot end the element early: exactly the two script closers plus plotly's.
  assert.equal(html.split('</script>').length - 1, 3);
  assert.match(html, /<title>Accuracy &lt;\/script&gt; matrix<\/title>/);
});

test('writeFigure .html writes atomically (no temp file left) and rejects unknown extensions', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-export-'));
  try {
    const file = path.join(dir, 'sub', 'fig.html');
    await writeFigure(heatmap, file);
    assert.ok(fs.readFileSync(file, 'utf8').startsWith('<!DOCTYPE html>'));
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['fig.html']);
    await assert.rejects(writeFigure(heatmap, path.join(dir, 'fig.jpg')), /fig\.jpg: extension must be \.png or \.svg/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing Chromium gives an error that says how to install it', async () => {
  assert.throws(() => findChromium('/nonexistent/chromium'), /Chromium not found at \/nonexistent\/chromium/);
  await assert.rejects(renderFigure(heatmap, 'png', { chromium: '/nonexistent/chromium' }), /option chromium/);
  const saved = process.env.PRIMED_CHROMIUM;
  if (!hasChromium()) {
    await assert.rejects(renderFigure(heatmap, 'png'), /apt-get install chromium/);
  }
  process.env.PRIMED_CHROMIUM = saved ?? '';
  if (saved === undefined) delete process.env.PRIMED_CHROMIUM;
});

test('PNG and SVG export with headless Chromium: valid files of the requested size, with the drawn data', async () => {
  // CI installs Chromium and sets PRIMED_REQUIRE_CHROMIUM, so the real rendering path is what it tests.
  if (process.env.PRIMED_REQUIRE_CHROMIUM === '1') assert.ok(hasChromium(), 'Chromium is required here (apt-get install chromium)');
  if (!hasChromium()) {
    // CI installs Chromium (.ci/run → scripts/setup.sh); here we can only check the error.
    await assert.rejects(renderFigure(heatmap, 'png'), /apt-get install chromium/);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-export-'));
  try {
    const pngFile = path.join(dir, 'matrix.png');
    await writeFigure(heatmap, pngFile, { width: 600, height: 400 });
    const bytes = fs.readFileSync(pngFile);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    const png = PNG.sync.read(bytes);
    assert.deepEqual([png.width, png.height], [1200, 800], 'PNGs are exported at 2× by default');
    // Not a blank frame: the heatmap's cells bring many distinct colours, including Viridis' yellow (95 → near #e0e31a-ish).
    const colours = new Set<number>();
    let yellowish = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
      colours.add((r << 16) | (g << 8) | b);
      if (r > 180 && g > 180 && b < 80) yellowish++;
    }
    assert.ok(colours.size > 50, `only ${colours.size} colours: blank image?`);
    assert.ok(yellowish > 1000, 'the 95% cell (Viridis yellow) is drawn');

    const curves = forgettingCurvesFromMatrices(
      [
        { method: 'PRIMED', matrix: A, zeroShot: [50, 30, 20] },
        { method: 'ZSCL', matrix: A.slice(0, 2) },
      ],
      datasets,
      0,
    );
    const svgFile = path.join(dir, 'curves.svg');
    await writeFigure(curves, svgFile);
    const svg = fs.readFileSync(svgFile, 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\s*$/);
    assert.match(svg, /width="760"/);
    assert.ok(svg.includes('Accuracy on pneumonia as tasks are learned'), 'title drawn');
    assert.ok(svg.includes('PRIMED') && svg.includes('ZSCL'), 'legend drawn');
    assert.ok((svg.match(/class="js-line"/g)?.length ?? 0) >= 2, 'both curves drawn (plus their legend samples)');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['curves.svg', 'matrix.png']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
