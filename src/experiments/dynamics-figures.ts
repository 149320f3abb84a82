/** Figures of the dynamics part: traces, F–I curves, equivalence traces and rasters. */
import type { EquivalenceResult, NetworkComparison, WaveformRun } from '../experiments/equivalence.js';
import type { FiPoint } from '../experiments/fi-curve.js';
import type { SimulationResult } from '../sim/simulate.js';
import { concatCharts, lineChart, rasterChart } from '../report/charts.js';
import type { RasterRow, VegaLiteSpec } from '../report/charts.js';

export function simulationFigure(
  title: string,
  result: SimulationResult,
  current?: number[],
  unit = 'µA/cm²',
): VegaLiteSpec {
  const series = result.neurons.map((neuron, j) => ({
    name: `neuron ${neuron}`,
    x: result.t,
    y: result.traces.v[j],
  }));
  const vChart = lineChart({ title, xLabel: 'time (ms)', yLabel: 'V (mV)', series, height: 220 });
  const rows: RasterRow[] = result.spikeTimes
    .slice(0, 50)
    .map((times, i) => ({ label: `${i}`, group: 'spikes', times }));
  const raster = rasterChart({ title: 'spikes', xLabel: 'time (ms)', rows, tMax: result.duration });
  const parts = [vChart];
  if (current)
    parts.push(
      lineChart({
        title: 'input',
        xLabel: 'time (ms)',
        yLabel: currentLabel('I', unit),
        series: [{ name: 'input', x: result.t, y: current }],
        height: 120,
      }),
    );
  parts.push(raster);
  return concatCharts(parts, 1);
}

/** "I (unit)", or "I" for a dimensionless input. */
export function currentLabel(name: string, unit = 'µA/cm²'): string {
  return unit ? `${name} (${unit})` : name;
}

export function fiFigure(curves: { label: string; points: FiPoint[] }[], unit = 'µA/cm²'): VegaLiteSpec {
  return lineChart({
    title: 'F–I curve (steady rate over the last half of the run)',
    xLabel: currentLabel('current', unit),
    yLabel: 'rate (Hz)',
    series: curves.map((c, k) => ({
      name: c.label,
      x: c.points.map((p) => p.current),
      y: c.points.map((p) => p.rateHz),
      dash: k > 0,
    })),
    points: true,
  });
}

export function waveformFigure(run: WaveformRun, duration: number): VegaLiteSpec {
  const traces = lineChart({
    title: `${run.stimulus}: V of HH and of the tv-LIF2HH circuit`,
    xLabel: 'time (ms)',
    yLabel: 'V (mV)',
    series: [
      { name: 'HH', x: run.t, y: run.hhV },
      { name: 'tv-LIF2HH', x: run.t, y: run.tvlif2hhV, dash: true },
    ],
    height: 200,
  });
  const input = lineChart({
    title: 'input current',
    xLabel: 'time (ms)',
    yLabel: 'I (µA/cm²)',
    series: [{ name: 'input', x: run.t, y: run.current }],
    height: 90,
  });
  const raster = rasterChart({
    title: 'spike trains',
    xLabel: 'time (ms)',
    tMax: duration,
    rows: [
      { label: 'HH', group: 'HH', times: run.spikes.hh },
      { label: 'tv-LIF2HH', group: 'tv-LIF2HH', times: run.spikes.tvlif2hh },
      { label: 's-LIF2HH', group: 's-LIF2HH', times: run.spikes.slif2hh },
    ],
  });
  return concatCharts([traces, input, raster], 1);
}

export function networkFigure(net: NetworkComparison, duration: number): VegaLiteSpec {
  const rows: RasterRow[] = [];
  net.layers.forEach((layer, p) => {
    for (let i = 0; i < layer.size; i++) {
      const label = `${layer.name} ${i}`;
      rows.push({ label, group: 'HH', times: net.hh[p][i] });
      rows.push({ label, group: 'tv-LIF2HH', times: net.tvlif2hh[p][i] });
    }
  });
  return rasterChart({
    title: `${net.name}: HH (long ticks) vs tv-LIF2HH (short ticks)`,
    rows,
    tMax: duration,
  });
}

export function equivalenceFigures(result: EquivalenceResult): { title: string; spec: VegaLiteSpec }[] {
  return [
    ...result.waveforms.map((w) => ({
      title: `Waveform: ${w.stimulus}`,
      spec: waveformFigure(w, result.config.duration),
    })),
    ...result.networks.map((n) => ({
      title: `Network: ${n.name}`,
      spec: networkFigure(n, result.config.duration),
    })),
  ];
}
