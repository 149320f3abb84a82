/**
 * Is the time step accurate, not just stable? A step-doubling probe: the same short run at dt and
 * at dt/2 must give the same spikes (counts per neuron, and spike times within a tolerance).
 * When they differ the step is halved until a pair agrees, and that step is suggested. A blow-up
 * is another matter (simulate.ts's divergence check and the CLI's stable-dt advice).
 */
import type { IntegratorName } from '../neurons/types.js';
import { createPopulation } from './registry.js';
import { SimulationDivergedError, roundDownNice, simulate } from './simulate.js';
import type { Stimulus } from './stimulus.js';

export interface TimeStepProbe {
  model: string;
  integrator: IntegratorName;
  params?: Record<string, number>;
  /** A fresh stimulus for `neurons` neurons (deterministic in time: the same input at every dt). */
  stimulus: () => Stimulus;
  neurons: number;
  /** Simulated time of each probe run (ms). */
  duration: number;
}

export interface TimeStepVerdict {
  agrees: boolean;
  /** How the spikes at dt and dt/2 differ (empty when they agree). */
  difference: string;
  /** The largest step (1-2-5 series, ≤ dt/2) that agrees with its half, when dt does not; else null. */
  suggestion: number | null;
}

/** Spike times may differ this much between dt and dt/2 (ms), or by two steps when dt is large. */
export const SPIKE_TIME_TOLERANCE_MS = 1;
/** Halvings tried when looking for a step that agrees. */
const HALVINGS = 8;

/** Spike times per neuron of one probe run at step dt. */
export function probeSpikes(probe: TimeStepProbe, dt: number): number[][] {
  const pop = createPopulation(probe.model, probe.neurons, {
    integrator: probe.integrator,
    params: probe.params,
  });
  return simulate(pop, probe.stimulus(), { duration: probe.duration, dt, record: false }).spikeTimes;
}

/**
 * Where two runs' spikes disagree (coarse at dtA, fine at dtB), or null when they agree: the same
 * spikes, each within the tolerance. `duration` is the runs' length: a spike that one run has just
 * before the end and the other just after is not a difference.
 */
export function spikeDifference(
  a: number[][],
  b: number[][],
  dtA: number,
  dtB: number,
  duration: number,
): string | null {
  const tol = Math.max(SPIKE_TIME_TOLERANCE_MS, 2 * dtA);
  const spikes = (n: number) => `${n} spike${n === 1 ? '' : 's'}`;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    const common = Math.min(x.length, y.length);
    const extra = (x.length > y.length ? x : y).slice(common);
    if (extra.some((t) => t < duration - tol))
      return `neuron ${i} fires ${spikes(x.length)} at dt ${dtA} ms but ${spikes(y.length)} at dt ${dtB} ms`;
    for (let k = 0; k < common; k++) {
      if (Math.abs(x[k] - y[k]) > tol)
        return (
          `neuron ${i}'s spike ${k + 1} comes at ${x[k].toFixed(2)} ms with dt ${dtA} ms but at ` +
          `${y[k].toFixed(2)} ms with dt ${dtB} ms`
        );
    }
  }
  return null;
}

/**
 * Compares the probe at dt and dt/2; when they differ, looks for the largest step that agrees with
 * its own half. A finer run that blows up counts as disagreeing; one at dt itself is left to the
 * run's own blow-up detection (reported as agreeing here).
 */
export function checkTimeStep(probe: TimeStepProbe, dt: number): TimeStepVerdict {
  const run = (d: number): number[][] | null => {
    try {
      return probeSpikes(probe, d);
    } catch (err) {
      if (err instanceof SimulationDivergedError) return null;
      throw err;
    }
  };
  const compare = (d: number, coarse: number[][] | null, fine: number[][] | null): string | null => {
    if (!coarse) return `the run at dt ${d} ms blows up`;
    if (!fine) return `the run at dt ${d / 2} ms blows up`;
    return spikeDifference(coarse, fine, d, d / 2, probe.duration);
  };
  let coarse = run(dt);
  // A blow-up at dt itself is the stability check's to report (with its own advice).
  if (!coarse) return { agrees: true, difference: '', suggestion: null };
  let fine = run(dt / 2);
  const difference = compare(dt, coarse, fine);
  if (difference === null) return { agrees: true, difference: '', suggestion: null };
  let d = dt / 2;
  for (let i = 0; i < HALVINGS; i++) {
    coarse = fine;
    fine = run(d / 2);
    if (compare(d, coarse, fine) === null) return { agrees: false, difference, suggestion: roundDownNice(d) };
    d /= 2;
  }
  return { agrees: false, difference, suggestion: null };
}
