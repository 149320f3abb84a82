/**
 * Fused multi-step kernels of the trainable multi-branch neuron (nn/multibranch.ts): each unit is
 * an HH soma (shifted convention, voltage-dependent rates, as the full-HH kernel) coupled through
 * axial conductances to K passive dendritic branches, one compartment each, every branch driven by
 * its own input current. With v the soma's potential and V_b the branches' (b = 1..K):
 *
 *   C dv/dt   = I_s − ḡNa m³h (v − ENa) − ḡK n⁴ (v − EK) − gL (v − EL) + Σ_b |gc_b| (V_b − v)
 *   C dV_b/dt = I_b − |gL_b| (V_b − E_b) + |gc_b| (v − V_b)
 *   dx/dt     = αx(v) (1 − x) − βx(v) x      (x = m, h, n)
 *
 * Integrator (step dt, every right-hand side from the previous step's states): each potential is
 * linearly implicit Euler in its own conductance, C(y′ − y)/dt = A − G·y′, i.e.
 *   v′ = (v + k(I_s + gNa m³h ENa + gK n⁴ EK + gL EL + Σ|gc_b| V_b)) / (1 + k(gNa m³h + gK n⁴ + gL + Σ|gc_b|))
 *   V_b′ = (V_b + k(I_b + |gL_b| E_b + |gc_b| v)) / (1 + k(|gL_b| + |gc_b|))        (k = dt/C)
 * and the gates are exponential Euler (Rush–Larsen, gateStep). Both are stable for any dt and any
 * conductance (the coupling is a contraction: |∂v′/∂v| + Σ|∂v′/∂V_b| ≤ 1), unlike the full-HH
 * layer's forward Euler: with forward-Euler potentials mc-fc training produced NaN within 6–35
 * Adam steps (strong branch currents drive v where the open Na and K conductances make dt·G/C > 2),
 * and forward-Euler gates diverge once dt(α + β) > 2 (β_m alone passes 40/ms below about −41 mV).
 * Rest is the same fixed point as the ODE's.
 *
 * I = inputScale·(the input current); E_b = the soma's resting potential, so the whole cell rests
 * at the HH resting state for any coupling and branch leak (the initial state does not depend on
 * the learnable parameters); s[t] = H(v[t] − θ), no reset. The coupling gc and the branch leak gL_b
 * are per unit and branch, [N][K], used through |·| (conductances stay non-negative while the raw
 * parameters learn freely; the gradient is sign(g)·dL/d|g|).
 *
 * Layouts (spiking-types.ts conventions): input per sample is [(K + somaInput)·N] in blocks of N,
 * [I_1|…|I_K] then, with somaInput, [I_s]; output the soma spikes (or rate) [B·N]; the saved
 * states [T][B·N][4 + K] are (v, m, h, n, V_1..V_K) after each step (float32). Backward is the
 * hand-derived adjoint of the step (multiBranchBackwardJs), surrogate derivative at the soma's
 * spike. This is the reference; the wasm backend runs its SIMD twin (assembly/multibranch.ts,
 * tested against it), written by hand because the declared-model machinery that generates WASM
 * kernels handles one input current per neuron.
 */
import type { HhInitialState, HhMembraneConstants, SpikingKernelBase } from '../spiking-types.js';
import { checkBase, checkLen, inputRepeatOf, ioLengths } from '../spiking-checks.js';
import { surrogateGradAt, surrogatePrimitiveAt } from '../spiking/surrogates.js';
import { spikeCut } from './spiking.js';
import * as exact from '../../util/exact-math.js';

// ---------------------------------------------------------------------------------------------
// HH rates in the shifted convention (rates of u = v, rest ≈ 0 mV), with their derivatives

const E1 = Math.E;
const E2_5 = exact.exp(2.5);
const E3 = exact.exp(3);

/**
 * x/(eˣ − 1) and its derivative into out[at], out[at + 1], given x and ex = eˣ; continuous
 * through the removable singularity at x = 0 (series below |x| = 1e-3) and finite for large x.
 */
function vtrapWithDerivative(x: number, ex: number, out: Float64Array, at: number): void {
  if (Math.abs(x) < 1e-3) {
    const x2 = x * x;
    out[at] = 1 - x / 2 + x2 / 12 - (x2 * x2) / 720;
    out[at + 1] = -0.5 + x / 6 - (x2 * x) / 180;
  } else if (x > 50) {
    out[at] = x / ex;
    out[at + 1] = (1 - x) / ex;
  } else {
    const e = ex - 1;
    out[at] = x / e;
    out[at + 1] = (e - x * ex) / (e * e);
  }
}

