/**
 * Reference (plain TypeScript) fused multi-step spiking kernels: forward over all T steps in one
 * call, saving what backward needs, and hand-derived backprop through time.
 *
 * Loops run neuron-outer, time-inner, so each neuron's state lives in locals (float64) for all T
 * steps and nothing is allocated inside the loops; spikes are computed without branches (spike
 * patterns are data-dependent, so branches would mispredict). The saved buffers hold the states
 * rounded to float32, and the forward decides spikes with a float32-aware cut (spikeCut) so that
 * H(saved u − θ), which backward recomputes, always equals the spike the forward emitted.
 *
 * A time-varying input frame serves R = inputRepeat consecutive steps: the forward reads a frame
 * (learning HH: scales it by dt/C) when the frame starts, backward sums the frame's input gradient
 * over its steps in float64, like the whole-run sum of a static input, and adds it once; both count
 * the frame's steps down in `left`, apart from the per-step offsets of outputs and saved states.
 *
 * Layouts and conventions: see spiking-types.ts.
 */
import {
  LearningHhBackwardArgs,
  LearningHhForwardArgs,
  LifBackwardArgs,
  LifForwardArgs,
  SURROGATE_ARCTAN,
  SURROGATE_FAST_SIGMOID,
  SURROGATE_RECTANGULAR,
  SURROGATE_SIGMOID,
  Slif2hhBackwardArgs,
  Slif2hhForwardArgs,
} from '../spiking-types.js';
import {
  checkBase,
  checkInputGradFactor,
  checkLearningHh,
  checkLearningHhTrajectory,
  checkLen,
  float32Step,
  inputRepeatOf,
  ioLengths,
} from '../spiking-checks.js';
import { surrogatePrimitiveAt } from '../spiking/surrogates.js';
import * as exact from '../../util/exact-math.js';

export { surrogateGradAt, surrogatePrimitiveAt } from '../spiking/surrogates.js';

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/**
 * The double τ with (u > τ) ⇔ (fround(u) > θ) for every double u, so the forward can decide
 * spikes on its float64 state exactly as backward decides them on the float32 saved state.
 */
export function spikeCut(threshold: number): number {
  if (!Number.isFinite(threshold) || Math.abs(threshold) >= 3.4e38) return threshold;
  let c = Math.fround(threshold);
  if (c <= threshold) c = float32Step(c, true); // the smallest float32 above θ
  const b = float32Step(c, false); // the largest float32 ≤ θ
  const mid = (b + c) / 2; // exact in float64
  if (Math.fround(mid) !== c) return mid; // the tie rounds down to b: spike iff u > mid
  f64[0] = mid; // the tie rounds up to c: spike iff u ≥ mid, i.e. u > the double below mid
  u64[0] += mid > 0 ? -1n : 1n;
  return f64[0];
}

/**
 * Fills sg[at + t] (t < count) with the surrogate derivative at src[offset + t·stride] − θ, and,
 * in smooth mode only, sp[at + t] with the forward's smooth spike (hard spikes are recomputed
 * inline as (u > θ) | 0). The switch on the surrogate id is hoisted out of the loops, and the
 * rectangular window is evaluated without branches (spike patterns are data-dependent, so
 * branches would mispredict).
 */
function surrogateColumn(
  kind: number,
  p: number,
  th: number,
  smooth: boolean,
  src: Float32Array,
  offset: number,
  stride: number,
  count: number,
  sg: Float64Array,
  sp: Float64Array,
  at: number,
): void {
  switch (kind) {
    case SURROGATE_RECTANGULAR:
      for (let t = 0, o = offset; t < count; t++, o += stride) {
        const x = src[o] - th;
        sg[at + t] = +(x > -p) & +(x < p);
      }
      break;
    case SURROGATE_SIGMOID:
      for (let t = 0, o = offset; t < count; t++, o += stride) {
        const e = 1 / (1 + exact.exp(-p * (src[o] - th)));
        sg[at + t] = p * e * (1 - e);
      }
      break;
    case SURROGATE_ARCTAN: {
      const c = (Math.PI * p) / 2;
      const h = p / 2;
      for (let t = 0, o = offset; t < count; t++, o += stride) {
        const z = c * (src[o] - th);
        sg[at + t] = h / (1 + z * z);
      }
      break;
    }
    case SURROGATE_FAST_SIGMOID: {
      const h = p / 2;
      for (let t = 0, o = offset; t < count; t++, o += stride) {
        const d = 1 + p * Math.abs(src[o] - th);
        sg[at + t] = h / (d * d);
      }
      break;
    }
    default:
      throw new RangeError(`unknown surrogate id ${kind}`);
  }
  if (smooth) {
    for (let t = 0, o = offset; t < count; t++, o += stride)
      sp[at + t] = surrogatePrimitiveAt(kind, p, src[o] - th);
  }
}

