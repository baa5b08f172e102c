/**
 * BERT WordPiece tokenizer, id for id with transformers v4.30's slow `BertTokenizer`
 * (`BasicTokenizer` + `WordpieceTokenizer`, literal special tokens kept whole) and, with
 * `clean: 'open_clip'`, with open_clip's `HFTokenizer(clean='whitespace')` as BiomedCLIP uses it.
 */
import * as fs from 'node:fs';
import type { Tokenizer } from '../types';
import { basicTokenize } from './bert-basic';
import { openClipClean } from './text-clean';

/** The special tokens BERT vocabularies carry, in the order the mini vocabulary numbers them. */
export const BERT_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Options of {@link WordPieceTokenizer}. */
export interface WordPieceOptions {
  /** Tokens by id (one per line of a `vocab.txt`). Must contain `[PAD] [UNK] [CLS] [SEP]`. */
  vocab: readonly string[];
  /** `Tokenizer.kind`, e.g. `wordpiece:pubmedbert` or `mini-word`. */
  kind: string;
  /** Row length of `encode` (BiomedCLIP: 256). */
  contextLength: number;
  /** `open_clip`: ftfy + HTML unescape + whitespace clean first (BiomedCLIP); `none` (default): raw text. */
  clean?: 'open_clip' | 'none';
  /** Lower-case and strip accents (default true, as for uncased vocabularies). */
  lowercase?: boolean;
  /** Longer words become `[UNK]` (transformers: 100). */
  maxInputCharsPerWord?: number;
}

/** Reads a `vocab.txt` (one token per line, id = line number); errors name the file. */
export function readVocabFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read vocabulary (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // transformers' load_vocab strips the line end only (`rstrip("\n")`); tolerate CRLF files too.
  const vocab = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (vocab.length === 0) throw new Error(`${file}: vocabulary is empty`);
  return vocab;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** WordPiece tokenizer over a BERT-style vocabulary. */
export class WordPieceTokenizer implements Tokenizer {
  /** @inheritdoc */
  readonly kind: string;
  /** @inheritdoc */
  readonly contextLength: number;
  /** @inheritdoc */
  readonly vocabSize: number;
  /** Id of `[PAD]` (rows are padded with it). */
  readonly padId: number;
  /** Id of `[UNK]`. */
  readonly unkId: number;
  /** Id of `[CLS]` (first in every row). */
  readonly clsId: number;
  /** Id of `[SEP]` (after the last piece). */
  readonly sepId: number;
  private readonly vocab: readonly string[];
  private readonly ids = new Map<string, number>();
  private readonly clean: 'open_clip' | 'none';
  private readonly lowercase: boolean;
  private readonly maxInputCharsPerWord: number;
  private readonly specialSplit: RegExp;
  private readonly specials: Set<string>;

  /** Builds the lookup tables; throws when a required special token is missing. */
  constructor(options: WordPieceOptions) {
    this.vocab = options.vocab;
    this.kind = options.kind;
    this.contextLength = options.contextLength;
    this.clean = options.clean ?? 'none';
    this.lowercase = options.lowercase ?? true;
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    // A duplicated token keeps its last id, as transformers' `load_vocab` dict does.
    options.vocab.forEach((tok, id) => this.ids.set(tok, id));
    this.vocabSize = options.vocab.length;
    const need = (tok: string): number => {
      const id = this.ids.get(tok);
      if (id === undefined) throw new Error(`${options.kind}: vocabulary has no ${tok} token`);
      return id;
    };
    this.padId = need('[PAD]');
    this.unkId = need('[UNK]');
    this.clsId = need('[CLS]');
    this.sepId = need('[SEP]');
    if (!Number.isInteger(this.contextLength) || this.contextLength < 2) {
      throw new Error(`${options.kind}: contextLength must be an integer >= 2 (room for [CLS] and [SEP]), got ${this.contextLength}`);
    }
    this.specials = new Set(BERT_SPECIAL_TOKENS.filter((t) => this.ids.has(t)));
    this.specialSplit = new RegExp(`(${[...this.specials].map(escapeRegExp).join('|')})`);
  }

  /** Greedy longest-match-first pieces of one word (`##` marks a continuation). */
  private wordPieces(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > this.maxInputCharsPerWord) return ['[UNK]'];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        if (this.ids.has(sub)) {
          found = sub;
          break;
        }
        end -= 1;
      }
      if (found === undefined) return ['[UNK]'];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }

  /** The text after the optional open_clip cleaning (what the BERT tokenizer receives). */
  cleanText(text: string): string {
    return this.clean === 'open_clip' ? openClipClean(text) : text;
  }

  /** WordPiece token strings without `[CLS]`/`[SEP]`; literal special tokens in the text stay whole. */
  tokens(text: string): string[] {
    const out: string[] = [];
    for (const chunk of this.cleanText(text).split(this.specialSplit)) {
      if (chunk === '') continue;
      if (this.specials.has(chunk)) {
        out.push(chunk);
        continue;
      }
      for (const word of basicTokenize(chunk, { lowercase: this.lowercase })) out.push(...this.wordPieces(word));
    }
    return out;
  }

  /** Ids of {@link tokens} (no special tokens added, no truncation). */
  encodeIds(text: string): number[] {
    return this.tokens(text).map((t) => this.ids.get(t) ?? this.unkId);
  }

  /** `[CLS] ids [SEP]` padded with `[PAD]`; when too long, the first `contextLength - 2` pieces. */
  encode(text: string): number[] {
    const ids = this.encodeIds(text).slice(0, this.contextLength - 2);
    const row = [this.clsId, ...ids, this.sepId];
    while (row.length < this.contextLength) row.push(this.padId);
    return row;
  }

  /** @inheritdoc */
  encodeBatch(texts: string[]): Int32Array {
    const out = new Int32Array(texts.length * this.contextLength);
    texts.forEach((t, i) => out.set(this.encode(t), i * this.contextLength));
    return out;
  }

  /** Token strings back to text (`##` pieces glued on), skipping `[PAD]`. For display only. */
  decode(ids: readonly number[]): string {
    const toks: string[] = [];
    for (const id of ids) {
      const tok = this.vocab[id];
      if (tok === undefined) throw new Error(`${this.kind}: id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
      if (id !== this.padId) toks.push(tok);
    }
    return toks.join(' ').replace(/ ##/g, '');
  }
}