/**
 * HH rates (spec 2.1, shifted voltage u in mV, 1/ms) and their derivatives w.r.t. u, written to
 * out[0..12): αm, βm, αh, βh, αn, βn, then dαm/du, dβm/du, dαh/du, dβh/du, dαn/du, dβn/du.
 * Two exponentials per call: e^(−u/80) gives e^(−u/20) and e^(−u/10) by squaring, and the
 * exponentials of (25 − u)/10, (10 − u)/10 and (30 − u)/10 are constants times e^(−u/10).
 * out needs room for 14 values (out[12], out[13] are scratch).
 */
export function hhRatesWithDerivatives(u: number, out: Float64Array): void {
  const e80 = exact.exp(-u / 80);
  const e40 = e80 * e80;
  const e20 = e40 * e40;
  const e10 = e20 * e20;
  vtrapWithDerivative((25 - u) / 10, E2_5 * e10, out, 12);
  out[0] = out[12];
  out[6] = -0.1 * out[13];
  const bm = 4 * exact.exp(-u / 18);
  out[1] = bm;
  out[7] = -bm / 18;
  const ah = 0.07 * e20;
  out[2] = ah;
  out[8] = -ah / 20;
  const bh = 1 / (E3 * e10 + 1);
  out[3] = bh;
  out[9] = (bh * (1 - bh)) / 10;
  vtrapWithDerivative((10 - u) / 10, E1 * e10, out, 12);
  out[4] = 0.1 * out[12];
  out[10] = -0.01 * out[13];
  const bn = 0.125 * e80;
  out[5] = bn;
  out[11] = -bn / 80;
}

/**
 * One exponential-Euler (Rush–Larsen) gate step: x' = x∞ + (x − x∞)·e^(−dt(α + β)), x∞ = α/(α + β)
 * — exact for rates frozen over the step, and stable for any dt.
 */
export function gateStep(x: number, a: number, b: number, dt: number): number {
  const s = a + b;
  const inf = a / s;
  return inf + (x - inf) * exact.exp(-dt * s);
}

/**
 * ∂x'/∂v of gateStep for rates a, b with derivatives da, db w.r.t. v; writes ∂x'/∂x = e^(−dt(a + b))
 * to out[at].
 */
function gateVoltagePartial(
  x: number,
  a: number,
  b: number,
  da: number,
  db: number,
  dt: number,
  out: Float64Array,
  at: number,
): number {
  const s = a + b;
  const e = exact.exp(-dt * s);
  out[at] = e;
  const inf = a / s;
  const ds = da + db;
  // ∂x∞/∂v = (α′β − αβ′)/s² = (α′ − x∞·s′)/s, without squaring s (it overflows first).
  return ((1 - e) * (da - inf * ds)) / s - dt * ds * e * (x - inf);
}

