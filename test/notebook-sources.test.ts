/**
 * The committed notebooks are their own source, committed with their outputs: each output must
 * come from the code beside it. run.sh stamps an executed copy with the SHA-256 of its code cells;
 * `notebooks/check.ts adopt` commits it. These tests fail when a code cell was edited without
 * re-running the notebook, when a run stopped early or failed, when a notebook is over 2 MB
 * (plotly.js inlined), or when a figure has no static image for readers on a code host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeHash, committedNotebooks, readNotebook, verifyNotebook, cellSource, MAX_NOTEBOOK_BYTES } from '../notebooks/check';

const repo = path.resolve(__dirname, '..');

test('every committed notebook: outputs from its own code, run in order, no errors, under 2 MB, a PNG beside each figure', () => {
  const files = committedNotebooks();
  assert.equal(files.length, 7, `expected the seven notebooks, found ${files.map((f) => path.basename(f)).join(', ')}`);
  for (const file of files) {
    assert.deepEqual(verifyNotebook(file), [], path.basename(file));
    assert.ok(fs.statSync(file).size <= MAX_NOTEBOOK_BYTES);
  }
});

test('the notebooks have no generator: no Python builders or .nbsrc copies beside them', () => {
  const src = path.join(repo, 'notebooks', 'src');
  const leftovers = fs.existsSync(src) ? fs.readdirSync(src).filter((f) => /\.(py|nbsrc)$/.test(f)) : [];
  assert.deepEqual(leftovers, []);
});

test('verify catches an edited code cell, a failed run and a figure without its PNG', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'primed-nbverify-'));
  try {
    const original = readNotebook(committedNotebooks()[0]);
    const write = (name: string, edit: (nb: typeof original) => void): string => {
      const nb = JSON.parse(JSON.stringify(original)) as typeof original;
      edit(nb);
      const file = path.join(tmp, name);
      fs.writeFileSync(file, JSON.stringify(nb));
      return file;
    };
    assert.deepEqual(verifyNotebook(write('same.ipynb', () => {})), []);
    // a Markdown edit keeps the outputs valid
    assert.deepEqual(verifyNotebook(write('md.ipynb', (nb) => {
      const md = nb.cells.find((c) => c.cell_type === 'markdown')!;
      md.source = cellSource(md) + '\nA new sentence.';
    })), []);
    const edited = write('code.ipynb', (nb) => {
      const code = nb.cells.find((c) => c.cell_type === 'code')!;
      code.source = cellSource(code) + '\nconsole.log(1);';
    });
    assert.notEqual(codeHash(readNotebook(edited)), original.metadata.primed?.source_sha256);
    assert.match(verifyNotebook(edited).join('\n'), /differ from the code that produced its outputs/);
    assert.match(verifyNotebook(write('failed.ipynb', (nb) => { nb.metadata.primed!.status = 'timed out'; })).join('\n'), /ended "timed out"/);
    assert.match(verifyNotebook(write('nostamp.ipynb', (nb) => { delete nb.metadata.primed; })).join('\n'), /no run stamp/);
    assert.match(verifyNotebook(write('nopng.ipynb', (nb) => {
      for (const c of nb.cells) for (const o of c.outputs ?? []) if (o.data?.['image/png'] && o.data['application/vnd.plotly.v1+json']) delete o.data['image/png'];
    })).join('\n'), /without its static PNG/);
    assert.match(verifyNotebook(write('order.ipynb', (nb) => {
      const code = nb.cells.filter((c) => c.cell_type === 'code');
      code[code.length - 1].execution_count = null;
    })).join('\n'), /not run in order/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
