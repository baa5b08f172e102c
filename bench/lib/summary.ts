/**
 * The table in bench/README.md (figure, ours, peer, ratio), rebuilt from every result file in
 * bench/results, between the `<!-- results:start -->` and `<!-- results:end -->` markers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, writeFileAtomic } from '../../src/util/fs';
import type { ThroughputResult } from './throughput';
import type { EndToEndResult } from './e2e';

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(3);
}

/** One line of a skip reason: a stack trace is cut, and the result file named for the rest. */
function skipReason(reason: string, figure: string): string {
  let line = reason.split(/\n|\s{2,}at /)[0].trim().replace(/\|/g, '/');
  if (line.length > 200) line = `${line.slice(0, 200)}…`;
  if (line !== reason.trim().replace(/\|/g, '/')) line += ` (full message in bench/results/${figure}.json)`;
  return line;
}

function throughputRows(r: ThroughputResult, byFigure: Map<string, ThroughputResult>): string[] {
  const rows: string[] = [];
  const peer1 = r.peers.find((p) => p.details.threads === 1);
  const peerN = r.peers.find((p) => p.details.threads !== 1);
  const rss = (m: { details: Record<string, unknown> }) => (typeof m.details.peakRssMiB === 'number' && m.details.peakRssMiB > 0 ? `, peak RSS ${fmt(m.details.peakRssMiB)} MiB` : '');
  for (const o of r.ours) {
    // torch rows face the peer at the same thread count; the single-threaded backends face both.
    const threads = (o.details.backend as { name?: string; threads?: number } | undefined)?.name === 'torch' ? (o.details.backend as { threads: number }).threads : undefined;
    const facing = threads === undefined ? [peer1, peerN] : r.peers.filter((p) => p.details.threads === threads);
    for (const p of facing) {
      if (!p) continue;
      rows.push(`| ${r.figure} | ${o.label}: ${fmt(o.imagesPerSec)} img/s${rss(o)} | ${p.label}: ${fmt(p.imagesPerSec)} img/s${rss(p)} | ${(o.imagesPerSec / p.imagesPerSec).toFixed(2)} |`);
    }
    if (!r.peers.length) rows.push(`| ${r.figure} | ${o.label}: ${fmt(o.imagesPerSec)} img/s | none | |`);
  }
  // Kernel speed-up and the method's cost, beside their baselines in the same run.
  const plain = r.ours.find((o) => o.label.endsWith('wasm'));
  const native = r.ours.find((o) => o.label.includes('native'));
  if (plain && native) rows.push(`| ${r.figure} | ${native.label}: ${fmt(native.imagesPerSec)} img/s | ${plain.label}: ${fmt(plain.imagesPerSec)} img/s | ${(native.imagesPerSec / plain.imagesPerSec).toFixed(2)} |`);
  if (r.kind === 'primed') {
    const base = byFigure.get(r.figure.replace(/^primed-/, 'train-'));
    for (const o of r.ours) {
      const b = base?.ours.find((x) => x.label === o.label);
      if (b) rows.push(`| ${r.figure} vs fine-tuning | ${o.label} PRIMED: ${fmt(o.imagesPerSec)} img/s | same, fine-tuning: ${fmt(b.imagesPerSec)} img/s | ${(o.imagesPerSec / b.imagesPerSec).toFixed(2)} |`);
    }
    const bp = base?.peers.find((x) => x.details.threads === 1);
    if (peer1 && bp) rows.push(`| ${r.figure} vs fine-tuning | ${peer1.label} PRIMED: ${fmt(peer1.imagesPerSec)} img/s | same, fine-tuning: ${fmt(bp.imagesPerSec)} img/s | ${(peer1.imagesPerSec / bp.imagesPerSec).toFixed(2)} |`);
  }
  for (const s of r.skipped) rows.push(`| ${r.figure} | skipped: ${skipReason(s, r.figure)} | | |`);
  return rows;
}

/** Rows of a device check (bench/gpu/run.sh): BiomedCLIP-shaped steps against PyTorch on one device, and mini-MGTIL once. */
function deviceCheckRows(d: Record<string, any>): string[] {
  const rows: string[] = [];
  const where = `${d.figure} (${String(d.device).replace(/\|/g, '/')}, batch ${d.batch}, ${d.threads} threads)`;
  for (const r of d.rows ?? []) {
    const mem = (v: number | null | undefined) => (typeof v === 'number' ? `, peak RSS ${fmt(v)} MiB` : '');
    if (r.oursImagesPerSec && r.peerImagesPerSec) {
      rows.push(`| ${where} ${r.kind} ${r.precision} | tfjs torch: ${fmt(r.oursImagesPerSec)} img/s${mem(r.memory?.oursPeakRssMiB)} | pytorch: ${fmt(r.peerImagesPerSec)} img/s${mem(r.memory?.peerPeakRssMiB)} | ${(r.oursImagesPerSec / r.peerImagesPerSec).toFixed(2)} |`);
    } else {
      rows.push(`| ${where} ${r.kind} ${r.precision} | failed: ${skipReason((r.errors ?? []).join('; '), d.figure)} | | |`);
    }
  }
  const m = d.miniMgtil;
  if (m?.metrics) rows.push(`| ${where} mini-MGTIL ${m.method} order ${m.order} | ${fmt(m.wallSeconds)} s wall; Avg ${m.metrics.avg.toFixed(1)}, Last ${m.metrics.last.toFixed(1)} | | |`);
  else if (m?.error) rows.push(`| ${where} mini-MGTIL | failed: ${skipReason(String(m.error), d.figure)} | | |`);
  return rows;
}

