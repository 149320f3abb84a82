/**
 * The study's equivalence experiment (its Fig. 3 and supplementary Figs. 2.1–2.2): drive an HH
 * neuron, the tv-LIF2HH micro-circuit and the s-LIF2HH micro-circuit with the same five
 * waveforms and compare spike trains and voltage; then the same comparison for two small
 * networks (inputs → 128 → 10 feedforward, and a three-neuron circuit of two drivers and one
 * output with weights +20 and −20) built once from HH neurons and once from tv-LIF2HH circuits.
 */
import { coincidenceFactor, rmse, spikeTimeErrorOverISI, vanRossumDistance } from '../analysis/metrics.js';
import { createPopulation } from '../sim/registry.js';
import type { SLIF2HHParams } from '../neurons/slif2hh.js';
import type { IntegratorName } from '../neurons/types.js';
import { Network } from '../sim/network.js';
import { simulate } from '../sim/simulate.js';
import { STANDARD_WAVEFORMS, makeWaveform, poissonSynaptic } from '../sim/stimulus.js';
import type { Stimulus, WaveformKind } from '../sim/stimulus.js';
import { Rng } from '../util/rng.js';
import { fitSLIF2HH } from './slif2hh-fit.js';

export const WAVEFORMS: readonly WaveformKind[] = ['constant', 'sine', 'square', 'sawtooth', 'triangle'];

export interface EquivalenceOptions {
  /** HH and tv-LIF2HH step, ms (study: 0.001). */
  dt: number;
  /** Duration per waveform, ms. */
  duration: number;
  integrator: IntegratorName;
  /** s-LIF2HH step, ms (study: 1). */
  slif2hhDt: number;
  seed: number;
  /** Trace sampling interval for figures and V RMSE, ms. */
  traceInterval: number;
  /** Coincidence window Δ of Kistler's Γ, ms. */
  coincidenceWindow: number;
  /** van Rossum kernel time constant, ms. */
  vanRossumTau: number;
  /** Skip the two network comparisons (faster). */
  skipNetworks?: boolean;
  onProgress?: (message: string) => void;
}

export const EQUIVALENCE_DEFAULTS: Readonly<EquivalenceOptions> = Object.freeze({
  dt: 0.001,
  duration: 80,
  integrator: 'euler',
  slif2hhDt: 1,
  seed: 1,
  traceInterval: 0.05,
  coincidenceWindow: 2,
  vanRossumTau: 5,
});

export interface EquivalenceEntry {
  stimulus: string;
  model: 'tvlif2hh' | 'slif2hh';
  spikeCount: number;
  referenceSpikeCount: number;
  spikeTimeErrorOverISI: number | null;
  coincidence: number;
  vanRossum: number;
  /** RMSE between V traces, mV; null where the model's V has no counterpart (s-LIF2HH). */
  vRmse: number | null;
}

export interface WaveformRun {
  stimulus: WaveformKind;
  params: Record<string, number | string | boolean>;
  t: number[];
  hhV: number[];
  tvlif2hhV: number[];
  /** Input current at the trace samples, µA/cm². */
  current: number[];
  spikes: { hh: number[]; tvlif2hh: number[]; slif2hh: number[] };
}

export interface NetworkComparison {
  name: string;
  description: string;
  layers: { name: string; size: number }[];
  /** Spike trains per layer for each implementation. */
  hh: number[][][];
  tvlif2hh: number[][][];
  totalSpikes: { hh: number; tvlif2hh: number };
  /** Neurons whose spike counts agree, out of all. */
  equalCounts: number;
  neurons: number;
  /** Mean Γ over neurons that fired in either implementation. */
  meanCoincidence: number | null;
  /** Largest |t_HH − t_tvLIF2HH| over paired spikes, ms. */
  maxSpikeTimeDiff: number;
}

export interface EquivalenceResult {
  config: Omit<EquivalenceOptions, 'onProgress'>;
  entries: EquivalenceEntry[];
  slif2hhFit: { params: SLIF2HHParams; loss: number; evaluations: number };
  waveforms: WaveformRun[];
  networks: NetworkComparison[];
}

const nullIfNaN = (x: number): number | null => (Number.isFinite(x) ? x : null);

