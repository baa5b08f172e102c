/**
 * The registry of continual-learning methods: every spec that a file of this folder exports
 * (made with `defineMethod`), in display order. A new method is one new file here; nothing else
 * lists methods. `createMethod(name, options)` validates the options and names any bad one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContinualMethod } from './types';
import { DEFINED_METHODS, type MethodSpec } from './spec';

// Load every module of this folder (the built-in methods, and any method file added beside them):
// each registers the specs it defines. The extension is this file's own (.ts under tsx, .js in dist/).
const OWN_EXTENSION = path.extname(__filename);
for (const file of fs.readdirSync(__dirname).sort()) {
  if (path.extname(file) === OWN_EXTENSION && !file.endsWith(`.d${OWN_EXTENSION}`) && file !== path.basename(__filename)) {
    require(path.join(__dirname, file));
  }
}

/** Every method, in the order of the paper's tables (then second names such as `primed`). */
export const METHOD_SPECS: readonly MethodSpec[] = Object.freeze(
  [...DEFINED_METHODS].sort((a, b) => Number(!!a.aliasOf) - Number(!!b.aliasOf) || a.order - b.order || a.name.localeCompare(b.name)),
);

/** Every method name `createMethod` knows, in {@link METHOD_SPECS} order. */
export const METHOD_NAMES: readonly string[] = Object.freeze(METHOD_SPECS.map((s) => s.name));
/** A method name (one of {@link METHOD_NAMES}). */
export type MethodName = string;

/** The spec of the method named `name`; an unknown name is an error that lists the known ones. */
export function methodSpec(name: string): MethodSpec {
  const spec = METHOD_SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown method "${name}"; expected one of ${METHOD_NAMES.join(', ')}`);
  return spec;
}

/**
 * Creates a method from its name and options (see each method's options interface for the
 * defaults). Unknown names and options, and invalid values, are errors that name them.
 */
export function createMethod(name: string, options: Record<string, unknown> = {}): ContinualMethod {
  return methodSpec(name).create(options);
}

export type { ContinualMethod } from './types';
export type { MethodSpec, MethodSpecInit, MethodExperiment, ReferenceSetNeed } from './spec';
export type { OptionCheck } from './options';
export type { ReferenceBatch, ReferenceRequest, ReferenceSource } from './reference';
export type { PrimedOptions } from './primed';
export type { ZsclOptions } from './zscl';
export { zsclSentences } from './zscl';
