// Learning HH with a static input, by its closed form (the fast path of the fc models).
//
// With constant-rate gates the learning HH membrane obeys v[t] = A[t]·v[t−1] + k·I + c[t] with
// per-neuron coefficients (spiking.ts, lhhTables), so for a static input I the whole trajectory is
// affine in I: v[t] = KP[t]·I + Q[t], KP[t] = k·P[t], P[t] = A[t]·P[t−1] + 1, Q[t] = A[t]·Q[t−1] +
// c[t]. The input gradient is affine too: dL/dI = Σ_t δ[t]·KB[t], δ[t] the direct gradient at
// step t (surrogate times gradOut) and KB = KP (KB[t] = k·(t+1) with detachIonic, whose backward
// treats dv[t]/dv[t−1] as 1). So neither pass carries a recurrence from step to step, and
// backward needs no saved v: it re-evaluates v from I. For a rate output δ[t] is the rate's
// gradient / T at every step inside the surrogate window, so the forward can sum the window's
// KB[t] per neuron (the input gradient factor F) and backward is gradInput += (gradOut / T)·F
// (lhhFactorBackward). The per-step work is one float32 multiply-add and compares, four neurons
// per vector.
//
// Exactness: the float32 evaluation is within tol = 2⁻²⁰·(max|KP|·|I| + max|Q| + |θ| + |p| + |cut|)
// of the reference's float64 recurrence (its own rounding error is some 2⁻⁴⁰ of that, and the
// bounds use |A|, |c| so cancellation cannot hide error). A decision (spike: v > cut; window:
// lo32 < fround(v) ≤ hi32) is taken from the float32 value only when v is farther than tol from
// the edge; a neuron with any step inside that band (about 1e-6 of them) is redone by the
// reference's float64 recurrence, lane by lane. So spikes and windows are the reference's exactly;
// gradients agree to float32 rounding (the float32 sum of δ·KB replaces the reference's float64
// sum of the adjoints).
//
// Scratch (from the host, affineScratchBytes): float64 A, c [T][Np] (for the exact path), then
// the float32 KP, Q, KB in cells (see CELL), then float32 E1, E2 [Np] (tol = E1·|I| + E2); Np = N
// rounded up to 8, padding zero. PREPARE fills them (per neuron range: PHASE_PREPARE_NEURONS).

import { PHASE_PREPARE, PHASE_PREPARE_NEURONS, PHASE_ROWS, imin, lhhTables, storeQ } from './spiking';

const F_RATE: i32 = 2;
const F_DETACH: i32 = 16;
const F_GIN: i32 = 32; // forward: also the input gradient factor
/** 2⁻²⁰: sixteen times the float32 evaluation's worst relative error. */
const BAND: f64 = 1.0 / 1048576.0;

/** The rate count·(1/T) of four i32 counts, rounded to float32 (the reference's acc·invT). */
// @ts-ignore: decorator
@inline
function rates4(count: v128, invT: v128): v128 {
  const lo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.convert_low_i32x4_s(count), invT));
  const hi = f32x4.demote_f64x2_zero(
    f64x2.mul(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(count, count, 2, 3, 2, 3)), invT),
  );
  return v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
}

/**
 * The float32 tables are group-major: for each group of 8 neurons and each step a cell of KP[8],
 * Q[8], KB[8] (96 bytes), so a group's T cells are contiguous. (Step-major [T][Np] rows put a
 * group's T values 4·Np bytes apart, all in the same few L1 sets.)
 */
const CELL: usize = 96;

/** Byte offset of neuron j's KP at step t (Q and KB follow at +32, +64). */
// @ts-ignore: decorator
@inline
function cellAt(tF: usize, j: i32, t: i32, T: i32): usize {
  return tF + (<usize>(j >> 3) * <usize>T + <usize>t) * CELL + ((<usize>(j & 7)) << 2);
}

