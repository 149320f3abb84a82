// Fused multi-step spiking kernels (LIF, learning HH, full HH, s-LIF2HH), the SIMD twin of the
// plain-TypeScript reference in src/kernels/js/spiking.ts (layouts: src/kernels/spiking-types.ts).
//
// Neurons are independent, so each kernel runs a group of neurons side by side in vector lanes and
// steps the whole group through all T steps (neuron-outer, time-inner), several independent chains
// per group so the per-neuron recurrence is not latency-bound: LIF and learning HH forward 8
// neurons (four f64x2 chains), s-LIF2HH 2 units (four coupled chains), full HH 2 neurons (one
// chain: a step is ~150 vector operations with much parallelism of its own).
//
// Forward passes keep float64 states like the reference and every expression keeps its operation
// order, so LIF, learning HH and s-LIF2HH reproduce the reference's outputs and saved buffers bit
// for bit (smooth mode: the primitives use this module's exp/atan, which may differ from V8's in
// the last bit). Full HH needs e^x, computed by expCore within ~2 ulp (not bit-identical to
// Math.exp), so its float64 states may drift from the reference's by a few ulps: the saved float32
// states agree except in the rare case of a different rounding, and spikes agree wherever v is
// not within ~1e-13 of the spike cut. Spikes are decided on the float64 state against the
// float32-aware cut (the reference's spikeCut, passed in as `cut`), so H(saved u − θ), which
// backward recomputes, equals the forward's spike.
//
// Backward passes run in float64 (the same operation order as the reference, so the same result
// up to the sign of exact zeros), except the rectangular surrogate of LIF, learning HH and
// s-LIF2HH, which runs in float32x4 (twice the lanes): its gradients agree with the reference to
// float32 rounding (about 1e-7 relative; learning HH rate gradients are summed in float32 over
// blocks of 16 samples, then in float64), and its spike and window decisions are made on the
// float32 saved states against float32 cut-offs the host derives to be exactly equivalent to the
// reference's float64 tests.
//
// A time-varying input is F = T/R frames, each serving R steps: the forward loads a frame when it
// starts and backward sums a frame's input gradient in registers (as it sums a static input's over
// all steps) and adds it to the frame's row when the frame is done; both count the frame's steps
// down, apart from the per-step pointers of outputs, saved states and gradOut. The bodies take R as
// an argument: the exports pass a constant 1, which folds back to the one-frame-per-step code, and
// call the *Frames functions for R > 1.
//
// Group tails (N or B·N not a multiple of the group width) run the same code: loads may read up to
// 64 bytes past a buffer (the host leaves that much slack after each one), stores write only the
// valid lanes. Gradients are accumulated (+=). Variants are specialised by inlining one generic
// body with constant flags (Binaryen folds the dead branches); rarer combinations share one body
// with run-time flags.

// Flags (the host passes them OR-ed in one i32).
export const F_TV: i32 = 1; // input is time-major [T][…] (else static)
export const F_RATE: i32 = 2; // output (and gradOut) is the rate over T (else spikes [T][…])
export const F_SMOOTH: i32 = 4; // forward emits the surrogate primitive
export const F_SAVE: i32 = 8; // forward saves its states
const F_DETACH: i32 = 16; // detachReset (LIF, s-LIF2HH) / detachIonic (learning HH)
export const F_GIN: i32 = 32; // gradInput is wanted
export const F_GPARAM: i32 = 64; // gradRates / gradWeights are wanted
const F_F32: i32 = 128; // backward may run in float32 (the float32 cut-offs passed are valid)
// Bits 8–31: R, the steps each time-varying input frame serves (step t reads frame ⌊t/R⌋).

// Phases of learningHhForward / learningHhBackward (OR-ed; a single-threaded call passes all three
// and rows [0, B)). Threads share a call by rows: the host runs PREPARE (per-neuron tables, zeroed
// sums), the threads run ROWS on disjoint row ranges, then the host runs FINISH (per-neuron
// parameter gradients from the sums).
export const PHASE_PREPARE: i32 = 1;
export const PHASE_ROWS: i32 = 2;
export const PHASE_FINISH: i32 = 4;
/** PREPARE of neurons [b0, b1) only, so threads can share it (the closed-form calls, lhh-affine.ts). */
export const PHASE_PREPARE_NEURONS: i32 = 8;

const SURR_RECT: i32 = 0;
const SURR_SIGMOID: i32 = 1;
const SURR_ARCTAN: i32 = 2;

// ---------------------------------------------------------------------------------------------
// Small helpers

// @ts-ignore: decorator
@inline
export function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** R from the flags word. */
// @ts-ignore: decorator
@inline
export function repeatOf(flags: i32): i32 {
  return <i32>((<u32>flags) >> 8);
}

/** Lanes 0, 1 of an f32x4 as f64x2. */
// @ts-ignore: decorator
@inline
function lo(q: v128): v128 {
  return f64x2.promote_low_f32x4(q);
}

/** Lanes 2, 3 of an f32x4 as f64x2. */
// @ts-ignore: decorator
@inline
function hi(q: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(q, q, 2, 3, 2, 3));
}

/** Two f64x2 rounded to one f32x4 (a in lanes 0, 1). */
// @ts-ignore: decorator
@inline
function pack(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

/** Stores the first cnt (≥ 4: all) lanes of an f32x4. */
// @ts-ignore: decorator
@inline
export function storeQ(p: usize, q: v128, cnt: i32): void {
  if (cnt >= 4) v128.store(p, q);
  else if (cnt > 0) {
    v128.store32_lane(p, q, 0);
    if (cnt > 1) v128.store32_lane(p, q, 1, 4);
    if (cnt > 2) v128.store32_lane(p, q, 2, 8);
  }
}

/** Two floats at p as f64x2 (reads 8 bytes). */
// @ts-ignore: decorator
@inline
function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Stores the first cnt (≥ 2: both) lanes of an f64x2, rounded to float32. */
// @ts-ignore: decorator
@inline
function store2(p: usize, v: v128, cnt: i32): void {
  const q = f32x4.demote_f64x2_zero(v);
  if (cnt >= 2) v128.store64_lane(p, q, 0);
  else v128.store32_lane(p, q, 0);
}

/** float32 buffer += (a, b) in its first cnt lanes (each lane: fround(old + value), as `+=` in JS). */
// @ts-ignore: decorator
@inline
function addQ(p: usize, a: v128, b: v128, cnt: i32): void {
  if (cnt > 0) {
    const old = v128.load(p);
    storeQ(p, pack(f64x2.add(lo(old), a), f64x2.add(hi(old), b)), cnt);
  }
}

/** float32 pair += v in its first cnt lanes. */
// @ts-ignore: decorator
@inline
function add2(p: usize, v: v128, cnt: i32): void {
  store2(p, f64x2.add(load2(p), v), cnt);
}

/** (|x[0]|, |x[stride]|) for two floats `strideBytes` apart. */
// @ts-ignore: decorator
@inline
function absPair(p: usize, strideBytes: usize): v128 {
  return f64x2.replace_lane(
    f64x2.splat(Math.abs(<f64>load<f32>(p))),
    1,
    Math.abs(<f64>load<f32>(p + strideBytes)),
  );
}

/** f32x4 [a0, b0, a1, b1]. */
// @ts-ignore: decorator
@inline
function zipLo(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 4, 1, 5);
}

/** f32x4 [a2, b2, a3, b3]. */
// @ts-ignore: decorator
@inline
function zipHi(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 2, 6, 3, 7);
}

/**
 * Four states of two neurons (f64x2 each: lane u = neuron u) stored interleaved, rounded to
 * float32: [a0, b0, c0, d0] at p, [a1, b1, c1, d1] at p + 16 (only the first if cnt = 1).
 */
// @ts-ignore: decorator
@inline
function storeRows2(p: usize, a: v128, b: v128, c: v128, d: v128, cnt: i32): void {
  const ab = zipLo(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b)); // a0 b0 a1 b1
  const cd = zipLo(f32x4.demote_f64x2_zero(c), f32x4.demote_f64x2_zero(d)); // c0 d0 c1 d1
  v128.store(p, v128.shuffle<f32>(ab, cd, 0, 1, 4, 5));
  if (cnt > 1) v128.store(p, v128.shuffle<f32>(ab, cd, 2, 3, 6, 7), 16);
}

// ---------------------------------------------------------------------------------------------
// exp and the surrogates

const LOG2E: f64 = 1.4426950408889634;
// ln 2 = LN2_HI + LN2_LO with LN2_HI = fround(ln 2) (24 bits, so n·LN2_HI is exact for |n| < 2^29).
const LN2_HI: f64 = 0.693147182464599609375;
const LN2_LO: f64 = -1.904654299957768e-9;
// 1.5·2^52: adding it rounds to an integer held in the low mantissa bits.
const SHIFTER: f64 = 6755399441055744.0;

/**
 * e^x per lane for |x| ≤ 708: x = n·ln 2 + r (|r| ≤ ln2/2), e^r by its degree-12 Taylor
 * polynomial (Estrin), scaled by 2^n through the exponent bits; within ~2 ulp. Outside, x is
 * clamped (finite nonsense, never NaN); NaN stays NaN.
 */
// @ts-ignore: decorator
@inline
export function expCore(x: v128): v128 {
  const xc = f64x2.pmax(f64x2.pmin(x, f64x2.splat(708)), f64x2.splat(-708));
  const sh = f64x2.splat(SHIFTER);
  const t = f64x2.add(f64x2.mul(xc, f64x2.splat(LOG2E)), sh);
  const n = f64x2.sub(t, sh);
  const r = f64x2.sub(f64x2.sub(xc, f64x2.mul(n, f64x2.splat(LN2_HI))), f64x2.mul(n, f64x2.splat(LN2_LO)));
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const r8 = f64x2.mul(r4, r4);
  const a0 = f64x2.add(f64x2.splat(1), r);
  const a1 = f64x2.add(f64x2.splat(1.0 / 2), f64x2.mul(r, f64x2.splat(1.0 / 6)));
  const a2 = f64x2.add(f64x2.splat(1.0 / 24), f64x2.mul(r, f64x2.splat(1.0 / 120)));
  const a3 = f64x2.add(f64x2.splat(1.0 / 720), f64x2.mul(r, f64x2.splat(1.0 / 5040)));
  const a4 = f64x2.add(f64x2.splat(1.0 / 40320), f64x2.mul(r, f64x2.splat(1.0 / 362880)));
  const a5 = f64x2.add(f64x2.splat(1.0 / 3628800), f64x2.mul(r, f64x2.splat(1.0 / 39916800)));
  const b0 = f64x2.add(a0, f64x2.mul(a1, r2));
  const b1 = f64x2.add(a2, f64x2.mul(a3, r2));
  const b2 = f64x2.add(a4, f64x2.mul(a5, r2));
  const c0 = f64x2.add(b0, f64x2.mul(b1, r4));
  const c1 = f64x2.add(b2, f64x2.mul(f64x2.splat(1.0 / 479001600), r4));
  const poly = f64x2.add(c0, f64x2.mul(c1, r8));
  // bits(t) − bits(SHIFTER) = n as an integer; 2^n has exponent field n + 1023.
  const scale = i64x2.shl(i64x2.add(i64x2.sub(t, sh), i64x2.splat(1023)), 52);
  return f64x2.mul(poly, scale);
}

/** e^x per lane like Math.exp: expCore, with +∞ on overflow and 0 below x = −708 (Math.exp: < 3e-308). */
// @ts-ignore: decorator
@inline
function expv(x: v128): v128 {
  const y = expCore(x);
  const big = f64x2.gt(x, f64x2.splat(709.782712893384));
  const tiny = f64x2.lt(x, f64x2.splat(-708));
  return v128.andnot(v128.bitselect(f64x2.splat(Infinity), y, big), tiny);
}

/**
 * g·sg(x), the gradient through a spike at x = u − θ (the reference's g·surrogate', same operation
 * order). Rectangular: g inside the window, else 0 (the reference's g·0 may be −0; same value).
 * P = p, NP = −p, H = p/2, CA = π·p/2 (splatted).
 */
