// The ftfy subset and Python html.unescape port. Oracles: CPython's html.unescape (stored by
// test/fixtures/tokenizers/make_html_unescape_cases.py), ftfy 6.3.1's documented examples, and
// hand-worked UTF-8 byte arithmetic. The 46 fixture strings are checked in the tokenizer tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pythonHtmlUnescape, ftfyUnescapeHtml } from '../src/model/tokenizers/html-unescape';
import { fixText, basicClean, whitespaceClean } from '../src/model/tokenizers/text-clean';
import { looksLikeMojibake } from '../src/model/tokenizers/mojibake';

const unescapeCases: { cases: { input: string; unescaped: string }[] } = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'tokenizers', 'html-unescape.cases.json'), 'utf8'),
);

test('pythonHtmlUnescape equals CPython html.unescape on edge cases', () => {
  const wrong = unescapeCases.cases.filter((c) => pythonHtmlUnescape(c.input) !== c.unescaped);
  assert.deepEqual(wrong.map((c) => [c.input, pythonHtmlUnescape(c.input), c.unescaped]), []);
  assert.equal(unescapeCases.cases.length, 12);
});

test('ftfy unescape_html needs the semicolon and decodes upper-cased names', () => {
  assert.equal(ftfyUnescapeHtml('&lt &amp; &NTILDE; &Ntilde; &#x92;'), '&lt & \u00d1 \u00d1 \u2019');
});

test('ftfy documented examples', () => {
  assert.equal(fixText('sÃ³'), 'só');
  assert.equal(fixText('schÃ¶n'), 'schön');
  assert.equal(fixText('âœ” No problems'), '✔ No problems');
  assert.equal(fixText('&macr;\\_(ã\x83\x84)_/&macr;'), '¯\\_(ツ)_/¯');
  assert.equal(fixText('ＬＯＵＤ　ＮＯＩＳＥＳ'), 'LOUD NOISES');
  assert.equal(fixText('<em>HTML entities &lt;3</em>'), '<em>HTML entities &lt;3</em>');
  assert.equal(fixText('HTML entities &lt;3'), 'HTML entities <3');
  assert.equal(fixText('This text was never UTF-8 at all\x85'), 'This text was never UTF-8 at all…');
  // Plausible text is left alone.
  assert.equal(fixText('not such a fan of Charlotte Brontë…”'), 'not such a fan of Charlotte Brontë…"');
  assert.equal(fixText('AHÅ™, the new sofa from IKEA®'), 'AHÅ™, the new sofa from IKEA®');
});

test('mojibake repair by byte arithmetic: UTF-8 bytes of é (C3 A9) read as Windows-1252 are "Ã©"', () => {
  const original = 'naïve café — “ok” 🫁';
  const mojibake = Array.from(new TextEncoder().encode(original), (b) => {
    const cp1252: Record<number, string> = { 0x80: '€', 0x94: '”', 0x9c: 'œ', 0x9d: '\x9d', 0xab: '«', 0x93: '“', 0x9f: 'Ÿ' };
    return cp1252[b] ?? String.fromCharCode(b);
  }).join('');
  assert.notEqual(mojibake, original);
  assert.ok(looksLikeMojibake(mojibake));
  assert.equal(fixText(mojibake), 'naïve café — "ok" 🫁');
  // Correct accented text beside mojibake: only the broken run is decoded.
  assert.equal(fixText('naïve Ã¼ber'), 'naïve über');
  for (const fine of ['Fuß…', 'café', 'Straße, İstanbul', '38.5°C ± 0.1', '×10⁶', 'à la carte']) {
    assert.equal(looksLikeMojibake(fine), false, fine);
    assert.equal(fixText(fine), fine.normalize('NFC'));
  }
});

test('other fixers: ligatures, quotes, line breaks, control characters, NFC, terminal escapes', () => {
  assert.equal(fixText('ﬁbrosis ﬂuid ﬀ ĳ'), 'fibrosis fluid ff ij');
  assert.equal(fixText('‘a’ “b” ‚c‛ „d‟'), `'a' "b" 'c' "d"`);
  assert.equal(fixText('a\r\nb\rc\u2028d'), 'a\nb\nc\nd');
  assert.equal(fixText('bell\x07 del\x7f bom\ufeff zw\u200b shy\u00ad'), 'bell del bom zw\u200b shy\u00ad');
  assert.equal(fixText('Cafe\u0301'), 'Caf\u00e9');
  assert.equal(fixText('\x1b[36;44mblue\x1b[0m'), 'blue');
  // HTML stays escaped from the first line that has a literal "<" on.
  assert.equal(fixText('a &amp; b\n<p>&amp;</p>\n&amp;'), 'a & b\n<p>&amp;</p>\n&amp;');
});

test('basic_clean unescapes twice after ftfy; whitespace_clean uses Python whitespace', () => {
  assert.equal(basicClean('  &amp;amp;lt;  '), '<');
  assert.equal(whitespaceClean('\u3000a\u00a0\u2009b\x1c c\u200b'), 'a b c\u200b');
});
