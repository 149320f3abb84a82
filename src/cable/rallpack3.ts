/**
 * Rallpack 3 (Bhalla, Bilitch & Bower 1992): the Rallpack 1 cable with the squid sodium and
 * potassium channels of Hodgkin & Huxley (1952) added.
 *
 * The published specification: 1 mm long, 1 µm thick, 1000 equal compartments; RA 100 Ω·cm,
 * RM 40,000 Ω·cm² (the leak, reversal −65 mV = the rest), CM 1 µF/cm²; GNa 120 and GK 36
 * mS/cm², ENa +50 mV, EK −77 mV; the HH rate functions with their sign reversed and the rest
 * put at −65 mV (exactly HH_MODERN's rates in neurons/hh.ts, unscaled: 6.3 °C); 0.1 nA
 * injected into the first compartment for 0.25 s; V recorded in the first and last
 * compartments. Note the leak: it is the passive RM of Rallpack 1 (0.025 mS/cm² at −65 mV),
 * not HH's gL 0.3 mS/cm² at −54.4 mV, so the cable is not exactly at rest at −65 mV before
 * the current starts (the HH currents there are not zero); it is started at −65 mV with the
 * gates at their steady state, as the specification has it.
 *
 * There is no analytic solution. What this module measures, and why:
 * - the **reference** is the same model run on a much finer grid (by default 2× the
 *   compartments and dt = 0.0025 ms, Crank–Nicolson; measured: halving dx from 1 µm moves the
 *   last spike by 4e−4 ms, and CN's dt error there is ≈ 7e−3 ms at dt 0.01, second order, so
 *   the reference is more than 10× closer to convergence than the default run). That is how
 *   the Rallpack reference traces were made in the first place (simulators run to
 *   convergence), done here by hhnet itself; docs/compartments.md also compares it with an
 *   independent solver;
 * - the **acceptance figures** of a run against that reference, at both ends: the spike count
 *   (0 mV upward crossings, interpolated in time), the spike-time differences (matched in
 *   order; the largest absolute one and the last one, which accumulates any error in the
 *   firing period), and the RMS difference of V over the whole 250 ms (the reference linearly
 *   interpolated onto the run's sample times). A spike train shifted by δt gives an RMS
 *   difference of roughly the spike's slope × δt, so the RMS figure is dominated by timing;
 * - the **rule** hhnet applies (`passes`): the same, non-zero spike count at both ends, every spike
 *   time within `toleranceMs` (default 0.2 ms: about a tenth of a spike's width, 1.4% of the
 *   interspike interval) of the reference's. The tests add that the errors shrink as dt
 *   halves (convergence), which is the property a fine reference can check without an exact
 *   answer.
 *
 * The original Rallpack reports give one percentage error per run, from the package's own
 * comparison program against its reference traces; that formula is not reproduced here, so
 * these figures are not on that scale.
 */
import { compartmentalize, cylinder } from '../morphology/tree.js';
import { detectSpikes } from '../analysis/spikes.js';
import { hhChannels, passive } from './channels.js';
import { simulateCable } from './simulate.js';
import { RALLPACK1 } from './rallpack.js';

export const RALLPACK3 = {
  ...RALLPACK1,
  gNa: 120,
  gK: 36,
  ENa: 50,
  EK: -77,
  tStop: 250,
  /** The spike threshold used for the counts and times, mV. */
  threshold: 0,
} as const;

export interface Rallpack3Options {
  /** Compartments along the 1 mm cable (default 1000, the specification's). */
  compartments?: number;
  /** Time step, ms (default 0.01). */
  dt?: number;
  method?: 'cn' | 'be';
  /** Simulated time, ms (default 250, the specification's). */
  tStop?: number;
}

export interface Rallpack3Trace {
  compartments: number;
  dt: number;
  method: 'cn' | 'be';
  t: Float64Array;
  /** V at the first and the last compartment's node, mV. */
  v: [Float64Array, Float64Array];
  /** Spike times (0 mV upward crossings) at both ends, ms. */
  spikes: [number[], number[]];
  seconds: number;
}

function check(o: Rallpack3Options): Required<Rallpack3Options> {
  // Options left undefined take the defaults (a spread would let an explicit undefined through).
  const r = {
    compartments: o.compartments ?? 1000,
    dt: o.dt ?? 0.01,
    method: o.method ?? 'cn',
    tStop: o.tStop ?? RALLPACK3.tStop,
  };
  if (!(Number.isInteger(r.compartments) && r.compartments >= 2))
    throw new RangeError(`Rallpack 3: compartments must be an integer ≥ 2, got ${r.compartments}`);
  if (!(r.dt > 0 && Number.isFinite(r.dt))) throw new RangeError(`Rallpack 3: dt must be > 0, got ${r.dt}`);
  if (!(r.tStop > 0 && Number.isFinite(r.tStop)))
    throw new RangeError(`Rallpack 3: tStop must be > 0, got ${r.tStop}`);
  if (r.method !== 'cn' && r.method !== 'be')
    throw new RangeError(`Rallpack 3: method must be cn or be, got ${String(r.method)}`);
  return r;
}

