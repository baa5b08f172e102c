/**
 * Notebook 05: the Dynamic Siphon's b:c grids (the paper's Tables 11/12) and the retrieval-size
 * curve (Fig. 8) as `primed-dyn` runs, and the size of each configuration's reference sets, read
 * from the reference-set cache (`<cache>/reference-sets/refset-<key>.json`).
 *
 * At mini scale the paper's b:c values are divided by 10 and rounded (the mini memory holds about
 * 1,200 pairs, the paper's millions), with the recipe's a and n; Fig. 8 scales the recipe's a:b:c
 * together by 0.25×–4× (0.5×–2× in the `core` plan).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultRecipe } from '../src/recipes';
import { getBenchmark } from '../src/benchmarks/index';
import { paperTables, type OrderedTriples } from '../src/paper/index';
import { stableStringify } from '../src/util/fs';
import type { MGTILResult } from '../src/experiment';
import { retrievalSizeFigure } from '../src/report/figures';
import { showFigure, showTable } from './display';
import { displayPath } from './paths';
import type { RunJob } from './runs';
import { ourTriple, paperKindsOf, PAPER_METRIC_NAMES, sequenceLabel, sideBySide, type NotebookContext, type PaperKind, type TaskOrder } from './notebook';

/** Per-query counts of the siphon's bags (task a, domain b, general c) and the general bag's size n. */
export interface SiphonCounts {
  /** Top-a per task-bag query. */
  a: number;
  /** Top-b per domain-bag query. */
  b: number;
  /** Top-c per general-bag query. */
  c: number;
  /** General questions sampled. */
  n: number;
}
/** The paper's two b:c grids. */
export type SiphonTable = 'table11' | 'table12';

/** A grid row: the paper's b:c, our counts, the paper's numbers, whether the plan runs it. */
export interface GridRow {
  /** Which table. */
  table: SiphonTable;
  /** The paper's b:c (`–` for the recipe's own default row). */
  bc: string;
  /** Our counts. */
  siphon: SiphonCounts;
  /** The paper's numbers per order (null for an extra row). */
  paper: OrderedTriples | null;
  /** Whether the plan runs it. */
  planned: boolean;
  /** A note (the paper's or the recipe's default). */
  note: string;
}

/** One cached reference set, as notebook 05 reads it. */
interface RefsetFile {
  key: string;
  parts: { memory: { embedder: string }; earlierTasks: { classNames: string[] }[]; options: { strategy: string; siphon: Record<string, number>; retrieval?: unknown }; seed: number };
  items: { row: number; bag: string }[];
}

/** Sizes of a configuration's reference sets: per task, per bag, and in all (null where not found). */
export interface ReferenceSetSizes {
  /** Entries per task's set. */
  perTask: (number | null)[];
  /** Entries per bag over the sequence. */
  bags: Record<string, number>;
  /** Total (null when a task's set was not found). */
  total: number | null;
}

/** Fig. 8's configurations on one benchmark: the recipe's counts scaled by each factor. */
export interface SizeCurve {
  /** The benchmark. */
  benchmark: string;
  /** One point per factor. */
  points: {
    /** The scaling of a, b and c. */
    factor: number;
    /** The scaled counts. */
    siphon: SiphonCounts;
  }[];
}

/** Everything notebook 05 runs and shows. */
export interface SiphonPlan {
  /** The benchmark of each grid: mini-MGTIL for both at mini scale. */
  gridBenchmark: Readonly<Record<SiphonTable, string>>;
  /** The grids' rows. */
  grids: Readonly<Record<SiphonTable, GridRow[]>>;
  /** Fig. 8's scalings per benchmark. */
  sizeCurve: SizeCurve[];
  /** Where the reference sets are cached. */
  refsetDir: string;
  /** The job of a configuration. */
  job(benchmark: string, order: TaskOrder, s: SiphonCounts): RunJob;
  /** The planned jobs, distinct. */
  jobs(): RunJob[];
  /** The reference-set sizes of a configuration that ran (null when it did not). */
  sizes(benchmark: string, order: TaskOrder, s: SiphonCounts): ReferenceSetSizes | null;
}

const sameSiphon = (x: SiphonCounts, y: SiphonCounts) => x.a === y.a && x.b === y.b && x.c === y.c && x.n === y.n;
const PAPER_DEFAULT_BC: Record<SiphonTable, string> = { table11: '30:80', table12: '70:100' };
const CORE_GRID = new Set(['table11 30:80']);
const counts = (s: SiphonCounts) => `${s.a}:${s.b}:${s.c}`;

