/**
 * Tokenizers by spec: CLIP byte-level BPE (OpenAI CLIP), BERT WordPiece (BiomedCLIP's
 * PubMedBERT vocabulary) and the project's small `mini` WordPiece vocabulary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Tokenizer } from '../types';
import { ClipBpeTokenizer } from './clip-bpe';
import { bundledTokenizerFile } from './data-path';
import { MINI_CONTEXT_LENGTH, createMiniTokenizer, loadMiniVocab } from './mini';
import { WordPieceTokenizer, readVocabFile } from './wordpiece';

export { ClipBpeTokenizer, CLIP_EOT_ID, CLIP_SOT_ID } from './clip-bpe';
export { WordPieceTokenizer, BERT_SPECIAL_TOKENS, readVocabFile } from './wordpiece';
export { buildMiniVocab, saveVocab, loadMiniVocab, createMiniTokenizer, MINI_VOCAB_DEFAULTS, MINI_CONTEXT_LENGTH } from './mini';
export type { MiniVocabOptions } from './mini';
export { basicClean, whitespaceClean, fixText, openClipClean } from './text-clean';
export { bundledTokenizerFile } from './data-path';

/** Which tokenizer to build. Defaults: contextLength 77 (clip-bpe), 256 (wordpiece), 32 (mini). */
export type TokenizerSpec =
  | {
      /** OpenAI CLIP's byte-level BPE (the `clip-vit-b16` preset's text tower). */
      kind: 'clip-bpe';
      /** BPE merges file; default: the bundled `data/tokenizers/bpe_simple_vocab_16e6.txt.gz`. */
      bpePath?: string;
      /**
       * Tokens per encoded row, `<|startoftext|>` and `<|endoftext|>` included; longer texts are cut with the last id forced
       * to `<|endoftext|>`, shorter ones zero-padded. Integer >= 2; default 77, the length CLIP's position embeddings were trained at.
       */
      contextLength?: number;
    }
  | {
      /** BERT WordPiece over a `vocab.txt` (BiomedCLIP's PubMedBERT text tower, the `biomedclip` preset). */
      kind: 'wordpiece';
      /** `vocab.txt`, one token per line (the bundled PubMedBERT one: `bundledTokenizerFile('vocab.txt')`). */
      vocabPath: string;
      /**
       * Tokens per encoded row, `[CLS]` and `[SEP]` included (so at most `contextLength - 2` word pieces), `[PAD]`-padded.
       * Integer >= 2; default 256, BiomedCLIP's text length.
       */
      contextLength?: number;
      /** `open_clip` (BiomedCLIP's pipeline) or `none` (default, raw text as transformers sees it). */
      clean?: 'open_clip' | 'none';
      /** Lower-case and strip accents (default true). */
      lowercase?: boolean;
    }
  | {
      /** WordPiece over the project's small vocabulary of frequent whole words plus single characters (the `mini` preset). */
      kind: 'mini';
      /** A vocabulary saved by `saveVocab`; give this or `vocab`. */
      vocabPath?: string;
      /** The vocabulary itself (from `buildMiniVocab`); give this or `vocabPath`. */
      vocab?: string[];
      /**
       * Tokens per encoded row, `[CLS]` and `[SEP]` included, `[PAD]`-padded. Integer >= 2; default
       * {@link MINI_CONTEXT_LENGTH} (32), enough for the short mini captions and prompts.
       */
      contextLength?: number;
    };

/** Default `contextLength` per tokenizer kind. */
export const DEFAULT_CONTEXT_LENGTH = {
  /** 77 tokens: the length OpenAI CLIP's text position embeddings were trained at (`clip.tokenize`'s default). */
  'clip-bpe': 77,
  /** 256 tokens: BiomedCLIP's PubMedBERT text length. */
  wordpiece: 256,
  /** {@link MINI_CONTEXT_LENGTH} (32) tokens: the bundled mini models' short captions and prompts. */
  mini: MINI_CONTEXT_LENGTH,
} as const;

const ALLOWED_FIELDS: Record<TokenizerSpec['kind'], readonly string[]> = {
  'clip-bpe': ['kind', 'bpePath', 'contextLength'],
  wordpiece: ['kind', 'vocabPath', 'contextLength', 'clean', 'lowercase'],
  mini: ['kind', 'vocabPath', 'vocab', 'contextLength'],
};

function fail(field: string, message: string): never {
  throw new Error(`tokenizer spec: ${field} ${message}`);
}

