import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fitPowerLaw, projectAt, projectEngine } from '../src/memory/scale-projection';
import { readScaleFiles, renderScaleSection, SCALE_BEGIN, SCALE_END } from '../bench/memory/scale-report';

test('the power-law fit recovers known growth and projects it', () => {
  // build seconds = 3e-4 · rows^1.1 at 1M, 2M, 5M
  const fit = fitPowerLaw([1e6, 2e6, 5e6].map((rows) => ({ rows, value: 3e-4 * rows ** 1.1 })));
  assert.equal(fit.basis, 'fit');
  assert.ok(Math.abs(fit.b - 1.1) < 1e-9);
  assert.ok(Math.abs(projectAt(fit, 18e6) / (3e-4 * 18e6 ** 1.1) - 1) < 1e-9);
  // By hand: 1,000 s at 1M and 2,000 s at 2M is b = 1, so 18M takes 18,000 s = 5 h.
  const lin = fitPowerLaw([{ rows: 1e6, value: 1000 }, { rows: 2e6, value: 2000 }]);
  assert.ok(Math.abs(lin.b - 1) < 1e-12);
  assert.ok(Math.abs(projectAt(lin, 18e6) - 18_000) < 1e-6);
  // One size: proportional growth, stated as such.
  const one = fitPowerLaw([{ rows: 1e6, value: 2e9 }]);
  assert.deepEqual({ b: one.b, basis: one.basis }, { b: 1, basis: 'proportional' });
  assert.equal(projectAt(one, 18e6), 36e9);
});

test('projectEngine: hours, GB and GiB from a result file; from one size only the quantities asked for (queries/s inversely)', () => {
  const file = { rows: 1e6, results: [{ stage: 'lance', build_s: 1800, build_cpu_s: 720, disk_bytes: 2.2e9, peak_rss_mib: 1024, qps: 90 }, { stage: 'lance-x', error: 'exited with 1' }] };
  const p = projectEngine([file], 'lance', 18e6, ['build_s', 'build_cpu_s', 'disk_bytes', 'peak_rss_mib', 'qps']);
  assert.equal(p.buildCpuHours, 3.6); // 720 CPU-s × 18 / 3,600
  assert.equal(p.buildHours, 9); // 1,800 s × 18 / 3,600
  assert.ok(Math.abs(p.diskGB! - 39.6) < 1e-9);
  assert.equal(p.peakRssGiB, 18);
  assert.equal(p.qps, 5); // 90 × 1M / 18M
  const def = projectEngine([file], 'lance', 18e6);
  assert.deepEqual([def.peakRssGiB, def.qps], [undefined, undefined], 'RSS and queries/s are not extrapolated from one size by default');
  assert.throws(() => projectEngine([], 'lance', 18e6), /no measured run of lance/);
  // A stage that did not finish counts only with what it measured (partial), never as a failure's zeros.
  const part = projectEngine([{ rows: 1e6, results: [{ stage: 'lance', error: 'not finished', partial: true, disk_bytes: 2e9 }] }], 'lance', 18e6);
  assert.deepEqual([part.diskGB, part.buildHours, part.qps], [36, undefined, undefined]);
  assert.throws(() => projectEngine([{ rows: 1e6, results: [{ stage: 'lance', error: 'exited with 1', build_s: 5 }] }], 'lance', 18e6), /no measured run/);
});

test('projectEngine leaves out a resumed build\'s times (they cover only the rows after the kill) and queries/s measured at other search settings', () => {
  const files = [
    { rows: 1e6, results: [{ stage: 'lance', build_s: 100, build_cpu_s: 200, disk_bytes: 2e9, qps: 50, params: { refineFactor: 10 } }] },
    { rows: 4e6, results: [{ stage: 'lance', build_s: 60, build_cpu_s: 90, disk_bytes: 8e9, qps: 20, resumedFrom: 3e6, params: { refineFactor: 50 } }] },
  ];
  const p = projectEngine(files, 'lance', 8e6);
  // Build from the 1M run alone, in proportion to rows (not a fit through the resumed run's 60 s).
  assert.equal(p.exponents.build_s.basis, 'proportional');
  assert.ok(Math.abs(p.buildHours! - (100 * 8) / 3600) < 1e-9);
  // Disk is fitted through both sizes (b = 1 here).
  assert.equal(p.exponents.disk_bytes.basis, 'fit');
  assert.ok(Math.abs(p.diskGB! - 16) < 1e-6);
  // Queries/s: only the largest run's settings (refine 50) count, one size, not asked for: none.
  assert.equal(p.qps, undefined);
});

