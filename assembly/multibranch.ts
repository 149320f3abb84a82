// The trainable multi-branch neuron's fused kernels (an HH soma coupled to K dendritic branches),
// the SIMD twin of the plain-TypeScript reference src/kernels/js/multibranch.ts, which states the
// equations, the integrator and the adjoint. Two units run side by side in the f64x2 lanes (any
// two consecutive flat units: each lane gathers its own inputs and conductances, so a pair may
// straddle two samples); every expression keeps the reference's operation order, and e^x is this
// module's expCore (within ~2 ulp of Math.exp), so float64 states may differ from the reference's
// in the last bits: saved float32 states agree to float32 rounding, spikes wherever v is not within
// rounding of the cut.
//
// The host passes one argument record (src/kernels/wasm/multibranch.ts writes it): MB_INTS i32
// slots, then MB_FLOATS f64 slots at MB_FLOAT_AT. A scratch region of MB_SCRATCH_PER_BRANCH bytes
// per branch holds the per-lane branch arrays.
import { F_RATE, F_SAVE, F_SMOOTH, F_TV, expCore, gradThrough, imin, prim, repeatOf } from './spiking';

// ---------------------------------------------------------------------------------------------
// The HH rate helpers in float64: the shifted convention's constants, vtrap and its derivative.

const E1: f64 = Math.E;
const E2_5: f64 = 12.182493960703473; // e^2.5
const E3: f64 = 20.085536923187668; // e^3

/** x/(eˣ − 1) given ex = eˣ (series below |x| = 1e-3, x/eˣ above x = 50), as the reference. */
// @ts-ignore: decorator
@inline
function vtrap(x: v128, ex: v128): v128 {
  const one = f64x2.splat(1);
  const large = f64x2.gt(x, f64x2.splat(50));
  let y = f64x2.div(x, v128.bitselect(ex, f64x2.sub(ex, one), large));
  const small = f64x2.lt(f64x2.abs(x), f64x2.splat(1e-3));
  if (v128.any_true(small)) {
    const x2 = f64x2.mul(x, x);
    const series = f64x2.sub(
      f64x2.add(f64x2.sub(one, f64x2.mul(x, f64x2.splat(0.5))), f64x2.mul(x2, f64x2.splat(1.0 / 12))),
      f64x2.mul(f64x2.mul(x2, x2), f64x2.splat(1.0 / 720)),
    );
    y = v128.bitselect(series, y, small);
  }
  return y;
}

/** d/dx of x/(eˣ − 1), given ex = eˣ. */
// @ts-ignore: decorator
@inline
function vtrapDeriv(x: v128, ex: v128): v128 {
  const one = f64x2.splat(1);
  const large = f64x2.gt(x, f64x2.splat(50));
  const e = f64x2.sub(ex, one);
  const num = v128.bitselect(f64x2.sub(one, x), f64x2.sub(e, f64x2.mul(x, ex)), large);
  let y = f64x2.div(num, v128.bitselect(ex, f64x2.mul(e, e), large));
  const small = f64x2.lt(f64x2.abs(x), f64x2.splat(1e-3));
  if (v128.any_true(small)) {
    const x2 = f64x2.mul(x, x);
    const series = f64x2.sub(
      f64x2.add(f64x2.splat(-0.5), f64x2.mul(x, f64x2.splat(1.0 / 6))),
      f64x2.mul(f64x2.mul(x2, x), f64x2.splat(1.0 / 180)),
    );
    y = v128.bitselect(series, y, small);
  }
  return y;
}

