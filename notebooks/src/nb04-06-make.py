#!/usr/bin/env python3
"""Writes notebooks/04-ablations.ipynb, 05-siphon.ipynb and 06-backbones.ipynb (nbformat 4, tslab kernel).

    python3 notebooks/src/nb04-06-make.py

The cells are TypeScript for tslab (it compiles them with TypeScript 5.0.4). The notebooks are
committed without outputs; `bash notebooks/run.sh` executes them. The shared cells (set-up, the
paper-scale checks, the paper-vs-ours table helpers) are written once here and copied into each
notebook. The runs go through kernel-lib's `runJobs` (kernel-lib/runs.ts, the pool of worker
processes that notebooks 02/03 use too, one `evaluateMGTIL` run per core).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def code(text):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": text.strip("\n")}


def notebook(cells):
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "tslab", "display_name": "TypeScript", "language": "typescript"},
            "language_info": {"name": "typescript", "file_extension": ".ts", "mimetype": "text/typescript", "version": "5.0.4"},
        },
        "cells": [dict(c, id=f"c{i:02d}") for i, c in enumerate(cells)],
    }


# ---------------------------------------------------------------------------------------------
# Shared cells

CONFIG_DOC = """
**Paper scale** (`PRIMED_SCALE=paper`) reads one JSON file, `primed.paper.json` at the repo root (or the
file named by `PRIMED_PAPER_CONFIG`); `primed.paper.example.json` is a template. Its fields (no others are
accepted; relative paths are resolved against the file's folder; every configured path must exist):

* `datasets`: name → folder. Either `hieramedtransfer` and `medxtreme`, each a folder holding one
  sub-folder per dataset named by its id (`ranzcr/ chexchonet/ pd/ breakhis/ chaoyang/ gashissdb/ eyepacs/
  airogs/ farfum_rop/`; `aod/ bmc/ isic2024/ nct_crc_he_100k/ nih_chestxray14/ pitvis/`), or one entry per
  dataset id (the notebook links them into one root). Each dataset folder holds a `manifest.csv`
  (`path,label[,split][,patient]`) or class folders; `checkBenchmark` lists what is missing or malformed,
  dataset by dataset, with the expected layout.
* `checkpoints`: name → safetensors file (or a folder holding one). `biomedclip` is the backbone of
  notebooks 04 and 05 (loaded with `loadCheckpoint(path, { preset: 'biomedclip' })`); notebook 06 uses every
  entry (`clip-vit-b16` and any other name, see its last section).
* `memory`: the retrieval memory folder (a `manifest.json` from `primed memory build`) for `primed-dyn`,
  `primed-uni` and `zscl`. PRIMED embeds its retrieval queries with the backbone's own text tower, so the
  memory must have been embedded with that text tower (an embedder id `model:...`).
"""

def setup_cell(notebook_name, needs, extra_imports_kernel="", extra_imports_src=""):
    return code(f"""
import * as fs from 'fs';
import * as path from 'path';
import {{ setup, showFigure, showTable, showMarkdown, methodComparisonFigure, runJobs, defaultWorkers, type RunJob, type JobModel{extra_imports_kernel} }} from '../dist/kernel-lib';
import {{ paperTables, getBenchmark, checkBenchmark, formatProblems, loadMemory, readManifest, type MGTILResult, type Triple{extra_imports_src} }} from '../dist/src';
import {{ defaultRecipe }} from '../dist/src/recipes'; // not re-exported by the package index

const NOTEBOOK = '{notebook_name}';
const SCALE = (process.env.PRIMED_SCALE ?? 'mini') as 'mini' | 'paper';
const env = await setup({{ scale: SCALE, seed: 42, needs: {needs} }});

// The training budget: iterations per task. CI runs every notebook with PRIMED_NOTEBOOK_STEPS=4.
const STEPS = Number(process.env.PRIMED_NOTEBOOK_STEPS ?? (SCALE === 'paper' ? 1000 : 150));
if (!Number.isInteger(STEPS) || STEPS < 1) throw new Error(`PRIMED_NOTEBOOK_STEPS must be a positive integer, got ${{process.env.PRIMED_NOTEBOOK_STEPS}}`);
// Which configurations run: 'all', or 'core' (a subset that fits a CI smoke run; the default below 50 steps).
const PLAN = process.env.PRIMED_NOTEBOOK_PLAN ?? (STEPS >= 50 ? 'all' : 'core');
if (PLAN !== 'all' && PLAN !== 'core') throw new Error(`PRIMED_NOTEBOOK_PLAN must be all or core, got ${{PLAN}}`);
// Task orders (the paper's sequences I and II); Order I by default.
const ORDERS = (process.env.PRIMED_NOTEBOOK_ORDERS ?? 'I').split(',').map((s) => s.trim()).filter((s) => s !== '') as ('I' | 'II')[];
if (!ORDERS.length || ORDERS.some((o) => o !== 'I' && o !== 'II')) throw new Error(`PRIMED_NOTEBOOK_ORDERS must be I, II or I,II, got ${{process.env.PRIMED_NOTEBOOK_ORDERS}}`);
// Parallel runs: the wasm backend computes on one thread, so one worker process per core (at most 4).
const WORKERS = defaultWorkers();
const BENCHMARKS: string[] = SCALE === 'mini' ? ['mini-mgtil'] : ['hieramedtransfer', 'medxtreme'];
// Where the runs go (PRIMED_NOTEBOOK_RUNS overrides): shared with the other notebooks, one folder per run.
const RUNS = process.env.PRIMED_NOTEBOOK_RUNS ?? (SCALE === 'mini' ? '../runs/notebooks' : path.join(env.runsDir, 'notebooks'));
console.log(`training budget: ${{STEPS}} steps per task (PRIMED_NOTEBOOK_STEPS; the ${{SCALE}} recipe's own is ${{defaultRecipe(BENCHMARKS[0], SCALE).trainer.steps}})`);
console.log(`plan: ${{PLAN}} (PRIMED_NOTEBOOK_PLAN), orders: ${{ORDERS.join(', ')}} (PRIMED_NOTEBOOK_ORDERS), ${{WORKERS}} worker(s) (PRIMED_NOTEBOOK_WORKERS)`);
console.log(`benchmark(s): ${{BENCHMARKS.join(', ')}}; runs in ${{path.resolve(RUNS)}}`);
""")


HELPERS = r"""
// ---- paper scale: where the data, checkpoint and memory are; exactly what is missing ----

/** Dataset root of a paper benchmark: `datasets.<benchmark>` (a folder with one sub-folder per dataset),
 * or one `datasets.<dataset id>` entry per dataset, linked into one root under the runs folder. */
function benchmarkRoot(name: string): { root?: string; problems: string[] } {
  const spec = getBenchmark(name);
  const configured = env.config?.datasets ?? {};
  const dirOf = (t: (typeof spec.tasks)[number]) => (t.source.kind === 'local' ? t.source.dir : t.id);
  if (configured[spec.name]) return { root: configured[spec.name], problems: [] };
  const absent = spec.tasks.filter((t) => !configured[t.id]);
  if (absent.length === spec.tasks.length) {
    return { problems: [`datasets.${spec.name}: not configured (a folder holding ${spec.tasks.map((t) => dirOf(t) + '/').join(', ')}; or one datasets.<id> entry per dataset)`] };
  }
  if (absent.length) return { problems: absent.map((t) => `datasets.${t.id}: not configured (needed by ${spec.name})`) };
  const root = path.join(env.runsDir, 'dataset-roots', spec.name);
  fs.mkdirSync(root, { recursive: true });
  for (const t of spec.tasks) {
    const link = path.join(root, dirOf(t));
    if (fs.existsSync(link)) fs.rmSync(link, { recursive: false, force: true });
    fs.symlinkSync(configured[t.id], link, 'dir');
  }
  return { root: root, problems: [] };
}

const problems: string[] = [...env.missing];
const roots: Record<string, string> = {};
if (SCALE === 'paper') {
  for (const name of BENCHMARKS) {
    const spec = getBenchmark(name);
    const found = benchmarkRoot(name);
    problems.push(...found.problems);
    if (found.root && fs.existsSync(found.root)) {
      const bad = checkBenchmark(spec, found.root);
      if (bad.length) problems.push(formatProblems(spec, bad));
      else roots[name] = found.root;
    }
  }
  const memoryDir = env.config?.memory;
  if (memoryDir && fs.existsSync(memoryDir)) {
    try {
      const id = readManifest(memoryDir).embedder.id;
      if (!id.startsWith('model:')) {
        problems.push(`memory: ${memoryDir} was embedded with ${id}; PRIMED's retrieval embeds its queries with the backbone's own text tower, so build the memory with --embedder model:<the BiomedCLIP checkpoint>`);
      }
    } catch (err) {
      problems.push(`memory: ${(err as Error).message}`);
    }
  }
}
const READY = problems.length === 0;
if (SCALE === 'mini') console.log('mini scale: bundled data (mini-MGTIL) and the bundled mini model; nothing to check');
else if (READY) console.log('paper scale: every dataset, checkpoint and the memory are there');
else console.log(`MISSING for the paper-scale runs of this notebook (${problems.length}):\n${problems.map((p) => '  - ' + p.replace(/\n/g, '\n    ')).join('\n')}\nNothing below runs until these are fixed (see primed.paper.example.json at the repo root).`);

// ---- the runs: whole evaluateMGTIL runs on kernel-lib's worker pool, one per core ----

/** A model the worker builds: an untrained mini model (bundled tokenizer), or a checkpoint. */
type ModelSpec = JobModel;
/** One evaluateMGTIL run (kernel-lib's RunJob). `options` must be JSON (it crosses to a worker). */
type Job = RunJob;
/** Every run's result in this kernel, by job name. */
const results = new Map<string, MGTILResult>();

/** The paper-scale backbone and memory of a job (BiomedCLIP, the configured memory); nothing at mini scale. */
function paperParts(benchmark: string): Partial<Job> & { root?: string } {
  if (SCALE === 'mini') return {};
  return {
    model: { kind: 'checkpoint', path: env.config!.checkpoints.biomedclip, preset: 'biomedclip' },
    memory: env.config!.memory,
    root: roots[benchmark],
  };
}

/** The run directory of a job: `<RUNS>/[<benchmark>-]<stem>-<order>-s<steps>`. */
function runDirOf(stem: string, benchmark: string, order: 'I' | 'II'): string {
  const prefix = benchmark === 'mini-mgtil' ? '' : `${benchmark}-`;
  return path.join(RUNS, `${prefix}${stem}-${order}-s${STEPS}`);
}

/**
 * Runs `jobs` (those not run yet in this kernel) with kernel-lib's `runJobs`: complete runs are read
 * back, the others run on a pool of WORKERS worker processes; results land in `results` by job name.
 * A run directory holding a run of another configuration is left alone: the run goes to
 * `<runDir>-<notebook>` instead (printed as a note).
 */
async function runAll(jobs: Job[]): Promise<void> {
  await runJobs(jobs, { workers: WORKERS, progress: env.progress, tag: NOTEBOOK, results: results });
}

// ---- ours beside the paper's ----

type Kind = 'HMT' | 'MX';
/** The paper reports Transfer/Avg/Last on HieraMedTransfer and ACC/AUC/BWT on MedXtreme; mini-MGTIL stands in for both. */
const METRIC_NAMES: Record<Kind, string[]> = { HMT: ['Transfer', 'Avg', 'Last'], MX: ['ACC', 'AUC', 'BWT'] };
function kindsOf(benchmark: string): Kind[] {
  return benchmark === 'mini-mgtil' ? ['HMT', 'MX'] : benchmark === 'medxtreme' ? ['MX'] : ['HMT'];
}
function paperKey(kind: Kind, order: 'I' | 'II'): 'HMT-I' | 'HMT-II' | 'MX-I' | 'MX-II' {
  return `${kind}-${order}` as 'HMT-I' | 'HMT-II' | 'MX-I' | 'MX-II';
}
/** Our three numbers of a run for the paper's metric kind. */
function ours(r: MGTILResult | undefined, kind: Kind): (number | null)[] {
  const m = r?.metrics;
  const pick = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (!m) return [null, null, null];
  return kind === 'HMT' ? [pick(m.transfer), pick(m.avg), pick(m.last)] : [pick(m.acc), pick(m.auc), pick(m.bwt)];
}
/** Adds `<metric> ours` / `<metric> paper` column pairs to a table row. */
function sideBySide(row: Record<string, unknown>, kind: Kind, mine: (number | null)[], paper: Triple | null | undefined): Record<string, unknown> {
  METRIC_NAMES[kind].forEach((name, i) => {
    row[`${name} ours`] = mine[i];
    row[`${name} paper`] = paper ? paper[i] : null;
  });
  return row;
}
function sequenceLabel(benchmark: string, order: 'I' | 'II'): string {
  return benchmark === 'mini-mgtil' ? `mini-MGTIL Order ${order}` : `${getBenchmark(benchmark).name} Order ${order}`;
}
function caption(what: string, benchmark: string, order: 'I' | 'II', kind: Kind): string {
  const oursText = benchmark === 'mini-mgtil'
    ? `ours = mini-MGTIL Order ${order} (5-task CPU stand-in, bundled mini model, ${STEPS} steps/task)`
    : `ours = ${benchmark} Order ${order} (BiomedCLIP, ${STEPS} steps/task)`;
  const paperText = `paper = BiomedCLIP on ${kind === 'HMT' ? 'HieraMedTransfer' : 'MedXtreme'} Order ${order}`;
  return `${what}: ${oursText}; ${paperText}. The numbers are not expected to match.`;
}
const NOT_RUN = `not run (plan ${PLAN})`;
/** The run directory a job's result came from (its folder name), or why there is none. */
function runCell(job: Job): string {
  const r = results.get(job.name);
  return r ? path.basename(r.runDir) : NOT_RUN;
}
"""


# ---------------------------------------------------------------------------------------------
# 04-ablations

NB04 = [
    md("""
# 04 · Ablations: Tables 3/9 (modules) and Tables 4/10 (components and hyper-parameters)

The paper ablates PRIMED in two ways, on all four task sequences (HieraMedTransfer I/II, MedXtreme I/II):

* **Tables 3 / 9**: the three modules on and off: CKT (contrastive knowledge transfer from the
  previous-task teacher), CMC (cross-modality consistency on the retrieved pairs) and DFG (the
  Dynamic Fisher Weight Guard), six combinations.
* **Tables 4 / 10**: one component at a time, the rest at the default: the teacher (Initial / WISE(0.5) /
  Last), the KD loss (image-only / text-only / contrastive), α (0.5 / 1.0 / 1.5), β (0 / 0.25 / 0.5), the
  regulariser (l2 / EWC / DFG) and the retrieval (BM25 only / embedding only / hierarchical).

Every row is a configuration of the `primed-dyn` method (its `methodOptions`, or the `retrieval` option
of `evaluateMGTIL`); no code changes. Here it runs on **mini-MGTIL** (5 small tasks on the bundled data,
with the bundled CPU-sized mini model: a stand-in for both benchmarks) in Order I, and each table shows
**the paper's numbers beside ours**. The two are different experiments (different model, data, scale),
so only the *direction* of an effect can be compared, and at the CI budget (4 steps per task) not even that.

* `PRIMED_NOTEBOOK_STEPS` (default 150 = the mini recipe) sets the training budget, `PRIMED_NOTEBOOK_PLAN`
  = `all` (default from 50 steps) runs every row, `core` (default below 50 steps, as in CI) 4 of them:
  full PRIMED, CKT off, DFG off and BM25-only retrieval; `PRIMED_NOTEBOOK_ORDERS=I,II`
  adds Order II. The runs go to worker processes, one per core (`PRIMED_NOTEBOOK_WORKERS`).
* The full-PRIMED row is the same run as notebook 02's `primed-dyn` Order I (`../runs/notebooks/primed-dyn-I-s<steps>`),
  so whichever notebook runs first computes it and the other reads it back; every other row goes to
  `../runs/notebooks/ablation-<name>-I-s<steps>`. A run directory is resumed when it is there.
* `PRIMED_SCALE=paper` runs the same rows on HieraMedTransfer and MedXtreme with BiomedCLIP, reading the
  dataset roots, the checkpoint and the memory from `primed.paper.json` (see `primed.paper.example.json`).
"""),
    setup_cell("04-ablations", "{ checkpoints: ['biomedclip'], memory: true }"),
    md("""
## Shared plumbing

Paper-scale checks (the config's datasets, checkpoint and memory, and `checkBenchmark` on each
benchmark root: every missing piece is listed and nothing below runs without them), the runs
(kernel-lib's `runJobs`: whole `evaluateMGTIL` protocols on a pool of worker processes, one per
core), and the helpers that put our numbers beside the paper's.
""" + CONFIG_DOC),
    code(HELPERS),
    md("""
## The configurations

Each row of Tables 9 and 10 as `primed-dyn` options. Turning DFG off is `regularizer: 'none'`; β = 0
switches CMC off, so the Table 10 row "CMC β = 0" is the same computation as the Table 9 row
"CKT + DFG" (the paper prints the same numbers for both) and shares its run. The retrieval rows pass
`retrieval: { mode }` to `evaluateMGTIL` and record it in the method options too.
"""),
    code(r"""
/** One ablation: a name (its run directory) and the primed-dyn options. */
interface Ablation { name: string; methodOptions: Record<string, unknown>; retrieval?: { mode: 'bm25' | 'embedding' | 'hierarchical' } }
const DEFAULT_ABLATION: Ablation = { name: 'default', methodOptions: {} };
// The CI subset: full PRIMED, CKT off, DFG off, BM25-only retrieval.
const CORE_ABLATIONS = new Set(['default', 'cmc-dfg', 'ckt-cmc', 'rag-bm25']);

/** Table 9 row → options (the all-on row is the default). */
function moduleAblation(row: { ckt: boolean; cmc: boolean; dfg: boolean }): Ablation {
  if (row.ckt && row.cmc && row.dfg) return DEFAULT_ABLATION;
  const name = [row.ckt ? 'ckt' : '', row.cmc ? 'cmc' : '', row.dfg ? 'dfg' : ''].filter((s) => s !== '').join('-');
  return { name: name, methodOptions: { ckt: row.ckt, cmc: row.cmc, regularizer: row.dfg ? 'dfg' : 'none' } };
}
const CKT_DFG = moduleAblation({ ckt: true, cmc: false, dfg: true });

/** Table 10 (aspect, setting) → options; 'default' = the full model. */
const COMPONENT_ABLATIONS: Record<string, Record<string, Ablation>> = {
  'Teacher': {
    'Initial CLIP': { name: 'teacher-initial', methodOptions: { teacher: 'initial' } },
    'WISE(0.5)': { name: 'teacher-wise0.5', methodOptions: { teacher: 'wise:0.5' } },
    'Last CLIP': DEFAULT_ABLATION,
  },
  'KD loss': {
    'Image-only': { name: 'kd-image', methodOptions: { direction: 'image' } },
    'Text-only': { name: 'kd-text', methodOptions: { direction: 'text' } },
    'Contrastive': DEFAULT_ABLATION,
  },
  'CKT α': {
    '0.5': { name: 'alpha-0.5', methodOptions: { alpha: 0.5 } },
    '1.5': { name: 'alpha-1.5', methodOptions: { alpha: 1.5 } },
    '1.0': DEFAULT_ABLATION,
  },
  'CMC β': {
    '0.0': CKT_DFG,
    '0.5': { name: 'beta-0.5', methodOptions: { beta: 0.5 } },
    '0.25': DEFAULT_ABLATION,
  },
  'Reg.': {
    'l2': { name: 'reg-l2', methodOptions: { regularizer: 'l2' } },
    'EWC': { name: 'reg-ewc', methodOptions: { regularizer: 'ewc' } },
    'DFG': DEFAULT_ABLATION,
  },
  'RAG': {
    'BM25': { name: 'rag-bm25', methodOptions: { retrieval: { mode: 'bm25' } }, retrieval: { mode: 'bm25' } },
    'Embedding': { name: 'rag-embedding', methodOptions: { retrieval: { mode: 'embedding' } }, retrieval: { mode: 'embedding' } },
    'Hierarchical': DEFAULT_ABLATION,
  },
};
const DEFAULT_SETTING: Record<string, string> = { 'Teacher': 'Last CLIP', 'KD loss': 'Contrastive', 'CKT α': '1.0', 'CMC β': '0.25', 'Reg.': 'DFG', 'RAG': 'Hierarchical' };

/** Table 10's rows in the paper's order, each group ending with its default row. */
const fullRow = paperTables.table9.find((r) => r.ckt && r.cmc && r.dfg)!;
const componentRows: { aspect: string; setting: string; ablation: Ablation; paper: typeof fullRow }[] = [];
for (const aspect of [...new Set(paperTables.table10.map((r) => r.aspect))]) {
  const map = COMPONENT_ABLATIONS[aspect];
  if (!map) throw new Error(`paperTables.table10 has aspect "${aspect}", which this notebook does not map to options`);
  for (const r of paperTables.table10.filter((x) => x.aspect === aspect)) {
    if (!map[r.setting]) throw new Error(`paperTables.table10: no options for ${aspect} = ${r.setting}`);
    componentRows.push({ aspect: aspect, setting: r.setting, ablation: map[r.setting], paper: { ...fullRow, ...r } });
  }
  if (!paperTables.table10.some((x) => x.aspect === aspect && map[x.setting] === DEFAULT_ABLATION)) {
    componentRows.push({ aspect: aspect, setting: DEFAULT_SETTING[aspect], ablation: DEFAULT_ABLATION, paper: fullRow });
  }
}
const moduleRows = paperTables.table9.map((r) => ({ paper: r, ablation: moduleAblation(r) }));

function ablationJob(a: Ablation, benchmark: string, order: 'I' | 'II'): Job {
  const stem = a.name === 'default' ? 'primed-dyn' : `ablation-${a.name}`;
  const { root, ...backbone } = paperParts(benchmark);
  return {
    ...backbone,
    name: `${benchmark === 'mini-mgtil' ? '' : benchmark + '-'}${stem}-${order}`,
    options: {
      benchmark: benchmark,
      order: order,
      method: 'primed-dyn',
      ...(a.name === 'default' ? {} : { methodOptions: a.methodOptions }),
      recipe: { trainer: { steps: STEPS } },
      ...(a.retrieval ? { retrieval: a.retrieval } : {}),
      seed: env.seed,
      runDir: runDirOf(stem, benchmark, order),
      ...(root ? { root: root } : {}),
    },
  };
}
const isPlanned = (a: Ablation) => PLAN === 'all' || CORE_ABLATIONS.has(a.name);

const allAblations = [...new Map([...moduleRows.map((r) => r.ablation), ...componentRows.map((r) => r.ablation)].map((a) => [a.name, a])).values()];
showTable(allAblations.map((a) => ({
  name: a.name,
  'primed-dyn options': a.name === 'default' ? '(defaults: teacher last, ckt, cmc, α 1, β 0.25, DFG λ 1, contrastive KD, hierarchical retrieval)' : JSON.stringify(a.methodOptions),
  'run directory': path.basename(runDirOf(a.name === 'default' ? 'primed-dyn' : `ablation-${a.name}`, BENCHMARKS[0], ORDERS[0])),
  planned: isPlanned(a) ? 'yes' : NOT_RUN,
})), { caption: `${allAblations.length} distinct configurations; the plan runs ${allAblations.filter(isPlanned).length} of them per order and benchmark` });

if (!READY) console.log('skipped: the paper-scale data is missing (see the list above)');
else await runAll(BENCHMARKS.flatMap((b) => ORDERS.flatMap((o) => allAblations.filter(isPlanned).map((a) => ablationJob(a, b, o)))));
"""),
    md("""
## Tables 3 / 9: modules on and off

Each row switches CKT, CMC and DFG on (✓) or off; the last row is full PRIMED. The paper's Table 3
is HMT-I only; Table 9 adds the other three sequences, whose numbers are in `paperTables.table9`.
Below: our Transfer/Avg/Last beside the paper's HieraMedTransfer numbers, then our ACC/AUC/BWT beside
its MedXtreme numbers (mini-MGTIL stands in for both), and the change of each row against full PRIMED,
ours and the paper's, in one chart.
"""),
    code(r"""
const tick = (on: boolean) => (on ? '✓' : '');
function ablationResult(a: Ablation, benchmark: string, order: 'I' | 'II'): MGTILResult | undefined {
  return results.get(ablationJob(a, benchmark, order).name);
}
if (!READY) console.log('skipped: the paper-scale data is missing (see the list above)');
else for (const benchmark of BENCHMARKS) for (const order of ORDERS) {
  for (const kind of kindsOf(benchmark)) {
    showTable(moduleRows.map(({ paper, ablation }) => sideBySide(
      { CKT: tick(paper.ckt), CMC: tick(paper.cmc), DFG: tick(paper.dfg) },
      kind, ours(ablationResult(ablation, benchmark, order), kind), paper[paperKey(kind, order)],
    )).map((row, i) => ({ ...row, run: runCell(ablationJob(moduleRows[i].ablation, benchmark, order)) })),
    { decimals: 1, caption: caption(`Table 9 (modules), ${METRIC_NAMES[kind].join('/')}`, benchmark, order, kind) });
  }
  // The change against full PRIMED, for the rows that ran: ours vs the paper's (HMT-style metrics).
  const base = ours(ablationResult(DEFAULT_ABLATION, benchmark, order), 'HMT');
  const paperBase = fullRow[paperKey('HMT', order)];
  const ran = moduleRows.filter((r) => r.ablation !== DEFAULT_ABLATION && ablationResult(r.ablation, benchmark, order) && base[1] !== null);
  if (ran.length) {
    const label = (r: (typeof ran)[number]) => [r.paper.ckt ? 'CKT' : '', r.paper.cmc ? 'CMC' : '', r.paper.dfg ? 'DFG' : ''].filter((s) => s !== '').join('+');
    const delta = (r: (typeof ran)[number], i: number, which: 'ours' | 'paper') => {
      const v = which === 'ours' ? ours(ablationResult(r.ablation, benchmark, order), 'HMT')[i] : r.paper[paperKey('HMT', order)][i];
      const b = which === 'ours' ? base[i] : paperBase[i];
      return v !== null && b !== null ? v - b : 0;
    };
    await showFigure(methodComparisonFigure({
      title: `Table 9: change vs full PRIMED (${sequenceLabel(benchmark, order)} vs the paper's HMT-${order})`,
      categories: ran.map(label),
      methods: [
        { name: 'ours ΔAvg', values: ran.map((r) => delta(r, 1, 'ours')) },
        { name: 'ours ΔLast', values: ran.map((r) => delta(r, 2, 'ours')) },
        { name: 'paper ΔAvg', values: ran.map((r) => delta(r, 1, 'paper')) },
        { name: 'paper ΔLast', values: ran.map((r) => delta(r, 2, 'paper')) },
      ],
      valueLabel: 'change vs full PRIMED (points)',
    }));
  }
}
"""),
    md("""
## Tables 4 / 10: components and hyper-parameters

One aspect at a time, everything else at the default; the last row of each group is the default
(full PRIMED, the same run for every group). The paper's Table 4 is HMT-I; Table 10 has all four
sequences. Note the paper's own inconsistency for EWC, HMT-I Last: 82.1 in Table 10 vs 80.6 in Table 4e
(`paperTables` carries Table 10's).
"""),
    code(r"""
if (!READY) console.log('skipped: the paper-scale data is missing (see the list above)');
else for (const benchmark of BENCHMARKS) for (const order of ORDERS) {
  for (const kind of kindsOf(benchmark)) {
    showTable(componentRows.map(({ aspect, setting, ablation, paper }) => ({
      ...sideBySide({ aspect: aspect, setting: setting + (ablation === DEFAULT_ABLATION ? ' (default)' : '') }, kind, ours(ablationResult(ablation, benchmark, order), kind), paper[paperKey(kind, order)]),
      run: runCell(ablationJob(ablation, benchmark, order)),
    })), { decimals: 1, caption: caption(`Table 10 (components), ${METRIC_NAMES[kind].join('/')}`, benchmark, order, kind) });
  }
  const base = ours(ablationResult(DEFAULT_ABLATION, benchmark, order), 'HMT');
  const ran = componentRows.filter((r) => r.ablation !== DEFAULT_ABLATION && ablationResult(r.ablation, benchmark, order) && base[2] !== null);
  if (ran.length) {
    const paperBase = fullRow[paperKey('HMT', order)];
    await showFigure(methodComparisonFigure({
      title: `Table 10: change in Last vs full PRIMED (${sequenceLabel(benchmark, order)} vs the paper's HMT-${order})`,
      categories: ran.map((r) => `${r.aspect}: ${r.setting}`),
      methods: [
        { name: 'ours ΔLast', values: ran.map((r) => (ours(ablationResult(r.ablation, benchmark, order), 'HMT')[2] ?? 0) - (base[2] ?? 0)) },
        { name: 'paper ΔLast', values: ran.map((r) => (r.paper[paperKey('HMT', order)][2] ?? 0) - (paperBase[2] ?? 0)) },
      ],
      valueLabel: 'change in Last vs full PRIMED (points)',
    }));
  }
}
"""),
    md("""
## Reading the tables

* At the CI budget (`PRIMED_NOTEBOOK_STEPS=4`) the model barely moves from zero-shot: the rows differ by
  noise. Run with the default budget (150 steps/task, about 10 minutes per row on 2 cores, ~1.5 h for
  all 16 configurations with 2 workers) to see the effects; `PRIMED_NOTEBOOK_PLAN=all` runs every row at any budget.
* mini-MGTIL is 5 tasks of 28×28 MedMNIST images with a 2-layer mini CLIP: forgetting and transfer are
  much smaller and noisier than with BiomedCLIP on 9 real datasets, and one seed is run per row.
* Results stay in `../runs/notebooks/` (`result.json`, `matrix.csv` per run); re-running the notebook reads them back.
"""),
]


# ---------------------------------------------------------------------------------------------
# 05-siphon

NB05 = [
    md("""
# 05 · The Dynamic Siphon: Tables 11/12 (b:c grid) and Fig. 8 (retrieval size)

The Dynamic Siphon builds each task's reference set from three query bags: the **task bag** (the
earlier tasks' class prompts, top-*a* each), the **domain bag** (pool questions in domains already seen,
top-*b* each) and the **general bag** (*n* sampled questions from unseen domains, top-*c* each).

* **Table 11** (HieraMedTransfer) and **Table 12** (MedXtreme) vary the ratio b:c; the defaults are
  30:80 and 70:100 (*a* is not reported; this project sets it to *b*: 30 and 70).
* **Fig. 8** plots accuracy against the number of retrieved samples and shows where it saturates;
  its numbers are not recoverable from the paper, so only our curve is drawn.

**How the grid is scaled to mini-MGTIL.** The mini memory holds ~1,200 image–caption pairs (the
paper's PMC-based database has millions), so the mini recipe uses per-query counts a:b:c = 10:10:8 with
n = 20 general questions. The paper's b:c values are divided by 10 and rounded (80 → 8, so the
paper's c becomes the mini recipe's c; 30:80 → 3:8, 75 → 8), with *a* = the recipe's 10 and *n* = 20
throughout. The mini recipe's own default, 10:8, is an extra row. Fig. 8's curve scales a, b and c
together by 0.25×–4×. The `core` plan (the default below 50 steps, as in CI) runs the recipe default, the
paper's default row of Table 11 (3:8) and the 0.5× and 2× scalings; `PRIMED_NOTEBOOK_PLAN=all` runs
everything.

Each configuration's **reference-set size** is read from the reference-set cache
(`.cache/reference-sets/refset-<key>.json`, keyed by everything the set depends on); a run records the
keys it used (`referenceKeys`). Ours = mini-MGTIL Order I with the bundled mini model; the paper's
numbers (BiomedCLIP) are printed beside ours and are not expected to match.
"""),
    setup_cell("05-siphon", "{ checkpoints: ['biomedclip'], memory: true }", extra_imports_kernel=", retrievalSizeFigure", extra_imports_src=", cacheDir, stableStringify"),
    md("""
## Shared plumbing

Paper-scale checks, the runs (kernel-lib's `runJobs`: one `evaluateMGTIL` run per core), and the paper-vs-ours helpers.
""" + CONFIG_DOC),
    code(HELPERS),
    md("""
## The configurations

The b:c grids of Tables 11 and 12 mapped to siphon counts, and the proportional scalings of Fig. 8.
A configuration equal to the recipe's default is the default `primed-dyn` run (shared with notebooks
02 and 04); the others run in `../runs/notebooks/ablation-siphon-a<a>-b<b>-c<c>-I-s<steps>`.
"""),
    code(r"""
type Siphon = { a: number; b: number; c: number; n: number };
const sameSiphon = (x: Siphon, y: Siphon) => x.a === y.a && x.b === y.b && x.c === y.c && x.n === y.n;
/** Which benchmark each grid runs on: both on mini-MGTIL at mini scale; Table 11 on HieraMedTransfer and 12 on MedXtreme at paper scale. */
const GRID_BENCHMARK: Record<'table11' | 'table12', string> = SCALE === 'mini'
  ? { table11: 'mini-mgtil', table12: 'mini-mgtil' }
  : { table11: 'hieramedtransfer', table12: 'medxtreme' };
const PAPER_DEFAULT_BC: Record<'table11' | 'table12', string> = { table11: '30:80', table12: '70:100' };
const GRID_SCALE = SCALE === 'mini' ? 0.1 : 1;
const SIZE_FACTORS = PLAN === 'all' ? [0.25, 0.5, 1, 2, 4] : [0.5, 1, 2];
const CORE_GRID = new Set(['table11 30:80']);

function recipeSiphon(benchmark: string): Siphon {
  const s = defaultRecipe(benchmark, SCALE).siphon;
  return { a: s.a, b: s.b, c: s.c, n: s.n };
}
function siphonStem(benchmark: string, s: Siphon): string {
  const base = recipeSiphon(benchmark);
  return sameSiphon(s, base) ? 'primed-dyn' : `ablation-siphon-a${s.a}-b${s.b}-c${s.c}${s.n === base.n ? '' : `-n${s.n}`}`;
}
function siphonJob(benchmark: string, order: 'I' | 'II', s: Siphon): Job {
  const stem = siphonStem(benchmark, s);
  const { root, ...backbone } = paperParts(benchmark);
  const isDefault = stem === 'primed-dyn';
  return {
    ...backbone,
    name: `${benchmark === 'mini-mgtil' ? '' : benchmark + '-'}${stem}-${order}`,
    options: {
      benchmark: benchmark, order: order, method: 'primed-dyn',
      recipe: isDefault ? { trainer: { steps: STEPS } } : { trainer: { steps: STEPS }, siphon: s },
      seed: env.seed, runDir: runDirOf(stem, benchmark, order),
      ...(root ? { root: root } : {}),
    },
  };
}

/** A grid row: the paper's b:c, our counts, the paper's numbers, whether the plan runs it. */
interface GridRow { table: 'table11' | 'table12'; bc: string; siphon: Siphon; paper: { I: Triple; II: Triple } | null; planned: boolean; note: string }
function gridRows(table: 'table11' | 'table12'): GridRow[] {
  const benchmark = GRID_BENCHMARK[table];
  const base = recipeSiphon(benchmark);
  const rows: GridRow[] = Object.entries(paperTables[table]).map(([bc, paper]) => {
    const [b, c] = bc.split(':').map(Number);
    const siphon = { a: base.a, b: Math.round(b * GRID_SCALE), c: Math.round(c * GRID_SCALE), n: base.n };
    const note = bc === PAPER_DEFAULT_BC[table] ? "paper's default" : '';
    return { table: table, bc: bc, siphon: siphon, paper: paper, planned: PLAN === 'all' || CORE_GRID.has(`${table} ${bc}`), note: note };
  });
  if (!rows.some((r) => sameSiphon(r.siphon, base))) rows.push({ table: table, bc: '–', siphon: base, paper: null, planned: true, note: `the ${SCALE} recipe's default` });
  return rows;
}
const grids = { table11: gridRows('table11'), table12: gridRows('table12') };
const sizeCurve = BENCHMARKS.map((benchmark) => {
  const base = recipeSiphon(benchmark);
  const scaled = (f: number) => ({ a: Math.max(1, Math.round(base.a * f)), b: Math.max(1, Math.round(base.b * f)), c: Math.max(1, Math.round(base.c * f)), n: base.n });
  return { benchmark: benchmark, points: SIZE_FACTORS.map((f) => ({ factor: f, siphon: f === 1 ? base : scaled(f) })) };
});

const siphonJobs: Job[] = [];
for (const order of ORDERS) {
  for (const table of ['table11', 'table12'] as const) for (const r of grids[table]) if (r.planned) siphonJobs.push(siphonJob(GRID_BENCHMARK[table], order, r.siphon));
  for (const curve of sizeCurve) for (const p of curve.points) siphonJobs.push(siphonJob(curve.benchmark, order, p.siphon));
}
showTable([
  ...(['table11', 'table12'] as const).flatMap((table) => grids[table].map((r) => ({
    experiment: table === 'table11' ? 'Table 11' : 'Table 12', 'paper b:c': r.bc, 'ours a:b:c (n)': `${r.siphon.a}:${r.siphon.b}:${r.siphon.c} (${r.siphon.n})`, note: r.note,
    'run directory': path.basename(runDirOf(siphonStem(GRID_BENCHMARK[table], r.siphon), GRID_BENCHMARK[table], ORDERS[0])), planned: r.planned ? 'yes' : NOT_RUN,
  }))),
  ...sizeCurve.flatMap((curve) => curve.points.map((p) => ({
    experiment: 'Fig. 8', 'paper b:c': `×${p.factor}`, 'ours a:b:c (n)': `${p.siphon.a}:${p.siphon.b}:${p.siphon.c} (${p.siphon.n})`, note: p.factor === 1 ? 'recipe default' : '',
    'run directory': path.basename(runDirOf(siphonStem(curve.benchmark, p.siphon), curve.benchmark, ORDERS[0])), planned: 'yes',
  }))),
], { caption: `siphon configurations (${new Set(siphonJobs.map((j) => j.name)).size} distinct runs in this plan)` });

if (!READY) console.log('skipped: the paper-scale data is missing (see the list above)');
else await runAll(siphonJobs);
"""),
    md("""
## Reference-set sizes

What each configuration retrieved: the number of distinct memory entries in each task's reference
set, by bag over the whole sequence, and in all. This total is the x axis of Fig. 8 below.

Task 1 has no earlier task, so only the general bag feeds it, and its set is tiny: most general
questions are about modalities of which the mini memory holds captions but no images (CT, MRI,
dermoscopy...: the ROCO captions are text-only entries), and the visual rerank drops entries without an
image, since CKT and CMC need matched pairs. The sets grow as earlier tasks add task- and domain-bag queries.
"""),
    code(r"""
interface RefsetFile {
  key: string;
  parts: { memory: { embedder: string }; earlierTasks: { classNames: string[] }[]; options: { strategy: string; siphon: Record<string, number>; retrieval?: unknown }; seed: number };
  items: { row: number; bag: string }[];
}
const refsetDir = path.join(cacheDir(), 'reference-sets');
function allRefsets(): RefsetFile[] {
  if (!fs.existsSync(refsetDir)) return [];
  return fs.readdirSync(refsetDir).filter((f) => /^refset-.*\.json$/.test(f))
    .map((f) => ({ f: f, t: fs.statSync(path.join(refsetDir, f)).mtimeMs }))
    .sort((x, y) => y.t - x.t)
    .map((x) => JSON.parse(fs.readFileSync(path.join(refsetDir, x.f), 'utf8')) as RefsetFile);
}
/** The memory's embedder id: the reference sets of this memory carry it. */
const EMBEDDER_ID = SCALE === 'mini' ? (await loadMemory()).manifest.embedder.id : READY ? readManifest(env.config!.memory!).embedder.id : '';
/**
 * The reference set of each task of a run: by the key the run recorded, or, for a run read back
 * complete (it retrieves nothing then, so it records no key), by the inputs the key is a hash of.
 */
function referenceSetsOf(r: MGTILResult, benchmark: string, order: 'I' | 'II', siphon: Siphon): (RefsetFile | null)[] {
  const spec = getBenchmark(benchmark);
  const classNames = spec.orders[order].map((id) => spec.tasks.find((t) => t.id === id)!.classNames);
  const stored = allRefsets();
  return r.tasks.map((_, t) => {
    const key = r.referenceKeys[t];
    if (key) {
      const file = path.join(refsetDir, `refset-${key}.json`);
      if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as RefsetFile;
    }
    return stored.find((f) => f.parts.options.strategy === 'siphon' && f.parts.seed === r.seed && f.parts.memory.embedder === EMBEDDER_ID
      && stableStringify(f.parts.options.siphon) === stableStringify({ ...siphon, seed: r.seed })
      && stableStringify(f.parts.options.retrieval ?? {}) === stableStringify({})
      && f.parts.earlierTasks.length === t
      && f.parts.earlierTasks.every((e, i) => stableStringify(e.classNames) === stableStringify(classNames[i]))) ?? null;
  });
}
/** Sizes of a configuration's reference sets: per task, per bag, total (null when not found). */
function sizes(benchmark: string, order: 'I' | 'II', s: Siphon): { perTask: (number | null)[]; bags: Record<string, number>; total: number | null } | null {
  const r = results.get(siphonJob(benchmark, order, s).name);
  if (!r) return null;
  const sets = referenceSetsOf(r, benchmark, order, s);
  const bags: Record<string, number> = { task: 0, domain: 0, general: 0 };
  for (const set of sets) for (const it of set?.items ?? []) bags[it.bag] = (bags[it.bag] ?? 0) + 1;
  const perTask = sets.map((set) => (set ? set.items.length : null));
  return { perTask: perTask, bags: bags, total: perTask.some((n) => n === null) ? null : perTask.reduce((x: number, n) => x + (n ?? 0), 0) };
}

if (!READY) console.log('skipped: the paper-scale data is missing (see the list above)');
else for (const order of ORDERS) {
  const configs = new Map<string, { benchmark: string; siphon: Siphon; where: string[] }>();
  const add = (benchmark: string, s: Siphon, where: string) => {
    const k = `${benchmark} ${siphonStem(benchmark, s)}`;
    const c = configs.get(k) ?? { benchmark: benchmark, siphon: s, where: [] };
    c.where.push(where);
    configs.set(k, c);
  };
  for (const table of ['table11', 'table12'] as const) for (const r of grids[table]) if (r.planned) add(GRID_BENCHMARK[table], r.siphon, `${table === 'table11' ? 'T11' : 'T12'} ${r.bc}`);
  for (const curve of sizeCurve) for (const p of curve.points) add(curve.benchmark, p.siphon, `Fig. 8 ×${p.factor}`);
  showTable([...configs.values()].map((c) => {
    const z = sizes(c.benchmark, order, c.siphon);
    const row: Record<string, unknown> = { benchmark: c.benchmark, 'a:b:c': `${c.siphon.a}:${c.siphon.b}:${c.siphon.c}`, used: c.where.join(', ') };
    (z?.perTask ?? []).forEach((n, t) => { row[`task ${t + 1}`] = n; });
    row['task bag'] = z?.bags.task ?? null;
    row['domain bag'] = z?.bags.domain ?? null;
    row['general bag'] = z?.bags.general ?? null;
    row.total = z?.total ?? null;
    return row;
  }), { caption: `reference-set sizes (distinct memory entries), Order ${order}; from ${refsetDir}` });
}
"""),
    md("""
## Table 11: the b:c grid, HieraMedTransfer metrics (Transfer / Avg / Last)

Our rows beside the paper's Table 11 (HieraMedTransfer, BiomedCLIP); at mini scale both grids run on
mini-MGTIL, so our ACC/AUC/BWT for the same rows are shown too.
"""),
    code(r"""
function gridTable(table: 'table11' | 'table12', kind: Kind, order: 'I' | 'II'): void {
  const benchmark = GRID_BENCHMARK[table];
  showTable(grids[table].map((r) => {
    const z = r.planned ? sizes(benchmark, order, r.siphon) : null;
    return {
      ...sideBySide({ 'paper b:c': r.bc, 'ours a:b:c': `${r.siphon.a}:${r.siphon.b}:${r.siphon.c}`, note: r.note, 'refs (total)': z?.total ?? null },
        kind, ours(results.get(siphonJob(benchmark, order, r.siphon).name), kind), r.paper ? r.paper[order] : null),
      run: runCell(siphonJob(benchmark, order, r.siphon)),
    };
  }), { decimals: 1, caption: caption(`${table === 'table11' ? 'Table 11' : 'Table 12'} (siphon b:c), ${METRIC_NAMES[kind].join('/')}`, benchmark, order, table === 'table11' ? 'HMT' : 'MX') + (kind === (table === 'table11' ? 'HMT' : 'MX') ? '' : ' (the paper has no such column here: blank)') });
}
if (!READY) console.log('skipped: the paper-scale data is missing (see the list above)');
else for (const order of ORDERS) for (const kind of kindsOf(GRID_BENCHMARK.table11)) {
  if (kind === 'HMT') gridTable('table11', kind, order);
  else showTable(grids.table11.map((r) => sideBySide({ 'paper b:c': r.bc, 'ours a:b:c': `${r.siphon.a}:${r.siphon.b}:${r.siphon.c}` }, kind, ours(results.get(siphonJob(GRID_BENCHMARK.table11, order, r.siphon).name), kind), null)),
    { decimals: 1, caption: `Table 11 rows, our ACC/AUC/BWT on ${sequenceLabel(GRID_BENCHMARK.table11, order)} (the paper reports Table 11 as Transfer/Avg/Last only)` });
}
"""),
    md("""
## Table 12: the b:c grid, MedXtreme metrics (ACC / AUC / BWT)

The paper's Table 12 grid (default 70:100) beside ours, with ACC = mean accuracy after the last task,
AUC = mean macro one-vs-rest ROC-AUC of the final model, BWT = backward transfer (Lopez-Paz).
"""),
    code(r"""
if (!READY) console.log('skipped: the paper-scale data is missing (see the list above)');
else for (const order of ORDERS) gridTable('table12', 'MX', order);
"""),
    md("""
## Fig. 8: accuracy vs retrieved reference-set size

The proportional scalings of the recipe's a:b:c (0.25×–4×; the dashed line is the recipe's default):
Transfer, Avg and Last against the total number of retrieved entries over the sequence. The paper's
Fig. 8 locates a saturation point on the real benchmarks; its values are not printed in the paper, so
there is nothing of the paper's to draw beside ours.
"""),
    code(r"""
