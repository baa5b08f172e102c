import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from './command';
import { checkBenchmark, formatProblems, getBenchmark, listBenchmarks, loadTask, orderedTasks, resolveRoot } from '../benchmarks';
import type { TaskOrder } from '../benchmarks';

/** What `benchmark info --json` prints for one task. */
interface TaskInfo {
  position: number;
  id: string;
  paperName: string;
  domain: string;
  classes: string[];
  splits?: Record<string, number>;
}

/** `primed benchmark list` and `primed benchmark info <name> [--order I|II] [--root DIR] [--json]`. */
export const command: CliCommand = {
  name: 'benchmark',
  summary: 'describe a benchmark: tasks, domains, classes, split sizes, or what is missing',
  usage: 'primed benchmark list [--json] | primed benchmark info <name> [--order I|II] [--root DIR] [--seed N] [--json]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { order: { type: 'string' }, root: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } },
    });
    const [sub, name] = positionals;
    const out = (s: string) => process.stdout.write(s + '\n');
    if (sub === 'list') {
      const specs = listBenchmarks();
      if (values.json) out(JSON.stringify(specs.map((s) => ({ name: s.name, title: s.title, tasks: s.tasks.length, data: s.data })), null, 2));
      else for (const s of specs) out(`${s.name.padEnd(18)} ${s.tasks.length} tasks  ${s.title}${s.data === 'local' ? '  (needs --root)' : ''}`);
      return 0;
    }
    if (sub !== 'info') throw new UsageError(sub ? `unknown sub-command '${sub}' (list or info)` : 'give a sub-command: list or info');
    if (!name) throw new UsageError('benchmark info needs a benchmark name (see `primed benchmark list`)');
    const order = (values.order ?? 'I').toUpperCase();
    if (order !== 'I' && order !== 'II') throw new UsageError(`--order must be I or II, got '${values.order}'`);
    const seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got '${values.seed}'`);
    const spec = getBenchmark(name);
    const tasks = orderedTasks(spec, order as TaskOrder);
    let root: string | undefined;
    try {
      root = resolveRoot(spec, values.root);
    } catch {
      root = undefined;
    }
    const problems = root ? checkBenchmark(spec, root) : [];
    const bad = new Set(problems.map((p) => p.dataset));
    const infos: TaskInfo[] = tasks.map((t, i) => {
      const info: TaskInfo = { position: i + 1, id: t.id, paperName: t.paperName ?? t.title, domain: t.domain, classes: t.classNames };
      if (root && !bad.has(t.id)) {
        const ds = loadTask(t, { root, seed });
        info.splits = Object.fromEntries(ds.splitNames().map((s) => [s, ds.split(s).size]));
      }
      return info;
    });
    if (values.json) {
      out(JSON.stringify({ name: spec.name, title: spec.title, order, root: root ?? null, tasks: infos, problems }, null, 2));
      return problems.length || !root ? 1 : 0;
    }
    out(`${spec.title}, order ${order}${root ? `, root ${root}` : ''}`);
    for (const t of infos) {
      const sizes = t.splits ? Object.entries(t.splits).map(([s, n]) => `${s} ${n}`).join(' / ') : 'not on disk';
      out(`${String(t.position).padStart(2)}. ${t.id.padEnd(16)} ${t.domain.padEnd(18)} ${String(t.classes.length).padStart(2)} classes  ${sizes}`);
      out(`    ${t.classes.join(', ')}`);
    }
    if (!root) {
      out(`\nthis benchmark reads datasets you prepare: give --root DIR to check them (${spec.description})`);
      return 1;
    }
    if (problems.length) {
      out('\n' + formatProblems(spec, problems));
      return 1;
    }
    return 0;
  },
};
