// BERT WordPiece against transformers v4.30.2 BertTokenizer (raw text) and open_clip v2.23.0
// HFTokenizer (BiomedCLIP's text pipeline), stored in test/fixtures/tokenizers/wordpiece.cases.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WordPieceTokenizer, bundledTokenizerFile, readVocabFile } from '../src/model/tokenizers';

interface WordPieceCase {
  id: string;
  text: string;
  tokens: string[];
  ids: number[];
  ids_with_special: number[];
  ids_256: number[];
  too_long_for_256: boolean;
  open_clip_cleaned: string;
  open_clip_tokens: string[];
  open_clip_ids_256: number[];
  google_research_tokens: string[];
  google_research_ids: number[];
  google_research_matches_hf: boolean;
}

const cases: WordPieceCase[] = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'tokenizers', 'wordpiece.cases.json'), 'utf8'));
const vocab = readVocabFile(bundledTokenizerFile('vocab.txt'));
const raw = new WordPieceTokenizer({ vocab, kind: 'wordpiece:test', contextLength: 256 });
const biomedclip = new WordPieceTokenizer({ vocab, kind: 'wordpiece:test', contextLength: 256, clean: 'open_clip' });

test('PubMedBERT vocabulary: 30522 entries, specials at 0..4', () => {
  assert.equal(vocab.length, 30522);
  assert.deepEqual(vocab.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  assert.deepEqual([raw.padId, raw.unkId, raw.clsId, raw.sepId], [0, 1, 2, 3]);
  assert.equal(cases.length, 46);
});

for (const c of cases) {
  test(`wordpiece case ${c.id}: transformers ids/ids_256 and BiomedCLIP open_clip_ids_256 match`, () => {
    assert.deepEqual(raw.tokens(c.text), c.tokens, 'tokens');
    assert.deepEqual(raw.encodeIds(c.text), c.ids, 'ids');
    assert.equal(c.ids_with_special.length > 256, c.too_long_for_256, 'too_long_for_256');
    assert.deepEqual(raw.encode(c.text), c.ids_256, 'ids_256');
    assert.equal(biomedclip.cleanText(c.text), c.open_clip_cleaned, 'open_clip_cleaned');
    assert.deepEqual(biomedclip.tokens(c.text), c.open_clip_tokens, 'open_clip_tokens');
    assert.deepEqual(biomedclip.encode(c.text), c.open_clip_ids_256, 'open_clip_ids_256');
  });
}

test('maxInputCharsPerWord 200 reproduces google-research/bert on the 130-character word', () => {
  // Independent oracle: google-research's FullTokenizer uses 200 where transformers uses 100.
  const c = cases.find((x) => x.id === 'very_long_word_over_100_chars')!;
  assert.equal(c.google_research_matches_hf, false);
  assert.deepEqual(raw.encodeIds(c.text), [1]);
  const gr = new WordPieceTokenizer({ vocab, kind: 'wordpiece:test', contextLength: 256, maxInputCharsPerWord: 200 });
  assert.deepEqual(gr.encodeIds(c.text), c.google_research_ids);
});

test('encodeBatch, short context truncation and decode', () => {
  const c = cases.find((x) => x.id === 'cxr_effusion')!;
  const short = new WordPieceTokenizer({ vocab, kind: 'wordpiece:test', contextLength: 6 });
  assert.deepEqual(short.encode(c.text), [2, ...c.ids.slice(0, 4), 3]);
  const batch = biomedclip.encodeBatch([c.text, '']);
  assert.equal(batch.length, 512);
  assert.deepEqual(Array.from(batch.subarray(0, 256)), c.open_clip_ids_256);
  assert.equal(raw.decode(raw.encodeIds('pneumothorax and cardiomegaly')), 'pneumothorax and cardiomegaly');
});

test('vocabulary errors name the file or the missing token', () => {
  assert.throws(() => readVocabFile('/nonexistent/vocab.txt'), /\/nonexistent\/vocab\.txt: cannot read vocabulary/);
  assert.throws(() => new WordPieceTokenizer({ vocab: ['[PAD]', '[UNK]', '[CLS]'], kind: 'wp:x', contextLength: 8 }), /wp:x: vocabulary has no \[SEP\] token/);
  assert.throws(() => new WordPieceTokenizer({ vocab, kind: 'wp:x', contextLength: 1 }), /contextLength must be an integer >= 2/);
});
