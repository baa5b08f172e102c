/** Runs a CLI command in-process and captures what it prints (stdout; stderr too when asked). */
import type { CliCommand } from '../../src/cli/command';

/** Exit code and standard output of one `command.run(argv)`; stderr is kept or, with `quiet`, swallowed. */
export async function runCaptured(command: Pick<CliCommand, 'run'>, argv: string[], options: { quiet?: boolean } = {}): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  // Only strings are captured: under `node --test` the runner sends its reports to the parent as
  // binary chunks on this same stdout, and swallowing them would make tests vanish from the count.
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof s !== 'string') return (write as (...a: unknown[]) => boolean)(s, ...rest);
    chunks.push(s);
    return true;
  }) as typeof process.stdout.write;
  if (options.quiet) process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return { code: await command.run(argv), out: chunks.join('') };
  } finally {
    process.stdout.write = write;
    process.stderr.write = errWrite;
  }
}
