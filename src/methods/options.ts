/**
 * Method options are validated data: defaults filled in, unknown names and bad values rejected
 * with a message that names the method and the option.
 */

/** A check of one option value: returns a problem description, or undefined when valid. */
export type OptionCheck = (value: unknown) => string | undefined;

/** Checks that a value is a finite number within [min, max]. */
export function numberIn(min: number, max = Infinity): OptionCheck {
  return (v) => (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? undefined : `must be a number in [${min}, ${max}]`);
}

/** Checks that a value is a positive integer. */
export const positiveInteger: OptionCheck = (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : 'must be a positive integer');

/** Checks that a value is one of `choices`. */
export function oneOf(...choices: readonly unknown[]): OptionCheck {
  return (v) => (choices.includes(v) ? undefined : `must be one of ${choices.join(', ')}`);
}

/** Checks that a value is a boolean. */
export const isBoolean: OptionCheck = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');

/** Accepts anything (options passed through to another layer). */
export const anything: OptionCheck = () => undefined;

/**
 * Fills `defaults` with `given` and validates every value.
 * @param method method name, for error messages.
 * @param defaults every option with its default (`undefined` for optional ones without default).
 * @param checks a check per option.
 */
export function resolveMethodOptions<T extends object>(
  method: string,
  defaults: T,
  given: Partial<T> | undefined,
  checks: { [K in keyof T]: OptionCheck },
): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(given ?? {})) {
    if (!(k in checks)) throw new Error(`method ${method}: unknown option ${k}; known: ${Object.keys(checks).join(', ')}`);
    if (v !== undefined) out[k] = v;
  }
  for (const [k, check] of Object.entries(checks) as [string, OptionCheck][]) {
    if (out[k] === undefined && (defaults as Record<string, unknown>)[k] === undefined) continue;
    const problem = check(out[k]);
    if (problem) throw new Error(`method ${method}: option ${k} ${problem}, got ${JSON.stringify(out[k])}`);
  }
  return out as T;
}