test('projectEngine fits build times only across runs whose index trained like the newest run (k-means iterations, partitions)', () => {
  const files = [
    // Older runs with the engine's default training (no kmeansIterations recorded): slower builds.
    { rows: 1e6, started: '2026-12-06T04:26:00Z', results: [{ stage: 'lance', build_s: 600, build_cpu_s: 600, disk_bytes: 2e9, params: { refineFactor: 10 } }] },
    { rows: 2e6, started: '2026-12-06T06:15:00Z', results: [{ stage: 'lance', build_s: 1100, build_cpu_s: 740, disk_bytes: 4e9, params: { refineFactor: 10 } }] },
    // The newest run, 10 iterations: its build alone sets the build projection.
    { rows: 1e6, started: '2026-12-06T10:56:00Z', results: [{ stage: 'lance', build_s: 200, build_cpu_s: 300, disk_bytes: 2e9, params: { refineFactor: 10, kmeansIterations: 10 } }] },
  ];
  const p = projectEngine(files, 'lance', 18e6);
  assert.equal(p.exponents.build_cpu_s.basis, 'proportional');
  assert.ok(Math.abs(p.buildCpuHours! - (300 * 18) / 3600) < 1e-9, `build CPU-hours ${p.buildCpuHours}`);
  // Disk does not depend on training: fitted through every size.
  assert.equal(p.exponents.disk_bytes.basis, 'fit');
  // Were the old default runs the newest, the new one would be left out instead.
  const older = projectEngine(files.map((f, i) => ({ ...f, started: i === 2 ? '2026-12-05T00:00:00Z' : f.started })), 'lance', 18e6);
  assert.equal(older.exponents.build_cpu_s.basis, 'fit');
  // Another partition count trains differently too.
  const partitions = projectEngine([...files, { rows: 2e6, started: '2026-12-06T11:00:00Z', results: [{ stage: 'lance', build_s: 900, build_cpu_s: 900, disk_bytes: 4e9, params: { refineFactor: 10, kmeansIterations: 10, partitions: 488 } }] }], 'lance', 18e6);
  assert.ok(Math.abs(partitions.buildCpuHours! - (900 * 9) / 3600) < 1e-9, 'only the newest (488-partition) run');
});

test('projectEngine fits a segmented usearch index\'s build only on runs with the newest run\'s segment rows, and from one size scales its build and queries/s with its segment count', () => {
  const graph = { m: 16, efConstruction: 128, ef: 512 };
  const files = [
    // One graph however large (before segments): build CPU grows faster than rows.
    { rows: 1e6, started: '2026-12-05T10:00:00Z', results: [{ stage: 'usearch', rows: 1e6, build_cpu_s: 1500, disk_bytes: 2.2e9, qps: 900, params: graph }] },
    { rows: 5e6, started: '2026-12-05T20:00:00Z', results: [{ stage: 'usearch', rows: 5e6, build_cpu_s: 9700, disk_bytes: 1.1e10, qps: 250, params: graph }] },
    // Five 1M-row graphs: 18M is 18 of them.
    { rows: 5e6, started: '2026-12-06T23:00:00Z', results: [{ stage: 'usearch', rows: 5e6, build_cpu_s: 7200, disk_bytes: 1.1e10, qps: 200, params: { ...graph, segmentRows: 1e6 } }] },
  ];
  const p = projectEngine(files, 'usearch', 18e6, ['build_cpu_s', 'disk_bytes', 'qps']);
  assert.equal(p.exponents.build_cpu_s.basis, 'proportional', 'the one-graph runs are left out of the build fit');
  assert.ok(Math.abs(p.buildCpuHours! - (7200 * 18) / 5 / 3600) < 1e-9, `build CPU-hours ${p.buildCpuHours}`);
  assert.ok(Math.abs(p.qps! - (200 * 5) / 18) < 1e-9, `queries/s ${p.qps}: 18 segments searched where 5 were`);
  assert.equal(p.exponents.disk_bytes.basis, 'fit', 'disk does not depend on segments: every size counts');
});

test('projectEngine: an in-RAM index is projected to hold at least its index size in RAM, whatever the RSS fit says', () => {
  // RSS dominated by a fixed baseline at small sizes grows slowly; the index grows with rows.
  const files = [
    { rows: 5e4, results: [{ stage: 'usearch', rows: 5e4, disk_bytes: 1.1e8, peak_rss_mib: 600 }] },
    { rows: 1e6, results: [{ stage: 'usearch', rows: 1e6, disk_bytes: 2.2e9, peak_rss_mib: 2600 }] },
  ];
  const fitted = projectEngine(files, 'usearch', 18e6);
  const diskGiB = (fitted.diskGB! * 1e9) / 2 ** 30;
  assert.ok(fitted.peakRssGiB! < diskGiB, 'the plain fit projects less RSS than the index (the case guarded against)');
  const inRam = projectEngine(files, 'usearch', 18e6, undefined, { inRam: true });
  assert.ok(Math.abs(inRam.peakRssGiB! - diskGiB) < 1e-9);
});

