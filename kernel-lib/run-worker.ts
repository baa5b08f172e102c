/**
 * The worker process of `runJobs` (runs.ts), the one for every notebook and
 * `npm run figures`: forked with an IPC channel, it runs jobs one after another with
 * `runJob` (their model, memory folder and tag included) and reports progress, each
 * finished row of the accuracy matrix and the outcome to the parent. One worker = one core (the
 * wasm backend computes on one thread), so a pool of N workers runs N protocol runs at once.
 * Compiled to `dist/kernel-lib/run-worker.js`; from the sources (tests) it runs through tsx.
 *
 * Messages in:  { type: 'run', id, job }              (job: a RunJob, JSON)
 *               { type: 'exit' }
 * Messages out: { type: 'ready' }
 *               { type: 'progress', id, event }      (throttled to one every 300 ms per label)
 *               { type: 'row', id, row, partial: { tasks, matrix, zeroShot } }
 *               { type: 'done', id, outcome: { result, seconds, note? } }  |  { type: 'error', id, message }
 *
 * @module
 */
import type { ProgressEvent } from '../src/util/progress';
import { runJob, type RunJob } from './runs';

interface RunMessage {
  type: 'run';
  id: string;
  job: RunJob;
}

function send(msg: unknown): void {
  if (process.connected) process.send!(msg);
}

async function run(msg: RunMessage): Promise<void> {
  const last = new Map<string, number>();
  const progress = (event: ProgressEvent) => {
    const now = Date.now();
    const done = event.total > 0 && event.done >= event.total;
    if (!done && now - (last.get(event.label) ?? 0) < 300) return;
    last.set(event.label, now);
    send({ type: 'progress', id: msg.id, event: event });
  };
  try {
    const outcome = await runJob(msg.job, {
      progress: progress,
      onRow: (row, partial) => send({ type: 'row', id: msg.id, row: row, partial: partial }),
    });
    send({ type: 'done', id: msg.id, outcome: outcome });
  } catch (err) {
    send({ type: 'error', id: msg.id, message: String((err as Error)?.stack ?? err) });
  }
}

if (!process.send) {
  process.stderr.write('run-worker is started by runJobs (kernel-lib/runs.ts) with an IPC channel, not by hand\n');
  process.exit(2);
}
let queue = Promise.resolve();
process.on('message', (msg: { type?: string } | null) => {
  if (msg?.type === 'exit') {
    void queue.then(() => process.exit(0));
    return;
  }
  if (msg?.type === 'run') queue = queue.then(() => run(msg as RunMessage));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
