/**
 * The ViT image tower, in OpenAI CLIP naming (`visual.conv1`, `visual.class_embedding`, ...) or
 * open_clip/timm naming (`visual.trunk.*`, `visual.head.proj`). Patch embedding is reshape +
 * matmul with the conv weight `[width, C, p, p]` flattened, the same maths as a stride-p conv, so it
 * trains on every backend (wasm has no Conv2DBackpropFilter).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelLayout, VisionConfig } from './config';
import type { ParamStore } from './params';
import { LayerNorm } from './layer-norm';
import { linear, project } from './ops';
import { TransformerLayer, openaiResblockNames } from './transformer-layer';

/** LayerNorm epsilon of each layout's image tower. */
export const VISION_LN_EPS: Record<ModelLayout, number> = { openai: 1e-5, biomedclip: 1e-6 };

/** The image tower: `[B, H, W, C]` normalised pixels to unnormalised features `[B, embedDim]`. */
export class VisionTower {
  private readonly patchWeight: tf.Variable;
  private readonly patchBias?: tf.Variable;
  private readonly classToken: tf.Variable;
  private readonly positions: tf.Variable;
  private readonly lnPre?: LayerNorm;
  private readonly layers: TransformerLayer[] = [];
  private readonly lnOut: LayerNorm;
  private readonly projection: tf.Variable;

  /** Declares the parameters in `store`. */
  constructor(store: ParamStore, readonly layout: ModelLayout, readonly config: VisionConfig, readonly embedDim: number) {
    const { width, patchSize: p, channels: c } = config;
    const tokens = (config.imageSize / p) ** 2 + 1;
    const eps = VISION_LN_EPS[layout];
    if (layout === 'openai') {
      this.classToken = store.param('visual.class_embedding', [width], 'embedding');
      this.positions = store.param('visual.positional_embedding', [tokens, width], 'embedding');
      this.projection = store.param('visual.proj', [width, embedDim], 'weight');
      this.patchWeight = store.param('visual.conv1.weight', [width, c, p, p], 'weight');
      this.lnPre = new LayerNorm(store, 'visual.ln_pre', width, eps);
      for (let i = 0; i < config.layers; i++) {
        const pre = `visual.transformer.resblocks.${i}`;
        this.layers.push(
          new TransformerLayer(store, {
            norm: 'pre', eps, activation: 'quick_gelu', width, heads: config.heads, mlpDim: config.mlpDim,
            names: openaiResblockNames(pre),
          }),
        );
      }
      this.lnOut = new LayerNorm(store, 'visual.ln_post', width, eps);
    } else {
      this.classToken = store.param('visual.trunk.cls_token', [1, 1, width], 'embedding');
      this.positions = store.param('visual.trunk.pos_embed', [1, tokens, width], 'embedding');
      this.patchWeight = store.param('visual.trunk.patch_embed.proj.weight', [width, c, p, p], 'weight');
      this.patchBias = store.param('visual.trunk.patch_embed.proj.bias', [width], 'bias');
      for (let i = 0; i < config.layers; i++) {
        const pre = `visual.trunk.blocks.${i}`;
        this.layers.push(
          new TransformerLayer(store, {
            norm: 'pre', eps, activation: 'gelu', width, heads: config.heads, mlpDim: config.mlpDim,
            names: {
              ln1: `${pre}.norm1`, ln2: `${pre}.norm2`,
              attention: { kind: 'packed', qkvWeight: `${pre}.attn.qkv.weight`, qkvBias: `${pre}.attn.qkv.bias`, outWeight: `${pre}.attn.proj.weight`, outBias: `${pre}.attn.proj.bias` },
              mlp: { fc1: `${pre}.mlp.fc1`, fc2: `${pre}.mlp.fc2` },
            },
          }),
        );
      }
      this.lnOut = new LayerNorm(store, 'visual.trunk.norm', width, eps);
      this.projection = store.param('visual.head.proj.weight', [embedDim, width], 'weight');
    }
  }

  /** Patch tokens `[B, N, width]`: non-overlapping p×p patches, flattened as (channel, row, col) like the conv weight. */
  patchEmbed(images: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const { patchSize: p, channels: c, width } = this.config;
      const [b, h, w] = images.shape;
      const gh = h / p;
      const gw = w / p;
      const patches = images
        .reshape([b, gh, p, gw, p, c])
        .transpose([0, 1, 3, 5, 2, 4])
        .reshape([b, gh * gw, c * p * p]);
      return linear(patches, this.patchWeight.reshape([width, c * p * p]), this.patchBias) as tf.Tensor3D;
    });
  }

  /**
   * Unnormalised image features `[B, embedDim]`. `attend` adds an extra context term to layer i's
   * attention (see `AttentionExtension.attend`).
   */
  apply(images: tf.Tensor4D, attend?: (layer: number, q: tf.Tensor4D) => tf.Tensor4D | undefined): tf.Tensor2D {
    const { imageSize, channels, width } = this.config;
    const [, h, w, c] = images.shape;
    if (images.rank !== 4 || h !== imageSize || w !== imageSize || c !== channels) {
      throw new Error(`encodeImage: expected images [B, ${imageSize}, ${imageSize}, ${channels}] (NHWC), got [${images.shape}]`);
    }
    return tf.tidy(() => {
      const patches = this.patchEmbed(images);
      const b = patches.shape[0];
      const cls = tf.broadcastTo(this.classToken.reshape([1, 1, width]), [b, 1, width]);
      let x = tf.add(tf.concat([cls, patches], 1), this.positions.reshape([1, -1, width])) as tf.Tensor3D;
      if (this.lnPre) x = this.lnPre.apply(x) as tf.Tensor3D;
      this.layers.forEach((layer, i) => (x = layer.apply(x, undefined, attend && ((q) => attend(i, q)))));
      // openai: ln_post on token 0; timm: final norm on all tokens, then token 0 (the same per token).
      const pooled = this.lnOut.apply(x.slice([0, 0, 0], [b, 1, width]).reshape([b, width])) as tf.Tensor2D;
      return this.layout === 'openai' ? project(pooled, this.projection) : (linear(pooled, this.projection) as tf.Tensor2D);
    });
  }
}
