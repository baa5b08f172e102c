/** Reporting: figure specs (plotly), and their export to HTML, PNG and SVG. */
export * from './plotly-types';
export * from './figures';
export * from './export';
export * from './style';
export { findChromium, hasChromium, screenshotHtml, CHROMIUM_CANDIDATES, type ChromiumOptions } from './chromium';
