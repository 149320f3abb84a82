// Figure layer: small vega-lite spec builders plus a headless SVG renderer.
// Specs are plain JSON objects so they can also be written next to the SVG and re-rendered elsewhere.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A vega-lite spec as plain JSON; kept loose so callers can tweak fields without fighting vega-lite's types. */
export type VegaLiteSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Above this many points per series we decimate before embedding (keeps SVG/HTML sizes sane). */
export const MAX_SERIES_POINTS = 4000;

// One shared look for every figure; sits at the top level only (vega-lite forbids config in sub-specs).
const CONFIG = {
  font: 'sans-serif',
  background: 'white',
  view: { stroke: null }, // no frame around plots
  axis: {
    domainColor: '#888',
    tickColor: '#888',
    gridColor: '#eee',
    labelColor: '#333',
    titleColor: '#333',
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
  },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
  title: { fontSize: 14, fontWeight: 'bold', anchor: 'start', color: '#222' },
  line: { strokeWidth: 1.5 },
};

function topLevel(spec: VegaLiteSpec): VegaLiteSpec {
  return { $schema: SCHEMA, config: CONFIG, ...spec };
}

/** Compile a vega-lite spec and render it to an SVG string, without a browser or node-canvas. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = compile(spec as unknown as TopLevelSpec);
  // renderer 'none': no DOM; toSVG() runs the dataflow and serialises the scenegraph itself.
  // Without node-canvas vega estimates text widths from character counts, so label layout is approximate.
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize(); // release timers/listeners so the process can exit
  }
}

/**
 * Reduce a series to about `maxPoints` points. Plain stride sampling would drop action potentials
 * (~1 ms wide at dt = 0.01 ms is ~100 samples), so each bucket keeps its first point plus its
 * min and max (in index order): peaks and troughs survive, the shape stays honest.
 */
export function decimate(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  maxPoints = MAX_SERIES_POINTS,
): { x: number[]; y: number[] } {
  const n = Math.min(x.length, y.length);
  if (n <= maxPoints)
    return { x: Array.from({ length: n }, (_, i) => x[i]), y: Array.from({ length: n }, (_, i) => y[i]) };
  const k = Math.ceil((3 * n) / Math.max(3, maxPoints)); // up to 3 points per bucket
  const ox: number[] = [];
  const oy: number[] = [];
  for (let start = 0; start < n; start += k) {
    const end = Math.min(n, start + k);
    let iMin = start;
    let iMax = start;
    for (let i = start + 1; i < end; i++) {
      if (y[i] < y[iMin]) iMin = i;
      if (y[i] > y[iMax]) iMax = i;
    }
    for (const i of [...new Set([start, iMin, iMax])].sort((a, b) => a - b)) {
      ox.push(x[i]);
      oy.push(y[i]);
    }
  }
  if (ox[ox.length - 1] !== x[n - 1]) {
    ox.push(x[n - 1]); // keep the right edge so the x range is unchanged
    oy.push(y[n - 1]);
  }
  return { x: ox, y: oy };
}

// JSON has no NaN/Infinity; null is what vega-lite treats as "invalid" (dropped / line gap).
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dash?: boolean;
}

/** Several x–y series, coloured by name (legend in given order); `dash` series drawn dashed. */
export function lineChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  width?: number;
  height?: number;
  logX?: boolean;
  points?: boolean;
}): VegaLiteSpec {
  const values: { series: string; style: string; x: number | null; y: number | null }[] = [];
  for (const s of opts.series) {
    const d = decimate(s.x, s.y);
    const style = s.dash ? 'dashed' : 'solid';
    for (let i = 0; i < d.x.length; i++) {
      if (opts.logX && !(d.x[i] > 0)) continue; // log scale cannot place x <= 0
      values.push({ series: s.name, style, x: finite(d.x[i]), y: finite(d.y[i]) });
    }
  }
  const encoding: Record<string, unknown> = {
    x: {
      field: 'x',
      type: 'quantitative',
      title: opts.xLabel,
      scale: opts.logX ? { type: 'log' } : { zero: false },
    },
    y: { field: 'y', type: 'quantitative', title: opts.yLabel, scale: { zero: false } },
    color: {
      field: 'series',
      type: 'nominal',
      title: null,
      scale: { domain: [...new Set(opts.series.map((s) => s.name))] },
    },
    order: { field: 'x', type: 'quantitative' }, // draw along x even if rows interleave
  };
  if (opts.series.some((s) => s.dash)) {
    // Dash is a fixed style, not data: the colour legend already names the series.
    encoding.strokeDash = {
      field: 'style',
      type: 'nominal',
      scale: {
        domain: ['solid', 'dashed'],
        range: [
          [1, 0],
          [6, 3],
        ],
      },
      legend: null,
    };
    encoding.detail = { field: 'series', type: 'nominal' }; // one line per series, not per style
  }
  return topLevel({
    title: opts.title,
    width: opts.width ?? 480,
    height: opts.height ?? 260,
    data: { values },
    mark: { type: 'line', clip: true, ...(opts.points ? { point: { size: 25 } } : {}) },
    encoding,
  });
}