if (!READY) console.log('skipped: the paper-scale data is missing (see the list above)');
else for (const order of ORDERS) for (const curve of sizeCurve) {
  const pts = curve.points.map((p) => ({ p: p, z: sizes(curve.benchmark, order, p.siphon), r: results.get(siphonJob(curve.benchmark, order, p.siphon).name) }))
    .filter((x) => x.z?.total !== null && x.z?.total !== undefined && x.r?.metrics)
    .sort((x, y) => x.z!.total! - y.z!.total!);
  if (pts.length < 2) { console.log(`Fig. 8 (${sequenceLabel(curve.benchmark, order)}): fewer than 2 points with a known reference-set size`); continue; }
  const metricNames = kindsOf(curve.benchmark).includes('HMT') ? ['Transfer', 'Avg', 'Last'] : ['ACC'];
  const value = (r: MGTILResult, name: string): number => { const m = r.metrics!; return ({ Transfer: m.transfer ?? 0, Avg: m.avg, Last: m.last, ACC: m.acc } as Record<string, number>)[name]; };
  const chosen = pts.find((x) => x.p.factor === 1)?.z?.total ?? undefined;
  await showFigure(retrievalSizeFigure({
    title: `Fig. 8: accuracy vs retrieved reference-set size (${sequenceLabel(curve.benchmark, order)}, ${STEPS} steps/task)`,
    series: metricNames.map((name) => ({ name: name, x: pts.map((x) => x.z!.total!), y: pts.map((x) => value(x.r!, name)) })),
    valueLabel: 'accuracy metric (%)',
    ...(chosen !== undefined ? { chosen: chosen } : {}),
  }));
  showTable(pts.map((x) => ({ scale: `×${x.p.factor}`, 'a:b:c': `${x.p.siphon.a}:${x.p.siphon.b}:${x.p.siphon.c}`, 'retrieved (total)': x.z!.total!, ...Object.fromEntries(metricNames.map((n) => [n, value(x.r!, n)])) })),
    { decimals: 1, caption: `Fig. 8 data, ${sequenceLabel(curve.benchmark, order)}` });
}
"""),
    md("""
