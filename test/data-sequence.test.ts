/**
 * Your own task sequences (src/benchmarks/sequence.ts, data-check.ts, pipeline/sequence-checks.ts):
 * a sequence file of image folders and a CSV manifest, validated field by field; the up-front
 * data report (skipped files, missing classes, tiny test sets, corrupt images named); an
 * evaluation-only task; `primed data prepare`; the question-pool domain check. Runs on the
 * sequence are in data-sequence.e2e.ts. Images are tiny generated PNGs in a temp folder
 * (helpers in helpers/sequence.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkTaskData, formatDataReport, getBenchmark, loadBenchmarkTasks, readTaskSequence, taskFromFolder, taskFromManifest } from '../src/benchmarks';
import { checkPoolDomains, findTaskImagesInMemory } from '../src/pipeline/sequence-checks';
import { distill } from '../src/experiment';
import { loadMiniModel } from '../src/foundation';
import type { Memory } from '../src/memory/store';
import { buildMemory } from '../src/memory/build';
import { resolveRecipe, MINI_RECIPE_RUN } from '../src/recipes';
import { command as dataCommand } from '../src/cli/data';
import { runCaptured } from './helpers/cli';
import * as jpeg from 'jpeg-js';
import { makeWorld, png } from './helpers/sequence';
import { loadPreparedImage } from '../src/data/prepare';
import { rawImageOf } from '../src/data/mini-corpus';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-seq-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');

test('a sequence file: every field validated (nested too), errors name the file and field', () => {
  const root = makeWorld(tmp, 'validate');
  const write = (obj: unknown) => {
    const f = path.join(root, 'bad.json');
    fs.writeFileSync(f, JSON.stringify(obj));
    return f;
  };
  const good = JSON.parse(fs.readFileSync(path.join(root, 'seq.json'), 'utf8'));
  const cases: [unknown, RegExp][] = [
    [{ ...good, stpes: 3 }, /bad\.json: stpes: unknown field/],
    [{ ...good, tasks: [{ ...good.tasks[0], stpes: 3 }] }, /bad\.json: tasks\[0\]\.stpes: unknown field/],
    [{ ...good, tasks: [good.tasks[0], { ...good.tasks[1], columns: { path: 'file', lable: 'x' } }] }, /tasks\[1\]\.columns\.lable: unknown field/],
    [{ ...good, tasks: [{ folder: 'chest' }] }, /tasks\[0\]\.domain: must be a non-empty string/],
    [{ ...good, tasks: [{ folder: 'chest', manifest: 'blood/labels.csv', domain: 'x' }] }, /tasks\[0\]: give exactly one of folder/],
    [{ ...good, tasks: [{ ...good.tasks[0], split: { train: 0.5, val: 0.1, test: 0.1 } }] }, /tasks\[0\]\.split must sum to 1/],
    [{ ...good, tasks: [{ ...good.tasks[0], templates: ['no slot'] }] }, /tasks\[0\]\.templates: "no slot" has no \{\}/],
    [{ ...good, tasks: [{ ...good.tasks[0], evaluationOnly: true }] }, /every task is evaluationOnly/],
    [{ ...good, orders: { II: ['chest'] } }, /orders\.II: must list every task id once/],
    [{ ...good, tasks: [{ folder: 'nowhere', domain: 'x' }] }, /tasks\[0\]\.folder: .*nowhere is not a folder/],
  ];
  for (const [obj, re] of cases) assert.throws(() => readTaskSequence(write(obj)), re);
  assert.throws(() => resolveRecipe(MINI_RECIPE_RUN, { trainer: { stpes: 3 } as never }), /unknown recipe field trainer\.stpes/);
  const spec = getBenchmark(path.join(root, 'seq.json'));
  assert.equal(spec.name, 'my-seq');
  // The same sequence in YAML (read with the 'yaml' package; a dev dependency here through typedoc).
  fs.writeFileSync(path.join(root, 'seq.yaml'), 'name: my-seq\ntasks:\n' + good.tasks.map((t: Record<string, unknown>) => `  - ${JSON.stringify(t)}\n`).join(''));
  assert.deepEqual({ ...getBenchmark(path.join(root, 'seq.yaml')), file: undefined }, { ...spec, file: undefined });
  fs.writeFileSync(path.join(root, 'broken.json'), '{\n  "name": "x",\n  "tasks": [\n    { "folder": "chest" "domain": "d" }\n  ]\n}\n');
  assert.throws(() => readTaskSequence(path.join(root, 'broken.json')), /broken\.json line 4 column 25: invalid JSON/);
  fs.writeFileSync(path.join(root, 'bad.yaml'), 'name: [unclosed\n');
  assert.throws(() => readTaskSequence(path.join(root, 'bad.yaml')), /bad\.yaml: invalid YAML/);
  assert.deepEqual(spec.orders.I, ['chest', 'blood', 'external-test']);
  assert.deepEqual(spec.tasks[1].classNames, ['basophil', 'eosinophil'], 'manifest labels, sorted');
  assert.deepEqual(spec.tasks[0].templates, ['a chest X-ray image of {}.']);
});

test('helpers make a task from a folder or a manifest with two fields; loadBenchmarkTasks reads the sequence', () => {
  const root = makeWorld(tmp, 'helpers');
  const a = taskFromFolder(path.join(root, 'chest'), { domain: 'chest X-ray' });
  assert.equal(a.id, 'chest');
  assert.deepEqual(a.classNames, ['normal', 'pneumonia']);
  const b = taskFromManifest(path.join(root, 'blood', 'labels.csv'), { domain: 'blood', columns: { path: 'file', label: 'diagnosis' } });
  assert.equal(b.id, 'blood');
  const tasks = loadBenchmarkTasks(path.join(root, 'seq.json'));
  assert.deepEqual(tasks.map((t) => t.name), ['chest', 'blood', 'external-test']);
  assert.deepEqual(tasks[2].splitNames(), ['test'], 'evaluation-only: everything is test');
  assert.equal(tasks[2].split('test').size, 6);
  assert.equal(tasks[0].split('train').size + tasks[0].split('val').size + tasks[0].split('test').size, 20);
});

test('the data report: skipped files, a class without images, tiny test sets, corrupt images named', async () => {
  const root = makeWorld(tmp, 'report');
  fs.writeFileSync(path.join(root, 'chest', 'normal', 'scan.bmp'), 'BM');
  fs.writeFileSync(path.join(root, 'chest', 'pneumonia', 'notes.txt'), 'x');
  const seqFile = path.join(root, 'seq.json');
  const seq = JSON.parse(fs.readFileSync(seqFile, 'utf8'));
  seq.tasks[0].classNames.push('effusion');
  seq.tasks[0].labels.push('effusion');
  fs.writeFileSync(seqFile, JSON.stringify(seq));
  const spec = readTaskSequence(seqFile);
  const events: string[] = [];
  const ok = await checkTaskData(spec, spec.root!, { prepare: { size: 28, channels: 3 }, progress: (e) => events.push(e.label) });
  assert.equal(ok.ok, true, formatDataReport(ok));
  const chest = ok.tasks[0];
  assert.deepEqual(chest.skipped, ['normal/scan.bmp', 'pneumonia/notes.txt']);
  assert.ok(chest.warnings.some((w) => /class 'effusion' has no images/.test(w)), chest.warnings.join('\n'));
  assert.ok(chest.warnings.some((w) => /test set has only 4 images: one image moves the accuracy by 25\.00 points/.test(w)), chest.warnings.join('\n'));
  assert.equal(chest.decoded, 20);
  assert.ok(events.includes('check chest'), 'progress per task');
  assert.match(formatDataReport(ok), /chest: train 14, val 2, test 4; 3 classes; 20 images decoded/);
  // Corrupt images fail the check, naming every file: a broken PNG and a JPEG cut in half.
  fs.writeFileSync(path.join(root, 'blood', 'img', 'b3.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 1, 2]));
  const rgba = new Uint8Array(32 * 32 * 4).map((_, i) => (i * 37) % 256);
  const whole = jpeg.encode({ data: rgba, width: 32, height: 32 }, 90).data;
  fs.writeFileSync(path.join(root, 'chest', 'pneumonia', 'cut.jpg'), whole.subarray(0, whole.length >> 1));
  const bad = await checkTaskData(spec, spec.root!, { prepare: { size: 28, channels: 3 } });
  assert.equal(bad.ok, false);
  const text = formatDataReport(bad);
  assert.match(text, /chest[\s\S]*error: corrupt or unreadable image: .*pneumonia\/cut\.jpg: cannot decode JPEG/);
  assert.match(text, /blood[\s\S]*error: corrupt or unreadable image: .*b3\.png: cannot decode PNG/);
});

test('a task domain the question pool lacks is refused, or added with questions from its class names', () => {
  const pool = [{ text: 'a chest X-ray of pneumonia', domain: 'chest X-ray' }];
  const tasks = [{ name: 'cells', domain: 'blood smear', classNames: ['basophil', 'eosinophil'], templates: ['a blood smear image of {}.', 'a photo of a {} cell.'], split: () => { throw new Error('unused'); } }];
  assert.throws(() => checkPoolDomains(pool, tasks, { addDomains: false }), /task 'cells' has domain 'blood smear', which no question of the question pool has[\s\S]*chest X-ray[\s\S]*addDomains: true/);
  const grown = checkPoolDomains(pool, tasks, { addDomains: true });
  assert.deepEqual(grown.added, ['blood smear']);
  assert.deepEqual(grown.pool.slice(1).map((q) => [q.text, q.domain]), [['a photo of a basophil cell', 'blood smear'], ['a photo of a eosinophil cell', 'blood smear']]);
  assert.equal(checkPoolDomains(pool, [{ ...tasks[0], domain: 'Chest x-ray' }], { addDomains: false }).added.length, 0, 'domains compare case-insensitively');
});

test('distill refuses an earlier task whose domain the pool lacks, before retrieving or training', async () => {
  const model = await loadMiniModel();
  try {
    const [chest] = loadBenchmarkTasks(path.join(makeWorld(tmp, 'distill'), 'seq.json'));
    const odd = Object.assign(Object.create(Object.getPrototypeOf(chest)), chest, { domain: 'thermal imaging' });
    await assert.rejects(distill(model, chest, { memory: {} as Memory, earlierTasks: [odd] }), /task 'chest' has domain 'thermal imaging', which no question of the question pool has/);
  } finally {
    model.dispose();
  }
});

test('primed data prepare names the sequence and prepares every image; a corrupt one fails it', async () => {
  const root = makeWorld(tmp, 'cli');
  const prep = await runCaptured(dataCommand, ['prepare', '--tasks', path.join(root, 'seq.json'), '--preset', 'mini'], { quiet: true });
  assert.equal(prep.code, 0);
  assert.match(prep.out, /data check of my-seq: 3 task\(s\), ready/);
  assert.match(prep.out, /chest: train 14, val 2, test 4; 2 classes; 20 images decoded/);
  assert.match(prep.out, /images prepared at 28×28×3/);
  await assert.rejects(runCaptured(dataCommand, ['prepare', '--tasks', path.join(root, 'seq.json')], { quiet: true }), /prepare needs an image size/);
  png(path.join(root, 'chest', 'normal', 'img0.png'), 4, 4, [0, 0, 0], 0);
  fs.writeFileSync(path.join(root, 'chest', 'normal', 'img1.png'), 'not an image');
  const bad = await runCaptured(dataCommand, ['check', '--tasks', path.join(root, 'seq.json'), '--size', '28'], { quiet: true });
  assert.equal(bad.code, 1);
  assert.match(bad.out, /NOT ready[\s\S]*error: corrupt or unreadable image: .*img1\.png: not a JPEG or PNG/);
});


test('primed data export writes bundled tasks as files and a sequence that reads them back pixel for pixel', async () => {
  const out = path.join(tmp, 'export');
  const r = await runCaptured(dataCommand, ['export', '--benchmark', 'mini-mgtil', '--only', 'breastmnist', '--out', out, '--format', 'png', '--limit', '12', '--evaluation-only', 'breastmnist'], { quiet: true });
  assert.equal(r.code, 0);
  const spec = readTaskSequence(path.join(out, 'seq.json'));
  assert.equal(spec.name, 'mini-mgtil-as-files');
  assert.deepEqual(spec.tasks.map((t) => [t.id, !!t.evaluationOnly]), [['breastmnist', false], ['breastmnist-external', true]]);
  assert.deepEqual(spec.tasks[0].classNames, ['malignant breast tumour', 'normal or benign breast tissue']);
  const [task, ext] = loadBenchmarkTasks(spec);
  assert.equal(task.split('train').size + task.split('val').size + task.split('test').size, 12, 'only its train split: the test split is the external task');
  assert.equal(ext.split('test').size, 12);
  // The first exported training image, prepared at 28×28 (its own size), is the bundled image itself.
  const bundled = loadBenchmarkTasks('mini-mgtil')[1];
  assert.equal(bundled.name, 'breastmnist');
  const label = bundled.split('train').labels()[0];
  const prepared = loadPreparedImage(path.join(out, 'breastmnist', spec.tasks[0].nativeLabels[label], 'train-00000.png'), { size: 28, channels: 3 }, { cache: false });
  assert.deepEqual(Array.from(prepared.image.pixels), Array.from(rawImageOf(bundled.split('train'), 0).pixels));
  await assert.rejects(runCaptured(dataCommand, ['export', '--benchmark', 'mini-mgtil', '--only', 'nope', '--out', path.join(tmp, 'export2')], { quiet: true }), /'nope' is not a task of mini-mgtil/);
  assert.equal(fs.existsSync(path.join(tmp, 'export2')), false);
});

test('a memory holding images of the sequence (by path or by content) is found, naming the task', async () => {
  const root = makeWorld(tmp, 'leak');
  const tasks = loadBenchmarkTasks(path.join(root, 'seq.json'));
  const toy = { id: 'toy', dim: 2, embed: async (t: string[]) => t.map(() => Float32Array.from([1, 0])) };
  const inputs = [
    { id: 'copy-of-b7', caption: 'a blood cell', imageData: { bytes: fs.readFileSync(path.join(root, 'blood', 'img', 'b7.png')), ext: 'png' as const } },
    { id: 'same-path', caption: 'a chest', image: 'chest/normal/img3.png' },
    { id: 'unrelated', caption: 'other', imageData: { bytes: fs.readFileSync(path.join(root, 'chest', 'normal', 'img3.png')).subarray(0, 40), ext: 'png' as const } },
    { id: 'text-only', caption: 'no image' },
  ];
  const memory = await buildMemory(path.join(tmp, 'leak-mem'), inputs, { embedder: toy, imageRoot: root });
  const found = findTaskImagesInMemory(memory, tasks);
  assert.deepEqual(found.map((f) => [f.task, f.examples]).sort(), [['blood', ['copy-of-b7']], ['chest', ['same-path']]]);
  const clean = await buildMemory(path.join(tmp, 'clean-mem'), [inputs[2], inputs[3]], { embedder: toy });
  assert.deepEqual(findTaskImagesInMemory(clean, tasks), []);
});