/** Checks a spec read from a config file; every problem names the field. Returns it typed. */
export function validateTokenizerSpec(spec: unknown): TokenizerSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) fail('(root)', 'must be an object');
  const s = spec as Record<string, unknown>;
  const kind = s['kind'];
  if (kind !== 'clip-bpe' && kind !== 'wordpiece' && kind !== 'mini') {
    fail('kind', `must be "clip-bpe", "wordpiece" or "mini", got ${JSON.stringify(kind)}`);
  }
  for (const key of Object.keys(s)) {
    if (!ALLOWED_FIELDS[kind].includes(key)) fail(key, `is not an option of kind "${kind}" (allowed: ${ALLOWED_FIELDS[kind].join(', ')})`);
  }
  const cl = s['contextLength'];
  if (cl !== undefined && (typeof cl !== 'number' || !Number.isInteger(cl) || cl < 2)) {
    fail('contextLength', `must be an integer >= 2, got ${JSON.stringify(cl)}`);
  }
  const optionalPath = (field: string): void => {
    const v = s[field];
    if (v !== undefined && (typeof v !== 'string' || v === '')) fail(field, `must be a non-empty path string, got ${JSON.stringify(v)}`);
  };
  if (kind === 'clip-bpe') optionalPath('bpePath');
  if (kind === 'wordpiece') {
    if (s['vocabPath'] === undefined) fail('vocabPath', 'is required for kind "wordpiece"');
    optionalPath('vocabPath');
    if (s['clean'] !== undefined && s['clean'] !== 'open_clip' && s['clean'] !== 'none') {
      fail('clean', `must be "open_clip" or "none", got ${JSON.stringify(s['clean'])}`);
    }
    if (s['lowercase'] !== undefined && typeof s['lowercase'] !== 'boolean') {
      fail('lowercase', `must be true or false, got ${JSON.stringify(s['lowercase'])}`);
    }
  }
  if (kind === 'mini') {
    optionalPath('vocabPath');
    const vocab = s['vocab'];
    if (vocab !== undefined && (!Array.isArray(vocab) || !vocab.every((t) => typeof t === 'string'))) {
      fail('vocab', 'must be an array of strings');
    }
    if ((s['vocabPath'] === undefined) === (vocab === undefined)) fail('vocabPath/vocab', 'give exactly one of the two for kind "mini"');
  }
  return spec as TokenizerSpec;
}

function shortHash(tokens: readonly string[]): string {
  return createHash('sha256').update(tokens.join('\n')).digest('hex').slice(0, 12);
}

/**
 * A vocabulary path as given when it exists; otherwise, for a relative `data/tokenizers/<file>`
 * path (as the `biomedclip` preset names its bundled PubMedBERT vocabulary), the bundled copy,
 * so presets work from any working directory.
 */
export function resolveVocabPath(p: string): string {
  if (fs.existsSync(p) || path.isAbsolute(p)) return p;
  const m = /^(?:\.\/)?data\/tokenizers\/([^/]+)$/.exec(p.replace(/\\/g, '/'));
  return m ? bundledTokenizerFile(m[1]) : p;
}

/**
 * Builds the tokenizer a spec describes (validated first). `kind` of the result names the
 * vocabulary by content hash and the rules, e.g. `wordpiece:1a2b3c4d5e6f:open_clip`.
 */
export function loadTokenizer(spec: TokenizerSpec): Tokenizer {
  const s = validateTokenizerSpec(spec);
  const contextLength = s.contextLength ?? DEFAULT_CONTEXT_LENGTH[s.kind];
  switch (s.kind) {
    case 'clip-bpe':
      return new ClipBpeTokenizer({ bpePath: s.bpePath ?? bundledTokenizerFile('bpe_simple_vocab_16e6.txt.gz'), contextLength });
    case 'wordpiece': {
      const vocab = readVocabFile(resolveVocabPath(s.vocabPath));
      const clean = s.clean ?? 'none';
      const lowercase = s.lowercase ?? true;
      const kind = `wordpiece:${shortHash(vocab)}:${clean}${lowercase ? '' : ':cased'}`;
      return new WordPieceTokenizer({ vocab, kind, contextLength, clean, lowercase });
    }
    case 'mini': {
      const vocab = s.vocab ?? loadMiniVocab(s.vocabPath!);
      return createMiniTokenizer(vocab, contextLength, `mini-word:${shortHash(vocab)}`);
    }
  }
}
