/** A deterministic toy text embedder for the memory tests: captions cluster by their first word. */
import type { Embedder } from '../../src/memory/types';
import { Rng } from '../../src/util/rng';

/** Dimension of the toy vectors. */
export const TOY_DIM = 32;

/** Deterministic caption vectors around topics (the topic is the caption's first word). */
export function vectorOf(caption: string): Float32Array {
  const topic = new Rng(caption.split(' ')[0]);
  const own = new Rng(caption);
  const v = Float32Array.from({ length: TOY_DIM }, () => topic.normal() + 0.7 * own.normal());
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** The toy embedder (`test:toy`); it fails after `failAfterCalls` calls, and truncates to `dim`. */
export function toyEmbedder(failAfterCalls = Infinity, dim = TOY_DIM): Embedder & { calls: number } {
  const e = {
    id: 'test:toy',
    dim,
    calls: 0,
    async embed(texts: string[]) {
      if (++e.calls > failAfterCalls) throw new Error('embedder went away');
      return texts.map((t) => (dim === TOY_DIM ? vectorOf(t) : vectorOf(t).slice(0, dim)));
    },
  };
  return e;
}
