import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend, type BackendName } from '../backend';
import { loadBenchmarkTasks } from '../benchmarks';
import { loadMiniModel } from '../foundation';
import { ZeroShotClassifier } from '../model/zero-shot';
import type { CliCommand } from './command';

/** `primed smoke`: the quickest end-to-end check of an install. */
export const command: CliCommand = {
  name: 'smoke',
  summary: 'load the mini model, encode a batch of bundled images, print the backend and zero-shot predictions',
  usage: 'primed smoke [--task pneumoniamnist] [--n 8] [--backend tensorflow|wasm|cpu]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { task: { type: 'string', default: 'pneumoniamnist' }, n: { type: 'string', default: '8' }, backend: { type: 'string' } },
    });
    const n = Number(values.n);
    if (!(Number.isInteger(n) && n > 0)) throw new Error(`option --n must be a positive integer, got "${values.n}"`);
    const backend = await initBackend({ backend: values.backend as BackendName | undefined });
    process.stdout.write(`backend: ${describeBackend(backend)}\n`);
    const task = loadBenchmarkTasks('mini-mgtil').find((t) => t.name === values.task);
    if (!task) throw new Error(`option --task: no mini-mgtil task "${values.task}"`);
    const model = await loadMiniModel();
    const preprocess = model.preset.preprocess;
    const classifier = new ZeroShotClassifier(model, task.classNames, { templates: task.templates });
    const started = Date.now();
    for await (const batch of task.split('test').batches(preprocess, { batchSize: n })) {
      const { emb, pred, prob } = tf.tidy(() => {
        const x = tf.tensor4d(batch.images, batch.shape);
        const logits = classifier.logits(x);
        return { emb: model.encodeImage(x), pred: logits.argMax(1), prob: tf.softmax(logits).max(1) };
      });
      const [p, q] = [(await pred.data()) as Int32Array, (await prob.data()) as Float32Array];
      process.stdout.write(`encoded ${batch.shape[0]} images of ${task.name} [${batch.shape.join('x')}] into embeddings [${emb.shape.join('x')}] in ${Date.now() - started} ms\n`);
      process.stdout.write(`zero-shot over ${task.classNames.length} classes (prompt "${task.templates[0]}"):\n`);
      for (let i = 0; i < batch.shape[0]; i++) {
        const ok = p[i] === batch.labels[i] ? 'right' : 'wrong';
        process.stdout.write(`  image ${batch.indices[i]}: predicted "${task.classNames[p[i]]}" (p=${q[i].toFixed(2)}), true "${task.classNames[batch.labels[i]]}", ${ok}\n`);
      }
      tf.dispose([emb, pred, prob]);
      break;
    }
    classifier.dispose();
    model.dispose();
    return 0;
  },
};