// @ts-ignore: decorator
@inline
export function gradThrough(kind: i32, x: v128, g: v128, P: v128, NP: v128, H: v128, CA: v128): v128 {
  const one = f64x2.splat(1);
  if (kind == SURR_RECT) return v128.and(g, v128.and(f64x2.gt(x, NP), f64x2.lt(x, P)));
  let sg: v128;
  if (kind == SURR_SIGMOID) {
    const e = f64x2.div(one, f64x2.add(one, expv(f64x2.mul(NP, x))));
    sg = f64x2.mul(f64x2.mul(P, e), f64x2.sub(one, e));
  } else if (kind == SURR_ARCTAN) {
    const z = f64x2.mul(CA, x);
    sg = f64x2.div(H, f64x2.add(one, f64x2.mul(z, z)));
  } else {
    const d = f64x2.add(one, f64x2.mul(P, f64x2.abs(x)));
    sg = f64x2.div(H, f64x2.mul(d, d));
  }
  return f64x2.mul(g, sg);
}

/** The surrogate's primitive at x (smooth mode only: scalar, per lane). */
export function prim(kind: i32, p: f64, x: f64): f64 {
  if (kind == SURR_RECT) return x <= -p ? 0 : x >= p ? 2 * p : x + p;
  if (kind == SURR_SIGMOID) return 1 / (1 + Math.exp(-p * x));
  if (kind == SURR_ARCTAN) return 0.5 + Math.atan((Math.PI * p * x) / 2) / Math.PI;
  return 0.5 + (0.5 * p * x) / (1 + p * Math.abs(x));
}

// @ts-ignore: decorator
@inline
function primv(kind: i32, p: f64, x: v128): v128 {
  return f64x2.replace_lane(
    f64x2.splat(prim(kind, p, f64x2.extract_lane(x, 0))),
    1,
    prim(kind, p, f64x2.extract_lane(x, 1)),
  );
}

// Spikes in the forward: in hard mode a lane mask (all ones: u > cut), in smooth mode the
// primitive's value. The helpers below take either, by the (constant) smooth flag.

/** The spike of state u. */
// @ts-ignore: decorator
@inline
function fire(smooth: bool, kind: i32, p: f64, u: v128, CUT: v128, TH: v128): v128 {
  if (smooth) return primv(kind, p, f64x2.sub(u, TH));
  return f64x2.gt(u, CUT);
}

/** LIF charge: decay·m·(1 − s) + x (hard mode: the reset zeroes decay·m, an exact 0 or 1 factor). */
// @ts-ignore: decorator
@inline
function charge(smooth: bool, m: v128, s: v128, x: v128, D: v128): v128 {
  const dm = f64x2.mul(D, m);
  if (smooth) return f64x2.add(f64x2.mul(dm, f64x2.sub(f64x2.splat(1), s)), x);
  return f64x2.add(v128.andnot(dm, s), x);
}

/** The output value of spike s (1 or 0 in hard mode). */
// @ts-ignore: decorator
@inline
function spikeValue(smooth: bool, s: v128): v128 {
  if (smooth) return s;
  return v128.and(s, f64x2.splat(1));
}

/** Spike-rate accumulator += s (hard mode: an integer count per i64 lane, the mask being −1). */
// @ts-ignore: decorator
@inline
function tally(smooth: bool, acc: v128, s: v128): v128 {
  if (smooth) return f64x2.add(acc, s);
  return i64x2.sub(acc, s);
}

/** The rate from the accumulator: sum·(1/T) (the count is exact, like the reference's sum of 1s). */
// @ts-ignore: decorator
@inline
function rateOf(smooth: bool, acc: v128, INVT: v128): v128 {
  if (smooth) return f64x2.mul(acc, INVT);
  return f64x2.mul(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(acc, acc, 0, 2, 0, 2)), INVT);
}

/** Backward: decay·(1 − s) at saved state u (hard: s = H(u − θ); +0 where the reference has −0). */
// @ts-ignore: decorator
@inline
function keep(smooth: bool, kind: i32, p: f64, u: v128, x: v128, D: v128, TH: v128): v128 {
  if (smooth) return f64x2.mul(D, f64x2.sub(f64x2.splat(1), primv(kind, p, x)));
  return v128.andnot(D, f64x2.gt(u, TH));
}

/**
 * One LIF backward step: given dL/dmem[t+1] (n), the saved mem[t] (m) and dL/ds[t] (g), returns
 * dL/dmem[t] = (g − reset·m·n)·sg + decay·(1 − s)·n.
 */
// @ts-ignore: decorator
@inline
function lifBack(
  smooth: bool,
  kind: i32,
  p: f64,
  m: v128,
  g: v128,
  n: v128,
  TH: v128,
  R: v128,
  D: v128,
  P: v128,
  NP: v128,
  H: v128,
  CA: v128,
): v128 {
  const x = f64x2.sub(m, TH);
  const ds = f64x2.sub(g, f64x2.mul(f64x2.mul(R, m), n));
  return f64x2.add(gradThrough(kind, x, ds, P, NP, H, CA), f64x2.mul(keep(smooth, kind, p, m, x, D, TH), n));
}

// ---------------------------------------------------------------------------------------------
// LIF: mem[t] = decay·mem[t−1]·(1 − s[t−1]) + x[t]; 8 neurons (flat index) per group.

// @ts-ignore: decorator
@inline
function lifFwd(
  tv: bool,
  rate: bool,
  save: bool,
  smooth: bool,
  BN: i32,
  i0: i32,
  i1: i32,
  T: i32,
  rep: i32,
  input: usize,
  out: usize,
  mem: usize,
  decay: f64,
  th: f64,
  cut: f64,
  kind: i32,
  p: f64,
): void {
  const D = f64x2.splat(decay);
  const CUT = f64x2.splat(cut);
  const TH = f64x2.splat(th);
  const Z = f64x2.splat(0);
  const INVT = f64x2.splat(1 / <f64>T);
  const row = (<usize>BN) << 2;
  for (let i = i0; i < i1; i += 8) {
    const cnt = imin(8, i1 - i);
    const off = (<usize>i) << 2;
    let m0 = Z,
      m1 = Z,
      m2 = Z,
      m3 = Z;
    let s0 = Z,
      s1 = Z,
      s2 = Z,
      s3 = Z; // smooth mode: the previous step's spikes
    // Hard mode recomputes the previous spike from m at each step (fewer live registers) and
    // counts it there: the count starts at −(spike of m = 0), which that first step cancels.
    let a0 = smooth ? Z : f64x2.gt(Z, CUT);
    let a1 = a0,
      a2 = a0,
      a3 = a0;
    let x0 = Z,
      x1 = Z,
      x2 = Z,
      x3 = Z;
    let pin = input + off;
    let left = 0; // steps left in the current input frame
    if (!tv) {
      const qa = v128.load(pin);
      const qb = v128.load(pin, 16);
      x0 = lo(qa);
      x1 = hi(qa);
      x2 = lo(qb);
      x3 = hi(qb);
    }
    let pm = mem + off;
    let po = out + off;
    for (let t = 0; t < T; t++) {
      if (tv && (rep == 1 || left-- == 0)) {
        const qa = v128.load(pin);
        const qb = v128.load(pin, 16);
        x0 = lo(qa);
        x1 = hi(qa);
        x2 = lo(qb);
        x3 = hi(qb);
        pin += row;
        left = rep - 1;
      }
      if (!smooth) {
        s0 = f64x2.gt(m0, CUT);
        s1 = f64x2.gt(m1, CUT);
        s2 = f64x2.gt(m2, CUT);
        s3 = f64x2.gt(m3, CUT);
        if (rate) {
          a0 = tally(false, a0, s0);
          a1 = tally(false, a1, s1);
          a2 = tally(false, a2, s2);
          a3 = tally(false, a3, s3);
        }
      }
      m0 = charge(smooth, m0, s0, x0, D);
      m1 = charge(smooth, m1, s1, x1, D);
      m2 = charge(smooth, m2, s2, x2, D);
      m3 = charge(smooth, m3, s3, x3, D);
      if (save) {
        storeQ(pm, pack(m0, m1), cnt);
        storeQ(pm + 16, pack(m2, m3), cnt - 4);
        pm += row;
      }
      if (smooth) {
        s0 = fire(true, kind, p, m0, CUT, TH);
        s1 = fire(true, kind, p, m1, CUT, TH);
        s2 = fire(true, kind, p, m2, CUT, TH);
        s3 = fire(true, kind, p, m3, CUT, TH);
        if (rate) {
          a0 = tally(true, a0, s0);
          a1 = tally(true, a1, s1);
          a2 = tally(true, a2, s2);
          a3 = tally(true, a3, s3);
        }
      }
      if (!rate) {
        if (smooth) {
          storeQ(po, pack(s0, s1), cnt);
          storeQ(po + 16, pack(s2, s3), cnt - 4);
        } else {
          storeQ(po, pack(spikeValue(false, f64x2.gt(m0, CUT)), spikeValue(false, f64x2.gt(m1, CUT))), cnt);
          storeQ(
            po + 16,
            pack(spikeValue(false, f64x2.gt(m2, CUT)), spikeValue(false, f64x2.gt(m3, CUT))),
            cnt - 4,
          );
        }
        po += row;
      }
    }
    if (rate && !smooth) {
      a0 = tally(false, a0, f64x2.gt(m0, CUT));
      a1 = tally(false, a1, f64x2.gt(m1, CUT));
      a2 = tally(false, a2, f64x2.gt(m2, CUT));
      a3 = tally(false, a3, f64x2.gt(m3, CUT));
    }
    if (rate) {
      storeQ(out + off, pack(rateOf(smooth, a0, INVT), rateOf(smooth, a1, INVT)), cnt);
      storeQ(out + off + 16, pack(rateOf(smooth, a2, INVT), rateOf(smooth, a3, INVT)), cnt - 4);
    }
  }
}

export function lifForward(
  BN: i32,
  i0: i32,
  i1: i32,
  T: i32,
  input: usize,
  out: usize,
  mem: usize,
  flags: i32,
  decay: f64,
  th: f64,
  cut: f64,
  kind: i32,
  p: f64,
): void {
  const tv = (flags & F_TV) != 0;
  const rate = (flags & F_RATE) != 0;
  const save = (flags & F_SAVE) != 0;
  const rep = repeatOf(flags);
  if (tv && rep > 1) lifForwardFrames(BN, i0, i1, T, rep, input, out, mem, flags, decay, th, cut, kind, p);
  else if ((flags & F_SMOOTH) != 0)
    lifFwd(tv, rate, save, true, BN, i0, i1, T, 1, input, out, mem, decay, th, cut, kind, p);
  else if (!tv && rate && save)
    lifFwd(false, true, true, false, BN, i0, i1, T, 1, input, out, mem, decay, th, cut, kind, p);
  else if (tv && rate && save)
    lifFwd(true, true, true, false, BN, i0, i1, T, 1, input, out, mem, decay, th, cut, kind, p);
  else if (!tv && !rate && save)
    lifFwd(false, false, true, false, BN, i0, i1, T, 1, input, out, mem, decay, th, cut, kind, p);
  else if (tv && !rate && save)
    lifFwd(true, false, true, false, BN, i0, i1, T, 1, input, out, mem, decay, th, cut, kind, p);
  else lifFwd(tv, rate, false, false, BN, i0, i1, T, 1, input, out, mem, decay, th, cut, kind, p);
}

/**
 * lifForward of a time-varying input in frames of rep > 1 steps. The frame variants live apart
 * from the R = 1 ones (here and in the other kernels): in one function with them, V8 compiled the
 * R = 1 variants of the backward up to 10% slower.
 */
function lifForwardFrames(
  BN: i32,
  i0: i32,
  i1: i32,
  T: i32,
  rep: i32,
  input: usize,
  out: usize,
  mem: usize,
  flags: i32,
  decay: f64,
  th: f64,
  cut: f64,
  kind: i32,
  p: f64,
): void {
  const rate = (flags & F_RATE) != 0;
  const save = (flags & F_SAVE) != 0;
  if ((flags & F_SMOOTH) != 0)
    lifFwd(true, rate, save, true, BN, i0, i1, T, rep, input, out, mem, decay, th, cut, kind, p);
  else if (rate && save)
    lifFwd(true, true, true, false, BN, i0, i1, T, rep, input, out, mem, decay, th, cut, kind, p);
  else if (save)
    lifFwd(true, false, true, false, BN, i0, i1, T, rep, input, out, mem, decay, th, cut, kind, p);
  else lifFwd(true, rate, false, false, BN, i0, i1, T, rep, input, out, mem, decay, th, cut, kind, p);
}