/**
 * The rectangular window (the default, reference surrogate) is cheap enough to evaluate inline
 * in the backward recurrences (a branch-free compare pair); the others go through surrogateColumn.
 */
function inlineRectangular(kind: number, smooth: boolean): boolean {
  return kind === SURROGATE_RECTANGULAR && !smooth;
}

// ---------------------------------------------------------------------------------------------
// Argument checks (cheap, once per call)

// ---------------------------------------------------------------------------------------------
// LIF

export function lifForwardJs(a: LifForwardArgs): void {
  checkBase(a, 'lifForward');
  const { batch, neurons, steps: T, timeVarying, rateOutput, smooth, decay, input, out, mem } = a;
  const BN = batch * neurons;
  const { inLen, outLen } = ioLengths(a, neurons, neurons);
  checkLen('lifForward', 'input', input, inLen);
  checkLen('lifForward', 'out', out, outLen);
  checkLen('lifForward', 'mem', mem, T * BN);
  const th = a.threshold;
  const cut = spikeCut(th);
  const kind = a.surrogate;
  const p = a.surrogateParam;
  const invT = 1 / T;
  const R = inputRepeatOf(a);
  for (let i = 0; i < BN; i++) {
    let m = 0;
    let s = 0;
    let acc = 0;
    let x = input[i];
    for (let t = 0, o = i, xo = i, left = 0; t < T; t++, o += BN) {
      if (timeVarying && left-- === 0) {
        x = input[xo];
        xo += BN;
        left = R - 1;
      }
      m = decay * m * (1 - s) + x;
      if (mem) mem[o] = m;
      s = smooth ? surrogatePrimitiveAt(kind, p, m - th) : +(m > cut);
      if (rateOutput) acc += s;
      else out[o] = s;
    }
    if (rateOutput) out[i] = acc * invT;
  }
}

export function lifBackwardJs(a: LifBackwardArgs): void {
  checkBase(a, 'lifBackward');
  const {
    batch,
    neurons,
    steps: T,
    timeVarying,
    rateOutput,
    smooth,
    decay,
    detachReset,
    mem,
    gradOut,
    gradInput,
  } = a;
  const { threshold: th, surrogate: kind, surrogateParam: p } = a;
  const BN = batch * neurons;
  const { inLen, outLen } = ioLengths(a, neurons, neurons);
  checkLen('lifBackward', 'mem', mem, T * BN);
  checkLen('lifBackward', 'gradOut', gradOut, outLen);
  checkLen('lifBackward', 'gradInput', gradInput, inLen);
  const invT = 1 / T;
  const sg = new Float64Array(T);
  const sp = new Float64Array(T);
  const reset = detachReset ? 0 : decay;
  const rect = inlineRectangular(kind, smooth);
  const R = inputRepeatOf(a);
  const lastFrame = (T / R - 1) * BN;
  for (let i = 0; i < BN; i++) {
    if (!rect) surrogateColumn(kind, p, th, smooth, mem, i, BN, T, sg, sp, 0);
    const gRate = rateOutput ? gradOut[i] * invT : 0;
    let next = 0; // dL/dmem[t+1]
    let acc = 0; // input gradient summed over the frame (static input: over all steps)
    for (let t = T - 1, o = i + (T - 1) * BN, xo = i + lastFrame, left = R; t >= 0; t--, o -= BN) {
      const m = mem[o];
      const x = m - th;
      const sgt = rect ? +(x > -p) & +(x < p) : sg[t];
      const s = smooth ? sp[t] : +(m > th);
      const ds = (rateOutput ? gRate : gradOut[o]) - reset * m * next;
      const dm = ds * sgt + decay * (1 - s) * next;
      acc += dm;
      if (timeVarying && --left === 0) {
        gradInput[xo] += acc;
        acc = 0;
        left = R;
        xo -= BN;
      }
      next = dm;
    }
    if (!timeVarying) gradInput[i] += acc;
  }
}

