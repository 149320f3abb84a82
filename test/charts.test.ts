import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  barChart,
  concatCharts,
  decimate,
  lineChart,
  rasterChart,
  renderSvg,
  type VegaLiteSpec,
} from '../src/report/charts.js';

// Ticks are compiled to vega rect marks; each tick is one <path> inside the mark group(s).
function countTicks(svg: string): number {
  const groups = svg.match(/<g class="mark-rect role-mark[^"]*"[^>]*>.*?<\/g>/g) ?? [];
  return groups.reduce((n, g) => n + (g.match(/<path /g) ?? []).length, 0);
}

function dataValues(spec: VegaLiteSpec): Record<string, unknown>[] {
  return (spec.data as { values: Record<string, unknown>[] }).values;
}

test('lineChart renders headless with title, legend and dashed series', async () => {
  const x = Array.from({ length: 50 }, (_, i) => i * 0.1);
  const spec = lineChart({
    title: 'Voltage trace',
    xLabel: 'time (ms)',
    yLabel: 'V (mV)',
    series: [
      { name: 'HH', x, y: x.map(Math.sin) },
      { name: 'tv-LIF2HH', x: Float64Array.from(x), y: x.map(Math.cos), dash: true },
    ],
  });
  const svg = await renderSvg(spec);
  assert.ok(svg.startsWith('<svg'));
  assert.ok(svg.includes('Voltage trace'));
  assert.ok(svg.includes('>tv-LIF2HH</text>'), 'legend entry');
  assert.ok(svg.includes('stroke-dasharray="6,3"'), 'dashed series');
});

test('lineChart with log x drops non-positive x and renders points', async () => {
  const spec = lineChart({
    title: 'F-I curve',
    xLabel: 'I',
    yLabel: 'rate (Hz)',
    series: [{ name: 'HH', x: [0, 1, 10, 100], y: [0, 5, 50, NaN] }],
    logX: true,
    points: true,
  });
  const values = dataValues(spec);
  assert.equal(values.length, 3);
  assert.equal(values[2].y, null, 'NaN becomes JSON null');
  const svg = await renderSvg(spec);
  assert.ok(svg.startsWith('<svg') && svg.includes('F-I curve'));
});

test('rasterChart: one tick per spike, empty rows kept, tMax filters', async () => {
  const spec = rasterChart({
    title: 'Spike raster',
    rows: [
      { label: 'n0', group: 'HH', times: [1, 2, 3] },
      { label: 'n0', group: 'tv-LIF2HH', times: [1.1, 5, 99] },
      { label: 'silent', group: 'HH', times: [] },
    ],
    tMax: 10,
  });
  const svg = await renderSvg(spec);
  assert.ok(svg.startsWith('<svg') && svg.includes('Spike raster'));
  assert.equal(countTicks(svg), 5);
  assert.ok(svg.includes('>silent</text>'), 'row without spikes still has its label');
  assert.ok(svg.includes('role-legend'), 'group legend');
});

test('rasterChart handles a large raster (138 neurons x 20 spikes)', async () => {
  const rows = Array.from({ length: 138 }, (_, i) => ({
    label: `n${i}`,
    group: i % 2 ? 'HH' : 'tv-LIF2HH',
    times: Array.from({ length: 20 }, (_, k) => k * 10 + (i % 7)),
  }));
  rows.push({ label: 'empty', group: 'HH', times: [] });
  const svg = await renderSvg(rasterChart({ title: 'Big raster', rows }));
  assert.equal(countTicks(svg), 138 * 20);
});

test('barChart renders plain and grouped bars', async () => {
  const plain = await renderSvg(
    barChart({ title: 'Speed', xLabel: 'model', yLabel: 'ms', bars: [{ label: 'HH', value: 3.5 }] }),
  );
  assert.ok(plain.startsWith('<svg') && plain.includes('Speed'));
  const grouped = await renderSvg(
    barChart({
      title: 'Accuracy',
      xLabel: 'task',
      yLabel: '%',
      bars: [
        { label: 'a', value: 1, group: 'LIF' },
        { label: 'a', value: 2, group: 'HH' },
        { label: 'b', value: 3, group: 'LIF' },
      ],
    }),
  );
  assert.ok(grouped.includes('Accuracy'));
  assert.equal(
    (grouped.match(/<g class="mark-rect role-mark[^>]*>.*?<\/g>/)?.[0].match(/<path /g) ?? []).length,
    3,
  );
});

test('concatCharts combines specs into one figure', async () => {
  const a = lineChart({
    title: 'Trace A',
    xLabel: 't',
    yLabel: 'V',
    series: [{ name: 'HH', x: [0, 1], y: [0, 1] }],
  });
  const b = rasterChart({ title: 'Raster B', rows: [{ label: 'n0', group: 'HH', times: [0.5] }] });
  const spec = concatCharts([a, b], 1, 'Combined');
  assert.ok(!('config' in (spec.concat as VegaLiteSpec[])[0]), 'sub-specs carry no config');
  const svg = await renderSvg(spec);
  for (const t of ['Trace A', 'Raster B', 'Combined']) assert.ok(svg.includes(t), t);
});

test('decimate keeps spikes and bounds the size', () => {
  const n = 100_000;
  const x = Float64Array.from({ length: n }, (_, i) => i * 0.01);
  const y = new Float64Array(n).fill(-65);
  y[51_237] = 40; // one-sample spike peak, not on any stride
  y[77_001] = -80; // trough
  const d = decimate(x, y);
  assert.ok(d.x.length <= 4001, `got ${d.x.length}`);
  assert.equal(Math.max(...d.y), 40);
  assert.equal(Math.min(...d.y), -80);
  assert.equal(d.x[0], 0);
  assert.equal(d.x[d.x.length - 1], x[n - 1]);
  for (let i = 1; i < d.x.length; i++) assert.ok(d.x[i] > d.x[i - 1], 'x order preserved');

  const spec = lineChart({ title: 'Long', xLabel: 't', yLabel: 'V', series: [{ name: 'HH', x, y }] });
  const ys = dataValues(spec).map((v) => v.y as number);
  assert.ok(ys.length <= 4001);
  assert.equal(Math.max(...ys), 40);
});

test('decimate leaves short series untouched', () => {
  assert.deepEqual(decimate([1, 2, 3], [4, 5, 6]), { x: [1, 2, 3], y: [4, 5, 6] });
});
