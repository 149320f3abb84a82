/**
 * The generic reference kernels: forward over T steps and backward through time for any neuron
 * given as a StepProgram (program.ts), in plain TypeScript. One driver serves every declared
 * model — frames and repeats, rate or spike-train output, smooth mode, every surrogate, per-neuron
 * and learnable parameters — instead of one hand-written kernel per model.
 *
 * Numerics: each neuron's state lives in float64 locals, but every charged state h is rounded to
 * float32 before it is used or saved, so the saved [T][B·N][S] buffer holds exactly the values the
 * forward computed with, and backward (which rebuilds y[t−1] from the saved h[t−1]) sees the same
 * spikes and resets. Smooth mode (gradient checks: no hard spikes to agree on) skips the rounding,
 * so finite differences of the forward are not drowned in float32 steps. The layouts and conventions are those of spiking-types.ts.
 */
import type { SpikingKernelBase } from '../spiking-types.js';
import { checkBase, checkLen, inputRepeatOf, ioLengths } from '../spiking-checks.js';
import type { SpikeRule, StepProgram } from './program.js';
import { savedLength, spikesOf } from './program.js';
import { surrogateGradAt, surrogatePrimitiveAt } from './surrogates.js';

/** Fields of a generic kernel call (the threshold comes from the program). */
export interface GenericSpikingBase extends Omit<SpikingKernelBase, 'threshold'> {
  program: StepProgram;
  /** One array per parameter slot: N values (per neuron) or 1 (shared). */
  params: readonly Float32Array[];
  /** The state at t = −1: S values (shared) or N·S (per neuron, neuron-major). */
  initial: Float64Array;
  /**
   * Output the charged voltage h_v[t] (before the reset) instead of the spike: a membrane readout
   * (or, with rateOutput, its mean over T); backward takes dL/dh_v[t] as gradOut. Default false.
   */
  voltageOutput?: boolean;
}

export interface GenericSpikingForwardArgs extends GenericSpikingBase {
  input: Float32Array;
  out: Float32Array;
  /** Charged states saved for backward [T][B·N][S], or null (inference). */
  saved: Float32Array | null;
}

export interface GenericSpikingBackwardArgs extends GenericSpikingBase {
  /** Treat s in the reset blend as a constant (no gradient through the reset). */
  detachReset: boolean;
  /** The forward's input (partials may depend on it). */
  input: Float32Array;
  saved: Float32Array;
  gradOut: Float32Array;
  /** Accumulates dLoss/dInput (input layout), or null. */
  gradInput: Float32Array | null;
  /** Per parameter slot: accumulates dLoss/dp (same length as params[q]), or null. */
  gradParams: readonly (Float32Array | null)[];
}

export function checkGeneric(a: GenericSpikingBase, where: string): void {
  checkBase({ ...a, threshold: 0 }, where);
  const { S, P } = a.program;
  if (a.params.length !== P)
    throw new RangeError(
      `${where}: ${a.program.definition.name} takes ${P} parameter arrays, got ${a.params.length}`,
    );
  a.params.forEach((arr, q) => {
    if (arr.length !== 1 && arr.length !== a.neurons)
      throw new RangeError(
        `${where}: parameter ${a.program.definition.params[q]} has ${arr.length} values, expected 1 or ${a.neurons}`,
      );
  });
  if (a.voltageOutput && a.program.K > 1)
    throw new RangeError(
      `${where}: ${a.program.definition.name} has ${a.program.K} spike rules; voltage output is for one`,
    );
  if (a.initial.length !== S && a.initial.length !== S * a.neurons)
    throw new RangeError(
      `${where}: initial has ${a.initial.length} values, expected ${S} or ${S * a.neurons}`,
    );
}

/** Fills p with neuron j's parameters. */
function loadParams(params: readonly Float32Array[], j: number, p: Float64Array): void {
  for (let q = 0; q < params.length; q++) {
    const arr = params[q];
    p[q] = arr.length === 1 ? arr[0] : arr[j];
  }
}

