import { parseArgs } from 'node:util';
import { doctor, describeBackend, type BackendName } from '../backend';
import type { CliCommand } from './command';

/** `primed doctor [--json] [--backend NAME]`: the backend in use and what a faster one needs. */
export const command: CliCommand = {
  name: 'doctor',
  summary: 'show the tensor backend in use, versions, and what is missing for a faster one',
  usage: 'primed doctor [--json] [--backend tensorflow|wasm|cpu]',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, backend: { type: 'string' } } });
    const report = await doctor({ backend: values.backend as BackendName | undefined });
    if (values.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return 0;
    }
    const lines = [
      `backend   ${describeBackend(report.backend)}`,
      `node      ${report.node}`,
      `tfjs      ${report.tfjs}`,
      `platform  ${report.platform}, ${report.cpus} cores`,
      'packages:',
      ...report.packages.map((p) => `  ${p.usable ? 'ok     ' : 'missing'} ${p.package}${p.version ? '@' + p.version : ''}${p.problem ? ' (' + p.problem + ')' : ''}`),
      ...(report.advice.length ? ['advice:', ...report.advice.map((a) => `  - ${a}`)] : []),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
