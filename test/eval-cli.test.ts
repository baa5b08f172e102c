import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { command } from '../src/cli/metrics';
import { runCaptured } from './helpers/cli';
import { writeNpy } from '../src/data/npy';

const ZSCL = path.join(__dirname, 'fixtures', 'zscl');
const ROOT = path.join(__dirname, '..');

const capture = (argv: string[]) => runCaptured(command, argv);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-eval-cli-'));
// The hand-worked 3×3 of eval-metrics.test.ts: Transfer 26.25, Last 80, BWT −12.5, Forgetting 15, FWT 2.5
const HAND_CSV = 'after_task,a,b,c\na,80,30,20\nb,85,90,25\nc,60,85,95\n';

test('CLI --json on a CSV with header and row labels', async () => {
  const file = path.join(tmp, 'm.csv');
  fs.writeFileSync(file, HAND_CSV);
  const zs = path.join(tmp, 'z.json');
  fs.writeFileSync(zs, JSON.stringify([50, 28, 22]));
  const { code, out } = await capture([file, '--zero-shot', zs, '--json']);
  assert.equal(code, 0);
  const j = JSON.parse(out);
  assert.equal(j.transfer, 26.25);
  assert.ok(Math.abs(j.avg - 570 / 9) < 1e-12);
  assert.equal(j.last, 80);
  assert.equal(j.acc, 80);
  assert.equal(j.bwt, -12.5);
  assert.equal(j.forgetting, 15);
  assert.equal(j.fwt, 2.5);
});

test('CLI on a header-less CSV and on JSON {matrix} prints the same metrics as text', async () => {
  const csv = path.join(tmp, 'plain.csv');
  fs.writeFileSync(csv, '80,30,20\n85,90,25\n60,85,95\n');
  const json = path.join(tmp, 'm.json');
  fs.writeFileSync(json, JSON.stringify({ matrix: [[80, 30, 20], [85, 90, 25], [60, 85, 95]] }));
  const a = await capture([csv]);
  const b = await capture([json]);
  assert.equal(a.code, 0);
  assert.match(a.out, /Transfer\s+26\.25/);
  assert.match(a.out, /Forgetting\s+15\.00/);
  assert.equal(a.out.replace(/plain\.csv/, ''), b.out.replace(/m\.json/, ''));
});

test('CLI on a 2-D float32 .npy matrix with a 1-D .npy zero-shot row (not reshaped to a square)', async () => {
  const m = path.join(tmp, 'm.npy');
  fs.writeFileSync(m, writeNpy({ dtype: 'f4', shape: [3, 3], data: new Float32Array([80, 30, 20, 85, 90, 25, 60, 85, 95]) }));
  const z = path.join(tmp, 'z.npy');
  fs.writeFileSync(z, writeNpy({ dtype: 'f8', shape: [3], data: new Float64Array([50, 28, 22]) }));
  const { code, out } = await capture([m, '--zero-shot', z, '--json']);
  assert.equal(code, 0);
  const j = JSON.parse(out);
  assert.deepEqual([j.transfer, j.bwt, j.forgetting, j.fwt], [26.25, -12.5, 15, 2.5]);
  // --drop-column and --permute act on the zero-shot row too: drop nothing here, reverse the order
  const r = JSON.parse((await capture([m, '--zero-shot', z, '--permute', '2,1,0', '--json'])).out);
  // reversed: A' = [[95,85,60],[25,90,85],[20,30,80]], z' = [22,28,50]: FWT = ((85−28) + (85−50))/2 = 46
  assert.equal(r.fwt, 46);
});

const PUBLISHED: [string, string[], number, number, number][] = [
  ['t3_1.npy', [], 44.6, 55.9, 77.3],
  ['t3_2.npy', [], 56.9, 64.7, 74.6],
  ['t3_7.npy', [], 68.1, 75.4, 83.6],
  ['t9_7.npy', ['--permute', '9,6,7,8,5,10,0,1,3,4,2'], 64.2, 74.5, 83.4],
];
for (const [file, extra, tr, av, la] of PUBLISHED) {
  test(`CLI on ZSCL ${file} (--drop-column 2) gives the published numbers`, async () => {
    const { code, out } = await capture([path.join(ZSCL, file), '--drop-column', '2', ...extra, '--json']);
    assert.equal(code, 0);
    const j = JSON.parse(out);
    assert.deepEqual([j.transfer, j.avg, j.last].map((x: number) => Math.round(x * 10) / 10), [tr, av, la]);
    assert.equal(j.tasks, 11);
  });
}

test('CLI errors name the file, row or option', async () => {
  const ragged = path.join(tmp, 'ragged.csv');
  fs.writeFileSync(ragged, '1,2,3\n4,5\n6,7,8\n');
  await assert.rejects(capture([ragged]), /ragged\.csv: row 1 has 2 values/);
  const bad = path.join(tmp, 'bad.csv');
  fs.writeFileSync(bad, '1,2\n3,x\n');
  await assert.rejects(capture([bad]), /bad\.csv: line 2, column 2 is "x"/);
  await assert.rejects(capture([path.join(tmp, 'm.csv'), '--permute', '0,0,1']), /entry 0 appears twice/);
  await assert.rejects(capture([path.join(tmp, 'm.csv'), '--permute', '0,a,1']), /--permute: "a"/);
  await assert.rejects(capture([path.join(tmp, 'nope.csv')]), /nope\.csv: cannot read/);
});

test('`primed metrics` end to end through the CLI entry point', () => {
  const file = path.join(tmp, 'e2e.csv');
  fs.writeFileSync(file, HAND_CSV);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'metrics', file, '--json'], { encoding: 'utf8', cwd: ROOT });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).bwt, -12.5);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'metrics'], { encoding: 'utf8', cwd: ROOT });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /expected one matrix file/);
});
