import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { AdamW, warmupCosineLr } from '../src/train/optimizer';

// Oracle: torch.optim.AdamW + ZSCL's cosine_lr in float64 (scripts/make_loss_fixtures.py).
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'losses', 'adamw.json'), 'utf8'));

test('warm-up + cosine schedule equals ZSCL cosine_lr (1000 steps, 100 warm-up)', () => {
  const s = fx.schedule1000;
  const lr = warmupCosineLr({ baseLr: s.baseLr, warmup: s.warmup, steps: s.steps });
  s.lrs.forEach((e: number, i: number) => assert.ok(Math.abs(lr(i) - e) <= 1e-18, `step ${i}: ${lr(i)} vs ${e}`));
  assert.throws(() => warmupCosineLr({ baseLr: 1, steps: 0 }), /option steps/);
});

test('AdamW with and without weight decay matches torch.optim.AdamW step by step', async () => {
  await initBackend();
  for (const c of fx.cases) {
    const params = new Map<string, tf.Variable>(c.params0.map((p: number[], i: number) => [`p${i}`, tf.variable(tf.tensor(p))]));
    const opt = new AdamW({ weightDecay: c.weightDecay });
    const lr = warmupCosineLr({ baseLr: c.baseLr, warmup: c.warmup, steps: c.steps });
    for (let s = 0; s < c.steps; s++) {
      assert.ok(Math.abs(lr(s) - c.lrs[s]) < 1e-15);
      const grads = new Map<string, tf.Tensor>(c.grads[s].map((g: number[], i: number) => [`p${i}`, tf.tensor(g)]));
      opt.apply(params, grads, lr(s));
      tf.dispose([...grads.values()]);
      c.paramsAfter[s].forEach((expected: number[], i: number) => {
        const got = params.get(`p${i}`)!.dataSync();
        expected.flat().forEach((e: number, j: number) =>
          assert.ok(Math.abs(got[j] - e) <= 2e-6 * Math.max(1, Math.abs(e)), `wd=${c.weightDecay} step ${s} p${i}[${j}]: ${got[j]} vs ${e}`));
      });
    }
    opt.dispose();
    tf.dispose([...params.values()]);
  }
});

test('AdamW state round-trips: a restored optimiser continues exactly like the original', async () => {
  await initBackend();
  const c = fx.cases[1];
  const mk = () => new Map<string, tf.Variable>(c.params0.map((p: number[], i: number) => [`p${i}`, tf.variable(tf.tensor(p))]));
  const grads = (s: number) => new Map<string, tf.Tensor>(c.grads[s].map((g: number[], i: number) => [`p${i}`, tf.tensor(g)]));
  const a = mk();
  const optA = new AdamW({ weightDecay: c.weightDecay });
  for (let s = 0; s < 3; s++) { const g = grads(s); optA.apply(a, g, 0.01); tf.dispose([...g.values()]); }
  const state = JSON.parse(JSON.stringify(optA.getState(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
  for (const f of ['m', 'v'] as const) for (const k of Object.keys(state[f])) state[f][k] = Float32Array.from(state[f][k]);
  const b = new Map<string, tf.Variable>([...a].map(([k, v]) => [k, tf.variable(v.clone())]));
  const optB = new AdamW({ weightDecay: c.weightDecay });
  optB.setState(state, b);
  assert.equal(optB.step, 3);
  for (let s = 3; s < 6; s++) {
    const g = grads(s); optA.apply(a, g, 0.01); optB.apply(b, g, 0.01); tf.dispose([...g.values()]);
  }
  for (const k of a.keys()) assert.deepEqual(Array.from(b.get(k)!.dataSync()), Array.from(a.get(k)!.dataSync()));
  assert.throws(() => new AdamW({ beta1: 1 }), /option beta1/);
  optA.dispose(); optB.dispose(); tf.dispose([...a.values(), ...b.values()]);
});
