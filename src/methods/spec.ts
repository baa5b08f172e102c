/**
 * What a method is, in one object: its name and how results show it, what it needs from the
 * experiment, how it adapts to a recipe, its options with their defaults and checks, and its
 * factory. Each method file exports its spec(s) made with {@link defineMethod}; the registry
 * (`./index.ts`) finds them, and the CLI, the experiment calls, the run pool, the figures and the
 * notebooks read them from there.
 */
import type { AnyMemory } from '../memory/reference-set';
import type { ContinualMethod } from './types';
import { resolveMethodOptions, type OptionCheck } from './options';

/**
 * The reference set a method distils on, which the experiment (`evaluateMGTIL`, `distill`)
 * retrieves from the memory for each task: `siphon` (the Dynamic Siphon over the earlier tasks),
 * `uniform` (uniform over the memory) or `none` (the method uses no memory).
 */
export type ReferenceSetNeed = 'siphon' | 'uniform' | 'none';

/** What a method may adapt its options to: the run's recipe, seed and memory. */
export interface MethodExperiment {
  /** Training steps per task of the run's recipe. */
  steps: number;
  /** Run seed. */
  seed: number;
  /** The memory the run retrieves from (given to methods whose reference set is not `none`). */
  memory?: AnyMemory;
}

/** The fields a method file writes; `defineMethod` (src/methods/spec.ts) turns them into a {@link MethodSpec}. */
export interface MethodSpecInit<O extends object> {
  /** Name, as `createMethod`, `--method` and `result.json` spell it, e.g. `primed-dyn`. */
  name: string;
  /** Display label in figures, tables and notebooks, e.g. `PRIMED_dyn`. */
  label: string;
  /** One line: what the method does and where it comes from. */
  summary: string;
  /** Position in tables and figures (ascending); the registry is sorted by it. */
  order: number;
  /** Row name in the paper's Tables 1/2 (`paperTables.table1/table2`); null when the paper has no such row. */
  paperRow: string | null;
  /** Row name in the paper's per-dataset Tables 7/8; default {@link MethodSpecInit.paperRow}. */
  paperPerDatasetRow?: string | null;
  /** Its colour in every figure (hex). */
  color: string;
  /** Other names figures and tables may give it (so they find its colour), e.g. `ContFT`. */
  otherLabels?: readonly string[];
  /** The reference set it distils on (the experiment retrieves it and passes it as option `referenceSet`). */
  referenceSet: ReferenceSetNeed;
  /** Cost of a run relative to fine-tuning (the run pool starts the dearest jobs first). */
  relativeCost: number;
  /** Set for a second name of another method (`primed` for `primed-dyn`): not listed in results or `--method` help. */
  aliasOf?: string;
  /**
   * True for a method that trains through an `AttentionExtension` (prefixes, adapters): it needs a
   * model with `extend()` (every `DualEncoder`; not the linear fakes of the tests). Default false.
   */
  needsModelExtension?: boolean;
  /** Every option with its default (`undefined` for one without default). */
  defaults: O;
  /** A check per option. */
  checks: { [K in keyof O]: OptionCheck };
  /**
   * Options derived from the run (e.g. ZSCL's ensemble interval from the steps per task): returns
   * `options` with what the user left unset filled in. Default: unchanged.
   */
  adaptToRecipe?: (options: Record<string, unknown>, experiment: MethodExperiment) => Record<string, unknown>;
  /** Makes the method from resolved options (defaults filled in, every value checked). */
  build: (options: O, name: string) => ContinualMethod;
}

/** A continual-learning method, as the registry lists it. */
export interface MethodSpec {
  /** Name, as `createMethod`, `--method` and `result.json` spell it, e.g. `primed-dyn`. */
  readonly name: string;
  /** Display label in figures, tables and notebooks, e.g. `PRIMED_dyn`. */
  readonly label: string;
  /** One line: what the method does and where it comes from. */
  readonly summary: string;
  /** Position in tables and figures (ascending). */
  readonly order: number;
  /** Row name in the paper's Tables 1/2; null when the paper has no such row. */
  readonly paperRow: string | null;
  /** Row name in the paper's per-dataset Tables 7/8; null when the paper has no such row. */
  readonly paperPerDatasetRow: string | null;
  /** Its colour in every figure (hex). */
  readonly color: string;
  /** Other names figures and tables may give it. */
  readonly otherLabels: readonly string[];
  /** The reference set it distils on. */
  readonly referenceSet: ReferenceSetNeed;
  /** Cost of a run relative to fine-tuning. */
  readonly relativeCost: number;
  /** The method this name is a second name of, if any. */
  readonly aliasOf?: string;
  /** Whether it needs a model with `extend()`; see {@link MethodSpecInit.needsModelExtension}. */
  readonly needsModelExtension: boolean;
  /** Every option with its default (`undefined`: optional, or required without default). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Fills in the options a run's recipe decides and the user left unset; see {@link MethodSpecInit.adaptToRecipe}. */
  adaptToRecipe(options: Record<string, unknown>, experiment: MethodExperiment): Record<string, unknown>;
  /** Defaults filled in and every value checked; an unknown option or bad value is an error naming the method and the option. */
  resolveOptions(options?: Record<string, unknown>): Record<string, unknown>;
  /** Makes the method (options validated as {@link MethodSpec.resolveOptions}). */
  create(options?: Record<string, unknown>): ContinualMethod;
}

/** Every spec made by {@link defineMethod}, in the order their files were loaded. */
export const DEFINED_METHODS: MethodSpec[] = [];

/**
 * Makes a method's spec from what its file states, and records it for the registry. A method
 * file exports the result (`export const fooMethod = defineMethod({...})`); nothing else needs
 * to know the method exists.
 */
export function defineMethod<O extends object>(init: MethodSpecInit<O>): MethodSpec {
  const resolveOptions = (options: Record<string, unknown> = {}): Record<string, unknown> =>
    resolveMethodOptions(init.name, init.defaults, options as Partial<O>, init.checks) as Record<string, unknown>;
  const spec: MethodSpec = Object.freeze({
    name: init.name,
    label: init.label,
    summary: init.summary,
    order: init.order,
    paperRow: init.paperRow,
    paperPerDatasetRow: init.paperPerDatasetRow === undefined ? init.paperRow : init.paperPerDatasetRow,
    color: init.color,
    otherLabels: Object.freeze([...(init.otherLabels ?? [])]),
    referenceSet: init.referenceSet,
    relativeCost: init.relativeCost,
    ...(init.aliasOf ? { aliasOf: init.aliasOf } : {}),
    needsModelExtension: init.needsModelExtension ?? false,
    defaults: Object.freeze({ ...init.defaults }) as Record<string, unknown>,
    adaptToRecipe: (options: Record<string, unknown>, experiment: MethodExperiment) => (init.adaptToRecipe ? init.adaptToRecipe({ ...options }, experiment) : { ...options }),
    resolveOptions,
    create: (options: Record<string, unknown> = {}) => init.build(resolveOptions(options) as unknown as O, init.name),
  });
  const same = DEFINED_METHODS.find((s) => s.name === spec.name);
  if (same) throw new Error(`method ${spec.name} is defined twice`);
  DEFINED_METHODS.push(spec);
  return spec;
}
