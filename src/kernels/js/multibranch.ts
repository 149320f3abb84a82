/**
 * Fused multi-step kernels of the trainable multi-branch neuron (nn/multibranch.ts): each unit is
 * an HH soma (shifted convention, voltage-dependent rates, as the full-HH kernel) coupled through
 * axial conductances to K passive dendritic branches, one compartment each, every branch driven by
 * its own input current. Forward Euler with step dt from the previous step's values (the
 * integrator of the full-HH layer, spiking.ts), for v the soma potential and V_b the branch
 * potentials (b = 1..K):
 *
 *   C dv/dt   = I_s − ḡNa m³h (v − ENa) − ḡK n⁴ (v − EK) − gL (v − EL) + Σ_b |gc_b| (V_b − v)
 *   C dV_b/dt = I_b − |gL_b| (V_b − E_b) + |gc_b| (v − V_b)
 *   dx/dt     = αx(v) (1 − x) − βx(v) x      (x = m, h, n)
 *
 * with I = inputScale·(the input current), E_b = the soma's resting potential (so the whole cell
 * rests at the HH resting state for any coupling and branch leak: the initial state does not
 * depend on the learnable parameters) and s[t] = H(v[t] − θ), no reset. The coupling gc and the
 * branch leak gL_b are per unit and branch, [N][K], used through |·| (conductances stay
 * non-negative while the raw parameters learn freely; the gradient is sign(g)·dL/d|g|).
 *
 * Layouts (spiking-types.ts conventions): input per sample is [(K + somaInput)·N] in blocks of N,
 * [I_1|…|I_K] then, with somaInput, [I_s]; output the soma spikes (or rate) [B·N]; the saved
 * states [T][B·N][4 + K] are (v, m, h, n, V_1..V_K) after each step (float32). Backward is the
 * hand-derived adjoint of the Euler step (see docs/compartments.md), surrogate derivative at the
 * soma's spike. Plain TypeScript only: there is no WASM version (the declared-model machinery that
 * generates WASM kernels handles one input current per neuron).
 */
import type { HhInitialState, HhMembraneConstants, SpikingKernelBase } from '../spiking-types.js';
import { checkBase, checkLen, inputRepeatOf, ioLengths } from '../spiking-checks.js';
import { surrogateGradAt, surrogatePrimitiveAt } from '../spiking/surrogates.js';
import { hhRatesWithDerivatives, spikeCut } from './spiking.js';

export interface MultiBranchBase extends SpikingKernelBase {
  /** K: dendritic branches per unit (≥ 1). */
  branches: number;
  /** The input carries one more block per sample: a current injected into the soma. */
  somaInput: boolean;
  /** Soma membrane (shifted convention); C is also the branches' capacitance. */
  constants: HhMembraneConstants;
  /** Euler step, ms. */
  dt: number;
  /** Factor from input values to µA/cm². */
  inputScale: number;
  /** Resting state of the soma: the state at t = −1 (branches at initial.v, their E_b). */
  initial: HhInitialState;
  /** Raw coupling conductances [N][K] (mS/cm², used as |gc|). */
  coupling: Float32Array;
  /** Raw branch leak conductances [N][K] (mS/cm², used as |gL_b|). */
  branchLeak: Float32Array;
}

export interface MultiBranchForwardArgs extends MultiBranchBase {
  input: Float32Array;
  out: Float32Array;
  /** Saved states [T][B·N][4 + K], or null. */
  state: Float32Array | null;
}

export interface MultiBranchBackwardArgs extends MultiBranchBase {
  state: Float32Array;
  gradOut: Float32Array;
  /** Accumulates dL/dInput (input layout), or null. */
  gradInput: Float32Array | null;
  /** Accumulate dL/d(raw coupling) and dL/d(raw branch leak) [N][K], or null. */
  gradCoupling: Float32Array | null;
  gradBranchLeak: Float32Array | null;
}

/** States saved per neuron and step. */
export function multiBranchStateWidth(branches: number): number {
  return 4 + branches;
}

function checkMultiBranch(a: MultiBranchBase, where: string): { inW: number; S: number } {
  checkBase(a, where);
  const K = a.branches;
  if (!Number.isInteger(K) || K < 1)
    throw new RangeError(`${where}: branches must be an integer ≥ 1, got ${K}`);
  if (!(a.dt > 0) || !Number.isFinite(a.dt)) throw new RangeError(`${where}: dt must be > 0, got ${a.dt}`);
  if (!Number.isFinite(a.inputScale)) throw new RangeError(`${where}: inputScale must be finite`);
  if (!(a.constants.C > 0)) throw new RangeError(`${where}: C must be > 0, got ${a.constants.C}`);
  checkLen(where, 'coupling', a.coupling, a.neurons * K);
  checkLen(where, 'branchLeak', a.branchLeak, a.neurons * K);
  return { inW: (K + (a.somaInput ? 1 : 0)) * a.neurons, S: 4 + K };
}

