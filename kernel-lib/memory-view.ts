/**
 * Notebook 01's views of a retrieval memory: thumbnails of its images, HTML tables that hold
 * them, the entries by domain, and the visual score S_v of its rows under a model (as the
 * training pipeline computes it before each task).
 */
import { decodeImage, preprocessImage, resizeBilinear } from '../src/data/image';
import { encodePng } from '../src/memory/mini';
import { modelVisualScorer, type VisualScorer } from '../src/memory/retrieval/visual';
import type { Memory } from '../src/memory/store';
import type { DualEncoder } from '../src/model/dual-encoder';
import { escapeHtml } from '../src/report/plotly-bundle';
import { sendBundle } from './kernel';

/** Thumbnail edge in CSS pixels. */
const THUMB = 56;

/**
 * A memory row's image as an inline PNG `<img>` (28×28 images enlarged with pixelated CSS; larger
 * images first shrunk to 64 px), its caption as the tooltip; a grey box for a text-only entry.
 */
export function memoryThumbnail(memory: Memory, row: number): string {
  const bytes = memory.readImageBytes(row);
  const style = `width:${THUMB}px;height:${THUMB}px;image-rendering:pixelated;border:1px solid #ccc`;
  if (!bytes) return `<div style="${style};display:flex;align-items:center;justify-content:center;font-size:10px;color:#888;background:#f4f4f4">text only</div>`;
  let png = bytes;
  const img = decodeImage(bytes, memory.entry(row).id);
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50;
  if (!isPng || img.width > 64 || img.height > 64) {
    const s = 64 / Math.max(img.width, img.height);
    const h = Math.max(1, Math.round(img.height * s));
    const w = Math.max(1, Math.round(img.width * s));
    const small = resizeBilinear(img.pixels, img.height, img.width, img.channels, h, w);
    png = encodePng({ pixels: Uint8Array.from(small, (v) => Math.max(0, Math.min(255, Math.round(v)))), height: h, width: w, channels: img.channels });
  }
  return `<img style="${style}" title="${escapeHtml(memory.entry(row).caption)}" src="data:image/png;base64,${Buffer.from(png).toString('base64')}">`;
}

/** Shows an HTML table whose cells are HTML (thumbnails, bold text); `plain` is its text form. Header cells are HTML too. */
export function showHtmlTable(caption: string, head: readonly string[], rows: readonly (readonly string[])[], plain: string): void {
  const th = head.map((h) => `<th style="text-align:left;padding:2px 6px">${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td style="vertical-align:middle;padding:2px 6px;text-align:left">${c}</td>`).join('')}</tr>`).join('\n');
  const html = `<table style="border-collapse:collapse"><caption style="caption-side:top;text-align:left;font-weight:bold">${escapeHtml(caption)}</caption><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
  sendBundle({ 'text/html': html, 'text/plain': `${caption}\n${plain}` });
}

/** One row of {@link memoryByDomain} (a type, not an interface: a table row). */
export type DomainCount = {
  /** The domain (`(none)` when unset). */
  domain: string;
  /** Entries with an image. */
  'image–caption pairs': number;
  /** Entries without one. */
  'text-only captions': number;
};

/** The memory's entries by domain: image–caption pairs and text-only captions, most images first. */
export function memoryByDomain(memory: Memory): DomainCount[] {
  const byDomain = new Map<string, { images: number; textOnly: number }>();
  for (const e of memory.stored) {
    const k = e.domain ?? '(none)';
    const c = byDomain.get(k) ?? { images: 0, textOnly: 0 };
    if (e.image) c.images++;
    else c.textOnly++;
    byDomain.set(k, c);
  }
  return [...byDomain.entries()].sort((a, b) => b[1].images - a[1].images || b[1].textOnly - a[1].textOnly)
    .map(([domain, c]) => ({ domain: domain, 'image–caption pairs': c.images, 'text-only captions': c.textOnly }));
}

/**
 * S_v of memory rows under `model` (its image and text towers): the rerank stage's score; text-only
 * rows score NaN. Its id is the one the training pipeline gives the same model's scorer, so the
 * reference sets it builds are the pipeline's cached ones.
 */
export function memoryVisualScorer(model: DualEncoder, memory: Memory): VisualScorer {
  // from the package index, loaded on first use (importing kernel-lib touches no model code)
  const lib = require('../src/index') as typeof import('../src/index');
  const id = lib.visualScorerId(lib.modelEmbedderId(model), model.preset.preprocess);
  return modelVisualScorer(model, async (rows) => {
    const pp = model.preset.preprocess;
    const withImage: number[] = [];
    const chunks: Float32Array[] = [];
    for (const r of rows) {
      const bytes = memory.readImageBytes(r);
      if (!bytes) continue;
      withImage.push(r);
      chunks.push(preprocessImage(decodeImage(bytes, memory.entry(r).id), pp));
    }
    const pixels = new Float32Array(chunks.reduce((s, c) => s + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      pixels.set(c, at);
      at += c.length;
    }
    return { rows: withImage, pixels: pixels };
  }, id);
}
