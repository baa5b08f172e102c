/**
 * Projecting a memory's cost to paper scale (18M entries) from measured points: each quantity
 * (build seconds, disk bytes, peak RSS, queries/s) is fitted as `a · rows^b` by least squares on
 * log–log axes over the measured sizes, then evaluated at the target size. With one measured size
 * the exponent cannot be fitted and is taken as 1 (proportional growth), which the projection
 * says. `bench/memory/summarize-scale.ts` writes bench/README.md's table with these functions;
 * a test recomputes the table from the result files.
 */

/** One measurement: a quantity at a memory size. */
export interface ScaleSample {
  /** Entries in the memory. */
  rows: number;
  /** The measured quantity (seconds, bytes, MiB, queries/s). */
  value: number;
}

/** `value ≈ a · rows^b`. */
export interface PowerFit {
  /** Scale factor. */
  a: number;
  /** Growth exponent (1: proportional to rows; 0: constant). */
  b: number;
  /** `fit` (two or more sizes) or `proportional` (one size: b taken as 1). */
  basis: 'fit' | 'proportional';
}

/** Least-squares power law through `samples` (positive values, at least one size). */
export function fitPowerLaw(samples: ScaleSample[]): PowerFit {
  const ok = samples.filter((s) => s.rows > 0 && s.value > 0 && Number.isFinite(s.value));
  if (ok.length === 0) throw new Error('fitPowerLaw: no positive samples');
  const sizes = new Set(ok.map((s) => s.rows));
  if (sizes.size === 1) {
    const mean = ok.reduce((a, s) => a + s.value, 0) / ok.length;
    return { a: mean / ok[0].rows, b: 1, basis: 'proportional' };
  }
  const xs = ok.map((s) => Math.log(s.rows));
  const ys = ok.map((s) => Math.log(s.value));
  const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
  const my = ys.reduce((a, y) => a + y, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i] - my);
    sxx += (x - mx) ** 2;
  });
  const b = sxy / sxx;
  return { a: Math.exp(my - b * mx), b, basis: 'fit' };
}

/** The fitted quantity at `rows`. */
export function projectAt(fit: PowerFit, rows: number): number {
  return fit.a * rows ** fit.b;
}

/** One engine's projected cost at a target size. */
export interface EngineProjection {
  /** Engine (the bench stage name). */
  stage: string;
  /** Target rows. */
  rows: number;
  /** Measured sizes the projection rests on. */
  measuredRows: number[];
  /** Build hours (wall) on the measured machine's cores. */
  buildHours?: number;
  /** Build CPU-hours (all threads; wall hours on N free cores ≈ this / N): steadier than wall time on a shared machine. */
  buildCpuHours?: number;
  /** Disk, GB (10^9 bytes). */
  diskGB?: number;
  /** Peak resident memory, GiB. */
  peakRssGiB?: number;
  /** Queries per second for a batch of queries. */
  qps?: number;
  /** Fitted growth exponent and its basis, per quantity projected (`build_s`, `build_cpu_s`, `disk_bytes`, `peak_rss_mib`, `qps`). */
  exponents: Record<string, Pick<PowerFit, 'b' | 'basis'>>;
}

/** The parts of a `bench/memory/scale.ts` result file a projection reads. */
export interface ScaleResultFile {
  /** Rows of the run. */
  rows: number;
  /** When the run started (ISO time); the newest run's index-training settings choose the build times that are fitted. */
  started?: string;
  /** Per-engine results. */
  results: {
    /** Bench stage (engine) name. */
    stage: string;
    /** Rows the engine indexed (HNSW engines may run on a prefix). */
    rows?: number;
    /** Build seconds. */
    build_s?: number;
    /** Build CPU seconds (all threads). */
    build_cpu_s?: number;
    /** Disk bytes. */
    disk_bytes?: number | null;
    /** Peak RSS, MiB. */
    peak_rss_mib?: number;
    /** Queries per second. */
    qps?: number;
    /** Set when the stage failed or did not finish. */
    error?: string;
    /** The stage did not finish, but the quantities it records (e.g. disk bytes of what it wrote) were measured. */
    partial?: boolean;
    /** Rows an earlier, killed attempt had committed: the build times cover only the rest, so they are not used. */
    resumedFrom?: number;
    /**
     * The engine's parameters; queries/s are fitted only across runs with the same ones as the largest
     * run, build times only across runs with the newest run's `kmeansIterations`, `partitions` and
     * `segmentRows` (absent: the engine's default, or for usearch one graph however large).
     */
    params?: Record<string, number>;
    /** Queries/s measured again after the build at other search settings (e.g. an HNSW `ef` sweep), on the first `queries` queries. */
    sweep?: ({
      /** Queries per second at this entry's settings. */
      qps: number;
      /** Queries timed (the first ones of the pool). */
      queries?: number;
    } & Record<string, number | undefined>)[];
  }[];
}

