/**
 * The bridge to the tslab kernel's display channel.
 *
 * tslab's public `display.raw(mime, data)` sends one MIME type per output, but Jupyter outputs
 * are MIME *bundles* (the front end picks the richest type it can render). tslab keeps the
 * function that sends a whole `display_data` message in its `jupyter` module
 * (`lastWriteDisplayData(content, update)`, set for each executing cell); we call that, so one
 * output carries plotly JSON + HTML + PNG + text together. When it cannot be found (another
 * tslab version), outputs fall back to tslab's one-type-per-call API with the best single type.
 *
 * The kernel's own tslab instance is reached through `globalThis.__tslab__.require('tslab')`,
 * which tslab hooks to return the running kernel's module even when this library and the
 * kernel load tslab from different places.
 */
import * as path from 'node:path';
import { queueKernelSends } from './send-queue';

/** A Jupyter MIME bundle: MIME type → data (strings; base64 for binary types; JSON for `application/*+json`). */
export type MimeBundle = Record<string, unknown>;

/** The content of a Jupyter `display_data` / `update_display_data` message. */
export interface DisplayContent {
  /** The MIME bundle. */
  data: MimeBundle;
  /** Per-MIME metadata (e.g. image size). */
  metadata: Record<string, unknown>;
  /** `display_id` makes the output updatable in place. */
  transient: {
    /** The output's id, for later `update_display_data`. */
    display_id?: string;
  };
}

/** Sends one output; `update` true replaces the output with the same `display_id`. */
export type DisplayWriter = (content: DisplayContent, update: boolean) => void;

interface TslabPublic {
  display: { raw(contentType: string, b: string | Uint8Array): unknown };
}

let override: DisplayWriter | undefined;

/** Replaces the kernel writer (tests, or front ends other than tslab); `undefined` restores the default. */
export function setDisplayWriter(writer: DisplayWriter | undefined): void {
  override = writer;
}

function kernelTslab(): TslabPublic | undefined {
  const hook = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__;
  if (!hook?.require) return undefined;
  try {
    return hook.require('tslab') as TslabPublic;
  } catch {
    return undefined;
  }
}

interface TslabJupyter {
  lastWriteDisplayData?: DisplayWriter | null;
}

/** The folder the kernel loaded its public tslab module from. */
function tslabDir(pub: TslabPublic): string | undefined {
  const entry = Object.entries(require.cache).find(([, m]) => m?.exports === pub);
  return entry ? path.dirname(entry[0]) : undefined;
}

function kernelJupyter(pub: TslabPublic): TslabJupyter | undefined {
  // The sibling jupyter.js of the kernel's public module holds the writer.
  const dir = tslabDir(pub);
  if (!dir) return undefined;
  try {
    const jupyter = require(path.join(dir, 'jupyter.js')) as TslabJupyter;
    return 'lastWriteDisplayData' in jupyter ? jupyter : undefined;
  } catch {
    return undefined;
  }
}

function bundleWriter(pub: TslabPublic): DisplayWriter | undefined {
  const jupyter = kernelJupyter(pub);
  if (!jupyter) return undefined;
  try {
    // Read it at call time: tslab sets it anew for every executing cell.
    return (content, update) => {
      const write = jupyter.lastWriteDisplayData;
      if (!write) throw new Error('tslab display is not ready (no cell is executing)');
      write(content, update);
    };
  } catch {
    return undefined;
  }
}

/** Preference order when only one MIME type can be sent. */
const SINGLE_TYPE_PREFERENCE = ['text/html', 'image/png', 'image/svg+xml', 'text/markdown', 'text/plain'];

function singleTypeWriter(pub: TslabPublic): DisplayWriter {
  return (content) => {
    const mime = SINGLE_TYPE_PREFERENCE.find((m) => typeof content.data[m] === 'string');
    if (!mime) return;
    const value = content.data[mime] as string;
    pub.display.raw(mime, mime.startsWith('image/') && mime !== 'image/svg+xml' ? Buffer.from(value, 'base64') : value);
  };
}

/**
 * A value that changes when another cell starts executing: tslab creates a new display writer
 * for every execute request (with {@link setDisplayWriter}, the writer set). Lets a display
 * created in one cell start a new output when it is used from a later cell, instead of
 * redrawing the earlier cell's output. Undefined outside a kernel or when it cannot be told.
 */
export function currentCell(): unknown {
  if (override) return override;
  const pub = kernelTslab();
  return pub ? (kernelJupyter(pub)?.lastWriteDisplayData ?? undefined) : undefined;
}

let sendsQueued = false;
/**
 * Makes the running kernel's output channel queue a message while it is busy instead of throwing
 * (see kernel-lib/send-queue.ts: without it, heavy output fails a cell with an empty `<Error>:`).
 * Importing kernel-lib calls it; it acts once per process and returns whether sends are queued
 * (false outside a kernel).
 */
export function queueOutputSends(): boolean {
  if (sendsQueued) return true;
  const pub = kernelTslab();
  const dir = pub ? tslabDir(pub) : undefined;
  sendsQueued = dir !== undefined && queueKernelSends(dir);
  return sendsQueued;
}

/** Whether code runs inside a tslab kernel (or a writer was set with {@link setDisplayWriter}). */
export function inKernel(): boolean {
  return override !== undefined || kernelTslab() !== undefined;
}

/** How outputs are sent now: `bundle` (all MIME types in one output), `single` (one type per output) or `none` (not in a kernel). */
export function displayMode(): 'bundle' | 'single' | 'none' {
  if (override) return 'bundle';
  const pub = kernelTslab();
  if (!pub) return 'none';
  return bundleWriter(pub) ? 'bundle' : 'single';
}

/**
 * Sends a MIME bundle as one output. Outside a kernel it prints the bundle's `text/plain` to
 * stdout and returns false.
 */
export function sendBundle(data: MimeBundle, options: { displayId?: string; update?: boolean; metadata?: Record<string, unknown> } = {}): boolean {
  const content: DisplayContent = { data, metadata: options.metadata ?? {}, transient: options.displayId ? { display_id: options.displayId } : {} };
  if (override) {
    override(content, options.update ?? false);
    return true;
  }
  const pub = kernelTslab();
  if (!pub) {
    if (typeof data['text/plain'] === 'string') process.stdout.write(`${data['text/plain'] as string}\n`);
    return false;
  }
  queueOutputSends();
  const writer = bundleWriter(pub) ?? singleTypeWriter(pub);
  writer(content, options.update ?? false);
  return true;
}
