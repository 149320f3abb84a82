// Vector math on f32x4 for the kernels (hh-sim.ts): broadcast constants, e^x and e^x − 1 (the
// algorithms in vexp.ts, on the constants here).
//
// Constants are floats in the module's static data, each broadcast at its use by one load: V8
// rebuilds a v128.const from immediates at every use (several instructions, most of them on the
// register-to-vector port), which made the HH kernel about a third slower.

import { vexpAt, vexpm1At } from './vexp';

/** The float at p in all four lanes. */
// @ts-ignore: decorator
@inline
export function vc(p: usize): v128 {
  return v128.load32_splat(p);
}

export const ONE = memory.data<f32>([1]);
export const TWO = memory.data<f32>([2]);
export const HALF = memory.data<f32>([0.5]);

// ---------------------------------------------------------------------------------------------
// e^x and e^x − 1 on f32x4.
//
// x = k·ln2 + r with k = round(x/ln2), |r| ≤ ln2/2; ln2 is split in two (Cody–Waite) so k·ln2_hi
// is exact. e^r − 1 is its Taylor polynomial to r⁷ (remainder < 6e-9 on |r| ≤ ln2/2), and 2^k is
// built in the exponent bits. Then e^x = 2^k + 2^k·p and e^x − 1 = 2^k·p + (2^k − 1): the latter
// stays accurate near 0 (k = 0: just p), which vtrap needs. x is clamped to [−87, 88] (2^k must
// be a normal float), so results saturate there instead of reaching 0 / +∞; NaN stays NaN.
// Max relative error against Math.exp / Math.expm1 (float64) over x ∈ [−87, 88], measured on a
// grid of 2^20 points and near 0 (test/hh-sim.test.ts checks ≤ 2e-7): 8.9e-8 for e^x, 1.3e-7 for
// e^x − 1, i.e. within about one float32 ulp (the final rounding alone is up to 6e-8).

// One block, so code that cannot own static data (the kernels generated for declared neuron
// models, which share this module's memory) reads the same constants through its address
// (expConstants): vexpAt / vexpm1At (vexp.ts) take the block's base.
export const EXP_CONSTANTS = memory.data<f32>([
  1.4426950408889634, // LOG2E
  0.693145751953125, // LN2_HI = 45426 / 65536: k·LN2_HI is exact
  1.4286068203094173e-6, // LN2_LO = ln 2 − LN2_HI
  -87, // EXP_LO
  88, // EXP_HI
  // k = round(x / ln 2) by the 1.5·2^23 trick: adding this leaves k + 127 in the float's low
  // mantissa bits (round to nearest even), and those bits shifted into the exponent field are 2^k.
  12582912 + 127, // ROUND_BIAS
  0.5, // HALF
  1.0 / 6, // Taylor coefficients 1/3! … 1/7!
  1.0 / 24,
  1.0 / 120,
  1.0 / 720,
  1.0 / 5040,
  1, // ONE
]);
/** e^x per lane. */
// @ts-ignore: decorator
@inline
export function vexp(x: v128): v128 {
  return vexpAt(x, EXP_CONSTANTS);
}

/** e^x − 1 per lane. */
// @ts-ignore: decorator
@inline
export function vexpm1(x: v128): v128 {
  return vexpm1At(x, EXP_CONSTANTS);
}

/** Address of the exp constants (for the generated kernels of declared models). */
export function expConstants(): usize {
  return EXP_CONSTANTS;
}

/** dst[i] = e^src[i] (or e^src[i] − 1 when minus1) for n floats, n a multiple of 4 (for tests). */
export function vectorExp(src: usize, dst: usize, n: i32, minus1: i32): void {
  for (let i = 0; i < n; i += 4) {
    const x = v128.load(src + ((<usize>i) << 2));
    v128.store(dst + ((<usize>i) << 2), minus1 ? vexpm1(x) : vexp(x));
  }
}
