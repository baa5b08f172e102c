// CLIP byte-level BPE against the official openai/CLIP SimpleTokenizer + clip.tokenize()
// outputs stored in test/fixtures/tokenizers/clip-bpe.cases.json (see its README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClipBpeTokenizer, CLIP_EOT_ID, CLIP_SOT_ID, bundledTokenizerFile } from '../src/model/tokenizers';

interface ClipCase {
  id: string;
  text: string;
  cleaned: string;
  ids: number[];
  tokens: string[];
  ids_with_special: number[];
  context77: number[];
  too_long_for_77: boolean;
  decoded: string;
}

const cases: ClipCase[] = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'tokenizers', 'clip-bpe.cases.json'), 'utf8'));
const bpePath = bundledTokenizerFile('bpe_simple_vocab_16e6.txt.gz');

test('loads the bundled merges quickly, once per path, with the 49408-id vocabulary', () => {
  const t0 = performance.now();
  const first = new ClipBpeTokenizer({ bpePath, contextLength: 77 });
  const firstMs = performance.now() - t0;
  const t1 = performance.now();
  const second = new ClipBpeTokenizer({ bpePath, contextLength: 77 });
  const secondMs = performance.now() - t1;
  assert.equal(first.vocabSize, 49408);
  assert.equal(second.vocabSize, 49408);
  // Once per path: the second tokenizer shares the first one's tables (no wall-clock bound, which
  // fails on a busy machine). The times are printed for the curious.
  console.log(`# clip-bpe merges: first load ${firstMs.toFixed(0)} ms, cached ${secondMs.toFixed(1)} ms`);
  const tables = (t: ClipBpeTokenizer) => (t as unknown as { tables: unknown }).tables;
  assert.equal(tables(second), tables(first));
  assert.equal(first.decode([CLIP_SOT_ID, CLIP_EOT_ID]), '<|startoftext|><|endoftext|>');
});

test('fixture has the 46 cases', () => assert.equal(cases.length, 46));

const tok = new ClipBpeTokenizer({ bpePath, contextLength: 77 });
for (const c of cases) {
  test(`clip-bpe case ${c.id}: cleaned text, tokens, ids, context-77 row and decode match openai/CLIP`, () => {
    assert.equal(tok.clean(c.text), c.cleaned, 'cleaned');
    assert.deepEqual(tok.tokens(c.text), c.tokens, 'tokens');
    const ids = tok.encodeIds(c.text);
    assert.deepEqual(ids, c.ids, 'ids');
    assert.deepEqual([CLIP_SOT_ID, ...ids, CLIP_EOT_ID], c.ids_with_special, 'ids_with_special');
    assert.equal(c.ids_with_special.length > 77, c.too_long_for_77, 'too_long_for_77');
    assert.deepEqual(tok.encode(c.text), c.context77, 'context77');
    assert.equal(tok.decode(c.ids), c.decoded, 'decoded');
  });
}

test('encodeBatch packs rows of contextLength; a shorter context truncates with EOT last', () => {
  const texts = [cases[4]!.text, cases[0]!.text];
  const batch = tok.encodeBatch(texts);
  assert.equal(batch.length, 2 * 77);
  assert.deepEqual(Array.from(batch.subarray(0, 77)), cases[4]!.context77);
  assert.deepEqual(Array.from(batch.subarray(77)), cases[0]!.context77);
  const short = new ClipBpeTokenizer({ bpePath, contextLength: 5 });
  const c = cases.find((x) => x.id === 'prompt_cxr_pneumonia')!;
  assert.deepEqual(short.encode(c.text), [...c.ids_with_special.slice(0, 4), CLIP_EOT_ID]);
});

test('a missing or malformed BPE file is an error naming the file', () => {
  assert.throws(() => new ClipBpeTokenizer({ bpePath: '/nonexistent/bpe.txt.gz', contextLength: 77 }), /\/nonexistent\/bpe\.txt\.gz: cannot read/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-bpe-'));
  const bad = path.join(dir, 'short.txt');
  fs.writeFileSync(bad, '#version\na b\n');
  assert.throws(() => new ClipBpeTokenizer({ bpePath: bad, contextLength: 77 }), /short\.txt: expected at least/);
});
