/** The shape every `primed` sub-command module exports as `command`. */
export interface CliCommand {
  /** Sub-command name, e.g. `doctor`. */
  name: string;
  /** One line for `primed --help`. */
  summary: string;
  /** Full usage text for `primed <name> --help`. */
  usage: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** An error whose message is shown to the user as is (no stack), with exit code 2. */
export class UsageError extends Error {
  /** Creates a usage error. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
