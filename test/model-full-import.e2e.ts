import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { loadCheckpoint, loadModel, saveModel } from '../src/model/checkpoint';
import { SafetensorsReader, writeSafetensors, type TensorToWrite } from '../src/model/safetensors';
import { fakeTokenizer } from './fixtures/model/test-helpers';

// Every key of the real checkpoints (test/fixtures/checkpoints/*.keys.json) at its real shape.
interface KeyEntry { name: string; shape: number[]; dtype: string }
interface KeysFile { state_dict: KeyEntry[]; num_parameters?: number; num_parameters_excluding_buffers?: number }

const CASES = [
  { keys: 'openai-clip-vit-b16.keys.json', preset: 'clip-vit-b16', vocab: 49408, context: 77, layout: 'openai' as const, extras: ['input_resolution', 'context_length', 'vocab_size'] },
  { keys: 'biomedclip.keys.json', preset: 'biomedclip', vocab: 30522, context: 256, layout: 'biomedclip' as const, extras: [] as string[] },
];

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
/** Value i of tensor k: m · 2⁻¹⁴ with |m| ≤ 1000, exactly representable in F16 (so expected values are exact). */
const valueAt = (k: number, i: number) => ((((i * 7919 + k * 104729) % 2001) + 2001) % 2001 - 1000) * 2 ** -14;

/** All values of tensor k, incrementally (r advances by 7919 mod 2001 = 1916 per element); valueAt is the independent check. */
function fill(k: number, n: number): Float32Array {
  const out = new Float32Array(n);
  let r = (k * 104729) % 2001;
  for (let i = 0; i < n; i++) {
    out[i] = (r - 1000) * 2 ** -14;
    r += 1916;
    if (r >= 2001) r -= 2001;
  }
  return out;
}

function tensorsFor(entries: KeyEntry[], extras: string[]): TensorToWrite[] {
  const list: TensorToWrite[] = entries.map((e, k) =>
    e.dtype === 'int64'
      ? { name: e.name, shape: e.shape, dtype: 'I64', data: Int32Array.from({ length: numel(e.shape) }, (_, i) => i) }
      : { name: e.name, shape: e.shape, dtype: 'F16', data: () => fill(k, numel(e.shape)) },
  );
  for (const x of extras) list.push({ name: x, shape: [], dtype: 'I64', data: new Int32Array([1]) });
  return list;
}

/** A file with a valid header and all-zero data, made sparse (no data is written): enough for the name/shape checks. */
function sparseFile(file: string, entries: { name: string; shape: number[] }[]): void {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: 'F16', shape: e.shape, data_offsets: [off, off + 2 * numel(e.shape)] };
    off += 2 * numel(e.shape);
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json]));
  fs.truncateSync(file, 8 + json.length + off);
}