/** A quantity of a scale result row. */
export type ScaleQuantity = 'build_s' | 'build_cpu_s' | 'disk_bytes' | 'peak_rss_mib' | 'qps';

/**
 * Projects engine `stage` to `rows` entries from every result file that measured it. Quantities
 * measured at two or more sizes are fitted; from a single size only those in `fromOneSize` are
 * projected (costs in proportion to rows, queries/s in inverse proportion), since the right law
 * depends on the engine: disk and an exhaustive scan's work grow with rows, a streaming search's
 * RSS does not, an HNSW search's cost grows about with log(rows). Default: build and disk.
 * With `inRam` (an index held in memory), the projected peak RSS is at least the projected index size.
 * With `search` (e.g. `{ ef: 512 }`), queries/s are projected at those search settings: each run
 * counts with its main rate when its parameters have them, else with its sweep's entry that has them.
 */
export function projectEngine(files: ScaleResultFile[], stage: string, rows: number, fromOneSize: ScaleQuantity[] = ['build_s', 'build_cpu_s', 'disk_bytes'], options: { inRam?: boolean; search?: Record<string, number> } = {}): EngineProjection {
  const measured = files.flatMap((f) => f.results.filter((r) => r.stage === stage && (!r.error || r.partial)).map((r) => ({ ...r, rows: r.rows ?? f.rows, started: f.started ?? '' })));
  if (measured.length === 0) throw new Error(`no measured run of ${stage}`);
  const search = options.search;
  const hasSearch = (o: Record<string, number | undefined>) => Object.entries(search ?? {}).every(([k, v]) => o[k] === v);
  // At the asked search settings, a run's queries/s is its main rate or its sweep's entry at them (none: no rate).
  const runs = !search ? measured : measured.map((r) => ({ ...r, qps: hasSearch(r.params ?? {}) ? r.qps : r.sweep?.find(hasSearch)?.qps, params: { ...r.params, ...search } }));
  // Build times depend on how the index trains (k-means iterations, partitions) and how many graphs
  // it builds (segment rows): fit only the runs built like the newest one.
  const newest = runs.reduce((a, r) => (r.started > a.started ? r : a));
  const training = (r: (typeof runs)[number]) => JSON.stringify([r.params?.kmeansIterations ?? null, r.params?.partitions ?? null, r.params?.segmentRows ?? null]);
  const trainedLikeNewest = (r: (typeof runs)[number]) => training(r) === training(newest);
  const out: EngineProjection = { stage, rows, measuredRows: [...new Set(runs.map((r) => r.rows))].sort((a, b) => a - b), exponents: {} };
  const one = (key: ScaleQuantity, scale: number): number | undefined => {
    // The largest run sets the search settings compared; of two at that size, the newer.
    const largest = runs.reduce((a, r) => (r.rows > a.rows || (r.rows === a.rows && r.started > a.started) ? r : a));
    const comparable = (r: (typeof runs)[number]) =>
      // A resumed build's times cover only the rows after the kill; queries/s depend on the search settings.
      ((key !== 'build_s' && key !== 'build_cpu_s') || (!r.resumedFrom && trainedLikeNewest(r))) && (key !== 'qps' || JSON.stringify(r.params ?? {}) === JSON.stringify(largest.params ?? {}));
    const samples = runs.filter((r) => typeof r[key] === 'number' && (r[key] as number) > 0 && comparable(r)).map((r) => ({ rows: r.rows, value: r[key] as number }));
    if (samples.length === 0) return undefined;
    const fit = fitPowerLaw(samples);
    if (fit.basis === 'proportional' && !fromOneSize.includes(key)) return undefined;
    // Queries/s falls with size: with one size, assume it falls in proportion (exhaustive-scan-like), the cautious case.
    const f = key === 'qps' && fit.basis === 'proportional' ? { ...fit, a: samples[0].value * samples[0].rows, b: -1 } : fit;
    out.exponents[key] = { b: f.b, basis: f.basis };
    return projectAt(f, rows) * scale;
  };
  out.buildHours = one('build_s', 1 / 3600);
  out.buildCpuHours = one('build_cpu_s', 1 / 3600);
  out.diskGB = one('disk_bytes', 1e-9);
  out.peakRssGiB = one('peak_rss_mib', 1 / 1024);
  // An in-RAM index holds its whole saved size in memory: a power law fitted to small sizes, where
  // the process's fixed baseline dominates, can project less RSS than the index itself.
  if (options.inRam && out.diskGB !== undefined) out.peakRssGiB = Math.max(out.peakRssGiB ?? 0, (out.diskGB * 1e9) / 2 ** 30);
  out.qps = one('qps', 1);
  return out;
}
