#!/usr/bin/env node
/**
 * Worker process of notebooks 04-ablations, 05-siphon and 06-backbones (their `runJobs` helper,
 * written by nb04-06-make.py). The wasm backend computes on one thread, so the notebooks fork one
 * worker per core and give each whole `evaluateMGTIL` runs, one after another.
 *
 * Messages in:  { type: 'run', id, root, tag, options, model?, memory? }
 *                 options: JSON-safe evaluateMGTIL options (runDir included)
 *                 model:   { kind: 'random', seed }                 an untrained mini model with the bundled tokenizer
 *                          { kind: 'checkpoint', path, preset }    loadCheckpoint(path, { preset })
 *                          absent: evaluateMGTIL's default (the bundled mini model)
 *                 memory:  a memory folder (paper scale); absent: evaluateMGTIL's default
 *               { type: 'exit' }
 * Messages out: { type: 'ready' }
 *               { type: 'progress', id, event }   (throttled)
 *               { type: 'done', id, result, seconds, note? } | { type: 'error', id, message }
 *
 * A run directory that holds a run of another configuration (e.g. made by another notebook with
 * other options) is not touched: the run goes to `<runDir>-<tag>` instead, and `note` says so.
 */
'use strict';
const path = require('node:path');

let lib;
const memories = new Map();

function library(root) {
  lib ??= require(path.join(root, 'dist', 'src'));
  return lib;
}

function send(msg) {
  if (process.connected) process.send(msg);
}

async function makeModel(spec) {
  if (!spec) return undefined;
  if (spec.kind === 'random') {
    const base = await lib.loadMiniModel();
    try {
      return lib.createModel(base.preset, { seed: spec.seed, tokenizer: base.tokenizer });
    } finally {
      base.dispose();
    }
  }
  if (spec.kind === 'checkpoint') return lib.loadCheckpoint(spec.path, { preset: spec.preset });
  throw new Error(`unknown model spec ${JSON.stringify(spec)}`);
}

async function memoryAt(dir) {
  if (!dir) return undefined;
  if (!memories.has(dir)) memories.set(dir, await lib.loadMemory(dir));
  return memories.get(dir);
}

async function run(msg) {
  library(msg.root);
  await lib.initBackend();
  const last = new Map();
  const progress = (event) => {
    const now = Date.now();
    const done = event.total > 0 && event.done >= event.total;
    if (!done && now - (last.get(event.label) ?? 0) < 400) return;
    last.set(event.label, now);
    send({ type: 'progress', id: msg.id, event });
  };
  const t0 = Date.now();
  const attempt = async (runDir) => {
    const model = await makeModel(msg.model);
    try {
      return await lib.evaluateMGTIL({ ...msg.options, runDir, model, memory: await memoryAt(msg.memory), progress });
    } finally {
      model?.dispose();
    }
  };
  try {
    let note;
    let result;
    try {
      result = await attempt(msg.options.runDir);
    } catch (err) {
      const text = String((err && err.message) || err);
      if (!/cannot resume/.test(text)) throw err;
      const alt = `${msg.options.runDir}-${msg.tag}`;
      note = `${msg.options.runDir} holds a run of another configuration (${text.split('\n')[0]}); this one ran in ${alt}`;
      result = await attempt(alt);
    }
    send({ type: 'done', id: msg.id, result, seconds: (Date.now() - t0) / 1000, note });
  } catch (err) {
    send({ type: 'error', id: msg.id, message: String((err && err.stack) || err) });
  }
}

if (!process.send) {
  process.stderr.write('nb04-06-worker.js is started by notebooks 04-06 (with an IPC channel), not by hand\n');
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
