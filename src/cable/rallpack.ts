/**
 * Rallpack 1 (Bhalla, Bilitch & Bower 1992): a passive cable 1 mm long and 1 µm thick, Ri 100
 * Ω·cm, Rm 40,000 Ω·cm², Cm 1 µF/cm², rest −65 mV, 0.1 nA injected into one end from t = 0 for
 * 250 ms; V at both ends against the analytic solution.
 */
import { compartmentalize, cylinder } from '../morphology/tree.js';
import { passive } from './channels.js';
import { simulateCable } from './simulate.js';

export const RALLPACK1 = { L: 1000, d: 1, ri: 100, rm: 40000, cm: 1, e: -65, i: 0.1 };

/**
 * Analytic V(x, t) (mV; x µm, t ms) of the finite sealed-end cable with current I injected at
 * x = 0 from t = 0. With X = x/λ, T = t/τ, ℓ = L/λ and A = I·ri·λ:
 *   v = A·[cosh(ℓ − X)/sinh ℓ − e^(−T)/ℓ − (2/ℓ)·Σ_{n≥1} cos(nπX/ℓ)·e^(−(1 + k²)T)/(1 + k²)],  k = nπ/ℓ
 * (the transient is the steady state expanded in the cable's Neumann modes).
 */
export function rallpackV(x: number, t: number): number {
  const r = RALLPACK1.d / 2;
  const lambda = Math.sqrt((RALLPACK1.rm * r * 1e-4) / (2 * RALLPACK1.ri)) * 1e4; // µm
  const tau = RALLPACK1.rm * RALLPACK1.cm * 1e-3; // ms
  const riPerUm = (RALLPACK1.ri * 1e4) / (Math.PI * r * r); // Ω/µm: Ri/(πr²) with r in cm, per µm
  const A = RALLPACK1.i * 1e-9 * riPerUm * lambda * 1e3; // mV
  const X = x / lambda;
  const T = t / tau;
  const l = RALLPACK1.L / lambda;
  let v = Math.cosh(l - X) / Math.sinh(l) - Math.exp(-T) / l;
  for (let n = 1; ; n++) {
    const k = (n * Math.PI) / l;
    const ex = (1 + k * k) * T;
    if (ex > 60 && n > 10) break;
    v -= ((2 / l) * Math.cos(k * X) * Math.exp(-ex)) / (1 + k * k);
    if (n > 1e6) break;
  }
  return RALLPACK1.e + A * v;
}

export interface RallpackRun {
  compartments: number;
  dt: number;
  method: 'cn' | 'be';
  /** Max |V − analytic| (mV) at x = 0 and x = L over the whole run, from 0.1 ms on, from 1 ms on. */
  maxError: { all: [number, number]; from01: [number, number]; from1: [number, number] };
  /** V at both ends at 250 ms, mV. */
  vEnd: [number, number];
}

/** Runs Rallpack 1 with N compartments and step dt; errors at the end compartments' nodes. */
export function rallpack1(N = 1000, dt = 0.01, method: 'cn' | 'be' = 'cn', tStop = 250) {
  const c = compartmentalize(cylinder({ lengthUm: RALLPACK1.L, diameterUm: RALLPACK1.d }), { perSection: N });
  const r = simulateCable({
    compartments: c,
    cm: RALLPACK1.cm,
    ri: RALLPACK1.ri,
    mechanisms: [{ mechanism: passive({ rm: RALLPACK1.rm, e: RALLPACK1.e }) }],
    vInit: RALLPACK1.e,
    dt,
    tStop,
    method,
    clamps: [{ at: 0, amplitudeNa: RALLPACK1.i, startMs: 0, endMs: Infinity }],
    record: [0, N - 1],
  });
  // Compare at the nodes (the middles of the end compartments, x = dx/2 and L − dx/2).
  const xs = [0.5 * (c.x0[0] + c.x1[0]), 0.5 * (c.x0[N - 1] + c.x1[N - 1])];
  return { r, xs };
}

/** Max |V − analytic| at both ends over the samples with t ≥ from (every sample below 1 ms, then every 5th). */
export function rallpackError(
  r: ReturnType<typeof rallpack1>['r'],
  xs: number[],
  from: number,
): [number, number] {
  const out: [number, number] = [0, 0];
  for (let n = 1; n < r.t.length; n++) {
    if (r.t[n] < from || (r.t[n] >= 1 && n % 5 !== 0)) continue;
    for (let k = 0; k < 2; k++) out[k] = Math.max(out[k], Math.abs(r.v[k][n] - rallpackV(xs[k], r.t[n])));
  }
  return out;
}

/** The acceptance figures of one Rallpack 1 run. */
export function rallpack1Summary(N = 1000, dt = 0.01, method: 'cn' | 'be' = 'cn'): RallpackRun {
  const { r, xs } = rallpack1(N, dt, method);
  const last = r.t.length - 1;
  return {
    compartments: N,
    dt,
    method,
    maxError: {
      all: rallpackError(r, xs, 0),
      from01: rallpackError(r, xs, 0.1),
      from1: rallpackError(r, xs, 1),
    },
    vEnd: [r.v[0][last], r.v[1][last]],
  };
}
