/**
 * An OpenAI-compatible `/v1/embeddings` endpoint as the text embedder, e.g. a server running
 * Qwen3-Embedding-8B as in the paper. Batched, retried with exponential backoff on 429, 5xx and
 * network errors, each request under a timeout. The API key is read from an environment
 * variable and never appears in the embedder's id, the manifest, logs or error messages.
 */
import type { Embedder } from '../types';
import { checkVector, l2NormalizeInPlace } from '../vectors';

/** Options of {@link endpointEmbedder}. */
export interface EndpointEmbedderOptions {
  /** Base URL, e.g. `http://127.0.0.1:8000/v1` (`/embeddings` is appended) or the full `/embeddings` URL. */
  url: string;
  /** Model name sent in the request body. */
  model: string;
  /** Output dimension (0: not checked; {@link probeEndpointEmbedder} reads it from one request). */
  dim: number;
  /** Environment variable holding the API key. Default `PRIMED_EMBEDDINGS_API_KEY`; unset means no key is sent. */
  apiKeyEnv?: string;
  /** Texts per request. Default 64. */
  batchSize?: number;
  /** Attempts per request (first try included). Default 5. */
  maxAttempts?: number;
  /** First backoff delay in ms, doubled on each retry. Default 500. */
  baseDelayMs?: number;
  /** Per-request timeout in ms. Default 60,000. */
  timeoutMs?: number;
  /** Extra fields for the request body, e.g. `{ dimensions: 1024 }`. */
  extraBody?: Record<string, unknown>;
  /** Requests in flight at once when embedding many texts (bounded concurrency). Default 1. */
  concurrency?: number;
  /**
   * Matryoshka truncation: keep the first `truncateTo` components of each returned vector and
   * renormalise (Qwen3-Embedding supports this). The embedder's `dim` is then `truncateTo` and
   * `matryoshkaFrom` the model's full dimension (`dim`, which must be given or probed).
   */
  truncateTo?: number;
}

/** Default environment variable of the API key. */
export const DEFAULT_API_KEY_ENV = 'PRIMED_EMBEDDINGS_API_KEY';

/** The URL without credentials, query or fragment: safe to record and print. */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    throw new Error(`endpoint embedder: invalid url ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))}`);
  }
}

/** The request URL (credentials removed: fetch refuses them) and any `user:password` from it. */
function embeddingsUrl(url: string): { target: string; userinfo?: string } {
  const u = new URL(url);
  const userinfo = u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined;
  u.username = '';
  u.password = '';
  if (!/\/embeddings\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/+$/, '') + '/embeddings';
  return { target: u.toString(), userinfo };
}

