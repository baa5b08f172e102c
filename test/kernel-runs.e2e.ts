/**
 * kernel-lib's runJobs (kernel-lib/runs.ts), the pool that runs evaluateMGTIL jobs for the
 * notebooks: two tiny jobs (2 steps per task) on a pool of 2 worker processes give the same
 * matrices as in this process; a job whose run directory holds another configuration runs in
 * `<runDir>-<tag>` with a note (or fails without a tag); complete runs are read back. The workers
 * run kernel-lib/run-worker.ts through tsx here (dist/ in the notebooks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runJobs, type RunJob, type PartialRun } from '../kernel-lib/runs';
import type { ProgressEvent } from '../src/util/progress';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-runs-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');
// Same numerics here and in the workers: the same thread count (the pool gives each worker its
// share of the cores; sums split over another number of threads may differ in the last bits).
process.env.PRIMED_THREADS = '1';

const recipe = { trainer: { steps: 2, batchSize: 16 } };
const job = (name: string, method: string, runDir: string, tag?: string): RunJob => ({
  name: name,
  options: { benchmark: 'mini-mgtil', order: 'I', method: method, recipe: recipe, seed: 7, runDir: runDir },
  ...(tag ? { tag: tag } : {}),
});

test('runJobs: a pool of 2 workers gives the in-process matrices; another configuration runs in <runDir>-<tag>; complete runs are read back', async () => {
  const here = path.join(tmp, 'here');
  const pool = path.join(tmp, 'pool');
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);

  // In this process, one after another.
  const a = await runJobs([job('ft', 'finetune', path.join(here, 'ft')), job('l2', 'l2', path.join(here, 'l2'))], { workers: 1, log: log });
  assert.deepEqual([...a.keys()].sort(), ['ft', 'l2']);
  assert.ok(lines.some((l) => /^ft: ran in /.test(l)), lines.join('\n'));

  // On 2 workers. The l2 job's folder holds the finetune run: with a tag it runs beside it.
  lines.length = 0;
  const rows = new Map<string, PartialRun[]>();
  const events: ProgressEvent[] = [];
  const jobs = [job('ft', 'finetune', path.join(pool, 'ft')), job('l2', 'l2', path.join(here, 'ft'), 'nb')];
  const b = await runJobs(jobs, {
    workers: 2,
    log: log,
    progress: (e) => events.push(e),
    onRow: (j, _row, partial) => void rows.set(j.name, [...(rows.get(j.name) ?? []), partial]),
  });
  for (const name of ['ft', 'l2']) {
    assert.deepEqual(b.get(name)!.matrix, a.get(name)!.matrix, `${name}: same matrix in a worker as here`);
    assert.deepEqual(b.get(name)!.zeroShot, a.get(name)!.zeroShot);
    assert.equal(rows.get(name)?.length, 5, `${name}: one onRow per row`);
    assert.deepEqual(rows.get(name)!.at(-1)!.matrix, b.get(name)!.matrix);
  }
  assert.ok(lines.some((l) => /^ft: ran in worker [12] in /.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^l2: ran in worker [12] in /.test(l)), lines.join('\n'));
  assert.equal(b.get('l2')!.runDir, path.join(here, 'ft-nb'));
  assert.ok(lines.some((l) => l.includes('note:') && l.includes('ft-nb')), lines.join('\n'));
  assert.ok(events.some((e) => e.label === 'all runs' && e.done === 2 && e.total === 2));
  // each worker has one line (its slot) showing its current stage in that stage's units
  assert.ok(events.some((e) => e.slot === 'worker 1') && events.some((e) => e.slot === 'worker 2'));
  assert.ok(events.some((e) => e.slot === 'worker 1' && /^worker 1: train /.test(e.label)), 'the worker line names the stage');

  // Again: both complete (the tagged one in its alternative folder), read back here.
  lines.length = 0;
  const c = await runJobs(jobs, { workers: 2, log: log });
  assert.deepEqual(c.get('l2')!.matrix, a.get('l2')!.matrix);
  assert.ok(lines.filter((l) => /read back \(complete run\)/.test(l)).length === 2, lines.join('\n'));

  // A results map: jobs already in it are skipped.
  const known = new Map([['ft', a.get('ft')!]]);
  lines.length = 0;
  assert.equal(await runJobs([job('ft', 'finetune', path.join(tmp, 'never'))], { results: known, log: log }), known);
  assert.equal(lines.length, 0);
  assert.ok(!fs.existsSync(path.join(tmp, 'never')));

  // Without a tag the clash is an error that says what to do; two jobs of one name must agree.
  await assert.rejects(runJobs([job('l2', 'l2', path.join(here, 'ft'))], { workers: 1, log: log }), /another configuration.*delete that folder/s);
  await assert.rejects(runJobs([job('x', 'l2', path.join(tmp, 'x')), job('x', 'finetune', path.join(tmp, 'x'))], { log: log }), /two different jobs are named x/);
});
