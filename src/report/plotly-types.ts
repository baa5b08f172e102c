/**
 * The plotly figure shape primed passes around: plain JSON data, the same object that
 * `Plotly.newPlot(div, data, layout, config)` takes and that the Jupyter MIME type
 * `application/vnd.plotly.v1+json` carries. Attribute names follow plotly.js 3
 * (e.g. `title: { text }`, never a bare string).
 */

/** One plotly trace (`{ type: 'scatter', x, y, ... }`); kept open because plotly has hundreds of attributes. */
export interface PlotlyTrace {
  /** Trace type: `scatter`, `heatmap`, `bar`, `scatterpolar`, ... */
  type: string;
  /** Legend name. */
  name?: string;
  /** Any other plotly trace attribute. */
  [attribute: string]: unknown;
}

/** A plotly figure: traces, layout and optional config, all JSON-serialisable. */
export interface PlotlyFigure {
  /** Traces, drawn in order. */
  data: PlotlyTrace[];
  /** Layout (`title: { text }`, axes, size, annotations...). */
  layout: Record<string, unknown>;
  /** Plotly config (`responsive`, `displaylogo`...). */
  config?: Record<string, unknown>;
}

/** Throws a clear error if `fig` is not a figure object (used at the boundaries: export, display). */
export function assertFigure(fig: unknown, where: string): asserts fig is PlotlyFigure {
  const f = fig as PlotlyFigure | null;
  if (!f || typeof f !== 'object' || !Array.isArray(f.data) || typeof f.layout !== 'object' || f.layout === null) {
    throw new Error(`${where}: expected a plotly figure { data: [...], layout: {...} }`);
  }
  f.data.forEach((t, i) => {
    if (!t || typeof t.type !== 'string') throw new Error(`${where}: data[${i}].type must be a string (e.g. "scatter")`);
  });
}
