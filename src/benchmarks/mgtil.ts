/**
 * HieraMedTransfer (9 datasets) and MedXtreme (6) of the paper (primed-paper.md §5), built from
 * `mgtil-datasets.json` (copied from the project's dataset catalogue, shared/docs/mgtil-datasets.json,
 * which records sources, native layouts, class names, prompt names, templates and the
 * single-label rules). These datasets are not redistributable or too large to ship: the user
 * prepares each one under `<root>/<id>/` (see {@link expectedLayout}).
 */
import catalogue from './mgtil-datasets.json';
import type { BenchmarkSpec, TaskSpec } from './types';

/** One record of `mgtil-datasets.json` (the fields used here). */
export interface CatalogueEntry {
  /** Task id, also the folder name under the root. */
  id: string;
  /** Full name. */
  name: string;
  /** Name in the paper's tables. */
  paperName: string;
  /** `HieraMedTransfer` or `MedXtreme`. */
  benchmark: string;
  /** Position in Order I. */
  orderI: number;
  /** Domain with detail, e.g. `Fundus (glaucoma screening)`. */
  domain: string;
  /** Images the paper reports. */
  images: number;
  /** Native label spellings. */
  classes: string[];
  /** Class names for prompts. */
  promptNames: string[];
  /** Where the public dataset comes from. */
  source: string;
  /** Licence / access. */
  licence: string;
  /** Native layout. */
  layout: string;
  /** Prompt templates (first = training). */
  templates: string[];
  /** Multi-label to single-label rule, when any. */
  singleLabelRule?: string | null;
}

/** The catalogue records, validated at load (errors name the record and field). */
export const MGTIL_CATALOGUE: CatalogueEntry[] = (catalogue as unknown as CatalogueEntry[]).map((e, i) => {
  const where = `mgtil-datasets.json[${i}] (${e.id})`;
  for (const f of ['id', 'paperName', 'benchmark', 'domain', 'source'] as const) {
    if (typeof e[f] !== 'string' || !e[f]) throw new Error(`${where}: field '${f}' missing`);
  }
  if (!Array.isArray(e.classes) || e.classes.length !== e.promptNames?.length) throw new Error(`${where}: 'classes' and 'promptNames' must have the same length`);
  if (!Array.isArray(e.templates) || !e.templates.length || e.templates.some((t) => !t.includes('{}'))) throw new Error(`${where}: 'templates' must each hold '{}'`);
  return e;
});

/** Short domain for prompts and the siphon: the paper's domain column (`X-ray`, `pathology`, ...). */
export function shortDomain(domain: string): string {
  const head = domain.split('(')[0].trim();
  return head === 'X-ray' ? head : head.toLowerCase();
}

function toTask(e: CatalogueEntry): TaskSpec {
  return {
    id: e.id,
    paperName: e.paperName,
    title: e.name,
    domain: shortDomain(e.domain),
    classNames: e.promptNames,
    nativeLabels: e.classes,
    templates: e.templates,
    source: { kind: 'local', dir: e.id },
    origin: e.source,
    licence: e.licence,
    nativeLayout: e.layout,
    singleLabelRule: e.singleLabelRule ?? undefined,
    paperImages: e.images,
  };
}

function tasksOf(benchmark: string): TaskSpec[] {
  return MGTIL_CATALOGUE.filter((e) => e.benchmark === benchmark)
    .sort((a, b) => a.orderI - b.orderI)
    .map(toTask);
}

const LOCAL_DATA =
  'Each dataset is read from <root>/<id>/: either manifest.csv (or manifest.jsonl) with columns path,label[,split][,patient], ' +
  'or one folder per class; `primed benchmark info <name> --root DIR` lists what is missing.';

/** HieraMedTransfer: X-ray, then pathology, then fundus (Order I); alphabetical (Order II). */
export const hieraMedTransfer: BenchmarkSpec = {
  name: 'hieramedtransfer',
  title: 'HieraMedTransfer (9 datasets, 3 domains)',
  description: `Nine datasets from three domains (paper Table 5). ${LOCAL_DATA}`,
  tasks: tasksOf('HieraMedTransfer'),
  orders: {
    I: ['ranzcr', 'chexchonet', 'pd', 'breakhis', 'chaoyang', 'gashissdb', 'eyepacs', 'airogs', 'farfum_rop'],
    // Alphabetical by paper name: AIROGS, BreakHis, Chaoyang, CheXchoNet, EyePACS, FARFUM-RoP, NuCLS, PD, RANZCR.
    II: ['airogs', 'breakhis', 'chaoyang', 'chexchonet', 'eyepacs', 'farfum_rop', 'gashissdb', 'pd', 'ranzcr'],
  },
  data: 'local',
};

/** MedXtreme: alphabetical (Order I); AOD, NCT100K, PITVIS, ISIC2024, NIH-Chest-Xray, BMC (Order II, primed-decisions.md §6). */
export const medXtreme: BenchmarkSpec = {
  name: 'medxtreme',
  title: 'MedXtreme (6 datasets, large label spaces)',
  description: `Six hard datasets across six domains (paper Table 6). ${LOCAL_DATA}`,
  tasks: tasksOf('MedXtreme'),
  orders: {
    I: ['aod', 'bmc', 'isic2024', 'nct_crc_he_100k', 'nih_chestxray14', 'pitvis'],
    II: ['aod', 'nct_crc_he_100k', 'pitvis', 'isic2024', 'nih_chestxray14', 'bmc'],
  },
  data: 'local',
};