## Reading the results

* At the CI budget (4 steps per task) the model hardly trains and the distillation terms have little to
  act on: differences between rows are noise. Run with the default budget (150 steps/task) and
  `PRIMED_NOTEBOOK_PLAN=all` for the whole grid (~20 runs, ~10 min each on one core).
* The mini memory saturates early: beyond a few tens of entries per query the same captions come back
  (the de-duplication keeps 2 images per caption), so the total grows sub-linearly with the counts.
* At paper scale Table 11 runs on HieraMedTransfer with a = 30 and Table 12 on MedXtreme with a = 70,
  with the paper's b:c values unscaled.
"""),
]


# ---------------------------------------------------------------------------------------------
# 06-backbones

NB06 = [
    md("""
# 06 · Other backbones: Table 13 and the zero-shot radar of Fig. 9

The paper repeats its comparison with other CLIP backbones (Table 13: MMKD-CLIP, UniMed-CLIP and
OpenAI CLIP; BiomedCLIP is the main tables') and draws their zero-shot accuracy on all 15 datasets in a
radar chart (Fig. 9, which adds BMC-CLIP). This notebook does the same for the backbones *you have*:

* **mini scale**: the bundled **mini** model (CLIP-pretrained on the mini corpus; it stands in for
  BiomedCLIP) and, as a **control, not a paper backbone**, the same architecture and tokenizer with
  random weights (no pretraining): it shows what the pretraining contributes, in zero-shot accuracy
  and in how much each continual-learning method keeps. The control's memory is re-embedded with its own
  text tower (retrieval must use the backbone's embedding space), so its retrieval is near random too.
* **paper scale**: every checkpoint listed under `checkpoints` in `primed.paper.json`; what is supported
  is at the end of this notebook.

Table-13-style runs: `finetune`, `wise-ft`, `zscl` and `primed-dyn` (`core` plan, the CI default below
50 steps: `finetune` and `primed-dyn`), Order I, at the notebook's budget. The mini backbone's runs are the
same runs as notebook 02's (`../runs/notebooks/<method>-I-s<steps>`); the control's go to
`../runs/notebooks/backbone-random-<method>-I-s<steps>`. The paper's numbers are printed beside ours
and are not expected to match (different models, data and scale).
"""),
    setup_cell("06-backbones", "{ memory: false }", extra_imports_kernel=", radarFigure",
               extra_imports_src=", loadMiniModel, miniZeroShot, createModel, loadCheckpoint, loadBenchmarkTasks, classify, modelIdentity, type ModelPreset, type DualEncoderLike"),
    md("""
## Shared plumbing

Paper-scale checks, the runs (kernel-lib's `runJobs`: one `evaluateMGTIL` run per core), and the paper-vs-ours helpers.
""" + CONFIG_DOC),
    code(HELPERS),
    md("""
## The backbones and their zero-shot accuracy (Fig. 9)

Each backbone's zero-shot accuracy on every task's test split (task-incremental: the argmax runs over
the task's own classes), drawn as a radar like Fig. 9, with chance level (100 / number of classes) for
reference. A model that always answers the same class scores that class's share of the test set, which
can be well above chance (BreastMNIST's test split is 73% "normal or benign"): that is how the untrained
control reaches the pretrained model's level on BreastMNIST. The paper's Fig. 9
values are not printed in the paper except BiomedCLIP's on the HieraMedTransfer datasets (the
zero-shot row of Table 7), shown below ours.
"""),
    code(r"""
/** A backbone: how a worker builds it, its label, and its row in the paper's tables. */
interface Backbone { name: string; label: string; model?: ModelSpec; paper: string | null; memoryMethods: boolean; note: string }
const CONTROL_SEED = 42;
const PAPER_BACKBONE: Record<string, string> = { biomedclip: 'BiomedCLIP', mmkdclip: 'MMKD-CLIP', unimedclip: 'UniMed-CLIP', clipvitb16: 'OpenAI CLIP', openaiclip: 'OpenAI CLIP', bmcclip: 'BMC-CLIP' };
const SUPPORTED_PRESETS = ['biomedclip', 'clip-vit-b16'];

/** Opens a configured checkpoint: with its own preset when its name is one, else trying both layouts. */
async function openCheckpoint(name: string, file: string): Promise<{ model?: DualEncoderLike; preset?: string; error?: string }> {
  const presets = SUPPORTED_PRESETS.includes(name) ? [name] : SUPPORTED_PRESETS;
  const errors: string[] = [];
  for (const preset of presets) {
    try {
      return { model: await loadCheckpoint(file, { preset: preset }), preset: preset };
    } catch (err) {
      errors.push(`as ${preset}: ${(err as Error).message.split('\n').slice(0, 4).join(' ')}`);
    }
  }
  return { error: errors.join('\n') };
}

const backbones: Backbone[] = [];
const zeroShot = new Map<string, { axes: string[]; values: number[]; chance: number[] }>();
if (SCALE === 'mini') {
  backbones.push({ name: 'mini', label: 'mini (bundled, pretrained)', paper: 'BiomedCLIP', memoryMethods: true, note: "stands in for BiomedCLIP (the paper's main backbone)" });
  backbones.push({ name: 'random', label: 'mini, random init (control)', model: { kind: 'random', seed: CONTROL_SEED }, paper: null, memoryMethods: true, note: 'control: same architecture and tokenizer, untrained; not a paper backbone' });
  const pretrained = await loadMiniModel();
  const control = createModel(pretrained.preset as unknown as ModelPreset, { seed: CONTROL_SEED, tokenizer: pretrained.tokenizer });
  for (const [b, model] of [[backbones[0], pretrained], [backbones[1], control]] as const) {
    const zs = await miniZeroShot(model);
    zeroShot.set(b.name, { axes: zs.map((z) => z.task), values: zs.map((z) => z.accuracy), chance: zs.map((z) => z.chance) });
    console.log(`${b.label}: weights ${modelIdentity(model)}`);
  }
  await loadMemory(undefined, { model: control }); // the control's memory, embedded with its own text tower (built once here)
  pretrained.dispose();
  control.dispose();
} else if (READY || env.config) {
  const tasks = READY ? BENCHMARKS.flatMap((b) => loadBenchmarkTasks(b, { order: 'I', root: roots[b] })) : [];
  for (const [name, file] of Object.entries(env.config?.checkpoints ?? {})) {
    const key = name.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (!fs.existsSync(file)) { console.log(`${name}: ${file} does not exist; skipped`); continue; }
    const opened = await openCheckpoint(name, file);
    if (!opened.model) { console.log(`${name}: not loadable with either supported layout; skipped\n${opened.error}`); continue; }
    const memoryDir = env.config?.memory;
    const hasMemory = memoryDir !== undefined && fs.existsSync(memoryDir);
    const memoryMethods = hasMemory && (name === 'biomedclip' || readManifest(memoryDir!).embedder.id === `model:${path.resolve(file)}`);
    backbones.push({ name: name, label: `${name} (${opened.preset} layout)`, model: { kind: 'checkpoint', path: file, preset: opened.preset! }, paper: PAPER_BACKBONE[key] ?? null, memoryMethods: memoryMethods,
      note: memoryMethods ? '' : hasMemory ? 'zscl and primed-dyn skipped: the memory was not embedded with this backbone' : 'zscl and primed-dyn skipped: no memory configured' });
    if (tasks.length) {
      const values: number[] = [];
      for (const t of tasks) values.push((await classify(opened.model, t)).accuracy);
      zeroShot.set(name, { axes: tasks.map((t) => t.name), values: values, chance: tasks.map((t) => 100 / t.classNames.length) });
    }
    opened.model.dispose();
  }
}
showTable(backbones.map((b) => ({ backbone: b.label, 'paper name': b.paper ?? '—', note: b.note })), { caption: 'backbones' });

const zsNames = [...zeroShot.keys()];
if (zsNames.length) {
  const axes = zeroShot.get(zsNames[0])!.axes;
  const label = (n: string) => backbones.find((b) => b.name === n)?.label ?? n;
  await showFigure(radarFigure({
    title: `Fig. 9 (ours): zero-shot accuracy per dataset, ${SCALE === 'mini' ? 'mini-MGTIL' : 'HieraMedTransfer + MedXtreme'}`,
    axes: axes,
    series: [...zsNames.map((n) => ({ name: label(n), values: zeroShot.get(n)!.values })), { name: 'chance', values: zeroShot.get(zsNames[0])!.chance }],
  }));
  showTable(axes.map((a, i) => ({ dataset: a, ...Object.fromEntries(zsNames.map((n) => [label(n), zeroShot.get(n)!.values[i]])), chance: zeroShot.get(zsNames[0])!.chance[i] })),
    { decimals: 1, caption: 'zero-shot accuracy (%) per dataset (the radar above)' });
} else console.log('no backbone to evaluate (see the list above)');
const t7 = paperTables.table7;
showTable([{ backbone: 'BiomedCLIP (paper, Table 7 zero-shot row)', ...Object.fromEntries(t7.columns.map((c, i) => [c, t7.zeroShot[i]])) }],
  { decimals: 2, caption: "the paper's Fig. 9 values it prints: BiomedCLIP zero-shot on the HieraMedTransfer datasets (MedXtreme: only the mean, ACC 9.9); MMKD-CLIP, BMC-CLIP, UniMed-CLIP and CLIP are in the figure only" });
"""),
    md("""
## Table 13: continual learning with each backbone

`finetune` (Continual FT), `wise-ft` (WiSE-FT), `zscl` (ZSCL) and `primed-dyn` (PRIMED_dyn) with each
backbone, Order I. The paper's Table 13 has no BiomedCLIP block (BiomedCLIP is Tables 1/2), so our mini
rows are shown beside the paper's **BiomedCLIP** numbers from Tables 1/2, and the control has no paper
counterpart. The paper's Table 13 itself (MMKD-CLIP, UniMed-CLIP, OpenAI CLIP) follows.
"""),
    code(r"""
const METHODS13 = ['finetune', 'wise-ft', 'zscl', 'primed-dyn'];
const CORE13 = new Set(['finetune', 'primed-dyn']);
const PAPER_METHOD: Record<string, string> = { finetune: 'Continual FT', 'wise-ft': 'WiSE-FT', zscl: 'ZSCL', 'primed-dyn': 'PRIMED_dyn' };
const MEMORY_METHODS = new Set(['zscl', 'primed-dyn']);
const planned13 = (b: Backbone, m: string) => (PLAN === 'all' || CORE13.has(m)) && (b.memoryMethods || !MEMORY_METHODS.has(m));

function backboneJob(b: Backbone, method: string, benchmark: string, order: 'I' | 'II'): Job {
  const stem = SCALE === 'mini' && b.name === 'mini' ? method : `backbone-${b.name.replace(/[^a-zA-Z0-9.-]/g, '_')}-${method}`;
  const root = roots[benchmark];
  return {
    name: `${benchmark === 'mini-mgtil' ? '' : benchmark + '-'}${stem}-${order}`,
    options: { benchmark: benchmark, order: order, method: method, recipe: { trainer: { steps: STEPS } }, seed: env.seed, runDir: runDirOf(stem, benchmark, order), ...(root ? { root: root } : {}) },
    ...(b.model ? { model: b.model } : {}),
    ...(SCALE === 'paper' && MEMORY_METHODS.has(method) ? { memory: env.config!.memory } : {}),
  };
}

/** Paper numbers for a backbone row: Table 13 for its three backbones, Tables 1/2 for BiomedCLIP. */
function paperBackbone(b: Backbone, method: string, kind: Kind, order: 'I' | 'II'): Triple | null {
  if (!b.paper) return null;
  const row = PAPER_METHOD[method];
  if (b.paper === 'BiomedCLIP') return (kind === 'HMT' ? paperTables.table1 : paperTables.table2)[row]?.[order] ?? null;
  return paperTables.table13[b.paper]?.[row]?.[paperKey(kind, order)] ?? null;
}

if (!READY) console.log('skipped: the paper-scale data is missing (see the list above)');
else {
  await runAll(BENCHMARKS.flatMap((bm) => ORDERS.flatMap((o) => backbones.flatMap((b) => METHODS13.filter((m) => planned13(b, m)).map((m) => backboneJob(b, m, bm, o))))));
  for (const benchmark of BENCHMARKS) for (const order of ORDERS) {
    for (const kind of kindsOf(benchmark)) {
      showTable(backbones.flatMap((b) => METHODS13.map((m) => ({
        ...sideBySide({ backbone: b.label, method: PAPER_METHOD[m], 'paper backbone': b.paper ?? '—' }, kind, ours(results.get(backboneJob(b, m, benchmark, order).name), kind), paperBackbone(b, m, kind, order)),
        run: planned13(b, m) || b.memoryMethods ? runCell(backboneJob(b, m, benchmark, order)) : 'skipped (no memory for this backbone)',
      }))), { decimals: 1, caption: caption(`Table 13 style, ${METRIC_NAMES[kind].join('/')}`, benchmark, order, kind).replace('paper = BiomedCLIP on', 'paper = the named backbone on') });
    }
    const ran = METHODS13.filter((m) => backbones.every((b) => results.get(backboneJob(b, m, benchmark, order).name)?.metrics));
    if (ran.length) {
      await showFigure(methodComparisonFigure({
        title: `Avg and Last per backbone (${sequenceLabel(benchmark, order)}, ${STEPS} steps/task)`,
        categories: ran.map((m) => PAPER_METHOD[m]),
        methods: backbones.flatMap((b) => (['avg', 'last'] as const).map((k) => ({
          name: `${b.label}: ${k === 'avg' ? 'Avg' : 'Last'}`,
          values: ran.map((m) => results.get(backboneJob(b, m, benchmark, order).name)!.metrics![k]),
        }))),
      }));
    }
  }
}

// The paper's Table 13 as printed (T/A/L for HieraMedTransfer, ACC/AUC/BWT for MedXtreme).
const fmt3 = (t: Triple) => t.map((v) => (v === null ? '–' : v.toFixed(1))).join(' / ');
showTable(Object.entries(paperTables.table13).flatMap(([backbone, methods]) => Object.entries(methods).map(([method, seq]) => ({
  backbone: backbone, method: method, 'HMT-I T/A/L': fmt3(seq['HMT-I']), 'HMT-II T/A/L': fmt3(seq['HMT-II']), 'MX-I ACC/AUC/BWT': fmt3(seq['MX-I']), 'MX-II ACC/AUC/BWT': fmt3(seq['MX-II']),
}))), { caption: "the paper's Table 13 (other backbones; BiomedCLIP is Tables 1/2). GIFT is not implemented here." });
"""),
    md("""
## Which checkpoints work at paper scale

`primed.paper.json` lists checkpoints by name (`"checkpoints": { "<name>": "<path>" }`). The library loads
**safetensors** (a `.bin`/`.pt` pickle is refused, with the one-line conversion command) in **two layouts**:

* `clip-vit-b16`: OpenAI CLIP ViT-B/16 (open_clip's `ViT-B-16` names: `visual.class_embedding`,
  `visual.transformer.resblocks.*`, `token_embedding`, ...), 224 px, CLIP BPE tokenizer, context 77.
* `biomedclip`: BiomedCLIP (open_clip `hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224`:
  a timm ViT-B/16 trunk `visual.trunk.*` and a Hugging Face PubMedBERT text tower `text.transformer.*`),
  224 px, context 256.

A checkpoint named `biomedclip` or `clip-vit-b16` is loaded with that preset; any other name is tried
with both, and the first that matches every tensor name and shape is used. So **MMKD-CLIP, UniMed-CLIP
or BMC-CLIP work only if their open_clip export has exactly one of these layouts and sizes** (ViT-B/16,
the same text tower width, depth and context). What is **not** supported: other vision sizes (ViT-L/14,
ViT-B/32, ConvNeXt), a mixed layout (an open_clip native ViT with a Hugging Face text tower, as some
medical CLIPs use), other text towers or tokenizers, and pickled checkpoints; `loadCheckpoint` then lists
every missing, unexpected or mis-shaped tensor (shown above when a configured checkpoint fails).

`zscl` and `primed-dyn` retrieve from the configured memory with the backbone's own text tower, so they
run for a backbone only when the memory was built with it (`primed memory build ... --embedder
model:<that checkpoint>`; the memory is assumed to be BiomedCLIP's); other backbones run `finetune` and
`wise-ft` only.
"""),
]


EXAMPLE_CONFIG = {
    "datasets": {
        "hieramedtransfer": "/data/mgtil/hieramedtransfer",
        "medxtreme": "/data/mgtil/medxtreme",
    },
    "checkpoints": {
        "biomedclip": "/models/biomedclip/open_clip_model.safetensors",
        "clip-vit-b16": "/models/openai-clip-vit-b16/ViT-B-16.safetensors",
    },
    "memory": "/data/pmc-memory-biomedclip",
}


def main():
    for name, cells in (("04-ablations", NB04), ("05-siphon", NB05), ("06-backbones", NB06)):
        path = os.path.join(OUT, f"{name}.ipynb")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(notebook(cells), f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("wrote", path)


if __name__ == "__main__":
    main()
