/**
 * Collects finished `primed evaluate` runs into one results file and markdown tables:
 *   npx tsx scripts/summarize-runs.ts runs/grid/* runs/oos/* --out results/mini-mgtil-multiseed [--readme README.md] [--skip-incomplete]
 * writes `<out>.json` (every run: matrix, zero-shot row, metrics, config, backend, timings; and
 * per (order, method, memory source) the mean and sample sd over seeds of each metric) and
 * `<out>.md` (the mean ± sd table, the per-run table and each accuracy matrix). With `--readme`,
 * the text between `<!-- summarize-runs:start -->` and `<!-- summarize-runs:end -->` in that file
 * is replaced by the mean ± sd table (README tables are regenerated, never hand-edited).
 * Folders that are not complete runs are refused, naming the folder (`--skip-incomplete` leaves
 * unfinished runs out with a warning).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../src/util/fs';
import type { ProtocolResult } from '../src/eval/protocol';

type Run = ProtocolResult & {
  config: { method: string; order: string; recipe: unknown; memory?: { source?: string } | null; methodOptions?: Record<string, unknown> };
  seed?: number;
  backend?: { name?: string; threads?: number };
};

/** The metrics the tables report, in column order. */
export const METRICS = ['transfer', 'avg', 'last', 'bwt', 'forgetting', 'auc'] as const;

