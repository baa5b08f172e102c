// loadTokenizer / validateTokenizerSpec: defaults and errors that name the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundledTokenizerFile, loadTokenizer, validateTokenizerSpec } from '../src/model/tokenizers';

const vocabPath = bundledTokenizerFile('vocab.txt');

test('defaults: clip-bpe 77 with the bundled merges, wordpiece 256, mini 32', () => {
  const clip = loadTokenizer({ kind: 'clip-bpe' });
  assert.equal(clip.kind, 'clip-bpe');
  assert.equal(clip.contextLength, 77);
  assert.equal(clip.vocabSize, 49408);
  // "a photo" in CLIP ids (openai/CLIP): 320 1125.
  assert.deepEqual(clip.encode('a photo').slice(0, 5), [49406, 320, 1125, 49407, 0]);
  const wp = loadTokenizer({ kind: 'wordpiece', vocabPath, clean: 'open_clip' });
  assert.equal(wp.contextLength, 256);
  assert.equal(wp.vocabSize, 30522);
  assert.match(wp.kind, /^wordpiece:[0-9a-f]{12}:open_clip$/);
  assert.notEqual(loadTokenizer({ kind: 'wordpiece', vocabPath }).kind, wp.kind, 'the rules are part of kind');
  const mini = loadTokenizer({ kind: 'mini', vocab: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a'] });
  assert.equal(mini.contextLength, 32);
  assert.equal(loadTokenizer({ kind: 'clip-bpe', contextLength: 10 }).encode('a photo').length, 10);
});

test('cased wordpiece keeps capitals (no lower-casing, no accent stripping)', () => {
  const cased = loadTokenizer({ kind: 'wordpiece', vocabPath, lowercase: false }) as unknown as { tokens(t: string): string[] };
  assert.deepEqual(cased.tokens('Lung lung'), ['[UNK]', 'lung']);
});

const bad: Array<[unknown, RegExp]> = [
  [null, /\(root\) must be an object/],
  [{ kind: 'gpt2' }, /kind must be "clip-bpe", "wordpiece" or "mini", got "gpt2"/],
  [{ kind: 'clip-bpe', contextLength: 0 }, /contextLength must be an integer >= 2, got 0/],
  [{ kind: 'clip-bpe', contextLength: 7.5 }, /contextLength must be an integer/],
  [{ kind: 'clip-bpe', bpePath: 3 }, /bpePath must be a non-empty path string/],
  [{ kind: 'clip-bpe', vocabPath: 'x' }, /vocabPath is not an option of kind "clip-bpe"/],
  [{ kind: 'wordpiece' }, /vocabPath is required for kind "wordpiece"/],
  [{ kind: 'wordpiece', vocabPath: 'v.txt', clean: 'ftfy' }, /clean must be "open_clip" or "none", got "ftfy"/],
  [{ kind: 'wordpiece', vocabPath: 'v.txt', lowercase: 'yes' }, /lowercase must be true or false/],
  [{ kind: 'wordpiece', vocabPath: 'v.txt', contextLenght: 77 }, /contextLenght is not an option of kind "wordpiece"/],
  [{ kind: 'mini' }, /vocabPath\/vocab give exactly one/],
  [{ kind: 'mini', vocab: ['a'], vocabPath: 'v.txt' }, /vocabPath\/vocab give exactly one/],
  [{ kind: 'mini', vocab: [1, 2] }, /vocab must be an array of strings/],
];
for (const [spec, message] of bad) {
  test(`invalid spec ${JSON.stringify(spec)} is rejected naming the field`, () => {
    assert.throws(() => validateTokenizerSpec(spec), message);
    assert.throws(() => loadTokenizer(spec as never), message);
  });
}

test('files that do not exist are errors naming the file', () => {
  assert.throws(() => loadTokenizer({ kind: 'wordpiece', vocabPath: '/no/such/vocab.txt' }), /\/no\/such\/vocab\.txt: cannot read/);
  assert.throws(() => loadTokenizer({ kind: 'clip-bpe', bpePath: '/no/such/bpe.gz' }), /\/no\/such\/bpe\.gz: cannot read/);
  assert.throws(() => loadTokenizer({ kind: 'mini', vocabPath: '/no/such/mini.txt' }), /\/no\/such\/mini\.txt: cannot read/);
  assert.throws(() => loadTokenizer({ kind: 'mini', vocab: ['[UNK]'] }), /id 0 must be \[PAD\]/);
});
