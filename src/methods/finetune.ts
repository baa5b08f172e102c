/** Continual fine-tuning: the task loss alone, no protection against forgetting. */
import type { ContinualMethod } from './types';
import { resolveMethodOptions } from './options';

/** Options of {@link finetune}: none. */
export type FinetuneOptions = Record<string, never>;

/** Plain sequential fine-tuning (the "Continual FT" row). */
export function finetune(options: Partial<FinetuneOptions> = {}): ContinualMethod {
  return { name: 'finetune', options: resolveMethodOptions('finetune', {}, options, {}) };
}