export function multiBranchForwardJs(a: MultiBranchForwardArgs): void {
  const where = 'multiBranchForward';
  const { inW, S } = checkMultiBranch(a, where);
  const { batch, neurons: N, steps: T, branches: K, timeVarying, rateOutput, smooth } = a;
  const { input, out, state, dt, initial, coupling, branchLeak, somaInput } = a;
  const BN = batch * N;
  const { inLen, outLen } = ioLengths(a, inW, N);
  checkLen(where, 'input', input, inLen);
  checkLen(where, 'out', out, outLen);
  checkLen(where, 'state', state, S * T * BN);
  const { C, gNa, gK, gL, ENa, EK, EL } = a.constants;
  const k = dt / C;
  const kIn = k * a.inputScale;
  const th = a.threshold;
  const cut = spikeCut(th);
  const kind = a.surrogate;
  const p = a.surrogateParam;
  const R = inputRepeatOf(a);
  const Er = initial.v;
  const r = new Float64Array(14);
  const gc = new Float64Array(K);
  const gl = new Float64Array(K);
  const V = new Float64Array(K);
  const I = new Float64Array(K);
  const frame = batch * inW;
  for (let i = 0; i < BN; i++) {
    const j = i % N;
    const base = ((i - j) / N) * inW + j; // this neuron's first block, frame 0
    for (let b = 0; b < K; b++) {
      gc[b] = Math.abs(coupling[j * K + b]);
      gl[b] = Math.abs(branchLeak[j * K + b]);
      V[b] = Er;
    }
    let v = initial.v;
    let m = initial.m;
    let h = initial.h;
    let n = initial.n;
    let Is = 0;
    let acc = 0;
    for (let t = 0, o = i, xo = base, left = 0; t < T; t++, o += BN) {
      if (t === 0 || (timeVarying && left === 0)) {
        for (let b = 0; b < K; b++) I[b] = kIn * input[xo + b * N];
        Is = somaInput ? kIn * input[xo + K * N] : 0;
        if (timeVarying) xo += frame;
        left = R;
      }
      left--;
      hhRatesWithDerivatives(v, r);
      const n2 = n * n;
      let axial = 0;
      for (let b = 0; b < K; b++) axial += gc[b] * (V[b] - v);
      const v1 =
        v + Is + k * (axial - gNa * m * m * m * h * (v - ENa) - gK * n2 * n2 * (v - EK) - gL * (v - EL));
      for (let b = 0; b < K; b++) V[b] += I[b] + k * (gc[b] * (v - V[b]) - gl[b] * (V[b] - Er));
      m += dt * (r[0] * (1 - m) - r[1] * m);
      h += dt * (r[2] * (1 - h) - r[3] * h);
      n += dt * (r[4] * (1 - n) - r[5] * n);
      v = v1;
      if (state) {
        const q = S * o;
        state[q] = v;
        state[q + 1] = m;
        state[q + 2] = h;
        state[q + 3] = n;
        for (let b = 0; b < K; b++) state[q + 4 + b] = V[b];
      }
      const s = smooth ? surrogatePrimitiveAt(kind, p, v - th) : +(v > cut);
      if (rateOutput) acc += s;
      else out[o] = s;
    }
    if (rateOutput) out[i] = acc / T;
  }
}

/**
 * BPTT through the Euler steps. With λ the adjoints of the states after step t (v, m, h, n, V_b)
 * and the previous states (v, m, h, n, V_b) as the step's arguments:
 *   λv ← λv·(1 − k(gNa m³h + gK n⁴ + gL + Σ|gc_b|)) + Σ_b λV_b·k|gc_b| + Σ_x λx·dt(αx′(1 − x) − βx′x)
 *   λV_b ← λv·k|gc_b| + λV_b·(1 − k(|gL_b| + |gc_b|))
 *   λm ← −λv·k·3gNa m²h (v − ENa) + λm(1 − dt(αm + βm)), likewise h (m³) and n (4gK n³, EK)
 *   dL/dI_b += kIn·λV_b, dL/dI_s += kIn·λv, dL/d|gc_b| += k(V_b − v)(λv − λV_b),
 *   dL/d|gL_b| += −k(V_b − E_b)·λV_b,
 * and each step's spike adds gradOut·σ′(v[t] − θ) to λv.
 */
