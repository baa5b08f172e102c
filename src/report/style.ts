/**
 * One look for every figure: a single method → colour map (so PRIMED_dyn is the same colour in
 * every chart, notebook and exported file), one-decimal number formatting without "-0.0", and
 * plain-text forms of plotly's rich-text titles (for page titles and image alt text).
 */
import { METHOD_SPECS } from '../methods';

/**
 * The colour of each method, keyed by the method's id (`primed-dyn`) and by its display labels
 * (`PRIMED_dyn`), so figures built from either find it; read from each method's spec (its
 * `color`, `label`, paper rows and `otherLabels`), plus the zero-shot row. Colour-blind-safe hues
 * (Okabe–Ito and Tol), PRIMED in the strongest two.
 */
export const METHOD_COLOURS: Readonly<Record<string, string>> = (() => {
  const byId: [id: string, labels: readonly string[], colour: string][] = [
    ...METHOD_SPECS.map((s): [string, string[], string] => [s.name, [s.label, ...(s.paperRow ? [s.paperRow] : []), ...(s.paperPerDatasetRow ? [s.paperPerDatasetRow] : []), ...s.otherLabels], s.color]),
    ['zero-shot', ['zero-shot', 'Zero-shot'], '#333333'],
  ];
  const map: Record<string, string> = {};
  for (const [id, labels, colour] of byId) for (const key of [id, ...labels]) map[key] ??= colour;
  return Object.freeze(map);
})();

/** Colours for series that are not methods (orders, backbones, sequences), in order of appearance. */
export const OTHER_COLOURS: readonly string[] = ['#4477aa', '#ee6677', '#228833', '#ccbb44', '#66ccee', '#aa3377', '#bbbbbb', '#000000'];

/**
 * The colour of the method named `name` (an id or a display label, as in {@link METHOD_COLOURS});
 * undefined for a name that is not a method (callers then pick from {@link OTHER_COLOURS}).
 * @example methodColour('PRIMED_dyn') === methodColour('primed-dyn') // '#d55e00'
 */
export function methodColour(name: string): string | undefined {
  return METHOD_COLOURS[name] ?? METHOD_COLOURS[name.toLowerCase()];
}

/**
 * Colours for a list of series names: a method's own colour where the name is a method, else the
 * next of {@link OTHER_COLOURS} (skipping none, so two non-method series never share one while
 * colours last).
 */
export function seriesColours(names: readonly string[]): string[] {
  let next = 0;
  return names.map((n) => methodColour(n) ?? OTHER_COLOURS[next++ % OTHER_COLOURS.length]);
}

/**
 * `v` with `decimals` decimals (default 1), never "-0.0": a value that rounds to zero prints as
 * "0.0". Integers get the decimals too ("17.0" beside "73.1").
 */
export function formatNumber(v: number, decimals = 1): string {
  const s = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/**
 * A plotly rich-text string as plain text: `<br>` becomes " · ", plotly's other tags (`<sup>`,
 * `<sub>`, `<b>`, `<i>`, `<em>`, `<span>`, `<a>`, `<s>`, `<u>`) go; anything else is left as
 * text (for the caller to escape).
 */
export function plainText(rich: string): string {
  return rich
    .replace(/<br\s*\/?>/gi, ' · ')
    .replace(/<\/?(sup|sub|b|i|em|span|a|s|u)(\s[^>]*)?>/gi, '')
    .replace(/\s+/g, ' ')
    .trim();
}
