// Vector math on f32x4 for the kernels (hh-sim.ts): broadcast constants, e^x and e^x − 1.
//
// Constants are floats in the module's static data, each broadcast at its use by one load: V8
// rebuilds a v128.const from immediates at every use (several instructions, most of them on the
// register-to-vector port), which made the HH kernel about a third slower.

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

const LOG2E = memory.data<f32>([1.4426950408889634]);
const LN2_HI = memory.data<f32>([0.693145751953125]); // 45426 / 65536: k·LN2_HI is exact
const LN2_LO = memory.data<f32>([1.4286068203094173e-6]); // ln 2 − LN2_HI
const EXP_LO = memory.data<f32>([-87]);
const EXP_HI = memory.data<f32>([88]);
// k = round(x / ln 2) by the 1.5·2^23 trick: adding this leaves k + 127 in the float's low
// mantissa bits (round to nearest even), and those bits shifted into the exponent field are 2^k.
const ROUND_BIAS = memory.data<f32>([12582912 + 127]);
// Taylor coefficients 1/3! … 1/7!
const C3 = memory.data<f32>([1.0 / 6]);
const C4 = memory.data<f32>([1.0 / 24]);
const C5 = memory.data<f32>([1.0 / 120]);
const C6 = memory.data<f32>([1.0 / 720]);
const C7 = memory.data<f32>([1.0 / 5040]);

/** e^r − 1 for |r| ≤ ln2/2: r + r²·(1/2 + r/6 + … + r⁵/7!), in Estrin's form (a shorter chain). */
// @ts-ignore: decorator
@inline
function expm1Reduced(r: v128): v128 {
  const r2 = f32x4.mul(r, r);
  const q0 = f32x4.add(vc(HALF), f32x4.mul(r, vc(C3)));
  const q1 = f32x4.add(vc(C4), f32x4.mul(r, vc(C5)));
  const q2 = f32x4.add(vc(C6), f32x4.mul(r, vc(C7)));
  const q = f32x4.add(q0, f32x4.mul(r2, f32x4.add(q1, f32x4.mul(r2, q2))));
  return f32x4.add(r, f32x4.mul(r2, q));
}

/** x / ln 2 + ROUND_BIAS for x clamped to [EXP_LO, EXP_HI] (pmin/pmax keep NaN: one instruction). */
// @ts-ignore: decorator
@inline
function expShift(x: v128): v128 {
  return f32x4.add(f32x4.mul(x, vc(LOG2E)), vc(ROUND_BIAS));
}

// @ts-ignore: decorator
@inline
function clampExp(x: v128): v128 {
  return f32x4.pmin(f32x4.pmax(x, vc(EXP_LO)), vc(EXP_HI));
}

/** x − k·ln 2, with k = shifted − ROUND_BIAS. */
// @ts-ignore: decorator
@inline
function expR(x: v128, shifted: v128): v128 {
  const k = f32x4.sub(shifted, vc(ROUND_BIAS));
  return f32x4.sub(f32x4.sub(x, f32x4.mul(k, vc(LN2_HI))), f32x4.mul(k, vc(LN2_LO)));
}

/** e^x per lane. */
// @ts-ignore: decorator
@inline
export function vexp(x: v128): v128 {
  const xc = clampExp(x);
  const shifted = expShift(xc);
  const s = i32x4.shl(shifted, 23);
  return f32x4.add(s, f32x4.mul(s, expm1Reduced(expR(xc, shifted))));
}

/** e^x − 1 per lane. */
// @ts-ignore: decorator
@inline
export function vexpm1(x: v128): v128 {
  const xc = clampExp(x);
  const shifted = expShift(xc);
  const s = i32x4.shl(shifted, 23);
  return f32x4.add(f32x4.mul(s, expm1Reduced(expR(xc, shifted))), f32x4.sub(s, vc(ONE)));
}

/** dst[i] = e^src[i] (or e^src[i] − 1 when minus1) for n floats, n a multiple of 4 (for tests). */
export function vectorExp(src: usize, dst: usize, n: i32, minus1: i32): void {
  for (let i = 0; i < n; i += 4) {
    const x = v128.load(src + (<usize>i << 2));
    v128.store(dst + (<usize>i << 2), minus1 ? vexpm1(x) : vexp(x));
  }
}
