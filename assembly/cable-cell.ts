// One cell's cable equation (the scheme of src/cable/simulate.ts, in float32), vectorised across
// its compartments: the host is src/cable/cell-wasm.ts.
//
// A step: the HH gates advance from V^n by Rush–Larsen (a rate table over v, or the exact rates —
// hh-rates.ts — for a vector with a lane off the table), the membrane conductances give the
// linear system (C/h + G + axial) x = C/h·V^n + G·E + I, and V^(n+1) = 2x − V^n (Crank–Nicolson,
// h = dt/2) or x (backward Euler, h = dt); a damped step (a clamp switching, CN) is two
// backward-Euler solves with h = dt/2, the gates advanced once.
//
// Two solvers, chosen by the host:
// - PARTITIONED, for an unbranched cable (compartment i's parent is i − 1): the cable is cut into
//   four blocks of M compartments, one per lane, and compartment j·M + k lives at position
//   4k + j, so a vector holds row k of all four blocks. Each block is eliminated by Thomas' method
//   at once on four lanes (the serial chain of divisions, the solve's bottleneck, is M long
//   instead of 4M) while keeping how its solution depends on its two unknown neighbours (the last
//   compartment of the block before, the first of the block after): x_k = P_k + Q_k·X_L + R_k·X_R.
//   The 8 boundary unknowns solve a small banded system (float64), then every row is finished.
//   The forward elimination is fused with the membrane update of the same row.
// - TREE, any branching: positions are compartments, the membrane update runs on vectors of four
//   compartments and Hines' elimination runs scalar over the tree (parents before children).
//
// Per-position arrays (float32, ROWS vectors each, STRIDE bytes apart from ARR) in this order: V,
// the gates m, h, n, C/h, the axial part of the diagonal, the coupling to the neighbour before
// (partitioned) or to the parent (tree) (−g_axial), the passive G and G·E (µS, µS·mV; the HH
// leak is folded in), ḡNa·area and ḡK·area (µS), the clamp current of the solve (nA), then four
// scratch arrays. Pad positions have C/h = 1 and nothing else, so they keep their V.
//
// Outputs: upward threshold crossings at watched positions (the step and the two potentials
// around the crossing, so the host interpolates exactly like src/analysis/spikes.ts), and V at
// recorded positions every REVERY steps.

import { vexp } from './vmath';
import { hhRatesTo } from './hh-rates';

export const CABLE_PARTITIONED: i32 = 0;
export const CABLE_TREE: i32 = 1;

// Argument block: 4-byte fields (i32 or f32) at these indices.
const F_MODE = 0;
const F_CN = 1; // 1: Crank–Nicolson, 0: backward Euler
const F_ROWS = 2; // vectors per array (partitioned: M, the rows of a block)
const F_N = 3; // compartments (tree: the Hines loop's extent)
const F_ARR = 4;
const F_STRIDE = 5;
const F_PARENT = 6; // tree: i32 parent per compartment
const F_HH = 7; // 1: the cell has HH channels somewhere (gates are stepped)
const F_PHI = 8; // f32 rate factor
const F_VOFF = 9; // f32 vOffset
const F_ENA = 10; // f32
const F_EK = 11; // f32
const F_DT = 12; // f32
const F_TAB = 13; // rate table address (0: exact rates)
const F_TMIN = 14; // f32
const F_TINV = 15; // f32 rows per mV
const F_TROWS = 16; // f32
const F_INFO = 17; // i32 per step: bit 0 damped; bits 1–15 clamps on in the (first) solve; 16–30 in the second
const F_NCLAMP = 18;
const F_CLPOS = 19; // i32 positions
const F_CLAMP = 20; // f32 amplitudes, nA
const F_NWATCH = 21;
const F_WPOS = 22; // i32 positions
const F_WPREV = 23; // f32: V at the watched position after the last step
const F_TH = 24; // f32 threshold
const F_WCOUNT = 25; // i32 crossings per watched position (counted past WMAX too)
const F_WSLOTS = 26; // per position WMAX slots of (i32 step, f32 v before, f32 v after)
const F_WMAX = 27;
const F_NREC = 28;
const F_RPOS = 29; // i32 positions
const F_REVERY = 30;
const F_ROUT = 31; // f32 [sample][recorded position]; sample s is step s·REVERY
const F_RED = 32; // float64 scratch of the partitioned solver's boundary system
export const CABLE_ARG_FIELDS: i32 = 33;