// i32 slots of the record.
const I_BN = 0; // batch·N units
const I_N = 1; // units per sample
const I_K = 2; // branches
const I_T = 3; // steps
const I_FLAGS = 4; // F_TV | F_RATE | F_SMOOTH | F_SAVE, R in bits 8–31
const I_KIND = 5; // surrogate
const I_SOMA = 6; // 1: the input has a soma block
const I_ACTIVE = 7; // 1: branches carry HH channels
const I_INPUT = 8; // pointers (byte offsets); 0 where absent
const I_OUT = 9;
const I_STATE = 10;
const I_COUPLING = 11;
const I_LEAK = 12;
const I_GRAD_OUT = 13;
const I_GRAD_INPUT = 14;
const I_GRAD_COUPLING = 15;
const I_GRAD_LEAK = 16;
const I_SCRATCH = 17;
export const MB_INTS: i32 = 18;
// f64 slots.
const X_C = 0;
const X_GNA = 1;
const X_GK = 2;
const X_GL = 3;
const X_ENA = 4;
const X_EK = 5;
const X_EL = 6;
const X_DT = 7;
const X_INPUT_SCALE = 8;
const X_V0 = 9;
const X_M0 = 10;
const X_H0 = 11;
const X_N0 = 12;
const X_TH = 13;
const X_CUT = 14;
const X_P = 15;
export const MB_FLOATS: i32 = 16;
export const MB_FLOAT_AT: i32 = 80; // bytes; after the ints, 8-aligned
export const MB_RECORD_BYTES: i32 = MB_FLOAT_AT + 8 * MB_FLOATS;
/** Scratch bytes per branch: 14 f64x2 per-branch slots (the backward's; the forward uses 7). */
export const MB_SCRATCH_PER_BRANCH: i32 = 14 * 16;

// @ts-ignore: decorator
@inline
function int(rec: usize, slot: i32): i32 {
  return load<i32>(rec + ((<usize>slot) << 2));
}

// @ts-ignore: decorator
@inline
function num(rec: usize, slot: i32): f64 {
  return load<f64>(rec + <usize>MB_FLOAT_AT + ((<usize>slot) << 3));
}

/** The float32s at float indices a and b of buffer p as one f64x2. */
// @ts-ignore: decorator
@inline
function pair(p: usize, a: i32, b: i32): v128 {
  return f64x2.replace_lane(
    f64x2.splat(<f64>load<f32>(p + ((<usize>a) << 2))),
    1,
    <f64>load<f32>(p + ((<usize>b) << 2)),
  );
}

/** Stores lane 0 at float index a, and lane 1 at b when cnt is 2 (rounded to float32). */
// @ts-ignore: decorator
@inline
function put(p: usize, a: i32, b: i32, x: v128, cnt: i32): void {
  store<f32>(p + ((<usize>a) << 2), <f32>f64x2.extract_lane(x, 0));
  if (cnt == 2) store<f32>(p + ((<usize>b) << 2), <f32>f64x2.extract_lane(x, 1));
}

/** float32 buffer += x (lane 0 at index a, lane 1 at b when cnt is 2), each as `+=` in JS. */
// @ts-ignore: decorator
@inline
function addTo(p: usize, a: i32, b: i32, x: v128, cnt: i32): void {
  const pa = p + ((<usize>a) << 2);
  store<f32>(pa, <f32>(<f64>load<f32>(pa) + f64x2.extract_lane(x, 0)));
  if (cnt == 2) {
    const pb = p + ((<usize>b) << 2);
    store<f32>(pb, <f32>(<f64>load<f32>(pb) + f64x2.extract_lane(x, 1)));
  }
}

/** The f64x2 slot `slot` of per-branch array `arr` (arrays of K slots laid out one after another). */
// @ts-ignore: decorator
@inline
function at(scratch: usize, arr: i32, K: i32, slot: i32): usize {
  return scratch + ((<usize>(arr * K + slot)) << 4);
}

// The six HH rates at a potential (and, after ratesWithDerivatives, their derivatives), shifted
// convention, as the reference's hhRatesWithDerivatives.
let am: v128 = f64x2.splat(0);
let bm: v128 = f64x2.splat(0);
let ah: v128 = f64x2.splat(0);
let bh: v128 = f64x2.splat(0);
let an: v128 = f64x2.splat(0);
let bn: v128 = f64x2.splat(0);
let dam: v128 = f64x2.splat(0);
let dbm: v128 = f64x2.splat(0);
let dah: v128 = f64x2.splat(0);
let dbh: v128 = f64x2.splat(0);
let dan: v128 = f64x2.splat(0);
let dbn: v128 = f64x2.splat(0);