function compareTrains(
  stimulus: string,
  model: EquivalenceEntry['model'],
  ref: number[],
  test: number[],
  opts: EquivalenceOptions,
  vRmse: number | null,
): EquivalenceEntry {
  return {
    stimulus,
    model,
    spikeCount: test.length,
    referenceSpikeCount: ref.length,
    spikeTimeErrorOverISI: nullIfNaN(spikeTimeErrorOverISI(ref, test).value),
    coincidence: coincidenceFactor(ref, test, { window: opts.coincidenceWindow, duration: opts.duration }),
    vanRossum: vanRossumDistance(ref, test, opts.vanRossumTau),
    vRmse,
  };
}

export function runEquivalence(partial: Partial<EquivalenceOptions> = {}): EquivalenceResult {
  const opts: EquivalenceOptions = { ...EQUIVALENCE_DEFAULTS, ...partial };
  const say = opts.onProgress ?? (() => undefined);
  const record = { interval: opts.traceInterval, variables: ['v'], neurons: [0] };
  const waveforms: WaveformRun[] = [];
  for (const kind of WAVEFORMS) {
    say(`waveform ${kind}: HH and tv-LIF2HH at dt ${opts.dt} ms`);
    const stim = makeWaveform(kind, STANDARD_WAVEFORMS[kind]);
    const run = (model: string) =>
      simulate(createPopulation(model, 1, { integrator: opts.integrator }), stim, {
        duration: opts.duration,
        dt: opts.dt,
        record,
      });
    const hh = run('hh');
    const tv = run('tvlif2hh');
    const current = new Float64Array(1);
    const currentTrace = hh.t.map((time) => {
      stim.sample(time, opts.dt, current);
      return current[0];
    });
    waveforms.push({
      stimulus: kind,
      params: stim.params,
      t: hh.t,
      hhV: hh.traces.v[0],
      tvlif2hhV: tv.traces.v[0],
      current: currentTrace,
      spikes: { hh: hh.spikeTimes[0], tvlif2hh: tv.spikeTimes[0], slif2hh: [] },
    });
  }

  say('fitting the s-LIF2HH wiring to the HH spike trains');
  const fit = fitSLIF2HH(
    waveforms.map((w) => ({
      stimulus: makeWaveform(w.stimulus, STANDARD_WAVEFORMS[w.stimulus]),
      spikes: w.spikes.hh,
    })),
    { duration: opts.duration, dt: opts.slif2hhDt, seed: opts.seed },
  );
  for (const w of waveforms) {
    const pop = createPopulation('slif2hh', 1, { params: { ...fit.params } });
    const stim = makeWaveform(w.stimulus, STANDARD_WAVEFORMS[w.stimulus]);
    w.spikes.slif2hh = simulate(pop, stim, {
      duration: opts.duration,
      dt: opts.slif2hhDt,
      record: false,
    }).spikeTimes[0];
  }

  const entries: EquivalenceEntry[] = [];
  for (const w of waveforms) {
    entries.push(
      compareTrains(w.stimulus, 'tvlif2hh', w.spikes.hh, w.spikes.tvlif2hh, opts, rmse(w.hhV, w.tvlif2hhV)),
    );
    entries.push(compareTrains(w.stimulus, 'slif2hh', w.spikes.hh, w.spikes.slif2hh, opts, null));
  }

  const networks: NetworkComparison[] = [];
  if (!opts.skipNetworks) {
    say('feedforward network inputs → 128 → 10, HH vs tv-LIF2HH');
    networks.push(feedforwardComparison(opts));
    say('three-neuron circuit (two drivers, weights +20/−20), HH vs tv-LIF2HH');
    networks.push(driverCircuitComparison(opts));
  }
  const { onProgress: _drop, ...config } = opts;
  return { config, entries, slif2hhFit: fit, waveforms, networks };
}