// @ts-ignore: decorator
@inline
function lifBwd(
  tv: bool,
  rate: bool,
  smooth: bool,
  kind: i32,
  BN: i32,
  i0: i32,
  i1: i32,
  T: i32,
  rep: i32,
  mem: usize,
  gradOut: usize,
  gradInput: usize,
  decay: f64,
  reset: f64,
  th: f64,
  p: f64,
): void {
  const D = f64x2.splat(decay);
  const R = f64x2.splat(reset);
  const TH = f64x2.splat(th);
  const Z = f64x2.splat(0);
  const P = f64x2.splat(p);
  const NP = f64x2.splat(-p);
  const H = f64x2.splat(p / 2);
  const CA = f64x2.splat((Math.PI * p) / 2);
  const INVT = f64x2.splat(1 / <f64>T);
  const row = (<usize>BN) << 2;
  const lastFrame = <usize>(T / rep - 1) * row; // offset of the last input frame
  for (let i = i0; i < i1; i += 8) {
    const cnt = imin(8, i1 - i);
    const off = (<usize>i) << 2;
    // dL/ds[t]: gradOut/T at every step for a rate, else gradOut[t].
    let g0 = Z,
      g1 = Z,
      g2 = Z,
      g3 = Z;
    if (rate) {
      const qa = v128.load(gradOut + off);
      const qb = v128.load(gradOut + off, 16);
      g0 = f64x2.mul(lo(qa), INVT);
      g1 = f64x2.mul(hi(qa), INVT);
      g2 = f64x2.mul(lo(qb), INVT);
      g3 = f64x2.mul(hi(qb), INVT);
    }
    let n0 = Z,
      n1 = Z,
      n2 = Z,
      n3 = Z; // dL/dmem[t+1]
    let c0 = Z,
      c1 = Z,
      c2 = Z,
      c3 = Z; // input-gradient sums over the frame (static input: all steps)
    let o = off + <usize>(T - 1) * row;
    let pgi = gradInput + off + lastFrame;
    let left = rep;
    for (let t = T - 1; t >= 0; t--) {
      const ma = v128.load(mem + o);
      const mb = v128.load(mem + o, 16);
      if (!rate) {
        const qa = v128.load(gradOut + o);
        const qb = v128.load(gradOut + o, 16);
        g0 = lo(qa);
        g1 = hi(qa);
        g2 = lo(qb);
        g3 = hi(qb);
      }
      n0 = lifBack(smooth, kind, p, lo(ma), g0, n0, TH, R, D, P, NP, H, CA);
      n1 = lifBack(smooth, kind, p, hi(ma), g1, n1, TH, R, D, P, NP, H, CA);
      n2 = lifBack(smooth, kind, p, lo(mb), g2, n2, TH, R, D, P, NP, H, CA);
      n3 = lifBack(smooth, kind, p, hi(mb), g3, n3, TH, R, D, P, NP, H, CA);
      if (tv && rep == 1) {
        addQ(gradInput + o, n0, n1, cnt);
        addQ(gradInput + o + 16, n2, n3, cnt - 4);
      } else {
        c0 = f64x2.add(c0, n0);
        c1 = f64x2.add(c1, n1);
        c2 = f64x2.add(c2, n2);
        c3 = f64x2.add(c3, n3);
        if (tv && rep != 1 && --left == 0) {
          addQ(pgi, c0, c1, cnt);
          addQ(pgi + 16, c2, c3, cnt - 4);
          c0 = Z;
          c1 = Z;
          c2 = Z;
          c3 = Z;
          pgi -= row;
          left = rep;
        }
      }
      o -= row;
    }
    if (!tv) {
      addQ(gradInput + off, c0, c1, cnt);
      addQ(gradInput + off + 16, c2, c3, cnt - 4);
    }
  }
}

/**
 * One float32 LIF backward step of the rectangular surrogate (4 neurons): the window and the spike
 * are decided on the saved float32 membrane against float32 cut-offs equivalent to the
 * reference's float64 tests (LO < m ≤ HI ⇔ −p < m − θ < p, m > CUT ⇔ m > θ; see the host).
 */
// @ts-ignore: decorator
@inline
function lifBack32(m: v128, g: v128, n: v128, R: v128, D: v128, CUT: v128, LO: v128, HI: v128): v128 {
  const win = v128.and(f32x4.gt(m, LO), f32x4.le(m, HI));
  const ds = f32x4.sub(g, f32x4.mul(f32x4.mul(R, m), n));
  return f32x4.add(v128.and(ds, win), f32x4.mul(v128.andnot(D, f32x4.gt(m, CUT)), n));
}

/** float32 buffer += v in its first cnt lanes. */
// @ts-ignore: decorator
@inline
function addQ32(p: usize, v: v128, cnt: i32): void {
  if (cnt > 0) storeQ(p, f32x4.add(v128.load(p), v), cnt);
}

/**
 * LIF backward in float32x4 (rectangular surrogate, hard spikes): gradients to float32 accuracy,
 * 16 neurons (four chains) per group.
 */
// @ts-ignore: decorator
@inline
function lifBwd32(
  tv: bool,
  rate: bool,
  BN: i32,
  i0: i32,
  i1: i32,
  T: i32,
  rep: i32,
  mem: usize,
  gradOut: usize,
  gradInput: usize,
  decay: f32,
  reset: f32,
  cut: f32,
  lo32: f32,
  hi32: f32,
): void {
  const D = f32x4.splat(decay);
  const R = f32x4.splat(reset);
  const CUT = f32x4.splat(cut);
  const LO = f32x4.splat(lo32);
  const HI = f32x4.splat(hi32);
  const Z = f32x4.splat(0);
  const INVT = f64x2.splat(1 / <f64>T);
  const row = (<usize>BN) << 2;
  const lastFrame = <usize>(T / rep - 1) * row; // offset of the last input frame
  for (let i = i0; i < i1; i += 16) {
    const cnt = imin(16, i1 - i);
    const off = (<usize>i) << 2;
    let g0 = Z,
      g1 = Z,
      g2 = Z,
      g3 = Z;
    if (rate) {
      const pg = gradOut + off;
      g0 = pack(f64x2.mul(lo(v128.load(pg)), INVT), f64x2.mul(hi(v128.load(pg)), INVT));
      g1 = pack(f64x2.mul(lo(v128.load(pg, 16)), INVT), f64x2.mul(hi(v128.load(pg, 16)), INVT));
      g2 = pack(f64x2.mul(lo(v128.load(pg, 32)), INVT), f64x2.mul(hi(v128.load(pg, 32)), INVT));
      g3 = pack(f64x2.mul(lo(v128.load(pg, 48)), INVT), f64x2.mul(hi(v128.load(pg, 48)), INVT));
    }
    let n0 = Z,
      n1 = Z,
      n2 = Z,
      n3 = Z;
    let c0 = Z,
      c1 = Z,
      c2 = Z,
      c3 = Z; // input-gradient sums over the frame (static input: all steps)
    let o = off + <usize>(T - 1) * row;
    let pgi = gradInput + off + lastFrame;
    let left = rep;
    for (let t = T - 1; t >= 0; t--) {
      const pm = mem + o;
      if (!rate) {
        const pg = gradOut + o;
        g0 = v128.load(pg);
        g1 = v128.load(pg, 16);
        g2 = v128.load(pg, 32);
        g3 = v128.load(pg, 48);
      }
      n0 = lifBack32(v128.load(pm), g0, n0, R, D, CUT, LO, HI);
      n1 = lifBack32(v128.load(pm, 16), g1, n1, R, D, CUT, LO, HI);
      n2 = lifBack32(v128.load(pm, 32), g2, n2, R, D, CUT, LO, HI);
      n3 = lifBack32(v128.load(pm, 48), g3, n3, R, D, CUT, LO, HI);
      if (tv && rep == 1) {
        const pi = gradInput + o;
        addQ32(pi, n0, cnt);
        addQ32(pi + 16, n1, cnt - 4);
        addQ32(pi + 32, n2, cnt - 8);
        addQ32(pi + 48, n3, cnt - 12);
      } else {
        c0 = f32x4.add(c0, n0);
        c1 = f32x4.add(c1, n1);
        c2 = f32x4.add(c2, n2);
        c3 = f32x4.add(c3, n3);
        if (tv && rep != 1 && --left == 0) {
          addQ32(pgi, c0, cnt);
          addQ32(pgi + 16, c1, cnt - 4);
          addQ32(pgi + 32, c2, cnt - 8);
          addQ32(pgi + 48, c3, cnt - 12);
          c0 = Z;
          c1 = Z;
          c2 = Z;
          c3 = Z;
          pgi -= row;
          left = rep;
        }
      }
      o -= row;
    }
    if (!tv) {
      const pi = gradInput + off;
      addQ32(pi, c0, cnt);
      addQ32(pi + 16, c1, cnt - 4);
      addQ32(pi + 32, c2, cnt - 8);
      addQ32(pi + 48, c3, cnt - 12);
    }
  }
}

/**
 * LIF backward. With F_F32 (the host found float32 cut-offs for θ and p) the rectangular,
 * hard-spike case runs in float32x4; everything else in float64 like the reference.
 */
export function lifBackward(
  BN: i32,
  i0: i32,
  i1: i32,
  T: i32,
  mem: usize,
  gradOut: usize,
  gradInput: usize,
  flags: i32,
  decay: f64,
  th: f64,
  kind: i32,
  p: f64,
  cut32: f32,
  lo32: f32,
  hi32: f32,
): void {
  const tv = (flags & F_TV) != 0;
  const rate = (flags & F_RATE) != 0;
  const smooth = (flags & F_SMOOTH) != 0;
  const reset = (flags & F_DETACH) != 0 ? 0 : decay;
  const rep = repeatOf(flags);
  if (tv && rep > 1)
    lifBackwardFrames(
      BN,
      i0,
      i1,
      T,
      rep,
      mem,
      gradOut,
      gradInput,
      flags,
      decay,
      reset,
      th,
      kind,
      p,
      cut32,
      lo32,
      hi32,
    );
  else if (smooth || kind != SURR_RECT)
    lifBwd(tv, rate, smooth, kind, BN, i0, i1, T, 1, mem, gradOut, gradInput, decay, reset, th, p);
  else if ((flags & F_F32) != 0) {
    const d = <f32>decay;
    const r = <f32>reset;
    if (!tv && rate)
      lifBwd32(false, true, BN, i0, i1, T, 1, mem, gradOut, gradInput, d, r, cut32, lo32, hi32);
    else if (tv && rate)
      lifBwd32(true, true, BN, i0, i1, T, 1, mem, gradOut, gradInput, d, r, cut32, lo32, hi32);
    else if (!tv && !rate)
      lifBwd32(false, false, BN, i0, i1, T, 1, mem, gradOut, gradInput, d, r, cut32, lo32, hi32);
    else lifBwd32(true, false, BN, i0, i1, T, 1, mem, gradOut, gradInput, d, r, cut32, lo32, hi32);
  } else lifBwd(tv, rate, false, SURR_RECT, BN, i0, i1, T, 1, mem, gradOut, gradInput, decay, reset, th, p);
}

/** lifBackward for frames of rep > 1 steps (kept apart as lifForwardFrames). */
function lifBackwardFrames(
  BN: i32,
  i0: i32,
  i1: i32,
  T: i32,
  rep: i32,
  mem: usize,
  gradOut: usize,
  gradInput: usize,
  flags: i32,
  decay: f64,
  reset: f64,
  th: f64,
  kind: i32,
  p: f64,
  cut32: f32,
  lo32: f32,
  hi32: f32,
): void {
  const rate = (flags & F_RATE) != 0;
  const smooth = (flags & F_SMOOTH) != 0;
  if (smooth || kind != SURR_RECT)
    lifBwd(true, rate, smooth, kind, BN, i0, i1, T, rep, mem, gradOut, gradInput, decay, reset, th, p);
  else if ((flags & F_F32) != 0) {
    const d = <f32>decay;
    const r = <f32>reset;
    if (rate) lifBwd32(true, true, BN, i0, i1, T, rep, mem, gradOut, gradInput, d, r, cut32, lo32, hi32);
    else lifBwd32(true, false, BN, i0, i1, T, rep, mem, gradOut, gradInput, d, r, cut32, lo32, hi32);
  } else
    lifBwd(true, rate, false, SURR_RECT, BN, i0, i1, T, rep, mem, gradOut, gradInput, decay, reset, th, p);
}