const A_V: usize = 0;
const A_M: usize = 1;
const A_H: usize = 2;
const A_N: usize = 3;
const A_CH: usize = 4;
const A_DAX: usize = 5;
const A_OFF: usize = 6;
const A_G0: usize = 7;
const A_GE0: usize = 8;
const A_GNA: usize = 9;
const A_GK: usize = 10;
const A_INJ: usize = 11;
const A_D: usize = 12; // d, then 1/dd (partitioned) or the Hines diagonal (tree)
const A_B: usize = 13; // b, then the eliminated b, then P (partitioned) or the solution (tree)
const A_Y: usize = 14; // partitioned: the X_L column, then Q
const A_R: usize = 15; // partitioned: R
export const CABLE_ARRAYS: i32 = 16;
/** Partitioned solver: blocks (one per lane). */
export const CABLE_BLOCKS: i32 = 4;
const BLOCKS = CABLE_BLOCKS;

// @ts-ignore: decorator
@inline
function fi(args: usize, f: i32): i32 {
  return load<i32>(args + ((<usize>f) << 2));
}
// @ts-ignore: decorator
@inline
function fp(args: usize, f: i32): usize {
  return <usize>load<i32>(args + ((<usize>f) << 2));
}
// @ts-ignore: decorator
@inline
function ff(args: usize, f: i32): f32 {
  return load<f32>(args + ((<usize>f) << 2));
}
/** Field f (f32) in all four lanes. */
// @ts-ignore: decorator
@inline
function fv(args: usize, f: i32): v128 {
  return v128.load32_splat(args + ((<usize>f) << 2));
}

/**
 * Row k's gates one step on (the rates at V^n) when `advance`, then the row's diagonal and right
 * side into D and B.
 */
