/**
 * The continual-learning methods by name. `createMethod(name, options)` validates the options
 * and names any bad one.
 */
import type { ContinualMethod } from './types';
import { finetune } from './finetune';
import { l2 } from './l2';
import { ewc } from './ewc';
import { lwf } from './lwf';
import { icarl } from './icarl';
import { wiseFt } from './wise-ft';
import { zscl } from './zscl';
import { primed } from './primed';

/** Every method name `createMethod` knows. */
export const METHOD_NAMES = ['finetune', 'l2', 'ewc', 'lwf', 'icarl', 'wise-ft', 'zscl', 'primed', 'primed-uni', 'primed-dyn'] as const;
/** A method name. */
export type MethodName = (typeof METHOD_NAMES)[number];

/**
 * Creates a method from its name and options (see each method's options interface for the
 * defaults). Unknown names and options, and invalid values, are errors that name them.
 */
export function createMethod(name: string, options: Record<string, unknown> = {}): ContinualMethod {
  switch (name as MethodName) {
    case 'finetune': return finetune(options as never);
    case 'l2': return l2(options);
    case 'ewc': return ewc(options);
    case 'lwf': return lwf(options);
    case 'icarl': return icarl(options);
    case 'wise-ft': return wiseFt(options);
    case 'zscl': return zscl(options);
    case 'primed':
    case 'primed-uni':
    case 'primed-dyn': return primed(options, name);
    default: throw new Error(`unknown method "${name}"; expected one of ${METHOD_NAMES.join(', ')}`);
  }
}

export type { ContinualMethod } from './types';
export type { ReferenceBatch, ReferenceRequest, ReferenceSource } from './reference';
export type { PrimedOptions } from './primed';
export type { ZsclOptions } from './zscl';