/** Bytes of scratch the affine kernels need for N neurons and T steps. */
export function affineScratchBytes(N: i32, T: i32): usize {
  const Np = <usize>((N + 7) & ~7);
  return <usize>T * Np * (2 * 8 + 3 * 4) + Np * 8;
}

/**
 * PREPARE: the per-neuron tables. A and c from lhhTables (spiking.ts, the reference's
 * arithmetic); P, Q, their absolute-value bounds and the band coefficients in float64 from those,
 * stored as float32.
 */
function affineTables(
  N: i32,
  T: i32,
  dt: usize,
  rates: usize,
  C: f64,
  gNa: f64,
  gK: f64,
  gL: f64,
  ENa: f64,
  EK: f64,
  EL: f64,
  edge: f64,
  detach: bool,
  scratch: usize,
  j0: i32,
  j1: i32,
): void {
  const Np = (N + 7) & ~7;
  const rowBytes = (<usize>Np) << 3;
  const row32 = (<usize>Np) << 2;
  const tab64 = <usize>T * rowBytes;
  const tab32 = <usize>T * row32;
  const tA = scratch;
  const tC = tA + tab64;
  const tF = tC + tab64;
  const tE1 = tF + 3 * tab32;
  const tE2 = tE1 + row32;
  lhhTables(N, Np, T, dt, rates, C, gNa, gK, gL, ENa, EK, EL, tA, tC, 0, 0, j0, j1);
  // Neurons [j0, j1), and the padding past N with the last range (A = c = 0 there: all zero).
  const end = j1 >= N ? Np : j1;
  for (let j = j0; j < end; j++) {
    const j8 = (<usize>j) << 3;
    const j4 = (<usize>j) << 2;
    const k = j < N ? <f64>load<f32>(dt + j4) / C : 0;
    let P: f64 = 0;
    let Q: f64 = 0;
    let Pabs: f64 = 0;
    let Qabs: f64 = 0;
    let maxKP: f64 = 0;
    let maxQ: f64 = 0;
    for (let t = 0; t < T; t++) {
      const A = load<f64>(tA + <usize>t * rowBytes + j8);
      const c = load<f64>(tC + <usize>t * rowBytes + j8);
      P = A * P + 1;
      Q = A * Q + c;
      Pabs = Math.abs(A) * Pabs + 1;
      Qabs = Math.abs(A) * Qabs + Math.abs(c);
      maxKP = Math.max(maxKP, Math.abs(k) * Pabs);
      maxQ = Math.max(maxQ, Qabs);
      const f = cellAt(tF, j, t, T);
      store<f32>(f, <f32>(k * P));
      store<f32>(f, <f32>Q, 32);
      store<f32>(f, <f32>(detach ? k * <f64>(t + 1) : k * P), 64);
    }
    // Rounded up to float32, so the band never shrinks; infinite bounds send every step to the
    // exact path. (Padding: k = 0 gives zero cells and bounds.)
    store<f32>(tE1 + j4, up32(BAND * maxKP));
    store<f32>(tE2 + j4, j < N ? up32(BAND * (maxQ + edge)) : 0);
  }
}

/** x rounded to a float32 no smaller than x (x ≥ 0; NaN becomes +∞). */
function up32(x: f64): f32 {
  if (!(x <= <f64>f32.MAX_VALUE)) return <f32>Infinity;
  const y = <f32>x;
  return <f64>y >= x ? y : reinterpret<f32>(reinterpret<i32>(y) + 1);
}

/**
 * Forward, rows [b0, b1): spikes [T][B·N] or, with F_RATE, rates [B·N]. Input [B·N] (static).
 * With F_GIN (rate output only) also the input gradient factor [B·N] F = Σ_{t in window} KB[t]
 * (the window lo32 < fround(v) ≤ hi32, as lhhAffineBackward), so that backward is one multiply.
 * Phases as the other learning HH calls (PREPARE builds the tables).
 */
