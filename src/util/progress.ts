/**
 * Progress reporting. Long work takes a `ProgressSink`; the terminal gets a bar
 * ({@link terminalProgress}), notebooks get a live display (kernel-lib), tests get nothing.
 */

/** One progress update. */
export interface ProgressEvent {
  /** What is progressing, e.g. `train pneumoniamnist`. */
  label: string;
  /** Units done. */
  done: number;
  /** Units in all (0 when unknown). */
  total: number;
  /** Optional figures to show, e.g. `{ loss: 0.41 }`. */
  metrics?: Record<string, number>;
  /**
   * The display line this event redraws (default: `label`). A worker running one stage after another
   * uses one slot (`worker 1`) with the stage in its label (`worker 1: train breastmnist`), so its
   * line always shows the current stage's own units instead of mixing steps and tasks in one bar.
   */
  slot?: string;
}

/** Receives progress updates. */
export type ProgressSink = (event: ProgressEvent) => void;

/** A sink that ignores everything. */
export const silentProgress: ProgressSink = () => {};

function fmt(n: number): string {
  return Math.abs(n) >= 100 || Number.isInteger(n) ? n.toFixed(0) : n.toPrecision(3);
}

/** Seconds as progress displays show them: tenths below 100 s (`0s`, `0.6s`, `18.3s`), whole seconds above; never `0.00200s`. */
export function formatSeconds(s: number): string {
  const r = Math.round(s * 10) / 10;
  return Math.abs(r) >= 100 || Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1);
}

/**
 * A progress bar on stderr that redraws in place on a TTY and prints a line at most every
 * `minIntervalMs` (and at completion) otherwise, so CI logs stay short.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr, minIntervalMs = 2000): ProgressSink {
  const started = new Map<string, { label: string; at: number }>();
  let lastPrint = 0;
  return (e) => {
    const now = Date.now();
    const key = e.slot ?? e.label;
    const prev = started.get(key);
    // a new label in the same slot is a new stage: its clock (and eta) starts again
    if (!prev || prev.label !== e.label) started.set(key, { label: e.label, at: now });
    const finished = e.total > 0 && e.done >= e.total;
    const width = 24;
    const frac = e.total > 0 ? Math.min(1, e.done / e.total) : 0;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const elapsed = (now - (started.get(key)?.at ?? now)) / 1000;
    const eta = frac > 0 && !finished ? ` eta ${formatSeconds((elapsed / frac) * (1 - frac))}s` : '';
    const metrics = e.metrics ? ' ' + Object.entries(e.metrics).map(([k, v]) => `${k} ${fmt(v)}`).join(' ') : '';
    const pct = e.total > 0 ? ` (${Math.round(frac * 100)}%)` : '';
    const line = `${e.label} [${bar}] ${e.done}/${e.total || '?'}${pct} ${formatSeconds(elapsed)}s${eta}${metrics}`;
    if (stream.isTTY) {
      stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1)}\x1b[K${finished ? '\n' : ''}`);
    } else if (finished || now - lastPrint >= minIntervalMs) {
      stream.write(line + '\n');
      lastPrint = now;
    }
    if (finished) started.delete(key);
  };
}
