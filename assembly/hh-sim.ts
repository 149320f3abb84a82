// Population of full Hodgkin–Huxley neurons advanced many steps per call (the fast twin of
// src/sim/population.ts with src/neurons/hh.ts, in float32): four neurons per f32x4 vector
// ("group"), blocks of groups stepped through all the call's steps, so a call costs one JS↔wasm
// crossing and neurons can be split across threads in chunks of groups (jobs.ts).
//
// The model is hh.ts's, term for term: rates of the shifted voltage u = v − vOffset, the vtrap
// rule x/(eˣ − 1) → 1 − x/2 for |x| < 1e-6, gates in quasi-linear form dx/dt = α − (α + β)x, and
// the same three integrators (forward Euler, exponential Euler / Rush–Larsen with its b·dt ≤ 1e-12
// fallback, classical RK4). Only the exponentials are shared where the algebra allows:
// e^(−u/20) = (e^(−u/80))⁴ and e^((30 − u)/10) = e^0.5·e^((25 − u)/10), four exponentials per
// rate evaluation instead of six.
//
// Per call the host writes an argument block (hhSetArgs) naming an input set of states, the input
// currents (one row held for all steps, or one row per step) and an output set:
//   v, m, h, n   float32 × nPad each (nPad = n rounded up to 4; the host fills pad lanes with a
//                resting neuron and zero input, and they are never reported)
//   counts       i32 × nPad: spikes of each neuron in this call, or −1 − s when |v| left the limit
//                (or became NaN) at step s — that neuron's block (BLOCK groups) then stops there,
//                its state as of that step
//   slots        nPad × HH_SLOTS pairs (step i32, fraction float32): spike k of neuron i is the
//                pair at slots + 8·(i·HH_SLOTS + k): the upward threshold crossing in step s of
//                this call, at the linearly interpolated fraction of that step
//                (src/analysis/spikes.ts's rule)
// A crossing needs v below threshold at the previous step, so a neuron crosses at most once per
// two steps: calls of at most 2·HH_SLOTS steps can never run out of slots.

import { ONE, TWO, vc, vexp, vexpm1 } from './vmath';
import { R0125, R007, R10, R25, R4, R_M18, R_M80, R_SQRT_E, R_SQRT_E_1, R_TENTH, vtrap } from './hh-rates';

export const HH_EULER: i32 = 0;
export const HH_EXPEULER: i32 = 1;
export const HH_RK4: i32 = 2;
export const HH_SLOTS: i32 = 64;
// Exponential Euler with the gates' updates interpolated from a rate table (hhSetTable); not a
// method the host names: hhAdvance takes it for HH_EXPEULER when the block has a table.
const HH_EXPEULER_TABLE: i32 = 3;

// Argument block (byte offsets).
const A_N = 0;
const A_STEPS = 4;
const A_METHOD = 8;
const A_STRIDE = 12;
const A_DT = 16;
const A_C = 20;
const A_GNA = 24;
const A_GK = 28;
const A_GL = 32;
const A_ENA = 36;
const A_EK = 40;
const A_EL = 44;
const A_VOFF = 48;
const A_TH = 52;
const A_LIM = 56;
const A_IN = 60;
const A_INPUT = 64;
const A_OUT = 68;
// Derived once per call by hhSetArgs.
const A_INV_C = 72;
const A_GL_EL = 76;
const A_HALF_DT = 80;
const A_SIXTH_DT = 84;
const A_B_SERIES = 88; // PHI_MAX / dt: the largest b for which exp-Euler uses the φ series
// The rate table (hhSetTable; A_TAB 0: none).
const A_TAB = 92;
const A_TMIN = 96;
const A_TINV = 100;
const A_TROWS = 104;
export const HH_ARG_BYTES: i32 = 108;
/** Floats per rate-table row: A, B of m, h, n and two pads, then the slopes to the next row. */
export const HH_TABLE_ROW: i32 = 16;

/** Bytes of one state/output set for n neurons (layout above). */
export function hhSetBytes(n: i32): i32 {
  return ((n + 3) & ~3) * 4 * (5 + 2 * HH_SLOTS);
}

/**
 * Writes the argument block at args: n neurons, `steps` steps of `dt` ms with `method`; input
 * rows `inputStride` bytes apart (0: one row held for every step); the HH parameters (hh.ts's
 * HHParams), the spike threshold and the |v| limit; the input state set, input and output set.
 */