/** Mean and sample standard deviation (n − 1; 0 for one value) of finite numbers. */
export function meanSd(xs: number[]): { mean: number; sd: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

/** The memory a run retrieved from: `in-source`, `out-of-source`, `user`, or `none` (no memory). */
export function memorySourceOf(r: Run): string {
  if (!r.config.memory) return 'none';
  return r.config.memory.source ?? 'in-source';
}

function main(): void {
  const args = process.argv.slice(2);
  const take = (flag: string) => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    if (!args[i + 1]) throw new Error(`option ${flag} needs a value`);
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const out = take('--out');
  const readme = take('--readme');
  const skipIncomplete = args.includes('--skip-incomplete');
  if (skipIncomplete) args.splice(args.indexOf('--skip-incomplete'), 1);
  if (!out) throw new Error('usage: summarize-runs.ts RUN_DIR... --out PREFIX [--readme README.md]');
  const dirs = args.filter((d) => fs.existsSync(path.join(d, 'result.json')) || !d.endsWith('.log'));
  if (dirs.length === 0) throw new Error('summarize-runs: no run folders given');
  const all = dirs.map((d) => {
    const file = path.join(d, 'result.json');
    if (!fs.existsSync(file)) throw new Error(`${d}: not a run folder (no result.json)`);
    const r = readJson<Run>(file);
    if (!r.complete && !skipIncomplete) throw new Error(`${d}: the run is not complete (${r.rowsDone} of ${r.tasks.length} rows); --skip-incomplete leaves it out`);
    if (!r.complete) process.stderr.write(`summarize-runs: ${d} is not complete (${r.rowsDone} of ${r.tasks.length} rows), left out\n`);
    return { dir: d, result: r };
  });
  const runs = all.filter((x) => x.result.complete);
  if (runs.length === 0) throw new Error('summarize-runs: no complete run');
  // One decimal everywhere, and never "-0.0".
  const f = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1).replace(/^-0\.0$/, '0.0'));
  const seedOf = (r: Run) => r.seed ?? (r as unknown as { config: { seed?: number } }).config.seed;

  // Groups: (order, method, memory source, method options) → runs; runs of one method with other
  // options (e.g. `--set referenceTexts=batch`) form their own group, labelled by what differs.
  const groups = new Map<string, { order: string; method: string; memory: string; options: Record<string, unknown>; runs: Run[]; dirs: string[] }>();
  for (const { dir, result: r } of runs) {
    const options = r.config.methodOptions ?? {};
    const key = `${r.config.order}|${r.config.method}|${memorySourceOf(r)}|${JSON.stringify(options)}`;
    if (!groups.has(key)) groups.set(key, { order: r.config.order, method: r.config.method, memory: memorySourceOf(r), options, runs: [], dirs: [] });
    groups.get(key)!.runs.push(r);
    groups.get(key)!.dirs.push(dir);
  }
  const methodRank = ['finetune', 'l2', 'ewc', 'lwf', 'icarl', 'wise-ft', 'zscl', 'primed-uni', 'primed-dyn', 'primed'];
  const sorted = [...groups.values()].sort((a, b) =>
    a.order.localeCompare(b.order) || a.memory.replace('none', 'in-source').localeCompare(b.memory.replace('none', 'in-source')) || methodRank.indexOf(a.method) - methodRank.indexOf(b.method));
  const variantOf = (g: (typeof sorted)[number]) => {
    const others = sorted.filter((x) => x !== g && x.method === g.method);
    if (others.length === 0) return '';
    const base = others.sort((a, b) => b.runs.length - a.runs.length)[0].options;
    // Only plain values name a variant (a recorded list is an object: its count and hash).
    const diff = Object.keys(g.options).filter((k) => JSON.stringify(g.options[k]) !== JSON.stringify(base[k]) && (typeof g.options[k] !== 'object' || g.options[k] === null));
    return diff.length ? ` (${diff.map((k) => `${k}=${JSON.stringify(g.options[k])}`).join(', ')})` : '';
  };
  const stats = sorted.map((g) => ({
    order: g.order, method: g.method + variantOf(g), memory: g.memory,
    seeds: g.runs.map((r) => seedOf(r)),
    backends: [...new Set(g.runs.map((r) => `${r.backend?.name ?? '?'} (threads ${r.backend?.threads ?? '?'})`))],
    runs: g.dirs,
    metrics: Object.fromEntries(METRICS.map((m) => [m, meanSd(g.runs.map((r) => r.metrics![m] as number).filter((x) => Number.isFinite(x)))])),
    trainS: meanSd(g.runs.map((r) => r.timings.rows.reduce((a, x) => a + x.trainS, 0))),
  }));

  const table: string[] = [];
  table.push('| order | method | memory | seeds | Transfer | Avg | Last | BWT | Forgetting | AUC | train s |');
  table.push('|---|---|---|---|---|---|---|---|---|---|---|');
  const pm = (s: { mean: number; sd: number; n: number }) => (s.n === 0 ? '–' : s.n === 1 ? `${f(s.mean)}` : `${f(s.mean)} ± ${f(s.sd)}`);
  for (const order of [...new Set(stats.map((s) => s.order))]) {
    const first = runs.find((r) => r.result.config.order === order)!.result;
    const zs = first.zeroShot!;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    table.push(`| ${order} | zero-shot | – | – | ${f(mean(zs.slice(1)))} | ${f(mean(zs))} | ${f(mean(zs))} | – | – | – | – |`);
    for (const s of stats.filter((x) => x.order === order)) {
      table.push(`| ${order} | ${s.method} | ${s.memory === 'none' ? '–' : s.memory} | ${s.seeds.join(', ')} | ${METRICS.map((m) => pm(s.metrics[m])).join(' | ')} | ${s.trainS.mean.toFixed(0)} |`);
    }
  }

  // In-source vs out-of-source memory: each method run with both memories, beside fine-tuning (no
  // memory), with the accuracy on each task after the last one (mean over seeds), which shows where
  // a gain in Last comes from.
  const memoryTable: string[] = [];
  for (const order of [...new Set(sorted.map((g) => g.order))]) {
    const inOrder = sorted.filter((g) => g.order === order);
    const both = inOrder.filter((g) => g.memory !== 'none' && inOrder.some((o) => o.method === g.method && o.memory !== g.memory && o.memory !== 'none'));
    if (both.length === 0) continue;
    const shown = [...inOrder.filter((g) => g.method === 'finetune' && g.memory === 'none'), ...both];
    const tasks = shown[0].runs[0].tasks;
    if (memoryTable.length === 0) {
      memoryTable.push(`| order | method | memory | seeds | Avg | Last | BWT | ${tasks.join(' | ')} |`);
      memoryTable.push(`|---|---|---|---|---|---|---|${tasks.map(() => '---').join('|')}|`);
    }
    for (const g of shown) {
      const s = stats[sorted.indexOf(g)];
      const finals = tasks.map((_, j) => meanSd(g.runs.map((r) => r.matrix[r.matrix.length - 1][j] as number)));
      memoryTable.push(`| ${order} | ${s.method} | ${g.memory === 'none' ? '–' : g.memory} | ${s.seeds.join(', ')} | ${(['avg', 'last', 'bwt'] as const).map((m) => pm(s.metrics[m])).join(' | ')} | ${finals.map(pm).join(' | ')} |`);
    }
  }

  const lines: string[] = [];
  lines.push('Mean ± sample sd over seeds (generated by scripts/summarize-runs.ts from the result files; do not edit):', '', ...table, '');
  if (memoryTable.length) lines.push('In-source vs out-of-source memory (accuracy on each task after the last task, mean ± sd over seeds):', '', ...memoryTable, '');
  lines.push('Each run:', '');
  lines.push('| run | order | method | memory | seed | backend | Transfer | Avg | Last | ACC | BWT | Forgetting | AUC | train s | eval s |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const { dir, result: r } of runs) {
    const m = r.metrics!;
    const trainS = r.timings.rows.reduce((a, x) => a + x.trainS, 0);
    const evalS = r.timings.rows.reduce((a, x) => a + x.evalS, 0) + (r.timings.zeroShotEvalS ?? 0);
    lines.push(`| ${path.basename(dir)} | ${r.config.order} | ${r.config.method} | ${memorySourceOf(r)} | ${seedOf(r)} | ${r.backend?.name ?? '?'} ×${r.backend?.threads ?? '?'} | ${f(m.transfer)} | ${f(m.avg)} | ${f(m.last)} | ${f(m.acc)} | ${f(m.bwt)} | ${f(m.forgetting)} | ${f(m.auc)} | ${trainS.toFixed(0)} | ${evalS.toFixed(0)} |`);
  }
  lines.push('');
  for (const { dir, result: r } of runs) {
    lines.push(`**${path.basename(dir)}** (${r.config.method}, order ${r.config.order}, memory ${memorySourceOf(r)}, seed ${seedOf(r)}), accuracy (%) after each task (rows) on each test set (columns):`);
    lines.push('');
    lines.push(`| | ${r.tasks.join(' | ')} |`);
    lines.push(`|---|${r.tasks.map(() => '---').join('|')}|`);
    lines.push(`| zero-shot | ${r.zeroShot!.map(f).join(' | ')} |`);
    r.matrix.forEach((row, t) => lines.push(`| after ${t + 1}. ${r.tasks[t]} | ${row.map(f).join(' | ')} |`));
    lines.push('');
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  writeJsonAtomic(`${out}.json`, { generatedBy: 'scripts/summarize-runs.ts', groups: stats, memoryTable, runs: runs.map(({ dir, result }) => ({ dir, ...result })) });
  writeFileAtomic(`${out}.md`, lines.join('\n') + '\n');
  if (readme) {
    const text = fs.readFileSync(readme, 'utf8');
    const start = '<!-- summarize-runs:start -->';
    const end = '<!-- summarize-runs:end -->';
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a < 0 || b < a) throw new Error(`${readme}: no ${start} … ${end} block to replace`);
    const generatedBy = `<!-- generated by: npx tsx scripts/summarize-runs.ts --out ${out} --readme (${runs.length} runs listed in ${out}.json); do not edit -->`;
    const block = `${start}\n${generatedBy}\n\n${table.join('\n')}\n\n${end}`;
    let updated = text.slice(0, a) + block + text.slice(b + end.length);
    // The memory comparison block is optional in the README; when present it is regenerated too.
    const mStart = '<!-- summarize-runs:memory:start -->';
    const mEnd = '<!-- summarize-runs:memory:end -->';
    const ma = updated.indexOf(mStart);
    const mb = updated.indexOf(mEnd);
    if (ma >= 0 && mb > ma) {
      const body = memoryTable.length ? memoryTable.join('\n') : '(no method was run with two memories)';
      updated = updated.slice(0, ma) + `${mStart}\n${generatedBy}\n\n${body}\n\n${mEnd}` + updated.slice(mb + mEnd.length);
    }
    writeFileAtomic(readme, updated);
  }
  process.stdout.write(table.join('\n') + '\n');
}

main();
