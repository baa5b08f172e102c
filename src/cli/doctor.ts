import { parseArgs } from 'node:util';
import { doctor, describeBackend, formatCudaVersion, type BackendName } from '../backend';
import type { CliCommand } from './command';

/** `primed doctor [--json] [--backend NAME]`: the backend in use and what a faster one needs. */
export const command: CliCommand = {
  name: 'doctor',
  summary: 'show the tensor backend in use, versions, and what is missing for a faster one',
  usage: 'primed doctor [--json] [--backend torch|tensorflow|wasm|cpu] [--device cpu|cuda|cuda:N|mps] [--precision fp32|tf32]',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, backend: { type: 'string' }, device: { type: 'string' }, precision: { type: 'string' } },
    });
    const report = await doctor({
      backend: values.backend as BackendName | undefined,
      device: values.device,
      precision: values.precision as 'fp32' | 'tf32' | undefined,
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return 0;
    }
    const t = report.backend.torch;
    const lines = [
      `backend   ${describeBackend(report.backend)}`,
      ...(t
        ? [
            `libtorch  ${t.libtorch} (${String(t.build?.source ?? 'unknown build')}), addon ${t.addon}`,
            `device    ${t.device}${t.cuda ? ` of ${t.gpus} CUDA device(s), CUDA runtime ${formatCudaVersion(t.cudaVersion)}${deviceName(t.device)}` : ''}`,
            `threads   ${t.threads} intra-op`,
            `precision ${t.precision}${t.cuda ? '' : ' (TF32 applies to CUDA only)'}`,
          ]
        : [`torch     ${report.torchAddon.usable ? 'built, not in use' : `unavailable: ${report.torchAddon.problem}`}`]),
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

/** The GPU's name from nvidia-smi when it is there (libtorch's C++ API does not expose it without CUDA headers). */
function deviceName(device: string): string {
  try {
    const index = Number(device.split(':')[1] ?? 0);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const out = (require('node:child_process') as typeof import('node:child_process'))
      .execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader', `--id=${index}`], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
      .trim();
    return out ? `, ${out}` : '';
  } catch {
    return '';
  }
}