function loadInitial(initial: Float64Array, S: number, j: number, y: Float64Array): void {
  const off = initial.length === S ? 0 : j * S;
  for (let k = 0; k < S; k++) y[k] = initial[off + k];
}

/** y = s·reset(h) + (1 − s)·h on the reset states (s: the spike of the rule resetting each), h elsewhere. */
function blend(
  prog: StepProgram,
  h: Float64Array,
  p: Float64Array,
  s: Float64Array,
  r: Float64Array,
  y: Float64Array,
): void {
  y.set(h);
  if (prog.resetStates.length === 0) return;
  prog.reset(h, p, r);
  for (const k of prog.resetStates) {
    const sk = s[prog.resetSpike[k]];
    y[k] = sk * r[k] + (1 - sk) * h[k];
  }
}

/** The spike (hard or smooth) of rule `rule` for charged voltage hv and threshold th. */
function spikeOf(a: GenericSpikingBase, rule: number, hv: number, th: number): number {
  const x = hv - th;
  if (a.smooth) return surrogatePrimitiveAt(a.surrogate, a.surrogateParam, x);
  return spikeRules(a.program)[rule].inclusive ? +(x >= 0) : +(x > 0);
}

/** Every rule's spike at the charged state h into s. */
function spikesAt(a: GenericSpikingBase, h: Float64Array, th: Float64Array, s: Float64Array): void {
  const rules = spikeRules(a.program);
  for (let k = 0; k < rules.length; k++) s[k] = spikeOf(a, k, h[rules[k].voltage], th[k]);
}

const rulesOf = new WeakMap<StepProgram, readonly SpikeRule[]>();
function spikeRules(prog: StepProgram): readonly SpikeRule[] {
  let r = rulesOf.get(prog);
  if (!r) rulesOf.set(prog, (r = spikesOf(prog.definition)));
  return r;
}

/**
 * Index helpers of the unit layouts: input channel c of flat neuron i = b·N + j in frame f at
 * ((f·B + b)·C + c)·N + j, output k of step t at ((t·B + b)·K + k)·N + j (a rate output has
 * one step); with C = K = 1 these are the plain f·B·N + i and t·B·N + i.
 */
function blockAt(width: number, N: number, BN: number, row: number, i: number, k: number): number {
  if (width === 1) return row * BN + i;
  const j = i % N;
  return row * width * BN + (i - j) * width + k * N + j;
}

/**
 * The invariant states' trajectories of every neuron, float64 [N][T][Si] (rounded to float32 as
 * the per-sample states are, except in smooth mode), and their float32 copy in saved's table.
 */
function invariantForward(a: GenericSpikingForwardArgs): Float64Array {
  const prog = a.program;
  const { S, P, invariant } = prog;
  const Si = invariant.length;
  const { neurons: N, steps: T, saved } = a;
  const traj = new Float64Array(N * T * Si);
  if (Si === 0) return traj;
  const table = T * a.batch * N * prog.varying.length;
  const p = new Float64Array(P);
  const y = new Float64Array(S);
  const h = new Float64Array(S);
  for (let j = 0; j < N; j++) {
    loadParams(a.params, j, p);
    loadInitial(a.initial, S, j, y);
    for (let t = 0; t < T; t++) {
      prog.chargeInvariant(y, p, h);
      invariant.forEach((k, c) => {
        const v = a.smooth ? h[k] : Math.fround(h[k]);
        y[k] = v; // never reset
        traj[(j * T + t) * Si + c] = v;
        if (saved) saved[table + (t * Si + c) * N + j] = v;
      });
    }
  }
  return traj;
}

