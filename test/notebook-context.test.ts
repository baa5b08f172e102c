/**
 * The typed plumbing behind notebooks 02-06 (kernel-lib/notebook.ts, protocol.ts, ablations.ts,
 * siphon-grid.ts): the notebook switches and their errors, the method names from the method
 * registry, and the plans that map the paper's ablation and siphon tables to runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readNotebookSwitches, sideBySide, ourTriple, type NotebookContext } from '../kernel-lib/notebook';
import { METHODS, METHOD_LABEL, PAPER_ROW, PAPER_PER_DATASET_ROW, PAPER_ONLY_ROWS, usesMemory, protocolJobs } from '../kernel-lib/protocol';
import { ablationPlan, DEFAULT_ABLATION } from '../kernel-lib/ablations';
import { siphonPlan } from '../kernel-lib/siphon-grid';
import { paperTables } from '../src/paper/index';
import type { MGTILResult } from '../src/experiment';

test('notebook switches: defaults, and errors that name the variable and value', () => {
  assert.deepEqual(readNotebookSwitches({}, 'mini', 'mini-mgtil'), { steps: 150, plan: 'all', orders: ['I'] });
  assert.deepEqual(readNotebookSwitches({ PRIMED_NOTEBOOK_STEPS: '4', PRIMED_NOTEBOOK_PLAN: 'core', PRIMED_NOTEBOOK_ORDERS: 'I, II' }, 'mini', 'mini-mgtil'),
    { steps: 4, plan: 'core', orders: ['I', 'II'] });
  assert.deepEqual(readNotebookSwitches({}, 'mini', 'mini-mgtil', ['I', 'II']).orders, ['I', 'II']);
  assert.throws(() => readNotebookSwitches({ PRIMED_NOTEBOOK_STEPS: '2.5' }, 'mini', 'mini-mgtil'), /PRIMED_NOTEBOOK_STEPS must be a positive integer, got "2.5"/);
  assert.throws(() => readNotebookSwitches({ PRIMED_NOTEBOOK_STEPS: '0' }, 'mini', 'mini-mgtil'), /PRIMED_NOTEBOOK_STEPS/);
  assert.throws(() => readNotebookSwitches({ PRIMED_NOTEBOOK_PLAN: 'some' }, 'mini', 'mini-mgtil'), /PRIMED_NOTEBOOK_PLAN must be all or core, got "some"/);
  assert.throws(() => readNotebookSwitches({ PRIMED_NOTEBOOK_ORDERS: 'III' }, 'mini', 'mini-mgtil'), /PRIMED_NOTEBOOK_ORDERS must be I, II or I,II, got "III"/);
});

test('method names come from the method registry, the paper rows exist in the paper tables', () => {
  // the paper's table order (methods added later slot in by their spec's order)
  const nine = ['finetune', 'l2', 'ewc', 'lwf', 'icarl', 'wise-ft', 'zscl', 'primed-uni', 'primed-dyn'];
  assert.deepEqual(METHODS.filter((m) => nine.includes(m)), nine);
  assert.ok(!METHODS.includes('primed'), 'aliases are left out');
  assert.equal(METHOD_LABEL['primed-dyn'], 'PRIMED_dyn');
  assert.equal(PAPER_ROW.ewc, null);
  assert.equal(PAPER_PER_DATASET_ROW.finetune, 'ContFT');
  for (const m of METHODS) {
    const row = PAPER_ROW[m];
    if (row) assert.ok(paperTables.table1[row], `${m}: paper row "${row}" is not in Table 1`);
    const perDataset = PAPER_PER_DATASET_ROW[m];
    if (perDataset) assert.ok(paperTables.table7.avg[perDataset], `${m}: per-dataset row "${perDataset}" is not in Table 7`);
  }
  for (const row of PAPER_ONLY_ROWS) assert.ok(!Object.values(PAPER_ROW).includes(row), `${row} is implemented and paper-only`);
  assert.ok(usesMemory('zscl') && usesMemory('primed-dyn') && !usesMemory('finetune'));
  const jobs = protocolJobs({ benchmark: 'mini-mgtil', methods: ['finetune', 'primed-dyn'], orders: ['I', 'II'], steps: 4, seed: 42, runsRoot: '/r' });
  assert.deepEqual(jobs.map((j) => [j.name, j.options.runDir]), [
    ['finetune-I', path.resolve('/r/finetune-I-s4')], ['primed-dyn-I', path.resolve('/r/primed-dyn-I-s4')],
    ['finetune-II', path.resolve('/r/finetune-II-s4')], ['primed-dyn-II', path.resolve('/r/primed-dyn-II-s4')],
  ]);
});

/** A mini-scale notebook context without a kernel or a backend (what the plans read). */
function miniContext(plan: 'all' | 'core'): NotebookContext {
  const results = new Map<string, MGTILResult>();
  return {
    name: 'test', env: { seed: 42 } as NotebookContext['env'], scale: 'mini', steps: 4, plan: plan, orders: ['I'], workers: 1, benchmarks: ['mini-mgtil'],
    runsRoot: '/runs', roots: {}, problems: [], ready: true, results: results,
    runDir: (stem, _b, order) => `/runs/${stem}-${order}-s4`, jobName: (stem, _b, order) => `${stem}-${order}`,
    paperParts: () => ({}), runAll: async () => {}, runCell: (job) => (results.has(job.name) ? 'ran' : 'not run'), caption: (what) => what, skip: () => false,
  };
}