// @ts-ignore: decorator
@inline
function rates(u: v128, deriv: bool): void {
  const e80 = expCore(f64x2.div(f64x2.neg(u), f64x2.splat(80)));
  const e40 = f64x2.mul(e80, e80);
  const e20 = f64x2.mul(e40, e40);
  const e10 = f64x2.mul(e20, e20);
  const xm = f64x2.div(f64x2.sub(f64x2.splat(25), u), f64x2.splat(10));
  const exm = f64x2.mul(f64x2.splat(E2_5), e10);
  am = vtrap(xm, exm);
  bm = f64x2.mul(f64x2.splat(4), expCore(f64x2.div(f64x2.neg(u), f64x2.splat(18))));
  ah = f64x2.mul(f64x2.splat(0.07), e20);
  bh = f64x2.div(f64x2.splat(1), f64x2.add(f64x2.mul(f64x2.splat(E3), e10), f64x2.splat(1)));
  const xn = f64x2.div(f64x2.sub(f64x2.splat(10), u), f64x2.splat(10));
  const exn = f64x2.mul(f64x2.splat(E1), e10);
  an = f64x2.mul(f64x2.splat(0.1), vtrap(xn, exn));
  bn = f64x2.mul(f64x2.splat(0.125), e80);
  if (deriv) {
    dam = f64x2.mul(f64x2.splat(-0.1), vtrapDeriv(xm, exm));
    dbm = f64x2.div(f64x2.neg(bm), f64x2.splat(18));
    dah = f64x2.div(f64x2.neg(ah), f64x2.splat(20));
    dbh = f64x2.div(f64x2.mul(bh, f64x2.sub(f64x2.splat(1), bh)), f64x2.splat(10));
    dan = f64x2.mul(f64x2.splat(-0.01), vtrapDeriv(xn, exn));
    dbn = f64x2.div(f64x2.neg(bn), f64x2.splat(80));
  }
}

/** Rush–Larsen gate step x∞ + (x − x∞)·e^(−dt(α + β)) (the reference's gateStep). */
// @ts-ignore: decorator
@inline
function gate(x: v128, a: v128, b: v128, NDT: v128): v128 {
  const s = f64x2.add(a, b);
  const inf = f64x2.div(a, s);
  return f64x2.add(inf, f64x2.mul(f64x2.sub(x, inf), expCore(f64x2.mul(NDT, s))));
}

/** e^(−dt(α + β)) of the last gatePartial call: ∂x′/∂x. */
let gateKeep: v128 = f64x2.splat(0);

/** ∂x′/∂v of the gate step (the reference's gateVoltagePartial); sets gateKeep. */
// @ts-ignore: decorator
@inline
function gatePartial(x: v128, a: v128, b: v128, da: v128, db: v128, DT: v128, NDT: v128): v128 {
  const s = f64x2.add(a, b);
  const e = expCore(f64x2.mul(NDT, s));
  gateKeep = e;
  const inf = f64x2.div(a, s);
  const ds = f64x2.add(da, db);
  const left = f64x2.div(f64x2.mul(f64x2.sub(f64x2.splat(1), e), f64x2.sub(da, f64x2.mul(inf, ds))), s);
  return f64x2.sub(left, f64x2.mul(f64x2.mul(f64x2.mul(DT, ds), e), f64x2.sub(x, inf)));
}

/** |x| of two float32s as f64x2. */
// @ts-ignore: decorator
@inline
function absPairOf(p: usize, a: i32, b: i32): v128 {
  return f64x2.abs(pair(p, a, b));
}

/** sign(x) per lane (0 for ±0), as Math.sign up to the sign of zero. */
// @ts-ignore: decorator
@inline
function signOf(x: v128): v128 {
  const one = f64x2.splat(1);
  const pos = v128.and(f64x2.gt(x, f64x2.splat(0)), one);
  const neg = v128.and(f64x2.lt(x, f64x2.splat(0)), one);
  return f64x2.sub(pos, neg);
}

// The call's arguments and what both kernels derive from them, set by unpack() (module globals:
// one place reads the record; the kernels run one call at a time per thread's instance).
let BN: i32 = 0;
let N: i32 = 0;
let K: i32 = 0;
let T: i32 = 0;
let kind: i32 = 0;
let R: i32 = 1;
let S: i32 = 0; // saved floats per unit and step
let inW: i32 = 0; // input floats per sample
let frame: i32 = 0; // input floats per time-varying frame
let soma = false;
let active = false;
let tv = false;
let rate = false;
let smooth = false;
let save = false;
let input: usize = 0;
let out: usize = 0;
let state: usize = 0;
let coupling: usize = 0;
let leak: usize = 0;
let gradOut: usize = 0;
let gradInput: usize = 0;
let gradCoupling: usize = 0;
let gradLeak: usize = 0;
let scratch: usize = 0;
let dt: f64 = 0;
let th: f64 = 0;
let cut: f64 = 0;
let p: f64 = 0;
let Er: f64 = 0;
let Kv: v128 = f64x2.splat(0); // k = dt/C
let KIN: v128 = f64x2.splat(0); // k·inputScale
let NDT: v128 = f64x2.splat(0); // −dt
const ONE: v128 = f64x2.splat(1);
let GNA: v128 = f64x2.splat(0);
let GK: v128 = f64x2.splat(0);
let GL: v128 = f64x2.splat(0);
let ENA: v128 = f64x2.splat(0);
let EKV: v128 = f64x2.splat(0);
let GLEL: v128 = f64x2.splat(0); // gL·EL
let ER: v128 = f64x2.splat(0);
let M0: v128 = f64x2.splat(0);
let H0: v128 = f64x2.splat(0);
let N0: v128 = f64x2.splat(0);

