/**
 * BERT's `BasicTokenizer` (transformers v4.30 `tokenization_bert.py`): clean, split CJK
 * characters, lower-case and strip accents, split punctuation. The result is the list of
 * "words" that WordPiece then cuts into pieces.
 */
import { pySplit } from './text-clean';

/** Options of {@link basicTokenize}. */
export interface BasicTokenizeOptions {
  /** Lower-case and strip accents (BERT `do_lower_case`, default true). */
  lowercase?: boolean;
}

const CONTROL = /\p{C}/u;
const SPACE_SEPARATOR = /\p{Zs}/u;
const PUNCT = /\p{P}/u;

/** BERT `_is_whitespace`: space, tab, LF, CR, or any Zs character. */
function isBertWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || SPACE_SEPARATOR.test(ch);
}

/** BERT `_is_control`: any C* category except tab, LF and CR. */
function isBertControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return CONTROL.test(ch);
}

/** BERT `_is_punctuation`: every non-alphanumeric printable ASCII character, plus Unicode P*. */
export function isBertPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return PUNCT.test(ch);
}

/** BERT `_is_chinese_char`: the CJK Unified Ideographs blocks (not kana or hangul). */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** `_clean_text` + `_tokenize_chinese_chars`: drop NUL, U+FFFD and controls; whitespace to space; CJK spaced. */
function cleanAndSpaceCjk(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isBertControl(ch)) continue;
    if (isBertWhitespace(ch)) out += ' ';
    else if (isCjk(cp)) out += ` ${ch} `;
    else out += ch;
  }
  return out;
}

/** `_run_strip_accents`: NFD, then drop nonspacing marks (Mn). */
function stripAccents(text: string): string {
  return text.normalize('NFD').replace(/\p{Mn}/gu, '');
}

/** `_run_split_on_punc`: every punctuation character becomes its own word. */
function splitOnPunctuation(word: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of word) {
    if (isBertPunctuation(ch)) {
      if (current) out.push(current);
      out.push(ch);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) out.push(current);
  return out;
}

/** BERT `BasicTokenizer.tokenize` (no never-split words: special tokens are split out before). */
export function basicTokenize(text: string, options: BasicTokenizeOptions = {}): string[] {
  const lowercase = options.lowercase ?? true;
  const words = pySplit(cleanAndSpaceCjk(text).normalize('NFC'));
  const pieces: string[] = [];
  for (let word of words) {
    if (lowercase) word = stripAccents(word.toLowerCase());
    pieces.push(...splitOnPunctuation(word));
  }
  return pySplit(pieces.join(' '));
}
