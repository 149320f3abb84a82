/**
 * Throughput of a full-HH population simulation (neuron-steps per second), the baseline the
 * performance work is measured against. Times the real simulate() loop (blow-up checks included,
 * recording off) after a short warm-up run so the JIT has compiled the kernel. The population is
 * the fast one of the active backend where it has one (wasm: hh, hh-modern), else the reference.
 */
import { performance } from 'node:perf_hooks';
import { createPopulation } from '../sim/registry.js';
import type { IntegratorName } from '../neurons/types.js';
import { simulate } from '../sim/simulate.js';
import { constant } from '../sim/stimulus.js';

export interface BenchSimOptions {
  model: string;
  neurons: number;
  duration: number;
  dt: number;
  integrator: IntegratorName;
  /** Input current, µA/cm² (10: regular firing, so spike detection is exercised too). */
  current: number;
  repeats: number;
  /** Rate-table spacing in mV for the fast HH kernel's exponential Euler (absent: exact rates). */
  rateTable?: number;
}

export interface BenchSimResult {
  model: string;
  integrator: IntegratorName;
  neurons: number;
  steps: number;
  repeats: number;
  seconds: number[];
  medianSeconds: number;
  neuronStepsPerSec: number;
  spikes: number;
  /** Kernel backend that ran the population ('js': the plain-TypeScript reference). */
  backend: string;
  /** The rate table's spacing the population ran with (null: exact rates). */
  rateTableMv: number | null;
  node: string;
}

export function benchSim(opts: BenchSimOptions): BenchSimResult {
  const stim = constant({ amplitude: opts.current });
  let backend = 'js';
  let rateTableMv: number | null = null;
  const run = (duration: number): { seconds: number; spikes: number; steps: number } => {
    const pop = createPopulation(opts.model, opts.neurons, {
      integrator: opts.integrator,
      fast: true,
      rateTable: opts.rateTable !== undefined ? { step: opts.rateTable } : null,
    });
    backend = pop.backend ?? 'js';
    const mv = pop.params.rateTableMv;
    rateTableMv = typeof mv === 'number' ? mv : null;
    const t0 = performance.now();
    const res = simulate(pop, stim, { duration, dt: opts.dt, record: false });
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, spikes: res.spikeTimes.reduce((s, x) => s + x.length, 0), steps: res.steps };
  };
  run(Math.min(opts.duration, 200 * opts.dt)); // warm-up
  const runs = Array.from({ length: opts.repeats }, () => run(opts.duration));
  const seconds = runs.map((r) => r.seconds);
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return {
    model: opts.model,
    integrator: opts.integrator,
    neurons: opts.neurons,
    steps: runs[0].steps,
    repeats: opts.repeats,
    seconds,
    medianSeconds: median,
    neuronStepsPerSec: (opts.neurons * runs[0].steps) / median,
    spikes: runs[0].spikes,
    backend,
    rateTableMv,
    node: process.version,
  };
}