// @ts-ignore: decorator
@inline
function membraneRow(args: usize, arr: usize, stride: usize, k: usize, advance: bool, rates: usize): void {
  const at = arr + (k << 4);
  const v = v128.load(at + A_V * stride);
  let g = v128.load(at + A_G0 * stride);
  let ge = v128.load(at + A_GE0 * stride);
  if (fi(args, F_HH)) {
    let m = v128.load(at + A_M * stride);
    let h = v128.load(at + A_H * stride);
    let n = v128.load(at + A_N * stride);
    if (advance) {
      const tab = fp(args, F_TAB);
      const ru = f32x4.mul(f32x4.sub(v, fv(args, F_TMIN)), fv(args, F_TINV));
      const zero = f32x4.splat(0);
      if (tab != 0 && i32x4.all_true(v128.and(f32x4.ge(ru, zero), f32x4.lt(ru, fv(args, F_TROWS))))) {
        // Rows of 64 bytes: [Em, Qm, Eh, Qh][En, Qn, 0, 0], then the slopes to the next row; a
        // gate steps as x ← E·x + Q. Each lane's row interpolated, then 4×4 shuffles.
        const rj = i32x4.trunc_sat_f32x4_s(ru);
        const rw = f32x4.sub(ru, f32x4.convert_i32x4_s(rj));
        const ro = i32x4.shl(rj, 6);
        const p0 = tab + <usize>i32x4.extract_lane(ro, 0);
        const p1 = tab + <usize>i32x4.extract_lane(ro, 1);
        const p2 = tab + <usize>i32x4.extract_lane(ro, 2);
        const p3 = tab + <usize>i32x4.extract_lane(ro, 3);
        const w0 = f32x4.shuffle(rw, rw, 0, 0, 0, 0);
        const w1 = f32x4.shuffle(rw, rw, 1, 1, 1, 1);
        const w2 = f32x4.shuffle(rw, rw, 2, 2, 2, 2);
        const w3 = f32x4.shuffle(rw, rw, 3, 3, 3, 3);
        const P0 = f32x4.add(v128.load(p0), f32x4.mul(w0, v128.load(p0, 32)));
        const P1 = f32x4.add(v128.load(p1), f32x4.mul(w1, v128.load(p1, 32)));
        const P2 = f32x4.add(v128.load(p2), f32x4.mul(w2, v128.load(p2, 32)));
        const P3 = f32x4.add(v128.load(p3), f32x4.mul(w3, v128.load(p3, 32)));
        const Q0 = f32x4.add(v128.load(p0, 16), f32x4.mul(w0, v128.load(p0, 48)));
        const Q1 = f32x4.add(v128.load(p1, 16), f32x4.mul(w1, v128.load(p1, 48)));
        const Q2 = f32x4.add(v128.load(p2, 16), f32x4.mul(w2, v128.load(p2, 48)));
        const Q3 = f32x4.add(v128.load(p3, 16), f32x4.mul(w3, v128.load(p3, 48)));
        const U0 = f32x4.shuffle(P0, P1, 0, 4, 1, 5);
        const U1 = f32x4.shuffle(P2, P3, 0, 4, 1, 5);
        const U2 = f32x4.shuffle(P0, P1, 2, 6, 3, 7);
        const U3 = f32x4.shuffle(P2, P3, 2, 6, 3, 7);
        const V0 = f32x4.shuffle(Q0, Q1, 0, 4, 1, 5);
        const V1 = f32x4.shuffle(Q2, Q3, 0, 4, 1, 5);
        m = f32x4.add(f32x4.mul(f32x4.shuffle(U0, U1, 0, 1, 4, 5), m), f32x4.shuffle(U0, U1, 2, 3, 6, 7));
        h = f32x4.add(f32x4.mul(f32x4.shuffle(U2, U3, 0, 1, 4, 5), h), f32x4.shuffle(U2, U3, 2, 3, 6, 7));
        n = f32x4.add(f32x4.mul(f32x4.shuffle(V0, V1, 0, 1, 4, 5), n), f32x4.shuffle(V0, V1, 2, 3, 6, 7));
      } else {
        // x ← x∞ + (x − x∞)·e^(−(α + β)·dt), the rates scaled by φ (channels.ts's advance).
        hhRatesTo(f32x4.sub(v, fv(args, F_VOFF)), rates);
        const phi = fv(args, F_PHI);
        const ndt = f32x4.neg(fv(args, F_DT));
        const am = f32x4.mul(phi, v128.load(rates));
        const sm = f32x4.add(am, f32x4.mul(phi, v128.load(rates, 16)));
        const ah = f32x4.mul(phi, v128.load(rates, 32));
        const sh = f32x4.add(ah, f32x4.mul(phi, v128.load(rates, 48)));
        const an = f32x4.mul(phi, v128.load(rates, 64));
        const sn = f32x4.add(an, f32x4.mul(phi, v128.load(rates, 80)));
        const im = f32x4.div(am, sm);
        const ih = f32x4.div(ah, sh);
        const inn = f32x4.div(an, sn);
        m = f32x4.add(im, f32x4.mul(f32x4.sub(m, im), vexp(f32x4.mul(sm, ndt))));
        h = f32x4.add(ih, f32x4.mul(f32x4.sub(h, ih), vexp(f32x4.mul(sh, ndt))));
        n = f32x4.add(inn, f32x4.mul(f32x4.sub(n, inn), vexp(f32x4.mul(sn, ndt))));
      }
      v128.store(at + A_M * stride, m);
      v128.store(at + A_H * stride, h);
      v128.store(at + A_N * stride, n);
    }
    const n2 = f32x4.mul(n, n);
    const na = f32x4.mul(v128.load(at + A_GNA * stride), f32x4.mul(f32x4.mul(f32x4.mul(m, m), m), h));
    const kk = f32x4.mul(v128.load(at + A_GK * stride), f32x4.mul(n2, n2));
    g = f32x4.add(g, f32x4.add(na, kk));
    ge = f32x4.add(ge, f32x4.add(f32x4.mul(na, fv(args, F_ENA)), f32x4.mul(kk, fv(args, F_EK))));
  }
  const ch = v128.load(at + A_CH * stride);
  v128.store(at + A_D * stride, f32x4.add(f32x4.add(ch, g), v128.load(at + A_DAX * stride)));
  v128.store(at + A_B * stride, f32x4.add(f32x4.add(f32x4.mul(ch, v), ge), v128.load(at + A_INJ * stride)));
}

/** Sets the clamp currents of a solve: clamps in `bits` on, the others off. */
function setClamps(args: usize, inj: usize, bits: i32): void {
  const count = fi(args, F_NCLAMP);
  const pos = fp(args, F_CLPOS);
  const amp = fp(args, F_CLAMP);
  for (let c = 0; c < count; c++) store<f32>(inj + ((<usize>load<i32>(pos + ((<usize>c) << 2))) << 2), 0);
  for (let c = 0; c < count; c++)
    if ((bits >> c) & 1) {
      const at = inj + ((<usize>load<i32>(pos + ((<usize>c) << 2))) << 2);
      store<f32>(at, load<f32>(at) + load<f32>(amp + ((<usize>c) << 2)));
    }
}

