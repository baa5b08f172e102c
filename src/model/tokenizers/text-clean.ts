/**
 * Text cleaning that CLIP's `simple_tokenizer.py` and open_clip's `HFTokenizer` apply before
 * tokenizing: `basic_clean` (ftfy `fix_text`, then `html.unescape` twice, then strip) and
 * `whitespace_clean`. {@link fixText} is the subset of ftfy 6.3.1 `fix_text` (default config)
 * that ordinary and lightly broken text needs; see `mojibake.ts` for what is not ported.
 */
import { ftfyUnescapeHtml, pythonHtmlUnescape } from './html-unescape';
import { fixC1Controls, fixEncoding } from './mojibake';

/** Python's `str.isspace()` characters (what `\s`, `split()` and `strip()` mean in Python 3). */
export const PY_SPACE_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE_CLASS}]+`, 'g');
const PY_STRIP = new RegExp(`^[${PY_SPACE_CLASS}]+|[${PY_SPACE_CLASS}]+$`, 'g');

/** Python's `text.strip()`. */
export function pyStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

/** Python's `text.split()`: split on runs of whitespace, no empty pieces. */
export function pySplit(text: string): string[] {
  const stripped = pyStrip(text);
  return stripped === '' ? [] : stripped.split(PY_SPACE_RUN);
}

/** `whitespace_clean`: runs of whitespace become one space; ends stripped. */
export function whitespaceClean(text: string): string {
  return pyStrip(text.replace(PY_SPACE_RUN, ' '));
}

/** Latin ligatures and legacy digraphs that ftfy splits (it leaves æ, œ and the like alone). */
const LIGATURES: Record<string, string> = {
  '\u0132': 'IJ', '\u0133': 'ij', '\u0149': '\u02bcn',
  '\u01f1': 'DZ', '\u01f2': 'Dz', '\u01f3': 'dz', '\u01c4': 'D\u017d', '\u01c5': 'D\u017e', '\u01c6': 'd\u017e',
  '\u01c7': 'LJ', '\u01c8': 'Lj', '\u01c9': 'lj', '\u01ca': 'NJ', '\u01cb': 'Nj', '\u01cc': 'nj',
  '\ufb00': 'ff', '\ufb01': 'fi', '\ufb02': 'fl', '\ufb03': 'ffi', '\ufb04': 'ffl', '\ufb05': '\u017ft', '\ufb06': 'st',
};
const LIGATURE_RE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');

/** ftfy `fix_latin_ligatures`. */
export function fixLatinLigatures(text: string): string {
  return text.replace(LIGATURE_RE, (c) => LIGATURES[c]!);
}

/** ftfy `fix_character_width`: the halfwidth/fullwidth block (U+FF01..U+FFEF) by NFKC, U+3000 to space. */
export function fixCharacterWidth(text: string): string {
  return text.replace(/[\uff01-\uffef\u3000]/g, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
}

/** ftfy `uncurl_quotes`: curly single/double quotes (and U+02BC) become ASCII quotes. */
export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

/** ftfy `fix_line_breaks`: CRLF, CR, U+2028, U+2029 and NEL become `\n`. */
export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/[\r\u2028\u2029\u0085]/g, '\n');
}

/** ftfy `remove_terminal_escapes`: ANSI colour/cursor sequences. */
export function removeTerminalEscapes(text: string): string {
  return text.replace(/\x1b\[[\d;]*[a-zA-Z]/g, '');
}

/**
 * ftfy `remove_control_chars`: C0 controls other than tab/LF/FF/CR, DEL, deprecated format
 * characters U+206A..U+206F, the BOM and interlinear annotation marks. Zero-width joiners,
 * soft hyphens and the like stay.
 */
export function removeControlChars(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, '');
}

/** One segment (a line) through ftfy's fixers until it stops changing (ftfy `fix_and_explain`). */
function fixSegment(segment: string, unescapeHtml: boolean): string {
  let text = segment;
  for (;;) {
    const before = text;
    if (unescapeHtml) text = ftfyUnescapeHtml(text);
    text = fixEncoding(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = text.normalize('NFC');
    if (text === before) return text;
  }
}

/**
 * ftfy 6.3.1 `fix_text(text)` with its default configuration, for the fixes listed in this
 * module: fixed line by line; HTML references are decoded until a line contains a literal `<`
 * (from then on the text is taken to be HTML and left escaped).
 */
export function fixText(text: string): string {
  let unescapeHtml = true;
  const out: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl + 1;
    const segment = text.slice(pos, end);
    if (unescapeHtml && segment.includes('<')) unescapeHtml = false;
    out.push(fixSegment(segment, unescapeHtml));
    pos = end;
  }
  return out.join('');
}

/** CLIP/open_clip `basic_clean`: `html.unescape(html.unescape(ftfy.fix_text(text))).strip()`. */
export function basicClean(text: string): string {
  return pyStrip(pythonHtmlUnescape(pythonHtmlUnescape(fixText(text))));
}

/** `whitespace_clean(basic_clean(text))`: the full open_clip `clean='whitespace'` step. */
export function openClipClean(text: string): string {
  return whitespaceClean(basicClean(text));
}
