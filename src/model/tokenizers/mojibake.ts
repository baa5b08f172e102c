/**
 * Mojibake repair: text whose UTF-8 bytes were decoded as Latin-1 or Windows-1252 (`cafÃ©`,
 * `â€œquotedâ€\x9d`). This follows ftfy 6.3.1's `fix_encoding` for those two encodings:
 * only text that looks broken is touched; it is re-encoded in the first single-byte encoding
 * that can represent all of it, and kept only when those bytes are valid UTF-8. Latin-1 text
 * with C1 controls that is not UTF-8 is read as Windows-1252 instead, and stray C1 controls are
 * mapped through Windows-1252.
 *
 * Not ported (no fixture needs them): ftfy's other single-byte encodings (Windows-1250/1/3/4/7,
 * ISO-8859-2, MacRoman, cp437), `restore_byte_a0`, `replace_lossy_sequences`, CESU-8 decoding,
 * and ftfy's full `is_bad` table of suspicious character pairs (see {@link looksLikeMojibake}).
 */

/** Windows-1252 bytes 0x80..0x9F; the five unassigned bytes keep their C1 code point ("sloppy"). */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Sloppy Windows-1252: code point to byte, for the characters that differ from Latin-1. */
const CP1252_ENCODE = new Map<number, number>();
for (let i = 0; i < 32; i++) CP1252_ENCODE.set(CP1252_HIGH.charCodeAt(i), 0x80 + i);

type SingleByteEncoding = 'latin-1' | 'sloppy-windows-1252';

/** Bytes of `text` in `encoding`, or `undefined` when some character has no byte there. */
function encodeSingleByte(text: string, encoding: SingleByteEncoding): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (encoding === 'latin-1') {
      if (c > 0xff) return undefined;
      out[i] = c;
    } else if (c < 0x80 || (c >= 0xa0 && c <= 0xff)) {
      out[i] = c;
    } else {
      const b = CP1252_ENCODE.get(c);
      if (b === undefined) return undefined;
      out[i] = b;
    }
  }
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A character that a UTF-8 continuation byte (0x80..0xBF) becomes when read as Windows-1252/Latin-1. */
const CONT = `[\\u0080-\\u00bf${CP1252_HIGH}]`;
/**
 * The shape UTF-8 takes when its bytes are read one by one as Windows-1252 or Latin-1: the
 * character of a lead byte followed by as many continuation characters as that lead announces.
 */
const UTF8_SHAPE = new RegExp(`[\\u00c2-\\u00df]${CONT}|[\\u00e0-\\u00ef]${CONT}{2}|[\\u00f0-\\u00f4]${CONT}{3}`, 'g');
/**
 * Continuation characters that also follow accented letters in correct text (`Brontë…”`,
 * `Fuß…`, `à\u00a0!`): a shaped sequence made only of these is not taken as evidence.
 */
const COMMON_AFTER_LETTERS = /^[\u00a0\u00ad\u00b7\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026]*$/;
const C1 = /[\u0080-\u009f]/;

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * Whether one UTF-8-shaped sequence is evidence of mojibake. Not evidence: continuations that
 * are only ordinary typography, and a two-character sequence at the end of a word unless its
 * lead is `Â`/`Ã` (the leads of all of Latin-1, rarely followed by a symbol in real text):
 * `AHÅ™,` is a brand name, while `cafÃ©` is broken.
 */
function isEvidence(sequence: string, next: string | undefined): boolean {
  if (COMMON_AFTER_LETTERS.test(sequence.slice(1))) return false;
  if (sequence.length === 2 && sequence[0] !== '\u00c2' && sequence[0] !== '\u00c3') {
    return next !== undefined && LETTER_OR_DIGIT.test(next);
  }
  return true;
}

/**
 * Whether `text` looks like UTF-8 read as a single-byte encoding: it has a C1 control (which
 * only a mis-decoding produces) or a UTF-8-shaped sequence that counts as evidence (ordinary
 * typography after an accented letter does not; see the source).
 * A simpler stand-in for ftfy's `is_bad` heuristic.
 */
export function looksLikeMojibake(text: string): boolean {
  if (C1.test(text)) return true;
  for (const m of text.matchAll(UTF8_SHAPE)) {
    const end = m.index! + m[0].length;
    if (isEvidence(m[0], text[end])) return true;
  }
  return false;
}

/**
 * ftfy `decode_inconsistent_utf8`: when the whole text cannot be re-decoded (correct accents
 * beside mojibake), fix each UTF-8-shaped run that looks broken on its own.
 */
function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_SHAPE, (seq: string, offset: number) => {
    const broken = C1.test(seq) || isEvidence(seq, text[offset + seq.length]);
    return seq.length < text.length && broken ? fixEncoding(seq) : seq;
  });
}

/** C1 controls become the Windows-1252 characters of the same byte (ftfy `fix_c1_controls`). */
export function fixC1Controls(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

function fixEncodingOneStep(text: string): string {
  if (text.length === 0 || /^[\x00-\x7f]*$/.test(text) || !looksLikeMojibake(text)) return text;
  const encodable: SingleByteEncoding[] = [];
  for (const encoding of ['latin-1', 'sloppy-windows-1252'] as const) {
    const bytes = encodeSingleByte(text, encoding);
    if (!bytes) continue;
    encodable.push(encoding);
    const fixed = decodeUtf8Strict(bytes);
    if (fixed !== undefined) return fixed;
  }
  const partly = decodeInconsistentUtf8(text);
  if (partly !== text) return partly;
  if (encodable.includes('latin-1')) {
    // In both Latin-1 and Windows-1252: probably meant as it is.
    if (encodable.includes('sloppy-windows-1252')) return text;
    // Latin-1 only means C1 controls: the text was Windows-1252 read as Latin-1.
    return fixC1Controls(text);
  }
  if (/[\u0080-\u009f]/.test(text)) return fixC1Controls(text);
  return text;
}

/** Repeats the one-step repair until nothing changes (mojibake can be nested). */
export function fixEncoding(text: string): string {
  for (;;) {
    const next = fixEncodingOneStep(text);
    if (next === text) return text;
    text = next;
  }
}
