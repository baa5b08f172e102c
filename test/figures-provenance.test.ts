/**
 * The shipped figures/ agree with the committed result files they were made from (issue 16):
 * figures/manifest.json names each source file with its sha256 and each figure file with its own;
 * every figure is re-derived here from the result files (src/report/results-figures.ts, the code
 * `npm run figures` runs) and compared with the data embedded in the shipped HTML; the table in
 * figures/README.md and the bars' heights are checked against the runs' metrics computed here
 * directly; and the README's generated results blocks (scripts/summarize-runs.ts) against the
 * results file they name. Fast: reads files only. On failure, rerun `npm run figures`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { figuresFromResults, sha256, RESULT_METHOD_LABEL, type ResultSource } from '../src/report/results-figures';
import { formatNumber } from '../src/report/style';

const ROOT = path.resolve(__dirname, '..');
const FIGURES = path.join(ROOT, 'figures');

interface Manifest {
  commit: string;
  sources: { file: string; sha256: string }[];
  runs: { dir: string; order: string; method: string; seed: number | null }[];
  figures: { stem: string; caption: string; files: Record<string, string> }[];
}

const manifest = JSON.parse(fs.readFileSync(path.join(FIGURES, 'manifest.json'), 'utf8')) as Manifest;
const sources: ResultSource[] = manifest.sources.map((s) => ({ file: s.file, text: fs.readFileSync(path.join(ROOT, s.file), 'utf8') }));
const STALE = 'figures/ is stale: rerun `npm run figures`';

test('every source result file is unchanged since the figures were made, and every benchmark results file (results/mini-mgtil-*.json) is a source', () => {
  assert.ok(manifest.sources.length > 0);
  assert.match(manifest.commit, /^[0-9a-f]{40}/, 'the code version is recorded');
  for (const s of manifest.sources) assert.equal(sha256(fs.readFileSync(path.join(ROOT, s.file), 'utf8')), s.sha256, `${s.file} changed since the figures were made; ${STALE}`);
  const results = fs
    .readdirSync(path.join(ROOT, 'results'))
    .filter((f) => /^mini-mgtil-.*\.json$/.test(f))
    .filter((f) => (JSON.parse(fs.readFileSync(path.join(ROOT, 'results', f), 'utf8')) as { generatedBy?: string }).generatedBy === 'scripts/summarize-runs.ts')
    .map((f) => `results/${f}`)
    .sort();
  assert.deepEqual(manifest.sources.map((s) => s.file), results, `the figures do not use every result file; ${STALE}`);
});

test('every shipped figure file is the one the manifest records, and figures/ holds no other figure', () => {
  const listed = new Set(manifest.figures.flatMap((f) => Object.keys(f.files)));
  const present = fs.readdirSync(FIGURES).filter((f) => /\.(html|png|svg)$/.test(f));
  assert.deepEqual(present.sort(), [...listed].sort(), `figure files not made from the results (or missing); ${STALE}`);
  for (const f of manifest.figures) {
    for (const [file, hash] of Object.entries(f.files)) assert.equal(sha256(fs.readFileSync(path.join(FIGURES, file))), hash, `figures/${file} was edited after it was made; ${STALE}`);
  }
});

test('each shipped figure holds exactly the data re-derived from the result files', () => {
  const made = figuresFromResults(sources);
  assert.deepEqual(made.figures.map((f) => f.stem), manifest.figures.map((f) => f.stem), STALE);
  for (const f of made.figures) {
    const html = fs.readFileSync(path.join(FIGURES, `${f.stem}.html`), 'utf8');
    const m = /<script id="primed-figure-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
    assert.ok(m, `figures/${f.stem}.html embeds its figure data`);
    const shipped = JSON.parse(m[1]) as { data: unknown; layout: unknown };
    assert.deepEqual(shipped.data, JSON.parse(JSON.stringify(f.figure.data)), `figures/${f.stem}.html: data differ from the result files; ${STALE}`);
    assert.deepEqual(shipped.layout, JSON.parse(JSON.stringify(f.figure.layout)), `figures/${f.stem}.html: layout differs; ${STALE}`);
  }
});

test('figures/README.md table and the bars match the runs\' metrics (computed here from the result files)', () => {
  const readme = fs.readFileSync(path.join(FIGURES, 'README.md'), 'utf8');
  const made = figuresFromResults(sources);
  assert.ok(made.runs.length > 0);
  assert.deepEqual(made.runs.map((r) => r.dir), manifest.runs.map((r) => r.dir), STALE);
  for (const order of new Set(made.runs.map((r) => r.config.order))) {
    const bars = made.figures.find((f) => f.stem === `table1-bars-${order}`)!.figure;
    for (const method of new Set(made.runs.filter((r) => r.config.order === order).map((r) => r.config.method))) {
      const runs = made.runs.filter((r) => r.config.order === order && r.config.method === method);
      const mean = (k: 'transfer' | 'avg' | 'last') => runs.reduce((a, r) => a + (r.metrics![k] as number), 0) / runs.length;
      const label = RESULT_METHOD_LABEL[method] ?? method;
      const trace = bars.data.find((t) => t.name === label);
      assert.ok(trace, `Order ${order}: a bar for ${label}`);
      (['transfer', 'avg', 'last'] as const).forEach((k, i) => assert.ok(Math.abs((trace.y as number[])[i] - mean(k)) < 1e-9, `Order ${order} ${label} ${k}`));
      if (runs.length === 1) {
        const row = `| ${order} | ${label} | 1 | ${runs[0].config.recipe?.trainer?.steps} | ${formatNumber(mean('transfer'))} | ${formatNumber(mean('avg'))} | ${formatNumber(mean('last'))} |`;
        assert.ok(readme.includes(row), `figures/README.md lacks the row ${row}; ${STALE}`);
      }
    }
  }
  for (const line of made.table) assert.ok(readme.includes(line), `figures/README.md lacks ${line}; ${STALE}`);
  for (const s of manifest.sources) assert.ok(readme.includes(s.file), `figures/README.md names its source ${s.file}`);
});

test('README.md results blocks generated by scripts/summarize-runs.ts match the results file they name', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/<!-- summarize-runs:start -->\n<!-- generated by: (.*?) -->([\s\S]*?)<!-- summarize-runs:end -->/g)];
  // A README whose block lost its generated-by line must fail here, not pass with nothing checked.
  assert.equal(blocks.length, (readme.match(/<!-- summarize-runs:start -->/g) ?? []).length, 'every summarize-runs block in README.md starts with its "generated by:" line');
  assert.ok(blocks.length >= 1, 'README.md has a summarize-runs results block');
  for (const [, command, body] of blocks) {
    const out = /--out (\S+)/.exec(command)?.[1];
    assert.ok(out, `the generated-by line names --out: ${command}`);
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, `${out}.json`), 'utf8')) as {
      groups: { order: string; method: string; metrics: Record<string, { mean: number; sd: number; n: number }> }[];
    };
    const rows = body.split('\n').filter((l) => l.startsWith('| ') && !l.includes('zero-shot') && !l.startsWith('| order'));
    assert.equal(rows.length, json.groups.length, `README block for ${out}: one row per (order, method, memory)`);
    rows.forEach((row, i) => {
      const cells = row.split('|').map((c) => c.trim());
      const g = json.groups[i];
      assert.equal(cells[1], g.order);
      assert.equal(cells[2], g.method);
      (['transfer', 'avg', 'last', 'bwt', 'forgetting', 'auc'] as const).forEach((k, j) => {
        const s = g.metrics[k];
        const want = s.n === 0 ? '–' : s.n === 1 ? s.mean.toFixed(1) : `${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)}`;
        assert.equal(cells[5 + j], want, `README ${out} row ${g.order}/${g.method} ${k}: shows ${cells[5 + j]}, the results file says ${want}; rerun scripts/summarize-runs.ts --readme README.md`);
      });
    });
  }
});

test('README.md memory-comparison block (in-source vs out-of-source) matches the results file it names', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/<!-- summarize-runs:memory:start -->\n<!-- generated by: (.*?) -->([\s\S]*?)<!-- summarize-runs:memory:end -->/g)];
  assert.equal(blocks.length, (readme.match(/<!-- summarize-runs:memory:start -->/g) ?? []).length, 'every memory block starts with its "generated by:" line');
  for (const [, command, body] of blocks) {
    const out = /--out (\S+)/.exec(command)![1];
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, `${out}.json`), 'utf8')) as {
      groups: { order: string; method: string; memory: string; metrics: Record<string, { mean: number; sd: number; n: number }> }[];
      runs: { config: { order: string; method: string; memory?: { source?: string } | null }; matrix: number[][] }[];
    };
    const rows = body.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| order'));
    assert.ok(rows.length >= 2, `README memory block for ${out} has rows`);
    for (const row of rows) {
      const cells = row.split('|').map((c) => c.trim());
      const memory = cells[3] === '–' ? 'none' : cells[3];
      const g = json.groups.find((x) => x.order === cells[1] && x.method === cells[2] && x.memory === memory);
      assert.ok(g, `README memory block row ${cells[1]}/${cells[2]}/${cells[3]} is a group of ${out}.json`);
      const show = (s: { mean: number; sd: number; n: number }) => (s.n === 1 ? s.mean.toFixed(1) : `${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)}`).replace(/^-0\.0/, '0.0');
      assert.deepEqual(cells.slice(5, 8), [show(g.metrics.avg), show(g.metrics.last), show(g.metrics.bwt)], `README memory block row ${g.method}/${cells[3]}`);
      // The per-task accuracies after the last task, recomputed here from the runs' matrices.
      const runs = json.runs.filter((r) => r.config.order === g.order && r.config.method === g.method && (r.config.memory ? (r.config.memory.source ?? 'in-source') : 'none') === memory);
      const last = runs.map((r) => r.matrix[r.matrix.length - 1]);
      last[0].forEach((_, j) => {
        const xs = last.map((l) => l[j]);
        const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
        assert.equal(Number(cells[8 + j].split(' ± ')[0]).toFixed(1), mean.toFixed(1), `README memory block row ${g.method}/${cells[3]} task ${j + 1}`);
      });
    }
  }
});