test('notebook 04: every row of Tables 9/10 maps to options; rows that are one computation share a run', () => {
  const plan = ablationPlan(miniContext('all'));
  assert.equal(plan.moduleRows.length, paperTables.table9.length);
  assert.equal(plan.ablations.length, 17); // 6 module rows + 11 component settings that differ from them
  assert.equal(plan.jobs().length, 17);
  // "CMC β = 0" is the module row "CKT + DFG"
  const beta0 = plan.componentRows.find((r) => r.aspect === 'CMC β' && r.setting === '0.0')!;
  assert.equal(beta0.ablation.name, 'ckt-dfg');
  assert.deepEqual(beta0.ablation.methodOptions, { ckt: true, cmc: false, regularizer: 'dfg' });
  // full PRIMED is notebook 02's primed-dyn run
  assert.equal(plan.job(DEFAULT_ABLATION, 'mini-mgtil', 'I').options.runDir, '/runs/primed-dyn-I-s4');
  assert.equal(plan.job(DEFAULT_ABLATION, 'mini-mgtil', 'I').options.methodOptions, undefined);
  const bm25 = plan.ablations.find((a) => a.name === 'rag-bm25')!;
  assert.deepEqual(plan.job(bm25, 'mini-mgtil', 'I').options.retrieval, { mode: 'bm25' });
  assert.equal(ablationPlan(miniContext('core')).jobs().length, 4);
});

test('notebook 05: the paper b:c grids scaled by 1/10 at mini scale, the recipe default shared with primed-dyn', () => {
  const plan = siphonPlan(miniContext('all'), 'model:x', '/cache');
  const paperDefault = plan.grids.table11.find((r) => r.bc === '30:80')!;
  assert.deepEqual(paperDefault.siphon, { a: 10, b: 3, c: 8, n: 20 });
  assert.equal(paperDefault.note, "paper's default");
  const recipe = plan.sizeCurve[0].points.find((p) => p.factor === 1)!;
  assert.deepEqual(recipe.siphon, { a: 10, b: 10, c: 8, n: 20 });
  assert.equal(plan.job('mini-mgtil', 'I', recipe.siphon).name, 'primed-dyn-I');
  assert.equal(plan.refsetDir, path.join('/cache', 'reference-sets'));
  const names = plan.jobs().map((j) => j.name);
  assert.equal(new Set(names).size, names.length, 'jobs are distinct');
  assert.ok(siphonPlan(miniContext('core'), 'model:x', '/cache').jobs().length < names.length);
});

test('ours beside the paper: column pairs per metric, nulls where a run or a paper number is missing', () => {
  const r = { metrics: { transfer: 30, avg: 40, last: 50, acc: 45, auc: 70, bwt: -2 } } as unknown as MGTILResult;
  assert.deepEqual(ourTriple(r, 'HMT'), [30, 40, 50]);
  assert.deepEqual(ourTriple(undefined, 'MX'), [null, null, null]);
  assert.deepEqual(sideBySide({ m: 'x' }, 'MX', [45, 70, -2], [10, null, 3]),
    { m: 'x', 'ACC ours': 45, 'ACC paper': 10, 'AUC ours': 70, 'AUC paper': null, 'BWT ours': -2, 'BWT paper': 3 });
});