// ---------------------------------------------------------------------------------------------
// Learning HH (rates are per-neuron constants, so the gates do not depend on v or on the input:
// they are one trajectory per neuron, shared by the batch, and v obeys a linear recurrence
// v[t] = A[t]·v[t−1] + (dt/C)·I[t] + c[t] with per-neuron coefficients.)

interface LearningHhTables {
  /** Gates used at step t (their values after step t − 1; zero at t = 0), [T][N] each. */
  n: Float64Array;
  m: Float64Array;
  h: Float64Array;
  /** v[t] = A[t]·v[t−1] + k·I[t] + c[t], [T][N]. */
  A: Float64Array;
  c: Float64Array;
}

function learningHhTables(a: LearningHhForwardArgs | LearningHhBackwardArgs): LearningHhTables {
  const { neurons: N, steps: T, dt, rates } = a;
  const { C, gNa, gK, gL, ENa, EK, EL } = a.constants;
  const tab: LearningHhTables = {
    n: new Float64Array(T * N),
    m: new Float64Array(T * N),
    h: new Float64Array(T * N),
    A: new Float64Array(T * N),
    c: new Float64Array(T * N),
  };
  for (let j = 0; j < N; j++) {
    const d = dt[j];
    const an = rates[j];
    const bn = rates[N + j];
    const am = rates[2 * N + j];
    const bm = rates[3 * N + j];
    const ah = rates[4 * N + j];
    const bh = rates[5 * N + j];
    const k = d / C;
    let n = 0;
    let m = 0;
    let h = 0;
    for (let t = 0, o = j; t < T; t++, o += N) {
      tab.n[o] = n;
      tab.m[o] = m;
      tab.h[o] = h;
      const gna = gNa * m * m * m * h;
      const n2 = n * n;
      const gk = gK * n2 * n2;
      tab.A[o] = 1 - k * (gna + gk + gL);
      tab.c[o] = k * (gna * ENa + gk * EK + gL * EL);
      const n1 = n + d * (an * (1 - n) - bn * n);
      const m1 = m + d * (am * (1 - m) - bm * m);
      const h1 = h + d * (ah * (1 - h) - bh * h);
      n = n1;
      m = m1;
      h = h1;
    }
  }
  return tab;
}

export function learningHhForwardJs(a: LearningHhForwardArgs): void {
  checkLearningHh(a, 'learningHhForward');
  const { batch, neurons: N, steps: T, timeVarying, rateOutput, smooth, input, out, v: saved, dt } = a;
  const BN = batch * N;
  const { inLen, outLen } = ioLengths(a, N, N);
  checkLen('learningHhForward', 'input', input, inLen);
  checkLen('learningHhForward', 'out', out, outLen);
  checkLen('learningHhForward', 'v', saved, T * BN);
  const factor = a.inputGradFactor ?? null;
  if (factor) checkInputGradFactor(a, factor, 'learningHhForward');
  const detach = a.detachIonic ?? false;
  const { A, c } = learningHhTables(a);
  const th = a.threshold;
  const cut = spikeCut(th);
  const kind = a.surrogate;
  const p = a.surrogateParam;
  const invC = 1 / a.constants.C;
  const invT = 1 / T;
  const R = inputRepeatOf(a);
  for (let b = 0, i = 0; b < batch; b++) {
    for (let j = 0; j < N; j++, i++) {
      const k = dt[j] * invC;
      let x = k * input[i];
      let v = 0;
      let acc = 0;
      let P = 0; // dv[t]/dx (backward's dv[t]/dv[t−1] products summed), for the factor
      let F = 0;
      for (let t = 0, o = i, q = j, xo = i, left = 0; t < T; t++, o += BN, q += N) {
        if (timeVarying && left-- === 0) {
          x = k * input[xo]; // once per frame
          xo += BN;
          left = R - 1;
        }
        v = A[q] * v + x + c[q];
        if (saved) saved[o] = v;
        const s = smooth ? surrogatePrimitiveAt(kind, p, v - th) : +(v > cut);
        if (rateOutput) acc += s;
        else out[o] = s;
        if (factor) {
          // The backward's window test, on v as saved (float32).
          P = detach ? P + 1 : A[q] * P + 1;
          const d = Math.fround(v) - th;
          if (d > -p && d < p) F += P;
        }
      }
      if (rateOutput) out[i] = acc * invT;
      if (factor) factor[i] = k * F;
    }
  }
}

