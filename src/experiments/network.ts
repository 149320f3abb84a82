/**
 * Running networks for `hhnet network`: the Brette et al. (2007) benchmarks and networks from a
 * JSON file, timed (construction and simulation separately), summarised (rate, CV of ISIs,
 * synapses, bytes per synapse) and drawn (raster of the first neurons, population rate).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { writeFileAtomic } from '../util/atomic.js';
import { NetworkCheckpointError, decodeCheckpoint, encodeCheckpoint } from '../network/checkpoint.js';
import type { BenchmarkName, BenchmarkOptions } from '../network/benchmarks.js';
import { BUILDERS } from '../network/benchmarks.js';
import type { Network } from '../network/network.js';
import type { NetworkBackend, RateTableOptions } from '../network/wasm-step.js';
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
  /** Network construction plus simulation, s (of this process: after a resume, its part only). */
  wallSeconds: number;
  /** Network time the run resumed from (0: started afresh). */
  resumedAtMs: number;
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
  /**
   * Asked every 100 ms of network time (the run yields to the event loop there, so signal
   * handlers run): true stops the run after writing its checkpoint (when it keeps one); it then
   * throws `stopped(timeMs)`.
   */
  shouldStop?: () => Promise<boolean>;
  stopped?: (timeMs: number) => Error;
  /**
   * Keep a checkpoint at `path` every `everyMs` of network time (and when stopped); `resume`
   * continues from it. `settings` must equal the checkpoint's. The file is removed when the run
   * completes.
   */
  checkpoint?: { path: string; everyMs: number; resume: boolean; settings: Record<string, unknown> };
}

/** How populations step: the backend ('js' float64 reference, 'wasm' SIMD) and its threads. */
export interface Engine {
  backend?: NetworkBackend;
  threads?: number;
  /** Rate tables of the wasm step (NetworkOptions.rateTable). */
  rateTable?: RateTableOptions | boolean;
}

/** Runs net for `duration` ms (resuming and checkpointing as hooks say); its threads end after. */
async function simulate(
  net: Network,
  duration: number,
  hooks: RunHooks,
): Promise<{ seconds: number; resumedAtMs: number }> {
  try {
    return await simulateOn(net, duration, hooks);
  } finally {
    net.close();
  }
}

async function simulateOn(
  net: Network,
  duration: number,
  hooks: RunHooks,
): Promise<{ seconds: number; resumedAtMs: number }> {
  const t0 = performance.now();
  await net.prepare(); // compiles wasm steps (cached on disk) and starts their threads
  const ck = hooks.checkpoint;
  let resumedAtMs = 0;
  if (ck?.resume) {
    if (!existsSync(ck.path)) throw new NetworkCheckpointError(`no checkpoint at ${ck.path} to resume`);
    const c = decodeCheckpoint(readFileSync(ck.path), ck.path);
    const was = JSON.stringify((c.meta as { settings?: unknown }).settings);
    if (was !== JSON.stringify(ck.settings))
      throw new NetworkCheckpointError(
        `${ck.path} is a run with other settings (${was}; now ${JSON.stringify(ck.settings)}); use --force to start over`,
      );
    if (c.fingerprint !== net.fingerprint())
      throw new NetworkCheckpointError(
        `${ck.path} is a checkpoint of another network; use --force to start over`,
      );
    net.loadState(c.arrays, ck.path);
    resumedAtMs = net.time;
  }
  const save = async (): Promise<void> => {
    if (!ck) return;
    const bytes = encodeCheckpoint({
      fingerprint: net.fingerprint(),
      meta: { settings: ck.settings },
      arrays: net.saveState(),
    });
    await writeFileAtomic(ck.path, bytes);
  };
  const totalSteps = Math.round(duration / net.dt);
  // Pieces of about half a second of wall time: the run yields (Ctrl-C, progress) between them,
  // and each piece costs a state sync of wasm populations, so they should not be too small.
  let piece = Math.max(1, Math.round(100 / net.dt));
  const saveEvery = ck && ck.everyMs > 0 ? Math.max(1, Math.round(ck.everyMs / net.dt)) : Infinity;
  let sinceSave = 0;
  while (net.stepCount < totalSteps) {
    const steps = Math.min(piece, totalSteps - net.stepCount);
    const began = performance.now();
    net.run(steps * net.dt);
    const took = Math.max(1e-3, (performance.now() - began) / 1000);
    piece = Math.max(1, Math.min(totalSteps, Math.round((steps * 0.5) / took)));
    sinceSave += steps;
    hooks.onProgress?.(net.stepCount / totalSteps);
    const stop = (await hooks.shouldStop?.()) ?? false;
    const unfinished = net.stepCount < totalSteps;
    if (unfinished && (stop || sinceSave >= saveEvery)) {
      await save();
      sinceSave = 0;
    }
    if (stop && unfinished)
      throw (hooks.stopped ?? ((ms: number) => new Error(`stopped at ${ms} ms`)))(net.time);
  }
  if (ck && existsSync(ck.path)) rmSync(ck.path);
  return { seconds: (performance.now() - t0) / 1000, resumedAtMs };
}