export function genericForwardJs(a: GenericSpikingForwardArgs): void {
  const where = `spikingForward(${a.program.definition.name})`;
  checkGeneric(a, where);
  const prog = a.program;
  const { S, P, C, K, invariant, varying } = prog;
  const { batch, neurons: N, steps: T, timeVarying, rateOutput, input, out, saved } = a;
  const BN = batch * N;
  const { inLen, outLen } = ioLengths({ ...a, threshold: 0 }, C * N, K * N);
  checkLen(where, 'input', input, inLen);
  checkLen(where, 'out', out, outLen);
  checkLen(where, 'saved', saved, savedLength(prog, T, batch, N));
  const R = inputRepeatOf({ ...a, threshold: 0 });
  const v = prog.definition.voltage;
  const Si = invariant.length;
  const Sv = varying.length;
  const traj = invariantForward(a);
  const volt = a.voltageOutput === true;
  const p = new Float64Array(P);
  const y = new Float64Array(S);
  const h = new Float64Array(S);
  const r = new Float64Array(S);
  const th = new Float64Array(K);
  const s = new Float64Array(K);
  const acc = new Float64Array(K);
  const xs = new Float64Array(C);
  for (let i = 0; i < BN; i++) {
    const j = i % N;
    loadParams(a.params, j, p);
    loadInitial(a.initial, S, j, y);
    prog.threshold(p, th);
    acc.fill(0);
    const loadFrame = (f: number): number | Float64Array => {
      if (C === 1) return input[f * BN + i];
      for (let c = 0; c < C; c++) xs[c] = input[blockAt(C, N, BN, f, i, c)];
      return xs;
    };
    let x = loadFrame(0);
    for (let t = 0; t < T; t++) {
      if (timeVarying && t % R === 0) x = loadFrame(t / R);
      prog.chargeVarying(y, x, p, h);
      for (let c = 0; c < Si; c++) h[invariant[c]] = traj[(j * T + t) * Si + c];
      if (!a.smooth) for (const k of varying) h[k] = Math.fround(h[k]);
      if (saved) for (let c = 0; c < Sv; c++) saved[(t * BN + i) * Sv + c] = h[varying[c]];
      spikesAt(a, h, th, s);
      for (let k = 0; k < K; k++) {
        const o = volt ? h[v] : s[k];
        if (rateOutput) acc[k] += o;
        else out[blockAt(K, N, BN, t, i, k)] = o;
      }
      blend(prog, h, p, s, r, y);
    }
    if (rateOutput) for (let k = 0; k < K; k++) out[blockAt(K, N, BN, 0, i, k)] = acc[k] / T;
  }
}

/** Charged state h[t] of flat neuron i from the saved buffer (both parts of its layout). */
function loadSaved(prog: StepProgram, saved: Float32Array, BN: number, N: number, T: number) {
  const { invariant, varying } = prog;
  const Si = invariant.length;
  const Sv = varying.length;
  const table = T * BN * Sv;
  return (t: number, i: number, h: Float64Array): void => {
    const at = (t * BN + i) * Sv;
    for (let c = 0; c < Sv; c++) h[varying[c]] = saved[at + c];
    const j = i % N;
    for (let c = 0; c < Si; c++) h[invariant[c]] = saved[table + (t * Si + c) * N + j];
  };
}