export function hhSetArgs(
  args: usize,
  n: i32,
  steps: i32,
  method: i32,
  inputStride: i32,
  dt: f32,
  C: f32,
  gNa: f32,
  gK: f32,
  gL: f32,
  ENa: f32,
  EK: f32,
  EL: f32,
  vOffset: f32,
  threshold: f32,
  limit: f32,
  inSet: usize,
  input: usize,
  outSet: usize,
): void {
  store<i32>(args, n, A_N);
  store<i32>(args, steps, A_STEPS);
  store<i32>(args, method, A_METHOD);
  store<i32>(args, inputStride, A_STRIDE);
  store<f32>(args, dt, A_DT);
  store<f32>(args, C, A_C);
  store<f32>(args, gNa, A_GNA);
  store<f32>(args, gK, A_GK);
  store<f32>(args, gL, A_GL);
  store<f32>(args, ENa, A_ENA);
  store<f32>(args, EK, A_EK);
  store<f32>(args, EL, A_EL);
  store<f32>(args, vOffset, A_VOFF);
  store<f32>(args, threshold, A_TH);
  store<f32>(args, limit, A_LIM);
  store<usize>(args, inSet, A_IN);
  store<usize>(args, input, A_INPUT);
  store<usize>(args, outSet, A_OUT);
  store<f32>(args, 1 / C, A_INV_C);
  store<f32>(args, gL * EL, A_GL_EL);
  store<f32>(args, dt * 0.5, A_HALF_DT);
  store<f32>(args, dt / 6, A_SIXTH_DT);
  store<f32>(args, load<f32>(PHI_MAX) / dt, A_B_SERIES);
  store<usize>(args, 0, A_TAB);
}

/**
 * Gives the block at args a rate table for exponential Euler: rows r = 0 … rows − 1 at potentials
 * min + r/inv, HH_TABLE_ROW floats each (at tab, 64-byte aligned): Am, Bm, Ah, Bh, An, Bn, 0, 0,
 * then the same eight slopes to the next row. A gate x steps as x + A − B·x (A = α·f, B = (α + β)·f,
 * f = −expm1(−(α + β)·dt)/(α + β), computed by the host in float64 for this dt). A vector with a
 * potential off the table (or NaN) takes the exact rates.
 */
export function hhSetTable(args: usize, tab: usize, min: f32, inv: f32, rows: i32): void {
  store<usize>(args, tab, A_TAB);
  store<f32>(args, min, A_TMIN);
  store<f32>(args, inv, A_TINV);
  store<f32>(args, <f32>rows, A_TROWS);
}

/**
 * Argument `at` of the block at args in all four lanes. Loaded at each use, like the vector
 * constants (vc): V8 keeps values live across the loop in registers or stack slots, and with
 * sixteen vector registers the step's own temporaries need them more.
 */
// @ts-ignore: decorator
@inline
function param(args: usize, at: usize): v128 {
  return v128.load32_splat(args + at);
}

// ---------------------------------------------------------------------------------------------
// The population loop

/** Spike k of neuron i in this call: step s, crossing from p to x. */
function recordSpike(counts: usize, slots: usize, i: i32, s: i32, p: f32, x: f32, th: f32): void {
  const at = counts + ((<usize>i) << 2);
  const c = load<i32>(at);
  if (c < 0 || c >= HH_SLOTS) return; // cannot happen for calls of ≤ 2·HH_SLOTS steps
  const slot = slots + ((<usize>(i * HH_SLOTS + c)) << 3);
  store<i32>(slot, s);
  store<f32>(slot, (th - p) / (x - p), 4);
  store<i32>(at, c + 1);
}

/**
 * The rare step where some lane of group g crossed the threshold or left the limit. Records the
 * valid lanes' spikes, or marks the lanes that left the limit; returns whether any did.
 */