export function lhhAffineForward(
  B: i32,
  N: i32,
  T: i32,
  input: usize,
  out: usize,
  dt: usize,
  rates: usize,
  scratch: usize,
  flags: i32,
  factor: usize,
  C: f64,
  gNa: f64,
  gK: f64,
  gL: f64,
  ENa: f64,
  EK: f64,
  EL: f64,
  th: f64,
  cut: f64,
  p: f64,
  lo32: f64,
  hi32: f64,
  b0: i32,
  b1: i32,
  phase: i32,
): void {
  const withFactor = (flags & F_GIN) != 0;
  const detach = (flags & F_DETACH) != 0;
  if ((phase & (PHASE_PREPARE | PHASE_PREPARE_NEURONS)) != 0) {
    let edge = Math.abs(th) + Math.abs(cut);
    if (withFactor) edge += Math.abs(p) + Math.abs(lo32) + Math.abs(hi32);
    const all = (phase & PHASE_PREPARE) != 0;
    affineTables(
      N,
      T,
      dt,
      rates,
      C,
      gNa,
      gK,
      gL,
      ENa,
      EK,
      EL,
      edge,
      detach,
      scratch,
      all ? 0 : b0,
      all ? N : b1,
    );
  }
  if ((phase & PHASE_ROWS) == 0) return;
  if (withFactor)
    affineForwardFactorRows(
      B,
      N,
      T,
      input,
      out,
      factor,
      dt,
      scratch,
      C,
      th,
      cut,
      p,
      lo32,
      hi32,
      detach,
      b0,
      b1,
    );
  else if ((flags & F_RATE) != 0) affineForwardRows(true, B, N, T, input, out, dt, scratch, C, cut, b0, b1);
  else affineForwardRows(false, B, N, T, input, out, dt, scratch, C, cut, b0, b1);
}

// @ts-ignore: decorator
@inline
function affineForwardRows(
  rate: bool,
  B: i32,
  N: i32,
  T: i32,
  input: usize,
  out: usize,
  dt: usize,
  scratch: usize,
  C: f64,
  cut: f64,
  b0: i32,
  b1: i32,
): void {
  const Np = (N + 7) & ~7;
  const row32 = (<usize>Np) << 2;
  const tab32 = <usize>T * row32;
  const tF = scratch + 2 * <usize>T * ((<usize>Np) << 3);
  const tE1 = tF + 3 * tab32;
  const tE2 = tE1 + row32;
  const CUT = f32x4.splat(<f32>cut);
  const Z = i32x4.splat(0);
  const ONE = f32x4.splat(1);
  const INVT = f64x2.splat(1 / <f64>T);
  const row = (<usize>B * <usize>N) << 2;
  // Group-outer, row-inner: a group's table columns (T·32 bytes each) stay in L1 over the rows.
  for (let j = 0; j < N; j += 8) {
    for (let b = b0; b < b1; b++) {
      const cnt = imin(8, N - j);
      const off = (<usize>b * <usize>N + <usize>j) << 2;
      const j4 = (<usize>j) << 2;
      const I0 = v128.load(input + off);
      const I1 = v128.load(input + off, 16);
      const tol0 = f32x4.add(f32x4.mul(v128.load(tE1 + j4), f32x4.abs(I0)), v128.load(tE2 + j4));
      const tol1 = f32x4.add(f32x4.mul(v128.load(tE1 + j4, 16), f32x4.abs(I1)), v128.load(tE2 + j4, 16));
      const H0 = f32x4.add(CUT, tol0);
      const L0 = f32x4.sub(CUT, tol0);
      const H1 = f32x4.add(CUT, tol1);
      const L1 = f32x4.sub(CUT, tol1);
      // Spikes sure (above H) and possible (above L), counted as −1 masks.
      let hc0 = Z,
        hc1 = Z,
        lc0 = Z,
        lc1 = Z;
      let q = tF + <usize>(j >> 3) * <usize>T * CELL;
      let po = out + off;
      for (let t = 0; t < T; t++) {
        const v0 = f32x4.add(f32x4.mul(v128.load(q), I0), v128.load(q, 32));
        const v1 = f32x4.add(f32x4.mul(v128.load(q, 16), I1), v128.load(q, 48));
        const s0 = f32x4.gt(v0, H0);
        const s1 = f32x4.gt(v1, H1);
        hc0 = i32x4.sub(hc0, s0);
        hc1 = i32x4.sub(hc1, s1);
        lc0 = i32x4.sub(lc0, f32x4.gt(v0, L0));
        lc1 = i32x4.sub(lc1, f32x4.gt(v1, L1));
        if (!rate) {
          storeQ(po, v128.and(s0, ONE), cnt);
          storeQ(po + 16, v128.and(s1, ONE), cnt - 4);
          po += row;
        }
        q += CELL;
      }
      if (rate) {
        storeQ(out + off, rates4(hc0, INVT), cnt);
        storeQ(out + off + 16, rates4(hc1, INVT), cnt - 4);
      }
      const amb0 = v128.any_true(v128.xor(hc0, lc0));
      const amb1 = v128.any_true(v128.xor(hc1, lc1));
      if (amb0 || amb1) {
        for (let l = 0; l < cnt; l++) {
          const c = l < 4 ? laneSet(v128.xor(hc0, lc0), l) : laneSet(v128.xor(hc1, lc1), l - 4);
          if (c) exactForwardLane(rate, B, N, T, b, j + l, input, out, dt, scratch, C, cut);
        }
      }
    }
  }
}