function unpack(rec: usize): void {
  BN = int(rec, I_BN);
  N = int(rec, I_N);
  K = int(rec, I_K);
  T = int(rec, I_T);
  const flags = int(rec, I_FLAGS);
  kind = int(rec, I_KIND);
  soma = int(rec, I_SOMA) != 0;
  active = int(rec, I_ACTIVE) != 0;
  input = <usize>int(rec, I_INPUT);
  out = <usize>int(rec, I_OUT);
  state = <usize>int(rec, I_STATE);
  coupling = <usize>int(rec, I_COUPLING);
  leak = <usize>int(rec, I_LEAK);
  gradOut = <usize>int(rec, I_GRAD_OUT);
  gradInput = <usize>int(rec, I_GRAD_INPUT);
  gradCoupling = <usize>int(rec, I_GRAD_COUPLING);
  gradLeak = <usize>int(rec, I_GRAD_LEAK);
  scratch = <usize>int(rec, I_SCRATCH);
  tv = (flags & F_TV) != 0;
  rate = (flags & F_RATE) != 0;
  smooth = (flags & F_SMOOTH) != 0;
  save = (flags & F_SAVE) != 0;
  R = repeatOf(flags);
  dt = num(rec, X_DT);
  th = num(rec, X_TH);
  cut = num(rec, X_CUT);
  p = num(rec, X_P);
  Er = num(rec, X_V0);
  const k = dt / num(rec, X_C);
  S = 4 + K + (active ? 3 * K : 0);
  inW = (K + (soma ? 1 : 0)) * N;
  frame = (BN / N) * inW;
  Kv = f64x2.splat(k);
  KIN = f64x2.splat(k * num(rec, X_INPUT_SCALE));
  NDT = f64x2.splat(-dt);
  GNA = f64x2.splat(num(rec, X_GNA));
  GK = f64x2.splat(num(rec, X_GK));
  GL = f64x2.splat(num(rec, X_GL));
  ENA = f64x2.splat(num(rec, X_ENA));
  EKV = f64x2.splat(num(rec, X_EK));
  GLEL = f64x2.mul(GL, f64x2.splat(num(rec, X_EL)));
  ER = f64x2.splat(Er);
  M0 = f64x2.splat(num(rec, X_M0));
  H0 = f64x2.splat(num(rec, X_H0));
  N0 = f64x2.splat(num(rec, X_N0));
}

