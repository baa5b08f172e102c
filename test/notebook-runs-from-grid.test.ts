/**
 * scripts/notebook-runs-from-grid.ts: a grid run whose stored configuration differs from what the
 * notebook asks is refused (nothing left in the notebooks' folder), an existing run folder is never
 * overwritten, and a run the grid lacks is listed as one the notebook will compute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getBenchmark } from '../src/benchmarks';

const ROOT = path.resolve(__dirname, '..');

test('notebook-runs-from-grid: refuses a run of another configuration, keeps an existing folder, lists what is left to compute', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-nbgrid-'));
  try {
    const grid = path.join(tmp, 'grid');
    const runs = path.join(tmp, 'nb');
    // a complete finetune run of order I, seed 42, recorded with 149 steps per task: not the notebook's 150
    const tasks = getBenchmark('mini-mgtil').orders.I;
    const other = path.join(grid, 'finetune-I-s42');
    fs.mkdirSync(other, { recursive: true });
    const row = tasks.map(() => 50);
    fs.writeFileSync(path.join(other, 'result.json'), JSON.stringify({
      version: 1, tasks: tasks, seed: 42, complete: true, rowsDone: tasks.length, backend: null,
      config: { benchmark: 'mini-mgtil', order: 'I', method: 'finetune', recipe: { trainer: { steps: 149 } } },
      zeroShot: row, zeroShotAuc: null, matrix: tasks.map(() => row), aucMatrix: [], metrics: null, perDataset: null,
      timings: { zeroShotEvalS: null, rows: [] }, resumedAtRow: [], trainInfo: [], zeroShotCache: null,
    }));
    // the notebooks' folder already holds ewc-I-s150 (the grid's copy must not replace it)
    fs.mkdirSync(path.join(runs, 'ewc-I-s150'), { recursive: true });
    fs.writeFileSync(path.join(runs, 'ewc-I-s150', 'mine.txt'), 'kept');
    fs.mkdirSync(path.join(grid, 'ewc-I-s42'));
    fs.writeFileSync(path.join(grid, 'ewc-I-s42', 'result.json'), JSON.stringify({ complete: true }));

    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'notebook-runs-from-grid.ts'), grid, runs, '--steps', '150'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 1, out);
    assert.match(out, /refused 1 run\(s\):\n {2}finetune-I: .*finetune-I-s42 differs from what the notebook asks: .*cannot resume: the stored config\./);
    assert.ok(!fs.existsSync(path.join(runs, 'finetune-I-s150')), 'the refused run is not in the notebooks\' folder');
    assert.deepEqual(fs.readdirSync(runs).filter((n) => n.includes('copying')), [], 'no temporary copy left');
    assert.equal(fs.readFileSync(path.join(runs, 'ewc-I-s150', 'mine.txt'), 'utf8'), 'kept');
    assert.match(out, /ewc-I-s150: exists, left alone \(not overwritten\)/);
    assert.match(out, /copied 0 complete run\(s\)/);
    assert.match(out, /will compute 18 run\(s\) of 20/);
    assert.match(out, /primed-dyn-II \(no .*primed-dyn-II-s42\)/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
