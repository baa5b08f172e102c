/**
 * Why ZSCL's distillation does little at mini scale (issue 17): the entropy of its soft targets
 * `softmax(logitScale·cos(teacher image, teacher text)/T)` for the bundled mini model, relative to
 * the uniform distribution (1.0 = uniform, no information), for the text sets ZSCL could
 * distil over: a batch's own 32 captions (what primed did before issue 17), the captions of a
 * 300-pair reference set (the mini uniform set's size), and the 7,410 text-only ROCO captions
 * (the analogue of ZSCL's unmatched Conceptual Captions sentences). Also the same for CLIP-scale
 * sharpness (logit scale 100) to show what the scale alone does, and the top-1 target mass.
 *
 *   PRIMED_THREADS=1 npx tsx scripts/zscl-target-entropy.ts [--memory-source in-source|out-of-source] [--json OUT]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { buildMiniCorpus } from '../src/data/mini-corpus';
import { preprocessImage } from '../src/data/image';
import { loadMiniModel, MINI_RECIPE } from '../src/foundation';
import { outOfSourceCorpus } from '../src/memory/out-of-source';
import { modelPreprocess } from '../src/train/preprocess';
import { tokenize } from '../src/train/task-loss';
import { Rng } from '../src/util/rng';
import { writeJsonAtomic } from '../src/util/fs';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const source = args.includes('--memory-source') ? args[args.indexOf('--memory-source') + 1] : 'in-source';
  const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
  await initBackend();
  const model = await loadMiniModel();
  const pre = modelPreprocess(model, undefined, 'zscl-target-entropy');
  const corpus = source === 'out-of-source' ? outOfSourceCorpus() : buildMiniCorpus({ seed: MINI_RECIPE.seed });
  const pairs = corpus.filter((e) => e.image);
  const roco = corpus.filter((e) => !e.image).map((e) => e.caption);
  const rng = new Rng(7);
  const ref = rng.sampleIndices(pairs.length, Math.min(300, pairs.length)).map((i) => pairs[i]);
  const embedText = (texts: string[]) => {
    const parts: tf.Tensor2D[] = [];
    for (let i = 0; i < texts.length; i += 256) parts.push(tf.tidy(() => model.encodeText(tokenize(model, texts.slice(i, i + 256)))));
    const out = tf.concat(parts, 0);
    tf.dispose(parts);
    return out;
  };
  const batch = ref.slice(0, 32);
  const px = new Float32Array(32 * pre.size * pre.size * pre.channels);
  batch.forEach((e, j) => px.set(preprocessImage(e.image!, pre), j * pre.size * pre.size * pre.channels));
  const images = tf.tensor4d(px, [32, pre.size, pre.size, pre.channels]);
  const img = model.encodeImage(images);
  const scale = model.logitScale().dataSync()[0];
  const sets: Record<string, string[]> = { 'batch captions (32)': batch.map((e) => e.caption), 'reference-set captions (300)': ref.map((e) => e.caption), [`ROCO captions (${roco.length})`]: roco };
  const rows: Record<string, unknown>[] = [];
  for (const [name, texts] of Object.entries(sets)) {
    const txt = embedText(texts);
    for (const [label, s] of [['model', scale], ['CLIP-scale 100', 100]] as const) {
      for (const T of [1, 2]) {
        const [h, top1, cosSpread] = tf.tidy(() => {
          const cos = tf.matMul(img, txt, false, true);
          const p = tf.softmax(tf.div(tf.mul(cos, s), T));
          const ent = tf.neg(tf.sum(tf.mul(p, tf.log(tf.add(p, 1e-12))), 1));
          const spread = tf.sub(tf.max(cos, 1), tf.min(cos, 1));
          return [tf.mean(ent).dataSync()[0] / Math.log(texts.length), tf.mean(tf.max(p, 1)).dataSync()[0], tf.mean(spread).dataSync()[0]];
        });
        rows.push({ source, texts: name, scale: label, logitScale: s, T, entropyOverLogN: h, top1Mass: top1, uniformTop1: 1 / texts.length, cosineSpread: cosSpread });
      }
    }
    txt.dispose();
  }
  tf.dispose([images, img]);
  model.dispose();
  for (const r of rows) {
    process.stdout.write(`${r.texts} | ${r.scale} (${(r.logitScale as number).toFixed(1)}) | T=${r.T} | H/logN ${(r.entropyOverLogN as number).toFixed(3)} | top1 ${(r.top1Mass as number).toFixed(3)} (uniform ${(r.uniformTop1 as number).toFixed(4)}) | cos max−min ${(r.cosineSpread as number).toFixed(3)}\n`);
  }
  if (jsonOut) writeJsonAtomic(jsonOut, { generatedBy: 'scripts/zscl-target-entropy.ts', rows });
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