test('projectEngine projects queries/s at asked search settings from each run\'s main rate or its sweep, never mixing settings', () => {
  const p = (ef: number) => ({ m: 16, efConstruction: 128, ef, threads: 2 });
  const files = [
    { rows: 1e6, results: [{ stage: 'usearch', rows: 1e6, build_cpu_s: 1000, disk_bytes: 2e9, qps: 900, params: p(512) }] },
    { rows: 2e6, results: [{ stage: 'usearch', rows: 2e6, build_cpu_s: 2000, disk_bytes: 4e9, qps: 1300, params: p(128), sweep: [{ ef: 256, queries: 1000, qps: 950 }, { ef: 512, queries: 1000, qps: 700 }] }] },
    { rows: 5e6, results: [{ stage: 'usearch', rows: 5e6, build_cpu_s: 5000, disk_bytes: 1e10, qps: 1100, params: p(128), sweep: [{ ef: 512, queries: 1000, qps: 500 }] }] },
  ];
  // At ef 512: 900 (1M, main rate), 700 (2M, sweep), 500 (5M, sweep); by hand the least-squares slope of ln q/s on ln rows.
  const xs = [1e6, 2e6, 5e6].map(Math.log);
  const ys = [900, 700, 500].map(Math.log);
  const mx = (xs[0] + xs[1] + xs[2]) / 3;
  const my = (ys[0] + ys[1] + ys[2]) / 3;
  const b = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const at512 = projectEngine(files, 'usearch', 18e6, undefined, { search: { ef: 512 } });
  assert.ok(Math.abs(at512.exponents.qps.b - b) < 1e-12, `exponent ${at512.exponents.qps.b} vs ${b}`);
  assert.ok(Math.abs(at512.qps! - Math.exp(my + b * (Math.log(18e6) - mx))) < 1e-6);
  // Without it, the largest run's own settings (ef 128): 1,300 at 2M and 1,100 at 5M only.
  const plain = projectEngine(files, 'usearch', 18e6);
  assert.ok(Math.abs(plain.exponents.qps.b - Math.log(1100 / 1300) / Math.log(2.5)) < 1e-12);
  // A setting no run measured gives no rate; build and disk are unaffected by the search settings.
  const at64 = projectEngine(files, 'usearch', 18e6, undefined, { search: { ef: 64 } });
  assert.equal(at64.qps, undefined);
  assert.equal(at64.buildCpuHours, plain.buildCpuHours);
});

test('bench/README.md\'s memory-at-scale section is the one the result files give', () => {
  const dir = path.join(__dirname, '..', 'bench', 'results');
  const files = readScaleFiles(dir);
  assert.ok(files.length > 0, 'bench/results holds memory-scale-*.json');
  const readme = fs.readFileSync(path.join(__dirname, '..', 'bench', 'README.md'), 'utf8');
  const a = readme.indexOf(SCALE_BEGIN);
  const b = readme.indexOf(SCALE_END);
  assert.ok(a >= 0 && b > a, 'bench/README.md has the generated section');
  assert.equal(readme.slice(a + SCALE_BEGIN.length + 1, b - 1), renderScaleSection(files), 'regenerate it with npx tsx bench/memory/summarize-scale.ts');
});

test('the report shows an HNSW ef sweep row by row, compares usearch with python3-hnswlib at equal ef, and names only the parameters of the engines that ran', () => {
  const params = { m: 16, efConstruction: 128, ef: 128, partitions: 488, subVectors: 64, nprobes: 32, refineFactor: 10, kmeansIterations: 10 };
  const sweep = (qps: number[], recall: number[]) => [256, 512].map((ef, i) => ({ ef, queries: 1000, qps: qps[i], recall_at_10: recall[i] }));
  const file = {
    rows: 2e6, dim: 1024, queries: 3000, hnswRows: 2e6, params, host: { cpus: 2, loadAverageAtStart: 0.5 }, started: '2026-12-06T14:00:00Z',
    results: [
      { stage: 'usearch', engine: 'usearch', rows: 2e6, build_s: 1400, build_cpu_s: 2500, qps: 1300, recall_at_10: 0.85, sweep: sweep([800, 500], [0.93, 0.97]) },
      { stage: 'hnswlib', engine: 'hnswlib', rows: 2e6, build_s: 1500, build_cpu_s: 3000, qps: 1200, recall_at_10: 0.84, sweep: sweep([1000, 400], [0.92, 0.96]) },
    ],
  };
  const md = renderScaleSection([file]);
  assert.match(md, /\| ↳ ef 256 \(first 1,000 queries\) \| \| \| \| \| \| 800\.0 \| 0\.930 \|/);
  assert.match(md, /\| ↳ ef 512 \(first 1,000 queries\) \| \| \| \| \| \| 400\.0 \| 0\.960 \|/);
  // 500 / 400 at ef 512; 800 / 1,000 at ef 256
  assert.match(md, /usearch queries\/s vs python3-hnswlib at ef 512 \(ours \/ peer; recall 0\.970 vs 0\.960\): 1\.25×/);
  assert.match(md, /at ef 256 \(ours \/ peer; recall 0\.930 vs 0\.920\): 0\.80×/);
  assert.match(md, /usearch build CPU-seconds vs python3-hnswlib \(peer \/ ours\): 1\.20×/);
  assert.match(md, /HNSW M 16, efConstruction 128, ef 128\):/);
  assert.doesNotMatch(md.split('\n')[0], /IVF|PQ|refine/, 'no IVF parameters in a run without an IVF engine');
});
