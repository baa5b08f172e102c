/** Finds the pixel preprocessing of a model: given explicitly, or carried by the model. */
import type { ImagePreprocess } from '../data/types';
import type { DualEncoderLike } from '../model/types';

/**
 * `given`, else the model's `preprocess` property, else its preset's (`model.preset.preprocess`,
 * as `DualEncoder` has). Throws naming `who`'s `preprocess` option when none is found.
 */
export function modelPreprocess(model: DualEncoderLike, given: ImagePreprocess | undefined, who: string): ImagePreprocess {
  const m = model as { preprocess?: ImagePreprocess; preset?: { preprocess?: ImagePreprocess } };
  const p = given ?? m.preprocess ?? m.preset?.preprocess;
  if (!p) throw new Error(`${who}: option preprocess is required: the model does not provide one`);
  return p;
}