export interface MultiBranchBase extends SpikingKernelBase {
  /** K: dendritic branches per unit (≥ 1). */
  branches: number;
  /** The input carries one more block per sample: a current injected into the soma. */
  somaInput: boolean;
  /**
   * Branches carry the soma's HH channels too (ḡNa, ḡK, gL with EL, gates from V_b) on top of
   * their passive leak and coupling (default false: passive branches).
   */
  activeBranches?: boolean;
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

/**
 * Forward FLOPs (the counting rules of spiking-costs.ts), per unit-step: the six rates (32, as the
 * full HH); gNa·m³h (4) and gK·n⁴ (3); the soma's numerator v + I_s + k·(gNa'·ENa + gK'·EK +
 * gL·EL + Σ|gc_b|V_b) (3 multiplies, K multiplies and K adds for the sum, 3 adds, ·k, 2 adds:
 * 9 + 2K) and denominator 1 + k·(gNa' + gK' + gL + Σ|gc|) (3 adds, ·k, 1 add, the division: 6);
 * per branch (V + I + k(|gL|E + |gc|v))·u_b (2 multiplies, 3 adds, ·k, ·u_b: 7); three Rush–Larsen
 * gates (α + β, α/s, dt·s, exp, x − x∞, ·e, + x∞: 7 each, 21); the spike compare (1).
 * 32 + 7 + 9 + 2K + 6 + 7K + 21 + 1 = 76 + 9K. Active branches add per branch the rates (32),
 * gNa'·gK' (7), their driving terms gNa'·ENa + gK'·EK + gL·EL (3 multiplies, 3 adds: 6), u_b =
 * 1/(1 + k(|gL_b| + |gc_b| + gNa' + gK' + gL)) now per step (3 adds, ·k, 1 add, division: 6) and
 * three gates (21): 72 more.
 */
export function multiBranchFlopsPerUnitStep(branches: number, activeBranches = false): number {
  return 76 + 9 * branches + (activeBranches ? 72 * branches : 0);
}

/** Per batch-unit setup: |gc|, |gL| (2K abs), Σ|gc| (K adds), u_b = 1/(1 + k(…)) (4K): 7K. */
export function multiBranchFlopsPerUnit(branches: number): number {
  return 7 * branches;
}

/** States saved per neuron and step: v, m, h, n, V_1..V_K (and m_b, h_b, n_b per active branch). */
export function multiBranchStateWidth(branches: number, activeBranches = false): number {
  return 4 + branches + (activeBranches ? 3 * branches : 0);
}

/** The kernels' argument checks (shared with the wasm backend, so both fail alike). */
export function checkMultiBranch(
  a: MultiBranchBase,
  where: string,
): { inW: number; S: number; active: boolean } {
  checkBase(a, where);
  const K = a.branches;
  if (!Number.isInteger(K) || K < 1)
    throw new RangeError(`${where}: branches must be an integer ≥ 1, got ${K}`);
  if (!(a.dt > 0) || !Number.isFinite(a.dt)) throw new RangeError(`${where}: dt must be > 0, got ${a.dt}`);
  if (!Number.isFinite(a.inputScale)) throw new RangeError(`${where}: inputScale must be finite`);
  if (!(a.constants.C > 0)) throw new RangeError(`${where}: C must be > 0, got ${a.constants.C}`);
  checkLen(where, 'coupling', a.coupling, a.neurons * K);
  checkLen(where, 'branchLeak', a.branchLeak, a.neurons * K);
  const active = a.activeBranches ?? false;
  return { inW: (K + (a.somaInput ? 1 : 0)) * a.neurons, S: multiBranchStateWidth(K, active), active };
}

export function multiBranchForwardJs(a: MultiBranchForwardArgs): void {
  const where = 'multiBranchForward';
  const { inW, S, active } = checkMultiBranch(a, where);
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
  const bg = new Float64Array(3 * K); // active branches' gates m_b, h_b, n_b
  const I = new Float64Array(K);
  const frame = batch * inW;
  for (let i = 0; i < BN; i++) {
    const j = i % N;
    const base = ((i - j) / N) * inW + j; // this neuron's first block, frame 0
    let sumGc = 0;
    for (let b = 0; b < K; b++) {
      gc[b] = Math.abs(coupling[j * K + b]);
      gl[b] = Math.abs(branchLeak[j * K + b]);
      sumGc += gc[b];
      V[b] = Er;
      bg[3 * b] = initial.m;
      bg[3 * b + 1] = initial.h;
      bg[3 * b + 2] = initial.n;
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
      const n2 = n * n;
      const gna = gNa * m * m * m * h;
      const gk = gK * n2 * n2;
      let axial = 0; // Σ|gc_b|·V_b
      for (let b = 0; b < K; b++) axial += gc[b] * V[b];
      const v1 = (v + Is + k * (gna * ENa + gk * EK + gL * EL + axial)) / (1 + k * (gna + gk + gL + sumGc));
      for (let b = 0; b < K; b++) {
        let drive = gl[b] * Er + gc[b] * v; // A_b − I_b
        let cond = gl[b] + gc[b]; // G_b
        if (active) {
          const q = 3 * b;
          const mb = bg[q];
          const nb2 = bg[q + 2] * bg[q + 2];
          const gnab = gNa * mb * mb * mb * bg[q + 1];
          const gkb = gK * nb2 * nb2;
          drive += gnab * ENa + gkb * EK + gL * EL;
          cond += gnab + gkb + gL;
          hhRatesWithDerivatives(V[b], r);
          bg[q] = gateStep(mb, r[0], r[1], dt);
          bg[q + 1] = gateStep(bg[q + 1], r[2], r[3], dt);
          bg[q + 2] = gateStep(bg[q + 2], r[4], r[5], dt);
        }
        V[b] = (V[b] + I[b] + k * drive) / (1 + k * cond);
      }
      hhRatesWithDerivatives(v, r);
      m = gateStep(m, r[0], r[1], dt);
      h = gateStep(h, r[2], r[3], dt);
      n = gateStep(n, r[4], r[5], dt);
      v = v1;
      if (state) {
        const q = S * o;
        state[q] = v;
        state[q + 1] = m;
        state[q + 2] = h;
        state[q + 3] = n;
        for (let b = 0; b < K; b++) state[q + 4 + b] = V[b];
        if (active) for (let c = 0; c < 3 * K; c++) state[q + 4 + K + c] = bg[c];
      }
      const s = smooth ? surrogatePrimitiveAt(kind, p, v - th) : +(v > cut);
      if (rateOutput) acc += s;
      else out[o] = s;
    }
    if (rateOutput) out[i] = acc / T;
  }
}

/**
 * BPTT through the steps. The step's arguments are the previous states (v, m, h, n, V_b and, for
 * active branches, m_b, h_b, n_b), its results v′, V_b′ (saved), u = 1/(1 + kG) with G = gNa m³h +
 * gK n⁴ + gL + Σ|gc_b| and u_b = 1/(1 + kG_b), G_b = |gL_b| + |gc_b| (+ gNa m_b³h_b + gK n_b⁴ + gL
 * for an active branch). For any argument or parameter θ, ∂v′/∂θ = k(∂A/∂θ − v′∂G/∂θ)·u (A the
 * driving term, v′ = (v + kA)u), likewise for V_b′. With λ the adjoints of the states after the
 * step:
 *   λv ← λv·u + Σ_b λV_b·k|gc_b|u_b + Σ_x λx·∂x′/∂v
 *   λV_b ← λv·k|gc_b|u + λV_b·u_b (+ Σ_x λx_b·∂x_b′/∂V_b for an active branch)
 *   λm ← λv·k·3gNa m²h (ENa − v′)u + λm·e_m, likewise h (gNa m³, ENa) and n (4gK n³, EK), and
 *        the same for an active branch's gates with λV_b, V_b′ and u_b
 *   dL/dI_s += kIn·u·λv, dL/dI_b += kIn·u_b·λV_b,
 *   dL/d|gc_b| += k(V_b − v′)u·λv + k(v − V_b′)u_b·λV_b, dL/d|gL_b| += k(E_b − V_b′)u_b·λV_b,
 * where, for the gates (gateStep) with s = α + β, e = e^(−dt·s), x∞ = α/s,
 *   ∂x′/∂v = (1 − e)(α′ − x∞ s′)/s − dt·s′·e·(x − x∞),
 * and each step's spike adds gradOut·σ′(v′ − θ) to λv.
 */
export function multiBranchBackwardJs(a: MultiBranchBackwardArgs): void {
  const where = 'multiBranchBackward';
  const { inW, S, active } = checkMultiBranch(a, where);
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
  const g = new Float64Array(3); // ∂x'/∂x of the three gates
  const gc = new Float64Array(K);
  const gl = new Float64Array(K);
  const sgnC = new Float64Array(K);
  const sgnL = new Float64Array(K);
  const dV = new Float64Array(K); // λV_b
  const dG = new Float64Array(3 * K); // λ of the active branches' gates
  const accB = new Float64Array(K); // Σ u_b·λV_b over a frame (or all steps)
  const gC = new Float64Array(K);
  const gLb = new Float64Array(K);
  const Vp = new Float64Array(K); // branch potentials before the step
  const Gp = new Float64Array(3 * K); // active branches' gates before the step
  for (let i = 0; i < BN; i++) {
    const j = i % N;
    const base = ((i - j) / N) * inW + j;
    let sumGc = 0;
    for (let b = 0; b < K; b++) {
      const c = coupling[j * K + b];
      const l = branchLeak[j * K + b];
      gc[b] = Math.abs(c);
      gl[b] = Math.abs(l);
      sumGc += gc[b];
      sgnC[b] = Math.sign(c);
      sgnL[b] = Math.sign(l);
      dV[b] = 0;
      accB[b] = 0;
      gC[b] = 0;
      gLb[b] = 0;
    }
    dG.fill(0);
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
      const q1 = S * o; // the states after step t
      const v1 = state[q1];
      dv += (rateOutput ? gRate : gradOut[o]) * surrogateGradAt(kind, p, v1 - th);
      // The step's arguments: the states after step t − 1 (the initial state for t = 0).
      let v: number, m: number, h: number, n: number;
      if (t === 0) {
        v = initial.v;
        m = initial.m;
        h = initial.h;
        n = initial.n;
        for (let b = 0; b < K; b++) {
          Vp[b] = Er;
          Gp[3 * b] = initial.m;
          Gp[3 * b + 1] = initial.h;
          Gp[3 * b + 2] = initial.n;
        }
      } else {
        const q = q1 - S * BN;
        v = state[q];
        m = state[q + 1];
        h = state[q + 2];
        n = state[q + 3];
        for (let b = 0; b < K; b++) Vp[b] = state[q + 4 + b];
        if (active) for (let c = 0; c < 3 * K; c++) Gp[c] = state[q + 4 + K + c];
      }
      const m2h = m * m * h;
      const n3 = n * n * n;
      const u = 1 / (1 + k * (gNa * m2h * m + gK * n3 * n + gL + sumGc));
      const du = dv * u; // λv·u
      accS += du;
      let fromBranches = 0;
      for (let b = 0; b < K; b++) {
        const Vb1 = state[q1 + 4 + b];
        let cond = gl[b] + gc[b];
        let dVb = 0; // λV_b·∂(the branch's gates)/∂V_b, for the λV_b of t − 1
        if (active) {
          const c = 3 * b;
          const mb = Gp[c];
          const hb = Gp[c + 1];
          const nb = Gp[c + 2];
          const mb2h = mb * mb * hb;
          const nb3 = nb * nb * nb;
          cond += gNa * mb2h * mb + gK * nb3 * nb + gL;
          const dVu = (dV[b] * k) / (1 + k * cond);
          hhRatesWithDerivatives(Vp[b], r);
          dVb =
            dG[c] * gateVoltagePartial(mb, r[0], r[1], r[6], r[7], dt, g, 0) +
            dG[c + 1] * gateVoltagePartial(hb, r[2], r[3], r[8], r[9], dt, g, 1) +
            dG[c + 2] * gateVoltagePartial(nb, r[4], r[5], r[10], r[11], dt, g, 2);
          dG[c] = dVu * gNa * 3 * mb2h * (ENa - Vb1) + dG[c] * g[0];
          dG[c + 1] = dVu * gNa * mb * mb * mb * (ENa - Vb1) + dG[c + 1] * g[1];
          dG[c + 2] = dVu * gK * 4 * nb3 * (EK - Vb1) + dG[c + 2] * g[2];
        }
        const ub = 1 / (1 + k * cond);
        const dVu = dV[b] * ub; // λV_b·u_b
        accB[b] += dVu;
        gC[b] += k * ((Vp[b] - v1) * du + (v - Vb1) * dVu);
        gLb[b] += k * (Er - Vb1) * dVu;
        fromBranches += dVu * k * gc[b];
        dV[b] = du * k * gc[b] + dVu + dVb; // λV_b for t − 1 (used only if t > 0)
      }
      if (timeVarying && --left === 0) {
        flush(base + f * frame);
        left = R;
        f--;
      }
      if (t === 0) break; // the initial state is a constant
      hhRatesWithDerivatives(v, r);
      const dvPrev =
        du +
        fromBranches +
        dm * gateVoltagePartial(m, r[0], r[1], r[6], r[7], dt, g, 0) +
        dh * gateVoltagePartial(h, r[2], r[3], r[8], r[9], dt, g, 1) +
        dn * gateVoltagePartial(n, r[4], r[5], r[10], r[11], dt, g, 2);
      dm = du * k * gNa * 3 * m2h * (ENa - v1) + dm * g[0];
      dh = du * k * gNa * m * m * m * (ENa - v1) + dh * g[1];
      dn = du * k * gK * 4 * n3 * (EK - v1) + dn * g[2];
      dv = dvPrev;
    }
    if (!timeVarying) flush(base);
    for (let b = 0; b < K; b++) {
      if (gradCoupling) gradCoupling[j * K + b] += sgnC[b] * gC[b];
      if (gradBranchLeak) gradBranchLeak[j * K + b] += sgnL[b] * gLb[b];
    }
  }
}
