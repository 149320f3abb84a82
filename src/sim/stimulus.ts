/**
 * Input currents (µA/cm²) for a population of N neurons. Time is in ms, rates in Hz.
 *
 * Every stimulus writes one value per neuron into a caller-owned Float64Array so the simulator's
 * inner loop allocates nothing. Deterministic waveforms ignore `dt`; stochastic ones advance their
 * state by `dt` on every call after the first and re-seed on `reset()`, so a reset run is identical.
 */
import { Rng } from '../util/rng.js';
import * as exact from '../util/exact-math.js';

export interface Stimulus {
  readonly kind: string;
  /** JSON-serialisable parameters (for result files) */
  readonly params: Record<string, number | string | boolean>;
  /** restart from t = 0 (stateful stimuli re-seed so a reset run is identical) */
  reset(): void;
  /** write the current for each neuron at time t (ms) into out; called once per step in time order with the step size dt */
  sample(t: number, dt: number, out: Float64Array): void;
  /** true when sample() writes the same values at every t and keeps no state (sample once, hold) */
  readonly constantInTime?: boolean;
}

export type WaveformKind = 'constant' | 'sine' | 'square' | 'sawtooth' | 'triangle';

export interface WaveformOptions {
  amplitude?: number;
  offset?: number;
  period?: number;
  phase?: number;
  duty?: number;
}

// ---------------------------------------------------------------------------------------------
// Validation helpers: messages name the parameter, the expected range and the offending value.

function finite(where: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new RangeError(`${where}: ${name} must be a finite number, got ${String(x)}`);
  }
  return x;
}

function positive(where: string, name: string, x: unknown, unit: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) {
    throw new RangeError(`${where}: ${name} must be a finite number > 0 (${unit}), got ${String(x)}`);
  }
  return x;
}

function nonNegative(where: string, name: string, x: unknown, unit: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
    throw new RangeError(`${where}: ${name} must be a finite number >= 0 (${unit}), got ${String(x)}`);
  }
  return x;
}

function positiveInt(where: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) {
    throw new RangeError(`${where}: ${name} must be a positive integer, got ${String(x)}`);
  }
  return x;
}

function checkDt(where: string, dt: number): void {
  if (!(dt > 0) || !Number.isFinite(dt)) {
    throw new RangeError(`${where}.sample: dt must be a finite number > 0 (ms), got ${dt}`);
  }
}

/** Fraction of the current period elapsed at t, in [0, 1); floor keeps it correct for t < 0 too. */
function cyclePhase(t: number, period: number): number {
  const x = t / period;
  return x - Math.floor(x);
}