/** Compare the same network built from HH neurons and from tv-LIF2HH circuits. */
function compareNetworks(
  name: string,
  description: string,
  layers: { name: string; size: number }[],
  build: (model: string) => Network,
  opts: EquivalenceOptions,
): NetworkComparison {
  const runs = ['hh', 'tvlif2hh'].map(
    (model) => build(model).run({ duration: opts.duration, dt: opts.dt, interval: opts.duration }).spikeTimes,
  );
  const [hh, tv] = runs;
  let equalCounts = 0;
  let neurons = 0;
  let gammaSum = 0;
  let gammaN = 0;
  let maxDiff = 0;
  const total = { hh: 0, tvlif2hh: 0 };
  hh.forEach((layer, p) =>
    layer.forEach((ref, i) => {
      const test = tv[p][i];
      neurons++;
      total.hh += ref.length;
      total.tvlif2hh += test.length;
      if (ref.length === test.length) equalCounts++;
      for (let k = 0; k < Math.min(ref.length, test.length); k++)
        maxDiff = Math.max(maxDiff, Math.abs(ref[k] - test[k]));
      if (ref.length + test.length > 0) {
        gammaSum += coincidenceFactor(ref, test, { window: opts.coincidenceWindow, duration: opts.duration });
        gammaN++;
      }
    }),
  );
  return {
    name,
    description,
    layers,
    hh,
    tvlif2hh: tv,
    totalSpikes: total,
    equalCounts,
    neurons,
    meanCoincidence: gammaN > 0 ? gammaSum / gammaN : null,
    maxSpikeTimeDiff: maxDiff,
  };
}

function uniformWeights(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = rng.range(lo, hi);
  return w;
}

export const FEEDFORWARD = Object.freeze({ inputs: 100, hidden: 128, outputs: 10, rateHz: 40, tauSyn: 2 });

function feedforwardComparison(opts: EquivalenceOptions): NetworkComparison {
  const { inputs, hidden, outputs, rateHz, tauSyn } = FEEDFORWARD;
  const rng = new Rng(opts.seed + 101);
  // Mean drive of a hidden neuron: inputs·rate·E[w]·τs/1000 = 100·40·2.5·2/1000 = 20 µA/cm².
  const inputWeights = uniformWeights(rng, hidden * inputs, 0, 5);
  const hiddenWeights = uniformWeights(rng, outputs * hidden, -1, 3);
  const inputSeed = rng.nextUint32();
  const build = (model: string): Network =>
    new Network(
      [
        createPopulation(model, hidden, { integrator: opts.integrator }),
        createPopulation(model, outputs, { integrator: opts.integrator }),
      ],
      [{ from: 0, to: 1, weights: hiddenWeights, tauSyn }],
      [
        poissonSynaptic({ rateHz, inputs, weights: inputWeights, tauSyn, seed: inputSeed, nNeurons: hidden }),
        undefined,
      ],
    );
  return compareNetworks(
    'feedforward',
    `${inputs} Poisson inputs (${rateHz} Hz) → ${hidden} → ${outputs}, exponential synapses τs = ${tauSyn} ms`,
    [
      { name: 'hidden', size: hidden },
      { name: 'output', size: outputs },
    ],
    build,
    opts,
  );
}

/** Two drivers receive on/off currents in four phases (00, 10, 01, 11); the output gets +20 from A, −20 from B. */
function phaseStimulus(duration: number, amplitude: number): Stimulus {
  const phases = [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ];
  return {
    kind: 'phases',
    params: { amplitude, phaseMs: duration / 4 },
    reset() {},
    sample(t, _dt, out) {
      const phase = phases[Math.min(3, Math.floor((4 * t) / duration))];
      out[0] = amplitude * phase[0];
      out[1] = amplitude * phase[1];
    },
  };
}

function driverCircuitComparison(opts: EquivalenceOptions): NetworkComparison {
  const build = (model: string): Network =>
    new Network(
      [
        createPopulation(model, 2, { integrator: opts.integrator }),
        createPopulation(model, 1, { integrator: opts.integrator }),
      ],
      [{ from: 0, to: 1, weights: Float64Array.from([20, -20]), tauSyn: 2 }],
      [phaseStimulus(opts.duration, 10), undefined],
    );
  return compareNetworks(
    'driver-circuit',
    'drivers A, B (10 µA/cm² when on; phases 00, 10, 01, 11) → output with weights +20 (A), −20 (B), τs = 2 ms',
    [
      { name: 'drivers', size: 2 },
      { name: 'output', size: 1 },
    ],
    build,
    opts,
  );
}
