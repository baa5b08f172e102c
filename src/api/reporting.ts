/**
 * **Reporting**: figure specs (plotly), one colour per method, export to HTML, PNG and SVG in
 * headless Chromium.
 *
 * @module Reporting
 */
export * from '../report';