/**
 * Rate output and the input gradient factor, one vector (4 neurons) per group: the spike band
 * (H, L), the window band (S, M) and the four running values fit V8's 15 vector registers.
 */
function affineForwardFactorRows(
  B: i32,
  N: i32,
  T: i32,
  input: usize,
  out: usize,
  factor: usize,
  dt: usize,
  scratch: usize,
  C: f64,
  th: f64,
  cut: f64,
  p: f64,
  lo32: f64,
  hi32: f64,
  detach: bool,
  b0: i32,
  b1: i32,
): void {
  const Np = (N + 7) & ~7;
  const row32 = (<usize>Np) << 2;
  const tab32 = <usize>T * row32;
  const tF = scratch + 2 * <usize>T * ((<usize>Np) << 3);
  const tE1 = tF + 3 * tab32;
  const tE2 = tE1 + row32;
  const CUT = f32x4.splat(<f32>cut);
  const MID = f32x4.splat(<f32>((lo32 + hi32) / 2));
  const HALF = f32x4.splat(<f32>((hi32 - lo32) / 2));
  const Z = i32x4.splat(0);
  const INVT = f64x2.splat(1 / <f64>T);
  for (let j = 0; j < N; j += 4) {
    for (let b = b0; b < b1; b++) {
      const cnt = imin(4, N - j);
      const off = (<usize>b * <usize>N + <usize>j) << 2;
      const j4 = (<usize>j) << 2;
      const I = v128.load(input + off);
      const tol = f32x4.add(f32x4.mul(v128.load(tE1 + j4), f32x4.abs(I)), v128.load(tE2 + j4));
      const H = f32x4.add(CUT, tol);
      const L = f32x4.sub(CUT, tol);
      const S = f32x4.sub(HALF, tol);
      const M = f32x4.add(HALF, tol);
      let hc = Z; // spikes for sure, and possible (−1 masks summed)
      let lc = Z;
      let a = f32x4.splat(0); // Σ KB over the steps surely in the window
      let u = Z; // steps possibly but not surely in the window
      let q = tF + <usize>(j >> 3) * <usize>T * CELL + ((<usize>(j & 4)) << 2);
      let a2 = f32x4.splat(0); // the odd steps' sum: two chains of float32 adds
      let t = 0;
      for (; t + 1 < T; t += 2) {
        const v = f32x4.add(f32x4.mul(v128.load(q), I), v128.load(q, 32));
        const w = f32x4.add(f32x4.mul(v128.load(q, CELL), I), v128.load(q, CELL + 32));
        hc = i32x4.sub(i32x4.sub(hc, f32x4.gt(v, H)), f32x4.gt(w, H));
        lc = i32x4.sub(i32x4.sub(lc, f32x4.gt(v, L)), f32x4.gt(w, L));
        const d = f32x4.abs(f32x4.sub(v, MID));
        const e = f32x4.abs(f32x4.sub(w, MID));
        const s = f32x4.lt(d, S);
        const r = f32x4.lt(e, S);
        u = v128.or(u, v128.or(v128.andnot(f32x4.lt(d, M), s), v128.andnot(f32x4.lt(e, M), r)));
        a = f32x4.add(a, v128.and(s, v128.load(q, 64)));
        a2 = f32x4.add(a2, v128.and(r, v128.load(q, CELL + 64)));
        q += 2 * CELL;
      }
      if (t < T) {
        const v = f32x4.add(f32x4.mul(v128.load(q), I), v128.load(q, 32));
        hc = i32x4.sub(hc, f32x4.gt(v, H));
        lc = i32x4.sub(lc, f32x4.gt(v, L));
        const d = f32x4.abs(f32x4.sub(v, MID));
        const s = f32x4.lt(d, S);
        u = v128.or(u, v128.andnot(f32x4.lt(d, M), s));
        a = f32x4.add(a, v128.and(s, v128.load(q, 64)));
      }
      a = f32x4.add(a, a2);
      storeQ(out + off, rates4(hc, INVT), cnt);
      storeQ(factor + off, a, cnt);
      const redo = v128.or(u, v128.xor(hc, lc));
      if (v128.any_true(redo)) {
        for (let l = 0; l < cnt; l++) {
          if (!laneSet(redo, l)) continue;
          exactForwardLane(true, B, N, T, b, j + l, input, out, dt, scratch, C, cut);
          const F = exactBackwardLane(true, B, N, T, b, j + l, input, 0, dt, scratch, C, th, p, detach, true);
          store<f32>(factor + off + ((<usize>l) << 2), <f32>F);
        }
      }
    }
  }
}

