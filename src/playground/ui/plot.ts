/** Small canvas charts for the playground: line traces and spike rasters, with labelled axes. */

export interface Series {
  label: string;
  color: string;
  t: readonly number[];
  y: readonly number[];
  dash?: number[];
}

export interface RasterRow {
  label: string;
  color: string;
  spikes: readonly number[];
}

const MARGIN = { left: 56, right: 12, top: 12, bottom: 34 };
const AXIS = '#555';
const FONT = '12px system-ui, sans-serif';

/** Sizes the canvas's backing store to its CSS box and the device's pixel ratio. */
export function canvasContext(canvas: HTMLCanvasElement): {
  ctx: CanvasRenderingContext2D;
  w: number;
  h: number;
} {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  canvas.width = Math.round(w * ratio);
  canvas.height = Math.round(h * ratio);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser has no 2D canvas');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = FONT;
  return { ctx, w, h };
}

/** About five round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  // A step just above (hi − lo)/count can leave one tick (±4.4 with step 5): ask for more.
  return out.length < 2 && count < 40 ? ticks(lo, hi, count * 2) : out;
}

function axes(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  x: { lo: number; hi: number; label: string },
  y: { lo: number; hi: number; label: string; ticks?: boolean },
): { px(t: number): number; py(v: number): number } {
  const px = (t: number): number =>
    MARGIN.left + ((t - x.lo) / (x.hi - x.lo || 1)) * (w - MARGIN.left - MARGIN.right);
  const py = (v: number): number =>
    h - MARGIN.bottom - ((v - y.lo) / (y.hi - y.lo || 1)) * (h - MARGIN.top - MARGIN.bottom);
  ctx.strokeStyle = AXIS;
  ctx.fillStyle = AXIS;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(MARGIN.left, MARGIN.top);
  ctx.lineTo(MARGIN.left, h - MARGIN.bottom);
  ctx.lineTo(w - MARGIN.right, h - MARGIN.bottom);
  ctx.stroke();
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of ticks(x.lo, x.hi)) ctx.fillText(String(t), px(t), h - MARGIN.bottom + 4);
  ctx.fillText(x.label, (MARGIN.left + w - MARGIN.right) / 2, h - 14);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  if (y.ticks !== false)
    for (const v of ticks(y.lo, y.hi, 4)) ctx.fillText(String(v), MARGIN.left - 6, py(v));
  ctx.save();
  ctx.translate(12, (MARGIN.top + h - MARGIN.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(y.label, 0, 0);
  ctx.restore();
  return { px, py };
}

function legend(ctx: CanvasRenderingContext2D, w: number, items: { label: string; color: string }[]): void {
  ctx.textAlign = 'right';
  ctx.textBaseline = 'top';
  items.forEach((item, i) => {
    ctx.fillStyle = item.color;
    ctx.fillText(item.label, w - MARGIN.right - 4, MARGIN.top + 2 + i * 16);
  });
}

/** Traces over time on one pair of axes. */
export function drawSeries(
  canvas: HTMLCanvasElement,
  series: readonly Series[],
  xMax: number,
  yLabel: string,
  xLabel = 'time (ms)',
  xMin = 0,
): void {
  const { ctx, w, h } = canvasContext(canvas);
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series)
    for (const v of s.y) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  const { px, py } = axes(
    ctx,
    w,
    h,
    { lo: xMin, hi: xMax, label: xLabel },
    { lo: lo - pad, hi: hi + pad, label: yLabel },
  );
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dash ?? []);
    ctx.beginPath();
    s.t.forEach((t, i) => (i === 0 ? ctx.moveTo(px(t), py(s.y[i])) : ctx.lineTo(px(t), py(s.y[i]))));
    ctx.stroke();
  }
  ctx.setLineDash([]);
  legend(
    ctx,
    w,
    series.map((s) => ({ label: s.label, color: s.color })),
  );
}

/** One row of spike ticks per neuron (rows grouped by model). */
export function drawRaster(
  canvas: HTMLCanvasElement,
  rows: readonly RasterRow[],
  xMax: number,
  x: { lo: number; label: string } = { lo: 0, label: 'time (ms)' },
): void {
  const { ctx, w, h } = canvasContext(canvas);
  const n = Math.max(rows.length, 1);
  const { px, py } = axes(
    ctx,
    w,
    h,
    { lo: x.lo, hi: xMax, label: x.label },
    { lo: 0, hi: n, label: 'neuron', ticks: false },
  );
  const rowHeight = Math.abs(py(1) - py(0));
  rows.forEach((row, i) => {
    ctx.strokeStyle = row.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    const top = py(n - i) + rowHeight * 0.15;
    const bottom = py(n - i - 1) - rowHeight * 0.15;
    for (const t of row.spikes) {
      ctx.moveTo(px(t), top);
      ctx.lineTo(px(t), bottom);
    }
    ctx.stroke();
  });
  const seen = new Map<string, string>();
  for (const row of rows) seen.set(row.label.replace(/ #\d+$/, ''), row.color);
  legend(
    ctx,
    w,
    [...seen].map(([label, color]) => ({ label, color })),
  );
}
