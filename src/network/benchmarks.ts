/**
 * The two benchmark networks of Brette et al. (2007, J Comput Neurosci 23:349–398) with their
 * published parameters, built on the network API:
 *
 * COBAHH (benchmark 3): N Traub–Miles HH neurons (80% excitatory, 20% inhibitory), each pair
 * connected with probability p = 0.02 (autapses allowed), exponential conductance synapses
 * (excitatory 6 nS, τe 5 ms, Ee 0 mV; inhibitory 67 nS, τi 10 ms, Ei −80 mV), no delay; a spike is
 * an upward crossing of −20 mV, refractory 3 ms; exponential Euler, dt 0.1 ms. Initial states:
 * v ~ N(El − 5, 5²) mV, ge ~ N(40, 15²) nS, gi ~ N(200, 120²) nS, the gates at their steady state
 * at each neuron's v.
 *
 * CUBA (benchmark 2): N leaky integrate-and-fire neurons (τm 20 ms, El −49 mV, threshold −50 mV,
 * reset −60 mV, refractory 5 ms with v held), exponential current synapses in mV (excitatory
 * 1.62 mV, τe 5 ms; inhibitory −9 mV, τi 10 ms), p = 0.02; v starts uniform in [−60, −50) mV.
 */
import { cubaLif } from '../neurons/cuba-lif.js';
import { traubMiles } from '../neurons/traub-miles.js';
import { fixedProbability } from './connectivity.js';
import type { NetworkIntegrator } from './kernel.js';
import { Network } from './network.js';
import type { NetworkBackend, RateTableOptions } from './wasm-step.js';
import type { NeuronPopulation } from './population.js';
import { conductance, current } from './receptors.js';
import { normal, uniform } from './values.js';

export const BENCHMARKS = ['cobahh', 'cuba'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export interface BenchmarkOptions {
  /** Neurons (default 4000). */
  neurons?: number;
  /** Connection probability (default 0.02). */
  p?: number;
  dt?: number;
  seed?: number;
  integrator?: NetworkIntegrator;
  backend?: NetworkBackend;
  threads?: number;
  rateTable?: RateTableOptions | boolean;
}

export interface BenchmarkNetwork {
  net: Network;
  population: NeuronPopulation;
  excitatory: number;
}

/** An 80% excitatory / 20% inhibitory network of N neurons: the network, N, the excitatory count, p. */
function setup(opts: BenchmarkOptions): { net: Network; n: number; ne: number; p: number } {
  const n = opts.neurons ?? 4000;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`--neurons must be an integer ≥ 2, got ${n}`);
  const net = new Network({
    dt: opts.dt ?? 0.1,
    seed: opts.seed ?? 1,
    integrator: opts.integrator,
    backend: opts.backend,
    threads: opts.threads,
    rateTable: opts.rateTable,
  });
  return { net, n, ne: Math.round(0.8 * n), p: opts.p ?? 0.02 };
}

export function cobahh(opts: BenchmarkOptions = {}): BenchmarkNetwork {
  const { net, n, ne, p } = setup(opts);
  const P = net.population('P', {
    model: traubMiles,
    n,
    params: { threshold: -20 },
    receptors: { ge: conductance(5, 0), gi: conductance(10, -80) },
    refractory: 3,
    init: { v: normal(-65, 5), ge: normal(40, 15), gi: normal(200, 120) },
  });
  net.connect(P.slice(0, ne), P, { receptor: 'ge', connectivity: fixedProbability(p), weight: 6 });
  net.connect(P.slice(ne), P, { receptor: 'gi', connectivity: fixedProbability(p), weight: 67 });
  return { net, population: P, excitatory: ne };
}

export function cuba(opts: BenchmarkOptions = {}): BenchmarkNetwork {
  const { net, n, ne, p } = setup(opts);
  const P = net.population('P', {
    model: cubaLif,
    n,
    receptors: { ge: current(5), gi: current(10) },
    init: { v: uniform(-60, -50) },
  });
  net.connect(P.slice(0, ne), P, { receptor: 'ge', connectivity: fixedProbability(p), weight: 1.62 });
  net.connect(P.slice(ne), P, { receptor: 'gi', connectivity: fixedProbability(p), weight: -9 });
  return { net, population: P, excitatory: ne };
}

export { cubaLif };

export const BUILDERS: Readonly<Record<BenchmarkName, (o: BenchmarkOptions) => BenchmarkNetwork>> = {
  cobahh,
  cuba,
};