/** One neuron's forward by the reference's float64 recurrence (learningHhForwardJs). */
function exactForwardLane(
  rate: bool,
  B: i32,
  N: i32,
  T: i32,
  b: i32,
  j: i32,
  input: usize,
  out: usize,
  dt: usize,
  scratch: usize,
  C: f64,
  cut: f64,
): void {
  const Np = (N + 7) & ~7;
  const rowBytes = (<usize>Np) << 3;
  const tA = scratch;
  const tC = tA + <usize>T * rowBytes;
  const i = <usize>b * <usize>N + <usize>j;
  const row = (<usize>B * <usize>N) << 2;
  const k = <f64>load<f32>(dt + ((<usize>j) << 2)) * (1 / C);
  const x = k * <f64>load<f32>(input + (i << 2));
  let v: f64 = 0;
  let acc: i32 = 0;
  let q = (<usize>j) << 3;
  let po = out + (i << 2);
  for (let t = 0; t < T; t++) {
    v = load<f64>(tA + q) * v + x + load<f64>(tC + q);
    const s = v > cut;
    if (rate) acc += <i32>s;
    else {
      store<f32>(po, s ? 1 : 0);
      po += row;
    }
    q += rowBytes;
  }
  if (rate) store<f32>(out + (i << 2), <f32>(<f64>acc * (1 / <f64>T)));
}

/**
 * Backward, rows [b0, b1): gradInput [B·N] += dL/dI for the rectangular surrogate (the host
 * passes the float32 window lo32 < fround(v) ≤ hi32 equivalent to the reference's |v − θ| < p);
 * gradOut is the rate's gradient [B·N] (F_RATE) or the spikes' [T][B·N].
 */
