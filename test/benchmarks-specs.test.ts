import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { checkBenchmark, getBenchmark, listBenchmarks, loadBenchmarkTasks, orderedTasks } from '../src/benchmarks';
import { command } from '../src/cli/benchmark';
import { runCaptured } from './helpers/cli';

// Transcribed from the paper (primed-paper.md §5, Tables 5 and 6) and primed-decisions.md §6.
const PAPER = {
  hieramedtransfer: {
    I: ['RANZCR', 'CheXchoNet', 'PD', 'BreakHis', 'Chaoyang', 'NuCLS', 'EyePACS', 'AIROGS', 'FARFUM-RoP'],
    II: ['AIROGS', 'BreakHis', 'Chaoyang', 'CheXchoNet', 'EyePACS', 'FARFUM-RoP', 'NuCLS', 'PD', 'RANZCR'],
    classes: { RANZCR: 11, CheXchoNet: 4, PD: 3, BreakHis: 2, Chaoyang: 4, NuCLS: 2, EyePACS: 5, AIROGS: 2, 'FARFUM-RoP': 3 } as Record<string, number>,
  },
  medxtreme: {
    I: ['AOD', 'BMC', 'ISIC2024', 'NCT100K', 'NIH-Chest-Xray', 'PITVIS'],
    II: ['AOD', 'NCT100K', 'PITVIS', 'ISIC2024', 'NIH-Chest-Xray', 'BMC'],
    classes: { AOD: 8, BMC: 21, ISIC2024: 33, NCT100K: 9, 'NIH-Chest-Xray': 15, PITVIS: 15 } as Record<string, number>,
  },
};
const shortName = (paperName: string) => paperName.split(' (')[0];

test('HieraMedTransfer and MedXtreme: both orders and class counts as in the paper', () => {
  for (const [name, p] of Object.entries(PAPER)) {
    const spec = getBenchmark(name);
    for (const order of ['I', 'II'] as const) {
      assert.deepEqual(orderedTasks(spec, order).map((t) => shortName(t.paperName!)), p[order], `${name} order ${order}`);
    }
    for (const t of spec.tasks) {
      assert.equal(t.classNames.length, p.classes[shortName(t.paperName!)], `${t.id} classes`);
      assert.equal(t.nativeLabels.length, t.classNames.length);
      assert.ok(t.templates.length >= 1 && t.templates.every((x) => x.includes('{}')));
    }
  }
  // Order II of HieraMedTransfer is alphabetical.
  const ii = PAPER.hieramedtransfer.II;
  assert.deepEqual([...ii].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())), ii);
});

test('mini-mgtil: order I by domain, order II alphabetical, on the bundled data', () => {
  const tasksI = loadBenchmarkTasks('mini-mgtil', { order: 'I' });
  assert.deepEqual(tasksI.map((t) => t.domain), ['chest X-ray', 'ultrasound', 'fundus', 'pathology', 'blood cell microscopy']);
  const tasksII = loadBenchmarkTasks('mini-mgtil', { order: 'II' });
  const names = tasksII.map((t) => t.name);
  assert.deepEqual(names, [...names].sort());
  const path718 = tasksI[3];
  const sizes = (['train', 'val', 'test'] as const).map((s) => path718.split(s).size);
  assert.equal(sizes.reduce((a, b) => a + b, 0), 718);
  // Per class (counts in data/README.md): test = round(25 %), val = round(15 %), train the rest.
  assert.deepEqual(sizes, [429, 108, 181]);
  // The re-split is fixed: disjoint and identical whatever the run seed.
  const ids = (['train', 'val', 'test'] as const).map((s) => path718.split(s).itemIds());
  assert.equal(new Set(ids.flat()).size, 718);
  assert.deepEqual(loadBenchmarkTasks('mini-mgtil', { seed: 99 })[3].split('test').itemIds(), ids[2]);
  assert.equal(tasksI[2].classNames[4], 'proliferative diabetic retinopathy (grade 4)');
});

test('checkBenchmark on an empty root names every missing dataset', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-empty-'));
  for (const spec of listBenchmarks()) {
    const problems = checkBenchmark(spec, root);
    assert.deepEqual(problems.map((p) => p.dataset).sort(), spec.tasks.map((t) => t.id).sort(), spec.name);
    assert.ok(problems.every((p) => /missing/.test(p.problem) && p.expected.includes(root)));
  }
  assert.throws(() => loadBenchmarkTasks('medxtreme', { root }), /6 of 6 datasets missing[\s\S]*- pitvis: missing/);
  assert.throws(() => loadBenchmarkTasks('medxtreme'), /give the option root/);
});

test('a prepared local dataset passes the check; a malformed one is reported with what was expected', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-root-'));
  const png = new PNG({ width: 4, height: 4 });
  const spec = getBenchmark('hieramedtransfer');
  // PD as class folders named by native labels.
  for (const cls of ['covid', 'normal', 'pneumonia']) {
    for (let i = 0; i < 5; i++) {
      fs.mkdirSync(path.join(root, 'pd', cls), { recursive: true });
      fs.writeFileSync(path.join(root, 'pd', cls, `${i}.png`), PNG.sync.write(png));
    }
  }
  // AIROGS as a manifest with a wrong label value.
  fs.mkdirSync(path.join(root, 'airogs'), { recursive: true });
  fs.writeFileSync(path.join(root, 'airogs', 'a.png'), PNG.sync.write(png));
  fs.writeFileSync(path.join(root, 'airogs', 'manifest.csv'), 'path,label\na.png,RG\na.png,glaucomatous\n');
  const problems = checkBenchmark(spec, root);
  assert.ok(!problems.some((p) => p.dataset === 'pd'), JSON.stringify(problems.filter((p) => p.dataset === 'pd')));
  const airogs = problems.find((p) => p.dataset === 'airogs')!;
  assert.match(airogs.problem, /manifest\.csv line 3: label 'glaucomatous'/);
  assert.match(airogs.expected, /'NRG', 'RG'/);
});

test('primed benchmark info prints tasks in order with split sizes, and what is missing', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-cli-'));
  const { code, out } = await runCaptured(command, ['info', 'mini-mgtil', '--order', 'II', '--json']);
  const { code: codeMissing, out: missing } = await runCaptured(command, ['info', 'hieramedtransfer', '--root', root]);
  assert.equal(code, 0);
  const info = JSON.parse(out) as { tasks: { id: string; splits: Record<string, number> }[] };
  assert.equal(info.tasks[0].id, 'bloodmnist');
  assert.deepEqual(info.tasks.find((t) => t.id === 'pneumoniamnist')!.splits, { train: 4708, val: 524, test: 624 });
  assert.equal(codeMissing, 1);
  assert.match(missing, /9 of 9 datasets missing/);
  assert.match(missing, /- farfum_rop: missing: .*farfum_rop not found/);
});