export function multiBranchBackwardJs(a: MultiBranchBackwardArgs): void {
  const where = 'multiBranchBackward';
  const { inW, S } = checkMultiBranch(a, where);
  const { batch, neurons: N, steps: T, branches: K, timeVarying, rateOutput } = a;
  const { state, gradOut, gradInput, gradCoupling, gradBranchLeak, dt, initial, coupling, branchLeak } = a;
  const somaInput = a.somaInput;
  const BN = batch * N;
  const { inLen, outLen } = ioLengths(a, inW, N);
  checkLen(where, 'state', state, S * T * BN);
  checkLen(where, 'gradOut', gradOut, outLen);
  checkLen(where, 'gradInput', gradInput, inLen);
  checkLen(where, 'gradCoupling', gradCoupling, N * K);
  checkLen(where, 'gradBranchLeak', gradBranchLeak, N * K);
  const { C, gNa, gK, gL, ENa, EK } = a.constants;
  const k = dt / C;
  const kIn = k * a.inputScale;
  const { threshold: th, surrogate: kind, surrogateParam: p } = a;
  const R = inputRepeatOf(a);
  const Er = initial.v;
  const frame = batch * inW;
  const frames = T / R;
  const r = new Float64Array(14);
  const gc = new Float64Array(K);
  const gl = new Float64Array(K);
  const sgnC = new Float64Array(K);
  const sgnL = new Float64Array(K);
  const dV = new Float64Array(K); // λV_b
  const accB = new Float64Array(K); // branch input gradients summed over a frame (or all steps)
  const gC = new Float64Array(K);
  const gLb = new Float64Array(K);
  const Vp = new Float64Array(K); // previous branch potentials
  for (let i = 0; i < BN; i++) {
    const j = i % N;
    const base = ((i - j) / N) * inW + j;
    for (let b = 0; b < K; b++) {
      const c = coupling[j * K + b];
      const l = branchLeak[j * K + b];
      gc[b] = Math.abs(c);
      gl[b] = Math.abs(l);
      sgnC[b] = Math.sign(c);
      sgnL[b] = Math.sign(l);
      dV[b] = 0;
      accB[b] = 0;
      gC[b] = 0;
      gLb[b] = 0;
    }
    const gRate = rateOutput ? gradOut[i] / T : 0;
    let dv = 0;
    let dm = 0;
    let dh = 0;
    let dn = 0;
    let accS = 0;
    const flush = (xo: number): void => {
      if (!gradInput) return;
      for (let b = 0; b < K; b++) {
        gradInput[xo + b * N] += kIn * accB[b];
        accB[b] = 0;
      }
      if (somaInput) gradInput[xo + K * N] += kIn * accS;
      accS = 0;
    };
    for (let t = T - 1, o = i + (T - 1) * BN, left = R, f = frames - 1; t >= 0; t--, o -= BN) {
      dv += (rateOutput ? gRate : gradOut[o]) * surrogateGradAt(kind, p, state[S * o] - th);
      accS += dv;
      for (let b = 0; b < K; b++) accB[b] += dV[b];
      if (timeVarying && --left === 0) {
        flush(base + f * frame);
        left = R;
        f--;
      }
      // The step's arguments: the states after step t − 1 (the initial state for t = 0).
      let v: number, m: number, h: number, n: number;
      if (t === 0) {
        v = initial.v;
        m = initial.m;
        h = initial.h;
        n = initial.n;
        for (let b = 0; b < K; b++) Vp[b] = Er;
      } else {
        const q = S * (o - BN);
        v = state[q];
        m = state[q + 1];
        h = state[q + 2];
        n = state[q + 3];
        for (let b = 0; b < K; b++) Vp[b] = state[q + 4 + b];
      }
      let sumGc = 0;
      let fromBranches = 0;
      for (let b = 0; b < K; b++) {
        gC[b] += k * (Vp[b] - v) * (dv - dV[b]);
        gLb[b] -= k * (Vp[b] - Er) * dV[b];
        sumGc += gc[b];
        fromBranches += dV[b] * k * gc[b];
      }
      if (t === 0) break; // the initial state is a constant
      hhRatesWithDerivatives(v, r);
      const m2h = m * m * h;
      const n3 = n * n * n;
      const dvPrev =
        dv * (1 - k * (gNa * m2h * m + gK * n3 * n + gL + sumGc)) +
        fromBranches +
        dm * dt * (r[6] * (1 - m) - r[7] * m) +
        dh * dt * (r[8] * (1 - h) - r[9] * h) +
        dn * dt * (r[10] * (1 - n) - r[11] * n);
      const dmPrev = -dv * k * gNa * 3 * m2h * (v - ENa) + dm * (1 - dt * (r[0] + r[1]));
      const dhPrev = -dv * k * gNa * m * m * m * (v - ENa) + dh * (1 - dt * (r[2] + r[3]));
      const dnPrev = -dv * k * gK * 4 * n3 * (v - EK) + dn * (1 - dt * (r[4] + r[5]));
      for (let b = 0; b < K; b++) dV[b] = dv * k * gc[b] + dV[b] * (1 - k * (gl[b] + gc[b]));
      dv = dvPrev;
      dm = dmPrev;
      dh = dhPrev;
      dn = dnPrev;
    }
    if (!timeVarying) flush(base);
    for (let b = 0; b < K; b++) {
      if (gradCoupling) gradCoupling[j * K + b] += sgnC[b] * gC[b];
      if (gradBranchLeak) gradBranchLeak[j * K + b] += sgnL[b] * gLb[b];
    }
  }
}
