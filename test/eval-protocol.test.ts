import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { runProtocol, rowStateDir, ResumeMismatchError, type ProtocolLearner, type ProtocolResult, type TaskEvaluation } from '../src/eval/protocol';
import { readMatrixFile, readRowFile } from '../src/eval/matrix-io';
import { computeMetrics } from '../src/eval/metrics';
import type { ProgressEvent } from '../src/util/progress';

const TASKS = ['xray', 'ultrasound', 'fundus', 'pathology', 'blood'];
const LABELS = new Int32Array([0, 1, 0, 1, 1, 0]);

/**
 * A deterministic learner whose accuracies depend on its whole history: training task t adds
 * to skill t an amount that grows with the total skill so far, and erodes the other skills.
 * A resume that skipped loadState would start from zero skill and give a different matrix.
 */
class ToyLearner implements ProtocolLearner {
  skill = [0, 0, 0, 0, 0];
  trained: number[] = [];
  loads: string[] = [];
  constructor(private failOnTrain?: number) {}
  async evaluate(d: number): Promise<TaskEvaluation> {
    const s = this.skill[d];
    // class-1 items score s, class-0 items score a fixed ladder: the AUC rises with skill
    const ladder = [0.5, 1.5, 2.5];
    let k = 0;
    const scores = new Float32Array(LABELS.length * 2);
    LABELS.forEach((y, i) => {
      const p = y === 1 ? s / 10 : ladder[k++];
      scores[i * 2 + 1] = p;
      scores[i * 2] = -p;
    });
    return { accuracy: 30 + s, scores, labels: LABELS };
  }
  async train(t: number, signal: { progress: (e: ProgressEvent) => void }): Promise<void> {
    if (this.failOnTrain === t) throw new Error(`killed while training task ${t}`);
    const total = this.skill.reduce((a, b) => a + b, 0);
    this.skill = this.skill.map((v, j) => (j === t ? v + 20 + 0.25 * total : Math.round(v * 0.8 * 100) / 100));
    this.trained.push(t);
    signal.progress({ label: `toy step ${t}`, done: 1, total: 1 });
  }
  async saveState(dir: string): Promise<void> {
    fs.writeFileSync(path.join(dir, 'skill.json'), JSON.stringify(this.skill));
  }
  async loadState(dir: string): Promise<void> {
    this.loads.push(path.basename(dir));
    this.skill = JSON.parse(fs.readFileSync(path.join(dir, 'skill.json'), 'utf8'));
  }
}

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-eval-protocol-'));
const CONFIG = { method: 'toy', lr: 1e-5, nested: { steps: 3 } };
const base = (runDir: string, learner: ProtocolLearner) => ({ tasks: TASKS, learner, runDir, config: CONFIG, seed: 42 });

let reference: Promise<ProtocolResult> | undefined;
/** An uninterrupted run of its own, computed once whichever test asks first (no test relies on another having run). */
const uninterruptedRun = () => (reference ??= runProtocol(base(path.join(tmpRoot, 'reference'), new ToyLearner())));

