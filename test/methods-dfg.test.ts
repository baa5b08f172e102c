import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { distillationTerms, primed } from '../src/methods/primed';
import { dfgGradientTerm } from '../src/methods/dfg';
import { pairSimilarity } from '../src/train/losses';
import { trainOnTask } from '../src/train/trainer';
import { LinearDualEncoder, makeDataset, SMALL } from './fixtures/losses/fakes';
import { Rng } from '../src/util/rng';

// Oracle: torch.autograd on the same linear dual encoder (scripts/make_loss_fixtures.py, dfg_fixture).
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'losses', 'dfg.json'), 'utf8'));
const sizes = { imageSize: 2, channels: 1, vocab: fx.sizes.vocab, context: fx.sizes.context, hidden: fx.sizes.hidden, embed: fx.sizes.embed };

function distillGrads(student: LinearDualEncoder, teacher: LinearDualEncoder) {
  const images = tf.tensor4d(fx.images.flat(), [fx.sizes.batch, 2, 2, 1]);
  const ids = tf.tensor2d(fx.ids, undefined, 'int32') as tf.Tensor2D;
  const scale = student.logitScale();
  const tm = tf.tidy(() => pairSimilarity(teacher.encodeText(ids), teacher.encodeImage(images)));
  const terms = distillationTerms(student, tm, { images, ids }, scale, { ckt: true, cmc: true, alpha: fx.alpha, beta: fx.beta, temperature: 1, direction: 'both' });
  const vars = student.trainableVariables();
  const { value, grads } = tf.variableGrads(() => tf.addN(terms.map((t) => tf.mul(t.compute(), t.weight ?? 1))) as tf.Scalar, vars);
  const names = ['image.w', 'text.embed', 'text.w'];
  const byName = new Map(names.map((n, i) => [n, grads[vars[i].name]]));
  const loss = value.dataSync()[0];
  tf.dispose([images, ids, scale, tm, value]);
  return { loss, grads: byName };
}

test('DFG importance W = (∂(α·CKT + β·CMC)/∂θ)² matches torch.autograd', async () => {
  await initBackend();
  const student = new LinearDualEncoder(sizes, fx.student, fx.logitScale);
  const teacher = new LinearDualEncoder(sizes, fx.teacher, fx.logitScale);
  const { loss, grads } = distillGrads(student, teacher);
  assert.ok(Math.abs(loss - fx.distillLoss) < 1e-5 * Math.max(1, fx.distillLoss), `distill loss ${loss} vs ${fx.distillLoss}`);
  for (const [name, g] of grads) {
    const w = Array.from(tf.tidy(() => tf.square(g)).dataSync());
    const expected: number[] = fx.importance[name].flat();
    const scaleMax = Math.max(...expected.map(Math.abs));
    expected.forEach((e, i) => assert.ok(Math.abs(w[i] - e) <= 1e-4 * scaleMax + 1e-9, `${name}[${i}]: ${w[i]} vs torch ${e}`));
  }
  tf.dispose([...grads.values()]);
  student.dispose(); teacher.dispose();
});

test('DFG gradient 2λW(θ − θ_start) matches central finite differences of L_DFG', async () => {
  await initBackend();
  const student = new LinearDualEncoder(sizes, fx.student, fx.logitScale);
  const teacher = new LinearDualEncoder(sizes, fx.teacher, fx.logitScale);
  const { grads } = distillGrads(student, teacher);
  const rng = new Rng(3);
  const start = new Map([...grads.keys()].map((n) => {
    const v = student.namedVariables().get(n)!;
    return [n, tf.tidy(() => tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', rng.nextUint32()), 0.3)))];
  }));
  const lambda = 0.7;
  const term = dfgGradientTerm(grads, student.namedVariables(), start, lambda);
  const h = 0.25; // L_DFG is quadratic in θ, so central differences are exact up to float32 rounding
  for (const [name, analytic] of term.grads) {
    const a = analytic.dataSync();
    const base = Float32Array.from(student.namedVariables().get(name)!.dataSync());
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number) => {
        const shifted = Float32Array.from(base);
        shifted[i] += delta;
        const params = new Map(student.namedVariables());
        const p = tf.tensor(shifted, student.namedVariables().get(name)!.shape);
        params.set(name, p as tf.Variable);
        const r = dfgGradientTerm(grads, params, start, lambda);
        tf.dispose([p, ...r.grads.values()]);
        return r.value;
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      assert.ok(Math.abs(fd - a[i]) <= 1e-3 * Math.abs(a[i]) + 2e-6, `${name}[${i}]: analytic ${a[i]} vs finite difference ${fd}`);
    }
  }
  tf.dispose([...grads.values(), ...start.values(), ...term.grads.values()]);
  student.dispose(); teacher.dispose();
});

test('in training, L_DFG is 0 at the first step and positive afterwards', async () => {
  await initBackend();
  const rng = new Rng(11);
  const n = 12;
  const referenceSet = {
    captions: Array.from({ length: n }, (_, i) => `caption ${i} about finding ${i % 4}`),
    images: Float32Array.from({ length: n * 4 }, () => rng.normal()),
    shape: [n, 2, 2, 1] as [number, number, number, number],
  };
  const model = new LinearDualEncoder(SMALL, 4);
  const method = primed({ referenceSet, referenceBatchSize: 6 });
  const r = await trainOnTask(model, { taskIndex: 0, dataset: makeDataset('toy', ['a', 'b'], 8, 2) }, { steps: 4, batchSize: 4, lr: 0.05, warmup: 1, plugins: [method] });
  assert.equal(r.history[0].dfg, 0);
  assert.ok(r.history[1].dfg > 0 && r.history[3].dfg > 0, `dfg per step ${r.history.map((h) => h.dfg)}`);
  assert.ok(r.history[0].ckt < 1e-6, 'student = teacher at step 0, so CKT is 0');
  assert.ok(r.history[0].cmc > 0);
  method.dispose!();
  model.dispose();
});
