/**
 * Embedder specs as the CLI writes them: `model:<checkpoint-dir>`, `endpoint:<url>#<model>`,
 * `precomputed:<file.npy>`. A memory's manifest id of an endpoint embedder is itself a spec,
 * so queries default to the embedder that built the memory.
 */
import * as path from 'node:path';
import type { Embedder } from '../types';
import { redactSecrets } from '../../util/safe-url';
import { probeEndpointEmbedder } from './endpoint';
import { precomputedEmbedder } from './precomputed';
import { modelTextEmbedder } from './model';
import type { DualEncoderLike } from '../../model/types';

/** Options of {@link embedderFromSpec}. */
export interface EmbedderSpecOptions {
  /** Identity to declare (precomputed vectors; or to match a memory built elsewhere). */
  id?: string;
  /** Environment variable of the endpoint API key. */
  apiKeyEnv?: string;
  /** Endpoint embedders: per-request timeout in ms (default 60,000; with 5 attempts a silent server is given up on after ~5 minutes). */
  timeoutMs?: number;
  /** Endpoint embedders: attempts per request, first try included (default 5). */
  maxAttempts?: number;
  /** Endpoint embedders: requests in flight at once (default 1). */
  concurrency?: number;
  /** Endpoint embedders: Matryoshka truncation to this many leading components, renormalised. */
  truncateTo?: number;
}

/** Builds the embedder a spec names; errors name the spec. */
export async function embedderFromSpec(spec: string, options: EmbedderSpecOptions = {}): Promise<Embedder> {
  // A declared id is recorded in manifests and results: no credentials or keys in it.
  if (options.id !== undefined) options = { ...options, id: redactSecrets(options.id) };
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  if (kind === 'endpoint') {
    const hash = rest.lastIndexOf('#');
    if (hash < 0) throw new Error(`embedder "${spec.replace(/\/\/[^@/]*@/, '//***@')}": expected endpoint:<url>#<model>`);
    const e = await probeEndpointEmbedder({ url: rest.slice(0, hash), model: rest.slice(hash + 1), apiKeyEnv: options.apiKeyEnv, timeoutMs: options.timeoutMs, maxAttempts: options.maxAttempts, concurrency: options.concurrency, truncateTo: options.truncateTo });
    return options.id ? { id: options.id, dim: e.dim, ...(e.matryoshkaFrom ? { matryoshkaFrom: e.matryoshkaFrom } : {}), embed: (t) => e.embed(t) } : e;
  }
  if (kind === 'precomputed') return precomputedEmbedder(rest, { id: options.id });
  if (kind === 'model') {
    // A directory written by saveModel (config.json + model.safetensors), e.g. data/models/mini.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadModel } = require('../../model/checkpoint') as typeof import('../../model/checkpoint');
    const model: DualEncoderLike = await loadModel(rest);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { modelEmbedderId } = require('../../model/identity') as typeof import('../../model/identity');
    const e = modelTextEmbedder(model, { id: options.id ?? modelEmbedderId(model) });
    return { id: e.id, dim: e.dim, spec: `model:${path.resolve(rest)}`, embed: (texts) => e.embed(texts) };
  }
  throw new Error(`embedder "${spec}": expected model:<checkpoint-dir>, endpoint:<url>#<model> or precomputed:<file.npy>`);
}

/** One line on the embedder specs, for command-line usage texts. */
export const EMBEDDER_SPEC_HELP =
  'SPEC: model:<checkpoint-dir> | endpoint:<url>#<model> (key from $PRIMED_EMBEDDINGS_API_KEY or --api-key-env; --embedder-timeout SECONDS per request, default 60, 5 attempts) | precomputed:<file.npy>';

/**
 * The embedder for queries against a memory whose manifest records embedder `memoryEmbedderId`:
 * the one `spec` names when given; else, for a memory embedded by an endpoint, that endpoint
 * (an endpoint embedder's id is itself a spec; the API key comes from the environment, never
 * from the id); else undefined: the memory was embedded by a model or by precomputed vectors,
 * and the caller decides (a model's text tower, or an error asking for a spec).
 */
export async function queryEmbedderFor(memoryEmbedderId: string, spec: string | undefined, options: EmbedderSpecOptions = {}): Promise<Embedder | undefined> {
  if (spec) return embedderFromSpec(spec, options);
  if (memoryEmbedderId.startsWith('endpoint:')) return embedderFromSpec(memoryEmbedderId, options);
  return undefined;
}
