/**
 * How large EWC's penalty is at mini scale, to choose its default λ (docs/primed-decisions.md §7).
 * Fine-tunes task 1 of mini-MGTIL, estimates the Fisher there (per-sample, as `estimateFisher`,
 * and, for comparison, the squared batch-mean gradient the first implementation used), then
 * fine-tunes task 2 *without* a penalty and reports `Σ F·(θ − θ*)²` at its end against the task
 * cross-entropy: λ ≈ CE / penalty makes the two of the same order.
 *   npx tsx scripts/calibrate-ewc.ts [--steps 150] [--order I] [--seed 42]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend } from '../src/backend';
import { loadBenchmarkTasks } from '../src/benchmarks';
import { trainTask } from '../src/experiment';
import { loadMiniModel } from '../src/foundation';
import { EWC_DEFAULTS, estimateFisher } from '../src/methods/ewc';
import { ewcPenalty } from '../src/train/losses';
import { modelPreprocess } from '../src/train/preprocess';
import { batchImages, classificationLoss, classPrompts, tokenize } from '../src/train/task-loss';
import { disposeWeights, snapshotWeights, type WeightSnapshot } from '../src/train/weights';

async function batchMeanFisher(model: Awaited<ReturnType<typeof loadMiniModel>>, dataset: ReturnType<typeof loadBenchmarkTasks>[number], names: string[], seed: number): Promise<WeightSnapshot> {
  const vars = model.trainableVariables();
  const acc = vars.map((v) => tf.keep(tf.zerosLike(v)));
  const prompts = tokenize(model, classPrompts(dataset));
  let count = 0;
  for await (const batch of dataset.split('train').batches(modelPreprocess(model, undefined, 'calibrate'), { batchSize: EWC_DEFAULTS.fisherBatchSize, shuffle: true, seed })) {
    if (count >= EWC_DEFAULTS.fisherBatches) break;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => classificationLoss(model, batchImages(batch), prompts, batch.labels, 0), vars);
      value.dispose();
      vars.forEach((v, i) => {
        const old = acc[i];
        acc[i] = tf.keep(tf.add(old, tf.square(grads[v.name])));
        old.dispose();
      });
    });
    count++;
  }
  prompts.dispose();
  return new Map(names.map((n, i) => [n, tf.tidy(() => tf.div(acc[i], count))]));
}

const total = (s: WeightSnapshot) => [...s.values()].reduce((a, t) => a + tf.tidy(() => tf.sum(t).dataSync()[0]), 0);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { steps: { type: 'string', default: '150' }, order: { type: 'string', default: 'I' }, seed: { type: 'string', default: '42' } } });
  const steps = Number(values.steps);
  const seed = Number(values.seed);
  const backend = await initBackend();
  const [first, second] = loadBenchmarkTasks('mini-mgtil', { order: values.order as 'I' | 'II' });
  const model = await loadMiniModel();
  const byVar = new Map([...model.namedVariables()].map(([n, v]) => [v, n]));
  const names = model.trainableVariables().map((v) => byVar.get(v)!);
  const r1 = await trainTask(model, first, { recipe: { trainer: { steps } }, seed });
  const fisher = await estimateFisher(model, first, modelPreprocess(model, undefined, 'calibrate'), names, {
    batches: EWC_DEFAULTS.fisherBatches, batchSize: EWC_DEFAULTS.fisherBatchSize, seed,
  });
  const squaredMean = await batchMeanFisher(model, first, names, seed);
  const anchor = snapshotWeights(model, names);
  const r2 = await trainTask(model, second, { recipe: { trainer: { steps } }, seed, taskIndex: 1 });
  const params = model.trainableVariables();
  const penalty = (f: WeightSnapshot) => tf.tidy(() => ewcPenalty(params, names.map((n) => anchor.get(n)!), names.map((n) => f.get(n)!)).dataSync()[0]);
  const ce = (r: typeof r1) => r.history.slice(-10).reduce((a, h) => a + h.ce, 0) / Math.min(10, r.history.length);
  const p = penalty(fisher);
  const report = {
    backend: describeBackend(backend), order: values.order, seed, steps, tasks: [first.name, second.name],
    fisherSamples: EWC_DEFAULTS.fisherBatches * EWC_DEFAULTS.fisherBatchSize,
    fisherSum: { perSample: total(fisher), squaredBatchMean: total(squaredMean) },
    ceEndOfTask1: ce(r1), ceEndOfTask2: ce(r2),
    penaltyAfterFinetuningTask2: { perSample: p, squaredBatchMean: penalty(squaredMean) },
    lambdaForPenaltyEqualCe: ce(r2) / p,
  };
  process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
  disposeWeights(fisher); disposeWeights(squaredMean); disposeWeights(anchor);
  model.dispose();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
