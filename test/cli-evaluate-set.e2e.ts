/** `primed evaluate --set OPTION=VALUE`: method options from the command line, validated by the method, recorded in result.json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { command, parseMethodSets } from '../src/cli/evaluate';
import { UsageError } from '../src/cli/command';
import { runCaptured } from './helpers/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-cli-set-'));
process.env.PRIMED_CACHE_DIR = path.join(tmp, 'cache');

test('--set values are JSON when they parse, strings otherwise; malformed or repeated flags are usage errors', () => {
  assert.deepEqual(parseMethodSets(['lambda=100', 'regularizer=l2', 'weightEnsemble=false', 'xs=[1,2]', 'name="a=b"', 'empty=']), {
    lambda: 100, regularizer: 'l2', weightEnsemble: false, xs: [1, 2], name: 'a=b', empty: '',
  });
  assert.throws(() => parseMethodSets(['lambda']), (e: Error) => e instanceof UsageError && /--set: expected OPTION=VALUE .* got "lambda"/.test(e.message));
  assert.throws(() => parseMethodSets(['=3']), UsageError);
  assert.throws(() => parseMethodSets(['lambda=1', 'lambda=2']), /lambda is given twice/);
});

test('primed evaluate --set: a bad value is refused by the method, naming the option; good ones reach the method and result.json', async () => {
  const bad = path.join(tmp, 'bad');
  await assert.rejects(runCaptured(command, ['--method', 'ewc', '--set', 'lambda=-1', '--steps', '1', '--out', bad], { quiet: true }), /lambda/);
  await assert.rejects(runCaptured(command, ['--method', 'ewc', '--set', 'lamda=1', '--steps', '1', '--out', bad], { quiet: true }), /unknown option lamda/);
  assert.equal(fs.existsSync(path.join(bad, 'result.json')), false, 'nothing was written for a refused configuration');

  const out = path.join(tmp, 'ewc');
  const { code } = await runCaptured(command, ['--method', 'ewc', '--set', 'lambda=5', '--set', 'gamma=0.5', '--set', 'fisherBatches=1', '--set', 'fisherBatchSize=2', '--steps', '1', '--out', out], { quiet: true });
  assert.equal(code, 0);
  const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as { complete: boolean; config: { methodOptions: Record<string, unknown> } };
  assert.equal(result.complete, true);
  assert.deepEqual(result.config.methodOptions, { lambda: 5, gamma: 0.5, fisherBatches: 1, fisherBatchSize: 2 });
});