// ---------------------------------------------------------------------------------------------
// Learning HH. The gates depend only on the per-neuron rates, so (as in the reference) they are
// one trajectory per neuron, tabulated once per call: v[t] = A[t]·v[t−1] + k·I[t] + c[t]. Tables
// are float64 [T][Np] with Np = N rounded up to 8 (padding lanes hold zeros), so a group of 8
// neurons reads whole vectors; 8 neurons of one sample per group.

// Scratch (from the host): seven float64 tables [T][Np], in this order: n, m, h, A, c, ΣdL/dA,
// ΣdL/dc, then three float32 tables [T][Np] for the float32 backward: A and partial ΣdL/dA,
// ΣdL/dc (T·Np·68 bytes in all).

/**
 * The per-neuron tables of neurons [j0, j1) (j1 = N also fills the padding up to Np with zeros):
 * A and c (float64 [T][Np] at tA, tC), and when asked the gates n, m, h (three float64 tables from
 * tGates) and A as float32 (tA32); 0 leaves those out. The only place the gate recursion is
 * written; the closed-form kernels (lhh-affine.ts) build on its A and c.
 */
export function lhhTables(
  N: i32,
  Np: i32,
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
  tA: usize,
  tC: usize,
  tGates: usize,
  tA32: usize,
  j0: i32,
  j1: i32,
): void {
  const tabBytes = <usize>T * <usize>Np * 8;
  const gates = tGates != 0;
  const a32 = tA32 != 0;
  const tn = tGates;
  const tm = tGates + tabBytes;
  const th = tGates + 2 * tabBytes;
  const rowBytes = (<usize>Np) << 3;
  const nb = (<usize>N) << 2;
  const end = j1 >= N ? Np : j1;
  for (let j = j0; j < end; j++) {
    let q = (<usize>j) << 3;
    if (j >= N) {
      for (let t = 0; t < T; t++) {
        if (a32) store<f32>(tA32 + (q >> 1), 0);
        store<f64>(tA + q, 0);
        store<f64>(tC + q, 0);
        if (gates) {
          store<f64>(tn + q, 0);
          store<f64>(tm + q, 0);
          store<f64>(th + q, 0);
        }
        q += rowBytes;
      }
      continue;
    }
    const d = <f64>load<f32>(dt + ((<usize>j) << 2));
    const pr = rates + ((<usize>j) << 2);
    const an = <f64>load<f32>(pr);
    const bn = <f64>load<f32>(pr + nb);
    const am = <f64>load<f32>(pr + 2 * nb);
    const bm = <f64>load<f32>(pr + 3 * nb);
    const ah = <f64>load<f32>(pr + 4 * nb);
    const bh = <f64>load<f32>(pr + 5 * nb);
    const k = d / C;
    let n: f64 = 0;
    let m: f64 = 0;
    let h: f64 = 0;
    for (let t = 0; t < T; t++) {
      if (gates) {
        store<f64>(tn + q, n);
        store<f64>(tm + q, m);
        store<f64>(th + q, h);
      }
      const gna = gNa * m * m * m * h;
      const n2 = n * n;
      const gk = gK * n2 * n2;
      const A = 1 - k * (gna + gk + gL);
      store<f64>(tA + q, A);
      if (a32) store<f32>(tA32 + (q >> 1), <f32>A);
      store<f64>(tC + q, k * (gna * ENa + gk * EK + gL * EL));
      const n1 = n + d * (an * (1 - n) - bn * n);
      const m1 = m + d * (am * (1 - m) - bm * m);
      const h1 = h + d * (ah * (1 - h) - bh * h);
      n = n1;
      m = m1;
      h = h1;
      q += rowBytes;
    }
  }
}

// @ts-ignore: decorator
@inline
function lhhFwd(
  tv: bool,
  rate: bool,
  save: bool,
  smooth: bool,
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  Np: i32,
  T: i32,
  rep: i32,
  input: usize,
  out: usize,
  saved: usize,
  dt: usize,
  tA: usize,
  tC: usize,
  invC: f64,
  th: f64,
  cut: f64,
  kind: i32,
  p: f64,
): void {
  const CUT = f64x2.splat(cut);
  const TH = f64x2.splat(th);
  const Z = f64x2.splat(0);
  const IC = f64x2.splat(invC);
  const INVT = f64x2.splat(1 / <f64>T);
  const row = (<usize>B * <usize>N) << 2;
  const tabRow = (<usize>Np) << 3;
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < N; j += 8) {
      const cnt = imin(8, N - j);
      const off = (<usize>b * <usize>N + <usize>j) << 2;
      const da = v128.load(dt + ((<usize>j) << 2));
      const db = v128.load(dt + ((<usize>j) << 2), 16);
      const k0 = f64x2.mul(lo(da), IC);
      const k1 = f64x2.mul(hi(da), IC);
      const k2 = f64x2.mul(lo(db), IC);
      const k3 = f64x2.mul(hi(db), IC);
      let x0 = Z,
        x1 = Z,
        x2 = Z,
        x3 = Z;
      let pin = input + off;
      let left = 0; // steps left in the current input frame
      if (!tv) {
        const qa = v128.load(pin);
        const qb = v128.load(pin, 16);
        x0 = f64x2.mul(k0, lo(qa));
        x1 = f64x2.mul(k1, hi(qa));
        x2 = f64x2.mul(k2, lo(qb));
        x3 = f64x2.mul(k3, hi(qb));
      }
      let v0 = Z,
        v1 = Z,
        v2 = Z,
        v3 = Z;
      let a0 = Z,
        a1 = Z,
        a2 = Z,
        a3 = Z;
      let ps = saved + off;
      let po = out + off;
      let q = (<usize>j) << 3;
      for (let t = 0; t < T; t++) {
        if (tv && (rep == 1 || left-- == 0)) {
          const qa = v128.load(pin);
          const qb = v128.load(pin, 16);
          x0 = f64x2.mul(k0, lo(qa));
          x1 = f64x2.mul(k1, hi(qa));
          x2 = f64x2.mul(k2, lo(qb));
          x3 = f64x2.mul(k3, hi(qb));
          pin += row;
          left = rep - 1;
        }
        const pA = tA + q;
        const pC = tC + q;
        v0 = f64x2.add(f64x2.add(f64x2.mul(v128.load(pA), v0), x0), v128.load(pC));
        v1 = f64x2.add(f64x2.add(f64x2.mul(v128.load(pA, 16), v1), x1), v128.load(pC, 16));
        v2 = f64x2.add(f64x2.add(f64x2.mul(v128.load(pA, 32), v2), x2), v128.load(pC, 32));
        v3 = f64x2.add(f64x2.add(f64x2.mul(v128.load(pA, 48), v3), x3), v128.load(pC, 48));
        q += tabRow;
        if (save) {
          storeQ(ps, pack(v0, v1), cnt);
          storeQ(ps + 16, pack(v2, v3), cnt - 4);
          ps += row;
        }
        const s0 = fire(smooth, kind, p, v0, CUT, TH);
        const s1 = fire(smooth, kind, p, v1, CUT, TH);
        const s2 = fire(smooth, kind, p, v2, CUT, TH);
        const s3 = fire(smooth, kind, p, v3, CUT, TH);
        if (rate) {
          a0 = tally(smooth, a0, s0);
          a1 = tally(smooth, a1, s1);
          a2 = tally(smooth, a2, s2);
          a3 = tally(smooth, a3, s3);
        } else {
          storeQ(po, pack(spikeValue(smooth, s0), spikeValue(smooth, s1)), cnt);
          storeQ(po + 16, pack(spikeValue(smooth, s2), spikeValue(smooth, s3)), cnt - 4);
          po += row;
        }
      }
      if (rate) {
        storeQ(out + off, pack(rateOf(smooth, a0, INVT), rateOf(smooth, a1, INVT)), cnt);
        storeQ(out + off + 16, pack(rateOf(smooth, a2, INVT), rateOf(smooth, a3, INVT)), cnt - 4);
      }
    }
  }
}

