/**
 * exp and expm1 that give the same bits on every JavaScript engine. `Math.exp` is only specified
 * to be "implementation-approximated": V8 has changed its last bit between versions (Chromium 156
 * and Node 20 differ on about 10% of arguments), so a float64 simulation on `Math.exp` drifts
 * apart between the browser and Node in the 15th digit. These use only + − × and Math.round, which
 * IEEE 754 fixes to the bit, so the JavaScript reference paths agree everywhere, as the wasm
 * kernels (which compute their own exponentials) already do. Accuracy: within 2 ulp of the exact
 * result (tests check it against Math.exp over the range).
 */

const LOG2E = 1.4426950408889634;
// ln 2 split so that k·LN2_HI is exact for |k| < 2^11 (LN2_HI has 21 trailing zero bits).
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
/** Above this exp overflows; below UNDERFLOW it rounds to zero. */
const OVERFLOW = 709.782712893384;
const UNDERFLOW = -745.1332191019412;

/** 1/n! for n = 0..15, each a correctly rounded division of exact integers. */
const INV_FACTORIAL = (() => {
  const out = [1];
  let f = 1;
  for (let n = 1; n <= 15; n++) {
    f *= n; // exact: 15! < 2^53
    out.push(1 / f);
  }
  return out;
})();
const [, , C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15] = INV_FACTORIAL;

/** 2^k for k = −1074..1023 (powers of two are exact, so built by halving and doubling). */
const POW2_MIN = -1074;
const POW2 = (() => {
  const table = new Float64Array(1023 - POW2_MIN + 1);
  let x = 1;
  for (let k = 0; k <= 1023; k++, x *= 2) table[k - POW2_MIN] = x;
  x = 1;
  for (let k = 0; k >= POW2_MIN; k--, x /= 2) table[k - POW2_MIN] = x;
  return table;
})();

/** y · 2^k for the k that range reduction gives (−1076..1024). */
function scale(y: number, k: number): number {
  if (k > 1023) return y * 2 * POW2[k - 1 - POW2_MIN];
  if (k < -1022) return y * POW2[k + 64 - POW2_MIN] * POW2[-64 - POW2_MIN]; // subnormal results
  return y * POW2[k - POW2_MIN];
}

/** e^x. */
export function exp(x: number): number {
  if (!(x > UNDERFLOW)) return x !== x ? NaN : 0;
  if (x > OVERFLOW) return Infinity;
  // x = k ln 2 + r with |r| ≤ ln2/2; e^r by its series to r^13 (truncation < 5e-18 of e^r).
  const k = Math.round(x * LOG2E);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = C13;
  p = p * r + C12;
  p = p * r + C11;
  p = p * r + C10;
  p = p * r + C9;
  p = p * r + C8;
  p = p * r + C7;
  p = p * r + C6;
  p = p * r + C5;
  p = p * r + C4;
  p = p * r + C3;
  p = p * r + C2;
  p = p * r + 1;
  p = p * r + 1;
  return scale(p, k);
}

/** e^x − 1, accurate near 0 (where exp(x) − 1 would cancel). */
export function expm1(x: number): number {
  if (x > -0.3 && x < 0.3) {
    // The series to x^15 (truncation < 1e-20 relative).
    let p = C15;
    p = p * x + C14;
    p = p * x + C13;
    p = p * x + C12;
    p = p * x + C11;
    p = p * x + C10;
    p = p * x + C9;
    p = p * x + C8;
    p = p * x + C7;
    p = p * x + C6;
    p = p * x + C5;
    p = p * x + C4;
    p = p * x + C3;
    p = p * x + C2;
    p = p * x + 1;
    return p * x;
  }
  if (x !== x) return NaN;
  return exp(x) - 1;
}