export function lhhAffineBackward(
  B: i32,
  N: i32,
  T: i32,
  input: usize,
  gradOut: usize,
  gradInput: usize,
  dt: usize,
  rates: usize,
  scratch: usize,
  flags: i32,
  C: f64,
  gNa: f64,
  gK: f64,
  gL: f64,
  ENa: f64,
  EK: f64,
  EL: f64,
  th: f64,
  p: f64,
  lo32: f64,
  hi32: f64,
  b0: i32,
  b1: i32,
  phase: i32,
): void {
  const detach = (flags & F_DETACH) != 0;
  if ((phase & (PHASE_PREPARE | PHASE_PREPARE_NEURONS)) != 0) {
    const edge = Math.abs(th) + Math.abs(p) + Math.abs(lo32) + Math.abs(hi32);
    const all = (phase & PHASE_PREPARE) != 0;
    affineTables(
      N,
      T,
      dt,
      rates,
      C,
      gNa,
      gK,
      gL,
      ENa,
      EK,
      EL,
      edge,
      detach,
      scratch,
      all ? 0 : b0,
      all ? N : b1,
    );
  }
  if ((phase & PHASE_ROWS) == 0) return;
  if ((flags & F_RATE) != 0)
    affineBackwardRate(B, N, T, input, gradOut, gradInput, dt, scratch, C, th, p, lo32, hi32, detach, b0, b1);
  else
    affineBackwardSpikes(
      B,
      N,
      T,
      input,
      gradOut,
      gradInput,
      dt,
      scratch,
      C,
      th,
      p,
      lo32,
      hi32,
      detach,
      b0,
      b1,
    );
}

// The two output kinds as separate functions, each the generic body with a constant flag (an
// if/else of two inlined copies gets folded back into one body with the test in the inner loop).
function affineBackwardRate(
  B: i32,
  N: i32,
  T: i32,
  input: usize,
  gradOut: usize,
  gradInput: usize,
  dt: usize,
  scratch: usize,
  C: f64,
  th: f64,
  p: f64,
  lo32: f64,
  hi32: f64,
  detach: bool,
  b0: i32,
  b1: i32,
): void {
  affineBackwardRows(
    true,
    B,
    N,
    T,
    input,
    gradOut,
    gradInput,
    dt,
    scratch,
    C,
    th,
    p,
    lo32,
    hi32,
    detach,
    b0,
    b1,
  );
}

function affineBackwardSpikes(
  B: i32,
  N: i32,
  T: i32,
  input: usize,
  gradOut: usize,
  gradInput: usize,
  dt: usize,
  scratch: usize,
  C: f64,
  th: f64,
  p: f64,
  lo32: f64,
  hi32: f64,
  detach: bool,
  b0: i32,
  b1: i32,
): void {
  affineBackwardRows(
    false,
    B,
    N,
    T,
    input,
    gradOut,
    gradInput,
    dt,
    scratch,
    C,
    th,
    p,
    lo32,
    hi32,
    detach,
    b0,
    b1,
  );
}

