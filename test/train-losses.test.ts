import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import {
  labelSmoothedCrossEntropy, cktLoss, cmcLoss, pairSimilarity, zsclDistillation, lwfDistillation,
  l2Penalty, ewcPenalty, clipLogits,
} from '../src/train/losses';

// Oracle: PyTorch 1.13 in float64, scripts/make_loss_fixtures.py.
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'losses', 'losses.json'), 'utf8'));

function close(actual: number, expected: number, what: string, rel = 2e-5): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs torch ${expected}`);
}
const scalar = (t: tf.Scalar) => { const v = t.dataSync()[0]; t.dispose(); return v; };

test('label-smoothed cross-entropy matches torch F.cross_entropy(label_smoothing=ε)', async () => {
  await initBackend();
  const logits = tf.tensor2d(fx.ce.logits);
  for (const eps of ['0.0', '0.1', '0.2']) {
    close(scalar(labelSmoothedCrossEntropy(logits, fx.ce.labels, Number(eps))), fx.ce.loss[eps], `CE eps=${eps}`);
  }
  assert.throws(() => labelSmoothedCrossEntropy(logits, fx.ce.labels, 1), /epsilon/);
  assert.throws(() => labelSmoothedCrossEntropy(logits, [0, 1], 0.2), /2 labels for 7 rows/);
  logits.dispose();
});

test('CKT (both directions, rows only, columns only, T=1 and T=2) and CMC match torch', async () => {
  await initBackend();
  const c = fx.contrastive;
  const before = tf.memory().numTensors;
  const sm = pairSimilarity(tf.tensor2d(c.studentText), tf.tensor2d(c.studentImage));
  const tm = pairSimilarity(tf.tensor2d(c.teacherText), tf.tensor2d(c.teacherImage));
  for (const T of ['1.0', '2.0']) {
    const temperature = Number(T);
    close(scalar(cktLoss(sm, tm, c.logitScale, { temperature })), c.ckt[T].both, `CKT both T=${T}`);
    close(scalar(cktLoss(sm, tm, c.logitScale, { temperature, direction: 'text' })), c.ckt[T].rows, `CKT rows T=${T}`);
    close(scalar(cktLoss(sm, tm, c.logitScale, { temperature, direction: 'image' })), c.ckt[T].cols, `CKT cols T=${T}`);
  }
  close(scalar(cmcLoss(sm, c.logitScale)), c.cmc, 'CMC');
  // A student equal to its teacher has zero CKT.
  close(scalar(cktLoss(tm, tm, c.logitScale)), 0, 'CKT(teacher, teacher)');
  assert.throws(() => cktLoss(sm, tm, 1, { direction: 'sideways' as never }), /direction/);
  sm.dispose(); tm.dispose();
  assert.equal(tf.memory().numTensors, before + 4, 'only the four input tensors stay alive');
  tf.disposeVariables();
});

test('ZSCL and LwF distillation match torch', async () => {
  await initBackend();
  const t = tf.tensor2d(fx.distill.teacher);
  const s = tf.tensor2d(fx.distill.student);
  close(scalar(zsclDistillation(t, s, 2)), fx.distill.zscl, 'ZSCL distillation');
  close(scalar(lwfDistillation(t, s, 2)), fx.distill.lwf, 'LwF distillation');
  t.dispose(); s.dispose();
});

test('l2 (sum reduction) and EWC penalties match torch', async () => {
  await initBackend();
  const p = fx.penalty;
  const theta = p.theta.map((x: number[]) => tf.tensor(x));
  const start = p.start.map((x: number[]) => tf.tensor(x));
  const fisher = p.fisher.map((x: number[]) => tf.tensor(x));
  close(scalar(l2Penalty(theta, start)), p.l2, 'l2');
  close(scalar(ewcPenalty(theta, start, fisher)), p.ewc, 'EWC');
  assert.throws(() => l2Penalty(theta, start.slice(1)), /2 parameters but 1 anchors/);
  tf.dispose([...theta, ...start, ...fisher]);
});

test('CLIP logits are logitScale times the cosine matrix (hand-worked case)', async () => {
  await initBackend();
  const img = tf.tensor2d([[1, 0], [0.6, 0.8]]);
  const txt = tf.tensor2d([[0, 1], [1, 0], [0.8, 0.6]]);
  const z = clipLogits(img, txt, 100);
  const got = Array.from(z.dataSync());
  [0, 100, 80, 80, 60, 96].forEach((e, i) => close(got[i], e, `logit ${i}`));
  tf.dispose([img, txt, z]);
});
