/**
 * The simulation loop: sample the stimulus, advance the population, record, and stop with a clear
 * error when the integration runs away (NaN/Inf or |V| beyond the model's limit — usually too
 * large a dt for the integrator).
 */
import type { Population } from '../neurons/types.js';
import type { Stimulus } from './stimulus.js';

export interface RecordOptions {
  /** Sampling interval of traces in ms (rounded to a whole number of steps; default: every step). */
  interval?: number;
  /** Variables to record (default ["v"]). */
  variables?: string[];
  /** Which neurons to record (default: the first min(N, 16)). */
  neurons?: number[];
}

export interface SimulationOptions {
  duration: number;
  dt: number;
  record?: RecordOptions | false;
  /** Check for blow-up every this many steps (default 1; populations with advance() check every step). */
  checkEvery?: number;
  /** Called about every 1% of the run with the fraction done. */
  onProgress?: (fraction: number) => void;
}

export interface SimulationResult {
  duration: number;
  dt: number;
  steps: number;
  /** Sample times of the traces, ms. */
  t: number[];
  /** Recorded neuron indices. */
  neurons: number[];
  /** traces[variable][j] is the trace of neurons[j]. */
  traces: Record<string, number[][]>;
  /** Spike times (ms) of every neuron of the population. */
  spikeTimes: number[][];
}

export class SimulationDivergedError extends Error {
  constructor(
    readonly model: string,
    readonly t: number,
    readonly neuron: number,
    readonly value: number,
    readonly dt: number,
  ) {
    super(
      `simulation of ${model} diverged at t = ${t.toFixed(3)} ms (neuron ${neuron}: V = ${value}) with dt = ${dt} ms; ` +
        'the step is too large for this integrator — use a smaller --dt',
    );
    this.name = 'SimulationDivergedError';
  }
}

export function validateTiming(duration: number, dt: number): number {
  if (!(Number.isFinite(dt) && dt > 0)) throw new RangeError(`dt must be a positive number of ms, got ${dt}`);
  if (!(Number.isFinite(duration) && duration > 0))
    throw new RangeError(`duration must be a positive number of ms, got ${duration}`);
  const steps = Math.round(duration / dt);
  if (steps < 1) throw new RangeError(`duration ${duration} ms is shorter than one step of dt = ${dt} ms`);
  if (steps > 2e9)
    throw new RangeError(`duration/dt = ${steps} steps is too many; use a larger dt or shorter duration`);
  return steps;
}

export function simulate(pop: Population, stimulus: Stimulus, opts: SimulationOptions): SimulationResult {
  const { duration, dt } = opts;
  const steps = validateTiming(duration, dt);
  const checkEvery = Math.max(1, Math.floor(opts.checkEvery ?? 1));
  const rec = opts.record === false ? null : (opts.record ?? {});
  const variables = rec?.variables ?? ['v'];
  for (const name of variables)
    if (!pop.variables.includes(name))
      throw new RangeError(
        `model ${pop.model} has no variable "${name}"; it has ${pop.variables.join(', ')}`,
      );
  const neurons = rec ? (rec.neurons ?? Array.from({ length: Math.min(pop.n, 16) }, (_, i) => i)) : [];
  for (const i of neurons)
    if (!(Number.isInteger(i) && i >= 0 && i < pop.n))
      throw new RangeError(`recorded neuron index ${i} is outside 0…${pop.n - 1}`);
  const every = rec?.interval === undefined ? 1 : Math.max(1, Math.round(rec.interval / dt));

  const input = new Float64Array(pop.n);
  const scratch = new Float64Array(pop.n);
  const t: number[] = [];
  const traces: Record<string, number[][]> = {};
  for (const name of variables) traces[name] = neurons.map(() => []);
  const sample = (time: number): void => {
    t.push(time);
    for (const name of variables) {
      pop.read(name, scratch);
      const out = traces[name];
      for (let j = 0; j < neurons.length; j++) out[j].push(scratch[neurons[j]]);
    }
  };

  stimulus.reset();
  if (rec) sample(0);
  const progressEvery = Math.max(1, Math.floor(steps / 100));
  const limit = pop.voltageLimit;
  // Populations with a fused kernel take several steps per call: up to the next trace sample or
  // progress report, with the inputs of those steps (one row when the stimulus is constant).
  const maxChunk = pop.advance ? Math.max(1, Math.floor(pop.maxAdvanceSteps ?? 1)) : 1;
  const held = stimulus.constantInTime === true;
  const rows = pop.advance && !held ? new Float64Array(maxChunk * pop.n) : input;
  for (let s = 0; s < steps;) {
    const time = s * dt;
    let k = 1;
    if (pop.advance) {
      k = Math.min(steps - s, maxChunk);
      if (rec) k = Math.min(k, every - (s % every));
      if (opts.onProgress) k = Math.min(k, progressEvery - (s % progressEvery));
      if (held) stimulus.sample(time, dt, rows);
      else
        for (let j = 0; j < k; j++)
          stimulus.sample((s + j) * dt, dt, rows.subarray(j * pop.n, (j + 1) * pop.n));
      const bad = pop.advance(s, dt, k, rows, held);
      if (bad)
        throw new SimulationDivergedError(pop.model, (s + bad.step) * dt + dt, bad.neuron, bad.value, dt);
    } else {
      stimulus.sample(time, dt, input);
      pop.step(time, dt, input);
      if ((s + 1) % checkEvery === 0 || s + 1 === steps) {
        const v = pop.v;
        for (let i = 0; i < v.length; i++)
          if (!(Math.abs(v[i]) <= limit))
            throw new SimulationDivergedError(pop.model, time + dt, i, v[i], dt);
      }
    }
    s += k;
    if (rec && s % every === 0) sample(s * dt);
    if (opts.onProgress && s % progressEvery === 0) opts.onProgress(s / steps);
  }
  return { duration, dt, steps, t, neurons, traces, spikeTimes: pop.spikeTimes.map((s) => s.slice()) };
}

/**
 * After a blow-up, find a dt that works: halve dt until `run(dt)` completes without diverging
 * (at most `maxHalvings` tries). Returns null when none of them works.
 */
export function findStableDt(run: (dt: number) => void, dt: number, maxHalvings = 8): number | null {
  let candidate = dt;
  for (let i = 0; i < maxHalvings; i++) {
    candidate = roundDownNice(candidate / 2);
    try {
      run(candidate);
      return candidate;
    } catch (err) {
      if (!(err instanceof SimulationDivergedError)) throw err;
    }
  }
  return null;
}

/** Largest value of the form {1, 2, 5}·10^k not above x (a dt people would type). */
export function roundDownNice(x: number): number {
  const exp = Math.floor(Math.log10(x));
  const base = 10 ** exp;
  const mant = x / base;
  const nice = mant >= 5 ? 5 : mant >= 2 ? 2 : 1;
  return Number((nice * base).toPrecision(12));
}