for (const c of CASES) {
  test(`${c.preset}: every checkpoint key imports at full size; saveModel/loadModel round-trips it`, async () => {
    await initBackend();
    const keys = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'checkpoints', c.keys), 'utf8')) as KeysFile;
    const entries = keys.state_dict;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-full-'));
    const tokenizer = fakeTokenizer(c.vocab, c.context, c.layout);
    const start = tf.memory().numTensors;
    try {
      const file = path.join(dir, 'open_clip_model.safetensors');
      writeSafetensors(file, tensorsFor(entries, c.extras));
      const model = await loadCheckpoint(dir, { preset: c.preset, tokenizer });
      const vars = model.namedVariables();
      const weights = entries.filter((e) => e.dtype !== 'int64');
      assert.deepEqual([...vars.keys()].sort(), weights.map((e) => e.name).sort(), 'exactly the checkpoint parameters');
      const total = [...vars.values()].reduce((a, v) => a + v.size, 0);
      assert.equal(total, keys.num_parameters ?? keys.num_parameters_excluding_buffers);
      for (const [k, e] of entries.entries()) {
        if (e.dtype === 'int64') continue;
        const v = vars.get(e.name)!;
        assert.deepEqual(v.shape, e.shape, e.name);
        if (k % 37 === 0 || e.name === 'logit_scale') {
          const data = v.dataSync();
          for (const i of new Set([0, Math.min(1, v.size - 1), Math.floor(v.size / 2), v.size - 1])) assert.equal(data[i], valueAt(k, i), `${e.name}[${i}]`);
        }
      }
      const out = path.join(dir, 'saved');
      // F16 keeps the test light; the values are F16-exact, so the round trip must still be exact
      // (F32 export is covered on a small model in model-zero-shot.test.ts).
      await saveModel(model, out, { dtype: 'F16', provenance: { test: c.preset } });
      model.dispose();
      assert.equal(tf.memory().numTensors, start);
      assert.deepEqual(fs.readdirSync(out).sort(), ['config.json', 'model.safetensors']);
      const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
      assert.equal(config.preset.name, c.preset);
      assert.equal(config.provenance.from, 'checkpoint');
      assert.equal(config.provenance.test, c.preset);

      const again = await loadModel(out, { tokenizer });
      const source = SafetensorsReader.open(file);
      try {
        for (const [name, v] of again.namedVariables()) {
          const want = source.readFloat32(name);
          const got = v.dataSync();
          assert.equal(got.length, want.length, name);
          for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) assert.fail(`${name}[${i}]: ${got[i]} after round trip, ${want[i]} in the source`);
        }
      } finally {
        source.close();
      }
      assert.equal(again.preset.model.layout, c.layout);
      again.dispose();
      assert.equal(tf.memory().numTensors, start);

      // Broken files: checked before any weight is read or allocated (sparse files, no data).
      const broken = path.join(dir, 'broken.safetensors');
      const victim = c.layout === 'openai' ? 'visual.proj' : 'visual.head.proj.weight';
      sparseFile(broken, entries.filter((e) => e.name !== victim));
      await assert.rejects(loadCheckpoint(broken, { preset: c.preset, tokenizer }), (e: Error) => e.message.includes('1 missing tensor') && e.message.includes(`${victim} [${entries.find((x) => x.name === victim)!.shape}]`));
      sparseFile(broken, entries.map((e) => (e.name === victim ? { ...e, shape: [...e.shape].reverse() } : e)));
      const wrong = [...entries.find((e) => e.name === victim)!.shape];
      await assert.rejects(
        loadCheckpoint(broken, { preset: c.preset, tokenizer }),
        (e: Error) => e.message.includes(`parameter "${victim}" has shape [${[...wrong].reverse()}] in the file, the model expects [${wrong}]`),
      );
      sparseFile(broken, [...entries, { name: 'text.transformer.pooler.dense.weight', shape: [2, 2] }]);
      await assert.rejects(loadCheckpoint(broken, { preset: c.preset, tokenizer }), /1 unexpected tensor\(s\) \(pass allowExtra to skip them\): text\.transformer\.pooler\.dense\.weight/);
      const other = c.layout === 'openai' ? 'biomedclip' : 'clip-vit-b16';
      const otherTok = c.layout === 'openai' ? fakeTokenizer(30522, 256) : fakeTokenizer(49408, 77, 'openai');
      await assert.rejects(loadCheckpoint(broken, { preset: other, tokenizer: otherTok }), new RegExp(`looks like the ${c.layout} layout`));
      assert.equal(tf.memory().numTensors, start, 'failed loads allocate nothing');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('pickle checkpoints are refused with the conversion command', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-pickle-'));
  fs.writeFileSync(path.join(dir, 'open_clip_pytorch_model.bin'), 'not really a pickle');
  await assert.rejects(loadCheckpoint(dir, { preset: 'biomedclip', tokenizer: fakeTokenizer(30522, 256) }), (e: Error) =>
    e.message.includes('open_clip_pytorch_model.bin') && e.message.includes('from safetensors.torch import save_file'),
  );
  await assert.rejects(loadCheckpoint(path.join(dir, 'missing.safetensors'), { preset: 'biomedclip', tokenizer: fakeTokenizer(30522, 256) }), /checkpoint not found/);
  fs.rmSync(dir, { recursive: true, force: true });
});