export function genericBackwardJs(a: GenericSpikingBackwardArgs): void {
  const where = `spikingBackward(${a.program.definition.name})`;
  checkGeneric(a, where);
  const prog = a.program;
  const { S, P, C, K, learnable, resetStates, resetSpike, invariant, varying } = prog;
  const { batch, neurons: N, steps: T, timeVarying, rateOutput, input, saved, gradOut, gradInput } = a;
  const BN = batch * N;
  const base = { ...a, threshold: 0 };
  const { inLen, outLen } = ioLengths(base, C * N, K * N);
  checkLen(where, 'input', input, inLen);
  checkLen(where, 'saved', saved, savedLength(prog, T, batch, N));
  checkLen(where, 'gradOut', gradOut, outLen);
  checkLen(where, 'gradInput', gradInput, inLen);
  if (a.gradParams.length !== P) throw new RangeError(`${where}: gradParams needs ${P} entries`);
  a.gradParams.forEach((g, q) => {
    if (g) checkLen(where, `gradParams[${q}]`, g, a.params[q].length);
    if (g && !learnable.includes(q))
      throw new RangeError(`${where}: parameter ${prog.definition.params[q]} was not compiled as learnable`);
  });
  const R = inputRepeatOf(base);
  const rules = spikeRules(prog);
  const v = prog.definition.voltage;
  const Si = invariant.length;
  const load = loadSaved(prog, saved, BN, N, T);
  const p = new Float64Array(P);
  const y = new Float64Array(S); // y[t−1]
  const h = new Float64Array(S);
  const hPrev = new Float64Array(S);
  const r = new Float64Array(S);
  const lam = new Float64Array(S); // dL/dy[t] (varying states; invariant ones go to G)
  const dh = new Float64Array(S); // dL/dh[t]
  const th = new Float64Array(K);
  const dth = new Float64Array(K * P);
  const s = new Float64Array(K);
  const sPrev = new Float64Array(K);
  const dLds = new Float64Array(K);
  const xs = new Float64Array(C);
  const cp = new Float64Array(prog.chargePartialsLength);
  const rp = new Float64Array(prog.resetPartialsLength);
  const gp = new Float64Array(P); // this neuron's parameter gradients (float64 sums)
  const frames = timeVarying ? T / R : 1;
  const gx = new Float64Array(frames * C); // this neuron's input gradient per frame and input
  // dL/dh_inv[t] reaching the invariant states from the varying ones, summed over the batch:
  // [N][T][Si] (the invariant states' own recurrence is run once per neuron, below).
  const G = new Float64Array(N * T * Si);
  const invT = 1 / T;
  const sg0 = a.surrogate;
  const sgp = a.surrogateParam;
  const SS = S * S;
  const SC = S * C;
  const volt = a.voltageOutput === true;
  for (let i = 0; i < BN; i++) {
    const j = i % N;
    loadParams(a.params, j, p);
    prog.threshold(p, th);
    prog.thresholdPartials(p, dth);
    lam.fill(0);
    gp.fill(0);
    gx.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      load(t, i, h);
      // y[t−1]: the initial state, or the previous charged state through its spikes and resets.
      if (t === 0) loadInitial(a.initial, S, j, y);
      else {
        load(t - 1, i, hPrev);
        spikesAt(a, hPrev, th, sPrev);
        blend(prog, hPrev, p, sPrev, r, y);
      }
      spikesAt(a, h, th, s);
      // A voltage output's gradient enters h_v directly; the spike then only feeds the reset.
      let gv = 0;
      for (let k = 0; k < K; k++) {
        const g = rateOutput
          ? gradOut[blockAt(K, N, BN, 0, i, k)] * invT
          : gradOut[blockAt(K, N, BN, t, i, k)];
        dLds[k] = volt ? 0 : g;
        gv = g;
      }
      // Through the reset blend y_k = s·r_k + (1 − s)·h_k (s: the spike of k's rule).
      dh.set(lam);
      if (resetStates.length > 0) {
        prog.reset(h, p, r);
        prog.resetPartials(h, p, rp);
        for (const k of resetStates) {
          const rule = resetSpike[k];
          const sk = s[rule];
          if (!a.detachReset) dLds[rule] += lam[k] * (r[k] - h[k]);
          dh[k] -= sk * lam[k];
          const sl = sk * lam[k];
          if (sl !== 0) {
            for (let m = 0; m < S; m++) dh[m] += sl * rp[k * S + m];
            for (const q of learnable) gp[q] += sl * rp[SS + k * P + q];
          }
        }
      }
      // Through each spike s = H(h_v − θ(p)).
      for (let k = 0; k < K; k++) {
        const vk = rules[k].voltage;
        const ds = dLds[k] * surrogateGradAt(sg0, sgp, h[vk] - th[k]);
        dh[vk] += ds;
        if (volt) dh[v] += gv;
        for (const q of learnable) gp[q] -= ds * dth[k * P + q];
      }
      for (let c = 0; c < Si; c++) G[(j * T + t) * Si + c] += dh[invariant[c]];
      // Through the charge h = charge(y[t−1], x, p) of the varying states.
      const f = timeVarying ? Math.floor(t / R) : 0;
      let x: number | Float64Array;
      if (C === 1) x = input[f * BN + i];
      else {
        for (let c = 0; c < C; c++) xs[c] = input[blockAt(C, N, BN, f, i, c)];
        x = xs;
      }
      prog.chargePartialsVarying(y, x, p, cp);
      for (let c = 0; c < C; c++) {
        let gxt = 0;
        for (const k of varying) gxt += dh[k] * cp[SS + k * C + c];
        gx[f * C + c] += gxt;
      }
      for (const q of learnable) {
        let g = 0;
        for (const k of varying) g += dh[k] * cp[SS + SC + k * P + q];
        gp[q] += g;
      }
      for (let m = 0; m < S; m++) lam[m] = sumInto(cp, dh, varying, S, m);
      // What reaches the invariant states of y[t−1] goes to G, summed over the batch.
      for (let c = 0; c < Si; c++) {
        if (t > 0) G[(j * T + t - 1) * Si + c] += lam[invariant[c]];
        lam[invariant[c]] = 0;
      }
    }
    if (gradInput)
      for (let f = 0; f < frames; f++)
        for (let c = 0; c < C; c++) gradInput[blockAt(C, N, BN, f, i, c)] += gx[f * C + c];
    a.gradParams.forEach((g, q) => {
      if (g) g[g.length === 1 ? 0 : j] += gp[q];
    });
  }
  if (Si > 0) invariantBackward(a, G, load);
}