/**
 * Builds notebook 05's plan. `embedderId` is the memory's embedder id (its reference sets carry
 * it); `cacheRoot` the library's cache folder (`cacheDir()`).
 */
export function siphonPlan(nb: NotebookContext, embedderId: string, cacheRoot: string): SiphonPlan {
  const gridBenchmark: Record<SiphonTable, string> = nb.scale === 'mini' ? { table11: 'mini-mgtil', table12: 'mini-mgtil' } : { table11: 'hieramedtransfer', table12: 'medxtreme' };
  const gridScale = nb.scale === 'mini' ? 0.1 : 1;
  const factors = nb.plan === 'all' ? [0.25, 0.5, 1, 2, 4] : [0.5, 1, 2];
  const recipeSiphon = (benchmark: string): SiphonCounts => {
    const s = defaultRecipe(benchmark, nb.scale).siphon;
    return { a: s.a, b: s.b, c: s.c, n: s.n };
  };
  const stem = (benchmark: string, s: SiphonCounts) => {
    const base = recipeSiphon(benchmark);
    return sameSiphon(s, base) ? 'primed-dyn' : `ablation-siphon-a${s.a}-b${s.b}-c${s.c}${s.n === base.n ? '' : `-n${s.n}`}`;
  };
  const job = (benchmark: string, order: TaskOrder, s: SiphonCounts): RunJob => {
    const st = stem(benchmark, s);
    const { root, ...backbone } = nb.paperParts(benchmark);
    return {
      ...backbone,
      name: nb.jobName(st, benchmark, order),
      options: {
        benchmark: benchmark, order: order, method: 'primed-dyn',
        recipe: st === 'primed-dyn' ? { trainer: { steps: nb.steps } } : { trainer: { steps: nb.steps }, siphon: s },
        seed: nb.env.seed, runDir: nb.runDir(st, benchmark, order),
        ...(root ? { root: root } : {}),
      },
    };
  };
  const gridRows = (table: SiphonTable): GridRow[] => {
    const base = recipeSiphon(gridBenchmark[table]);
    const rows: GridRow[] = Object.entries(paperTables[table]).map(([bc, paper]) => {
      const [b, c] = bc.split(':').map(Number);
      const siphon = { a: base.a, b: Math.round(b * gridScale), c: Math.round(c * gridScale), n: base.n };
      return { table: table, bc: bc, siphon: siphon, paper: paper, planned: nb.plan === 'all' || CORE_GRID.has(`${table} ${bc}`), note: bc === PAPER_DEFAULT_BC[table] ? "paper's default" : '' };
    });
    if (!rows.some((r) => sameSiphon(r.siphon, base))) rows.push({ table: table, bc: '–', siphon: base, paper: null, planned: true, note: `the ${nb.scale} recipe's default` });
    return rows;
  };
  const grids = { table11: gridRows('table11'), table12: gridRows('table12') };
  const sizeCurve = nb.benchmarks.map((benchmark) => {
    const base = recipeSiphon(benchmark);
    const scaled = (f: number) => ({ a: Math.max(1, Math.round(base.a * f)), b: Math.max(1, Math.round(base.b * f)), c: Math.max(1, Math.round(base.c * f)), n: base.n });
    return { benchmark: benchmark, points: factors.map((f) => ({ factor: f, siphon: f === 1 ? base : scaled(f) })) };
  });
  const refsetDir = path.join(cacheRoot, 'reference-sets');
  const readRefset = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as RefsetFile;
  const allRefsets = (): RefsetFile[] => {
    if (!fs.existsSync(refsetDir)) return [];
    return fs.readdirSync(refsetDir).filter((f) => /^refset-.*\.json$/.test(f))
      .map((f) => ({ f: f, t: fs.statSync(path.join(refsetDir, f)).mtimeMs }))
      .sort((x, y) => y.t - x.t)
      .map((x) => readRefset(path.join(refsetDir, x.f)));
  };
  // A run records the key of each task's set; a run read back complete retrieves nothing and records
  // none, so its sets are found by the inputs the key is a hash of.
  const referenceSetsOf = (r: MGTILResult, benchmark: string, order: TaskOrder, siphon: SiphonCounts): (RefsetFile | null)[] => {
    const spec = getBenchmark(benchmark);
    const classNames = spec.orders[order].map((id) => spec.tasks.find((t) => t.id === id)!.classNames);
    const stored = allRefsets();
    return r.tasks.map((_, t) => {
      const key = r.referenceKeys[t];
      const file = key ? path.join(refsetDir, `refset-${key}.json`) : '';
      if (file && fs.existsSync(file)) return readRefset(file);
      return stored.find((f) => f.parts.options.strategy === 'siphon' && f.parts.seed === r.seed && f.parts.memory.embedder === embedderId
        && stableStringify(f.parts.options.siphon) === stableStringify({ ...siphon, seed: r.seed })
        && stableStringify(f.parts.options.retrieval ?? {}) === stableStringify({})
        && f.parts.earlierTasks.length === t
        && f.parts.earlierTasks.every((e, i) => stableStringify(e.classNames) === stableStringify(classNames[i]))) ?? null;
    });
  };
  return {
    gridBenchmark: gridBenchmark,
    grids: grids,
    sizeCurve: sizeCurve,
    refsetDir: refsetDir,
    job: job,
    jobs() {
      const jobs = new Map<string, RunJob>();
      for (const order of nb.orders) {
        for (const table of ['table11', 'table12'] as const) for (const r of grids[table]) if (r.planned) { const j = job(gridBenchmark[table], order, r.siphon); jobs.set(j.name, j); }
        for (const curve of sizeCurve) for (const p of curve.points) { const j = job(curve.benchmark, order, p.siphon); jobs.set(j.name, j); }
      }
      return [...jobs.values()];
    },
    sizes(benchmark, order, s) {
      const r = nb.results.get(job(benchmark, order, s).name);
      if (!r) return null;
      const sets = referenceSetsOf(r, benchmark, order, s);
      const bags: Record<string, number> = { task: 0, domain: 0, general: 0 };
      for (const set of sets) for (const it of set?.items ?? []) bags[it.bag] = (bags[it.bag] ?? 0) + 1;
      const perTask = sets.map((set) => (set ? set.items.length : null));
      return { perTask: perTask, bags: bags, total: perTask.some((n) => n === null) ? null : perTask.reduce((x: number, n) => x + (n ?? 0), 0) };
    },
  };
}