function memoryRows(m: Record<string, any>): string[] {
  const h = m.hnswlib_node ?? {};
  const f = m.faiss ?? {};
  const rows: string[] = [];
  const size = typeof m.data?.n === 'number' ? `${m.data.n.toLocaleString('en-US')} x ${m.data.dim}` : '';
  const pair = (name: string, a: unknown, b: unknown, unit: string, higherBetter: boolean) => {
    if (typeof a !== 'number') return;
    const peer = typeof b === 'number' ? `faiss: ${fmt(b)} ${unit}` : `faiss: ${f.error ?? 'absent'}`;
    const ratio = typeof b === 'number' ? (higherBetter ? a / b : b / a).toFixed(2) : '';
    rows.push(`| memory ${size} ${name} | hnswlib-node: ${fmt(a)} ${unit} | ${peer} | ${ratio} |`);
  };
  pair('HNSW queries', h.qps, f.qps, 'q/s', true);
  pair('HNSW build (ratio: peer time / ours)', h.build_s, f.build_s, 's', false);
  pair('HNSW recall@10', h.recall_at_10, f.recall_at_10, '', true);
  if (typeof h.peak_rss_mib === 'number') rows.push(`| memory ${size} HNSW peak RSS | hnswlib-node: ${fmt(h.peak_rss_mib)} MiB (process) | ${typeof f.peak_rss_mib === 'number' ? `faiss: ${fmt(f.peak_rss_mib)} MiB (process)` : ''} | |`);
  if (typeof m.exact?.qps === 'number') rows.push(`| memory ${size} exact search | ${fmt(m.exact.qps)} q/s | | |`);
  const sp = m.reference_set?.siphon;
  if (sp && typeof sp.seconds === 'number') rows.push(`| memory ${size} Dynamic Siphon reference set (pool ${m.reference_set.pool}: ${sp.queries} retrieval queries, ${sp.items} items) | ${fmt(sp.seconds)} s | | |`);
  const fp = m.reference_set?.full_pool_pipeline;
  if (fp) rows.push(`| memory ${size} retrieval pipeline, ${fp.queries} queries | ${fmt(fp.queries_per_s)} q/s | | |`);
  return rows;
}

/** Rebuilds the results table of `readme` from the JSON files in `resultsDir`. */
export function writeSummary(resultsDir: string, readme: string): void {
  const files = fs.existsSync(resultsDir) ? fs.readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort() : [];
  const throughput = new Map<string, ThroughputResult>();
  let e2e: EndToEndResult | undefined;
  const memories: Record<string, unknown>[] = [];
  const gpuRows: string[] = [];
  for (const f of files) {
    const data = readJson<Record<string, unknown>>(path.join(resultsDir, f));
    if (/^gpu-.*\.json$/.test(f)) gpuRows.push(...deviceCheckRows(data));
    else if (/^memory-retrieval.*\.json$/.test(f)) memories.push(data);
    else if (data.figure === 'e2e-mini-mgtil') e2e = data as unknown as EndToEndResult;
    else if (Array.isArray(data.ours)) throughput.set(String(data.figure), data as unknown as ThroughputResult);
  }
  const order = { train: 0, primed: 1, eval: 2 } as const;
  const sorted = [...throughput.values()].sort((a, b) => order[a.kind] - order[b.kind] || a.figure.localeCompare(b.figure));
  const rows = sorted.flatMap((r) => throughputRows(r, throughput));
  memories.sort((a: any, b: any) => (a.data?.n ?? 0) - (b.data?.n ?? 0));
  for (const memory of memories) rows.push(...memoryRows(memory));
  if (!memories.length)
    rows.push('| memory retrieval | not measured yet (bench/results/memory-retrieval.json absent) | | |');
  rows.push(...gpuRows);
  for (const run of e2e?.runs ?? []) {
    rows.push(run.wallSeconds !== undefined
      ? `| e2e \`${run.command}\` | ${fmt(run.wallSeconds)} s wall, ${run.peakRssMiB} MiB peak RSS${run.note ? ` (${run.note})` : ''} | | |`
      : `| e2e \`${run.command}\` | ${run.note} | | |`);
  }
  const machine = sorted[0]?.machine ?? e2e?.machine;
  const dates = [...sorted.map((r) => r.machine.date), ...(e2e ? [e2e.machine.date] : []), ...memories.map((m: any) => String(m.date ?? ''))]
    .filter(Boolean)
    .map((d) => d.slice(0, 16).replace('T', ' '))
    .sort();
  const loads = [...sorted.map((r) => r.machine.loadAverage), ...(e2e ? [e2e.machine.loadAverage] : [])];
  const head = machine
    ? `Runs between ${dates[0]} and ${dates[dates.length - 1]} UTC (each result file records its own date and load): ${machine.cpuModel}, ${machine.cores} cores shared with other work ` +
      `(load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} at the start of the runs), Node ${machine.node}, tfjs ${machine.tfjs}, torch ${machine.torch}. ` +
      'The two sides of each row ran back to back in the same run.'
    : 'No results yet: run `npm run bench`.';
  const table = [head, '', 'Ratio = ours / peer (above 1: ours is faster).', '', '| figure | ours | peer | ratio |', '|---|---|---|---|', ...rows].join('\n');
  const text = fs.existsSync(readme) ? fs.readFileSync(readme, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${readme}: markers ${START} / ${END} missing; cannot place the results table`);
  writeFileAtomic(readme, `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`);
}
