// The mini WordPiece vocabulary builder and its tokenizer (hand-worked expectations).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildMiniVocab, createMiniTokenizer, loadMiniVocab, loadTokenizer, saveVocab } from '../src/model/tokenizers';

const corpus = [
  'A chest X-ray showing pneumonia.',
  'A chest x-ray showing pleural effusion.',
  'Normal chest x-ray.',
  'Fundus photograph showing diabetic retinopathy.',
];

test('specials sit at fixed ids, then frequent words, then every character and ##character', () => {
  const vocab = buildMiniVocab(corpus, { vocabSize: 200, minCount: 2 });
  assert.deepEqual(vocab.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  // Word counts (lower-cased BERT words): chest 3, showing 3, ray 3, x 3 (one char: not a word entry), a 2.
  assert.deepEqual(vocab.slice(5, 8), ['chest', 'ray', 'showing']);
  assert.ok(!vocab.includes('pneumonia'), 'pneumonia occurs once < minCount 2');
  for (const ch of ['a', 'x', '-', '.', 'p', 'z'].filter((c) => corpus.join(' ').toLowerCase().includes(c))) {
    assert.ok(vocab.includes(ch) && vocab.includes('##' + ch), `character ${ch} and ##${ch}`);
  }
  assert.equal(new Set(vocab).size, vocab.length, 'no duplicates');
});

test('deterministic: same texts give the same vocabulary, and input order of equal counts does not matter', () => {
  const a = buildMiniVocab(corpus, { vocabSize: 120, minCount: 1 });
  const b = buildMiniVocab([...corpus].reverse(), { vocabSize: 120, minCount: 1 });
  assert.deepEqual(a, b);
});

test('a small vocabSize keeps characters first and caps the size', () => {
  const vocab = buildMiniVocab(corpus, { vocabSize: 30, minCount: 1 });
  assert.equal(vocab.length, 30);
  const charCount = new Set(corpus.join('').toLowerCase().replace(/\s/g, '')).size;
  assert.ok(charCount * 2 + 5 > 30, 'the test really squeezes');
  assert.ok(vocab.slice(5).every((t) => Array.from(t.replace(/^##/, '')).length === 1), 'only characters fit');
});

test('unseen words split into known pieces, not [UNK]; unknown characters become [UNK]', () => {
  const vocab = buildMiniVocab(corpus, { vocabSize: 200, minCount: 2 });
  const tok = createMiniTokenizer(vocab);
  assert.equal(tok.contextLength, 32);
  // "chests" = "chest" + "##s"; "horse" from single characters.
  assert.deepEqual(tok.tokens('Chests'), ['chest', '##s']);
  assert.deepEqual(tok.tokens('horse'), ['h', '##o', '##r', '##s', '##e']);
  assert.deepEqual(tok.tokens('Ωmega'), ['[UNK]']);
  const row = tok.encode('chest horse');
  assert.equal(row.length, 32);
  assert.equal(row[0], 2);
  assert.equal(row[1], vocab.indexOf('chest'));
  assert.equal(row[7], 3);
  assert.ok(row.slice(8).every((id) => id === 0));
  assert.ok(!row.slice(1, 7).includes(1), 'no [UNK] in a word made of seen characters');
});

test('save/load round-trip through a file, and loadTokenizer({kind: "mini"}) from path or array agree', () => {
  const vocab = buildMiniVocab(corpus, { vocabSize: 200, minCount: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-mini-'));
  const file = path.join(dir, 'sub', 'vocab.txt');
  saveVocab(file, vocab);
  assert.equal(fs.readFileSync(file, 'utf8'), vocab.join('\n') + '\n');
  assert.deepEqual(loadMiniVocab(file), vocab);
  const fromFile = loadTokenizer({ kind: 'mini', vocabPath: file, contextLength: 16 });
  const fromArray = loadTokenizer({ kind: 'mini', vocab });
  assert.equal(fromFile.kind, fromArray.kind);
  assert.match(fromFile.kind, /^mini-word:[0-9a-f]{12}$/);
  assert.equal(fromFile.vocabSize, vocab.length);
  // The sentence is 8 pieces, so the 16-long row is the 32-long row cut short.
  assert.deepEqual(fromFile.encode(corpus[0]!), fromArray.encode(corpus[0]!).slice(0, 16));
  assert.deepEqual(Array.from(fromFile.encodeBatch([corpus[1]!])), fromFile.encode(corpus[1]!));
});

test('bad options and bad vocabulary files are errors naming the option or file', () => {
  assert.throws(() => buildMiniVocab(corpus, { vocabSize: 3 }), /option vocabSize/);
  assert.throws(() => buildMiniVocab(corpus, { minCount: 0 }), /option minCount/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-mini-'));
  const file = path.join(dir, 'bad.txt');
  fs.writeFileSync(file, '[UNK]\n[PAD]\n[CLS]\n[SEP]\n[MASK]\n');
  assert.throws(() => loadMiniVocab(file), /bad\.txt: id 0 must be \[PAD\]/);
  assert.throws(() => saveVocab(path.join(dir, 'x.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'a']), /"a" appears twice/);
});