/** Shows the plan's configurations: the paper's b:c, our counts, the run folder, whether planned. */
export function showSiphonPlan(nb: NotebookContext, plan: SiphonPlan): void {
  const runFolder = (benchmark: string, s: SiphonCounts) => path.basename(plan.job(benchmark, nb.orders[0], s).options.runDir ?? '');
  showTable([
    ...(['table11', 'table12'] as const).flatMap((table) => plan.grids[table].map((r) => ({
      experiment: table === 'table11' ? 'Table 11' : 'Table 12', 'paper b:c': r.bc, 'ours a:b:c (n)': `${counts(r.siphon)} (${r.siphon.n})`, note: r.note,
      'run directory': runFolder(plan.gridBenchmark[table], r.siphon), planned: r.planned ? 'yes' : `not run (plan ${nb.plan})`,
    }))),
    ...plan.sizeCurve.flatMap((curve) => curve.points.map((p) => ({
      experiment: 'Fig. 8', 'paper b:c': `×${p.factor}`, 'ours a:b:c (n)': `${counts(p.siphon)} (${p.siphon.n})`, note: p.factor === 1 ? 'recipe default' : '',
      'run directory': runFolder(curve.benchmark, p.siphon), planned: 'yes',
    }))),
  ], { caption: `siphon configurations (${plan.jobs().length} distinct runs in this plan)` });
}

/** The reference-set sizes of every configuration that ran, per order. */
export function showReferenceSetSizes(nb: NotebookContext, plan: SiphonPlan): void {
  for (const order of nb.orders) {
    const configs = new Map<string, { benchmark: string; siphon: SiphonCounts; where: string[] }>();
    const add = (benchmark: string, s: SiphonCounts, where: string) => {
      const k = `${benchmark} ${plan.job(benchmark, order, s).name}`;
      const c = configs.get(k) ?? { benchmark: benchmark, siphon: s, where: [] };
      c.where.push(where);
      configs.set(k, c);
    };
    for (const table of ['table11', 'table12'] as const) for (const r of plan.grids[table]) if (r.planned) add(plan.gridBenchmark[table], r.siphon, `${table === 'table11' ? 'T11' : 'T12'} ${r.bc}`);
    for (const curve of plan.sizeCurve) for (const p of curve.points) add(curve.benchmark, p.siphon, `Fig. 8 ×${p.factor}`);
    showTable([...configs.values()].map((c) => {
      const z = plan.sizes(c.benchmark, order, c.siphon);
      const row: Record<string, unknown> = { benchmark: c.benchmark, 'a:b:c': counts(c.siphon), used: c.where.join(', ') };
      (z?.perTask ?? []).forEach((n, t) => { row[`task ${t + 1}`] = n; });
      row['task bag'] = z?.bags.task ?? null;
      row['domain bag'] = z?.bags.domain ?? null;
      row['general bag'] = z?.bags.general ?? null;
      row.total = z?.total ?? null;
      return row;
    }), { caption: `reference-set sizes (distinct memory entries), Order ${order}; from ${displayPath(plan.refsetDir)}` });
  }
}

