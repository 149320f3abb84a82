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
import { HH_GATE_DYNAMICS, HH_RATE_LETS, HH_SHIFTED, hhDeclared, hhParamDeclarations } from './hh.js';
import { declareNeuron } from './model.js';

/**
 * The circuit as a declaration (simulation only: its potential V' is a `let`, the sum of the
 * accumulators and the soma). It starts where the HH neuron of the same membrane rests: the
 * channels and the soma at the HH resting potential, the gates at their resting values, the
 * accumulators empty, so V'(0) = u4(0) = rest — for any membrane parameters (initFrom: the `hh`
 * declaration, solved by Newton's method with these parameter values).
 */
export const tvlif2hhDeclared = declareNeuron({
  name: 'tvlif2hh',
  description: 'the exact HH micro-circuit of four tv-LIF neurons (shifted convention)',
  reference: 'He L et al. (2024) Nat Comput Sci 4:584–599',
  states: {
    uNa: { unit: 'mV', doc: 'Na channel tv-LIF' },
    uK: { unit: 'mV', doc: 'K channel tv-LIF' },
    uL: { unit: 'mV', doc: 'leak channel tv-LIF' },
    fNa: { init: 0, unit: 'mV', doc: 'accumulated gNa·duNa' },
    fK: { init: 0, unit: 'mV' },
    fL: { init: 0, unit: 'mV' },
    u4: { unit: 'mV', doc: 'soma tv-LIF' },
    m: {},
    h: {},
    n: {},
  },
  params: hhParamDeclarations(HH_SHIFTED),
  initFrom: {
    model: hhDeclared,
    states: { uNa: 'v', uK: 'v', uL: 'v', u4: 'v', m: 'm', h: 'h', n: 'n' },
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
