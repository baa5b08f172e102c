/**
 * The uniform reference set of `PRIMED_uni` (paper §4.1): the same total size, drawn evenly
 * over a fixed list of 30 medical domain keywords, one query per keyword, no siphon. The
 * paper's list is unpublished; {@link UNIFORM_KEYWORDS} is ours.
 */
import type { BatchRetriever, ReferenceSet } from './siphon';
import { unionReferences } from './siphon';

/** Our 30 medical domain keywords (the paper's list is not published). */
export const UNIFORM_KEYWORDS: readonly string[] = [
  'chest X-ray', 'CT', 'MRI', 'ultrasound', 'fundus', 'optical coherence tomography', 'dermoscopy', 'histopathology',
  'cytology', 'blood cell microscopy', 'endoscopy', 'colonoscopy', 'mammography', 'dental radiograph', 'PET',
  'nuclear medicine', 'angiography', 'echocardiography', 'musculoskeletal X-ray', 'brain MRI', 'abdominal CT',
  'surgical video', 'ophthalmology slit lamp', 'electron microscopy', 'immunohistochemistry', 'fluorescence microscopy',
  'clinical photograph', 'thermal imaging', 'capsule endoscopy', 'laparoscopy',
];

/** A reference set of `total` items spread evenly over `keywords` (round robin over their ranked results). */
export async function uniformReferenceSet(retrieve: BatchRetriever, total: number, keywords: readonly string[] = UNIFORM_KEYWORDS): Promise<ReferenceSet> {
  if (!Number.isInteger(total) || total < 0) throw new Error(`uniform option "total" must be a non-negative integer, got ${total}`);
  if (keywords.length === 0) throw new Error('uniform option "keywords" is empty');
  const per = Math.ceil(total / keywords.length);
  const results = await retrieve([...keywords], Math.max(per * 2, 1)); // spare candidates replace rows shared between keywords
  // Round robin: rank 0 of every keyword, then rank 1 ..., so the set stays even when trimmed.
  const depth = Math.max(0, ...results.map((r) => r.length));
  const rounds = Array.from({ length: depth }, (_, rank) => ({
    bag: 'uniform' as const,
    queries: [...keywords],
    results: results.map((r) => (r[rank] ? [r[rank]] : [])),
    quota: 1,
  }));
  const items = unionReferences(rounds).slice(0, total);
  return { items, bags: { uniform: [...keywords] } };
}
