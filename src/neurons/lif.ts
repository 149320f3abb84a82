/**
 * Leaky integrate-and-fire neurons in continuous time.
 *
 * LIF:    C dV/dt = −gL (V − EL) + I; when V reaches vThreshold it is reset to vReset and held there
 *         for tRef ms. With R = 1/gL and τ = C/gL the analytic firing rate for RI > θ − EL is
 *         1 / (tRef + τ ln((RI + EL − vReset)/(RI + EL − θ))).
 * tv-LIF: the same with time-varying parameters: τ(t), rest E(t) and input gain k(t),
 *         dV/dt = −(V − E(t))/τ(t) + k(t)·I/C — the building block of the tv-LIF2HH micro-circuit.
 * Defaults use the shifted HH scale (rest 0 mV): τ = 10 ms, θ = 15 mV, so the rheobase is 1.5 µA/cm².
 */
import { declareNeuron } from './model.js';

export interface LIFParams {
  C: number;
  gL: number;
  EL: number;
  vThreshold: number;
  vReset: number;
  /** Absolute refractory period, ms. */
  tRef: number;
}

export const LIF_DEFAULTS: Readonly<LIFParams> = Object.freeze({
  C: 1,
  gL: 0.1,
  EL: 0,
  vThreshold: 15,
  vReset: 0,
  tRef: 2,
});

/** Analytic steady firing rate (Hz) of the LIF for a constant current. */
export function lifRateHz(current: number, p: Readonly<LIFParams> = LIF_DEFAULTS): number {
  const vInf = p.EL + current / p.gL;
  if (vInf <= p.vThreshold) return 0;
  const tau = p.C / p.gL;
  const isi = p.tRef + tau * Math.log((vInf - p.vReset) / (vInf - p.vThreshold));
  return 1000 / isi;
}

/** The continuous LIF as a declaration (model.ts): simulation (derive.ts quasiLinearOf) and layers derive from it. */
export const lifDeclared = declareNeuron({
  name: 'lif',
  description: 'leaky integrate-and-fire (τ 10 ms, θ 15 mV, reset 0, refractory 2 ms)',
  states: { v: { init: 'EL', unit: 'mV' } },
  params: {
    C: { value: LIF_DEFAULTS.C, unit: 'µF/cm²' },
    gL: { value: LIF_DEFAULTS.gL, unit: 'mS/cm²' },
    EL: { value: LIF_DEFAULTS.EL, unit: 'mV' },
    vThreshold: { value: LIF_DEFAULTS.vThreshold, unit: 'mV' },
    vReset: { value: LIF_DEFAULTS.vReset, unit: 'mV' },
    tRef: { value: LIF_DEFAULTS.tRef, unit: 'ms', doc: 'absolute refractory period' },
  },
  dynamics: { v: '(-gL*(v - EL) + I)/C' },
  drive: 2,
  spike: 'v >= vThreshold',
  reset: { v: 'vReset' },
  refractory: 'tRef',
});

/**
 * The tv-LIF, building block of the tv-LIF2HH circuit: τ dV/dt = −(V − E) + τ·k·I/C with a reset.
 * By name (`hhnet simulate --model tvlif`) its parameters are constant; a program makes any of
 * them a function of time with quasiLinearOf(tvlifDeclared, values, { timeVarying: { tau, E, k } }),
 * the numbers then giving the initial potential (E), threshold and reset.
 */
export const tvlifDeclared = declareNeuron({
  name: 'tvlif',
  description:
    'time-varying LIF: τ, rest E and input gain k (constant by name; functions of t from the library)',
  states: { v: { init: 'E', unit: 'mV' } },
  params: {
    C: { value: LIF_DEFAULTS.C, unit: 'µF/cm²' },
    tau: { value: LIF_DEFAULTS.C / LIF_DEFAULTS.gL, unit: 'ms', doc: 'membrane time constant τ(t)' },
    E: { value: LIF_DEFAULTS.EL, unit: 'mV', doc: 'rest potential E(t); also the initial potential' },
    k: { value: 1, doc: 'input gain k(t)' },
    vThreshold: { value: LIF_DEFAULTS.vThreshold, unit: 'mV' },
    vReset: { value: LIF_DEFAULTS.vReset, unit: 'mV' },
    tRef: { value: LIF_DEFAULTS.tRef, unit: 'ms', doc: 'absolute refractory period' },
  },
  dynamics: { v: '-(v - E)/tau + k*I/C' },
  drive: 2,
  spike: 'v >= vThreshold',
  reset: { v: 'vReset' },
  refractory: 'tRef',
});

/**
 * The study's trainable LIF (spec 2.4) in discrete time: mem[t] = decay·mem[t−1]·(1 − s[t−1]) +
 * x[t], s[t] = H(mem[t] − θ); here as charge v ← decay·v + I, spike v > θ, reset v ← 0.
 */
export const lifStepDeclared = declareNeuron({
  name: 'lif-step',
  description: "the study's discrete-time LIF (decay 0.2, θ 0.3, reset to 0)",
  states: { v: { init: 0 } },
  params: {
    decay: { value: 0.2, doc: 'membrane decay per step', learnable: true },
    theta: { value: 0.3, doc: 'threshold', learnable: true },
  },
  step: { v: 'decay*v + I' },
  drive: 0.5,
  spike: 'v > theta',
  reset: { v: '0' },
  timeBase: 1,
});