export interface RasterRow {
  label: string;
  group: string;
  times: ArrayLike<number>;
}

/**
 * Spike raster: one row per distinct label (given order, empty rows kept), one tick per spike,
 * coloured by group. When groups share a row, earlier groups get longer ticks than later ones,
 * so coincident spikes show as a short tick inside a long one.
 */
export function rasterChart(opts: {
  title: string;
  xLabel?: string;
  rows: RasterRow[];
  width?: number;
  height?: number;
  tMax?: number;
}): VegaLiteSpec {
  const labels = [...new Set(opts.rows.map((r) => r.label))];
  const groups = [...new Set(opts.rows.map((r) => r.group))];
  const values: { label: string; group: string; t: number }[] = [];
  for (const r of opts.rows) {
    for (let i = 0; i < r.times.length; i++) {
      const t = r.times[i];
      if (Number.isFinite(t) && (opts.tMax === undefined || t <= opts.tMax))
        values.push({ label: r.label, group: r.group, t });
    }
  }
  const height = opts.height ?? Math.min(700, Math.max(80, labels.length * 14));
  const step = height / Math.max(1, labels.length);
  const encoding: Record<string, unknown> = {
    x: {
      field: 't',
      type: 'quantitative',
      title: opts.xLabel ?? 'time (ms)',
      scale: opts.tMax !== undefined ? { domain: [0, opts.tMax] } : { zero: true },
    },
    y: {
      field: 'label',
      type: 'ordinal',
      title: null,
      // Explicit domain: keeps caller order and shows rows that never spiked.
      scale: { domain: labels },
      // With many rows the labels would collide; let vega drop overlapping ones.
      axis: labels.length > 30 ? { labelOverlap: 'greedy', labelFontSize: 8 } : {},
    },
    color: { field: 'group', type: 'nominal', title: null, scale: { domain: groups } },
  };
  // One layer per group with a fixed tick length (first group longest). A `size` encoding would
  // do the same in one mark, but vega-lite then drops the merged colour legend.
  const layer = groups.map((g, i) => ({
    transform: groups.length > 1 ? [{ filter: { field: 'group', equal: g } }] : [],
    // aria off: thousands of per-tick aria labels would bloat the SVG for no reader benefit.
    mark: {
      type: 'tick',
      thickness: 1.5,
      opacity: 0.85,
      aria: false,
      size: Math.max(1, step * (0.85 - (0.4 * i) / Math.max(1, groups.length - 1))),
    },
  }));
  return topLevel({
    title: opts.title,
    width: opts.width ?? 480,
    height,
    data: { values },
    encoding,
    layer: layer.length > 0 ? layer : [{ mark: { type: 'tick', aria: false } }],
  });
}

/** Bars in the given order; with `group` set, bars sharing a label sit side by side. */
export function barChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  bars: { label: string; value: number; group?: string }[];
  width?: number;
  height?: number;
}): VegaLiteSpec {
  const grouped = opts.bars.some((b) => b.group !== undefined);
  const values = opts.bars.map((b) => ({ label: b.label, value: finite(b.value), group: b.group ?? '' }));
  const groups = [...new Set(values.map((v) => v.group))];
  const encoding: Record<string, unknown> = {
    x: { field: 'label', type: 'nominal', title: opts.xLabel, sort: null, axis: { labelAngle: 0 } },
    y: { field: 'value', type: 'quantitative', title: opts.yLabel },
  };
  if (grouped) {
    encoding.color = { field: 'group', type: 'nominal', title: null, scale: { domain: groups } };
    encoding.xOffset = { field: 'group', type: 'nominal', scale: { domain: groups } };
  }
  return topLevel({
    title: opts.title,
    ...(opts.width !== undefined ? { width: opts.width } : {}),
    height: opts.height ?? 260,
    data: { values },
    mark: { type: 'bar', ...(grouped ? {} : { color: '#4c78a8' }) },
    encoding,
  });
}

/** Bars with an interval each (e.g. mean with mean ± sd): a rule from `lo` to `hi` over every bar. */
export function intervalBarChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  bars: { label: string; value: number; lo: number | null; hi: number | null }[];
  width?: number;
  height?: number;
}): VegaLiteSpec {
  const values = opts.bars.map((b) => ({
    label: b.label,
    value: finite(b.value),
    lo: b.lo === null ? null : finite(b.lo),
    hi: b.hi === null ? null : finite(b.hi),
  }));
  const x = { field: 'label', type: 'nominal', title: opts.xLabel, sort: null, axis: { labelAngle: 0 } };
  return topLevel({
    title: opts.title,
    ...(opts.width !== undefined ? { width: opts.width } : {}),
    height: opts.height ?? 260,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: opts.yLabel } },
      },
      {
        transform: [{ filter: 'datum.lo != null && datum.hi != null' }],
        mark: { type: 'rule', color: '#222', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
    ],
  });
}