/**
 * Partitioned solve of one linear step into A_B (x = P + Q·X_L + R·X_R is left as P, Q, R and
 * the boundary values; `finish` applies it), with the membrane update fused into the forward
 * elimination.
 */
// @ts-ignore: decorator
@inline
function solvePartitioned(args: usize, arr: usize, stride: usize, advance: bool, rates: usize): void {
  const rows = <usize>fi(args, F_ROWS);
  const D = arr + A_D * stride;
  const B = arr + A_B * stride;
  const Y = arr + A_Y * stride;
  const OFF = arr + A_OFF * stride;
  // Forward: dd_k = d_k − a_k²/dd_(k−1), yb_k = b_k − (a_k/dd_(k−1))·yb_(k−1), and the X_L column
  // yl (−a_0 at row 0: the coupling to the block before).
  membraneRow(args, arr, stride, 0, advance, rates);
  let r = f32x4.div(f32x4.splat(1), v128.load(D));
  let yb = v128.load(B);
  let yl = f32x4.neg(v128.load(OFF));
  v128.store(D, r);
  v128.store(Y, yl);
  for (let k: usize = 1; k < rows; k++) {
    membraneRow(args, arr, stride, k, advance, rates);
    const o = k << 4;
    const a = v128.load(OFF + o);
    const f = f32x4.mul(a, r);
    r = f32x4.div(f32x4.splat(1), f32x4.sub(v128.load(D + o), f32x4.mul(f, a)));
    yb = f32x4.sub(v128.load(B + o), f32x4.mul(f, yb));
    yl = f32x4.neg(f32x4.mul(f, yl));
    v128.store(D + o, r);
    v128.store(B + o, yb);
    v128.store(Y + o, yl);
  }
  // Backward: P, Q, R (R_(M−1) = −a_M/dd: a_M couples the block's last row to the next block's
  // first, i.e. row 0's coupling one lane on; the last block has none).
  const R = arr + A_R * stride;
  const aNext = f32x4.shuffle(v128.load(OFF), f32x4.splat(0), 1, 2, 3, 4);
  let o = (rows - 1) << 4;
  let P = f32x4.mul(yb, r);
  let Q = f32x4.mul(yl, r);
  let Rr = f32x4.neg(f32x4.mul(aNext, r));
  v128.store(B + o, P);
  v128.store(Y + o, Q);
  v128.store(R + o, Rr);
  for (let k = <isize>rows - 2; k >= 0; k--) {
    const a1 = v128.load(OFF + o); // a_(k+1)
    o = (<usize>k) << 4;
    const rk = v128.load(D + o);
    P = f32x4.mul(f32x4.sub(v128.load(B + o), f32x4.mul(a1, P)), rk);
    Q = f32x4.mul(f32x4.sub(v128.load(Y + o), f32x4.mul(a1, Q)), rk);
    Rr = f32x4.neg(f32x4.mul(f32x4.mul(a1, Rr), rk));
    v128.store(B + o, P);
    v128.store(Y + o, Q);
    v128.store(R + o, Rr);
  }
}

/**
 * The boundary unknowns F_j (block j's first row) and L_j (its last): F_j = P0_j + Q0_j·L_(j−1) +
 * R0_j·F_(j+1), L_j = PM_j + QM_j·L_(j−1) + RM_j·F_(j+1). Ordered F_0, L_0, F_1, …, the matrix
 * has two bands on each side; eliminated without pivoting (it inherits the cable matrix's
 * diagonal dominance). Returns X_L (L_(j−1), 0 for the first block) and leaves X_R (F_(j+1)) at
 * red + 8·n·(n + 1).
 */
