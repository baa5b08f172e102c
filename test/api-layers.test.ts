/**
 * The API docs are grouped by layer (typedoc entry points src/api/*.ts and kernel-lib): every
 * value the package exports (src/index.ts) is documented in exactly one layer, and the layers
 * export nothing the package does not. Fails when an export is added to src/index.ts without a
 * layer (it would be missing from the docs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pkg from '../src';

const ROOT = path.resolve(__dirname, '..');

test('every package export is in exactly one documented layer', async () => {
  const typedoc = JSON.parse(fs.readFileSync(path.join(ROOT, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
  const layers = typedoc.entryPoints.filter((e) => e.startsWith('src/api/'));
  assert.deepEqual(layers.sort(), fs.readdirSync(path.join(ROOT, 'src/api')).map((f) => `src/api/${f}`).sort(), 'typedoc documents every layer file');
  const owner = new Map<string, string[]>();
  for (const file of layers) {
    const mod = (await import(path.join(ROOT, file))) as Record<string, unknown>;
    // a layer owns a name when it exports the very value the package does (src/index.ts shadows
    // memory's readManifest with data's: only data owns that name)
    for (const name of Object.keys(mod)) {
      if (name in pkg && mod[name] === (pkg as Record<string, unknown>)[name]) owner.set(name, [...(owner.get(name) ?? []), file]);
      else if (!(name in pkg)) owner.set(name, [...(owner.get(name) ?? []), `${file} (not exported by the package)`]);
    }
  }
  const exported = Object.keys(pkg).filter((n) => n !== 'default');
  assert.ok(exported.length > 100);
  const missing = exported.filter((n) => !owner.has(n));
  assert.deepEqual(missing, [], `exported by src/index.ts but in no src/api/ layer (so not in the API docs): ${missing.join(', ')}`);
  const twice = [...owner].filter(([, files]) => files.length > 1).map(([n, files]) => `${n} (${files.join(', ')})`);
  assert.deepEqual(twice, [], 'each export belongs to one layer');
  const extra = [...owner].filter(([, files]) => files.some((f) => f.endsWith('(not exported by the package)'))).map(([n]) => n);
  assert.deepEqual(extra, [], 'the layers export nothing the package does not');
});
