/** kernel-lib setup: backend, paths, and the paper config's "what is missing" list. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setup, readPaperConfig, findRepoRoot } from '../kernel-lib/setup';

function fakeRepo(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-setup-'));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'primed' }));
  fs.mkdirSync(path.join(root, 'notebooks'));
  return root;
}

test('mini scale: backend initialised, folders resolved from the repo root, nothing missing', async () => {
  const root = fakeRepo();
  try {
    assert.equal(findRepoRoot(path.join(root, 'notebooks')), root);
    const env = await setup({ scale: 'mini', seed: 7, root, print: false });
    assert.equal(env.scale, 'mini');
    assert.equal(env.seed, 7);
    assert.ok(['torch', 'tensorflow', 'wasm', 'cpu'].includes(env.backend.name));
    assert.equal(env.dataDir, path.join(root, 'data'));
    assert.equal(env.runsDir, path.join(root, 'runs', 'mini'));
    assert.deepEqual(env.missing, []);
    assert.equal(typeof env.progress, 'function');
    assert.equal((await setup({ root, print: false })).seed, 42, 'default seed is the paper\'s');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('paper scale: reads the config, resolves relative paths, lists exactly what is missing', async () => {
  const root = fakeRepo();
  try {
    fs.mkdirSync(path.join(root, 'datasets', 'aod'), { recursive: true });
    fs.writeFileSync(path.join(root, 'biomedclip.safetensors'), '');
    fs.writeFileSync(
      path.join(root, 'primed.paper.json'),
      JSON.stringify({ datasets: { AOD: 'datasets/aod', NCT100K: '/nonexistent/nct' }, checkpoints: { biomedclip: 'biomedclip.safetensors' } }),
    );
    const env = await setup({ scale: 'paper', root, print: false, needs: { datasets: ['AOD', 'PITVIS'], checkpoints: ['biomedclip'], memory: true } });
    assert.equal(env.configFile, path.join(root, 'primed.paper.json'));
    assert.equal(env.config?.datasets.AOD, path.join(root, 'datasets', 'aod'));
    assert.deepEqual(env.missing, [
      'datasets.PITVIS: not configured',
      'datasets.NCT100K: /nonexistent/nct does not exist',
      'memory: not configured',
    ]);
    await assert.rejects(setup({ scale: 'paper', root, print: false, strict: true }), /1 thing\(s\) missing:\ndatasets\.NCT100K/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('paper scale without a config file says which file to create; bad configs name the field', async () => {
  const root = fakeRepo();
  try {
    const env = await setup({ scale: 'paper', root, print: false });
    assert.equal(env.missing.length, 1);
    assert.match(env.missing[0], /primed\.paper\.json does not exist \(create it/);
    const file = path.join(root, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ datasets: { AOD: 3 } }));
    assert.throws(() => readPaperConfig(file), /bad\.json: field "datasets\.AOD" must be a non-empty path string/);
    fs.writeFileSync(file, JSON.stringify({ dataset: {} }));
    assert.throws(() => readPaperConfig(file), /bad\.json: unknown field "dataset"/);
    await assert.rejects(setup({ scale: 'huge' as never, root, print: false }), /option scale must be "mini" or "paper"/);
    await assert.rejects(setup({ seed: 1.5, root, print: false }), /option seed must be a non-negative integer/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('paper config: device and precision of the torch backend are read and checked, naming the field', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-paper-device-'));
  try {
    const file = path.join(dir, 'primed.paper.json');
    fs.writeFileSync(file, JSON.stringify({ datasets: {}, checkpoints: {}, device: 'cuda:1', precision: 'tf32' }));
    const c = readPaperConfig(file);
    assert.equal(c.device, 'cuda:1');
    assert.equal(c.precision, 'tf32');
    fs.writeFileSync(file, JSON.stringify({ device: 'gpu0' }));
    assert.throws(() => readPaperConfig(file), /primed\.paper\.json: field "device": unknown device "gpu0"; expected cpu, cuda, cuda:N or mps/);
    fs.writeFileSync(file, JSON.stringify({ precision: 'fp16' }));
    assert.throws(() => readPaperConfig(file), /field "precision" must be "fp32" or "tf32", got "fp16"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