function noteEvents(
  n: i32,
  g: i32,
  s: i32,
  prev: v128,
  v: v128,
  cross: v128,
  bad: v128,
  th: f32,
  counts: usize,
  slots: usize,
): bool {
  const i0 = g << 2;
  const lanes = n - i0 < 4 ? n - i0 : 4;
  const valid = (1 << lanes) - 1;
  const badBits = i32x4.bitmask(bad) & valid;
  if (badBits != 0) {
    for (let l = 0; l < lanes; l++)
      if ((badBits >> l) & 1) store<i32>(counts + ((<usize>(i0 + l)) << 2), -1 - s);
    return true;
  }
  const bits = i32x4.bitmask(cross) & valid;
  if (bits & 1) recordSpike(counts, slots, i0, s, f32x4.extract_lane(prev, 0), f32x4.extract_lane(v, 0), th);
  if (bits & 2)
    recordSpike(counts, slots, i0 + 1, s, f32x4.extract_lane(prev, 1), f32x4.extract_lane(v, 1), th);
  if (bits & 4)
    recordSpike(counts, slots, i0 + 2, s, f32x4.extract_lane(prev, 2), f32x4.extract_lane(v, 2), th);
  if (bits & 8)
    recordSpike(counts, slots, i0 + 3, s, f32x4.extract_lane(prev, 3), f32x4.extract_lane(v, 3), th);
  return false;
}

const EULER_FALLBACK = memory.data<f32>([1e-12]);
// φ(z) = (1 − e^(−z))/z = Σ (−z)^j/(j + 1)! to z⁷: remainder < z⁸/9! ≤ 1.1e-8 for |z| ≤ PHI_MAX.
const PHI_MAX = memory.data<f32>([0.5]);
const P1 = memory.data<f32>([-1.0 / 2]);
const P2 = memory.data<f32>([1.0 / 6]);
const P3 = memory.data<f32>([-1.0 / 24]);
const P4 = memory.data<f32>([1.0 / 120]);
const P5 = memory.data<f32>([-1.0 / 720]);
const P6 = memory.data<f32>([1.0 / 5040]);
const P7 = memory.data<f32>([-1.0 / 40320]);

/** φ(z) for |z| ≤ PHI_MAX (Estrin's form). */
// @ts-ignore: decorator
@inline
function phi(z: v128): v128 {
  const z2 = f32x4.mul(z, z);
  const q0 = f32x4.add(vc(ONE), f32x4.mul(z, vc(P1)));
  const q1 = f32x4.add(vc(P2), f32x4.mul(z, vc(P3)));
  const q2 = f32x4.add(vc(P4), f32x4.mul(z, vc(P5)));
  const q3 = f32x4.add(vc(P6), f32x4.mul(z, vc(P7)));
  const hi = f32x4.add(q2, f32x4.mul(z2, q3));
  return f32x4.add(f32x4.add(q0, f32x4.mul(z2, q1)), f32x4.mul(f32x4.mul(z2, z2), hi));
}

/** Exponential-Euler coefficient −expm1(−b·dt)/b (dt when b·dt ≤ 1e-12), as integrators.ts. */
// @ts-ignore: decorator
@inline
function expEulerCoef(b: v128, dt: v128): v128 {
  const z = f32x4.mul(b, dt);
  return v128.bitselect(f32x4.div(f32x4.neg(vexpm1(f32x4.neg(z))), b), dt, f32x4.gt(z, vc(EULER_FALLBACK)));
}

/** The same coefficient as dt·φ(b·dt), for b·dt ≤ PHI_MAX. */
// @ts-ignore: decorator
@inline
function seriesCoef(b: v128, dt: v128): v128 {
  return f32x4.mul(dt, phi(f32x4.mul(b, dt)));
}

/** y + (a − b·y)·coef. */
// @ts-ignore: decorator
@inline
function relax(y: v128, a: v128, b: v128, coef: v128): v128 {
  return f32x4.add(y, f32x4.mul(f32x4.sub(a, f32x4.mul(b, y)), coef));
}

/** a − b·y. */
// @ts-ignore: decorator
@inline
function slope(y: v128, a: v128, b: v128): v128 {
  return f32x4.sub(a, f32x4.mul(b, y));
}

/** y + h·k. */
// @ts-ignore: decorator
@inline
function axpy(y: v128, h: v128, k: v128): v128 {
  return f32x4.add(y, f32x4.mul(h, k));
}

/**
 * The membrane's exponential-Euler step from the step's start (the exact path's own update of v,
 * for the table path, whose gates need no rates).
 */