test('uninterrupted run: fills the matrix, zero-shot row, metrics, timings, backend and files', async () => {
  const backend = await initBackend();
  const runDir = path.join(tmpRoot, 'full');
  const rows: number[] = [];
  const events: ProgressEvent[] = [];
  const learner = new ToyLearner();
  const uninterrupted = await runProtocol({
    ...base(runDir, learner),
    progress: (e) => events.push(e),
    onRow: (row, partial) => {
      rows.push(row);
      assert.equal(partial.rowsDone, row + 1);
      assert.equal(partial.matrix.length, row + 1);
      assert.equal(partial.complete, row === TASKS.length - 1);
    },
  });
  const r = uninterrupted;
  assert.deepEqual(rows, [0, 1, 2, 3, 4]);
  assert.deepEqual(learner.trained, [0, 1, 2, 3, 4]);
  assert.deepEqual(r.zeroShot, [30, 30, 30, 30, 30]);
  assert.equal(r.matrix.length, 5);
  // row 0: skill 20 on task 0 only; row 1: task 1 gets 20 + 0.25·20 = 25, task 0 decays to 16
  assert.deepEqual(r.matrix[0], [50, 30, 30, 30, 30]);
  assert.deepEqual(r.matrix[1], [46, 55, 30, 30, 30]);
  assert.ok(r.complete);
  assert.deepEqual(r.metrics, computeMetrics(r.matrix, { zeroShot: r.zeroShot!, aucPerTask: r.aucMatrix[4] }));
  // AUC, hand-worked: class-1 items score skill/10, class-0 items 0.5, 1.5, 2.5 (class 0 column negated).
  // Zero skill: every positive below every negative → 0. Skill 20 (row 0, task 0): 2.0 beats 2 of 3 → 2/3.
  // Skill 25 (row 1, task 1): 2.5 beats 0.5 and 1.5 and ties 2.5 → 2.5/3.
  assert.deepEqual(r.zeroShotAuc, [0, 0, 0, 0, 0]);
  assert.ok(Math.abs(r.aucMatrix[0][0]! - 200 / 3) < 1e-9);
  assert.ok(Math.abs(r.aucMatrix[1][1]! - 250 / 3) < 1e-9);
  assert.equal(r.timings.rows.length, 5);
  assert.ok(r.timings.rows.every((t) => t.trainS >= 0 && t.evalS >= 0));
  assert.equal(r.backend?.name, backend.name);
  assert.deepEqual(r.config, CONFIG);
  assert.equal(r.seed, 42);
  assert.deepEqual(r.resumedAtRow, []);
  // progress: per evaluation, the learner's own events, and the protocol's own bar (tasks done / total:
  // 0/5 at the start, then one per finished row, ending at 5/5)
  const bar = events.filter((e) => e.label === 'protocol');
  assert.deepEqual(bar.map((e) => [e.done, e.total]), [[0, 5], [1, 5], [2, 5], [3, 5], [4, 5], [5, 5]]);
  assert.ok(events.some((e) => e.label === 'toy step 3'));
  // the protocol emits no `train <task>` events of its own (they are the trainer's, counted in steps)
  assert.deepEqual(events.filter((e) => e.label.startsWith('train ')), []);
  // every finished evaluation bar shows the mean accuracy of its row, not the last task's
  for (let t = 0; t < 5; t++) {
    const last = events.filter((e) => e.label === `evaluate after ${TASKS[t]}`).at(-1)!;
    assert.equal(last.done, 5);
    const mean = r.matrix[t].reduce((a, b) => a + b, 0) / 5;
    assert.ok(Math.abs(last.metrics!['mean accuracy'] - mean) < 1e-9, `row ${t}: ${last.metrics!['mean accuracy']} vs ${mean}`);
  }
  // files: result.json equals the returned result; matrix.csv and zero-shot.csv read back exactly
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8')), JSON.parse(JSON.stringify(r)));
  const csv = readMatrixFile(path.join(runDir, 'matrix.csv'));
  assert.deepEqual(csv.rows, r.matrix);
  assert.deepEqual(csv.columns, TASKS);
  assert.deepEqual(readRowFile(path.join(runDir, 'zero-shot.csv')), r.zeroShot);
  // keepStates 'last' (default): a finished run keeps no learner state (only what a reader needs)
  assert.equal(fs.existsSync(path.join(runDir, 'state')), false);
  assert.deepEqual(fs.readdirSync(runDir).sort(), ['matrix.csv', 'result.json', 'zero-shot.csv']);
  // read back: the complete run is returned without training or loading a state
  const again = new ToyLearner();
  const back = await runProtocol(base(runDir, again));
  assert.deepEqual(back.matrix, r.matrix);
  assert.deepEqual(again.trained, []);
  assert.deepEqual(again.loads, []);
});

