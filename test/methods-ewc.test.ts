import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import type { ClassificationDataset, SplitName } from '../src/data/types';
import type { Tokenizer } from '../src/model/types';
import { createMethod } from '../src/methods';
import { EWC_DEFAULT_LAMBDA, EWC_DEFAULTS, EwcPenalty, estimateFisher } from '../src/methods/ewc';
import { loadSnapshot } from '../src/methods/state';
import type { TaskContext } from '../src/train/plugin';
import { trainOnTask } from '../src/train/trainer';
import { disposeWeights, snapshotWeights, type WeightSnapshot } from '../src/train/weights';
import { Rng } from '../src/util/rng';
import { LinearDualEncoder, makeDataset, MemorySplit, SMALL } from './fixtures/losses/fakes';

// Oracle: torch.autograd, one image at a time, on the same linear dual encoder (scripts/make_ewc_fixture.py).
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'ewc', 'fisher.json'), 'utf8'));
const NAMES = ['image.w', 'text.embed', 'text.w'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'primed-ewc-'));

/** Maps the fixture's class prompts to the fixture's token ids. */
class PromptTable implements Tokenizer {
  readonly kind = 'test-table';
  constructor(readonly vocabSize: number, readonly contextLength: number, private readonly table: Map<string, number[]>) {}
  encode(text: string): number[] {
    const ids = this.table.get(text);
    if (!ids) throw new Error(`PromptTable: no ids for ${JSON.stringify(text)}`);
    return ids;
  }
  encodeBatch(texts: string[]): Int32Array {
    return Int32Array.from(texts.flatMap((t) => this.encode(t)));
  }
}

class FixtureEncoder extends LinearDualEncoder {
  override readonly tokenizer: Tokenizer;
  constructor(weights: Record<string, number[][]>) {
    const s = fx.sizes;
    super({ imageSize: s.side, channels: s.channels, vocab: s.vocab, context: s.context, hidden: s.hidden, embed: s.embed }, weights, fx.logitScale);
    this.tokenizer = new PromptTable(s.vocab, s.context, new Map(fx.promptIds.map((ids: number[], c: number) => [`class ${c}`, ids])));
  }
}

function fixtureDataset(): ClassificationDataset {
  const s = fx.sizes;
  const train = new MemorySplit(fx.images.map((r: number[]) => Float32Array.from(r)), fx.labels, [s.side, s.side, s.channels]);
  return {
    name: 'ewc-fixture', domain: 'test', classNames: Array.from({ length: s.classes }, (_, c) => String(c)), templates: ['class {}'],
    split(split: SplitName) {
      if (split !== 'train') throw new Error(`no ${split} split`);
      return train;
    },
  };
}

function values(snapshot: WeightSnapshot, name: string): number[] {
  return Array.from(snapshot.get(name)!.dataSync());
}

function assertMatches(actual: WeightSnapshot, expected: Record<string, number[][]>, what: string): void {
  for (const name of NAMES) {
    const a = values(actual, name);
    const e = expected[name].flat();
    const top = Math.max(...e);
    assert.equal(a.length, e.length, `${what} ${name}: size`);
    e.forEach((x, i) => assert.ok(Math.abs(a[i] - x) <= 1e-4 * top + 1e-7, `${what} ${name}[${i}]: ${a[i]} vs torch ${x}`));
  }
}

function taskContext(model: LinearDualEncoder, dataset: ClassificationDataset, taskIndex: number): TaskContext {
  return {
    model, task: { taskIndex, dataset }, preprocess: model.preprocess, totalSteps: 1, seed: 1,
    startWeights: new Map(), trainableNames: NAMES, rng: (label) => Rng.derive(1, `task${taskIndex}/${label}`),
  };
}

