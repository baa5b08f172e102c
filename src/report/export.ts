/**
 * Figure export: a self-contained interactive HTML file (plotly.js inlined, works offline),
 * and PNG / SVG images rendered by plotly itself inside headless Chromium. All files are
 * written atomically.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/fs';
import { runChromium, type ChromiumOptions } from './chromium';
import { escapeHtml, jsonForScript, plotlyBundle } from './plotly-bundle';
import { assertFigure, type PlotlyFigure } from './plotly-types';
import { plainText } from './style';

/** Image formats {@link renderFigure} produces. */
export type ImageFormat = 'png' | 'svg';

/** Options of {@link figureHtml}. */
export interface FigureHtmlOptions {
  /** Page `<title>`; default the figure's title or `primed figure`. */
  pageTitle?: string;
  /** Inline plotly.js (default true). With false the page expects `window.Plotly` to exist already. */
  inlinePlotly?: boolean;
}

function figureTitle(fig: PlotlyFigure): string | undefined {
  const t = fig.layout.title as { text?: unknown } | string | undefined;
  if (typeof t === 'string') return t;
  return typeof t?.text === 'string' ? t.text : undefined;
}

/** The config every exported figure gets unless it sets its own. */
export const DEFAULT_PLOTLY_CONFIG: Readonly<Record<string, unknown>> = { responsive: true, displaylogo: false };

/** A complete HTML document that draws `fig` interactively, with plotly.js inlined (about 4.7 MB). */
export function figureHtml(fig: PlotlyFigure, options: FigureHtmlOptions = {}): string {
  assertFigure(fig, 'figureHtml');
  // plotly titles are rich text (`<br><sup>…`): the page title gets their plain text, not escaped tags
  const rich = figureTitle(fig);
  const title = options.pageTitle ?? (rich ? plainText(rich) : 'primed figure');
  const lib = options.inlinePlotly === false ? '' : `<script>${plotlyBundle().source}</script>\n`;
  const config = { ...DEFAULT_PLOTLY_CONFIG, ...(fig.config ?? {}) };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
${lib}</head>
<body style="margin:0">
<div id="primed-figure"></div>
<script id="primed-figure-data" type="application/json">${jsonForScript({ data: fig.data, layout: fig.layout, config })}</script>
<script>
(function () {
  var fig = JSON.parse(document.getElementById('primed-figure-data').textContent);
  Plotly.newPlot('primed-figure', fig.data, fig.layout, fig.config);
})();
</script>
</body>
</html>
`;
}

/** Writes {@link figureHtml} to `file` atomically. */
export function writeFigureHtml(fig: PlotlyFigure, file: string, options: FigureHtmlOptions = {}): void {
  writeFileAtomic(file, figureHtml(fig, options));
}

/** Options of {@link renderFigure}. */
export interface FigureRenderOptions extends ChromiumOptions {
  /** Image width in px; default the figure's `layout.width`, else 760. */
  width?: number;
  /** Image height in px; default the figure's `layout.height`, else 480. */
  height?: number;
  /** Pixel ratio of PNGs (2 = sharp on high-DPI screens and in print); default 2. Ignored for SVG. */
  scale?: number;
}

function renderPage(fig: PlotlyFigure, format: ImageFormat, width: number, height: number, scale: number): string {
  const request = { format, width, height, scale };
  // Plotly.toImage resolves to a data: URL; it is written into <pre id="out"> for --dump-dom.
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><script>${plotlyBundle().source}</script></head><body>
<script id="fig" type="application/json">${jsonForScript({ data: fig.data, layout: fig.layout })}</script>
<script>
(function () {
  var fig = JSON.parse(document.getElementById('fig').textContent);
  var req = ${jsonForScript(request)};
  function put(text) { var pre = document.createElement('pre'); pre.id = 'out'; pre.textContent = text; document.body.appendChild(pre); }
  Plotly.toImage({ data: fig.data, layout: fig.layout }, req)
    .then(function (url) { put(url); }, function (err) { put('ERROR ' + (err && err.message ? err.message : err)); });
})();
</script></body></html>`;
}

function decodeDataUrl(url: string): Buffer {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) throw new Error(`renderFigure: Chromium returned no image (${url.slice(0, 80)})`);
  const meta = url.slice(5, comma);
  const payload = url.slice(comma + 1);
  return meta.endsWith(';base64') ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'utf8');
}

function unescapeHtml(text: string): string {
  return text.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e] as string);
}

/**
 * Renders `fig` to PNG or SVG bytes with plotly's `Plotly.toImage` in headless Chromium
 * (about 2–4 s, most of it Chromium's start-up). Throws a clear error when Chromium is missing.
 */
export async function renderFigure(fig: PlotlyFigure, format: ImageFormat, options: FigureRenderOptions = {}): Promise<Buffer> {
  assertFigure(fig, 'renderFigure');
  if (format !== 'png' && format !== 'svg') throw new Error(`renderFigure: format must be "png" or "svg", got "${String(format)}"`);
  const width = options.width ?? (fig.layout.width as number | undefined) ?? 760;
  const height = options.height ?? (fig.layout.height as number | undefined) ?? 480;
  const scale = options.scale ?? (format === 'png' ? 2 : 1);
  for (const [name, v] of Object.entries({ width, height, scale })) {
    if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new Error(`renderFigure: option ${name} must be a positive number, got ${String(v)}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-render-'));
  try {
    const page = path.join(dir, 'render.html');
    fs.writeFileSync(page, renderPage(fig, format, width, height, scale));
    const dom = await runChromium('file://' + page, ['--dump-dom', '--virtual-time-budget=30000'], options);
    const m = /<pre id="out">([\s\S]*?)<\/pre>/.exec(dom);
    if (!m) throw new Error('renderFigure: plotly did not finish rendering in Chromium (no output element in the page)');
    const text = unescapeHtml(m[1]);
    if (text.startsWith('ERROR ')) throw new Error(`renderFigure: Plotly.toImage failed: ${text.slice(6)}`);
    return decodeDataUrl(text);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Renders `fig` and writes it atomically to `file`; the format comes from the extension (`.png` or `.svg`). */
export async function writeFigureImage(fig: PlotlyFigure, file: string, options: FigureRenderOptions = {}): Promise<void> {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (ext !== 'png' && ext !== 'svg') throw new Error(`writeFigureImage: ${file}: extension must be .png or .svg`);
  writeFileAtomic(file, await renderFigure(fig, ext, options));
}

/** Writes `fig` as `.html` (interactive), `.png` or `.svg`, chosen by the file's extension. */
export async function writeFigure(fig: PlotlyFigure, file: string, options: FigureRenderOptions & FigureHtmlOptions = {}): Promise<void> {
  if (path.extname(file).toLowerCase() === '.html') writeFigureHtml(fig, file, options);
  else await writeFigureImage(fig, file, options);
}