// @ts-ignore: decorator
@inline
function stepVoltage(args: usize, I: v128, v: v128, m: v128, h: v128, nn: v128): v128 {
  const gNaNow = f32x4.mul(param(args, A_GNA), f32x4.mul(f32x4.mul(f32x4.mul(m, m), m), h));
  const n2 = f32x4.mul(nn, nn);
  const gKNow = f32x4.mul(param(args, A_GK), f32x4.mul(n2, n2));
  const av = f32x4.mul(
    f32x4.add(
      f32x4.add(f32x4.add(I, f32x4.mul(gNaNow, param(args, A_ENA))), f32x4.mul(gKNow, param(args, A_EK))),
      param(args, A_GL_EL),
    ),
    param(args, A_INV_C),
  );
  const bv = f32x4.mul(f32x4.add(f32x4.add(gNaNow, gKNow), param(args, A_GL)), param(args, A_INV_C));
  return v128.any_true(f32x4.gt(bv, param(args, A_B_SERIES)))
    ? relax(v, av, bv, expEulerCoef(bv, param(args, A_DT)))
    : relax(v, av, bv, seriesCoef(bv, param(args, A_DT)));
}

// Groups per block: a block's state (64 B per group) stays in L1 while it is stepped through time.
const BLOCK: i32 = 64;

/**
 * Groups [g0, g1) of the population at args with a constant method (one copy per method). Time
 * runs outside the loop over a block's groups: a step of one group is a long dependent chain
 * (exponentials, divisions), and consecutive groups are independent, so the CPU overlaps them.
 * A block stops after the step where one of its neurons left the limit.
 */
