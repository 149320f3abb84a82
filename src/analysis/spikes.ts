/**
 * Spike detection as upward threshold crossings of the membrane potential. The crossing time is
 * linearly interpolated within the step, which removes most of the O(dt) timing error of simply
 * reporting the step's end time (matters when comparing spike times across models at coarse dt).
 */

/** Time at which the line through (t0, v0), (t1, v1) reaches threshold; requires v0 < θ ≤ v1. */
export function crossingTime(t0: number, t1: number, v0: number, v1: number, threshold: number): number {
  return t0 + ((t1 - t0) * (threshold - v0)) / (v1 - v0);
}

/** Online detector for a population of n neurons, fed once per simulation step. */
export class SpikeDetector {
  private readonly prev: Float64Array;
  private primed = false;
  private times: number[][];

  constructor(
    readonly n: number,
    readonly threshold: number,
  ) {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`SpikeDetector: n must be a positive integer, got ${n}`);
    // +Infinity is allowed: a model that never spikes (no crossing can reach it).
    if (Number.isNaN(threshold) || threshold === -Infinity) {
      throw new RangeError(`SpikeDetector: threshold must be a number of mV or +Infinity, got ${threshold}`);
    }
    this.prev = new Float64Array(n);
    this.times = Array.from({ length: n }, () => []);
  }

  /** Per-neuron spike times (ms) detected so far, ascending. */
  get spikeTimes(): number[][] {
    return this.times;
  }

  /**
   * Record v (length n) at time t, dt after the previous call. A spike is an upward crossing
   * prev < θ ≤ v; the first call after construction/reset only stores v (nothing to cross from).
   */
  observe(t: number, dt: number, v: Float64Array): void {
    if (v.length !== this.n) {
      throw new RangeError(`SpikeDetector.observe: v.length must equal n (${this.n}), got ${v.length}`);
    }
    const { prev, threshold } = this;
    if (this.primed) {
      const t0 = t - dt;
      for (let i = 0; i < this.n; i++) {
        const p = prev[i];
        const x = v[i];
        if (p < threshold && x >= threshold) this.times[i].push(crossingTime(t0, t, p, x, threshold));
      }
    }
    prev.set(v);
    this.primed = true;
  }

  /** Forget all spikes and the stored potentials. */
  reset(): void {
    this.primed = false;
    this.times = Array.from({ length: this.n }, () => []);
  }
}

/** Upward crossings of `threshold` in a recorded trace v(t), linearly interpolated between samples. */
export function detectSpikes(t: ArrayLike<number>, v: ArrayLike<number>, threshold: number): number[] {
  if (t.length !== v.length) {
    throw new RangeError(`detectSpikes: t and v must have equal lengths, got ${t.length} and ${v.length}`);
  }
  if (!Number.isFinite(threshold)) {
    throw new RangeError(`detectSpikes: threshold must be a finite number (mV), got ${threshold}`);
  }
  const out: number[] = [];
  for (let i = 1; i < v.length; i++) {
    if (v[i - 1] < threshold && v[i] >= threshold)
      out.push(crossingTime(t[i - 1], t[i], v[i - 1], v[i], threshold));
  }
  return out;
}