/** Replaces every occurrence of `secret` in `text`. */
function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('***') : text;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An embedder that calls an OpenAI-compatible embeddings endpoint. */
export function endpointEmbedder(options: EndpointEmbedderOptions): Embedder {
  const batchSize = options.batchSize ?? 64;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const keyEnv = options.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const concurrency = options.concurrency ?? 1;
  for (const [name, v] of [['batchSize', batchSize], ['maxAttempts', maxAttempts], ['timeoutMs', timeoutMs], ['concurrency', concurrency]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`endpoint embedder option "${name}" must be a positive integer, got ${v}`);
  }
  if (!options.model) throw new Error('endpoint embedder option "model" is required');
  const shown = publicUrl(options.url);
  const { target, userinfo } = embeddingsUrl(options.url);
  const id = `endpoint:${shown}#${options.model}`;

  async function request(input: string[]): Promise<Float32Array[]> {
    const key = process.env[keyEnv] || undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    else if (userinfo) headers.authorization = `Basic ${Buffer.from(userinfo).toString('base64')}`;
    const secret = key ?? userinfo?.slice(userinfo.indexOf(':') + 1);
    const body = JSON.stringify({ ...options.extraBody, model: options.model, input });
    let last = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), timeoutMs);
      let retry = false;
      try {
        const res = await fetch(target, { method: 'POST', headers, body, signal: ctl.signal });
        const text = await res.text();
        if (res.ok) return parseResponse(text, input.length);
        last = `HTTP ${res.status}: ${text.slice(0, 200)}`;
        retry = res.status === 429 || res.status >= 500;
      } catch (err) {
        if (err instanceof ResponseError) throw new Error(redact(`endpoint embedder ${shown}: ${err.message}`, secret));
        last = ctl.signal.aborted ? `timed out after ${timeoutMs} ms` : `network error: ${(err as Error).message}`;
        retry = true;
      } finally {
        clearTimeout(timer);
      }
      if (!retry) break;
      if (attempt < maxAttempts) await sleep(baseDelayMs * 2 ** (attempt - 1));
    }
    throw new Error(redact(`endpoint embedder ${shown} (model ${options.model}): ${last}`, secret));
  }

  function parseResponse(text: string, n: number): Float32Array[] {
    let json: { data?: { embedding?: number[]; index?: number }[] };
    try {
      json = JSON.parse(text);
    } catch {
      throw new ResponseError('response is not JSON');
    }
    const data = json.data;
    if (!Array.isArray(data) || data.length !== n) throw new ResponseError(`response field "data" must hold ${n} embeddings`);
    const ordered = data.every((d) => Number.isInteger(d.index)) ? [...data].sort((a, b) => a.index! - b.index!) : data;
    return ordered.map((d, i) => {
      if (!Array.isArray(d.embedding) || (options.dim > 0 && d.embedding.length !== options.dim)) {
        throw new ResponseError(`data[${i}].embedding must be ${options.dim} numbers, got ${Array.isArray(d.embedding) ? d.embedding.length : typeof d.embedding}`);
      }
      try {
        checkVector(d.embedding, d.embedding.length, `data[${i}].embedding`);
      } catch (err) {
        throw new ResponseError(`${(err as Error).message} (text ${i} of the request)`);
      }
      return l2NormalizeInPlace(Float32Array.from(d.embedding));
    });
  }

  const truncateTo = options.truncateTo;
  if (truncateTo !== undefined) {
    if (!Number.isInteger(truncateTo) || truncateTo <= 0) throw new Error(`endpoint embedder option "truncateTo" must be a positive integer, got ${truncateTo}`);
    if (!(options.dim > 0)) throw new Error('endpoint embedder option "truncateTo" needs the model\'s full dimension ("dim")');
    if (truncateTo > options.dim) throw new Error(`endpoint embedder option "truncateTo" (${truncateTo}) exceeds the model's dimension ${options.dim}`);
  }
  const cut = (v: Float32Array) => (truncateTo === undefined || truncateTo === v.length ? v : l2NormalizeInPlace(v.slice(0, truncateTo)));

  return {
    id,
    dim: truncateTo ?? options.dim,
    ...(truncateTo !== undefined && truncateTo < options.dim ? { matryoshkaFrom: options.dim } : {}),
    async embed(texts) {
      // Batches go out `concurrency` at a time; results keep the texts' order.
      const starts: number[] = [];
      for (let s = 0; s < texts.length; s += batchSize) starts.push(s);
      const results: Float32Array[][] = new Array(starts.length);
      let next = 0;
      const worker = async () => {
        while (next < starts.length) {
          const b = next++;
          results[b] = (await request(texts.slice(starts[b], starts[b] + batchSize))).map(cut);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, starts.length) }, worker));
      return results.flat();
    },
  };
}

class ResponseError extends Error {}

/** Makes an endpoint embedder, reading its dimension from one probe request when `dim` is not given. */
export async function probeEndpointEmbedder(options: Omit<EndpointEmbedderOptions, 'dim'> & { dim?: number }): Promise<Embedder> {
  if (options.dim) return endpointEmbedder({ ...options, dim: options.dim });
  const [v] = await endpointEmbedder({ ...options, dim: 0, truncateTo: undefined }).embed(['dimension probe']);
  return endpointEmbedder({ ...options, dim: v.length });
}