/** Backward from the forward's input gradient factor: dL/dI += (dL/drate / T)·F. */
export function learningHhFactorBackward(a: LearningHhBackwardArgs, factor: Float32Array): void {
  const { gradOut, gradInput } = a;
  if (!gradInput) return;
  const invT = 1 / a.steps;
  for (let i = 0; i < factor.length; i++) gradInput[i] += gradOut[i] * invT * factor[i];
}

/**
 * v as the forward would have saved it, rerun by `forward` (a backend's learningHhForward) from
 * the backward's input (given: checked).
 */
export function recomputeLearningHhV(
  a: LearningHhBackwardArgs,
  forward: (f: LearningHhForwardArgs) => void = learningHhForwardJs,
): Float32Array {
  const v = new Float32Array(a.steps * a.batch * a.neurons);
  const out = new Float32Array(ioLengths(a, a.neurons, a.neurons).outLen);
  forward({ ...a, input: a.input!, out, v, inputGradFactor: null });
  return v;
}

export function learningHhBackwardJs(a: LearningHhBackwardArgs): void {
  checkLearningHh(a, 'learningHhBackward');
  const { batch, neurons: N, steps: T, timeVarying, rateOutput, smooth, detachIonic, dt } = a;
  const { threshold: th, surrogate: kind, surrogateParam: p } = a;
  const { gradOut, gradInput } = a;
  const gradRates = detachIonic ? null : a.gradRates;
  const BN = batch * N;
  const { inLen, outLen } = ioLengths(a, N, N);
  checkLearningHhTrajectory(a, 'learningHhBackward');
  checkLen('learningHhBackward', 'gradOut', gradOut, outLen);
  checkLen('learningHhBackward', 'gradInput', gradInput, inLen);
  checkLen('learningHhBackward', 'gradRates', a.gradRates, 6 * N);
  if (!gradInput && !gradRates) return;
  if (a.inputGradFactor) return learningHhFactorBackward(a, a.inputGradFactor);
  const saved = a.v ?? recomputeLearningHhV(a);
  const tab = learningHhTables(a);
  const A = tab.A;
  const invC = 1 / a.constants.C;
  const invT = 1 / T;
  // Per-neuron batch sums of dL/dA[t] and dL/dc[t] (only needed for the rate gradients).
  const sumA = gradRates ? new Float64Array(T * N) : null;
  const sumC = gradRates ? new Float64Array(T * N) : null;
  const sg = new Float64Array(T);
  const sp = new Float64Array(T);
  const rect = inlineRectangular(kind, smooth);
  const R = inputRepeatOf(a);
  const lastFrame = (T / R - 1) * BN;
  for (let b = 0, i = 0; b < batch; b++) {
    for (let j = 0; j < N; j++, i++) {
      if (!rect) surrogateColumn(kind, p, th, smooth, saved, i, BN, T, sg, sp, 0);
      const k = dt[j] * invC;
      const gRate = rateOutput ? gradOut[i] * invT : 0;
      let carry = 0; // dL/dv[t] arriving from step t + 1
      let acc = 0; // input gradient summed over the frame (static input: over all steps)
      let xo = i + lastFrame;
      let left = R;
      for (let t = T - 1, o = i + (T - 1) * BN, q = j + (T - 1) * N; t >= 0; t--, o -= BN, q -= N) {
        const x = saved[o] - th;
        const dv = (rateOutput ? gRate : gradOut[o]) * (rect ? +(x > -p) & +(x < p) : sg[t]) + carry;
        acc += dv;
        if (timeVarying && --left === 0) {
          if (gradInput) gradInput[xo] += k * acc;
          acc = 0;
          left = R;
          xo -= BN;
        }
        if (sumA && sumC) {
          sumA[q] += dv * (t > 0 ? saved[o - BN] : 0);
          sumC[q] += dv;
        }
        carry = detachIonic ? dv : A[q] * dv;
      }
      if (!timeVarying && gradInput) gradInput[i] += k * acc;
    }
  }
  if (!gradRates || !sumA || !sumC) return;
  const { gNa, gK, ENa, EK } = a.constants;
  const { n: gn, m: gm, h: gh } = tab;
  for (let j = 0; j < N; j++) {
    const d = dt[j];
    const k = d * invC;
    const an = a.rates[j];
    const bn = a.rates[N + j];
    const am = a.rates[2 * N + j];
    const bm = a.rates[3 * N + j];
    const ah = a.rates[4 * N + j];
    const bh = a.rates[5 * N + j];
    const keepN = 1 - d * (an + bn);
    const keepM = 1 - d * (am + bm);
    const keepH = 1 - d * (ah + bh);
    // Gate x_t (t = 0..T−2) feeds A[t+1], c[t+1] and x_{t+1}; x_{T−1} feeds nothing.
    let dn = 0;
    let dm = 0;
    let dh = 0;
    let gan = 0;
    let gbn = 0;
    let gam = 0;
    let gbm = 0;
    let gah = 0;
    let gbh = 0;
    for (let t = T - 2; t >= 0; t--) {
      const q1 = (t + 1) * N + j; // step t + 1 uses x_t
      const n = gn[q1];
      const m = gm[q1];
      const h = gh[q1];
      // A = 1 − k·G, c = k·E with G ∋ gna, gk and E ∋ gna·ENa, gk·EK.
      const dgna = k * (ENa * sumC[q1] - sumA[q1]);
      const dgk = k * (EK * sumC[q1] - sumA[q1]);
      dn = dgk * gK * 4 * n * n * n + dn * keepN;
      dm = dgna * gNa * 3 * m * m * h + dm * keepM;
      dh = dgna * gNa * m * m * m + dh * keepH;
      // x_t = x_{t−1}·(1 − d(α + β)) + d·α, with x_{−1} = 0.
      const q0 = t * N + j;
      const np = gn[q0];
      const mp = gm[q0];
      const hp = gh[q0];
      gan += dn * d * (1 - np);
      gbn -= dn * d * np;
      gam += dm * d * (1 - mp);
      gbm -= dm * d * mp;
      gah += dh * d * (1 - hp);
      gbh -= dh * d * hp;
    }
    gradRates[j] += gan;
    gradRates[N + j] += gbn;
    gradRates[2 * N + j] += gam;
    gradRates[3 * N + j] += gbm;
    gradRates[4 * N + j] += gah;
    gradRates[5 * N + j] += gbh;
  }
}

