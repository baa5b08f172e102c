/**
 * Issue 13: model-side checks a user relies on. NaN weights are refused on load naming the file
 * and the tensor (before: an error later, naming no tensor); a task whose accuracy right after
 * training on it is below chance gives a warning (before: lr 1e4 trained to 3.9 % silently).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { createModel } from '../src/model/create';
import { loadModel, saveModel } from '../src/model/checkpoint';
import { belowChanceWarning, createMethodLearner } from '../src/eval/learner';
import { createMethod } from '../src/methods';
import { fakeTokenizer } from './fixtures/model/test-helpers';
import { LinearDualEncoder, makeDataset, SMALL } from './fixtures/losses/fakes';

test('a saved model with a NaN weight is refused on load, naming the file and the tensor', async () => {
  await initBackend();
  const tokenizer = fakeTokenizer(500, 32);
  const model = createModel('mini', { seed: 3, tokenizer });
  const [name, v] = [...model.namedVariables()].find(([, x]) => x.size > 4)!;
  const values = (v.dataSync() as Float32Array).slice();
  values[3] = NaN;
  v.assign(tf.tensor(values, v.shape, 'float32'));
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'primed-nan-')), 'model');
  await saveModel(model, out);
  model.dispose();
  await assert.rejects(loadModel(out, { tokenizer }), new RegExp(`model\\.safetensors: tensor ${name.replace(/[.[\]]/g, '\\$&')} holds NaN at index 3`));
});

test('below-chance accuracy right after training a task is a warning naming the task, chance and learning rate', async () => {
  assert.equal(belowChanceWarning('t', 19.9, 5, 0.1), 'after training on t, its test accuracy is 19.9%, below chance (20.0% for 5 classes): training collapsed; the learning rate (0.1) may be far too high');
  assert.equal(belowChanceWarning('t', 20, 5), undefined);
  await initBackend();
  const run = async (lr: number) => {
    const warnings: string[] = [];
    const learner = createMethodLearner({
      model: new LinearDualEncoder(SMALL, 1),
      tasks: [makeDataset('first', ['a', 'b', 'c', 'd', 'e'], 20, 1)],
      method: createMethod('finetune', {}),
      trainer: { steps: 5, lr, batchSize: 4, seed: 1 },
      onWarning: (m) => warnings.push(m),
    });
    await learner.train(0, { progress: () => {} });
    const ev = await learner.evaluate(0);
    await learner.evaluate(0); // only the evaluation right after training is checked
    return { accuracy: ev.accuracy, warnings };
  };
  const collapsed = await run(1e6);
  assert.ok(collapsed.accuracy < 20, `accuracy ${collapsed.accuracy}`);
  assert.deepEqual(collapsed.warnings, [belowChanceWarning('first', collapsed.accuracy, 5, 1e6)]);
  const sane = await run(1e-3);
  assert.equal(sane.warnings.length, sane.accuracy < 20 ? 1 : 0);
});

test('a model save killed between its swap\'s two renames is recovered when the model is next loaded', async () => {
  await initBackend();
  const tokenizer = fakeTokenizer(500, 32);
  const model = createModel('mini', { seed: 4, tokenizer });
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-model-swap-'));
  const out = path.join(d, 'model');
  await saveModel(model, out);
  fs.renameSync(out, `${out}.old-${2 ** 22 + 99}-1`); // the old model aside, the new one not yet in place
  const again = await loadModel(out, { tokenizer });
  assert.deepEqual(fs.readdirSync(d), ['model']);
  model.dispose();
  again.dispose();
});