function summarise(
  net: Network,
  neurons: number,
  stats: SpikeStatistics,
  duration: number,
  buildSeconds: number,
  simulateSeconds: number,
  resumedAtMs: number,
): NetworkSummary {
  return {
    resumedAtMs,
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
export async function runBenchmark(
  name: BenchmarkName,
  opts: BenchmarkOptions & { duration: number; rateBin?: number },
  hooks: RunHooks = {},
): Promise<NetworkRun> {
  const t0 = performance.now();
  const b = BUILDERS[name](opts);
  const spikes = b.net.spikeMonitor(b.population);
  const rate = b.net.rateMonitor(b.population, opts.rateBin ?? 1);
  const buildSeconds = (performance.now() - t0) / 1000;
  const { seconds: simulateSeconds, resumedAtMs } = await simulate(b.net, opts.duration, hooks);
  const group = recorded(b.population.name, spikes, opts.duration, rate);
  return {
    summary: summarise(
      b.net,
      b.population.n,
      group.stats,
      opts.duration,
      buildSeconds,
      simulateSeconds,
      resumedAtMs,
    ),
    groups: [group],
  };
}

/** Reads and builds a network file, JSON or YAML (errors name the file and the field). */
export function loadNetworkFile(path: string, engine: Engine = {}): LoadedNetwork {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NetworkFileError(`cannot read network file ${path}: ${(err as Error).message}`);
  }
  // YAML for .yaml/.yml files (a superset of JSON), JSON otherwise.
  const yaml = /\.ya?ml$/i.test(path);
  let json: unknown;
  try {
    json = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new NetworkFileError(`${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
  return buildNetwork(json, path, engine);
}

/** A network file, for `duration` ms (default: the file's). Statistics cover every recorded group. */
export async function runNetworkFile(
  path: string,
  duration: number | undefined,
  hooks: RunHooks = {},
  engine: Engine = {},
): Promise<NetworkRun> {
  const t0 = performance.now();
  const loaded = loadNetworkFile(path, engine);
  const buildSeconds = (performance.now() - t0) / 1000;
  const ms = duration ?? loaded.file.duration;
  if (ms === undefined)
    throw new NetworkFileError(`${path}: no "duration" in the file; give one with --duration MS`);
  const { seconds: simulateSeconds, resumedAtMs } = await simulate(loaded.net, ms, hooks);
  const groups = loaded.spikes.map(({ of, monitor }) =>
    recorded(of, monitor, ms, loaded.rates.find((r) => r.of === of)?.monitor),
  );
  const all = groups.flatMap((g) => g.trains);
  const neurons = loaded.net.populations.reduce((s, p) => s + p.n, 0);
  return {
    summary: summarise(
      loaded.net,
      neurons,
      spikeStatistics(all, ms),
      ms,
      buildSeconds,
      simulateSeconds,
      resumedAtMs,
    ),
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
