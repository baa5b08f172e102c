/**
 * The MGTIL protocol from an on-disk (LanceDB) memory: `evaluateMGTIL({ memory })` trains PRIMED
 * on reference sets retrieved from it, records its engine in result.json, reports the sequence's
 * own images found in it; ZSCL, whose sentence set would scan the whole memory, is refused before
 * anything is written, through the API and through `primed evaluate --memory DIR`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { command } from '../src/cli/evaluate';
import { evaluateMGTIL } from '../src/experiment';
import { buildLanceMemory } from '../src/memory/lance/store';
import { openAnyMemory } from '../src/memory/store';
import { buildMemory } from '../src/memory/build';
import { importEntries } from '../src/memory/importers';
import { runCaptured } from './helpers/cli';
import { makeWorld } from './helpers/sequence';
import { toyEmbedder } from './helpers/toy-embedder';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-ref-lance-e2e-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');

test('evaluateMGTIL trains PRIMED from an on-disk memory and records which memory it was; ZSCL is refused before anything is written', async () => {
  await initBackend();
  const root = makeWorld(tmp, 'world');
  // Captions of both domains; the images are the tasks' own (reported as a warning) and other PNGs.
  const lines: string[] = [];
  for (let i = 0; i < 10; i++) lines.push(JSON.stringify({ id: `c${i}`, caption: `chest radiograph ${i % 2 ? 'pneumonia' : 'normal lungs'} ${i}`, image: `chest/${i % 2 ? 'pneumonia' : 'normal'}/img${i}.png` }));
  for (let i = 0; i < 20; i++) lines.push(JSON.stringify({ id: `b${i}`, caption: `blood smear ${i % 2 ? 'eosinophil' : 'basophil'} ${i}`, image: `blood/img/b${i}.png` }));
  for (let i = 0; i < 5; i++) lines.push(JSON.stringify({ id: `t${i}`, caption: `a text-only caption ${i}` }));
  fs.writeFileSync(path.join(root, 'memory.jsonl'), lines.join('\n') + '\n');
  const dir = path.join(tmp, 'disk-memory');
  await buildLanceMemory(dir, path.join(root, 'memory.jsonl'), { embedder: toyEmbedder(), vectorType: 'float32', index: { kind: 'none' } });
  const memory = await openAnyMemory(dir);

  const runDir = path.join(tmp, 'run');
  const recipe = { trainer: { steps: 2, batchSize: 8 }, referenceBatchSize: 8 };
  const r = await evaluateMGTIL({ tasks: path.join(root, 'seq.json'), method: 'primed-dyn', memory, queryEmbedder: toyEmbedder(), addDomains: true, recipe, runDir, zeroShotCache: false });
  assert.equal(r.complete, true);
  assert.ok(r.warnings.some((w) => w.includes(`memory ${dir} holds 10 image(s) of task 'chest'`)), r.warnings.join('\n'));
  assert.ok(r.referenceKeys.filter(Boolean).length === 2, `reference keys: ${r.referenceKeys}`);
  const result = JSON.parse(fs.readFileSync(path.join(runDir, 'result.json'), 'utf8')) as { config: { memory: Record<string, unknown> } };
  assert.deepEqual(result.config.memory, { embedder: 'test:toy', version: 1, entries: 35, source: 'user', engine: 'lance', search: 'exact' });
  const makeup = JSON.parse(fs.readFileSync(path.join(runDir, 'references', 'task-1-blood.json'), 'utf8')) as { size: number; memory: { dir: string; entries: number } };
  assert.equal(makeup.memory.dir, dir);
  assert.ok(makeup.size > 0);

  const zsclRun = path.join(tmp, 'zscl');
  await assert.rejects(
    evaluateMGTIL({ tasks: path.join(root, 'seq.json'), method: 'zscl', memory, queryEmbedder: toyEmbedder(), addDomains: true, recipe, runDir: zsclRun }),
    /zscl: memory .*disk-memory is an on-disk \(LanceDB\) memory.*referenceTexts: 'batch'/,
  );
  assert.equal(fs.existsSync(path.join(zsclRun, 'result.json')), false);
  // The CLI opens an on-disk memory given to --memory (the same refusal shows it reached the method).
  await assert.rejects(
    runCaptured(command, ['--tasks', path.join(root, 'seq.json'), '--method', 'zscl', '--memory', dir, '--add-domains', '--steps', '1', '--out', path.join(tmp, 'cli')], { quiet: true }),
    /zscl: memory .*disk-memory is an on-disk \(LanceDB\) memory/,
  );
  assert.equal(fs.existsSync(path.join(tmp, 'cli', 'result.json')), false);
  // --memory-search: checked before any work; an in-RAM memory refuses it.
  const cli = (extra: string[]) => runCaptured(command, ['--tasks', path.join(root, 'seq.json'), '--method', 'primed-dyn', '--add-domains', '--steps', '1', '--out', path.join(tmp, 'cli-search'), ...extra], { quiet: true });
  await assert.rejects(cli(['--memory', dir, '--memory-search', 'exakt']), /option --memory-search must be exact or index, got "exakt"/);
  await assert.rejects(cli(['--memory-search', 'exact']), /option --memory-search needs --memory DIR/);
  const ramDir = path.join(tmp, 'ram-memory');
  const imported = importEntries(path.join(root, 'memory.jsonl'));
  await buildMemory(ramDir, imported.entries, { embedder: toyEmbedder(), imageRoot: imported.root });
  await assert.rejects(cli(['--memory', ramDir, '--memory-search', 'exact']), /option --memory-search: retrieval option "search" applies to an on-disk \(LanceDB\) memory/);
  assert.equal(fs.existsSync(path.join(tmp, 'cli-search', 'result.json')), false);
});
