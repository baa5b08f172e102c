/** The notebooks' scale switch (kernel-lib readScale): mini, paper, or a task-sequence file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readScale } from '../kernel-lib/setup';

test('PRIMED_SCALE: mini, paper, a sequence file (optionally paper:), anything else named in the error', () => {
  assert.deepEqual(readScale(undefined), { scale: 'mini' });
  assert.deepEqual(readScale('paper'), { scale: 'paper' });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'primed-scale-')), 'seq.json');
  fs.writeFileSync(file, '{}');
  assert.deepEqual(readScale(file), { scale: 'mini', tasks: file });
  assert.deepEqual(readScale(`paper:${file}`), { scale: 'paper', tasks: file });
  assert.throws(() => readScale('huge'), /PRIMED_SCALE must be mini, paper, or a task-sequence file .* got "huge"/);
  assert.throws(() => readScale('/nowhere/seq.yaml'), /PRIMED_SCALE: task-sequence file not found \(looked for \/nowhere\/seq\.yaml/);
});
