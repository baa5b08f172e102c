#!/usr/bin/env node
/**
 * Worker process of the notebooks' run pool (nb0x-runs.ts): forked with an IPC channel, it
 * runs `evaluateMGTIL` jobs from the compiled library (dist/) one after another and reports
 * progress, each finished row of the accuracy matrix, and the result back to the parent.
 * One worker = one core (the wasm backend computes on one thread), so a pool of N workers
 * runs N protocol runs at once.
 *
 * Messages in:  { type: 'run', id, root, options }   (options: JSON-safe evaluateMGTIL options)
 *               { type: 'exit' }
 * Messages out: { type: 'ready' }
 *               { type: 'progress', id, event }      (throttled to one every 300 ms per label)
 *               { type: 'row', id, row, partial: { tasks, matrix, zeroShot } }
 *               { type: 'done', id, result }  |  { type: 'error', id, message }
 */
'use strict';
const path = require('node:path');

let lib;
function library(root) {
  lib ??= require(path.join(root, 'dist', 'src'));
  return lib;
}

function send(msg) {
  if (process.connected) process.send(msg);
}

async function run(msg) {
  const { evaluateMGTIL } = library(msg.root);
  const last = new Map();
  const progress = (event) => {
    const now = Date.now();
    const done = event.total > 0 && event.done >= event.total;
    if (!done && now - (last.get(event.label) ?? 0) < 300) return;
    last.set(event.label, now);
    send({ type: 'progress', id: msg.id, event });
  };
  try {
    const result = await evaluateMGTIL({
      ...msg.options,
      progress,
      onRow: (row, partial) => send({ type: 'row', id: msg.id, row, partial: { tasks: partial.tasks, matrix: partial.matrix, zeroShot: partial.zeroShot } }),
    });
    send({ type: 'done', id: msg.id, result });
  } catch (err) {
    send({ type: 'error', id: msg.id, message: String((err && err.stack) || err) });
  }
}

if (!process.send) {
  process.stderr.write('nb0x-worker.js is started by notebooks/src/nb0x-runs.ts (with an IPC channel), not by hand\n');
  process.exit(2);
}
let queue = Promise.resolve();
process.on('message', (msg) => {
  if (msg && msg.type === 'exit') {
    queue.then(() => process.exit(0));
    return;
  }
  if (msg && msg.type === 'run') queue = queue.then(() => run(msg));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