/**
 * One grid (Table 11 or 12) beside the paper's, for each order: in the table's own metrics, and
 * (Table 11 at mini scale, where both grids run on mini-MGTIL) our ACC/AUC/BWT for the same rows.
 */
export function showSiphonGrid(nb: NotebookContext, plan: SiphonPlan, table: SiphonTable): void {
  const benchmark = plan.gridBenchmark[table];
  const own: PaperKind = table === 'table11' ? 'HMT' : 'MX';
  const title = table === 'table11' ? 'Table 11' : 'Table 12';
  for (const order of nb.orders) {
    const result = (r: GridRow) => nb.results.get(plan.job(benchmark, order, r.siphon).name);
    showTable(plan.grids[table].map((r) => {
      const z = r.planned ? plan.sizes(benchmark, order, r.siphon) : null;
      return {
        ...sideBySide({ 'paper b:c': r.bc, 'ours a:b:c': counts(r.siphon), note: r.note, 'refs (total)': z?.total ?? null }, own, ourTriple(result(r), own), r.paper ? r.paper[order] : null),
        run: nb.runCell(plan.job(benchmark, order, r.siphon)),
      };
    }), { decimals: 1, caption: nb.caption(`${title} (siphon b:c), ${PAPER_METRIC_NAMES[own].join('/')}`, benchmark, order, own) });
    if (table !== 'table11') continue;
    for (const kind of paperKindsOf(benchmark).filter((k) => k !== own)) {
      showTable(plan.grids[table].map((r) => sideBySide({ 'paper b:c': r.bc, 'ours a:b:c': counts(r.siphon) }, kind, ourTriple(result(r), kind), null)),
        { decimals: 1, caption: `${title} rows, our ${PAPER_METRIC_NAMES[kind].join('/')} on ${sequenceLabel(benchmark, order)} (the paper reports ${title} as ${PAPER_METRIC_NAMES[own].join('/')} only)` });
    }
  }
}

/** Fig. 8: Transfer/Avg/Last (ACC on MedXtreme) against the total reference-set size, and its data. */
export async function showRetrievalSizeCurve(nb: NotebookContext, plan: SiphonPlan): Promise<void> {
  for (const order of nb.orders) for (const curve of plan.sizeCurve) {
    const pts = curve.points.map((p) => ({ p: p, z: plan.sizes(curve.benchmark, order, p.siphon), r: nb.results.get(plan.job(curve.benchmark, order, p.siphon).name) }))
      .filter((x) => x.z?.total !== null && x.z?.total !== undefined && x.r?.metrics)
      .sort((x, y) => x.z!.total! - y.z!.total!);
    if (pts.length < 2) {
      console.log(`Fig. 8 (${sequenceLabel(curve.benchmark, order)}): fewer than 2 points with a known reference-set size`);
      continue;
    }
    const metricNames = paperKindsOf(curve.benchmark).includes('HMT') ? ['Transfer', 'Avg', 'Last'] : ['ACC'];
    const value = (r: MGTILResult, name: string): number => {
      const m = r.metrics!;
      return ({ Transfer: m.transfer ?? 0, Avg: m.avg, Last: m.last, ACC: m.acc } as Record<string, number>)[name];
    };
    const chosen = pts.find((x) => x.p.factor === 1)?.z?.total ?? undefined;
    await showFigure(retrievalSizeFigure({
      title: `Fig. 8: accuracy vs retrieved reference-set size (${sequenceLabel(curve.benchmark, order)}, ${nb.steps} steps/task)`,
      series: metricNames.map((name) => ({ name: name, x: pts.map((x) => x.z!.total!), y: pts.map((x) => value(x.r!, name)) })),
      valueLabel: 'accuracy metric (%)',
      ...(chosen !== undefined ? { chosen: chosen } : {}),
    }));
    showTable(pts.map((x) => ({ scale: `×${x.p.factor}`, 'a:b:c': counts(x.p.siphon), 'retrieved (total)': x.z!.total!, ...Object.fromEntries(metricNames.map((n) => [n, value(x.r!, n)])) })),
      { decimals: 1, caption: `Fig. 8 data, ${sequenceLabel(curve.benchmark, order)}` });
  }
}