test('EWC Fisher is the mean of per-sample squared gradients (torch.autograd oracle), not the squared batch-mean gradient', async () => {
  await initBackend();
  // The fixture tells the two estimators apart: the squared batch-mean gradient is several times smaller.
  for (const name of NAMES) {
    const perSample = fx.fisher[name].flat().reduce((a: number, b: number) => a + b, 0);
    const batchMean = fx.squaredBatchMeanGradient[name].flat().reduce((a: number, b: number) => a + b, 0);
    assert.ok(perSample > 2 * batchMean, `fixture ${name}: ${perSample} vs ${batchMean}`);
  }
  const model = new FixtureEncoder(fx.weights);
  const dataset = fixtureDataset();
  const before = tf.memory().numTensors;
  // All 7 images, read as batches of 4 + 3, and as one batch of 7: the same Fisher.
  for (const [batches, batchSize] of [[2, 4], [1, 7], [5, 2]]) {
    const fisher = await estimateFisher(model, dataset, model.preprocess, NAMES, { batches, batchSize, seed: 3 });
    assertMatches(fisher, fx.fisher, `batches ${batches}×${batchSize}`);
    disposeWeights(fisher);
  }
  assert.equal(tf.memory().numTensors, before, 'estimateFisher leaks no tensors');
  // Only `batches` batches are read, and the mean is over the images read: here the first 4 of
  // the seeded order (MemorySplit shuffles with Rng(seed)).
  const partial = await estimateFisher(model, dataset, model.preprocess, NAMES, { batches: 1, batchSize: 4, seed: 3 });
  const order = Array.from({ length: fx.sizes.n }, (_, i) => i);
  new Rng(3).shuffle(order);
  const expected = Object.fromEntries(NAMES.map((name) => {
    const rows = order.slice(0, 4).map((i) => fx.perSampleSquaredGradient[i][name] as number[][]);
    return [name, rows[0].map((row, r) => row.map((_, c) => rows.reduce((a, g) => a + g[r][c], 0) / rows.length))];
  }));
  assertMatches(partial, expected, 'first batch of 4');
  disposeWeights(partial);
  model.dispose();
});

test('EWC accumulates F ← γ·F + F_task across tasks and anchors at the last task\'s weights', async () => {
  await initBackend();
  const gamma = 0.25;
  const penalty = new EwcPenalty({ ...EWC_DEFAULTS, gamma });
  const dataset = fixtureDataset();
  const first = new FixtureEncoder(fx.weights);
  await penalty.afterTask(taskContext(first, dataset, 0));
  // The second task sees other weights (as after training): shift every weight.
  const shifted = Object.fromEntries(NAMES.map((n) => [n, (fx.weights[n] as number[][]).map((row) => row.map((v) => v * 0.8 + 0.1))]));
  const second = new FixtureEncoder(shifted);
  await penalty.afterTask(taskContext(second, dataset, 1));
  const f1 = await estimateFisher(first, dataset, first.preprocess, NAMES, { batches: 1, batchSize: 7, seed: 0 });
  const f2 = await estimateFisher(second, dataset, second.preprocess, NAMES, { batches: 1, batchSize: 7, seed: 0 });
  const dir = tmp();
  penalty.save(dir);
  const saved = loadSnapshot(dir, 'ewc-fisher')!;
  const anchor = loadSnapshot(dir, 'ewc-anchor')!;
  for (const name of NAMES) {
    const a = values(f1, name);
    const b = values(f2, name);
    const s = values(saved, name);
    s.forEach((v, i) => {
      const e = gamma * a[i] + b[i];
      assert.ok(Math.abs(v - e) <= 1e-5 * Math.max(1, Math.abs(e)), `${name}[${i}]: ${v} vs γ·F1 + F2 = ${e}`);
    });
    assert.deepEqual(values(anchor, name), Array.from(second.namedVariables().get(name)!.dataSync()), `anchor ${name}`);
  }
  [f1, f2, saved, anchor].forEach(disposeWeights);
  penalty.dispose(); first.dispose(); second.dispose();
});

