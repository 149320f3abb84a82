/**
 * The tv-LIF2HH micro-circuit: one HH neuron rebuilt from four time-varying-parameter LIF neurons.
 *
 * Three channel tv-LIFs u_i (i ∈ Na, K, L) with rest E_i and input I/gs,
 *     C du_i/dt = −(u_i − E_i) + I/gs            (time constant C: 1 ms for C = 1 µF/cm², as in the study)
 * feed conductance-weighted changes into accumulators f_i = ∫ g_i du_i, and a soma tv-LIF u4 with
 * capacitance C/gs and rest 0,
 *     (C/gs) du4/dt = −u4 − Σ f_i + Σ g_i u_i / gs.
 * The circuit's potential V' = Σ f_i + u4 then obeys C dV'/dt = −Σ g_i (V' − E_i) + I exactly (the
 * Σ g_i u_i terms cancel), i.e. the HH voltage equation. The conductances come from the circuit's
 * own gates, each a tv-LIF dx/dt = −(x − x∞(V'))/τx(V') driven by V' — nothing is borrowed from an
 * HH neuron. Because V' is a linear function of the state, Euler and RK4 reproduce HH's Euler and
 * RK4 steps up to rounding; exponential Euler (each tv-LIF solved exactly with frozen parameters)
 * differs from HH's exponential Euler by O(dt).
 */
import {
  HH_GATE_DYNAMICS,
  HH_GATE_STATES,
  HH_RATE_LETS,
  HH_SHIFTED,
  gateCoefficients,
  hhParamDeclarations,
  hhParams,
  restingState,
} from './hh.js';
import { declareNeuron } from './model.js';
import type { HHParams } from './hh.js';
import type { QuasiLinearModel } from './types.js';

// State layout of one micro-circuit.
const U_NA = 0;
const U_K = 1;
const U_L = 2;
const F_NA = 3;
const F_K = 4;
const F_L = 5;
const U4 = 6;
const M = 7;
const H = 8;
const N = 9;

export const TVLIF2HH_STATE = ['uNa', 'uK', 'uL', 'fNa', 'fK', 'fL', 'u4', 'm', 'h', 'n'] as const;

export function tvlif2hhModel(
  params: Partial<HHParams> = {},
  convention: 'shifted' | 'modern' = 'shifted',
): QuasiLinearModel {
  const p = hhParams(params, convention);
  const rest = restingState(p);
  const voltage = (y: Float64Array, off: number): number =>
    y[off + F_NA] + y[off + F_K] + y[off + F_L] + y[off + U4];
  return {
    name: 'tvlif2hh',
    stateNames: TVLIF2HH_STATE,
    params: p as unknown as Record<string, number>,
    spikeThreshold: p.spikeThreshold,
    voltageLimit: 1000,
    initialState(y, off) {
      // Channels start at the circuit's potential, accumulators empty, so V'(0) = u4(0) = rest.
      y[off + U_NA] = rest.v;
      y[off + U_K] = rest.v;
      y[off + U_L] = rest.v;
      y[off + F_NA] = 0;
      y[off + F_K] = 0;
      y[off + F_L] = 0;
      y[off + U4] = rest.v;
      y[off + M] = rest.m;
      y[off + H] = rest.h;
      y[off + N] = rest.n;
    },
    coefficients(_t, y, off, input, a, b) {
      const m = y[off + M];
      const h = y[off + H];
      const n = y[off + N];
      const gNa = p.gNa * m * m * m * h;
      const n2 = n * n;
      const gK = p.gK * n2 * n2;
      const gL = p.gL;
      const gs = gNa + gK + gL;
      const drive = input / gs;
      const uNa = y[off + U_NA];
      const uK = y[off + U_K];
      const uL = y[off + U_L];
      const invC = 1 / p.C;
      // Channel tv-LIFs: rest E_i, input I/gs, time constant C.
      a[U_NA] = (p.ENa + drive) * invC;
      a[U_K] = (p.EK + drive) * invC;
      a[U_L] = (p.EL + drive) * invC;
      b[U_NA] = b[U_K] = b[U_L] = invC;
      // Accumulators: df_i/dt = g_i du_i/dt.
      a[F_NA] = gNa * (a[U_NA] - invC * uNa);
      a[F_K] = gK * (a[U_K] - invC * uK);
      a[F_L] = gL * (a[U_L] - invC * uL);
      b[F_NA] = b[F_K] = b[F_L] = 0;
      // Soma tv-LIF: capacitance C/gs, rest 0, input −Σf + Σ g_i u_i / gs.
      const fSum = y[off + F_NA] + y[off + F_K] + y[off + F_L];
      a[U4] = (gNa * uNa + gK * uK + gL * uL - gs * fSum) * invC;
      b[U4] = gs * invC;
      // Gates: tv-LIFs driven by the circuit's own potential V'.
      gateCoefficients(fSum + y[off + U4] - p.vOffset, a, b, M);
    },
    voltage,
  };
}

/**
 * The same circuit as a declaration (simulation only: its potential V' is a `let`, the sum of the
 * accumulators and the soma). `vRest` is the starting potential of the channels and the soma: the
 * HH resting potential for the default membrane (tvlif2hhModel solves it for the parameters given;
 * set vRest with them when changing the membrane).
 */
export const tvlif2hhDeclared = declareNeuron({
  name: 'tvlif2hh',
  description: 'the exact HH micro-circuit of four tv-LIF neurons (shifted convention)',
  reference: 'He L et al. (2024) Nat Comput Sci 4:584–599',
  states: {
    uNa: { init: 'vRest', unit: 'mV', doc: 'Na channel tv-LIF' },
    uK: { init: 'vRest', unit: 'mV', doc: 'K channel tv-LIF' },
    uL: { init: 'vRest', unit: 'mV', doc: 'leak channel tv-LIF' },
    fNa: { init: 0, unit: 'mV', doc: 'accumulated gNa·duNa' },
    fK: { init: 0, unit: 'mV' },
    fL: { init: 0, unit: 'mV' },
    u4: { init: 'vRest', unit: 'mV', doc: 'soma tv-LIF' },
    ...HH_GATE_STATES,
  },
  params: {
    ...hhParamDeclarations(HH_SHIFTED),
    vRest: { value: restingState(HH_SHIFTED).v, unit: 'mV', doc: 'starting potential (HH rest)' },
  },
  let: {
    V: 'fNa + fK + fL + u4',
    u: 'V - vOffset',
    gna: 'gNa*m^3*h',
    gk: 'gK*n^4',
    gs: 'gna + gk + gL',
    ...HH_RATE_LETS,
  },
  dynamics: {
    // Channel tv-LIFs: rest E_i, input I/gs, time constant C.
    uNa: '(ENa + I/gs - uNa)/C',
    uK: '(EK + I/gs - uK)/C',
    uL: '(EL + I/gs - uL)/C',
    // Accumulators: df_i/dt = g_i·du_i/dt.
    fNa: 'gna*(ENa + I/gs - uNa)/C',
    fK: 'gk*(EK + I/gs - uK)/C',
    fL: 'gL*(EL + I/gs - uL)/C',
    // Soma tv-LIF: capacitance C/gs, rest 0, input −Σf + Σ g_i·u_i/gs.
    u4: '(gna*uNa + gk*uK + gL*uL - gs*(fNa + fK + fL) - gs*u4)/C',
    ...HH_GATE_DYNAMICS,
  },
  voltage: 'V',
  drive: 10,
  spike: 'V > spikeThreshold',
  voltageLimit: 1000,
});
