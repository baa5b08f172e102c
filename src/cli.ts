/**
 * The `primed` command line. Each sub-command lives in `src/cli/<name>.ts` and exports `command`;
 * modules load lazily so `primed --help` stays fast.
 */
import { redactSecrets } from './util/safe-url';
import { UsageError, type CliCommand } from './cli/command';

/** Sub-commands and their one-line summaries (kept here so `--help` loads no module). */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: CliCommand }> }> = {
  doctor: { summary: 'show the tensor backend in use, versions, and what a faster one needs', load: () => Promise.resolve(require('./cli/doctor')) },
  smoke: { summary: 'build a model, encode a batch, print the backend and a zero-shot prediction', load: () => Promise.resolve(require('./cli/smoke')) },
  benchmark: { summary: 'describe a benchmark: tasks, domains, classes, split sizes, or what is missing', load: () => Promise.resolve(require('./cli/benchmark')) },
  pretrain: { summary: 'CLIP-pretrain the mini dual encoder on the mini corpus and write a checkpoint', load: () => Promise.resolve(require('./cli/pretrain')) },
  metrics: { summary: 'compute Transfer/Avg/Last, ACC, BWT, Forgetting from an accuracy matrix file', load: () => Promise.resolve(require('./cli/metrics')) },
  memory: { summary: 'build, extend, inspect and query a retrieval memory', load: () => Promise.resolve(require('./cli/memory')) },
  evaluate: { summary: 'run the MGTIL protocol for a method on a benchmark and write result.json', load: () => Promise.resolve(require('./cli/evaluate')) },
  data: { summary: 'check a task sequence or benchmark and prepare (decode, resize, crop, cache) every image once', load: () => Promise.resolve(require('./cli/data')) },
};

function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'primed: retrieval-guided continual learning of medical vision-language models',
    '',
    'usage: primed <command> [options]   (primed <command> --help for its options)',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(width)}  ${v.summary}`),
    '',
    'environment: PRIMED_BACKEND=tensorflow|wasm|cpu forces a tensor backend.',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(helpText() + '\n');
    return name ? 0 : 1;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`primed: unknown command "${name}"\n\n${helpText()}\n`);
    return 2;
  }
  let mod: { command: CliCommand };
  try {
    mod = await entry.load();
  } catch (err) {
    process.stderr.write(`primed ${name}: this command is not available in this build (${(err as Error).message})\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${mod.command.summary}\n\nusage: ${mod.command.usage}\n`);
    return 0;
  }
  try {
    return await mod.command.run(rest);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e instanceof UsageError || e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`primed ${name}: ${redactSecrets(e.message)}\nusage: ${mod.command.usage}\n`);
      return 2;
    }
    // Messages may quote a URL the user typed: never print its credentials or keys.
    process.stderr.write(`primed ${name}: ${redactSecrets(e.message)}\n`);
    if (process.env.PRIMED_DEBUG) process.stderr.write(`${redactSecrets(e.stack ?? '')}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`primed: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