// One vector (4 neurons) per group: its input, band edges, sum and flags take 6 registers, so
// the loop needs no spills (with two vectors V8 ran out of its 15 and recomputed the band edges
// inside the loop).
// @ts-ignore: decorator
@inline
function affineBackwardRows(
  rate: bool,
  B: i32,
  N: i32,
  T: i32,
  input: usize,
  gradOut: usize,
  gradInput: usize,
  dt: usize,
  scratch: usize,
  C: f64,
  th: f64,
  p: f64,
  lo32: f64,
  hi32: f64,
  detach: bool,
  b0: i32,
  b1: i32,
): void {
  const Np = (N + 7) & ~7;
  const row32 = (<usize>Np) << 2;
  const tab32 = <usize>T * row32;
  const tF = scratch + 2 * <usize>T * ((<usize>Np) << 3);
  const tE1 = tF + 3 * tab32;
  const tE2 = tE1 + row32;
  // The window lo32 < m ≤ hi32 as |m − MID| < HALF (its edges are inside the band anyway).
  const MID = f32x4.splat(<f32>((lo32 + hi32) / 2));
  const HALF = f32x4.splat(<f32>((hi32 - lo32) / 2));
  const Z = f32x4.splat(0);
  const INVT = f64x2.splat(1 / <f64>T);
  const row = (<usize>B * <usize>N) << 2;
  for (let j = 0; j < N; j += 4) {
    for (let b = b0; b < b1; b++) {
      const cnt = imin(4, N - j);
      const off = (<usize>b * <usize>N + <usize>j) << 2;
      const j4 = (<usize>j) << 2;
      const I = v128.load(input + off);
      const tol = f32x4.add(f32x4.mul(v128.load(tE1 + j4), f32x4.abs(I)), v128.load(tE2 + j4));
      // In the window for sure (within HALF − tol of MID), possibly (within HALF + tol).
      const S = f32x4.sub(HALF, tol);
      const M = f32x4.add(HALF, tol);
      let a = Z; // Σ δ·KB over the sure steps (rate: without the common factor gradOut/T)
      let u = Z; // steps possibly but not surely in the window (all-ones lanes)
      let q = tF + <usize>(j >> 3) * <usize>T * CELL + ((<usize>(j & 4)) << 2);
      let pg = gradOut + off;
      let a2 = Z; // the odd steps' sum (two chains of float32 adds instead of one)
      let t = 0;
      for (; t + 1 < T; t += 2) {
        const v = f32x4.add(f32x4.mul(v128.load(q), I), v128.load(q, 32));
        const w = f32x4.add(f32x4.mul(v128.load(q, CELL), I), v128.load(q, CELL + 32));
        const d = f32x4.abs(f32x4.sub(v, MID));
        const e = f32x4.abs(f32x4.sub(w, MID));
        const s = f32x4.lt(d, S);
        const r = f32x4.lt(e, S);
        u = v128.or(u, v128.or(v128.andnot(f32x4.lt(d, M), s), v128.andnot(f32x4.lt(e, M), r)));
        let k = v128.and(s, v128.load(q, 64));
        let k2 = v128.and(r, v128.load(q, CELL + 64));
        if (!rate) {
          k = f32x4.mul(k, v128.load(pg));
          k2 = f32x4.mul(k2, v128.load(pg + row));
          pg += 2 * row;
        }
        a = f32x4.add(a, k);
        a2 = f32x4.add(a2, k2);
        q += 2 * CELL;
      }
      if (t < T) {
        const v = f32x4.add(f32x4.mul(v128.load(q), I), v128.load(q, 32));
        const d = f32x4.abs(f32x4.sub(v, MID));
        const s = f32x4.lt(d, S);
        u = v128.or(u, v128.andnot(f32x4.lt(d, M), s));
        let k = v128.and(s, v128.load(q, 64));
        if (!rate) k = f32x4.mul(k, v128.load(pg));
        a = f32x4.add(a, k);
      }
      a = f32x4.add(a, a2);
      // gradInput += (rate: gradOut/T ·) a in float64, except in the lanes redone exactly below.
      const pgi = gradInput + off;
      a = v128.andnot(a, u);
      const old = v128.load(pgi);
      let lo = f64x2.promote_low_f32x4(a);
      let hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(a, a, 2, 3, 2, 3));
      if (rate) {
        const g = v128.load(gradOut + off);
        lo = f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(g), INVT), lo);
        hi = f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 2, 3)), INVT), hi);
      }
      lo = f32x4.demote_f64x2_zero(f64x2.add(f64x2.promote_low_f32x4(old), lo));
      hi = f32x4.demote_f64x2_zero(
        f64x2.add(f64x2.promote_low_f32x4(v128.shuffle<f32>(old, old, 2, 3, 2, 3)), hi),
      );
      storeQ(pgi, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5), cnt);
      if (v128.any_true(u)) {
        for (let l = 0; l < cnt; l++) {
          if (!laneSet(u, l)) continue;
          const pl = pgi + ((<usize>l) << 2);
          const sum = exactBackwardLane(
            rate,
            B,
            N,
            T,
            b,
            j + l,
            input,
            gradOut,
            dt,
            scratch,
            C,
            th,
            p,
            detach,
          );
          store<f32>(pl, <f32>(<f64>load<f32>(pl) + sum));
        }
      }
    }
  }
}

