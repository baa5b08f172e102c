/**
 * AdamW exactly as `torch.optim.AdamW` computes it, and ZSCL's warm-up + cosine learning-rate
 * schedule (`src/models/utils.py: cosine_lr`). The optimiser's state is plain arrays so that a
 * checkpoint can store and restore it bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNELS, hasFusedKernels, runFused } from '../backend/fused';

/** Options of {@link AdamW}; defaults are PyTorch's except weight decay (decisions §2: 0). */
export interface AdamWOptions {
  /** β₁. Default 0.9. */
  beta1?: number;
  /** β₂. Default 0.999. */
  beta2?: number;
  /** ε added to the denominator. Default 1e-8. */
  epsilon?: number;
  /** Decoupled weight decay (multiplies θ by `1 − lr·wd` each step). Default 0. */
  weightDecay?: number;
}

/** Serialisable optimiser state: step count and the moments per parameter name. */
export interface AdamWState {
  /** Steps taken so far. */
  step: number;
  /** First moments, by parameter name. */
  m: Record<string, Float32Array>;
  /** Second moments, by parameter name. */
  v: Record<string, Float32Array>;
}

/** AdamW over named variables. */
export class AdamW {
  /** β₁. */
  readonly beta1: number;
  /** β₂. */
  readonly beta2: number;
  /** ε. */
  readonly epsilon: number;
  /** Decoupled weight decay. */
  readonly weightDecay: number;
  private stepCount = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  /** Creates the optimiser; validates every option by name. */
  constructor(options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    for (const [name, value] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(value >= 0 && value < 1)) throw new Error(`AdamW: option ${name} must be in [0, 1), got ${value}`);
    }
    if (!(this.epsilon > 0)) throw new Error(`AdamW: option epsilon must be > 0, got ${this.epsilon}`);
    if (!(this.weightDecay >= 0)) throw new Error(`AdamW: option weightDecay must be >= 0, got ${this.weightDecay}`);
  }

  /** Steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * One update of every variable that has a gradient, in place.
   * @param params the variables by name.
   * @param grads gradients by the same names (not disposed here).
   * @param lr the learning rate for this step.
   */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number): void {
    this.stepCount += 1;
    const t = this.stepCount;
    const bc1 = 1 - Math.pow(this.beta1, t);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(this.beta2, t));
    const stepSize = lr / bc1;
    const fused = hasFusedKernels();
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new Error(`AdamW.apply: gradient for unknown parameter ${name}`);
      const m = this.moment(this.m, name, p);
      const v = this.moment(this.v, name, p);
      if (fused) {
        // The same update as below in one kernel call (PyTorch's order of operations), written in
        // place when the backend can prove nothing else shares the buffers.
        const attrs = { lr, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay, step: t };
        const inPlace = (tf.backend() as { adamwInPlace?: (p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, a: typeof attrs) => boolean }).adamwInPlace;
        if (inPlace?.call(tf.backend(), p, g, m, v, attrs)) continue;
        tf.tidy(() => {
          const [pNew, mNew, vNew] = runFused(FUSED_KERNELS.adamw, { param: p, grad: g, m, v }, attrs) as tf.Tensor[];
          m.assign(mNew);
          v.assign(vNew);
          p.assign(pNew);
        });
        continue;
      }
      tf.tidy(() => {
        const decayed = this.weightDecay > 0 ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const denom = tf.add(tf.div(tf.sqrt(vNew), bc2Sqrt), this.epsilon);
        m.assign(mNew);
        v.assign(vNew);
        p.assign(tf.sub(decayed, tf.mul(tf.div(mNew, denom), stepSize)));
      });
    }
  }

  private moment(store: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable {
    let m = store.get(name);
    if (!m) {
      m = tf.tidy(() => tf.variable(tf.zerosLike(like), false)); // tidy frees the zeros, keeps the variable
      store.set(name, m);
    }
    return m;
  }

  /** A copy of the state as plain arrays (for checkpoints). */
  getState(): AdamWState {
    const dump = (store: Map<string, tf.Variable>) =>
      Object.fromEntries([...store].map(([k, t]) => [k, (t.dataSync() as Float32Array).slice()]));
    return { step: this.stepCount, m: dump(this.m), v: dump(this.v) };
  }

  /** Replaces the state with a saved one; shapes come from `params`. */
  setState(state: AdamWState, params: Map<string, tf.Variable>): void {
    this.disposeMoments();
    this.stepCount = state.step;
    for (const [store, saved, field] of [[this.m, state.m, 'm'], [this.v, state.v, 'v']] as const) {
      for (const [name, values] of Object.entries(saved)) {
        const p = params.get(name);
        if (!p) throw new Error(`AdamW.setState: state field ${field} names unknown parameter ${name}`);
        if (values.length !== p.size) throw new Error(`AdamW.setState: ${field}.${name} has ${values.length} values, parameter has ${p.size}`);
        store.set(name, tf.tidy(() => tf.variable(tf.tensor(values, p.shape, 'float32'), false)));
      }
    }
  }

  private disposeMoments(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }

  /** Frees the moment tensors. */
  dispose(): void {
    this.disposeMoments();
  }
}

/** Options of {@link warmupCosineLr}. */
export interface ScheduleOptions {
  /** Peak learning rate. */
  baseLr: number;
  /** Linear warm-up steps: `lr·(step+1)/warmup`. Default 100 (decisions §2). */
  warmup?: number;
  /** Total steps of the task; the cosine reaches 0 at `steps`. */
  steps: number;
}

/**
 * ZSCL's `cosine_lr`: `baseLr·(step+1)/warmup` during warm-up, then
 * `0.5·(1 + cos(π·(step − warmup)/(steps − warmup)))·baseLr`.
 * @returns the learning rate for a 0-based step.
 */
export function warmupCosineLr(options: ScheduleOptions): (step: number) => number {
  const { baseLr, steps } = options;
  const warmup = options.warmup ?? 100;
  if (!(baseLr >= 0)) throw new Error(`schedule: option baseLr must be >= 0, got ${baseLr}`);
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`schedule: option steps must be a positive integer, got ${steps}`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error(`schedule: option warmup must be a non-negative integer, got ${warmup}`);
  return (step) => {
    if (step < warmup) return (baseLr * (step + 1)) / warmup;
    const e = step - warmup;
    const es = steps - warmup;
    return es > 0 ? 0.5 * (1 + Math.cos((Math.PI * e) / es)) * baseLr : 0;
  };
}