/** A stimulus whose value is the same for every neuron and a pure function of t. */
function uniformStimulus(
  kind: string,
  params: Record<string, number | string | boolean>,
  f: (t: number) => number,
): Stimulus {
  return {
    kind,
    params,
    reset() {},
    sample(t, _dt, out) {
      out.fill(f(t));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Deterministic waveforms

export function constant(opts: { amplitude: number }): Stimulus {
  const amplitude = finite('constant', 'amplitude', opts.amplitude);
  return { ...uniformStimulus('constant', { amplitude }, () => amplitude), constantInTime: true };
}

/** `amplitude` for onset ≤ t < offset, `baseline` otherwise. */
export function step(opts: {
  amplitude: number;
  onset: number;
  offset?: number;
  baseline?: number;
}): Stimulus {
  const amplitude = finite('step', 'amplitude', opts.amplitude);
  const onset = finite('step', 'onset', opts.onset);
  const offset = opts.offset ?? Infinity;
  if (typeof offset !== 'number' || Number.isNaN(offset) || offset < onset) {
    throw new RangeError(`step: offset must be a time in ms >= onset (${onset}) or Infinity, got ${offset}`);
  }
  const baseline = finite('step', 'baseline', opts.baseline ?? 0);
  // JSON has no Infinity, so an open-ended step records its offset as the string 'Infinity'.
  const params = { amplitude, onset, offset: Number.isFinite(offset) ? offset : 'Infinity', baseline };
  return uniformStimulus('step', params, (t) => (t >= onset && t < offset ? amplitude : baseline));
}

/** offset + amplitude·sin(2π t/period + phase). */
export function sine(opts: { offset: number; amplitude: number; period: number; phase?: number }): Stimulus {
  const offset = finite('sine', 'offset', opts.offset);
  const amplitude = finite('sine', 'amplitude', opts.amplitude);
  const period = positive('sine', 'period', opts.period, 'ms');
  const phase = finite('sine', 'phase', opts.phase ?? 0);
  const w = (2 * Math.PI) / period;
  return uniformStimulus(
    'sine',
    { offset, amplitude, period, phase },
    (t) => offset + amplitude * Math.sin(w * t + phase),
  );
}

/** offset + amplitude for the first duty·period of each period, offset − amplitude for the rest. */
export function square(opts: { offset: number; amplitude: number; period: number; duty?: number }): Stimulus {
  const offset = finite('square', 'offset', opts.offset);
  const amplitude = finite('square', 'amplitude', opts.amplitude);
  const period = positive('square', 'period', opts.period, 'ms');
  const duty = opts.duty ?? 0.5;
  if (typeof duty !== 'number' || !(duty >= 0 && duty <= 1)) {
    throw new RangeError(`square: duty must be a number in [0, 1], got ${duty}`);
  }
  return uniformStimulus('square', { offset, amplitude, period, duty }, (t) =>
    cyclePhase(t, period) < duty ? offset + amplitude : offset - amplitude,
  );
}

/** Rises linearly from offset − amplitude (start of each period) towards offset + amplitude. */
export function sawtooth(opts: { offset: number; amplitude: number; period: number }): Stimulus {
  const offset = finite('sawtooth', 'offset', opts.offset);
  const amplitude = finite('sawtooth', 'amplitude', opts.amplitude);
  const period = positive('sawtooth', 'period', opts.period, 'ms');
  return uniformStimulus(
    'sawtooth',
    { offset, amplitude, period },
    (t) => offset - amplitude + 2 * amplitude * cyclePhase(t, period),
  );
}

/** offset − amplitude at the start of each period, offset + amplitude at half period, and back. */
export function triangle(opts: { offset: number; amplitude: number; period: number }): Stimulus {
  const offset = finite('triangle', 'offset', opts.offset);
  const amplitude = finite('triangle', 'amplitude', opts.amplitude);
  const period = positive('triangle', 'period', opts.period, 'ms');
  return uniformStimulus('triangle', { offset, amplitude, period }, (t) => {
    const p = cyclePhase(t, period);
    return offset - amplitude + 4 * amplitude * (p < 0.5 ? p : 1 - p);
  });
}

// ---------------------------------------------------------------------------------------------
// Stochastic stimuli

/**
 * Independent Ornstein–Uhlenbeck current per neuron: dI = (mean − I)/τ dt + σ·√(2/τ) dW.
 *
 * Uses the exact OU transition rather than Euler–Maruyama so the stationary sd is σ for any dt.
 * The first sample after construction/reset is a draw from the stationary distribution; each later
 * call advances by its dt. Each neuron gets its own forked generator so neuron i's trace does not
 * depend on the population size. The population size is taken from the first `out` passed.
 */
export function ornsteinUhlenbeck(opts: {
  mean: number;
  sigma: number;
  tau: number;
  seed: number;
}): Stimulus {
  const mean = finite('ornsteinUhlenbeck', 'mean', opts.mean);
  const sigma = nonNegative('ornsteinUhlenbeck', 'sigma', opts.sigma, 'µA/cm²');
  const tau = positive('ornsteinUhlenbeck', 'tau', opts.tau, 'ms');
  const seed = finite('ornsteinUhlenbeck', 'seed', opts.seed);
  let state: Float64Array | null = null;
  let rngs: Rng[] = [];
  let cachedDt = NaN;
  let decay = 0;
  let noise = 0;
  return {
    kind: 'ou',
    params: { mean, sigma, tau, seed },
    reset() {
      state = null;
      rngs = [];
      cachedDt = NaN;
    },
    sample(_t, dt, out) {
      checkDt('ornsteinUhlenbeck', dt);
      if (state === null) {
        const master = new Rng(seed);
        rngs = Array.from({ length: out.length }, () => master.fork());
        state = new Float64Array(out.length);
        for (let i = 0; i < out.length; i++) state[i] = mean + sigma * rngs[i].normal();
      } else {
        if (state.length !== out.length) {
          throw new RangeError(
            `ornsteinUhlenbeck: out.length changed from ${state.length} to ${out.length}; call reset() first`,
          );
        }
        if (dt !== cachedDt) {
          cachedDt = dt;
          decay = exact.exp(-dt / tau);
          noise = sigma * Math.sqrt(-exact.expm1((-2 * dt) / tau)); // expm1: accurate for dt ≪ τ
        }
        for (let i = 0; i < state.length; i++)
          state[i] = mean + (state[i] - mean) * decay + noise * rngs[i].normal();
      }
      out.set(state);
    },
  };
}

export interface PoissonSynapticStimulus extends Stimulus {
  /** Spike times (ms) of each input train generated so far (copies), for rasters. */
  inputSpikeTimes(): number[][];
}

/**
 * `inputs` independent Poisson trains at rateHz drive an exponentially decaying synaptic current:
 * on each call I_i ← I_i·e^{−dt/τs} + Σ_k W[i,k]·spike_k, where input k spikes in this step with
 * probability 1 − e^{−rate·dt/1000} (spike recorded at time t). `weights` is an nNeurons×inputs
 * row-major matrix (copied) or one number for all weights. Mean current ≈ inputs·rate·w·τs/1000.
 */
export function poissonSynaptic(opts: {
  rateHz: number;
  inputs: number;
  weights: Float64Array | number;
  tauSyn: number;
  seed: number;
  nNeurons: number;
}): PoissonSynapticStimulus {
  const where = 'poissonSynaptic';
  const rateHz = nonNegative(where, 'rateHz', opts.rateHz, 'Hz');
  const inputs = positiveInt(where, 'inputs', opts.inputs);
  const tauSyn = positive(where, 'tauSyn', opts.tauSyn, 'ms');
  const seed = finite(where, 'seed', opts.seed);
  const nNeurons = positiveInt(where, 'nNeurons', opts.nNeurons);
  let matrix: Float64Array | null = null;
  let scalar = 0;
  if (typeof opts.weights === 'number') {
    scalar = finite(where, 'weights', opts.weights);
  } else if (opts.weights instanceof Float64Array) {
    if (opts.weights.length !== nNeurons * inputs) {
      throw new RangeError(
        `${where}: weights must have nNeurons×inputs = ${nNeurons * inputs} entries, got ${opts.weights.length}`,
      );
    }
    if (!opts.weights.every(Number.isFinite)) throw new RangeError(`${where}: weights must all be finite`);
    matrix = Float64Array.from(opts.weights);
  } else {
    throw new RangeError(`${where}: weights must be a Float64Array or a finite number`);
  }

  let rng = new Rng(seed);
  const current = new Float64Array(nNeurons);
  let spikeTimes: number[][] = Array.from({ length: inputs }, () => []);
  const fired = new Int32Array(inputs);
  let cachedDt = NaN;
  let decay = 0;
  let pSpike = 0;
  return {
    kind: 'poisson',
    params: { rateHz, inputs, weights: matrix ? 'matrix' : scalar, tauSyn, seed, nNeurons },
    reset() {
      rng = new Rng(seed);
      current.fill(0);
      spikeTimes = Array.from({ length: inputs }, () => []);
      cachedDt = NaN;
    },
    sample(t, dt, out) {
      checkDt(where, dt);
      if (out.length !== nNeurons) {
        throw new RangeError(`${where}: out.length must equal nNeurons (${nNeurons}), got ${out.length}`);
      }
      if (dt !== cachedDt) {
        cachedDt = dt;
        decay = exact.exp(-dt / tauSyn);
        pSpike = -exact.expm1((-rateHz * dt) / 1000);
      }
      let nFired = 0;
      for (let k = 0; k < inputs; k++) {
        if (rng.uniform() < pSpike) {
          fired[nFired++] = k;
          spikeTimes[k].push(t);
        }
      }
      if (matrix === null) {
        const add = scalar * nFired;
        for (let i = 0; i < nNeurons; i++) current[i] = current[i] * decay + add;
      } else {
        // Only the (few) inputs that fired contribute, so loop over them rather than the full row.
        for (let i = 0; i < nNeurons; i++) {
          let s = current[i] * decay;
          const row = i * inputs;
          for (let j = 0; j < nFired; j++) s += matrix[row + fired[j]];
          current[i] = s;
        }
      }
      out.set(current);
    },
    inputSpikeTimes() {
      return spikeTimes.map((s) => s.slice());
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Composition and dispatch

/** Constant per-neuron currents (neuron i gets values[i], e.g. for F–I curves), plus `base` if given. */
export function perNeuron(values: number[] | Float64Array, base?: Stimulus): Stimulus {
  const v = Float64Array.from(values);
  if (v.length === 0) throw new RangeError('perNeuron: values must contain at least one current');
  v.forEach((x, i) => finite('perNeuron', `values[${i}]`, x));
  const params: Record<string, number | string | boolean> = {
    n: v.length,
    min: Math.min(...v),
    max: Math.max(...v),
  };
  if (base) {
    params.base = base.kind;
    for (const [k, x] of Object.entries(base.params)) params[`base.${k}`] = x;
  }
  return {
    kind: 'perNeuron',
    params,
    constantInTime: base === undefined || base.constantInTime === true,
    reset() {
      base?.reset();
    },
    sample(t, dt, out) {
      if (out.length !== v.length) {
        throw new RangeError(
          `perNeuron: out.length must equal values.length (${v.length}), got ${out.length}`,
        );
      }
      if (!base) {
        out.set(v);
        return;
      }
      base.sample(t, dt, out);
      for (let i = 0; i < v.length; i++) out[i] += v[i];
    },
  };
}

/**
 * Default parameters (offset ± amplitude, period in ms) of the five waveforms used in the
 * HH-vs-micro-circuit equivalence study.
 */
export const STANDARD_WAVEFORMS: Readonly<Record<WaveformKind, Readonly<WaveformOptions>>> = Object.freeze({
  constant: Object.freeze({ amplitude: 10 }),
  sine: Object.freeze({ offset: 10, amplitude: 10, period: 20 }),
  square: Object.freeze({ offset: 9, amplitude: 15.5, period: 8.5 }),
  sawtooth: Object.freeze({ offset: 10, amplitude: 10, period: 20 }),
  triangle: Object.freeze({ offset: 10, amplitude: 10, period: 20 }),
});

/**
 * Build a periodic (or constant) waveform by name. For 'constant' the level is `amplitude`, or
 * `offset` when no amplitude is given. Missing required parameters raise the factory's RangeError.
 */
export function makeWaveform(kind: WaveformKind, opts: WaveformOptions): Stimulus {
  const { amplitude, offset, period, phase, duty } = opts as Required<WaveformOptions>;
  switch (kind) {
    case 'constant':
      return constant({ amplitude: amplitude ?? offset });
    case 'sine':
      return sine({ offset, amplitude, period, phase });
    case 'square':
      return square({ offset, amplitude, period, duty });
    case 'sawtooth':
      return sawtooth({ offset, amplitude, period });
    case 'triangle':
      return triangle({ offset, amplitude, period });
    default:
      throw new RangeError(
        `makeWaveform: kind must be one of constant, sine, square, sawtooth, triangle, got "${String(kind)}"`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// CLI parsing

export const STIMULUS_KINDS = [
  'constant',
  'step',
  'sine',
  'square',
  'sawtooth',
  'triangle',
  'ou',
  'poisson',
] as const;

/** Defaults for flags a CLI user leaves out (waveforms default to STANDARD_WAVEFORMS). */
export const STIMULUS_CLI_DEFAULTS = Object.freeze({
  step: { amplitude: 10, onset: 0 },
  ou: { mean: 10, sigma: 5, tau: 5, seed: 1 },
  // 100 inputs × 20 Hz × w 1 × τs 5 ms / 1000 → mean drive 10 µA/cm², comparable to the waveforms.
  poisson: { rate: 20, inputs: 100, weight: 1, tauSyn: 5, seed: 1 },
});

type Check = 'finite' | 'positive' | 'nonNegative' | 'fraction' | 'int' | 'positiveInt' | 'timeOrInf';
const CHECK_TEXT: Record<Check, string> = {
  finite: 'a finite number',
  positive: 'a positive number',
  nonNegative: 'a non-negative number',
  fraction: 'a number in [0, 1]',
  int: 'an integer',
  positiveInt: 'a positive integer',
  timeOrInf: 'a number of ms or Infinity',
};

/**
 * Build a stimulus from CLI-style options (values may be strings). Recognised keys: amplitude,
 * offset, period, phase, duty, onset, mean, sigma, tau, rate, inputs, weight, tauSyn, seed, and
 * neurons (population size, required for 'poisson'). For 'step', `offset` is the end time (ms).
 * Unrelated keys are ignored. Errors name the flag in kebab case, e.g. `--tau-syn`.
 */
export function parseStimulusOptions(
  kind: string,
  opts: Record<string, string | number | undefined>,
): Stimulus {
  const get = (key: string, check: Check, unit: string, fallback?: number): number => {
    const flag = '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    const raw = opts[key];
    if (raw === undefined) {
      if (fallback === undefined) throw new Error(`${flag} is required for --stimulus ${kind}`);
      return fallback;
    }
    const s = typeof raw === 'string' ? raw.trim() : raw;
    const x = s === '' ? NaN : /^[+]?inf(inity)?$/i.test(String(s)) ? Infinity : Number(s);
    const ok =
      check === 'timeOrInf'
        ? !Number.isNaN(x) && x !== -Infinity
        : Number.isFinite(x) &&
          (check === 'finite' ||
            (check === 'positive' && x > 0) ||
            (check === 'nonNegative' && x >= 0) ||
            (check === 'fraction' && x >= 0 && x <= 1) ||
            (check === 'int' && Number.isInteger(x)) ||
            (check === 'positiveInt' && Number.isInteger(x) && x >= 1));
    if (!ok)
      throw new Error(
        `${flag} must be ${CHECK_TEXT[check]}${unit ? ` of ${unit}` : ''}, got "${String(raw)}"`,
      );
    return x;
  };

  switch (kind) {
    case 'constant':
    case 'sine':
    case 'square':
    case 'sawtooth':
    case 'triangle': {
      const d = STANDARD_WAVEFORMS[kind];
      if (kind === 'constant') {
        // like makeWaveform: the level is --amplitude, else --offset
        const level =
          opts.amplitude === undefined ? get('offset', 'finite', 'µA/cm²', d.amplitude) : undefined;
        return constant({ amplitude: level ?? get('amplitude', 'finite', 'µA/cm²') });
      }
      return makeWaveform(kind, {
        offset: get('offset', 'finite', 'µA/cm²', d.offset),
        amplitude: get('amplitude', 'finite', 'µA/cm²', d.amplitude),
        period: get('period', 'positive', 'ms', d.period),
        phase: get('phase', 'finite', 'radians', 0),
        duty: get('duty', 'fraction', '', 0.5),
      });
    }
    case 'step': {
      const d = STIMULUS_CLI_DEFAULTS.step;
      const onset = get('onset', 'finite', 'ms', d.onset);
      const offset = get('offset', 'timeOrInf', '', Infinity);
      if (offset < onset)
        throw new Error(`--offset must not be earlier than --onset (${onset} ms), got "${opts.offset}"`);
      return step({ amplitude: get('amplitude', 'finite', 'µA/cm²', d.amplitude), onset, offset });
    }
    case 'ou': {
      const d = STIMULUS_CLI_DEFAULTS.ou;
      return ornsteinUhlenbeck({
        mean: get('mean', 'finite', 'µA/cm²', d.mean),
        sigma: get('sigma', 'nonNegative', 'µA/cm²', d.sigma),
        tau: get('tau', 'positive', 'ms', d.tau),
        seed: get('seed', 'int', '', d.seed),
      });
    }
    case 'poisson': {
      const d = STIMULUS_CLI_DEFAULTS.poisson;
      return poissonSynaptic({
        rateHz: get('rate', 'nonNegative', 'Hz', d.rate),
        inputs: get('inputs', 'positiveInt', '', d.inputs),
        weights: get('weight', 'finite', 'µA/cm²', d.weight),
        tauSyn: get('tauSyn', 'positive', 'ms', d.tauSyn),
        seed: get('seed', 'int', '', d.seed),
        nNeurons: get('neurons', 'positiveInt', ''),
      });
    }
    default:
      throw new Error(`unknown stimulus kind "${kind}"; valid kinds: ${STIMULUS_KINDS.join(', ')}`);
  }
}
