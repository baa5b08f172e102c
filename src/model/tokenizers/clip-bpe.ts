/**
 * OpenAI CLIP's byte-level BPE tokenizer: `clip/simple_tokenizer.py` (`SimpleTokenizer`) plus
 * `clip.tokenize(text, context_length, truncate=True)`, id for id.
 */
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Tokenizer } from '../types';
import { basicClean, whitespaceClean } from './text-clean';

/** `<|startoftext|>` id in the 49408-entry CLIP vocabulary. */
export const CLIP_SOT_ID = 49406;
/** `<|endoftext|>` id. */
export const CLIP_EOT_ID = 49407;

const SOT = '<|startoftext|>';
const EOT = '<|endoftext|>';
/** Merges used by SimpleTokenizer: lines [1, 49152-256-2+1) of the file. */
const MERGE_COUNT = 49152 - 256 - 2;

/**
 * GPT-2's reversible byte-to-character table: printable Latin-1 bytes map to themselves, the
 * rest to U+0100 upwards, so every byte string is a string of visible characters.
 */
function bytesToUnicode(): { byteEncoder: string[]; vocabOrder: string[] } {
  const order: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(b);
  for (let b = 0xa1; b <= 0xac; b++) order.push(b);
  for (let b = 0xae; b <= 0xff; b++) order.push(b);
  const byteEncoder = new Array<string>(256);
  for (const b of order) byteEncoder[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (byteEncoder[b] === undefined) {
      byteEncoder[b] = String.fromCodePoint(256 + n++);
      order.push(b);
    }
  }
  // The vocabulary lists the symbols in this order (printable bytes first), not by byte value.
  return { byteEncoder, vocabOrder: order.map((b) => byteEncoder[b]!) };
}

/** The parsed BPE file: shared by every tokenizer that loads the same path. */
interface BpeTables {
  byteEncoder: string[];
  byteDecoder: Map<string, number>;
  encoder: Map<string, number>;
  decoder: string[];
  /** `"first second"` to merge rank. */
  ranks: Map<string, number>;
}

const tablesByPath = new Map<string, BpeTables>();

