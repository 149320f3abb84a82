// e^x and e^x − 1 on f32x4, with their constants read from a block whose address is passed in
// (vmath.ts's EXP_CONSTANTS, laid out as the offsets below). This file owns no static data, so
// modules that share the backend's memory but may not write data there (the kernels generated for
// declared neuron models) can import it. The method and its accuracy: vmath.ts.

const LOG2E = 0;
const LN2_HI = 4;
const LN2_LO = 8;
const EXP_LO = 12;
const EXP_HI = 16;
const ROUND_BIAS = 20;
const K_HALF = 24;
const C3 = 28;
const C4 = 32;
const C5 = 36;
const C6 = 40;
const C7 = 44;
const K_ONE = 48;

/** The constant at byte offset `at` of the block at k, in all four lanes. */
// @ts-ignore: decorator
@inline
function kc(k: usize, at: usize): v128 {
  return v128.load32_splat(k + at);
}

/** e^r − 1 for |r| ≤ ln2/2: r + r²·(1/2 + r/6 + … + r⁵/7!), in Estrin's form (a shorter chain). */
// @ts-ignore: decorator
@inline
function expm1Reduced(r: v128, k: usize): v128 {
  const r2 = f32x4.mul(r, r);
  const q0 = f32x4.add(kc(k, K_HALF), f32x4.mul(r, kc(k, C3)));
  const q1 = f32x4.add(kc(k, C4), f32x4.mul(r, kc(k, C5)));
  const q2 = f32x4.add(kc(k, C6), f32x4.mul(r, kc(k, C7)));
  const q = f32x4.add(q0, f32x4.mul(r2, f32x4.add(q1, f32x4.mul(r2, q2))));
  return f32x4.add(r, f32x4.mul(r2, q));
}

/** x / ln 2 + ROUND_BIAS for x clamped to [EXP_LO, EXP_HI] (pmin/pmax keep NaN: one instruction). */
// @ts-ignore: decorator
@inline
function expShift(x: v128, k: usize): v128 {
  return f32x4.add(f32x4.mul(x, kc(k, LOG2E)), kc(k, ROUND_BIAS));
}

// @ts-ignore: decorator
@inline
function clampExp(x: v128, k: usize): v128 {
  return f32x4.pmin(f32x4.pmax(x, kc(k, EXP_LO)), kc(k, EXP_HI));
}

/** x − k·ln 2, with k = shifted − ROUND_BIAS. */
// @ts-ignore: decorator
@inline
function expR(x: v128, shifted: v128, k: usize): v128 {
  const n = f32x4.sub(shifted, kc(k, ROUND_BIAS));
  return f32x4.sub(f32x4.sub(x, f32x4.mul(n, kc(k, LN2_HI))), f32x4.mul(n, kc(k, LN2_LO)));
}

/** e^x per lane, with the constants of the block at k (EXP_CONSTANTS). */
// @ts-ignore: decorator
@inline
export function vexpAt(x: v128, k: usize): v128 {
  const xc = clampExp(x, k);
  const shifted = expShift(xc, k);
  const s = i32x4.shl(shifted, 23);
  return f32x4.add(s, f32x4.mul(s, expm1Reduced(expR(xc, shifted, k), k)));
}

/** e^x − 1 per lane, with the constants of the block at k (EXP_CONSTANTS). */
// @ts-ignore: decorator
@inline
export function vexpm1At(x: v128, k: usize): v128 {
  const xc = clampExp(x, k);
  const shifted = expShift(xc, k);
  const s = i32x4.shl(shifted, 23);
  return f32x4.add(f32x4.mul(s, expm1Reduced(expR(xc, shifted, k), k)), f32x4.sub(s, kc(k, K_ONE)));
}
