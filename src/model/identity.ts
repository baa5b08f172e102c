/** A short, stable identity of a model's weights, for embedder ids and run configs. */
import { createHash } from 'node:crypto';
import type { DualEncoderLike } from './types';

/** sha256 over every parameter's name and bytes (sorted by name), first 12 hex digits. */
export function modelIdentity(model: DualEncoderLike): string {
  const h = createHash('sha256');
  for (const [name, v] of [...model.namedVariables()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(name);
    const data = v.dataSync() as Float32Array;
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest('hex').slice(0, 12);
}

/** The model's preset name (`mini`, `biomedclip`, ...), or `custom` for a model built without one. */
export function modelPresetName(model: DualEncoderLike): string {
  return (model as { preset?: { name?: string } }).preset?.name ?? 'custom';
}

/** The embedder id a memory records for a model's text tower: `model:<preset>@<identity>`. */
export function modelEmbedderId(model: DualEncoderLike): string {
  return `model:${modelPresetName(model)}@${modelIdentity(model)}`;
}