/** Runs the Rallpack 3 axon; V at both ends and their spike times. */
export function rallpack3(o: Rallpack3Options = {}): Rallpack3Trace {
  const { compartments: N, dt, method, tStop } = check(o);
  const c = compartmentalize(cylinder({ lengthUm: RALLPACK3.L, diameterUm: RALLPACK3.d }), { perSection: N });
  const t0 = performance.now();
  const r = simulateCable({
    compartments: c,
    cm: RALLPACK3.cm,
    ri: RALLPACK3.ri,
    mechanisms: [
      {
        mechanism: hhChannels({
          convention: 'modern',
          leak: false,
          params: { gNa: RALLPACK3.gNa, gK: RALLPACK3.gK, ENa: RALLPACK3.ENa, EK: RALLPACK3.EK },
          temperatureC: 6.3,
        }),
      },
      { mechanism: passive({ rm: RALLPACK3.rm, e: RALLPACK3.e }) },
    ],
    vInit: RALLPACK3.e,
    dt,
    tStop,
    method,
    clamps: [{ at: 0, amplitudeNa: RALLPACK3.i, startMs: 0, endMs: Infinity }],
    record: [0, N - 1],
  });
  const seconds = (performance.now() - t0) / 1000;
  const v: [Float64Array, Float64Array] = [r.v[0], r.v[1]];
  return {
    compartments: N,
    dt,
    method,
    t: r.t,
    v,
    spikes: [detectSpikes(r.t, v[0], RALLPACK3.threshold), detectSpikes(r.t, v[1], RALLPACK3.threshold)],
    seconds,
  };
}

/** Linear interpolation of (t, v) at time x (t ascending, uniform or not). */
function interpolate(t: Float64Array, v: Float64Array, x: number): number {
  if (x <= t[0]) return v[0];
  const last = t.length - 1;
  if (x >= t[last]) return v[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (t[mid] <= x) lo = mid;
    else hi = mid;
  }
  return v[lo] + ((v[hi] - v[lo]) * (x - t[lo])) / (t[hi] - t[lo]);
}

export interface Rallpack3End {
  spikes: number;
  referenceSpikes: number;
  /** Largest |t − t_ref| over the spikes matched in order (both trains' first min(n, n_ref)), ms. */
  maxSpikeTimeDiffMs: number;
  /** t − t_ref of the last matched spike, ms (accumulated period error; signed). */
  lastSpikeTimeDiffMs: number;
  /** RMS of V − V_ref over the run's samples, mV. */
  rmsErrorMv: number;
}

/** The acceptance figures of a run against a reference (both ends: x = 0, x = L). */
export function rallpack3Compare(run: Rallpack3Trace, ref: Rallpack3Trace): [Rallpack3End, Rallpack3End] {
  const tEnd = Math.min(run.t[run.t.length - 1], ref.t[ref.t.length - 1]);
  const ends = [0, 1].map((k) => {
    const a = run.spikes[k];
    const b = ref.spikes[k];
    const m = Math.min(a.length, b.length);
    let maxDiff = 0;
    for (let i = 0; i < m; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    let sq = 0;
    let n = 0;
    for (let i = 0; i < run.t.length && run.t[i] <= tEnd; i++) {
      const d = run.v[k][i] - interpolate(ref.t, ref.v[k], run.t[i]);
      sq += d * d;
      n++;
    }
    return {
      spikes: a.length,
      referenceSpikes: b.length,
      maxSpikeTimeDiffMs: m > 0 ? maxDiff : NaN,
      lastSpikeTimeDiffMs: m > 0 ? a[m - 1] - b[m - 1] : NaN,
      rmsErrorMv: Math.sqrt(sq / n),
    };
  });
  return [ends[0], ends[1]];
}

export interface Rallpack3Summary {
  rallpack: 3;
  run: { compartments: number; dt: number; method: 'cn' | 'be'; seconds: number };
  reference: { compartments: number; dt: number; method: 'cn' | 'be'; seconds: number };
  tStop: number;
  /** x = 0 (the stimulated end) and x = L. */
  ends: [Rallpack3End, Rallpack3End];
  toleranceMs: number;
  /** Equal, non-zero spike counts at both ends and every matched spike within toleranceMs. */
  passes: boolean;
  /** Spike times at both ends of the run, ms. */
  spikeTimes: [number[], number[]];
}

/**
 * Runs Rallpack 3 and its reference (default: 2× the compartments, dt 0.0025 ms, CN) and returns
 * the acceptance figures (see the file's doc for the rule).
 */
export function rallpack3Summary(
  run: Rallpack3Options = {},
  reference: Rallpack3Options = {},
  toleranceMs = 0.2,
): Rallpack3Summary {
  if (!(toleranceMs > 0)) throw new RangeError(`Rallpack 3: tolerance must be > 0 ms, got ${toleranceMs}`);
  const r = rallpack3(run);
  const ref = rallpack3({
    compartments: reference.compartments ?? 2 * r.compartments,
    dt: reference.dt ?? 0.0025,
    method: reference.method ?? 'cn',
    tStop: reference.tStop ?? r.t[r.t.length - 1],
  });
  const ends = rallpack3Compare(r, ref);
  const passes = ends.every(
    (e) => e.spikes === e.referenceSpikes && e.spikes > 0 && e.maxSpikeTimeDiffMs <= toleranceMs,
  );
  const info = (x: Rallpack3Trace) => ({
    compartments: x.compartments,
    dt: x.dt,
    method: x.method,
    seconds: x.seconds,
  });
  return {
    rallpack: 3,
    run: info(r),
    reference: info(ref),
    tStop: r.t[r.t.length - 1],
    ends,
    toleranceMs,
    passes,
    spikeTimes: r.spikes,
  };
}