test('keepStates "final" keeps the last row\'s state once the run is complete', async () => {
  const runDir = path.join(tmpRoot, 'final');
  await runProtocol({ ...base(runDir, new ToyLearner()), keepStates: 'final' });
  assert.deepEqual(fs.readdirSync(path.join(runDir, 'state')), ['row-4']);
});

test('fresh: a finished run is discarded and run again; a folder of other files is refused and left intact', async () => {
  const runDir = path.join(tmpRoot, 'fresh');
  await runProtocol(base(runDir, new ToyLearner()));
  const again = new ToyLearner();
  const r = await runProtocol({ ...base(runDir, again), seed: 7, fresh: true });
  assert.equal(r.seed, 7);
  assert.deepEqual(again.trained, [0, 1, 2, 3, 4]);

  const notes = path.join(tmpRoot, 'notes');
  fs.mkdirSync(notes);
  fs.writeFileSync(path.join(notes, 'thesis.md'), 'my notes');
  await assert.rejects(runProtocol({ ...base(notes, new ToyLearner()), fresh: true }), /does not hold a primed run .*thesis\.md.*refusing to delete it/);
  assert.equal(fs.readFileSync(path.join(notes, 'thesis.md'), 'utf8'), 'my notes');
  // an invalid option is refused before anything is removed
  await assert.rejects(runProtocol({ ...base(runDir, new ToyLearner()), fresh: true, keepStates: 'some' as 'all' }), /keepStates/);
  assert.ok(fs.existsSync(path.join(runDir, 'result.json')));
});