/** Whether lane l (0–3) of an i32x4 mask is set. */
// @ts-ignore: decorator
@inline
function laneSet(a: v128, l: i32): bool {
  if (l == 0) return i32x4.extract_lane(a, 0) != 0;
  if (l == 1) return i32x4.extract_lane(a, 1) != 0;
  if (l == 2) return i32x4.extract_lane(a, 2) != 0;
  return i32x4.extract_lane(a, 3) != 0;
}

/**
 * One neuron's dL/dI by the reference's float64 recurrence and its float32-state window test:
 * k·Σ_t δ[t]·P[t] (δ[t] = gradOut·window, P the forward's dv[t]/dx sums); with unit, δ[t] = the
 * window itself (the input gradient factor, as learningHhForwardJs computes it).
 */
function exactBackwardLane(
  rate: bool,
  B: i32,
  N: i32,
  T: i32,
  b: i32,
  j: i32,
  input: usize,
  gradOut: usize,
  dt: usize,
  scratch: usize,
  C: f64,
  th: f64,
  p: f64,
  detach: bool,
  unit: bool = false,
): f64 {
  const Np = (N + 7) & ~7;
  const rowBytes = (<usize>Np) << 3;
  const tA = scratch;
  const tC = tA + <usize>T * rowBytes;
  const i = <usize>b * <usize>N + <usize>j;
  const row = (<usize>B * <usize>N) << 2;
  const k = <f64>load<f32>(dt + ((<usize>j) << 2)) * (1 / C);
  const x = k * <f64>load<f32>(input + (i << 2));
  // unit: weight 1 per window step (the forward's input gradient factor, gradOut unused)
  const gRate = unit ? 1 : rate ? <f64>load<f32>(gradOut + (i << 2)) * (1 / <f64>T) : 0;
  let v: f64 = 0;
  let P: f64 = 0;
  let acc: f64 = 0;
  let q = (<usize>j) << 3;
  let pg = gradOut + (i << 2);
  for (let t = 0; t < T; t++) {
    const A = load<f64>(tA + q);
    v = A * v + x + load<f64>(tC + q);
    P = detach ? P + 1 : A * P + 1;
    const d = <f64>(<f32>v) - th;
    if (d > -p && d < p) acc += unit ? P : (rate ? gRate : <f64>load<f32>(pg)) * P;
    pg += row;
    q += rowBytes;
  }
  return k * acc;
}

/**
 * Backward from the forward's input gradient factor, elements [0, n): gradInput += (gradOut·(1/T))·F
 * in float64, rounded to float32 (learningHhFactorBackward's arithmetic).
 */
export function lhhFactorBackward(n: i32, gradOut: usize, factor: usize, gradInput: usize, invT: f64): void {
  const IT = f64x2.splat(invT);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    const g = v128.load(gradOut + o);
    const f = v128.load(factor + o);
    const x = v128.load(gradInput + o);
    const lo = f64x2.add(
      f64x2.promote_low_f32x4(x),
      f64x2.mul(f64x2.mul(f64x2.promote_low_f32x4(g), IT), f64x2.promote_low_f32x4(f)),
    );
    const hi = f64x2.add(
      f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3)),
      f64x2.mul(
        f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 2, 3)), IT),
        f64x2.promote_low_f32x4(v128.shuffle<f32>(f, f, 2, 3, 2, 3)),
      ),
    );
    v128.store(
      gradInput + o,
      v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5),
    );
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    const v = <f64>load<f32>(gradInput + o) + <f64>load<f32>(gradOut + o) * invT * <f64>load<f32>(factor + o);
    store<f32>(gradInput + o, <f32>v);
  }
}
