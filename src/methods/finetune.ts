/** Continual fine-tuning: the task loss alone, no protection against forgetting. */
import type { ContinualMethod } from './types';
import { resolveMethodOptions } from './options';
import { defineMethod } from './spec';

/** Options of {@link finetune}: none. */
export type FinetuneOptions = Record<string, never>;

/** Plain sequential fine-tuning (the "Continual FT" row). */
export function finetune(options: Partial<FinetuneOptions> = {}): ContinualMethod {
  return { name: 'finetune', options: resolveMethodOptions('finetune', {}, options, {}) };
}

/** The `finetune` method: Continual FT of the paper's tables. */
export const finetuneMethod = defineMethod<FinetuneOptions>({
  name: 'finetune',
  label: 'Continual FT',
  summary: 'sequential fine-tuning on the task loss alone (the lower bound)',
  order: 10,
  paperRow: 'Continual FT',
  paperPerDatasetRow: 'ContFT',
  color: '#7f7f7f',
  otherLabels: ['ContFT', 'Fine-tune'],
  referenceSet: 'none',
  relativeCost: 1,
  defaults: {},
  checks: {},
  build: (o) => ({ name: 'finetune', options: o }),
});