// ---------------------------------------------------------------------------------------------
// s-LIF2HH

export function slif2hhForwardJs(a: Slif2hhForwardArgs): void {
  checkBase(a, 'slif2hhForward');
  const { batch, neurons: N, steps: T, timeVarying, rateOutput, smooth, decay, weights, input, out, mem } = a;
  const BN = batch * N;
  const { inLen, outLen } = ioLengths(a, 3 * N, 4 * N);
  checkLen('slif2hhForward', 'weights', weights, 3 * N);
  checkLen('slif2hhForward', 'input', input, inLen);
  checkLen('slif2hhForward', 'out', out, outLen);
  checkLen('slif2hhForward', 'mem', mem, 4 * T * BN);
  const th = a.threshold;
  const cut = spikeCut(th);
  const kind = a.surrogate;
  const p = a.surrogateParam;
  const invT = 1 / T;
  const inStep = timeVarying ? batch * 3 * N : 0;
  const outStep = rateOutput ? 0 : batch * 4 * N;
  const R = inputRepeatOf(a);
  for (let b = 0, i = 0; b < batch; b++) {
    for (let j = 0; j < N; j++, i++) {
      const w1 = Math.abs(weights[3 * j]);
      const w2 = Math.abs(weights[3 * j + 1]);
      const w3 = Math.abs(weights[3 * j + 2]);
      let m1 = 0;
      let m2 = 0;
      let m3 = 0;
      let m4 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let a4 = 0;
      const inBase = b * 3 * N + j;
      const outBase = b * 4 * N + j;
      for (let t = 0, o = i, xi = inBase, left = R; t < T; t++, o += BN) {
        m1 = decay * m1 * (1 - s1) + input[xi];
        m2 = decay * m2 * (1 - s2) + input[xi + N];
        m3 = decay * m3 * (1 - s3) + input[xi + 2 * N];
        if (--left === 0) {
          left = R;
          xi += inStep;
        }
        m4 = decay * m4 * (1 - s4) + (w1 * m1 + w2 * m2 + w3 * m3);
        if (mem) {
          mem[4 * o] = m1;
          mem[4 * o + 1] = m2;
          mem[4 * o + 2] = m3;
          mem[4 * o + 3] = m4;
        }
        if (smooth) {
          s1 = surrogatePrimitiveAt(kind, p, m1 - th);
          s2 = surrogatePrimitiveAt(kind, p, m2 - th);
          s3 = surrogatePrimitiveAt(kind, p, m3 - th);
          s4 = surrogatePrimitiveAt(kind, p, m4 - th);
        } else {
          s1 = +(m1 > cut);
          s2 = +(m2 > cut);
          s3 = +(m3 > cut);
          s4 = +(m4 > cut);
        }
        if (rateOutput) {
          a1 += s1;
          a2 += s2;
          a3 += s3;
          a4 += s4;
        } else {
          const yo = outBase + t * outStep;
          out[yo] = s1;
          out[yo + N] = s2;
          out[yo + 2 * N] = s3;
          out[yo + 3 * N] = s4;
        }
      }
      if (rateOutput) {
        out[outBase] = a1 * invT;
        out[outBase + N] = a2 * invT;
        out[outBase + 2 * N] = a3 * invT;
        out[outBase + 3 * N] = a4 * invT;
      }
    }
  }
}

