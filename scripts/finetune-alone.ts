/**
 * The "Fine-tune" reference row of the paper's Tables 7/8 at mini scale: each mini-MGTIL task
 * fine-tuned alone from the bundled mini model (no continual sequence), then tested.
 *   npx tsx scripts/finetune-alone.ts [--steps 600] [--out results/mini-finetune-alone.json]
 */
import { parseArgs } from 'node:util';
import { initBackend, describeBackend } from '../src/backend';
import { loadBenchmarkTasks } from '../src/benchmarks';
import { trainTask } from '../src/experiment';
import { classify } from '../src/eval/classify';
import { loadMiniModel } from '../src/foundation';
import { writeJsonAtomic } from '../src/util/fs';
import { terminalProgress } from '../src/util/progress';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { steps: { type: 'string', default: '600' }, out: { type: 'string', default: 'results/mini-finetune-alone.json' } } });
  const steps = Number(values.steps);
  const backend = await initBackend();
  const rows: { task: string; zeroShot: number; fineTuned: number; steps: number }[] = [];
  for (const task of loadBenchmarkTasks('mini-mgtil', { order: 'I' })) {
    const model = await loadMiniModel();
    const zeroShot = (await classify(model, task)).accuracy;
    await trainTask(model, task, { recipe: { trainer: { steps } }, progress: terminalProgress() });
    const fineTuned = (await classify(model, task)).accuracy;
    rows.push({ task: task.name, zeroShot, fineTuned, steps });
    process.stdout.write(`${task.name}: zero-shot ${zeroShot.toFixed(1)}%, fine-tuned alone ${fineTuned.toFixed(1)}%\n`);
    model.dispose();
  }
  writeJsonAtomic(values.out!, { generatedBy: 'scripts/finetune-alone.ts', backend: describeBackend(backend), recipe: 'mini (lr 3e-4, batch 32, label smoothing 0.2)', rows });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