/** Σ_k dh[k]·∂h_k/∂y_m over the states `rows`. */
function sumInto(cp: Float64Array, dh: Float64Array, rows: readonly number[], S: number, m: number): number {
  let g = 0;
  for (const k of rows) g += dh[k] * cp[k * S + m];
  return g;
}

/**
 * The invariant states' BPTT, once per neuron: their adjoint is G (everything the batch sent
 * them) plus what their own later steps send back; their parameter gradients follow from it.
 */
function invariantBackward(
  a: GenericSpikingBackwardArgs,
  G: Float64Array,
  load: (t: number, i: number, h: Float64Array) => void,
): void {
  const prog = a.program;
  const { S, P, learnable, invariant } = prog;
  const Si = invariant.length;
  const { neurons: N, steps: T } = a;
  const SS = S * S;
  const p = new Float64Array(P);
  const y = new Float64Array(S);
  const adj = new Float64Array(S);
  const dh = new Float64Array(S);
  const cp = new Float64Array(prog.chargePartialsLength);
  const gp = new Float64Array(P);
  for (let j = 0; j < N; j++) {
    loadParams(a.params, j, p);
    adj.fill(0);
    gp.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      for (let c = 0; c < Si; c++) dh[invariant[c]] = adj[invariant[c]] + G[(j * T + t) * Si + c];
      // y[t−1] of the invariant states (never reset: the charged state itself).
      if (t === 0) loadInitial(a.initial, S, j, y);
      else load(t - 1, j, y);
      prog.chargePartialsInvariant(y, p, cp);
      for (const q of learnable) {
        let g = 0;
        for (const k of invariant) g += dh[k] * cp[SS + S + k * P + q];
        gp[q] += g;
      }
      for (const m of invariant) adj[m] = sumInto(cp, dh, invariant, S, m);
    }
    a.gradParams.forEach((g, q) => {
      if (g) g[g.length === 1 ? 0 : j] += gp[q];
    });
  }
}
