/**
 * exp and expm1 that give the same bits on every JavaScript engine. `Math.exp` is only specified
 * to be "implementation-approximated": V8 has changed its last bit between versions (Chromium 156
 * and Node 20 differ on about 10% of arguments), so a float64 simulation on `Math.exp` drifts
 * apart between the browser and Node in the 15th digit. These use only + − × ÷ and Math.round,
 * which IEEE 754 fixes to the bit, so the JavaScript reference paths agree everywhere, as the wasm
 * kernels (which compute their own exponentials) already do.
 *
 * Method: x = (64m + j)·ln2/64 + r with |r| ≤ ln2/128, e^x = 2^m · 2^(j/64) · e^r, the 64 values
 * 2^(j/64) computed once in double-double arithmetic (so they are correctly rounded) and e^r by a
 * short polynomial. exp is within 1 ulp of Math.exp and expm1 within 2 ulp of Math.expm1
 * (test/exact-math.test.ts); their cost is in docs/browser.md.
 */

// ---- double-double arithmetic, only to build the tables (a value is hi + lo, |lo| ≤ ulp(hi)/2)

type DD = [hi: number, lo: number];

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

/** Dekker's split: a = hi + lo with each half fitting 26 bits, so their products are exact. */
function split(a: number): DD {
  const t = 134217729 * a; // 2^27 + 1
  const hi = t - (t - a);
  return [hi, a - hi];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function ddAdd(a: DD, b: DD): DD {
  const [s, e] = twoSum(a[0], b[0]);
  return twoSum(s, e + a[1] + b[1]);
}

function ddMul(a: DD, b: DD): DD {
  const [p, e] = twoProd(a[0], b[0]);
  return twoSum(p, e + a[0] * b[1] + a[1] * b[0]);
}

/** a / n for a small positive integer n. */
function ddDivInt(a: DD, n: number): DD {
  const q = a[0] / n;
  const [p, e] = twoProd(q, n);
  return twoSum(q, (a[0] - p - e + a[1]) / n);
}

/** e^x − 1 in double-double for |x| ≤ 1, by its Taylor series (terms below 1e-36 dropped). */
function ddExpm1(x: DD): DD {
  let term: DD = x;
  let sum: DD = x;
  for (let n = 2; Math.abs(term[0]) > 1e-36; n++) {
    term = ddDivInt(ddMul(term, x), n);
    sum = ddAdd(sum, term);
  }
  return sum;
}

/** ln 2 = LN2_DD[0] + LN2_DD[1] (Math.LN2 and the rest of ln 2). */
const LN2_DD: DD = [0.6931471805599453, 2.3190468138462996e-17];

/** 2^(k/64) − 1 in double-double. */
const pow2Frac = (k: number): DD => ddExpm1(ddDivInt(ddMul(LN2_DD, [k, 0]), 64));

// ---- the tables

const N = 64;
/** 2^(j/64), j = 0..63, correctly rounded. */
const T = Float64Array.from({ length: N }, (_, j) => ddAdd(pow2Frac(j), [1, 0])[0]);
/** 2^(k/64) − 1 for k = −D_RANGE..D_RANGE (expm1 near 0), correctly rounded. */
const D_RANGE = 64; // covers |x| < ln 2
const D = Float64Array.from({ length: 2 * D_RANGE + 1 }, (_, i) => ddAdd(pow2Frac(i - D_RANGE), [0, 0])[0]);

/** 2^m for m = −1074..1023 (powers of two are exact, so built by halving and doubling). */
const POW2_MIN = -1074;
const POW2 = (() => {
  const table = new Float64Array(1023 - POW2_MIN + 1);
  let x = 1;
  for (let m = 0; m <= 1023; m++, x *= 2) table[m - POW2_MIN] = x;
  x = 1;
  for (let m = 0; m >= POW2_MIN; m--, x /= 2) table[m - POW2_MIN] = x;
  return table;
})();

const INV_LN2_N = N / 0.6931471805599453;
// ln2/64 split so that k·HI is exact for |k| < 2^16 (HI has its low 27 bits zero).
const LN2_N_HI = split(0.6931471805599453 / N)[0];
const LN2_N_LO = ddAdd(ddDivInt(LN2_DD, N), [-LN2_N_HI, 0])[0];
/** Above this exp overflows; below UNDERFLOW it rounds to zero. */
const OVERFLOW = 709.782712893384;
const UNDERFLOW = -745.1332191019412;
const C3 = 1 / 6;
const C4 = 1 / 24;
const C5 = 1 / 120;
const C6 = 1 / 720;
const C7 = 1 / 5040;

/** e^r − 1 for |r| ≤ ln2/128, to 4e-17 absolute: what 1 + it needs (exp). */
function expm1Small(r: number): number {
  const r2 = r * r;
  return r + r2 * (0.5 + r * C3 + r2 * (C4 + r * C5));
}

/** e^r − 1 for |r| ≤ ln2/128, to 4e-21 of itself: what expm1 near 0 needs. */
function expm1SmallRelative(r: number): number {
  const r2 = r * r;
  return r + r2 * (0.5 + r * C3 + r2 * (C4 + r * C5 + r2 * (C6 + r * C7)));
}

/** e^x. */
export function exp(x: number): number {
  // The common range inline (small, so V8 inlines it and keeps the result unboxed); the edges apart.
  if (!(x > -708 && x < 709)) return expEdges(x);
  const k = Math.round(x * INV_LN2_N) | 0;
  const r = x - k * LN2_N_HI - k * LN2_N_LO;
  const t = T[k & (N - 1)]; // k mod 64, also for negative k
  return (t + t * expm1Small(r)) * POW2[(k >> 6) - POW2_MIN];
}

/** exp beyond ±708: overflow, underflow, subnormal results, NaN. */
function expEdges(x: number): number {
  if (!(x > UNDERFLOW)) return x !== x ? NaN : 0;
  if (x > OVERFLOW) return Infinity;
  const k = Math.round(x * INV_LN2_N) | 0;
  const r = x - k * LN2_N_HI - k * LN2_N_LO;
  const t = T[k & (N - 1)];
  const y = t + t * expm1Small(r);
  const m = k >> 6;
  if (m > 1023) return y * 2 * POW2[m - 1 - POW2_MIN];
  if (m < -1022) return y * POW2[m + 64 - POW2_MIN] * POW2[-64 - POW2_MIN];
  return y * POW2[m - POW2_MIN];
}

/** e^x − 1, accurate near 0 (where exp(x) − 1 would cancel). */
export function expm1(x: number): number {
  if (!(x > -0.69 && x < 0.69) || x === 0) return x === 0 ? x : exp(x) - 1; // ±0 stays; NaN: NaN
  // e^x − 1 = D_k + (1 + D_k)(e^r − 1), with no cancellation for |x| < ln 2 (D_0 = 0).
  const k = Math.round(x * INV_LN2_N) | 0;
  const r = x - k * LN2_N_HI - k * LN2_N_LO;
  // The two terms may cancel to half of D_k: e^r − 1 is needed to its own precision.
  const d = D[k + D_RANGE];
  return d + (1 + d) * expm1SmallRelative(r);
}