test('one writer per run folder: a second run into a folder being written is refused, naming the pid', async () => {
  const runDir = path.join(tmpRoot, 'locked');
  // a lock held by another live process (pid 1 exists on every Unix) refuses the writer
  fs.writeFileSync(path.join(tmpRoot, '.locked.lock'), JSON.stringify({ pid: 1, host: os.hostname(), since: 'now', command: 'primed evaluate' }));
  await assert.rejects(runProtocol(base(runDir, new ToyLearner())), /being written by process 1 .*primed evaluate/);
  // a lock whose process is gone is stale: cleared, and the run proceeds
  fs.writeFileSync(path.join(tmpRoot, '.locked.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: 'then', command: 'killed' }));
  const r = await runProtocol(base(runDir, new ToyLearner()));
  assert.equal(r.complete, true);
  assert.equal(fs.existsSync(path.join(tmpRoot, '.locked.lock')), false);
});

test('resume: a run killed while training task 2 continues from row 1 and equals the uninterrupted run', async () => {
  const uninterrupted = await uninterruptedRun();
  const runDir = path.join(tmpRoot, 'resumed');
  const rowsSeen: number[] = [];
  await assert.rejects(runProtocol({ ...base(runDir, new ToyLearner(2)), keepStates: 'all' }), /killed while training task 2/);
  // what a killed run leaves: two finished rows on disk, their states, nothing half-written
  const partial = JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8')) as ProtocolResult;
  assert.equal(partial.rowsDone, 2);
  assert.equal(partial.complete, false);
  assert.deepEqual(partial.matrix, uninterrupted.matrix.slice(0, 2));
  assert.equal(readMatrixFile(path.join(runDir, 'matrix.csv')).rows.length, 2);
  assert.ok(fs.existsSync(path.join(rowStateDir(runDir, 1), 'skill.json')));
  assert.deepEqual(fs.readdirSync(runDir).filter((f) => f.endsWith('.tmp')), []);

  const fresh = new ToyLearner();
  const r = await runProtocol({ ...base(runDir, fresh), keepStates: 'all', onRow: (row) => void rowsSeen.push(row) });
  assert.deepEqual(fresh.loads, ['row-1']);
  assert.deepEqual(fresh.trained, [2, 3, 4]);
  assert.deepEqual(rowsSeen, [2, 3, 4]);
  for (let t = 0; t < TASKS.length; t++) assert.deepEqual(r.matrix[t], uninterrupted.matrix[t], `row ${t}`);
  assert.deepEqual(r.aucMatrix, uninterrupted.aucMatrix);
  assert.deepEqual(r.zeroShot, uninterrupted.zeroShot);
  assert.deepEqual(r.metrics, uninterrupted.metrics);
  assert.deepEqual(r.resumedAtRow, [2]);
  assert.deepEqual(fs.readdirSync(path.join(runDir, 'state')).sort(), ['row-0', 'row-1', 'row-2', 'row-3', 'row-4']);
});

test('resume without loading the saved state would give a different matrix (the test above has teeth)', async () => {
  const uninterrupted = await uninterruptedRun();
  const runDir = path.join(tmpRoot, 'forgetful');
  await assert.rejects(runProtocol(base(runDir, new ToyLearner(2))));
  const forgetful = new ToyLearner();
  forgetful.loadState = async () => {};
  const r = await runProtocol(base(runDir, forgetful));
  assert.notDeepEqual(r.matrix[2], uninterrupted.matrix[2]);
});

test('abort signal stops between steps; the run resumes to the same matrix', async () => {
  const uninterrupted = await uninterruptedRun();
  const runDir = path.join(tmpRoot, 'aborted');
  const ctl = new AbortController();
  await assert.rejects(
    runProtocol({ ...base(runDir, new ToyLearner()), signal: ctl.signal, onRow: (row) => (row === 0 ? ctl.abort() : undefined) }),
    /aborted after 1 of 5 rows/,
  );
  const r = await runProtocol(base(runDir, new ToyLearner()));
  assert.deepEqual(r.matrix, uninterrupted.matrix);
});

test('a refused resume is a ResumeMismatchError that names the stored file and the differing field; other refusals are not', async () => {
  const runDir = path.join(tmpRoot, 'mismatch-typed');
  await assert.rejects(runProtocol(base(runDir, new ToyLearner(1))));
  const refusal = async (options: Parameters<typeof runProtocol>[0]): Promise<unknown> => {
    try {
      await runProtocol(options);
    } catch (err) {
      return err;
    }
    assert.fail('expected a refusal');
  };
  const seed = await refusal({ ...base(runDir, new ToyLearner()), seed: 7 });
  assert.ok(seed instanceof ResumeMismatchError, `got ${String(seed)}`);
  assert.equal(seed.field, 'seed');
  assert.equal(seed.file, path.join(runDir, 'result.json'));
  const config = await refusal({ ...base(runDir, new ToyLearner()), config: { ...CONFIG, nested: { steps: 4 } } });
  assert.ok(config instanceof ResumeMismatchError);
  assert.equal(config.field, 'config.nested.steps');
  const noResume = await refusal({ ...base(runDir, new ToyLearner()), resume: false });
  assert.ok(noResume instanceof Error && !(noResume instanceof ResumeMismatchError), 'resume: false is an option error, not a mismatch');
});

test('a resume with a different config, seed or task list is refused, naming the field', async () => {
  const runDir = path.join(tmpRoot, 'mismatch');
  await assert.rejects(runProtocol(base(runDir, new ToyLearner(1))));
  await assert.rejects(
    runProtocol({ ...base(runDir, new ToyLearner()), config: { ...CONFIG, nested: { steps: 4 } } }),
    /stored config\.nested\.steps \(3\) differs from the new one \(4\)/,
  );
  await assert.rejects(runProtocol({ ...base(runDir, new ToyLearner()), seed: 7 }), /stored seed \(42\) differs from the new one \(7\)/);
  await assert.rejects(
    runProtocol({ ...base(runDir, new ToyLearner()), tasks: [...TASKS.slice(0, 4), 'derm'] }),
    /stored tasks\[4\] \("blood"\) differs from the new one \("derm"\)/,
  );
  await assert.rejects(runProtocol({ ...base(runDir, new ToyLearner()), resume: false }), /option resume is false/);
  await assert.rejects(runProtocol({ ...base(path.join(tmpRoot, 'x'), new ToyLearner()), tasks: [] }), /option tasks/);
});
