/**
 * Populations wired by exponential current synapses: a spike of neuron j of the source adds
 * W[i, j] (µA/cm²) to the synaptic current of neuron i of the target, which then decays with τs.
 * Spikes found during one step reach their targets from the next step on (one-step delay).
 */
import type { Population } from '../neurons/types.js';
import { SimulationDivergedError, validateTiming } from './simulate.js';
import type { Stimulus } from './stimulus.js';
import * as exact from '../util/exact-math.js';

export interface Projection {
  from: number;
  to: number;
  /** Row-major weights, target × source. */
  weights: Float64Array;
  /** Synaptic time constant, ms. */
  tauSyn: number;
}

export interface NetworkRunOptions {
  duration: number;
  dt: number;
  /** Trace sampling interval (ms) for the recorded neurons' V. */
  interval?: number;
  /** Neurons whose V is recorded, per population index. */
  recordV?: Record<number, number[]>;
}

export interface NetworkResult {
  t: number[];
  /** spikeTimes[p][i]: spike times of neuron i of population p. */
  spikeTimes: number[][][];
  /** v[p][j]: trace of neuron recordV[p][j]. */
  v: Record<number, number[][]>;
}

export class Network {
  constructor(
    readonly populations: Population[],
    readonly projections: Projection[],
    /** External input per population (undefined: none). */
    readonly external: (Stimulus | undefined)[],
  ) {
    for (const pr of projections) {
      const src = populations[pr.from];
      const dst = populations[pr.to];
      if (!src || !dst)
        throw new RangeError(`projection ${pr.from}→${pr.to} names a population that does not exist`);
      if (pr.weights.length !== src.n * dst.n)
        throw new RangeError(
          `projection ${pr.from}→${pr.to} needs ${dst.n}×${src.n} = ${src.n * dst.n} weights, got ${pr.weights.length}`,
        );
      if (!(pr.tauSyn > 0)) throw new RangeError(`projection ${pr.from}→${pr.to}: tauSyn must be > 0 ms`);
    }
  }

  run(opts: NetworkRunOptions): NetworkResult {
    const { dt, duration } = opts;
    const steps = validateTiming(duration, dt);
    const pops = this.populations;
    for (const p of pops) p.reset();
    for (const s of this.external) s?.reset();
    const input = pops.map((p) => new Float64Array(p.n));
    const syn = this.projections.map((pr) => new Float64Array(pops[pr.to].n));
    const decay = this.projections.map((pr) => exact.exp(-dt / pr.tauSyn));
    const seen = pops.map((p) => new Int32Array(p.n));
    const every = Math.max(1, Math.round((opts.interval ?? dt) / dt));
    const recordV = opts.recordV ?? {};
    const t: number[] = [];
    const v: Record<number, number[][]> = {};
    for (const key of Object.keys(recordV)) v[Number(key)] = recordV[Number(key)].map(() => []);
    const sample = (time: number): void => {
      t.push(time);
      for (const key of Object.keys(recordV)) {
        const p = Number(key);
        recordV[p].forEach((i, j) => v[p][j].push(pops[p].v[i]));
      }
    };
    sample(0);
    for (let s = 0; s < steps; s++) {
      const time = s * dt;
      for (let p = 0; p < pops.length; p++) {
        const ext = this.external[p];
        if (ext) ext.sample(time, dt, input[p]);
        else input[p].fill(0);
      }
      for (let k = 0; k < this.projections.length; k++) {
        const dst = input[this.projections[k].to];
        const cur = syn[k];
        for (let i = 0; i < dst.length; i++) dst[i] += cur[i];
      }
      for (let p = 0; p < pops.length; p++) {
        pops[p].step(time, dt, input[p]);
        const v = pops[p].v;
        for (let i = 0; i < v.length; i++)
          if (!(Math.abs(v[i]) <= pops[p].voltageLimit))
            throw new SimulationDivergedError(
              `${pops[p].model} (network population ${p})`,
              time + dt,
              i,
              v[i],
              dt,
            );
      }
      // Decay synaptic currents, then add the spikes of this step.
      for (let k = 0; k < this.projections.length; k++) {
        const pr = this.projections[k];
        const cur = syn[k];
        for (let i = 0; i < cur.length; i++) cur[i] *= decay[k];
        const src = pops[pr.from];
        const nSrc = src.n;
        for (let j = 0; j < nSrc; j++) {
          const fresh = src.spikeTimes[j].length - seen[pr.from][j];
          if (fresh <= 0) continue;
          for (let i = 0; i < cur.length; i++) cur[i] += fresh * pr.weights[i * nSrc + j];
        }
      }
      for (let p = 0; p < pops.length; p++)
        for (let i = 0; i < pops[p].n; i++) seen[p][i] = pops[p].spikeTimes[i].length;
      if ((s + 1) % every === 0) sample((s + 1) * dt);
    }
    return { t, spikeTimes: pops.map((p) => p.spikeTimes.map((x) => x.slice())), v };
  }
}
