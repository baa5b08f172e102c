/**
 * HTML character references, decoded the two ways the reference text pipelines decode them:
 * CPython's `html.unescape` (CLIP's and open_clip's `basic_clean` call it twice) and ftfy's
 * stricter `unescape_html` (only `&name;` / `&#num;` with the semicolon, plus upper-cased names).
 */
import { HTML5_NAMED, INVALID_CHARREFS, INVALID_CODEPOINTS } from './html-entities.generated';

// Same alternatives as CPython's `html._charref`.
const PY_CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

function numericRef(ref: string): string {
  const hex = ref[1] === 'x' || ref[1] === 'X';
  const digits = ref.slice(hex ? 2 : 1).replace(/;$/, '');
  const num = parseInt(digits, hex ? 16 : 10);
  const fixed = INVALID_CHARREFS[String(num)];
  if (fixed !== undefined) return fixed;
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\ufffd';
  if (INVALID_CODEPOINTS.has(num)) return '';
  return String.fromCodePoint(num);
}

function namedRef(name: string): string {
  const whole = HTML5_NAMED[name];
  if (whole !== undefined) return whole;
  // HTML5: the longest known prefix wins (e.g. `&notit;` is `¬it;`).
  for (let len = name.length - 1; len > 1; len--) {
    const prefix = HTML5_NAMED[name.slice(0, len)];
    if (prefix !== undefined) return prefix + name.slice(len);
  }
  return '&' + name;
}

/** Exactly CPython's `html.unescape(text)`: named (HTML5 table) and numeric references. */
export function pythonHtmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(PY_CHARREF, (_m, ref: string) => (ref[0] === '#' ? numericRef(ref) : namedRef(ref)));
}

let ftfyTable: Map<string, string> | undefined;

/** ftfy's entity table: every `name;` of HTML5, plus upper-cased lower-case names that mean nothing else. */
function ftfyEntities(): Map<string, string> {
  if (ftfyTable) return ftfyTable;
  const table = new Map<string, string>();
  for (const [name, value] of Object.entries(HTML5_NAMED)) {
    if (!name.endsWith(';')) continue;
    table.set('&' + name, value);
    if (name === name.toLowerCase()) {
      const upper = '&' + name.toUpperCase();
      if (pythonHtmlUnescape(upper) === upper) table.set(upper, value.toUpperCase());
    }
  }
  ftfyTable = table;
  return table;
}

const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy 6.3.1 `unescape_html`: only complete references that end in `;`. */
export function ftfyUnescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  const table = ftfyEntities();
  return text.replace(FTFY_ENTITY, (entity) => {
    const known = table.get(entity);
    if (known !== undefined) return known;
    if (entity.startsWith('&#')) {
      const decoded = pythonHtmlUnescape(entity);
      return decoded.includes(';') ? entity : decoded;
    }
    return entity;
  });
}
