/**
 * Collects finished `primed evaluate` runs into one results file and a markdown table:
 *   npx tsx scripts/summarize-runs.ts runs/readme/finetune-I runs/readme/zscl-I runs/readme/primed-dyn-I \
 *     --out results/mini-mgtil-order-I
 * writes `<out>.json` (every matrix, zero-shot row, metrics, config, backend, timings) and
 * `<out>.md` (the Table 1-style summary and each accuracy matrix).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../src/util/fs';
import type { ProtocolResult } from '../src/eval/protocol';

const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
if (outIdx < 0 || !args[outIdx + 1]) throw new Error('usage: summarize-runs.ts RUN_DIR... --out PREFIX');
const out = args[outIdx + 1];
const dirs = args.filter((_, i) => i !== outIdx && i !== outIdx + 1);

const runs = dirs.map((d) => {
  const r = readJson<ProtocolResult & { config: { method: string; order: string; recipe: unknown } }>(path.join(d, 'result.json'));
  if (!r.complete) throw new Error(`${d}: the run is not complete (${r.rowsDone} of ${r.tasks.length} rows)`);
  return { dir: d, result: r };
});
const f = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(1));
const lines: string[] = [];
lines.push('| method | Transfer | Avg | Last | ACC | BWT | Forgetting | AUC | train s | eval s |');
lines.push('|---|---|---|---|---|---|---|---|---|---|');
const zs = runs[0].result.zeroShot!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
lines.push(`| zero-shot | ${f(mean(zs.slice(1)))} | ${f(mean(zs))} | ${f(mean(zs))} | ${f(mean(zs))} | – | – | – | | |`);
for (const { result: r } of runs) {
  const m = r.metrics!;
  const trainS = r.timings.rows.reduce((a, x) => a + x.trainS, 0);
  const evalS = r.timings.rows.reduce((a, x) => a + x.evalS, 0) + (r.timings.zeroShotEvalS ?? 0);
  lines.push(`| ${r.config.method} | ${f(m.transfer)} | ${f(m.avg)} | ${f(m.last)} | ${f(m.acc)} | ${f(m.bwt)} | ${f(m.forgetting)} | ${f(m.auc)} | ${trainS.toFixed(0)} | ${evalS.toFixed(0)} |`);
}
lines.push('');
for (const { result: r } of runs) {
  lines.push(`**${r.config.method}**, accuracy (%) after each task (rows) on each test set (columns):`);
  lines.push('');
  lines.push(`| | ${r.tasks.join(' | ')} |`);
  lines.push(`|---|${r.tasks.map(() => '---').join('|')}|`);
  lines.push(`| zero-shot | ${r.zeroShot!.map(f).join(' | ')} |`);
  r.matrix.forEach((row, t) => lines.push(`| after ${t + 1}. ${r.tasks[t]} | ${row.map(f).join(' | ')} |`));
  lines.push('');
}
fs.mkdirSync(path.dirname(out), { recursive: true });
writeJsonAtomic(`${out}.json`, { generatedBy: 'scripts/summarize-runs.ts', runs: runs.map(({ dir, result }) => ({ dir, ...result })) });
writeFileAtomic(`${out}.md`, lines.join('\n') + '\n');
process.stdout.write(lines.join('\n') + '\n');
