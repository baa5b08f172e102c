/**
 * Lifecycles several methods share: the pretrained weights kept from the first task on, the
 * tensors of one step freed after it, and the l2 pull towards the start-of-task weights.
 */
import * as tf from '@tensorflow/tfjs';
import { l2Penalty } from '../train/losses';
import type { LossTerm, TaskContext } from '../train/plugin';
import { disposeWeights, type WeightSnapshot } from '../train/weights';
import { copySnapshot, loadSnapshot, saveSnapshot } from './state';

/**
 * θ_initial, the pretrained weights: the start-of-task weights of the first task, copied once
 * (on resume they come back from the saved state, `initial.safetensors`).
 */
export class InitialWeights {
  private snapshot: WeightSnapshot | undefined;

  /** Keeps a copy of `ctx.startWeights` the first time (call from `beforeTask`); returns the kept weights. */
  capture(ctx: TaskContext): WeightSnapshot {
    this.snapshot ??= copySnapshot(ctx.startWeights);
    return this.snapshot;
  }

  /** The kept weights; an error before {@link InitialWeights.capture}. */
  get weights(): WeightSnapshot {
    if (!this.snapshot) throw new Error('initial weights read before the first task began');
    return this.snapshot;
  }

  /** Writes them to `dir/initial.safetensors` (nothing before the first task). */
  save(dir: string): void {
    saveSnapshot(dir, 'initial', this.snapshot);
  }

  /** Reads what {@link InitialWeights.save} wrote (none: forgotten). */
  load(dir: string): void {
    disposeWeights(this.snapshot);
    this.snapshot = loadSnapshot(dir, 'initial');
  }

  /** Frees them. */
  dispose(): void {
    disposeWeights(this.snapshot);
    this.snapshot = undefined;
  }
}

/**
 * Tensors made for one step's loss terms (teacher logits, a reference batch), freed after the
 * step, or at the next step when a step failed before `afterStep`.
 */
export class StepTensors {
  private held: tf.Tensor[] = [];

  /** Holds `tensors` until {@link StepTensors.release}. */
  hold(...tensors: tf.Tensor[]): void {
    this.held.push(...tensors);
  }

  /** Frees every held tensor. */
  release(): void {
    tf.dispose(this.held);
    this.held = [];
  }
}

/** The l2 term `Σ‖θ − θ_start‖²` (sum reduction, ZSCL's `--l2`) with weight `weight`, named `l2`. */
export function l2Term(ctx: TaskContext, weight: number): LossTerm {
  const params = ctx.model.trainableVariables();
  const anchors = ctx.trainableNames.map((n) => ctx.startWeights.get(n)!);
  return { name: 'l2', weight, compute: () => l2Penalty(params, anchors) };
}
