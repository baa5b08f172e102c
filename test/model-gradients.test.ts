import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { createModel } from '../src/model/create';
import type { ModelConfigInput } from '../src/model/config';
import type { DualEncoder } from '../src/model/dual-encoder';
import { Rng } from '../src/util/rng';
import { fakeTokenizer } from './fixtures/model/test-helpers';

// Analytic gradients (tf.variableGrads through every block) against central finite differences.
const TINY: Record<'openai' | 'biomedclip', ModelConfigInput> = {
  openai: {
    layout: 'openai', embedDim: 8, initStd: 0.2,
    vision: { imageSize: 8, patchSize: 4, width: 8, layers: 1, heads: 2, mlpDim: 16 },
    text: { vocabSize: 20, contextLength: 6, width: 8, layers: 1, heads: 2, mlpDim: 16 },
  },
  biomedclip: {
    layout: 'biomedclip', embedDim: 8, initStd: 0.2,
    vision: { imageSize: 8, patchSize: 4, width: 8, layers: 1, heads: 2, mlpDim: 16 },
    text: { vocabSize: 20, contextLength: 6, maxPositions: 8, width: 8, layers: 1, heads: 2, mlpDim: 16, projHidden: 8 },
  },
};

// One parameter of each kind of layer, per layout.
const CHECKED: Record<'openai' | 'biomedclip', string[]> = {
  openai: [
    'visual.conv1.weight', 'visual.class_embedding', 'visual.positional_embedding', 'visual.ln_pre.weight',
    'visual.transformer.resblocks.0.attn.in_proj_weight', 'visual.transformer.resblocks.0.attn.out_proj.bias',
    'visual.transformer.resblocks.0.ln_2.bias', 'visual.transformer.resblocks.0.mlp.c_fc.weight', 'visual.ln_post.weight', 'visual.proj',
    'token_embedding.weight', 'positional_embedding', 'transformer.resblocks.0.attn.in_proj_bias',
    'transformer.resblocks.0.mlp.c_proj.weight', 'ln_final.bias', 'text_projection',
  ],
  biomedclip: [
    'visual.trunk.patch_embed.proj.weight', 'visual.trunk.patch_embed.proj.bias', 'visual.trunk.cls_token', 'visual.trunk.pos_embed',
    'visual.trunk.blocks.0.norm1.weight', 'visual.trunk.blocks.0.attn.qkv.weight', 'visual.trunk.blocks.0.attn.proj.weight',
    'visual.trunk.blocks.0.mlp.fc1.bias', 'visual.trunk.blocks.0.mlp.fc2.weight', 'visual.trunk.norm.bias', 'visual.head.proj.weight',
    'text.transformer.embeddings.word_embeddings.weight', 'text.transformer.embeddings.position_embeddings.weight',
    'text.transformer.embeddings.token_type_embeddings.weight', 'text.transformer.embeddings.LayerNorm.weight',
    'text.transformer.encoder.layer.0.attention.self.query.weight', 'text.transformer.encoder.layer.0.attention.self.value.bias',
    'text.transformer.encoder.layer.0.attention.output.LayerNorm.weight', 'text.transformer.encoder.layer.0.intermediate.dense.weight',
    'text.transformer.encoder.layer.0.output.dense.bias', 'text.proj.0.weight', 'text.proj.2.weight',
  ],
};

function inputs(layout: 'openai' | 'biomedclip') {
  const rng = new Rng(11);
  const images = tf.tensor4d(Array.from({ length: 2 * 8 * 8 * 3 }, () => rng.normal()), [2, 8, 8, 3]);
  // Row 1 is padded (biomedclip) or ends early (openai), so masks and pooling matter.
  const ids = layout === 'openai'
    ? tf.tensor2d([[18, 3, 7, 11, 4, 19], [18, 9, 19, 0, 0, 0]], undefined, 'int32')
    : tf.tensor2d([[2, 7, 11, 4, 9, 3], [2, 13, 3, 0, 0, 0]], undefined, 'int32');
  const r1 = tf.tensor2d(Array.from({ length: 16 }, () => rng.normal()), [2, 8]);
  const r2 = tf.tensor2d(Array.from({ length: 16 }, () => rng.normal()), [2, 8]);
  return { images, ids, r1, r2 };
}

/** A scalar using both towers: projections onto fixed directions plus a squared similarity term. */
function lossOf(model: DualEncoder, x: ReturnType<typeof inputs>): tf.Scalar {
  return tf.tidy(() => {
    const img = model.encodeImage(x.images as tf.Tensor4D);
    const txt = model.encodeText(x.ids as tf.Tensor2D);
    const sim = tf.matMul(img, txt, false, true);
    return tf.addN([tf.sum(tf.mul(img, x.r1)), tf.sum(tf.mul(txt, x.r2)), tf.mul(tf.sum(tf.square(sim)), 2)]) as tf.Scalar;
  });
}

for (const layout of ['openai', 'biomedclip'] as const) {
  test(`${layout}: gradients of every kind of layer match central finite differences`, async () => {
    await initBackend();
    const model = createModel(TINY[layout], { seed: 5, tokenizer: fakeTokenizer(20, 6, layout) });
    const x = inputs(layout);
    const vars = model.namedVariables();
    const checked = CHECKED[layout].map((n) => vars.get(n)!);
    assert.ok(checked.every(Boolean), 'every checked parameter exists');
    const { grads } = tf.variableGrads(() => lossOf(model, x), checked);
    const eps = 1e-2;
    for (const name of CHECKED[layout]) {
      const v = vars.get(name)!;
      const g = grads[v.name].dataSync();
      // The element with the largest gradient, so a wrong or missing gradient cannot pass as 0 ≈ 0.
      let idx = 0;
      for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[idx])) idx = i;
      assert.ok(Math.abs(g[idx]) > 1e-4, `${name}: gradient is ~0 (${g[idx]})`);
      const base = v.dataSync().slice();
      const at = (delta: number) => {
        const p = base.slice();
        p[idx] += delta;
        tf.tidy(() => v.assign(tf.tensor(p, v.shape)));
        const l = lossOf(model, x);
        const val = l.dataSync()[0];
        l.dispose();
        return val;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
      const err = Math.abs(numeric - g[idx]);
      assert.ok(err <= 2e-3 + 0.03 * Math.abs(numeric), `${name}[${idx}]: analytic ${g[idx]} vs numeric ${numeric}`);
    }
    tf.dispose(Object.values(grads));
    tf.dispose(Object.values(x));
    model.dispose();
  });
}