test('EWC options: default λ, and bad λ or γ rejected naming the option', () => {
  const m = createMethod('ewc');
  assert.equal((m.options as { lambda: number }).lambda, EWC_DEFAULT_LAMBDA);
  assert.equal((createMethod('ewc', { lambda: 5 }).options as { lambda: number }).lambda, 5);
  assert.throws(() => createMethod('ewc', { lambda: -1 }), /method ewc: option lambda must be a number in \[0, Infinity\], got -1/);
  assert.throws(() => createMethod('ewc', { lambda: Number.NaN }), /method ewc: option lambda must be a number/);
  assert.throws(() => createMethod('ewc', { lambda: '10' }), /method ewc: option lambda must be a number in \[0, Infinity\], got "10"/);
  assert.throws(() => createMethod('ewc', { gamma: 1.5 }), /method ewc: option gamma must be a number in \[0, 1\], got 1.5/);
  assert.throws(() => createMethod('ewc', { fisherBatchSize: 0 }), /method ewc: option fisherBatchSize must be a positive integer/);
  assert.throws(() => createMethod('ewc', { e_lambda: 3 }), /method ewc: unknown option e_lambda; known: lambda, fisherBatches, fisherBatchSize, gamma/);
});

test('after task 1, learning task 2 with EWC (default options) moves the important weights less than fine-tuning', async () => {
  await initBackend();
  const taskA = { taskIndex: 0, dataset: makeDataset('first', ['cat', 'dog', 'bird'], 24, 7) };
  const taskB = { taskIndex: 1, dataset: makeDataset('second', ['red', 'blue'], 16, 8) };
  const trainer = { steps: 40, batchSize: 4, lr: 0.05, warmup: 2, seed: 5 };
  const model = new LinearDualEncoder(SMALL, 11);
  const method = createMethod('ewc');
  await trainOnTask(model, taskA, { ...trainer, plugins: [method] });
  const dir = tmp();
  await method.saveState!(dir);
  const fisher = loadSnapshot(dir, 'ewc-fisher')!;
  const theta1 = snapshotWeights(model, NAMES);
  const twin = model.clone();

  const withEwc = await trainOnTask(model, taskB, { ...trainer, plugins: [method] });
  const plain = await trainOnTask(twin, taskB, { ...trainer, plugins: [createMethod('finetune')] });
  const last = withEwc.history[withEwc.history.length - 1];
  assert.ok(last.ewc > 0, `the EWC term is active: ${JSON.stringify(last)}`);
  assert.ok(!('ewc' in plain.history[0]));

  // Fisher-weighted displacement Σ F·(θ − θ1)², and mean |Δθ| over the 10% most important weights.
  const measure = (m: LinearDualEncoder) => {
    let weighted = 0;
    const moves: { f: number; d: number }[] = [];
    for (const name of NAMES) {
      const f = values(fisher, name);
      const t1 = values(theta1, name);
      const t2 = Array.from(m.namedVariables().get(name)!.dataSync());
      f.forEach((fi, i) => {
        weighted += fi * (t2[i] - t1[i]) ** 2;
        moves.push({ f: fi, d: Math.abs(t2[i] - t1[i]) });
      });
    }
    moves.sort((a, b) => b.f - a.f);
    const top = moves.slice(0, Math.ceil(moves.length / 10));
    return { weighted, topMove: top.reduce((a, x) => a + x.d, 0) / top.length };
  };
  const e = measure(model);
  const p = measure(twin);
  assert.ok(e.weighted < 0.5 * p.weighted, `Σ F·Δθ²: EWC ${e.weighted} vs fine-tuning ${p.weighted}`);
  assert.ok(e.topMove < 0.75 * p.topMove, `important weights' mean |Δθ|: EWC ${e.topMove} vs fine-tuning ${p.topMove}`);

  disposeWeights(fisher); disposeWeights(theta1);
  method.dispose!(); model.dispose(); twin.dispose();
});
