/**
 * Seeds a notebooks' runs folder with complete runs of the CLI grid (`scripts/run-grid.sh`), so
 * that notebooks 00, 02, 03 and 06 read them back instead of computing them again.
 *   npx tsx scripts/notebook-runs-from-grid.ts <grid folder> <notebook runs folder> [--seed 42] [--steps N]
 * e.g. `npx tsx scripts/notebook-runs-from-grid.ts runs/grid runs/nb-mini`, then run the notebooks
 * with `PRIMED_NOTEBOOK_RUNS=$PWD/runs/nb-mini`.
 *
 * The grid names a run `<method>-<order>-s<seed>`; the notebooks name theirs
 * `<method>-<order>-s<steps>` (kernel-lib `protocolJobs`). For every method × order the notebooks
 * run at mini scale, a complete grid run is copied (never moved, never linked: the notebooks'
 * folder is its own) to a temporary folder beside its destination, read back there by
 * kernel-lib's `runJob` with `readBackOnly` (so `evaluateMGTIL` compares the stored tasks, seed
 * and configuration with those of the notebook's job, the same check the notebook makes), and
 * only then renamed into place. A run whose configuration differs is not copied (its temporary
 * copy is removed) and the difference is printed. An existing run folder is never overwritten.
 * Prints what it copied and what the notebooks will still compute; exits 1 when a copy was refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultRecipe } from '../src/recipes';
import { lockFileFor } from '../src/util/lock';
import { METHODS, protocolJobs } from '../kernel-lib/protocol';
import { isComplete, runJob } from '../kernel-lib/runs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seed: { type: 'string', default: '42' }, steps: { type: 'string' } },
});
if (positionals.length !== 2) {
  console.error('usage: npx tsx scripts/notebook-runs-from-grid.ts <grid folder> <notebook runs folder> [--seed 42] [--steps N]');
  process.exit(2);
}
const [gridDir, runsRoot] = positionals.map((p) => path.resolve(p));
const seed = Number(values.seed);
const steps = values.steps !== undefined ? Number(values.steps) : defaultRecipe('mini-mgtil', 'mini').trainer.steps;
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got "${values.steps}"`);
if (!fs.existsSync(gridDir)) throw new Error(`${gridDir}: no such grid folder`);
const shown = (p: string) => path.relative(process.cwd(), p) || '.';

async function main(): Promise<void> {
  fs.mkdirSync(runsRoot, { recursive: true });
  // The runs notebooks 02/03 ask for (06 and 00 ask for a subset of the same runs at mini scale).
  const jobs = protocolJobs({ benchmark: 'mini-mgtil', methods: METHODS, orders: ['I', 'II'], steps: steps, seed: seed, runsRoot: runsRoot });
  const copied: string[] = [];
  const toCompute: string[] = [];
  const refused: string[] = [];
  for (const job of jobs) {
    const dest = job.options.runDir;
    const source = path.join(gridDir, `${job.options.method}-${job.options.order}-s${seed}`);
    if (fs.existsSync(dest)) {
      console.log(`${shown(dest)}: exists, left alone (not overwritten)${isComplete(dest) ? '' : '; not complete: the notebook will resume it'}`);
      continue;
    }
    if (!isComplete(source) || fs.existsSync(lockFileFor(source))) {
      toCompute.push(`${job.name} (${fs.existsSync(source) ? `${shown(source)} is not complete` : `no ${shown(source)}`})`);
      continue;
    }
    const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.copying-${process.pid}`);
    fs.cpSync(source, tmp, { recursive: true, errorOnExist: true, force: false });
    try {
      // evaluateMGTIL reads the copy back, refusing it if its tasks, seed or configuration differ from the job's.
      const outcome = await runJob({ ...job, options: { ...job.options, runDir: tmp } }, { readBackOnly: true });
      if (!outcome.result.complete) throw new Error('read back as not complete');
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      refused.push(`${job.name}: ${shown(source)} differs from what the notebook asks: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
      continue;
    }
    if (fs.existsSync(dest)) {
      fs.rmSync(tmp, { recursive: true, force: true });
      console.log(`${shown(dest)}: appeared meanwhile, left alone`);
      continue;
    }
    fs.renameSync(tmp, dest);
    copied.push(`${shown(source)} -> ${shown(dest)}`);
  }
  console.log(`copied ${copied.length} complete run(s), each read back with the notebook's configuration:`);
  for (const c of copied) console.log(`  ${c}`);
  console.log(`the notebooks will compute ${toCompute.length} run(s) of ${jobs.length} (02/03; 06 adds its control backbone's runs, 00 its own cells):`);
  for (const c of toCompute) console.log(`  ${c}`);
  if (refused.length) {
    console.log(`refused ${refused.length} run(s):`);
    for (const r of refused) console.log(`  ${r}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
