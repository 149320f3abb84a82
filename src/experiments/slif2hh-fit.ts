/**
 * Fit the s-LIF2HH micro-circuit's wiring (three input weights, three non-negative mixing weights)
 * so its output spike train follows an HH neuron's on a set of input waveforms — the simplified
 * study of the paper (its Fig. 3d), where the circuit's parameters are learned. One parameter set
 * serves all waveforms. Seeded random search followed by multiplicative coordinate refinement:
 * cheap (each evaluation is a few hundred 1-ms steps) and deterministic.
 */
import { spikeTimeErrorOverISI } from '../analysis/metrics.js';
import type { SLIF2HHParams } from '../neurons/slif2hh.js';
import { createPopulation } from '../sim/registry.js';
import { simulate } from '../sim/simulate.js';
import type { Stimulus } from '../sim/stimulus.js';
import { Rng } from '../util/rng.js';

export interface FitTarget {
  stimulus: Stimulus;
  /** HH spike times for this stimulus, ms. */
  spikes: number[];
}

export interface FitOptions {
  duration: number;
  /** s-LIF2HH step, ms (the study uses 1). */
  dt: number;
  seed: number;
  /** Random-search samples before refinement. */
  samples?: number;
  /** Coordinate-refinement sweeps. */
  sweeps?: number;
  /** Fix the membrane decay per ms instead of fitting it (the learning code uses 0.5). */
  decay?: number;
  threshold?: number;
}

export interface FitResult {
  params: SLIF2HHParams;
  loss: number;
  evaluations: number;
}

const FREE = ['decay', 'w1', 'w2', 'w3', 'c1', 'c2', 'c3'] as const;

/** Loss per waveform: relative spike-count mismatch plus spike-time error over ISI (paired spikes). */
export function slif2hhLoss(
  params: SLIF2HHParams,
  targets: FitTarget[],
  duration: number,
  dt: number,
): number {
  let loss = 0;
  for (const target of targets) {
    const pop = createPopulation('slif2hh', 1, { params: { ...params } });
    const spikes = simulate(pop, target.stimulus, { duration, dt, record: false }).spikeTimes[0];
    const ref = target.spikes;
    loss += Math.abs(spikes.length - ref.length) / Math.max(1, ref.length);
    const err = spikeTimeErrorOverISI(ref, spikes).value;
    loss += Number.isFinite(err) ? err : 1;
  }
  return loss / targets.length;
}

export function fitSLIF2HH(targets: FitTarget[], opts: FitOptions): FitResult {
  const rng = new Rng(opts.seed);
  const threshold = opts.threshold ?? 2;
  let evaluations = 0;
  const lossOf = (p: SLIF2HHParams): number => {
    evaluations++;
    return slif2hhLoss(p, targets, opts.duration, opts.dt);
  };
  // Log-uniform draws span the plausible scales: input weights for ~10 µA/cm² drives, mixes up to ~1.
  const draw = (): SLIF2HHParams => ({
    threshold,
    decay: opts.decay ?? rng.range(0.3, 0.98),
    w1: 10 ** rng.range(-3, 0),
    w2: 10 ** rng.range(-3, 0),
    w3: 10 ** rng.range(-3, 0),
    c1: 10 ** rng.range(-3, 0.5),
    c2: 10 ** rng.range(-3, 0.5),
    c3: 10 ** rng.range(-3, 0.5),
  });
  let best = draw();
  let bestLoss = lossOf(best);
  for (let i = 1; i < (opts.samples ?? 20000); i++) {
    const p = draw();
    const l = lossOf(p);
    if (l < bestLoss) {
      best = p;
      bestLoss = l;
    }
  }
  let step = 0.5;
  for (let sweep = 0; sweep < (opts.sweeps ?? 40); sweep++) {
    let improved = false;
    for (const key of FREE) {
      for (const factor of [1 + step, 1 / (1 + step)]) {
        if (key === 'decay' && opts.decay !== undefined) continue;
        const p = { ...best, [key]: best[key] * factor };
        if (p.decay > 1) continue;
        const l = lossOf(p);
        if (l < bestLoss) {
          best = p;
          bestLoss = l;
          improved = true;
        }
      }
    }
    if (!improved) step /= 2;
  }
  return { params: best, loss: bestLoss, evaluations };
}
