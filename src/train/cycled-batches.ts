/**
 * Batches for a fixed number of steps from a split of any size: small datasets are cycled,
 * each pass shuffled with a seed derived from (run seed, task, pass number). The batch of step
 * s depends only on those and s, so a resumed run sees the same batches as an uninterrupted one.
 */
import type { Batch, DatasetSplit, ImagePreprocess } from '../data/types';
import { Rng } from '../util/rng';

/** Random access to the batch of any step (sequential access is the cheap path). */
export class CycledBatches {
  /** Batches in one pass over the split (the last one may be smaller). */
  readonly stepsPerPass: number;
  private iterator: AsyncIterator<Batch> | undefined;
  private nextStep = -1;

  /**
   * @param split the training split.
   * @param preprocess pixel preprocessing of the model.
   * @param batchSize images per batch.
   * @param seedLabel seed and a label (e.g. `task2`) that make each pass's shuffle distinct.
   */
  constructor(
    private readonly split: DatasetSplit,
    private readonly preprocess: ImagePreprocess,
    private readonly batchSize: number,
    private readonly seedLabel: { seed: number; label: string },
  ) {
    if (split.size === 0) throw new Error(`training split of ${seedLabel.label} is empty`);
    this.stepsPerPass = Math.ceil(split.size / batchSize);
  }

  private passSeed(pass: number): number {
    return Rng.derive(this.seedLabel.seed, `${this.seedLabel.label}/pass${pass}`).nextUint32();
  }

  private startPass(pass: number): void {
    this.iterator = this.split
      .batches(this.preprocess, { batchSize: this.batchSize, shuffle: true, seed: this.passSeed(pass), dropLast: false })
      [Symbol.asyncIterator]();
  }

  /** The batch of 0-based `step`. */
  async get(step: number): Promise<Batch> {
    const pass = Math.floor(step / this.stepsPerPass);
    const within = step % this.stepsPerPass;
    if (step !== this.nextStep || within === 0) {
      await this.close();
      this.startPass(pass);
      // Resuming mid-pass: skip the batches already used (decoding them is the price of streaming).
      for (let i = 0; i < within; i++) await this.pull(step);
    }
    const batch = await this.pull(step);
    this.nextStep = step + 1;
    return batch;
  }

  private async pull(step: number): Promise<Batch> {
    const r = await this.iterator!.next();
    if (r.done) throw new Error(`${this.seedLabel.label}: the split ended early at step ${step} (size ${this.split.size} changed?)`);
    return r.value;
  }

  /** Ends the current pass. */
  async close(): Promise<void> {
    if (this.iterator?.return) await this.iterator.return();
    this.iterator = undefined;
  }
}