function loadTables(bpePath: string): BpeTables {
  const cached = tablesByPath.get(bpePath);
  if (cached) return cached;
  let raw: Buffer;
  try {
    raw = fs.readFileSync(bpePath);
  } catch (err) {
    throw new Error(`${bpePath}: cannot read CLIP BPE merges (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const text = (bpePath.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n').slice(1, MERGE_COUNT + 1);
  if (lines.length !== MERGE_COUNT) {
    throw new Error(`${bpePath}: expected at least ${MERGE_COUNT + 1} lines of BPE merges, found ${lines.length + 1}`);
  }
  const { byteEncoder, vocabOrder } = bytesToUnicode();
  const decoder: string[] = [...vocabOrder, ...vocabOrder.map((c) => c + '</w>')];
  const ranks = new Map<string, number>();
  lines.forEach((line, rank) => {
    const parts = line.split(' ');
    if (parts.length !== 2) throw new Error(`${bpePath}: line ${rank + 2} is not a merge "a b": ${JSON.stringify(line)}`);
    ranks.set(line, rank);
    decoder.push(parts[0]! + parts[1]!);
  });
  decoder.push(SOT, EOT);
  const encoder = new Map<string, number>();
  decoder.forEach((tok, id) => encoder.set(tok, id));
  const byteDecoder = new Map<string, number>();
  byteEncoder.forEach((c, b) => byteDecoder.set(c, b));
  const tables = { byteEncoder, byteDecoder, encoder, decoder, ranks };
  tablesByPath.set(bpePath, tables);
  return tables;
}

/** The CLIP pre-tokenizer pattern (`simple_tokenizer.py`, with `re.IGNORECASE`). */
const CLIP_PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** Options of {@link ClipBpeTokenizer}. */
export interface ClipBpeOptions {
  /** Path of `bpe_simple_vocab_16e6.txt.gz` (gzipped or plain). */
  bpePath: string;
  /** Row length of `encode` (CLIP: 77). */
  contextLength: number;
}

/** CLIP byte-level BPE tokenizer (49408 ids). */
export class ClipBpeTokenizer implements Tokenizer {
  /** @inheritdoc */
  readonly kind = 'clip-bpe';
  /** @inheritdoc */
  readonly contextLength: number;
  /** @inheritdoc */
  readonly vocabSize: number;
  private readonly tables: BpeTables;
  private readonly cache = new Map<string, string>([
    [SOT, SOT],
    [EOT, EOT],
  ]);

  /** Loads (or reuses the already parsed) merges at `options.bpePath`. */
  constructor(options: ClipBpeOptions) {
    this.tables = loadTables(options.bpePath);
    this.contextLength = options.contextLength;
    this.vocabSize = this.tables.decoder.length;
  }

  /** BPE of one pre-token (already byte-encoded); space-separated sub-tokens. */
  private bpe(token: string): string {
    const hit = this.cache.get(token);
    if (hit !== undefined) return hit;
    const chars = Array.from(token);
    let word = [...chars.slice(0, -1), chars[chars.length - 1] + '</w>'];
    const { ranks } = this.tables;
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const rank = ranks.get(word[i] + ' ' + word[i + 1]);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best]!;
      const second = word[best + 1]!;
      const merged: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i]!);
          i += 1;
        }
      }
      word = merged;
    }
    const result = word.join(' ');
    this.cache.set(token, result);
    return result;
  }

  /** The exact string the BPE regex sees: `whitespace_clean(basic_clean(text)).lower()`. */
  clean(text: string): string {
    return whitespaceClean(basicClean(text)).toLowerCase();
  }

  /** Sub-token strings (`</w>` marks a word end) without special tokens. */
  tokens(text: string): string[] {
    const out: string[] = [];
    const utf8 = new TextEncoder();
    for (const match of this.clean(text).matchAll(CLIP_PATTERN)) {
      let encoded = '';
      for (const b of utf8.encode(match[0])) encoded += this.tables.byteEncoder[b];
      out.push(...this.bpe(encoded).split(' '));
    }
    return out;
  }

  /** `SimpleTokenizer.encode`: ids without `<|startoftext|>`/`<|endoftext|>`. */
  encodeIds(text: string): number[] {
    return this.tokens(text).map((tok) => {
      const id = this.tables.encoder.get(tok);
      if (id === undefined) throw new Error(`clip-bpe: sub-token ${JSON.stringify(tok)} is not in the vocabulary`);
      return id;
    });
  }

  /**
   * `clip.tokenize(text, contextLength, truncate=True)[0]`: `[SOT] ids [EOT]` zero-padded; when
   * too long, the first `contextLength` ids with the last forced to `<|endoftext|>`.
   */
  encode(text: string): number[] {
    const ids = [CLIP_SOT_ID, ...this.encodeIds(text), CLIP_EOT_ID];
    if (ids.length > this.contextLength) {
      ids.length = this.contextLength;
      ids[this.contextLength - 1] = CLIP_EOT_ID;
    }
    while (ids.length < this.contextLength) ids.push(0);
    return ids;
  }

  /** @inheritdoc */
  encodeBatch(texts: string[]): Int32Array {
    const out = new Int32Array(texts.length * this.contextLength);
    texts.forEach((t, i) => out.set(this.encode(t), i * this.contextLength));
    return out;
  }

  /** `SimpleTokenizer.decode`: bytes back to text, `</w>` to a space, bad UTF-8 to U+FFFD. */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const tok = this.tables.decoder[id];
      if (tok === undefined) throw new Error(`clip-bpe: id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
      for (const c of tok) {
        const b = this.tables.byteDecoder.get(c);
        if (b === undefined) throw new Error(`clip-bpe: character ${JSON.stringify(c)} of id ${id} is not a byte symbol`);
        bytes.push(b);
      }
    }
    return new TextDecoder('utf-8').decode(Uint8Array.from(bytes)).replaceAll('</w>', ' ');
  }
}