/** The forward over units [u0, u1) (pairs from u0; the host passes [0, B·N) or even chunks). */
export function multiBranchForward(rec: usize, u0: i32, u1: i32): void {
  unpack(rec);
  // Per-branch arrays: |gc|, |gL_b|, V_b, I_b (k·inputScale·input), gates m_b, h_b, n_b.
  const GC = 0;
  const GLB = 1;
  const VB = 2;
  const IB = 3;
  const BG = 4; // 3 arrays: m_b, h_b, n_b
  for (let i = u0; i < u1; i += 2) {
    const cnt = imin(2, u1 - i);
    const i1 = cnt == 2 ? i + 1 : i;
    const j0 = i % N;
    const j1 = i1 % N;
    const base0 = (i / N) * inW + j0;
    const base1 = (i1 / N) * inW + j1;
    let sumGc = f64x2.splat(0);
    for (let b = 0; b < K; b++) {
      const gc = absPairOf(coupling, j0 * K + b, j1 * K + b);
      v128.store(at(scratch, GC, K, b), gc);
      v128.store(at(scratch, GLB, K, b), absPairOf(leak, j0 * K + b, j1 * K + b));
      sumGc = f64x2.add(sumGc, gc);
      v128.store(at(scratch, VB, K, b), ER);
      v128.store(at(scratch, BG, K, b), M0);
      v128.store(at(scratch, BG + 1, K, b), H0);
      v128.store(at(scratch, BG + 2, K, b), N0);
    }
    let v = ER;
    let m = M0;
    let h = H0;
    let n = N0;
    let Is = f64x2.splat(0);
    let acc0: f64 = 0;
    let acc1: f64 = 0;
    let xo0 = base0;
    let xo1 = base1;
    let left = 0;
    for (let t = 0; t < T; t++) {
      if (t == 0 || (tv && left == 0)) {
        for (let b = 0; b < K; b++)
          v128.store(at(scratch, IB, K, b), f64x2.mul(KIN, pair(input, xo0 + b * N, xo1 + b * N)));
        Is = soma ? f64x2.mul(KIN, pair(input, xo0 + K * N, xo1 + K * N)) : f64x2.splat(0);
        if (tv) {
          xo0 += frame;
          xo1 += frame;
        }
        left = R;
      }
      left--;
      const n2 = f64x2.mul(n, n);
      const gna = f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(GNA, m), m), m), h);
      const gk = f64x2.mul(f64x2.mul(GK, n2), n2);
      let axial = f64x2.splat(0);
      for (let b = 0; b < K; b++)
        axial = f64x2.add(
          axial,
          f64x2.mul(v128.load(at(scratch, GC, K, b)), v128.load(at(scratch, VB, K, b))),
        );
      const num1 = f64x2.add(
        f64x2.add(v, Is),
        f64x2.mul(Kv, f64x2.add(f64x2.add(f64x2.add(f64x2.mul(gna, ENA), f64x2.mul(gk, EKV)), GLEL), axial)),
      );
      const den1 = f64x2.add(ONE, f64x2.mul(Kv, f64x2.add(f64x2.add(f64x2.add(gna, gk), GL), sumGc)));
      const v1 = f64x2.div(num1, den1);
      for (let b = 0; b < K; b++) {
        const gc = v128.load(at(scratch, GC, K, b));
        const gl = v128.load(at(scratch, GLB, K, b));
        const pV = at(scratch, VB, K, b);
        const Vb = v128.load(pV);
        let drive = f64x2.add(f64x2.mul(gl, ER), f64x2.mul(gc, v));
        let cond = f64x2.add(gl, gc);
        if (active) {
          const pm = at(scratch, BG, K, b);
          const ph = at(scratch, BG + 1, K, b);
          const pn = at(scratch, BG + 2, K, b);
          const mb = v128.load(pm);
          const hb = v128.load(ph);
          const nb = v128.load(pn);
          const nb2 = f64x2.mul(nb, nb);
          const gnab = f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(GNA, mb), mb), mb), hb);
          const gkb = f64x2.mul(f64x2.mul(GK, nb2), nb2);
          drive = f64x2.add(drive, f64x2.add(f64x2.add(f64x2.mul(gnab, ENA), f64x2.mul(gkb, EKV)), GLEL));
          cond = f64x2.add(cond, f64x2.add(f64x2.add(gnab, gkb), GL));
          rates(Vb, false);
          v128.store(pm, gate(mb, am, bm, NDT));
          v128.store(ph, gate(hb, ah, bh, NDT));
          v128.store(pn, gate(nb, an, bn, NDT));
        }
        const Ib = v128.load(at(scratch, IB, K, b));
        v128.store(
          pV,
          f64x2.div(f64x2.add(f64x2.add(Vb, Ib), f64x2.mul(Kv, drive)), f64x2.add(ONE, f64x2.mul(Kv, cond))),
        );
      }
      rates(v, false);
      m = gate(m, am, bm, NDT);
      h = gate(h, ah, bh, NDT);
      n = gate(n, an, bn, NDT);
      v = v1;
      const o0 = i + t * BN;
      const o1 = i1 + t * BN;
      if (save) {
        const q0 = S * o0;
        const q1 = S * o1;
        put(state, q0, q1, v, cnt);
        put(state, q0 + 1, q1 + 1, m, cnt);
        put(state, q0 + 2, q1 + 2, h, cnt);
        put(state, q0 + 3, q1 + 3, n, cnt);
        for (let b = 0; b < K; b++) put(state, q0 + 4 + b, q1 + 4 + b, v128.load(at(scratch, VB, K, b)), cnt);
        if (active)
          for (let b = 0; b < K; b++)
            for (let g = 0; g < 3; g++) {
              const c = 4 + K + 3 * b + g;
              put(state, q0 + c, q1 + c, v128.load(at(scratch, BG + g, K, b)), cnt);
            }
      }
      let s0: f64;
      let s1: f64;
      if (smooth) {
        s0 = prim(kind, p, f64x2.extract_lane(v, 0) - th);
        s1 = prim(kind, p, f64x2.extract_lane(v, 1) - th);
      } else {
        s0 = f64x2.extract_lane(v, 0) > cut ? 1 : 0;
        s1 = f64x2.extract_lane(v, 1) > cut ? 1 : 0;
      }
      if (rate) {
        acc0 += s0;
        acc1 += s1;
      } else put(out, o0, o1, f64x2.replace_lane(f64x2.splat(s0), 1, s1), cnt);
    }
    if (rate) put(out, i, i1, f64x2.replace_lane(f64x2.splat(acc0 / <f64>T), 1, acc1 / <f64>T), cnt);
  }
}

