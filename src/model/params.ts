/**
 * Where a model's parameters come from. Blocks ask a {@link ParamStore} for each tensor by its
 * checkpoint name and stored shape; the store's {@link ParamSource} supplies the values (seeded
 * random initialisation, a checkpoint file, or another model), so construction never allocates
 * twice.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';

/** How a parameter is initialised from scratch. */
export type ParamKind = 'weight' | 'bias' | 'norm-weight' | 'norm-bias' | 'embedding' | 'logit-scale';

/** One parameter a block needs. */
export interface ParamSpec {
  /** Checkpoint name, e.g. `visual.trunk.blocks.0.attn.qkv.weight`. */
  name: string;
  /** Stored shape, exactly as in the checkpoint. */
  shape: number[];
  /** Initialisation kind. */
  kind: ParamKind;
}

/** Supplies a float32 tensor of `spec.shape` for one parameter (the store takes ownership). */
export type ParamSource = (spec: ParamSpec) => tf.Tensor;

/** Named parameters, created in order through a {@link ParamSource}. */
export class ParamStore {
  /** Every parameter by checkpoint name, in creation order. */
  readonly variables = new Map<string, tf.Variable>();
  /** The specs, in creation order. */
  readonly specs: ParamSpec[] = [];

  /** @param source supplies the values; `undefined` records specs only (see {@link recordParamSpecs}). */
  constructor(private readonly source?: ParamSource) {}

  /** Creates (or, in record-only mode, records) the parameter `name` of `shape`. */
  param(name: string, shape: number[], kind: ParamKind): tf.Variable {
    if (this.specs.some((s) => s.name === name)) throw new Error(`internal: parameter "${name}" declared twice`);
    const spec = { name, shape, kind };
    this.specs.push(spec);
    if (!this.source) return RECORD_ONLY;
    const value = this.source(spec);
    try {
      if (value.dtype !== 'float32') throw new Error(`parameter "${name}": source gave dtype ${value.dtype}, expected float32`);
      if (!sameShape(value.shape, shape)) {
        throw new Error(`parameter "${name}": source gave shape [${value.shape}], the model expects [${shape}]`);
      }
      // The variable shares the tensor's data (reference counted), so disposing the tensor is free.
      const v = tf.variable(value, true);
      this.variables.set(name, v);
      return v;
    } finally {
      value.dispose();
    }
  }

  /** Frees every variable made so far (used when construction fails half-way). */
  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

// Record-only stores hand out this placeholder; the towers built with it are never run.
const RECORD_ONLY = undefined as unknown as tf.Variable;

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Options of {@link randomInitSource}. */
export interface RandomInitOptions {
  /** Seed; each parameter draws from its own stream derived from this seed and its name. */
  seed: number;
  /** Standard deviation of weights and embeddings (CLIP-like). Default 0.02. */
  std?: number;
  /** Initial `logit_scale` (log space). Default `ln(1/0.07)`. */
  logitScaleInit?: number;
}

/**
 * Seeded CLIP-like initialisation: weights and embeddings ~ N(0, std²), biases 0, LayerNorm
 * gains 1 and shifts 0, `logit_scale = ln(1/0.07)`. Each parameter's stream depends only on the
 * seed and its name, so adding a layer does not change the others.
 */
export function randomInitSource(options: RandomInitOptions): ParamSource {
  const std = options.std ?? 0.02;
  const logitScale = options.logitScaleInit ?? Math.log(1 / 0.07);
  return (spec) => {
    const n = numel(spec.shape);
    switch (spec.kind) {
      case 'bias':
      case 'norm-bias':
        return tf.zeros(spec.shape, 'float32');
      case 'norm-weight':
        return tf.ones(spec.shape, 'float32');
      case 'logit-scale':
        return tf.fill(spec.shape, logitScale, 'float32');
      default: {
        const rng = Rng.derive(options.seed, spec.name);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
        return tf.tensor(data, spec.shape, 'float32');
      }
    }
  };
}