// @ts-ignore: decorator
@inline
function advanceGroups(args: usize, g0: i32, g1: i32, method: i32): void {
  const n = load<i32>(args, A_N);
  const groups = (n + 3) >> 2;
  const gEnd = g1 < groups ? g1 : groups;
  const steps = load<i32>(args, A_STEPS);
  const stride = <usize>load<i32>(args, A_STRIDE);
  const thS = load<f32>(args, A_TH);
  const zero = f32x4.splat(0);
  const plane = (<usize>groups) << 4;
  const inSet = load<usize>(args, A_IN);
  const input = load<usize>(args, A_INPUT);
  const outV = load<usize>(args, A_OUT);
  const outM = outV + plane;
  const outH = outV + 2 * plane;
  const outN = outV + 3 * plane;
  const counts = outV + 4 * plane;
  const slots = outV + 5 * plane;
  const stages = method == HH_RK4 ? 4 : 1;
  const tab = load<usize>(args, A_TAB);

  for (let b0 = g0; b0 < gEnd; b0 += BLOCK) {
    const b1 = b0 + BLOCK < gEnd ? b0 + BLOCK : gEnd;
    // The block is stepped in place in the output set.
    for (let g = b0; g < b1; g++) {
      const off = (<usize>g) << 4;
      v128.store(outV + off, v128.load(inSet + off));
      v128.store(outM + off, v128.load(inSet + plane + off));
      v128.store(outH + off, v128.load(inSet + 2 * plane + off));
      v128.store(outN + off, v128.load(inSet + 3 * plane + off));
      v128.store(counts + off, zero);
    }
    for (let s = 0; s < steps; s++) {
      let stop = false;
      const row = input + <usize>s * stride;
      for (let g = b0; g < b1; g++) {
        const off = (<usize>g) << 4;
        const I = v128.load(row + off);
        const prev = v128.load(outV + off);
        let v = prev;
        let m = v128.load(outM + off);
        let h = v128.load(outH + off);
        let nn = v128.load(outN + off);
        // Stage state (RK4 evaluates the rates at four points; the others at the step's start).
        let yv = v;
        let ym = m;
        let yh = h;
        let yn = nn;
        let sv = zero;
        let sm = zero;
        let sh = zero;
        let sn = zero;
        for (let stage = 0; stage < stages; stage++) {
          if (method == HH_EXPEULER_TABLE) {
            const ru = f32x4.mul(f32x4.sub(yv, param(args, A_TMIN)), param(args, A_TINV));
            if (i32x4.all_true(v128.and(f32x4.ge(ru, zero), f32x4.lt(ru, param(args, A_TROWS))))) {
              v = stepVoltage(args, I, v, m, h, nn);
              // Each lane's row as four vectors (values, then slopes), interpolated, then 4×4
              // shuffles into one vector per quantity.
              const rj = i32x4.trunc_sat_f32x4_s(ru);
              const rw = f32x4.sub(ru, f32x4.convert_i32x4_s(rj));
              const ro = i32x4.add(i32x4.mul(rj, i32x4.splat(HH_TABLE_ROW << 2)), i32x4.splat(<i32>tab));
              const r0 = <usize>i32x4.extract_lane(ro, 0);
              const r1 = <usize>i32x4.extract_lane(ro, 1);
              const r2 = <usize>i32x4.extract_lane(ro, 2);
              const r3 = <usize>i32x4.extract_lane(ro, 3);
              const w0 = f32x4.shuffle(rw, rw, 0, 0, 0, 0);
              const w1 = f32x4.shuffle(rw, rw, 1, 1, 1, 1);
              const w2 = f32x4.shuffle(rw, rw, 2, 2, 2, 2);
              const w3 = f32x4.shuffle(rw, rw, 3, 3, 3, 3);
              const p0 = f32x4.add(v128.load(r0), f32x4.mul(w0, v128.load(r0, 32)));
              const p1 = f32x4.add(v128.load(r1), f32x4.mul(w1, v128.load(r1, 32)));
              const p2 = f32x4.add(v128.load(r2), f32x4.mul(w2, v128.load(r2, 32)));
              const p3 = f32x4.add(v128.load(r3), f32x4.mul(w3, v128.load(r3, 32)));
              const q0 = f32x4.add(v128.load(r0, 16), f32x4.mul(w0, v128.load(r0, 48)));
              const q1 = f32x4.add(v128.load(r1, 16), f32x4.mul(w1, v128.load(r1, 48)));
              const q2 = f32x4.add(v128.load(r2, 16), f32x4.mul(w2, v128.load(r2, 48)));
              const q3 = f32x4.add(v128.load(r3, 16), f32x4.mul(w3, v128.load(r3, 48)));
              const u01 = f32x4.shuffle(p0, p1, 0, 4, 1, 5);
              const u23 = f32x4.shuffle(p2, p3, 0, 4, 1, 5);
              const x01 = f32x4.shuffle(p0, p1, 2, 6, 3, 7);
              const x23 = f32x4.shuffle(p2, p3, 2, 6, 3, 7);
              const y01 = f32x4.shuffle(q0, q1, 0, 4, 1, 5);
              const y23 = f32x4.shuffle(q2, q3, 0, 4, 1, 5);
              m = f32x4.add(
                m,
                f32x4.sub(
                  f32x4.shuffle(u01, u23, 0, 1, 4, 5),
                  f32x4.mul(f32x4.shuffle(u01, u23, 2, 3, 6, 7), m),
                ),
              );
              h = f32x4.add(
                h,
                f32x4.sub(
                  f32x4.shuffle(x01, x23, 0, 1, 4, 5),
                  f32x4.mul(f32x4.shuffle(x01, x23, 2, 3, 6, 7), h),
                ),
              );
              nn = f32x4.add(
                nn,
                f32x4.sub(
                  f32x4.shuffle(y01, y23, 0, 1, 4, 5),
                  f32x4.mul(f32x4.shuffle(y01, y23, 2, 3, 6, 7), nn),
                ),
              );
              continue;
            }
          }
          const u = f32x4.sub(yv, param(args, A_VOFF));
          const xm = f32x4.mul(f32x4.sub(vc(R25), u), vc(R_TENTH));
          const xn = f32x4.mul(f32x4.sub(vc(R10), u), vc(R_TENTH));
          const em = vexpm1(xm);
          const e80 = vexp(f32x4.mul(u, vc(R_M80)));
          const e40 = f32x4.mul(e80, e80);
          const am = vtrap(xm, em);
          const bm = f32x4.mul(vc(R4), vexp(f32x4.mul(u, vc(R_M18))));
          const ah = f32x4.mul(vc(R007), f32x4.mul(e40, e40));
          const bh = f32x4.div(vc(ONE), f32x4.add(f32x4.mul(vc(R_SQRT_E), em), vc(R_SQRT_E_1)));
          const an = f32x4.mul(vc(R_TENTH), vtrap(xn, vexpm1(xn)));
          const bn = f32x4.mul(vc(R0125), e80);
          const gNaNow = f32x4.mul(param(args, A_GNA), f32x4.mul(f32x4.mul(f32x4.mul(ym, ym), ym), yh));
          const n2 = f32x4.mul(yn, yn);
          const gKNow = f32x4.mul(param(args, A_GK), f32x4.mul(n2, n2));
          const av = f32x4.mul(
            f32x4.add(
              f32x4.add(
                f32x4.add(I, f32x4.mul(gNaNow, param(args, A_ENA))),
                f32x4.mul(gKNow, param(args, A_EK)),
              ),
              param(args, A_GL_EL),
            ),
            param(args, A_INV_C),
          );
          const bv = f32x4.mul(f32x4.add(f32x4.add(gNaNow, gKNow), param(args, A_GL)), param(args, A_INV_C));
          const bM = f32x4.add(am, bm);
          const bH = f32x4.add(ah, bh);
          const bN = f32x4.add(an, bn);
          if (method == HH_EXPEULER || method == HH_EXPEULER_TABLE) {
            // The coefficient is dt·φ(b·dt), so while every b is within B_SERIES (nearly always
            // at usual steps) the series gives it without exponentials and divisions, which
            // would be most of the step's time. (b ≥ 0: the host runs this kernel only for
            // C > 0 and non-negative conductances; a NaN b takes the series and stays NaN.)
            const bMax = f32x4.pmax(f32x4.pmax(bv, bM), f32x4.pmax(bH, bN));
            if (v128.any_true(f32x4.gt(bMax, param(args, A_B_SERIES)))) {
              v = relax(v, av, bv, expEulerCoef(bv, param(args, A_DT)));
              m = relax(m, am, bM, expEulerCoef(bM, param(args, A_DT)));
              h = relax(h, ah, bH, expEulerCoef(bH, param(args, A_DT)));
              nn = relax(nn, an, bN, expEulerCoef(bN, param(args, A_DT)));
            } else {
              v = relax(v, av, bv, seriesCoef(bv, param(args, A_DT)));
              m = relax(m, am, bM, seriesCoef(bM, param(args, A_DT)));
              h = relax(h, ah, bH, seriesCoef(bH, param(args, A_DT)));
              nn = relax(nn, an, bN, seriesCoef(bN, param(args, A_DT)));
            }
          } else {
            const kv = slope(yv, av, bv);
            const km = slope(ym, am, bM);
            const kh = slope(yh, ah, bH);
            const kn = slope(yn, an, bN);
            if (method == HH_EULER) {
              v = axpy(v, param(args, A_DT), kv);
              m = axpy(m, param(args, A_DT), km);
              h = axpy(h, param(args, A_DT), kh);
              nn = axpy(nn, param(args, A_DT), kn);
            } else {
              // Classical RK4: weights 1, 2, 2, 1; stages at +dt/2, +dt/2, +dt from the step's start.
              const w = stage == 0 || stage == 3 ? vc(ONE) : vc(TWO);
              sv = axpy(sv, w, kv);
              sm = axpy(sm, w, km);
              sh = axpy(sh, w, kh);
              sn = axpy(sn, w, kn);
              if (stage < 3) {
                const adv = stage == 2 ? param(args, A_DT) : param(args, A_HALF_DT);
                yv = axpy(v, adv, kv);
                ym = axpy(m, adv, km);
                yh = axpy(h, adv, kh);
                yn = axpy(nn, adv, kn);
              } else {
                v = axpy(v, param(args, A_SIXTH_DT), sv);
                m = axpy(m, param(args, A_SIXTH_DT), sm);
                h = axpy(h, param(args, A_SIXTH_DT), sh);
                nn = axpy(nn, param(args, A_SIXTH_DT), sn);
              }
            }
          }
        }
        v128.store(outV + off, v);
        v128.store(outM + off, m);
        v128.store(outH + off, h);
        v128.store(outN + off, nn);
        const th = param(args, A_TH);
        const cross = v128.and(f32x4.lt(prev, th), f32x4.ge(v, th));
        const bad = v128.not(f32x4.le(f32x4.abs(v), param(args, A_LIM)));
        if (v128.any_true(v128.or(cross, bad))) {
          if (noteEvents(n, g, s, prev, v, cross, bad, thS, counts, slots)) stop = true;
        }
      }
      if (stop) break;
    }
  }
}

/** Advances groups [g0, g1) (four neurons each) of the population described at args. */
export function hhAdvance(args: usize, g0: i32, g1: i32): void {
  const method = load<i32>(args, A_METHOD);
  if (method == HH_EXPEULER) {
    if (load<usize>(args, A_TAB) != 0) advanceGroups(args, g0, g1, HH_EXPEULER_TABLE);
    else advanceGroups(args, g0, g1, HH_EXPEULER);
  } else if (method == HH_RK4) advanceGroups(args, g0, g1, HH_RK4);
  else advanceGroups(args, g0, g1, HH_EULER);
}
