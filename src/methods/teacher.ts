/**
 * Teachers for distillation (decisions §3): `last` (the model at the start of the task),
 * `initial` (the pretrained model, ZSCL's choice) or `wise:<a>` (the weight average
 * `(1 − a)·initial + a·last`; `wise:0.5` in Table 4a).
 */
import type { DualEncoderLike } from '../model/types';
import { interpolateWeights, disposeWeights, modelWithWeights, type WeightSnapshot } from '../train/weights';

/** `last`, `initial` or `wise:<a>` with a in [0, 1]. */
export type TeacherChoice = 'last' | 'initial' | `wise:${number}`;

/** Checks a teacher choice; returns a problem or undefined. */
export function checkTeacher(v: unknown): string | undefined {
  if (v === 'last' || v === 'initial') return undefined;
  const m = typeof v === 'string' ? /^wise:([0-9.]+)$/.exec(v) : null;
  if (m && Number(m[1]) >= 0 && Number(m[1]) <= 1) return undefined;
  return 'must be last, initial or wise:<a> with a in [0, 1]';
}

/** A frozen copy of `like`'s architecture with the chosen teacher's weights (caller disposes). */
export function makeTeacher(like: DualEncoderLike, choice: TeacherChoice, last: WeightSnapshot, initial: WeightSnapshot): DualEncoderLike {
  if (choice === 'last') return modelWithWeights(like, last);
  if (choice === 'initial') return modelWithWeights(like, initial);
  const a = Number(choice.slice('wise:'.length));
  const mixed = interpolateWeights(initial, last, a);
  try {
    return modelWithWeights(like, mixed);
  } finally {
    disposeWeights(mixed);
  }
}