/**
 * BPTT over units [u0, u1) (the reference's multiBranchBackwardJs, two units per pass).
 * Accumulates into gradInput, gradCoupling and gradBranchLeak (each may be absent: pointer 0).
 * Units sharing a coupling row (the same unit of different samples) add into it in unit order,
 * so a caller splitting the units between threads must give each its own coupling gradients.
 */
export function multiBranchBackward(rec: usize, u0: i32, u1: i32): void {
  unpack(rec);
  const frames = T / R;
  const DT = f64x2.splat(dt);
  const Z = f64x2.splat(0);
  const TH = f64x2.splat(th);
  const P = f64x2.splat(p);
  const NP = f64x2.splat(-p);
  const HP = f64x2.splat(p / 2);
  const CA = f64x2.splat((Math.PI * p) / 2);
  const THREE = f64x2.splat(3);
  const FOUR = f64x2.splat(4);
  const INVT = 1 / <f64>T;
  // Per-branch arrays (f64x2 slots): |gc|, |gL_b|, their signs, λV_b, Σu_b·λV_b, dL/d|gc|,
  // dL/d|gL_b|, V_b before the step, then three of λ (m_b, h_b, n_b) and three of their values.
  const GC = 0;
  const GLB = 1;
  const SGC = 2;
  const SGL = 3;
  const DV = 4;
  const ACCB = 5;
  const GCG = 6;
  const GLG = 7;
  const VP = 8;
  const DG = 9; // 3 arrays
  const GP = 12; // 3 arrays (14 in all: MB_SCRATCH_PER_BRANCH)
  for (let i = u0; i < u1; i += 2) {
    const cnt = imin(2, u1 - i);
    const i1 = cnt == 2 ? i + 1 : i;
    const j0 = i % N;
    const j1 = i1 % N;
    const base0 = (i / N) * inW + j0;
    const base1 = (i1 / N) * inW + j1;
    let sumGc = Z;
    for (let b = 0; b < K; b++) {
      const c = pair(coupling, j0 * K + b, j1 * K + b);
      const l = pair(leak, j0 * K + b, j1 * K + b);
      const gc = f64x2.abs(c);
      v128.store(at(scratch, GC, K, b), gc);
      v128.store(at(scratch, GLB, K, b), f64x2.abs(l));
      sumGc = f64x2.add(sumGc, gc);
      v128.store(at(scratch, SGC, K, b), signOf(c));
      v128.store(at(scratch, SGL, K, b), signOf(l));
      v128.store(at(scratch, DV, K, b), Z);
      v128.store(at(scratch, ACCB, K, b), Z);
      v128.store(at(scratch, GCG, K, b), Z);
      v128.store(at(scratch, GLG, K, b), Z);
      for (let g = 0; g < 3; g++) v128.store(at(scratch, DG + g, K, b), Z);
    }
    const gRate = rate
      ? f64x2.replace_lane(
          f64x2.splat(<f64>load<f32>(gradOut + ((<usize>i) << 2)) * INVT),
          1,
          <f64>load<f32>(gradOut + ((<usize>i1) << 2)) * INVT,
        )
      : Z;
    let dv = Z;
    let dm = Z;
    let dh = Z;
    let dn = Z;
    let accS = Z;
    let left = R;
    let f = frames - 1;
    for (let t = T - 1; t >= 0; t--) {
      const o0 = i + t * BN;
      const o1 = i1 + t * BN;
      const q10 = S * o0; // the states after step t
      const q11 = S * o1;
      const v1 = pair(state, q10, q11);
      const g = rate ? gRate : pair(gradOut, o0, o1);
      dv = f64x2.add(dv, gradThrough(kind, f64x2.sub(v1, TH), g, P, NP, HP, CA));
      // The step's arguments: the states after step t − 1 (the initial state for t = 0).
      let v: v128, m: v128, h: v128, n: v128;
      if (t == 0) {
        v = ER;
        m = M0;
        h = H0;
        n = N0;
        for (let b = 0; b < K; b++) {
          v128.store(at(scratch, VP, K, b), ER);
          v128.store(at(scratch, GP, K, b), M0);
          v128.store(at(scratch, GP + 1, K, b), H0);
          v128.store(at(scratch, GP + 2, K, b), N0);
        }
      } else {
        const q0 = q10 - S * BN;
        const q1 = q11 - S * BN;
        v = pair(state, q0, q1);
        m = pair(state, q0 + 1, q1 + 1);
        h = pair(state, q0 + 2, q1 + 2);
        n = pair(state, q0 + 3, q1 + 3);
        for (let b = 0; b < K; b++) v128.store(at(scratch, VP, K, b), pair(state, q0 + 4 + b, q1 + 4 + b));
        if (active)
          for (let b = 0; b < K; b++)
            for (let c = 0; c < 3; c++) {
              const s = 4 + K + 3 * b + c;
              v128.store(at(scratch, GP + c, K, b), pair(state, q0 + s, q1 + s));
            }
      }
      const m2h = f64x2.mul(f64x2.mul(m, m), h);
      const n3 = f64x2.mul(f64x2.mul(n, n), n);
      const G = f64x2.add(
        f64x2.add(f64x2.add(f64x2.mul(f64x2.mul(GNA, m2h), m), f64x2.mul(f64x2.mul(GK, n3), n)), GL),
        sumGc,
      );
      const u = f64x2.div(ONE, f64x2.add(ONE, f64x2.mul(Kv, G)));
      const du = f64x2.mul(dv, u);
      accS = f64x2.add(accS, du);
      let fromBranches = Z;
      for (let b = 0; b < K; b++) {
        const Vb1 = pair(state, q10 + 4 + b, q11 + 4 + b);
        const gc = v128.load(at(scratch, GC, K, b));
        const pDV = at(scratch, DV, K, b);
        const dVb0 = v128.load(pDV);
        const Vp = v128.load(at(scratch, VP, K, b));
        let cond = f64x2.add(v128.load(at(scratch, GLB, K, b)), gc);
        let dVb = Z;
        if (active) {
          const pm = at(scratch, DG, K, b);
          const ph = at(scratch, DG + 1, K, b);
          const pn = at(scratch, DG + 2, K, b);
          const mb = v128.load(at(scratch, GP, K, b));
          const hb = v128.load(at(scratch, GP + 1, K, b));
          const nb = v128.load(at(scratch, GP + 2, K, b));
          const mb2h = f64x2.mul(f64x2.mul(mb, mb), hb);
          const nb3 = f64x2.mul(f64x2.mul(nb, nb), nb);
          cond = f64x2.add(
            cond,
            f64x2.add(f64x2.add(f64x2.mul(f64x2.mul(GNA, mb2h), mb), f64x2.mul(f64x2.mul(GK, nb3), nb)), GL),
          );
          const dVu = f64x2.div(f64x2.mul(dVb0, Kv), f64x2.add(ONE, f64x2.mul(Kv, cond)));
          rates(Vp, true);
          const gm = gatePartial(mb, am, bm, dam, dbm, DT, NDT);
          const em = gateKeep;
          const gh = gatePartial(hb, ah, bh, dah, dbh, DT, NDT);
          const eh = gateKeep;
          const gn = gatePartial(nb, an, bn, dan, dbn, DT, NDT);
          const en = gateKeep;
          const dmb = v128.load(pm);
          const dhb = v128.load(ph);
          const dnb = v128.load(pn);
          dVb = f64x2.add(f64x2.add(f64x2.mul(dmb, gm), f64x2.mul(dhb, gh)), f64x2.mul(dnb, gn));
          const eNa = f64x2.sub(ENA, Vb1);
          v128.store(
            pm,
            f64x2.add(
              f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(dVu, GNA), THREE), mb2h), eNa),
              f64x2.mul(dmb, em),
            ),
          );
          v128.store(
            ph,
            f64x2.add(
              f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(dVu, GNA), mb), mb), mb), eNa),
              f64x2.mul(dhb, eh),
            ),
          );
          v128.store(
            pn,
            f64x2.add(
              f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(dVu, GK), FOUR), nb3), f64x2.sub(EKV, Vb1)),
              f64x2.mul(dnb, en),
            ),
          );
        }
        const ub = f64x2.div(ONE, f64x2.add(ONE, f64x2.mul(Kv, cond)));
        const dVu = f64x2.mul(dVb0, ub);
        const pAcc = at(scratch, ACCB, K, b);
        v128.store(pAcc, f64x2.add(v128.load(pAcc), dVu));
        const pGc = at(scratch, GCG, K, b);
        v128.store(
          pGc,
          f64x2.add(
            v128.load(pGc),
            f64x2.mul(Kv, f64x2.add(f64x2.mul(f64x2.sub(Vp, v1), du), f64x2.mul(f64x2.sub(v, Vb1), dVu))),
          ),
        );
        const pGl = at(scratch, GLG, K, b);
        v128.store(pGl, f64x2.add(v128.load(pGl), f64x2.mul(f64x2.mul(Kv, f64x2.sub(ER, Vb1)), dVu)));
        fromBranches = f64x2.add(fromBranches, f64x2.mul(f64x2.mul(dVu, Kv), gc));
        v128.store(pDV, f64x2.add(f64x2.add(f64x2.mul(f64x2.mul(du, Kv), gc), dVu), dVb));
      }
      if (tv && --left == 0) {
        if (gradInput != 0) {
          const x0 = base0 + f * frame;
          const x1 = base1 + f * frame;
          for (let b = 0; b < K; b++) {
            const pAcc = at(scratch, ACCB, K, b);
            addTo(gradInput, x0 + b * N, x1 + b * N, f64x2.mul(KIN, v128.load(pAcc)), cnt);
            v128.store(pAcc, Z);
          }
          if (soma) addTo(gradInput, x0 + K * N, x1 + K * N, f64x2.mul(KIN, accS), cnt);
        }
        accS = Z;
        left = R;
        f--;
      }
      if (t == 0) break; // the initial state is a constant
      rates(v, true);
      const gm = gatePartial(m, am, bm, dam, dbm, DT, NDT);
      const em = gateKeep;
      const gh = gatePartial(h, ah, bh, dah, dbh, DT, NDT);
      const eh = gateKeep;
      const gn = gatePartial(n, an, bn, dan, dbn, DT, NDT);
      const en = gateKeep;
      const dvPrev = f64x2.add(
        f64x2.add(f64x2.add(f64x2.add(du, fromBranches), f64x2.mul(dm, gm)), f64x2.mul(dh, gh)),
        f64x2.mul(dn, gn),
      );
      const eNa = f64x2.sub(ENA, v1);
      dm = f64x2.add(
        f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(du, Kv), GNA), THREE), m2h), eNa),
        f64x2.mul(dm, em),
      );
      dh = f64x2.add(
        f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(du, Kv), GNA), m), m), m), eNa),
        f64x2.mul(dh, eh),
      );
      dn = f64x2.add(
        f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(du, Kv), GK), FOUR), n3), f64x2.sub(EKV, v1)),
        f64x2.mul(dn, en),
      );
      dv = dvPrev;
    }
    if (!tv && gradInput != 0) {
      for (let b = 0; b < K; b++)
        addTo(
          gradInput,
          base0 + b * N,
          base1 + b * N,
          f64x2.mul(KIN, v128.load(at(scratch, ACCB, K, b))),
          cnt,
        );
      if (soma) addTo(gradInput, base0 + K * N, base1 + K * N, f64x2.mul(KIN, accS), cnt);
    }
    for (let b = 0; b < K; b++) {
      const a0 = j0 * K + b;
      const a1 = j1 * K + b;
      if (gradCoupling != 0)
        addTo(
          gradCoupling,
          a0,
          a1,
          f64x2.mul(v128.load(at(scratch, SGC, K, b)), v128.load(at(scratch, GCG, K, b))),
          cnt,
        );
      if (gradLeak != 0)
        addTo(
          gradLeak,
          a0,
          a1,
          f64x2.mul(v128.load(at(scratch, SGL, K, b)), v128.load(at(scratch, GLG, K, b))),
          cnt,
        );
    }
  }
}
