/**
 * Headless Chromium, used to turn plotly figures into PNG and SVG (plotly's own
 * `Plotly.toImage` runs in the browser) and to screenshot HTML pages. Every run gets a fresh
 * temporary profile and the flags that keep Chromium offline and quiet.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/fs';

/** Where primed looks for Chromium, in order (after `PRIMED_CHROMIUM`). */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Options shared by the Chromium runners. */
export interface ChromiumOptions {
  /** Chromium executable; default `PRIMED_CHROMIUM`, then the first of {@link CHROMIUM_CANDIDATES} present. */
  chromium?: string;
  /** Kill Chromium after this many ms; default 60000. */
  timeoutMs?: number;
}

/** Returns the Chromium executable to use, or throws an error that says how to install it. */
export function findChromium(explicit?: string): string {
  const wanted = explicit ?? process.env.PRIMED_CHROMIUM;
  if (wanted) {
    if (!fs.existsSync(wanted)) throw new Error(`Chromium not found at ${wanted} (option chromium / PRIMED_CHROMIUM)`);
    return wanted;
  }
  const found = CHROMIUM_CANDIDATES.find((c) => fs.existsSync(c));
  if (!found) {
    throw new Error(
      `Chromium is needed to render PNG/SVG but none was found (looked in ${CHROMIUM_CANDIDATES.join(', ')}). ` +
        'Install it with `apt-get install chromium`, or set PRIMED_CHROMIUM to its path.',
    );
  }
  return found;
}

/** Whether a Chromium executable is available (for callers that treat images as optional). */
export function hasChromium(explicit?: string): boolean {
  try {
    findChromium(explicit);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs headless Chromium on `url` with `extraArgs` (e.g. `--dump-dom`, `--screenshot=...`)
 * and resolves to its stdout. A fresh profile directory is made and removed each time.
 */
export async function runChromium(url: string, extraArgs: readonly string[], options: ChromiumOptions = {}): Promise<string> {
  const exe = findChromium(options.chromium);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
    ...extraArgs,
    url,
  ];
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(exe, args, { timeout: options.timeoutMs ?? 60000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) {
          const tail = String(stderr).trim().split('\n').slice(-5).join('\n');
          reject(new Error(`${exe} failed on ${url}: ${err.message.split('\n')[0]}${tail ? `\n${tail}` : ''}`));
        } else {
          resolve(String(stdout));
        }
      });
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** Screenshots an HTML file to a PNG file, written atomically (`--window-size` = width×height), e.g. to check a notebook export. */
export async function screenshotHtml(
  htmlFile: string,
  pngFile: string,
  size: { width: number; height: number } = { width: 1200, height: 900 },
  options: ChromiumOptions & { waitMs?: number } = {},
): Promise<void> {
  const url = 'file://' + path.resolve(htmlFile);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-shot-'));
  try {
    const shot = path.join(dir, 'shot.png');
    await runChromium(
      url,
      [`--screenshot=${shot}`, `--window-size=${size.width},${size.height}`, `--virtual-time-budget=${options.waitMs ?? 10000}`],
      options,
    );
    if (!fs.existsSync(shot)) throw new Error(`Chromium wrote no screenshot for ${htmlFile}`);
    writeFileAtomic(pngFile, fs.readFileSync(shot));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