/**
 * Lay several chart specs out in a grid (`columns` per row; default all in one row).
 * Colour/size/dash scales stay per-panel so each panel keeps its own legend and domain.
 */
export function concatCharts(specs: VegaLiteSpec[], columns = specs.length, title?: string): VegaLiteSpec {
  // Sub-specs may not carry $schema/config; strip what our builders added.
  const children = specs.map(({ $schema: _s, config: _c, ...rest }) => rest);
  return topLevel({
    ...(title !== undefined ? { title } : {}),
    columns,
    spacing: 24,
    concat: children,
    resolve: { scale: { color: 'independent', size: 'independent', strokeDash: 'independent' } },
  });
}

/** Rasterise an SVG to PNG (resvg, no browser); `scale` 2 gives a sharp image for slides. */
export async function renderPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white' }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

export interface PathSeries {
  name: string;
  /** Drawn and connected in the given order (not sorted by x), e.g. one point per epoch. */
  points: { x: number; y: number; label?: string }[];
}

/**
 * Trajectories in a plane (an information plane, say): each series is a polyline through its
 * points in order, with a dot at each point and its label (if any) written beside it.
 */
export function pathChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: PathSeries[];
  width?: number;
  height?: number;
}): VegaLiteSpec {
  const values = opts.series.flatMap((s) =>
    s.points.map((p, step) => ({
      series: s.name,
      step,
      x: finite(p.x),
      y: finite(p.y),
      label: p.label ?? '',
    })),
  );
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: [...new Set(opts.series.map((s) => s.name))] },
  };
  return topLevel({
    title: opts.title,
    width: opts.width ?? 420,
    height: opts.height ?? 320,
    data: { values },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xLabel, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: opts.yLabel, scale: { zero: false } },
      color,
    },
    layer: [
      {
        // order: connect in the given sequence, which may double back along x
        mark: { type: 'line', point: { size: 36 } },
        encoding: { order: { field: 'step', type: 'quantitative' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 9 },
        encoding: { text: { field: 'label', type: 'nominal' } },
      },
    ],
  });
}

/**
 * A heat map of z over a grid of rectangles (vega-lite `rect` marks): column j spans
 * x[j]…x[j + 1], row i spans y[i]…y[i + 1], coloured by z[i][j]. Sized by the caller: every cell
 * is one mark, so keep the grid to some tens of thousands of cells.
 */
export function heatmapChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  zLabel: string;
  /** Column edges (cols + 1, ascending). */
  x: ArrayLike<number>;
  /** Row edges (rows + 1, ascending). */
  y: ArrayLike<number>;
  /** Values, z[row][col]. */
  z: ArrayLike<number>[];
  width?: number;
  height?: number;
  scheme?: string;
}): VegaLiteSpec {
  const cols = opts.x.length - 1;
  const rows = opts.y.length - 1;
  if (cols < 1 || rows < 1) throw new RangeError('heatmapChart: need at least one row and one column');
  if (opts.z.length !== rows || opts.z.some((r) => r.length !== cols))
    throw new RangeError(`heatmapChart: z must be ${rows} rows × ${cols} columns`);
  const values: { x0: number; x1: number; y0: number; y1: number; z: number | null }[] = [];
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++)
      values.push({
        x0: opts.x[j],
        x1: opts.x[j + 1],
        y0: opts.y[i],
        y1: opts.y[i + 1],
        z: finite(opts.z[i][j]),
      });
  return topLevel({
    title: opts.title,
    width: opts.width ?? 480,
    height: opts.height ?? 260,
    data: { values },
    // aria off: one label per cell would bloat the SVG. A thin outline in the cell's own colour
    // (the colour scale, which vega-lite names "color") closes the anti-aliasing seams between
    // neighbouring cells.
    mark: { type: 'rect', aria: false, strokeWidth: 0.5, stroke: { expr: "scale('color', datum.z)" } },
    encoding: {
      x: {
        field: 'x0',
        type: 'quantitative',
        title: opts.xLabel,
        scale: { domain: [opts.x[0], opts.x[cols]], nice: false },
      },
      x2: { field: 'x1' },
      y: {
        field: 'y0',
        type: 'quantitative',
        title: opts.yLabel,
        scale: { domain: [opts.y[0], opts.y[rows]], nice: false },
      },
      y2: { field: 'y1' },
      color: {
        field: 'z',
        type: 'quantitative',
        title: opts.zLabel,
        scale: { scheme: opts.scheme ?? 'viridis' },
      },
    },
  });
}
