/**
 * Running networks for `hhnet network`: the Brette et al. (2007) benchmarks and networks from a
 * JSON file, timed (construction and simulation separately), summarised (rate, CV of ISIs,
 * synapses, bytes per synapse) and drawn (raster of the first neurons, population rate).
 */
import { readFileSync } from 'node:fs';
import type { BenchmarkName, BenchmarkOptions } from '../network/benchmarks.js';
import { BUILDERS } from '../network/benchmarks.js';
import type { Network } from '../network/network.js';
import type { RateMonitor, SpikeMonitor } from '../network/monitors.js';
import type { LoadedNetwork } from '../network/spec-file.js';
import { NetworkFileError, buildNetwork } from '../network/spec-file.js';
import type { SpikeStatistics } from '../network/statistics.js';
import { spikeStatistics } from '../network/statistics.js';
import { concatCharts, lineChart, rasterChart } from '../report/charts.js';
import type { VegaLiteSpec } from '../report/charts.js';

export interface NetworkSummary extends SpikeStatistics {
  neurons: number;
  synapses: number;
  bytesPerSynapse: number;
  duration: number;
  dt: number;
  seed: number;
  /** Network construction plus simulation, s. */
  wallSeconds: number;
  buildSeconds: number;
  simulateSeconds: number;
}

export interface RecordedGroup {
  of: string;
  trains: number[][];
  stats: SpikeStatistics;
  /** Population rate (Hz) per bin, when recorded. */
  rate?: { bin: number; hz: number[] };
}

export interface NetworkRun {
  summary: NetworkSummary;
  groups: RecordedGroup[];
}

export interface RunHooks {
  /** Called every 100 ms of network time with the fraction done. */
  onProgress?: (fraction: number) => void;
  /** Called between steps; may throw to stop (e.g. on Ctrl-C). */
  checkStop?: () => void;
}

function simulate(net: Network, duration: number, hooks: RunHooks): number {
  const t0 = performance.now();
  net.run(duration, {
    every: Math.max(1, Math.round(100 / net.dt)),
    onStep: (done, total) => {
      hooks.checkStop?.();
      hooks.onProgress?.(done / total);
    },
  });
  return (performance.now() - t0) / 1000;
}

function summarise(
  net: Network,
  neurons: number,
  stats: SpikeStatistics,
  duration: number,
  buildSeconds: number,
  simulateSeconds: number,
): NetworkSummary {
  return {
    ...stats,
    neurons,
    synapses: net.synapses,
    bytesPerSynapse: net.bytesPerSynapse,
    duration,
    dt: net.dt,
    seed: net.seed,
    wallSeconds: buildSeconds + simulateSeconds,
    buildSeconds,
    simulateSeconds,
  };
}

/** One of the Brette et al. (2007) benchmarks; spikes of the whole population recorded. */
export function runBenchmark(
  name: BenchmarkName,
  opts: BenchmarkOptions & { duration: number; rateBin?: number },
  hooks: RunHooks = {},
): NetworkRun {
  const t0 = performance.now();
  const b = BUILDERS[name](opts);
  const spikes = b.net.spikeMonitor(b.population);
  const rate = b.net.rateMonitor(b.population, opts.rateBin ?? 1);
  const buildSeconds = (performance.now() - t0) / 1000;
  const simulateSeconds = simulate(b.net, opts.duration, hooks);
  const group = recorded(b.population.name, spikes, opts.duration, rate);
  return {
    summary: summarise(b.net, b.population.n, group.stats, opts.duration, buildSeconds, simulateSeconds),
    groups: [group],
  };
}

/** Reads and builds a network file (errors name the file and the field). */
export function loadNetworkFile(path: string): LoadedNetwork {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NetworkFileError(`cannot read network file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NetworkFileError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return buildNetwork(json, path);
}

/** A network file, for `duration` ms (default: the file's). Statistics cover every recorded group. */
export function runNetworkFile(path: string, duration: number | undefined, hooks: RunHooks = {}): NetworkRun {
  const t0 = performance.now();
  const loaded = loadNetworkFile(path);
  const buildSeconds = (performance.now() - t0) / 1000;
  const ms = duration ?? loaded.file.duration;
  if (ms === undefined)
    throw new NetworkFileError(`${path}: no "duration" in the file; give one with --duration MS`);
  const simulateSeconds = simulate(loaded.net, ms, hooks);
  const groups = loaded.spikes.map(({ of, monitor }) =>
    recorded(of, monitor, ms, loaded.rates.find((r) => r.of === of)?.monitor),
  );
  const all = groups.flatMap((g) => g.trains);
  const neurons = loaded.net.populations.reduce((s, p) => s + p.n, 0);
  return {
    summary: summarise(loaded.net, neurons, spikeStatistics(all, ms), ms, buildSeconds, simulateSeconds),
    groups,
  };
}

function recorded(of: string, spikes: SpikeMonitor, duration: number, rate?: RateMonitor): RecordedGroup {
  const trains = spikes.trains();
  return {
    of,
    trains,
    stats: spikeStatistics(trains, duration),
    ...(rate ? { rate: { bin: rate.bin, hz: Array.from(rate.rates) } } : {}),
  };
}

/** Raster of the first `rows` neurons of each recorded group and the population rates. */
export function networkFigure(title: string, run: NetworkRun, rows = 100): VegaLiteSpec {
  const duration = run.summary.duration;
  const raster = rasterChart({
    title,
    xLabel: 'time (ms)',
    tMax: duration,
    rows: run.groups.flatMap((g) =>
      g.trains.slice(0, rows).map((times, i) => ({ label: `${g.of} ${i}`, group: g.of, times })),
    ),
  });
  const rates = run.groups.filter((g) => g.rate);
  if (rates.length === 0) return raster;
  const rateChart = lineChart({
    title: 'population rate',
    xLabel: 'time (ms)',
    yLabel: 'rate (Hz)',
    height: 160,
    series: rates.map((g) => ({
      name: g.of,
      x: g.rate!.hz.map((_, b) => (b + 1) * g.rate!.bin),
      y: g.rate!.hz,
    })),
  });
  return concatCharts([raster, rateChart], 1);
}
