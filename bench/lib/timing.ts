/** Repeat-until-stable timing: warm-up runs, then at least `minRuns` runs and `minSeconds`. */

/** How long to measure. */
export interface TimingOptions {
  /** Untimed runs first (kernel set-up, allocator warm-up). */
  warmup: number;
  /** Timed runs at least. */
  minRuns: number;
  /** Timed seconds at least. */
  minSeconds: number;
  /** Timed runs at most. */
  maxRuns: number;
}

/** Full and `--quick` timing budgets. */
export const TIMING: Record<'full' | 'quick', TimingOptions> = {
  full: { warmup: 2, minRuns: 5, minSeconds: 6, maxRuns: 200 },
  quick: { warmup: 1, minRuns: 2, minSeconds: 1.5, maxRuns: 50 },
};

/** Seconds of each timed run of `fn`. */
export async function timeRuns(fn: () => void | Promise<void>, o: TimingOptions): Promise<number[]> {
  for (let i = 0; i < o.warmup; i++) await fn();
  const times: number[] = [];
  const began = performance.now();
  while (times.length < o.maxRuns && (times.length < o.minRuns || performance.now() - began < o.minSeconds * 1000)) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return times;
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
