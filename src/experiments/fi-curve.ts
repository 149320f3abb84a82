/**
 * F–I curve: one population, neuron i held at constant current I_i, so the whole curve is one
 * vectorised run. The steady rate comes from the inter-spike intervals in the last half of the run.
 */
import { steadyRateHz } from '../analysis/metrics.js';
import { createPopulation } from '../sim/registry.js';
import type { IntegratorName } from '../neurons/types.js';
import { simulate } from '../sim/simulate.js';
import { perNeuron } from '../sim/stimulus.js';

export interface FiOptions {
  model: string;
  currents: number[];
  duration: number;
  dt: number;
  integrator: IntegratorName;
  /** Model parameters overriding the defaults (checked against the model's declaration). */
  params?: Record<string, number>;
  onProgress?: (fraction: number) => void;
}

export interface FiPoint {
  current: number;
  rateHz: number;
  spikeCount: number;
  firstSpikeMs: number | null;
}

export interface FiResult {
  config: Omit<FiOptions, 'onProgress'>;
  points: FiPoint[];
}

export function runFiCurve(opts: FiOptions): FiResult {
  if (opts.currents.length === 0) throw new RangeError('F–I curve needs at least one current');
  for (const c of opts.currents)
    if (!Number.isFinite(c)) throw new RangeError(`F–I currents must be finite numbers, got ${c}`);
  const pop = createPopulation(opts.model, opts.currents.length, {
    integrator: opts.integrator,
    params: opts.params,
  });
  const result = simulate(pop, perNeuron(opts.currents), {
    duration: opts.duration,
    dt: opts.dt,
    record: false,
    onProgress: opts.onProgress,
  });
  const points = opts.currents.map((current, i) => {
    const spikes = result.spikeTimes[i];
    return {
      current,
      rateHz: steadyRateHz(spikes, opts.duration / 2, opts.duration),
      spikeCount: spikes.length,
      firstSpikeMs: spikes.length > 0 ? spikes[0] : null,
    };
  });
  const { onProgress: _drop, ...config } = opts;
  return { config, points };
}

/** Smallest current of a sorted sweep with sustained firing (rate > 0), or null. */
export function sustainedFiringOnset(points: FiPoint[]): number | null {
  const sorted = [...points].sort((a, b) => a.current - b.current);
  for (const p of sorted) if (p.rateHz > 0) return p.current;
  return null;
}