export function slif2hhBackwardJs(a: Slif2hhBackwardArgs): void {
  checkBase(a, 'slif2hhBackward');
  const {
    batch,
    neurons: N,
    steps: T,
    timeVarying,
    rateOutput,
    smooth,
    decay,
    detachReset,
    weights,
    mem,
  } = a;
  const { gradOut, gradInput, gradWeights } = a;
  const { threshold: th, surrogate: kind, surrogateParam: p } = a;
  const BN = batch * N;
  const { inLen, outLen } = ioLengths(a, 3 * N, 4 * N);
  checkLen('slif2hhBackward', 'weights', weights, 3 * N);
  checkLen('slif2hhBackward', 'mem', mem, 4 * T * BN);
  checkLen('slif2hhBackward', 'gradOut', gradOut, outLen);
  checkLen('slif2hhBackward', 'gradInput', gradInput, inLen);
  checkLen('slif2hhBackward', 'gradWeights', gradWeights, 3 * N);
  if (!gradInput && !gradWeights) return;
  const invT = 1 / T;
  const reset = detachReset ? 0 : decay;
  const inStep = timeVarying ? batch * 3 * N : 0;
  const outStep = rateOutput ? 0 : batch * 4 * N;
  const gScale = rateOutput ? invT : 1;
  const R = inputRepeatOf(a);
  const lastFrame = (T / R - 1) * inStep;
  // Columns k·T + t for the four LIFs of one unit.
  const sg = new Float64Array(4 * T);
  const sp = new Float64Array(4 * T);
  const rect = inlineRectangular(kind, smooth);
  for (let b = 0, i = 0; b < batch; b++) {
    for (let j = 0; j < N; j++, i++) {
      if (!rect)
        for (let q = 0; q < 4; q++)
          surrogateColumn(kind, p, th, smooth, mem, 4 * i + q, 4 * BN, T, sg, sp, q * T);
      const w1 = weights[3 * j];
      const w2 = weights[3 * j + 1];
      const w3 = weights[3 * j + 2];
      const aw1 = Math.abs(w1);
      const aw2 = Math.abs(w2);
      const aw3 = Math.abs(w3);
      const inBase = b * 3 * N + j;
      const outBase = b * 4 * N + j;
      let n1 = 0; // dL/dmem_k[t+1]
      let n2 = 0;
      let n3 = 0;
      let n4 = 0;
      let c1 = 0; // input-gradient sums over the frame (static input: over all steps)
      let c2 = 0;
      let c3 = 0;
      let gw1 = 0;
      let gw2 = 0;
      let gw3 = 0;
      for (let t = T - 1, o = i + (T - 1) * BN, xi = inBase + lastFrame, left = R; t >= 0; t--, o -= BN) {
        const yo = outBase + t * outStep;
        const m1 = mem[4 * o];
        const m2 = mem[4 * o + 1];
        const m3 = mem[4 * o + 2];
        const m4 = mem[4 * o + 3];
        // Reset keep factors 1 − s_k[t].
        const k1 = smooth ? 1 - sp[t] : 1 - +(m1 > th);
        const k2 = smooth ? 1 - sp[T + t] : 1 - +(m2 > th);
        const k3 = smooth ? 1 - sp[2 * T + t] : 1 - +(m3 > th);
        const k4 = smooth ? 1 - sp[3 * T + t] : 1 - +(m4 > th);
        let g1: number, g2: number, g3: number, g4: number; // surrogate derivatives
        if (rect) {
          const x1 = m1 - th;
          const x2 = m2 - th;
          const x3 = m3 - th;
          const x4 = m4 - th;
          g1 = +(x1 > -p) & +(x1 < p);
          g2 = +(x2 > -p) & +(x2 < p);
          g3 = +(x3 > -p) & +(x3 < p);
          g4 = +(x4 > -p) & +(x4 < p);
        } else {
          g1 = sg[t];
          g2 = sg[T + t];
          g3 = sg[2 * T + t];
          g4 = sg[3 * T + t];
        }
        const d4 = (gradOut[yo + 3 * N] * gScale - reset * m4 * n4) * g4 + decay * k4 * n4;
        gw1 += d4 * m1;
        gw2 += d4 * m2;
        gw3 += d4 * m3;
        const d1 = (gradOut[yo] * gScale - reset * m1 * n1) * g1 + decay * k1 * n1 + aw1 * d4;
        const d2 = (gradOut[yo + N] * gScale - reset * m2 * n2) * g2 + decay * k2 * n2 + aw2 * d4;
        const d3 = (gradOut[yo + 2 * N] * gScale - reset * m3 * n3) * g3 + decay * k3 * n3 + aw3 * d4;
        c1 += d1;
        c2 += d2;
        c3 += d3;
        if (timeVarying && --left === 0) {
          if (gradInput) {
            gradInput[xi] += c1;
            gradInput[xi + N] += c2;
            gradInput[xi + 2 * N] += c3;
          }
          c1 = c2 = c3 = 0;
          left = R;
          xi -= inStep;
        }
        n1 = d1;
        n2 = d2;
        n3 = d3;
        n4 = d4;
      }
      if (!timeVarying && gradInput) {
        gradInput[inBase] += c1;
        gradInput[inBase + N] += c2;
        gradInput[inBase + 2 * N] += c3;
      }
      if (gradWeights) {
        // d|w|/dw = sign(w), 0 at w = 0 (PyTorch's abs convention).
        gradWeights[3 * j] += Math.sign(w1) * gw1;
        gradWeights[3 * j + 1] += Math.sign(w2) * gw2;
        gradWeights[3 * j + 2] += Math.sign(w3) * gw3;
      }
    }
  }
}