export function learningHhForward(
  B: i32,
  N: i32,
  T: i32,
  input: usize,
  out: usize,
  saved: usize,
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
  cut: f64,
  kind: i32,
  p: f64,
  b0: i32,
  b1: i32,
  phase: i32,
): void {
  const Np = (N + 7) & ~7;
  const tabBytes = <usize>T * <usize>Np * 8;
  const tA = scratch + 3 * tabBytes;
  const tC = scratch + 4 * tabBytes;
  if ((phase & PHASE_PREPARE) != 0)
    lhhTables(N, Np, T, dt, rates, C, gNa, gK, gL, ENa, EK, EL, tA, tC, 0, 0, 0, N);
  if ((phase & PHASE_ROWS) == 0) return;
  const invC = 1 / C;
  const tv = (flags & F_TV) != 0;
  const rate = (flags & F_RATE) != 0;
  const save = (flags & F_SAVE) != 0;
  const rep = repeatOf(flags);
  if (tv && rep > 1)
    lhhForwardFrames(B, b0, b1, N, Np, T, rep, input, out, saved, dt, tA, tC, invC, flags, th, cut, kind, p);
  else if ((flags & F_SMOOTH) != 0)
    lhhFwd(
      tv,
      rate,
      save,
      true,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
  else if (!tv && rate && save)
    lhhFwd(
      false,
      true,
      true,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
  else if (tv && rate && save)
    lhhFwd(
      true,
      true,
      true,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
  else if (!tv && !rate && save)
    lhhFwd(
      false,
      false,
      true,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
  else if (tv && !rate && save)
    lhhFwd(
      true,
      false,
      true,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
  else
    lhhFwd(
      tv,
      rate,
      false,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
}

/** learningHhForward for frames of rep > 1 steps (kept apart as lifForwardFrames). */
function lhhForwardFrames(
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  Np: i32,
  T: i32,
  rep: i32,
  input: usize,
  out: usize,
  saved: usize,
  dt: usize,
  tA: usize,
  tC: usize,
  invC: f64,
  flags: i32,
  th: f64,
  cut: f64,
  kind: i32,
  p: f64,
): void {
  const rate = (flags & F_RATE) != 0;
  const save = (flags & F_SAVE) != 0;
  if ((flags & F_SMOOTH) != 0)
    lhhFwd(
      true,
      rate,
      save,
      true,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      rep,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
  else if (rate && save)
    lhhFwd(
      true,
      true,
      true,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      rep,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
  else if (save)
    lhhFwd(
      true,
      false,
      true,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      rep,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
  else
    lhhFwd(
      true,
      rate,
      false,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      rep,
      input,
      out,
      saved,
      dt,
      tA,
      tC,
      invC,
      th,
      cut,
      kind,
      p,
    );
}

// @ts-ignore: decorator
@inline
function lhhBwd(
  tv: bool,
  rate: bool,
  kind: i32,
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  Np: i32,
  T: i32,
  rep: i32,
  saved: usize,
  gradOut: usize,
  gradInput: usize,
  dt: usize,
  tA: usize,
  sumA: usize,
  sumC: usize,
  gin: bool,
  sums: bool,
  detach: bool,
  invC: f64,
  th: f64,
  p: f64,
): void {
  const TH = f64x2.splat(th);
  const Z = f64x2.splat(0);
  const P = f64x2.splat(p);
  const NP = f64x2.splat(-p);
  const H = f64x2.splat(p / 2);
  const CA = f64x2.splat((Math.PI * p) / 2);
  const IC = f64x2.splat(invC);
  const INVT = f64x2.splat(1 / <f64>T);
  const row = (<usize>B * <usize>N) << 2;
  const lastFrame = <usize>(T / rep - 1) * row; // offset of the last input frame
  const tabRow = (<usize>Np) << 3;
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < N; j += 8) {
      const cnt = imin(8, N - j);
      const off = (<usize>b * <usize>N + <usize>j) << 2;
      const da = v128.load(dt + ((<usize>j) << 2));
      const db = v128.load(dt + ((<usize>j) << 2), 16);
      const k0 = f64x2.mul(lo(da), IC);
      const k1 = f64x2.mul(hi(da), IC);
      const k2 = f64x2.mul(lo(db), IC);
      const k3 = f64x2.mul(hi(db), IC);
      let g0 = Z,
        g1 = Z,
        g2 = Z,
        g3 = Z;
      if (rate) {
        const qa = v128.load(gradOut + off);
        const qb = v128.load(gradOut + off, 16);
        g0 = f64x2.mul(lo(qa), INVT);
        g1 = f64x2.mul(hi(qa), INVT);
        g2 = f64x2.mul(lo(qb), INVT);
        g3 = f64x2.mul(hi(qb), INVT);
      }
      let c0 = Z,
        c1 = Z,
        c2 = Z,
        c3 = Z; // dL/dv[t] from step t + 1
      let a0 = Z,
        a1 = Z,
        a2 = Z,
        a3 = Z; // input-gradient sums over the frame (static input: all steps)
      let o = off + <usize>(T - 1) * row;
      let q = ((<usize>j) << 3) + <usize>(T - 1) * tabRow;
      let pgi = gradInput + off + lastFrame;
      let left = rep;
      let va = v128.load(saved + o);
      let vb = v128.load(saved + o, 16);
      for (let t = T - 1; t >= 0; t--) {
        const v0 = lo(va);
        const v1 = hi(va);
        const v2 = lo(vb);
        const v3 = hi(vb);
        // v[t − 1] (0 before the first step), needed for ΣdA and by the next iteration.
        let pa = Z;
        let pb = Z;
        if (t > 0) {
          pa = v128.load(saved + o - row);
          pb = v128.load(saved + o - row, 16);
        }
        if (!rate) {
          const qa = v128.load(gradOut + o);
          const qb = v128.load(gradOut + o, 16);
          g0 = lo(qa);
          g1 = hi(qa);
          g2 = lo(qb);
          g3 = hi(qb);
        }
        const d0 = f64x2.add(gradThrough(kind, f64x2.sub(v0, TH), g0, P, NP, H, CA), c0);
        const d1 = f64x2.add(gradThrough(kind, f64x2.sub(v1, TH), g1, P, NP, H, CA), c1);
        const d2 = f64x2.add(gradThrough(kind, f64x2.sub(v2, TH), g2, P, NP, H, CA), c2);
        const d3 = f64x2.add(gradThrough(kind, f64x2.sub(v3, TH), g3, P, NP, H, CA), c3);
        if (tv && rep == 1) {
          if (gin) {
            addQ(gradInput + o, f64x2.mul(k0, d0), f64x2.mul(k1, d1), cnt);
            addQ(gradInput + o + 16, f64x2.mul(k2, d2), f64x2.mul(k3, d3), cnt - 4);
          }
        } else {
          a0 = f64x2.add(a0, d0);
          a1 = f64x2.add(a1, d1);
          a2 = f64x2.add(a2, d2);
          a3 = f64x2.add(a3, d3);
          if (tv && rep != 1 && --left == 0) {
            if (gin) {
              addQ(pgi, f64x2.mul(k0, a0), f64x2.mul(k1, a1), cnt);
              addQ(pgi + 16, f64x2.mul(k2, a2), f64x2.mul(k3, a3), cnt - 4);
            }
            a0 = Z;
            a1 = Z;
            a2 = Z;
            a3 = Z;
            pgi -= row;
            left = rep;
          }
        }
        if (sums) {
          const sa = sumA + q;
          const sc = sumC + q;
          v128.store(sa, f64x2.add(v128.load(sa), f64x2.mul(d0, lo(pa))));
          v128.store(sa, f64x2.add(v128.load(sa, 16), f64x2.mul(d1, hi(pa))), 16);
          v128.store(sa, f64x2.add(v128.load(sa, 32), f64x2.mul(d2, lo(pb))), 32);
          v128.store(sa, f64x2.add(v128.load(sa, 48), f64x2.mul(d3, hi(pb))), 48);
          v128.store(sc, f64x2.add(v128.load(sc), d0));
          v128.store(sc, f64x2.add(v128.load(sc, 16), d1), 16);
          v128.store(sc, f64x2.add(v128.load(sc, 32), d2), 32);
          v128.store(sc, f64x2.add(v128.load(sc, 48), d3), 48);
        }
        if (detach) {
          c0 = d0;
          c1 = d1;
          c2 = d2;
          c3 = d3;
        } else {
          const pA = tA + q;
          c0 = f64x2.mul(v128.load(pA), d0);
          c1 = f64x2.mul(v128.load(pA, 16), d1);
          c2 = f64x2.mul(v128.load(pA, 32), d2);
          c3 = f64x2.mul(v128.load(pA, 48), d3);
        }
        va = pa;
        vb = pb;
        o -= row;
        q -= tabRow;
      }
      if (!tv && gin) {
        addQ(gradInput + off, f64x2.mul(k0, a0), f64x2.mul(k1, a1), cnt);
        addQ(gradInput + off + 16, f64x2.mul(k2, a2), f64x2.mul(k3, a3), cnt - 4);
      }
    }
  }
}

/** dLoss/dRates from the batch sums of dL/dA[t], dL/dc[t] (the reference's loop, per neuron). */
function lhhRateGrads(
  N: i32,
  Np: i32,
  T: i32,
  dt: usize,
  rates: usize,
  gradRates: usize,
  tab: usize,
  invC: f64,
  gNa: f64,
  gK: f64,
  ENa: f64,
  EK: f64,
): void {
  const tabBytes = <usize>T * <usize>Np * 8;
  const gn = tab;
  const gm = tab + tabBytes;
  const gh = tab + 2 * tabBytes;
  const sumA = tab + 5 * tabBytes;
  const sumC = tab + 6 * tabBytes;
  const nb = (<usize>N) << 2;
  const rowBytes = (<usize>Np) << 3;
  for (let j = 0; j < N; j++) {
    const d = <f64>load<f32>(dt + ((<usize>j) << 2));
    const k = d * invC;
    const pr = rates + ((<usize>j) << 2);
    const an = <f64>load<f32>(pr);
    const bn = <f64>load<f32>(pr + nb);
    const am = <f64>load<f32>(pr + 2 * nb);
    const bm = <f64>load<f32>(pr + 3 * nb);
    const ah = <f64>load<f32>(pr + 4 * nb);
    const bh = <f64>load<f32>(pr + 5 * nb);
    const keepN = 1 - d * (an + bn);
    const keepM = 1 - d * (am + bm);
    const keepH = 1 - d * (ah + bh);
    let dn: f64 = 0;
    let dm: f64 = 0;
    let dh: f64 = 0;
    let gan: f64 = 0;
    let gbn: f64 = 0;
    let gam: f64 = 0;
    let gbm: f64 = 0;
    let gah: f64 = 0;
    let gbh: f64 = 0;
    for (let t = T - 2; t >= 0; t--) {
      const q0 = <usize>t * rowBytes + ((<usize>j) << 3);
      const q1 = q0 + rowBytes;
      const n = load<f64>(gn + q1);
      const m = load<f64>(gm + q1);
      const h = load<f64>(gh + q1);
      const sc = load<f64>(sumC + q1);
      const sa = load<f64>(sumA + q1);
      const dgna = k * (ENa * sc - sa);
      const dgk = k * (EK * sc - sa);
      dn = dgk * gK * 4 * n * n * n + dn * keepN;
      dm = dgna * gNa * 3 * m * m * h + dm * keepM;
      dh = dgna * gNa * m * m * m + dh * keepH;
      const np = load<f64>(gn + q0);
      const mp = load<f64>(gm + q0);
      const hp = load<f64>(gh + q0);
      gan += dn * d * (1 - np);
      gbn -= dn * d * np;
      gam += dm * d * (1 - mp);
      gbm -= dm * d * mp;
      gah += dh * d * (1 - hp);
      gbh -= dh * d * hp;
    }
    const pg = gradRates + ((<usize>j) << 2);
    store<f32>(pg, <f32>(<f64>load<f32>(pg) + gan));
    store<f32>(pg + nb, <f32>(<f64>load<f32>(pg + nb) + gbn));
    store<f32>(pg + 2 * nb, <f32>(<f64>load<f32>(pg + 2 * nb) + gam));
    store<f32>(pg + 3 * nb, <f32>(<f64>load<f32>(pg + 3 * nb) + gbm));
    store<f32>(pg + 4 * nb, <f32>(<f64>load<f32>(pg + 4 * nb) + gah));
    store<f32>(pg + 5 * nb, <f32>(<f64>load<f32>(pg + 5 * nb) + gbh));
  }
}

/** float64 table at p += float32 table at p32 (count values, a multiple of 4), which is zeroed. */
function flushSums(p: usize, p32: usize, count: i32): void {
  const z = f32x4.splat(0);
  for (let i = 0; i < count; i += 4) {
    const q = v128.load(p32);
    v128.store(p, f64x2.add(v128.load(p), lo(q)));
    v128.store(p, f64x2.add(v128.load(p, 16), hi(q)), 16);
    v128.store(p32, z);
    p += 32;
    p32 += 16;
  }
}

/** Batch rows summed in float32 before the partial sums go into the float64 totals. */
export const SUM_BLOCK: i32 = 16;

/**
 * Learning HH backward in float32x4 (rectangular surrogate; cut-offs as in lifBack32): 8 neurons
 * of one sample per group, rows [b0, b1). ΣdL/dA, ΣdL/dc are summed in float32 into the tables of
 * the row's block of SUM_BLOCK samples (block k: sumA32/sumC32 + k·T·Np·8 bytes), which lhhFinish
 * adds into the float64 totals in block order: the result does not depend on how rows were split
 * between threads.
 */
// @ts-ignore: decorator
@inline
function lhhBwd32(
  tv: bool,
  rate: bool,
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  Np: i32,
  T: i32,
  rep: i32,
  saved: usize,
  gradOut: usize,
  gradInput: usize,
  dt: usize,
  tA32: usize,
  sumA32: usize,
  sumC32: usize,
  gin: bool,
  sums: bool,
  detach: bool,
  invC: f64,
  lo32: f32,
  hi32: f32,
): void {
  const LO = f32x4.splat(lo32);
  const HI = f32x4.splat(hi32);
  const Z = f32x4.splat(0);
  const IC = f64x2.splat(invC);
  const INVT = f64x2.splat(1 / <f64>T);
  const row = (<usize>B * <usize>N) << 2;
  const lastFrame = <usize>(T / rep - 1) * row; // offset of the last input frame
  const tabRow = (<usize>Np) << 2;
  const blockBytes = <usize>T * <usize>Np * 8; // one block's pair of float32 tables
  for (let b = b0; b < b1; b++) {
    const blockA = sumA32 + <usize>(b / SUM_BLOCK) * blockBytes;
    const blockC = sumC32 + <usize>(b / SUM_BLOCK) * blockBytes;
    for (let j = 0; j < N; j += 8) {
      const cnt = imin(8, N - j);
      const off = (<usize>b * <usize>N + <usize>j) << 2;
      const pd = dt + ((<usize>j) << 2);
      const k0 = pack(f64x2.mul(lo(v128.load(pd)), IC), f64x2.mul(hi(v128.load(pd)), IC));
      const k1 = pack(f64x2.mul(lo(v128.load(pd, 16)), IC), f64x2.mul(hi(v128.load(pd, 16)), IC));
      let g0 = Z,
        g1 = Z;
      if (rate) {
        const pg = gradOut + off;
        g0 = pack(f64x2.mul(lo(v128.load(pg)), INVT), f64x2.mul(hi(v128.load(pg)), INVT));
        g1 = pack(f64x2.mul(lo(v128.load(pg, 16)), INVT), f64x2.mul(hi(v128.load(pg, 16)), INVT));
      }
      let c0 = Z,
        c1 = Z; // dL/dv[t] from step t + 1
      let a0 = Z,
        a1 = Z; // input-gradient sums over the frame (static input: all steps)
      let o = off + <usize>(T - 1) * row;
      let q = ((<usize>j) << 2) + <usize>(T - 1) * tabRow;
      let pgi = gradInput + off + lastFrame;
      let left = rep;
      let v0 = v128.load(saved + o);
      let v1 = v128.load(saved + o, 16);
      for (let t = T - 1; t >= 0; t--) {
        let p0 = Z;
        let p1 = Z;
        if (t > 0) {
          p0 = v128.load(saved + o - row);
          p1 = v128.load(saved + o - row, 16);
        }
        if (!rate) {
          g0 = v128.load(gradOut + o);
          g1 = v128.load(gradOut + o, 16);
        }
        const d0 = f32x4.add(v128.and(g0, v128.and(f32x4.gt(v0, LO), f32x4.le(v0, HI))), c0);
        const d1 = f32x4.add(v128.and(g1, v128.and(f32x4.gt(v1, LO), f32x4.le(v1, HI))), c1);
        if (tv && rep == 1) {
          if (gin) {
            addQ32(gradInput + o, f32x4.mul(k0, d0), cnt);
            addQ32(gradInput + o + 16, f32x4.mul(k1, d1), cnt - 4);
          }
        } else {
          a0 = f32x4.add(a0, d0);
          a1 = f32x4.add(a1, d1);
          if (tv && rep != 1 && --left == 0) {
            if (gin) {
              addQ32(pgi, f32x4.mul(k0, a0), cnt);
              addQ32(pgi + 16, f32x4.mul(k1, a1), cnt - 4);
            }
            a0 = Z;
            a1 = Z;
            pgi -= row;
            left = rep;
          }
        }
        if (sums) {
          const sa = blockA + q;
          const sc = blockC + q;
          v128.store(sa, f32x4.add(v128.load(sa), f32x4.mul(d0, p0)));
          v128.store(sa, f32x4.add(v128.load(sa, 16), f32x4.mul(d1, p1)), 16);
          v128.store(sc, f32x4.add(v128.load(sc), d0));
          v128.store(sc, f32x4.add(v128.load(sc, 16), d1), 16);
        }
        if (detach) {
          c0 = d0;
          c1 = d1;
        } else {
          c0 = f32x4.mul(v128.load(tA32 + q), d0);
          c1 = f32x4.mul(v128.load(tA32 + q, 16), d1);
        }
        v0 = p0;
        v1 = p1;
        o -= row;
        q -= tabRow;
      }
      if (!tv && gin) {
        addQ32(gradInput + off, f32x4.mul(k0, a0), cnt);
        addQ32(gradInput + off + 16, f32x4.mul(k1, a1), cnt - 4);
      }
    }
  }
}

/**
 * Learning HH backward. With F_F32 (valid float32 cut-offs) the rectangular case runs in
 * float32x4; the other surrogates in float64 like the reference. (The smooth flag does not
 * matter here: learning HH has no reset, so backward sees spikes only through the surrogate
 * derivative.)
 */
export function learningHhBackward(
  B: i32,
  N: i32,
  T: i32,
  saved: usize,
  gradOut: usize,
  gradInput: usize,
  gradRates: usize,
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
  kind: i32,
  p: f64,
  lo32: f32,
  hi32: f32,
  b0: i32,
  b1: i32,
  phase: i32,
): void {
  const detach = (flags & F_DETACH) != 0;
  const gin = (flags & F_GIN) != 0;
  const sums = !detach && (flags & F_GPARAM) != 0;
  if (!gin && !sums) return;
  const f32path = kind == SURR_RECT && (flags & F_F32) != 0;
  const Np = (N + 7) & ~7;
  const tabBytes = <usize>T * <usize>Np * 8;
  const tA = scratch + 3 * tabBytes;
  const sumA = scratch + 5 * tabBytes;
  const sumC = scratch + 6 * tabBytes;
  const tA32 = scratch + 7 * tabBytes;
  // float32 partial sums, one pair of tables [T][Np] per block of SUM_BLOCK rows (lhhBwd32).
  const blocks = tA32 + (tabBytes >> 1);
  const blockCount = (B + SUM_BLOCK - 1) / SUM_BLOCK;
  if ((phase & PHASE_PREPARE) != 0) {
    if (!detach) {
      const tC = scratch + 4 * tabBytes;
      lhhTables(
        N,
        Np,
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
        tA,
        tC,
        sums ? scratch : 0,
        f32path ? tA32 : 0,
        0,
        N,
      );
    }
    if (sums) {
      memory.fill(sumA, 0, 2 * tabBytes);
      if (f32path) memory.fill(blocks, 0, <usize>blockCount * tabBytes);
    }
  }
  const invC = 1 / C;
  if ((phase & PHASE_FINISH) != 0 && (phase & PHASE_ROWS) == 0) {
    lhhFinish(
      N,
      Np,
      T,
      dt,
      rates,
      gradRates,
      scratch,
      blocks,
      blockCount,
      sums,
      f32path,
      invC,
      gNa,
      gK,
      ENa,
      EK,
    );
    return;
  }
  if ((phase & PHASE_ROWS) == 0) return;
  const sumA32 = blocks;
  const sumC32 = blocks + (tabBytes >> 1);
  const tv = (flags & F_TV) != 0;
  const rate = (flags & F_RATE) != 0;
  const rep = repeatOf(flags);
  if (tv && rep > 1)
    lhhBackwardFrames(
      B,
      b0,
      b1,
      N,
      Np,
      T,
      rep,
      saved,
      gradOut,
      gradInput,
      dt,
      tA,
      tA32,
      scratch,
      flags,
      f32path,
      gin,
      sums,
      detach,
      invC,
      th,
      kind,
      p,
      lo32,
      hi32,
    );
  else if (!f32path)
    lhhBwd(
      tv,
      rate,
      kind,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      saved,
      gradOut,
      gradInput,
      dt,
      tA,
      sumA,
      sumC,
      gin,
      sums,
      detach,
      invC,
      th,
      p,
    );
  else if (!tv && rate)
    lhhBwd32(
      false,
      true,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      saved,
      gradOut,
      gradInput,
      dt,
      tA32,
      sumA32,
      sumC32,
      gin,
      sums,
      detach,
      invC,
      lo32,
      hi32,
    );
  else if (tv && rate)
    lhhBwd32(
      true,
      true,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      saved,
      gradOut,
      gradInput,
      dt,
      tA32,
      sumA32,
      sumC32,
      gin,
      sums,
      detach,
      invC,
      lo32,
      hi32,
    );
  else if (!tv && !rate)
    lhhBwd32(
      false,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      saved,
      gradOut,
      gradInput,
      dt,
      tA32,
      sumA32,
      sumC32,
      gin,
      sums,
      detach,
      invC,
      lo32,
      hi32,
    );
  else
    lhhBwd32(
      true,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      1,
      saved,
      gradOut,
      gradInput,
      dt,
      tA32,
      sumA32,
      sumC32,
      gin,
      sums,
      detach,
      invC,
      lo32,
      hi32,
    );
  if ((phase & PHASE_FINISH) != 0)
    lhhFinish(
      N,
      Np,
      T,
      dt,
      rates,
      gradRates,
      scratch,
      blocks,
      blockCount,
      sums,
      f32path,
      invC,
      gNa,
      gK,
      ENa,
      EK,
    );
}

/** Adds the blocks' float32 partial sums into the float64 totals in row order, then the rate gradients. */
function lhhFinish(
  N: i32,
  Np: i32,
  T: i32,
  dt: usize,
  rates: usize,
  gradRates: usize,
  scratch: usize,
  blocks: usize,
  blockCount: i32,
  sums: bool,
  f32path: bool,
  invC: f64,
  gNa: f64,
  gK: f64,
  ENa: f64,
  EK: f64,
): void {
  if (!sums) return;
  const tabBytes = <usize>T * <usize>Np * 8;
  if (f32path) {
    const sumA = scratch + 5 * tabBytes;
    const sumC = scratch + 6 * tabBytes;
    for (let k = 0; k < blockCount; k++) {
      const blk = blocks + <usize>k * tabBytes;
      flushSums(sumA, blk, T * Np);
      flushSums(sumC, blk + (tabBytes >> 1), T * Np);
    }
  }
  lhhRateGrads(N, Np, T, dt, rates, gradRates, scratch, invC, gNa, gK, ENa, EK);
}

/** learningHhBackward's gradient pass for frames of rep > 1 steps (kept apart as lifBackwardFrames). */
function lhhBackwardFrames(
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  Np: i32,
  T: i32,
  rep: i32,
  saved: usize,
  gradOut: usize,
  gradInput: usize,
  dt: usize,
  tA: usize,
  tA32: usize,
  scratch: usize,
  flags: i32,
  f32path: bool,
  gin: bool,
  sums: bool,
  detach: bool,
  invC: f64,
  th: f64,
  kind: i32,
  p: f64,
  lo32: f32,
  hi32: f32,
): void {
  const rate = (flags & F_RATE) != 0;
  const tabBytes = <usize>T * <usize>Np * 8;
  const sumA = scratch + 5 * tabBytes;
  const sumC = scratch + 6 * tabBytes;
  const sumA32 = tA32 + (tabBytes >> 1);
  const sumC32 = tA32 + tabBytes;
  if (!f32path)
    lhhBwd(
      true,
      rate,
      kind,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      rep,
      saved,
      gradOut,
      gradInput,
      dt,
      tA,
      sumA,
      sumC,
      gin,
      sums,
      detach,
      invC,
      th,
      p,
    );
  else if (rate)
    lhhBwd32(
      true,
      true,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      rep,
      saved,
      gradOut,
      gradInput,
      dt,
      tA32,
      sumA32,
      sumC32,
      gin,
      sums,
      detach,
      invC,
      lo32,
      hi32,
    );
  else
    lhhBwd32(
      true,
      false,
      B,
      b0,
      b1,
      N,
      Np,
      T,
      rep,
      saved,
      gradOut,
      gradInput,
      dt,
      tA32,
      sumA32,
      sumC32,
      gin,
      sums,
      detach,
      invC,
      lo32,
      hi32,
    );
}

// ---------------------------------------------------------------------------------------------
// s-LIF2HH: per unit three input LIFs and a fourth driven by Σk |w_k|·mem_k[t]; 2 units of one
// sample per group (four f64x2 chains, the fourth fed by the other three).

// @ts-ignore: decorator
@inline
function slFwd(
  rate: bool,
  save: bool,
  smooth: bool,
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  T: i32,
  rep: i32,
  input: usize,
  out: usize,
  mem: usize,
  weights: usize,
  inStep: usize,
  decay: f64,
  th: f64,
  cut: f64,
  kind: i32,
  p: f64,
): void {
  const D = f64x2.splat(decay);
  const CUT = f64x2.splat(cut);
  const TH = f64x2.splat(th);
  const Z = f64x2.splat(0);
  const INVT = f64x2.splat(1 / <f64>T);
  const blk = (<usize>N) << 2; // one block of N floats
  const outStep = <usize>B * 4 * blk;
  const memStep = (<usize>B * <usize>N) << 4;
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < N; j += 2) {
      const cnt = imin(2, N - j);
      const pw = weights + <usize>j * 12;
      const w1 = absPair(pw, 12);
      const w2 = absPair(pw + 4, 12);
      const w3 = absPair(pw + 8, 12);
      let m1 = Z,
        m2 = Z,
        m3 = Z,
        m4 = Z;
      let s1 = Z,
        s2 = Z,
        s3 = Z,
        s4 = Z; // smooth mode: the previous step's spikes
      // Hard mode: previous spikes recomputed from m and counted at each step (as in lifFwd).
      let a1 = smooth ? Z : f64x2.gt(Z, CUT);
      let a2 = a1,
        a3 = a1,
        a4 = a1;
      let pin = input + <usize>b * 3 * blk + ((<usize>j) << 2);
      let left = rep; // steps left in the current input frame (inStep 0: a static input)
      const outBase = out + <usize>b * 4 * blk + ((<usize>j) << 2);
      let po = outBase;
      let pm = mem + ((<usize>b * <usize>N + <usize>j) << 4);
      for (let t = 0; t < T; t++) {
        if (!smooth) {
          s1 = f64x2.gt(m1, CUT);
          s2 = f64x2.gt(m2, CUT);
          s3 = f64x2.gt(m3, CUT);
          s4 = f64x2.gt(m4, CUT);
          if (rate) {
            a1 = tally(false, a1, s1);
            a2 = tally(false, a2, s2);
            a3 = tally(false, a3, s3);
            a4 = tally(false, a4, s4);
          }
        }
        m1 = charge(smooth, m1, s1, load2(pin), D);
        m2 = charge(smooth, m2, s2, load2(pin + blk), D);
        m3 = charge(smooth, m3, s3, load2(pin + 2 * blk), D);
        if (rep == 1) pin += inStep;
        else if (--left == 0) {
          pin += inStep;
          left = rep;
        }
        const drive = f64x2.add(f64x2.add(f64x2.mul(w1, m1), f64x2.mul(w2, m2)), f64x2.mul(w3, m3));
        m4 = charge(smooth, m4, s4, drive, D);
        if (save) {
          storeRows2(pm, m1, m2, m3, m4, cnt);
          pm += memStep;
        }
        if (smooth) {
          s1 = fire(true, kind, p, m1, CUT, TH);
          s2 = fire(true, kind, p, m2, CUT, TH);
          s3 = fire(true, kind, p, m3, CUT, TH);
          s4 = fire(true, kind, p, m4, CUT, TH);
          if (rate) {
            a1 = tally(true, a1, s1);
            a2 = tally(true, a2, s2);
            a3 = tally(true, a3, s3);
            a4 = tally(true, a4, s4);
          }
        }
        if (!rate) {
          if (smooth) {
            store2(po, s1, cnt);
            store2(po + blk, s2, cnt);
            store2(po + 2 * blk, s3, cnt);
            store2(po + 3 * blk, s4, cnt);
          } else {
            store2(po, spikeValue(false, f64x2.gt(m1, CUT)), cnt);
            store2(po + blk, spikeValue(false, f64x2.gt(m2, CUT)), cnt);
            store2(po + 2 * blk, spikeValue(false, f64x2.gt(m3, CUT)), cnt);
            store2(po + 3 * blk, spikeValue(false, f64x2.gt(m4, CUT)), cnt);
          }
          po += outStep;
        }
      }
      if (rate && !smooth) {
        a1 = tally(false, a1, f64x2.gt(m1, CUT));
        a2 = tally(false, a2, f64x2.gt(m2, CUT));
        a3 = tally(false, a3, f64x2.gt(m3, CUT));
        a4 = tally(false, a4, f64x2.gt(m4, CUT));
      }
      if (rate) {
        store2(outBase, rateOf(smooth, a1, INVT), cnt);
        store2(outBase + blk, rateOf(smooth, a2, INVT), cnt);
        store2(outBase + 2 * blk, rateOf(smooth, a3, INVT), cnt);
        store2(outBase + 3 * blk, rateOf(smooth, a4, INVT), cnt);
      }
    }
  }
}

export function slif2hhForward(
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  T: i32,
  input: usize,
  out: usize,
  mem: usize,
  weights: usize,
  flags: i32,
  decay: f64,
  th: f64,
  cut: f64,
  kind: i32,
  p: f64,
): void {
  const inStep: usize = (flags & F_TV) != 0 ? (<usize>B * 3 * <usize>N) << 2 : 0;
  const rate = (flags & F_RATE) != 0;
  const save = (flags & F_SAVE) != 0;
  const rep = repeatOf(flags);
  if (inStep != 0 && rep > 1)
    slForwardFrames(B, b0, b1, N, T, rep, input, out, mem, weights, inStep, flags, decay, th, cut, kind, p);
  else if ((flags & F_SMOOTH) != 0)
    slFwd(rate, save, true, B, b0, b1, N, T, 1, input, out, mem, weights, inStep, decay, th, cut, kind, p);
  else if (rate && save)
    slFwd(true, true, false, B, b0, b1, N, T, 1, input, out, mem, weights, inStep, decay, th, cut, kind, p);
  else if (!rate && save)
    slFwd(false, true, false, B, b0, b1, N, T, 1, input, out, mem, weights, inStep, decay, th, cut, kind, p);
  else
    slFwd(rate, false, false, B, b0, b1, N, T, 1, input, out, mem, weights, inStep, decay, th, cut, kind, p);
}

/** slif2hhForward for frames of rep > 1 steps (kept apart as lifForwardFrames). */
function slForwardFrames(
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  T: i32,
  rep: i32,
  input: usize,
  out: usize,
  mem: usize,
  weights: usize,
  inStep: usize,
  flags: i32,
  decay: f64,
  th: f64,
  cut: f64,
  kind: i32,
  p: f64,
): void {
  const rate = (flags & F_RATE) != 0;
  const save = (flags & F_SAVE) != 0;
  if ((flags & F_SMOOTH) != 0)
    slFwd(rate, save, true, B, b0, b1, N, T, rep, input, out, mem, weights, inStep, decay, th, cut, kind, p);
  else if (rate && save)
    slFwd(true, true, false, B, b0, b1, N, T, rep, input, out, mem, weights, inStep, decay, th, cut, kind, p);
  else if (save)
    slFwd(
      false,
      true,
      false,
      B,
      b0,
      b1,
      N,
      T,
      rep,
      input,
      out,
      mem,
      weights,
      inStep,
      decay,
      th,
      cut,
      kind,
      p,
    );
  else
    slFwd(
      rate,
      false,
      false,
      B,
      b0,
      b1,
      N,
      T,
      rep,
      input,
      out,
      mem,
      weights,
      inStep,
      decay,
      th,
      cut,
      kind,
      p,
    );
}

/** The reference's Math.sign(w)·g (sign(±0) = ±0). */
// @ts-ignore: decorator
@inline
function signTimes(w: f64, g: f64): f64 {
  return (w > 0 ? 1 : w < 0 ? -1 : w) * g;
}

/** float32 at p += sign(w at pw)·g. */
// @ts-ignore: decorator
@inline
function addSigned(p: usize, pw: usize, g: f64): void {
  store<f32>(p, <f32>(<f64>load<f32>(p) + signTimes(<f64>load<f32>(pw), g)));
}

/**
 * A row's weight-gradient term: added at p (float32) at once, or, for a call shared between
 * threads (defer), kept as float64 at d in the row's slot for slWeightFinish to add in row order.
 */
// @ts-ignore: decorator
@inline
function addWeightGrad(defer: bool, p: usize, d: usize, pw: usize, g: f64): void {
  if (defer) store<f64>(d, signTimes(<f64>load<f32>(pw), g));
  else addSigned(p, pw, g);
}

/** Adds the kept row terms [B][3N] (float64) into gradWeights in row order, as one thread would. */
function slWeightFinish(B: i32, N: i32, gradWeights: usize, wrows: usize): void {
  const n3 = 3 * N;
  for (let b = 0; b < B; b++) {
    const row = wrows + ((<usize>(b * n3)) << 3);
    for (let k = 0; k < n3; k++) {
      const pg = gradWeights + ((<usize>k) << 2);
      store<f32>(pg, <f32>(<f64>load<f32>(pg) + load<f64>(row + ((<usize>k) << 3))));
    }
  }
}

// @ts-ignore: decorator
@inline
function slBwd(
  tv: bool,
  rate: bool,
  smooth: bool,
  kind: i32,
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  T: i32,
  rep: i32,
  mem: usize,
  gradOut: usize,
  gradInput: usize,
  gradWeights: usize,
  wrows: usize,
  weights: usize,
  gin: bool,
  gw: bool,
  decay: f64,
  reset: f64,
  th: f64,
  p: f64,
): void {
  const D = f64x2.splat(decay);
  const R = f64x2.splat(reset);
  const TH = f64x2.splat(th);
  const Z = f64x2.splat(0);
  const P = f64x2.splat(p);
  const NP = f64x2.splat(-p);
  const H = f64x2.splat(p / 2);
  const CA = f64x2.splat((Math.PI * p) / 2);
  const INVT = f64x2.splat(1 / <f64>T);
  const blk = (<usize>N) << 2;
  const inStep = <usize>B * 3 * blk;
  const outStep = <usize>B * 4 * blk;
  const memStep = (<usize>B * <usize>N) << 4;
  const lastFrame = <usize>(T / rep - 1) * inStep; // offset of the last input frame
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < N; j += 2) {
      const cnt = imin(2, N - j);
      const pw = weights + <usize>j * 12;
      const w1 = absPair(pw, 12);
      const w2 = absPair(pw + 4, 12);
      const w3 = absPair(pw + 8, 12);
      let n1 = Z,
        n2 = Z,
        n3 = Z,
        n4 = Z; // dL/dmem_k[t+1]
      let c1 = Z,
        c2 = Z,
        c3 = Z; // input-gradient sums over the frame (static input: all steps)
      let gw1 = Z,
        gw2 = Z,
        gw3 = Z;
      const inBase = gradInput + <usize>b * 3 * blk + ((<usize>j) << 2);
      let pgi = inBase + lastFrame;
      let left = rep;
      const outBase = gradOut + <usize>b * 4 * blk + ((<usize>j) << 2);
      const memBase = mem + ((<usize>b * <usize>N + <usize>j) << 4);
      // dL/ds_k[t]: gradOut/T at every step for rates, else gradOut[t].
      let g1 = Z,
        g2 = Z,
        g3 = Z,
        g4 = Z;
      if (rate) {
        g1 = f64x2.mul(load2(outBase), INVT);
        g2 = f64x2.mul(load2(outBase + blk), INVT);
        g3 = f64x2.mul(load2(outBase + 2 * blk), INVT);
        g4 = f64x2.mul(load2(outBase + 3 * blk), INVT);
      }
      for (let t = T - 1; t >= 0; t--) {
        const pm = memBase + <usize>t * memStep;
        const r0 = v128.load(pm);
        const r1 = v128.load(pm, 16);
        const q12 = zipLo(r0, r1); // m1 of both units, m2 of both
        const q34 = zipHi(r0, r1);
        const m1 = lo(q12);
        const m2 = hi(q12);
        const m3 = lo(q34);
        const m4 = hi(q34);
        if (!rate) {
          const po = outBase + <usize>t * outStep;
          g1 = load2(po);
          g2 = load2(po + blk);
          g3 = load2(po + 2 * blk);
          g4 = load2(po + 3 * blk);
        }
        const d4 = lifBack(smooth, kind, p, m4, g4, n4, TH, R, D, P, NP, H, CA);
        gw1 = f64x2.add(gw1, f64x2.mul(d4, m1));
        gw2 = f64x2.add(gw2, f64x2.mul(d4, m2));
        gw3 = f64x2.add(gw3, f64x2.mul(d4, m3));
        const d1 = f64x2.add(lifBack(smooth, kind, p, m1, g1, n1, TH, R, D, P, NP, H, CA), f64x2.mul(w1, d4));
        const d2 = f64x2.add(lifBack(smooth, kind, p, m2, g2, n2, TH, R, D, P, NP, H, CA), f64x2.mul(w2, d4));
        const d3 = f64x2.add(lifBack(smooth, kind, p, m3, g3, n3, TH, R, D, P, NP, H, CA), f64x2.mul(w3, d4));
        if (tv && rep == 1) {
          if (gin) {
            const pi = inBase + <usize>t * inStep;
            add2(pi, d1, cnt);
            add2(pi + blk, d2, cnt);
            add2(pi + 2 * blk, d3, cnt);
          }
        } else {
          c1 = f64x2.add(c1, d1);
          c2 = f64x2.add(c2, d2);
          c3 = f64x2.add(c3, d3);
          if (tv && rep != 1 && --left == 0) {
            if (gin) {
              add2(pgi, c1, cnt);
              add2(pgi + blk, c2, cnt);
              add2(pgi + 2 * blk, c3, cnt);
            }
            c1 = Z;
            c2 = Z;
            c3 = Z;
            pgi -= inStep;
            left = rep;
          }
        }
        n1 = d1;
        n2 = d2;
        n3 = d3;
        n4 = d4;
      }
      if (!tv && gin) {
        add2(inBase, c1, cnt);
        add2(inBase + blk, c2, cnt);
        add2(inBase + 2 * blk, c3, cnt);
      }
      if (gw) {
        // d|w|/dw = sign(w), 0 at w = 0.
        const pg = gradWeights + <usize>j * 12;
        const pd = wrows != 0 ? wrows + ((<usize>(b * 3 * N + 3 * j)) << 3) : 0;
        addWeightGrad(wrows != 0, pg, pd, pw, f64x2.extract_lane(gw1, 0));
        addWeightGrad(wrows != 0, pg + 4, pd + 8, pw + 4, f64x2.extract_lane(gw2, 0));
        addWeightGrad(wrows != 0, pg + 8, pd + 16, pw + 8, f64x2.extract_lane(gw3, 0));
        if (cnt > 1) {
          addWeightGrad(wrows != 0, pg + 12, pd + 24, pw + 12, f64x2.extract_lane(gw1, 1));
          addWeightGrad(wrows != 0, pg + 16, pd + 32, pw + 16, f64x2.extract_lane(gw2, 1));
          addWeightGrad(wrows != 0, pg + 20, pd + 40, pw + 20, f64x2.extract_lane(gw3, 1));
        }
      }
    }
  }
}

/** (|x[0]|, |x[3]|, |x[6]|, |x[9]|) of four weight triples' k-th entries at p. */
// @ts-ignore: decorator
@inline
function absQuad(p: usize): v128 {
  let q = f32x4.splat(load<f32>(p));
  q = f32x4.replace_lane(q, 1, load<f32>(p, 12));
  q = f32x4.replace_lane(q, 2, load<f32>(p, 24));
  q = f32x4.replace_lane(q, 3, load<f32>(p, 36));
  return f32x4.abs(q);
}

/** Lane u (0..3) of an f32x4, as f64. */
// @ts-ignore: decorator
@inline
function lane32(q: v128, u: i32): f64 {
  if (u == 0) return <f64>f32x4.extract_lane(q, 0);
  if (u == 1) return <f64>f32x4.extract_lane(q, 1);
  if (u == 2) return <f64>f32x4.extract_lane(q, 2);
  return <f64>f32x4.extract_lane(q, 3);
}

/**
 * s-LIF2HH backward in float32x4 (rectangular surrogate, hard spikes; cut-offs as in lifBack32):
 * 4 units of one sample per group, one f32x4 per LIF.
 */
// @ts-ignore: decorator
@inline
function slBwd32(
  tv: bool,
  rate: bool,
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  T: i32,
  rep: i32,
  mem: usize,
  gradOut: usize,
  gradInput: usize,
  gradWeights: usize,
  wrows: usize,
  weights: usize,
  gin: bool,
  gw: bool,
  decay: f32,
  reset: f32,
  cut: f32,
  lo32: f32,
  hi32: f32,
): void {
  const D = f32x4.splat(decay);
  const R = f32x4.splat(reset);
  const CUT = f32x4.splat(cut);
  const LO = f32x4.splat(lo32);
  const HI = f32x4.splat(hi32);
  const Z = f32x4.splat(0);
  const INVT = f64x2.splat(1 / <f64>T);
  const blk = (<usize>N) << 2;
  const inStep = <usize>B * 3 * blk;
  const outStep = <usize>B * 4 * blk;
  const memStep = (<usize>B * <usize>N) << 4;
  const lastFrame = <usize>(T / rep - 1) * inStep; // offset of the last input frame
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < N; j += 4) {
      const cnt = imin(4, N - j);
      const pw = weights + <usize>j * 12;
      const w1 = absQuad(pw);
      const w2 = absQuad(pw + 4);
      const w3 = absQuad(pw + 8);
      let n1 = Z,
        n2 = Z,
        n3 = Z,
        n4 = Z; // dL/dmem_k[t+1]
      let c1 = Z,
        c2 = Z,
        c3 = Z; // input-gradient sums over the frame (static input: all steps)
      let gw1 = Z,
        gw2 = Z,
        gw3 = Z;
      const inBase = gradInput + <usize>b * 3 * blk + ((<usize>j) << 2);
      let pgi = inBase + lastFrame;
      let left = rep;
      const outBase = gradOut + <usize>b * 4 * blk + ((<usize>j) << 2);
      const memBase = mem + ((<usize>b * <usize>N + <usize>j) << 4);
      let g1 = Z,
        g2 = Z,
        g3 = Z,
        g4 = Z;
      if (rate) {
        g1 = pack(f64x2.mul(lo(v128.load(outBase)), INVT), f64x2.mul(hi(v128.load(outBase)), INVT));
        g2 = pack(
          f64x2.mul(lo(v128.load(outBase + blk)), INVT),
          f64x2.mul(hi(v128.load(outBase + blk)), INVT),
        );
        g3 = pack(
          f64x2.mul(lo(v128.load(outBase + 2 * blk)), INVT),
          f64x2.mul(hi(v128.load(outBase + 2 * blk)), INVT),
        );
        g4 = pack(
          f64x2.mul(lo(v128.load(outBase + 3 * blk)), INVT),
          f64x2.mul(hi(v128.load(outBase + 3 * blk)), INVT),
        );
      }
      for (let t = T - 1; t >= 0; t--) {
        // Rows [m1 m2 m3 m4] of the four units, to one f32x4 per LIF.
        const pm = memBase + <usize>t * memStep;
        const r0 = v128.load(pm);
        const r1 = v128.load(pm, 16);
        const r2 = v128.load(pm, 32);
        const r3 = v128.load(pm, 48);
        const z0 = zipLo(r0, r1);
        const z1 = zipLo(r2, r3);
        const z2 = zipHi(r0, r1);
        const z3 = zipHi(r2, r3);
        const m1 = v128.shuffle<f32>(z0, z1, 0, 1, 4, 5);
        const m2 = v128.shuffle<f32>(z0, z1, 2, 3, 6, 7);
        const m3 = v128.shuffle<f32>(z2, z3, 0, 1, 4, 5);
        const m4 = v128.shuffle<f32>(z2, z3, 2, 3, 6, 7);
        if (!rate) {
          const po = outBase + <usize>t * outStep;
          g1 = v128.load(po);
          g2 = v128.load(po + blk);
          g3 = v128.load(po + 2 * blk);
          g4 = v128.load(po + 3 * blk);
        }
        const d4 = lifBack32(m4, g4, n4, R, D, CUT, LO, HI);
        gw1 = f32x4.add(gw1, f32x4.mul(d4, m1));
        gw2 = f32x4.add(gw2, f32x4.mul(d4, m2));
        gw3 = f32x4.add(gw3, f32x4.mul(d4, m3));
        n1 = f32x4.add(lifBack32(m1, g1, n1, R, D, CUT, LO, HI), f32x4.mul(w1, d4));
        n2 = f32x4.add(lifBack32(m2, g2, n2, R, D, CUT, LO, HI), f32x4.mul(w2, d4));
        n3 = f32x4.add(lifBack32(m3, g3, n3, R, D, CUT, LO, HI), f32x4.mul(w3, d4));
        n4 = d4;
        if (tv && rep == 1) {
          if (gin) {
            const pi = inBase + <usize>t * inStep;
            addQ32(pi, n1, cnt);
            addQ32(pi + blk, n2, cnt);
            addQ32(pi + 2 * blk, n3, cnt);
          }
        } else {
          c1 = f32x4.add(c1, n1);
          c2 = f32x4.add(c2, n2);
          c3 = f32x4.add(c3, n3);
          if (tv && rep != 1 && --left == 0) {
            if (gin) {
              addQ32(pgi, c1, cnt);
              addQ32(pgi + blk, c2, cnt);
              addQ32(pgi + 2 * blk, c3, cnt);
            }
            c1 = Z;
            c2 = Z;
            c3 = Z;
            pgi -= inStep;
            left = rep;
          }
        }
      }
      if (!tv && gin) {
        addQ32(inBase, c1, cnt);
        addQ32(inBase + blk, c2, cnt);
        addQ32(inBase + 2 * blk, c3, cnt);
      }
      if (gw) {
        for (let u = 0; u < cnt; u++) {
          const pg = gradWeights + <usize>(j + u) * 12;
          const pd = wrows != 0 ? wrows + ((<usize>(b * 3 * N + 3 * (j + u))) << 3) : 0;
          const pwu = pw + <usize>u * 12;
          addWeightGrad(wrows != 0, pg, pd, pwu, lane32(gw1, u));
          addWeightGrad(wrows != 0, pg + 4, pd + 8, pwu + 4, lane32(gw2, u));
          addWeightGrad(wrows != 0, pg + 8, pd + 16, pwu + 8, lane32(gw3, u));
        }
      }
    }
  }
}

/**
 * s-LIF2HH backward. With F_F32 (valid float32 cut-offs) the rectangular, hard-spike case runs in
 * float32x4; everything else in float64 like the reference.
 */
export function slif2hhBackward(
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  T: i32,
  mem: usize,
  gradOut: usize,
  gradInput: usize,
  gradWeights: usize,
  wrows: usize,
  weights: usize,
  flags: i32,
  decay: f64,
  th: f64,
  kind: i32,
  p: f64,
  cut32: f32,
  lo32: f32,
  hi32: f32,
  phase: i32,
): void {
  const tv = (flags & F_TV) != 0;
  const rate = (flags & F_RATE) != 0;
  const smooth = (flags & F_SMOOTH) != 0;
  const gin = (flags & F_GIN) != 0;
  const gw = (flags & F_GPARAM) != 0;
  if (!gin && !gw) return;
  if ((phase & PHASE_ROWS) == 0) {
    if ((phase & PHASE_FINISH) != 0 && gw && wrows != 0) slWeightFinish(B, N, gradWeights, wrows);
    return;
  }
  const reset = (flags & F_DETACH) != 0 ? 0 : decay;
  const rep = repeatOf(flags);
  if (tv && rep > 1)
    slBackwardFrames(
      B,
      b0,
      b1,
      N,
      T,
      rep,
      mem,
      gradOut,
      gradInput,
      gradWeights,
      wrows,
      weights,
      flags,
      gin,
      gw,
      decay,
      reset,
      th,
      kind,
      p,
      cut32,
      lo32,
      hi32,
    );
  else if (smooth || kind != SURR_RECT)
    slBwd(
      tv,
      rate,
      smooth,
      kind,
      B,
      b0,
      b1,
      N,
      T,
      1,
      mem,
      gradOut,
      gradInput,
      gradWeights,
      wrows,
      weights,
      gin,
      gw,
      decay,
      reset,
      th,
      p,
    );
  else if ((flags & F_F32) != 0) {
    const d = <f32>decay;
    const r = <f32>reset;
    if (!tv && rate)
      slBwd32(
        false,
        true,
        B,
        b0,
        b1,
        N,
        T,
        1,
        mem,
        gradOut,
        gradInput,
        gradWeights,
        wrows,
        weights,
        gin,
        gw,
        d,
        r,
        cut32,
        lo32,
        hi32,
      );
    else if (!tv && !rate)
      slBwd32(
        false,
        false,
        B,
        b0,
        b1,
        N,
        T,
        1,
        mem,
        gradOut,
        gradInput,
        gradWeights,
        wrows,
        weights,
        gin,
        gw,
        d,
        r,
        cut32,
        lo32,
        hi32,
      );
    else
      slBwd32(
        true,
        rate,
        B,
        b0,
        b1,
        N,
        T,
        1,
        mem,
        gradOut,
        gradInput,
        gradWeights,
        wrows,
        weights,
        gin,
        gw,
        d,
        r,
        cut32,
        lo32,
        hi32,
      );
  } else
    slBwd(
      tv,
      rate,
      false,
      SURR_RECT,
      B,
      b0,
      b1,
      N,
      T,
      1,
      mem,
      gradOut,
      gradInput,
      gradWeights,
      wrows,
      weights,
      gin,
      gw,
      decay,
      reset,
      th,
      p,
    );
  if ((phase & PHASE_FINISH) != 0 && gw && wrows != 0) slWeightFinish(B, N, gradWeights, wrows);
}

/** slif2hhBackward for frames of rep > 1 steps (kept apart as lifBackwardFrames). */
function slBackwardFrames(
  B: i32,
  b0: i32,
  b1: i32,
  N: i32,
  T: i32,
  rep: i32,
  mem: usize,
  gradOut: usize,
  gradInput: usize,
  gradWeights: usize,
  wrows: usize,
  weights: usize,
  flags: i32,
  gin: bool,
  gw: bool,
  decay: f64,
  reset: f64,
  th: f64,
  kind: i32,
  p: f64,
  cut32: f32,
  lo32: f32,
  hi32: f32,
): void {
  const rate = (flags & F_RATE) != 0;
  const smooth = (flags & F_SMOOTH) != 0;
  if (smooth || kind != SURR_RECT)
    slBwd(
      true,
      rate,
      smooth,
      kind,
      B,
      b0,
      b1,
      N,
      T,
      rep,
      mem,
      gradOut,
      gradInput,
      gradWeights,
      wrows,
      weights,
      gin,
      gw,
      decay,
      reset,
      th,
      p,
    );
  else if ((flags & F_F32) != 0) {
    const d = <f32>decay;
    const r = <f32>reset;
    slBwd32(
      true,
      rate,
      B,
      b0,
      b1,
      N,
      T,
      rep,
      mem,
      gradOut,
      gradInput,
      gradWeights,
      wrows,
      weights,
      gin,
      gw,
      d,
      r,
      cut32,
      lo32,
      hi32,
    );
  } else
    slBwd(
      true,
      rate,
      false,
      SURR_RECT,
      B,
      b0,
      b1,
      N,
      T,
      rep,
      mem,
      gradOut,
      gradInput,
      gradWeights,
      wrows,
      weights,
      gin,
      gw,
      decay,
      reset,
      th,
      p,
    );
}
