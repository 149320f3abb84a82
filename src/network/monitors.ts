/**
 * What a network run records: spikes of a view (neuron, time), the population rate in bins, and
 * the traces of chosen states of chosen neurons. Storage grows as needed (typed arrays, doubling).
 */
import { Growable } from '../util/growable.js';
import type { GroupView, NeuronPopulation } from './population.js';

/** A monitor's or group's state as named arrays (checkpoints, checkpoint.ts). */
export type StateArrays = Record<string, Float64Array | Int32Array>;

export class SpikeMonitor {
  private readonly idx = new Growable(new Int32Array(1024));
  private readonly time = new Growable(new Float64Array(1024));
  constructor(readonly view: GroupView) {}

  /** Records the view's spikes of the step that ended at t. */
  record(t: number): void {
    const { group, start, n } = this.view;
    const end = start + n;
    for (let q = 0; q < group.firedCount; q++) {
      const i = group.fired[q];
      if (i >= start && i < end) {
        this.idx.push(i - start);
        this.time.push(t);
      }
    }
  }

  get count(): number {
    return this.idx.length;
  }
  /** Neuron (within the view) of every spike, in time order. */
  get indices(): Int32Array {
    return this.idx.view();
  }
  /** Time (ms) of every spike. */
  get times(): Float64Array {
    return this.time.view();
  }

  saveState(): StateArrays {
    return { idx: this.indices.slice(), time: this.times.slice() };
  }
  loadState(a: StateArrays): void {
    this.idx.load(a.idx);
    this.time.load(a.time);
  }

  /** Spike times per neuron of the view. */
  trains(): number[][] {
    const out: number[][] = Array.from({ length: this.view.n }, () => []);
    const idx = this.indices;
    const t = this.times;
    for (let s = 0; s < idx.length; s++) out[idx[s]].push(t[s]);
    return out;
  }
}

/** Spike counts of a view per bin of `bin` ms; rates in Hz. */
export class RateMonitor {
  private readonly counts = new Growable(new Float64Array(256));
  private inBin = 0;
  private stepsInBin = 0;
  private readonly stepsPerBin: number;
  constructor(
    readonly view: GroupView,
    readonly bin: number,
    dt: number,
  ) {
    this.stepsPerBin = Math.round(bin / dt);
    if (!(this.stepsPerBin >= 1) || Math.abs(this.stepsPerBin * dt - bin) > 1e-9 * bin)
      throw new RangeError(
        `rate monitor of ${view.label}: bin ${bin} ms must be a whole number of steps of ${dt} ms`,
      );
  }

  record(): void {
    const { group, start, n } = this.view;
    const end = start + n;
    for (let q = 0; q < group.firedCount; q++) {
      const i = group.fired[q];
      if (i >= start && i < end) this.inBin++;
    }
    if (++this.stepsInBin === this.stepsPerBin) {
      this.counts.push(this.inBin);
      this.inBin = 0;
      this.stepsInBin = 0;
    }
  }

  saveState(): StateArrays {
    return { counts: this.counts.view().slice(), partial: Float64Array.of(this.inBin, this.stepsInBin) };
  }
  loadState(a: StateArrays): void {
    this.counts.load(a.counts);
    [this.inBin, this.stepsInBin] = a.partial;
  }

  /** Mean rate per neuron (Hz) in each completed bin. */
  get rates(): Float64Array {
    const c = this.counts.view();
    const out = new Float64Array(c.length);
    for (let b = 0; b < c.length; b++) out[b] = c[b] / this.view.n / (this.bin / 1000);
    return out;
  }
}

/** Samples states of some neurons of a population every `interval` ms (and at t = 0). */
export class StateMonitor {
  readonly t: number[] = [];
  /** values[variable][j]: trace of neuron indices[j] (within the view). */
  readonly values: Record<string, number[][]> = {};
  private readonly slots: number[];
  private readonly every: number;
  private steps = 0;
  constructor(
    readonly view: GroupView & { group: NeuronPopulation },
    readonly variables: readonly string[],
    readonly indices: readonly number[],
    interval: number,
    dt: number,
  ) {
    const pop = view.group;
    this.slots = variables.map((v) => pop.stateIndex(v));
    for (const i of indices)
      if (!Number.isInteger(i) || i < 0 || i >= view.n)
        throw new RangeError(`state monitor of ${view.label}: neuron ${i} is not in 0 … ${view.n - 1}`);
    this.every = Math.round(interval / dt);
    if (!(this.every >= 1))
      throw new RangeError(`state monitor of ${view.label}: interval must be ≥ dt (${dt} ms)`);
    for (const v of variables) this.values[v] = indices.map(() => []);
  }

  sample(t: number): void {
    const pop = this.view.group;
    this.t.push(t);
    this.variables.forEach((v, k) => {
      const slot = this.slots[k];
      this.indices.forEach((i, j) => this.values[v][j].push(pop.readState(this.view.start + i, slot)));
    });
  }

  /** Called after every step that ended at t. */
  record(t: number): void {
    if (++this.steps % this.every === 0) this.sample(t);
  }

  saveState(): StateArrays {
    const out: StateArrays = { t: Float64Array.from(this.t), steps: Float64Array.of(this.steps) };
    for (const v of this.variables) out[`v_${v}`] = Float64Array.from(this.values[v].flat());
    return out;
  }
  loadState(a: StateArrays): void {
    this.t.splice(0, this.t.length, ...a.t);
    this.steps = a.steps[0];
    const len = this.t.length;
    for (const v of this.variables)
      this.values[v] = this.indices.map((_, j) => Array.from(a[`v_${v}`].subarray(j * len, (j + 1) * len)));
  }
}
