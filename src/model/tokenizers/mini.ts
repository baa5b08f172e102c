/**
 * The `mini` model's vocabulary: a small WordPiece vocabulary built from the project's own
 * prompts and reports. It holds the special tokens, the most frequent whole words, and every
 * character seen both as a word start and as a `##` continuation, so an unseen word splits
 * into known pieces instead of becoming `[UNK]`. Tokenizing uses {@link WordPieceTokenizer}.
 */
import { writeFileAtomic } from '../../util/fs';
import type { ProgressSink } from '../../util/progress';
import { silentProgress } from '../../util/progress';
import { basicTokenize } from './bert-basic';
import { BERT_SPECIAL_TOKENS, WordPieceTokenizer, readVocabFile } from './wordpiece';

/** Options of {@link buildMiniVocab}. */
export interface MiniVocabOptions {
  /** Largest vocabulary size, specials included (default 4096). */
  vocabSize?: number;
  /** A whole word needs at least this many occurrences (default 2). Characters need one. */
  minCount?: number;
}

/** Defaults of {@link MiniVocabOptions}. */
export const MINI_VOCAB_DEFAULTS: Required<MiniVocabOptions> = { vocabSize: 4096, minCount: 2 };

/** Default row length of the mini tokenizer. */
export const MINI_CONTEXT_LENGTH = 32;

function byCountThenText([a, ca]: [string, number], [b, cb]: [string, number]): number {
  if (ca !== cb) return cb - ca;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds the mini vocabulary from `texts` (lower-cased BERT words): `[PAD]=0 [UNK]=1 [CLS]=2
 * [SEP]=3 [MASK]=4`, then whole words by frequency, then each character and `##` + character.
 * Characters are kept first when space is short (most frequent first); ties break by code
 * unit order, so the same texts always give the same list.
 */
export function buildMiniVocab(texts: readonly string[], options: MiniVocabOptions = {}, progress: ProgressSink = silentProgress): string[] {
  const vocabSize = options.vocabSize ?? MINI_VOCAB_DEFAULTS.vocabSize;
  const minCount = options.minCount ?? MINI_VOCAB_DEFAULTS.minCount;
  if (!Number.isInteger(vocabSize) || vocabSize < BERT_SPECIAL_TOKENS.length) {
    throw new Error(`buildMiniVocab: option vocabSize must be an integer >= ${BERT_SPECIAL_TOKENS.length}, got ${vocabSize}`);
  }
  if (!Number.isInteger(minCount) || minCount < 1) {
    throw new Error(`buildMiniVocab: option minCount must be an integer >= 1, got ${minCount}`);
  }
  const wordCounts = new Map<string, number>();
  const charCounts = new Map<string, number>();
  texts.forEach((text, i) => {
    if (typeof text !== 'string') throw new Error(`buildMiniVocab: texts[${i}] is not a string`);
    for (const word of basicTokenize(text)) {
      wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
      for (const ch of word) charCounts.set(ch, (charCounts.get(ch) ?? 0) + 1);
    }
    if ((i + 1) % 1000 === 0 || i + 1 === texts.length) progress({ label: 'mini vocab', done: i + 1, total: texts.length });
  });
  const specials = new Set<string>(BERT_SPECIAL_TOKENS);
  const charRoom = Math.floor((vocabSize - BERT_SPECIAL_TOKENS.length) / 2);
  const chars = [...charCounts].sort(byCountThenText).slice(0, charRoom).map(([c]) => c);
  const charPieces = chars.flatMap((c) => [c, '##' + c]).filter((t) => !specials.has(t));
  const wordRoom = vocabSize - BERT_SPECIAL_TOKENS.length - charPieces.length;
  const charSet = new Set(chars);
  const words = [...wordCounts]
    .filter(([w, n]) => n >= minCount && !charSet.has(w) && !specials.has(w))
    .sort(byCountThenText)
    .slice(0, wordRoom)
    .map(([w]) => w);
  return [...BERT_SPECIAL_TOKENS, ...words, ...charPieces];
}

function checkMiniVocab(vocab: readonly string[], where: string): void {
  BERT_SPECIAL_TOKENS.forEach((tok, id) => {
    if (vocab[id] !== tok) throw new Error(`${where}: id ${id} must be ${tok}, found ${JSON.stringify(vocab[id])}`);
  });
  const seen = new Set<string>();
  vocab.forEach((tok, id) => {
    if (tok === '' || /[\r\n]/.test(tok)) throw new Error(`${where}: token ${id} is empty or contains a line break`);
    if (seen.has(tok)) throw new Error(`${where}: token ${JSON.stringify(tok)} appears twice (again at id ${id})`);
    seen.add(tok);
  });
}

/** Writes `vocab` to `file`, one token per line, atomically. */
export function saveVocab(file: string, vocab: readonly string[]): void {
  checkMiniVocab(vocab, file);
  writeFileAtomic(file, vocab.join('\n') + '\n');
}

/** Reads a vocabulary written by {@link saveVocab}, checking the fixed special ids. */
export function loadMiniVocab(file: string): string[] {
  const vocab = readVocabFile(file);
  checkMiniVocab(vocab, file);
  return vocab;
}

/** The mini tokenizer: WordPiece (lower-cased, no ftfy cleaning) over a mini vocabulary. */
export function createMiniTokenizer(vocab: readonly string[], contextLength = MINI_CONTEXT_LENGTH, kind = 'mini-word'): WordPieceTokenizer {
  checkMiniVocab(vocab, kind);
  return new WordPieceTokenizer({ vocab, kind, contextLength, clean: 'none', lowercase: true });
}