function boundary(arr: usize, stride: usize, rows: usize, red: usize): v128 {
  const n: i32 = 2 * BLOCKS;
  const last = (rows - 1) << 4;
  const B = arr + A_B * stride;
  const Y = arr + A_Y * stride;
  const R = arr + A_R * stride;
  const M = red; // n × n, row-major, float64
  const rhs = red + <usize>(8 * n * n);
  for (let i = 0; i < n * n; i++) store<f64>(M + ((<usize>i) << 3), 0);
  for (let j = 0; j < BLOCKS; j++) {
    const lane = (<usize>j) << 2;
    for (let e = 0; e < 2; e++) {
      const row = 2 * j + e;
      const o = e == 0 ? lane : last + lane;
      store<f64>(M + <usize>(8 * (row * n + row)), 1);
      if (j > 0) store<f64>(M + <usize>(8 * (row * n + 2 * j - 1)), -(<f64>load<f32>(Y + o)));
      if (j < BLOCKS - 1) store<f64>(M + <usize>(8 * (row * n + 2 * j + 2)), -(<f64>load<f32>(R + o)));
      store<f64>(rhs + <usize>(8 * row), <f64>load<f32>(B + o));
    }
  }
  for (let c = 0; c < n; c++) {
    const piv = load<f64>(M + <usize>(8 * (c * n + c)));
    const end = c + 2 < n ? c + 2 : n - 1;
    for (let r = c + 1; r <= end; r++) {
      const f = load<f64>(M + <usize>(8 * (r * n + c))) / piv;
      if (f == 0) continue;
      for (let cc = c; cc <= end; cc++) {
        const at = M + <usize>(8 * (r * n + cc));
        store<f64>(at, load<f64>(at) - f * load<f64>(M + <usize>(8 * (c * n + cc))));
      }
      store<f64>(rhs + <usize>(8 * r), load<f64>(rhs + <usize>(8 * r)) - f * load<f64>(rhs + <usize>(8 * c)));
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let x = load<f64>(rhs + <usize>(8 * r));
    const end = r + 2 < n ? r + 2 : n - 1;
    for (let cc = r + 1; cc <= end; cc++)
      x -= load<f64>(M + <usize>(8 * (r * n + cc))) * load<f64>(rhs + <usize>(8 * cc));
    store<f64>(rhs + <usize>(8 * r), x / load<f64>(M + <usize>(8 * (r * n + r))));
  }
  // X_L = [0, L_0, L_1, L_2], X_R = [F_1, F_2, F_3, 0].
  let xl = f32x4.splat(0);
  let xr = f32x4.splat(0);
  xl = f32x4.replace_lane(xl, 1, <f32>load<f64>(rhs + 8 * 1));
  xl = f32x4.replace_lane(xl, 2, <f32>load<f64>(rhs + 8 * 3));
  xl = f32x4.replace_lane(xl, 3, <f32>load<f64>(rhs + 8 * 5));
  xr = f32x4.replace_lane(xr, 0, <f32>load<f64>(rhs + 8 * 2));
  xr = f32x4.replace_lane(xr, 1, <f32>load<f64>(rhs + 8 * 4));
  xr = f32x4.replace_lane(xr, 2, <f32>load<f64>(rhs + 8 * 6));
  v128.store(red + <usize>(8 * n * (n + 1)), xr);
  return xl;
}

/**
 * The new V from the solve: x = P + Q·X_L + R·X_R (partitioned) or x = B (tree); V ← 2x − V
 * (Crank–Nicolson) or x.
 */
// @ts-ignore: decorator
@inline
function finish(
  arr: usize,
  stride: usize,
  rows: usize,
  partitioned: bool,
  cn: bool,
  xl: v128,
  xr: v128,
): void {
  const B = arr + A_B * stride;
  const Y = arr + A_Y * stride;
  const R = arr + A_R * stride;
  for (let k: usize = 0; k < rows; k++) {
    const o = k << 4;
    let x = v128.load(B + o);
    if (partitioned)
      x = f32x4.add(x, f32x4.add(f32x4.mul(v128.load(Y + o), xl), f32x4.mul(v128.load(R + o), xr)));
    v128.store(arr + o, cn ? f32x4.sub(f32x4.add(x, x), v128.load(arr + o)) : x);
  }
}

/** Tree solve (Hines, scalar float32) of one linear step into A_B. */
// @ts-ignore: decorator
@inline
function solveTree(args: usize, arr: usize, stride: usize, advance: bool, rates: usize): void {
  const rows = <usize>fi(args, F_ROWS);
  for (let k: usize = 0; k < rows; k++) membraneRow(args, arr, stride, k, advance, rates);
  const n = fi(args, F_N);
  const parent = fp(args, F_PARENT);
  const D = arr + A_D * stride;
  const B = arr + A_B * stride;
  const OFF = arr + A_OFF * stride;
  for (let i = n - 1; i > 0; i--) {
    const ii = (<usize>i) << 2;
    const p = (<usize>load<i32>(parent + ii)) << 2;
    const o = load<f32>(OFF + ii);
    const f = o / load<f32>(D + ii);
    store<f32>(D + p, load<f32>(D + p) - f * o);
    store<f32>(B + p, load<f32>(B + p) - f * load<f32>(B + ii));
  }
  store<f32>(B, load<f32>(B) / load<f32>(D));
  for (let i = 1; i < n; i++) {
    const ii = (<usize>i) << 2;
    const p = (<usize>load<i32>(parent + ii)) << 2;
    store<f32>(B + ii, (load<f32>(B + ii) - load<f32>(OFF + ii) * load<f32>(B + p)) / load<f32>(D + ii));
  }
}

/**
 * One linear solve and V update (`advance`: the step's first solve, which steps the gates; `cn`:
 * V ← 2x − V). Runtime flags: their branches are taken the same way all run long.
 */
function solveAndUpdate(args: usize, arr: usize, stride: usize, advance: bool, cn: bool, rates: usize): void {
  const rows = <usize>fi(args, F_ROWS);
  if (fi(args, F_MODE) == CABLE_PARTITIONED) {
    solvePartitioned(args, arr, stride, advance, rates);
    const red = fp(args, F_RED);
    const xl = boundary(arr, stride, rows, red);
    finish(arr, stride, rows, true, cn, xl, v128.load(red + <usize>(8 * 2 * BLOCKS * (2 * BLOCKS + 1))));
  } else {
    solveTree(args, arr, stride, advance, rates);
    finish(arr, stride, rows, false, cn, f32x4.splat(0), f32x4.splat(0));
  }
}

/** Upward crossings at the watched positions after step s; returns crossings past the slots. */
function watch(args: usize, arr: usize, s: i32): i32 {
  const count = fi(args, F_NWATCH);
  const pos = fp(args, F_WPOS);
  const prev = fp(args, F_WPREV);
  const counts = fp(args, F_WCOUNT);
  const slots = fp(args, F_WSLOTS);
  const max = fi(args, F_WMAX);
  const th = ff(args, F_TH);
  let dropped = 0;
  for (let w = 0; w < count; w++) {
    const ww = (<usize>w) << 2;
    const v = load<f32>(arr + ((<usize>load<i32>(pos + ww)) << 2));
    const p = load<f32>(prev + ww);
    if (p < th && v >= th) {
      const c = load<i32>(counts + ww);
      if (c < max) {
        const slot = slots + <usize>(12 * (w * max + c));
        store<i32>(slot, s);
        store<f32>(slot, p, 4);
        store<f32>(slot, v, 8);
      } else dropped++;
      store<i32>(counts + ww, c + 1);
    }
    store<f32>(prev + ww, v);
  }
  return dropped;
}

/** V at the recorded positions as sample s / REVERY. */
function recordV(args: usize, arr: usize, s: i32): void {
  const count = fi(args, F_NREC);
  const pos = fp(args, F_RPOS);
  const out = fp(args, F_ROUT) + <usize>(4 * count * (s / fi(args, F_REVERY)));
  for (let r = 0; r < count; r++) {
    const rr = (<usize>r) << 2;
    store<f32>(out + rr, load<f32>(arr + ((<usize>load<i32>(pos + rr)) << 2)));
  }
}

/**
 * Steps s0 … s1 − 1 of the run described at args (each step s ends at sample s + 1); `rates` is
 * 96 bytes of scratch. Returns the crossings that found no slot.
 */
export function cableCellRun(args: usize, s0: i32, s1: i32, rates: usize): i32 {
  const arr = fp(args, F_ARR);
  const stride = fp(args, F_STRIDE);
  const inj = arr + A_INJ * stride;
  const info = fp(args, F_INFO);
  const cn = fi(args, F_CN) != 0;
  const every = fi(args, F_REVERY);
  const watching = fi(args, F_NWATCH) > 0;
  let dropped = 0;
  for (let s = s0; s < s1; s++) {
    const bits = load<i32>(info + ((<usize>s) << 2));
    setClamps(args, inj, (bits >> 1) & 0x7fff);
    if (bits & 1) {
      // A damped step: two backward-Euler solves (C/h is C/(dt/2) already under CN).
      solveAndUpdate(args, arr, stride, true, false, rates);
      setClamps(args, inj, (bits >> 16) & 0x7fff);
      solveAndUpdate(args, arr, stride, false, false, rates);
    } else solveAndUpdate(args, arr, stride, true, cn, rates);
    if (watching) dropped += watch(args, arr, s + 1);
    if (every > 0 && (s + 1) % every == 0) recordV(args, arr, s + 1);
  }
  return dropped;
}

/** Bytes of the partitioned solver's float64 scratch (F_RED). */
export const CABLE_RED_BYTES: i32 = 8 * 2 * BLOCKS * (2 * BLOCKS + 1) + 16;
