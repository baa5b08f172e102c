/** Builds the tokenizer a preset or saved model names, with an error that says where the spec came from. */
import type { Tokenizer } from './types';
import { loadTokenizer } from './tokenizers';
import type { ModelTokenizerSpec } from './presets';

/** `loadTokenizer(spec)` of `src/model/tokenizers`; `context` prefixes errors (and a missing spec is one). */
export function tokenizerFromSpec(spec: ModelTokenizerSpec | undefined, context: string): Tokenizer {
  if (!spec) throw new Error(`${context}: no tokenizer given and the model names no tokenizer spec; pass options.tokenizer`);
  try {
    return loadTokenizer(spec);
  } catch (err) {
    throw new Error(`${context}: ${(err as Error).message} (or pass options.tokenizer)`);
  }
}
