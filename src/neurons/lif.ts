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
import type { QuasiLinearModel } from './types.js';
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

export interface TvLIFParams extends LIFParams {
  /** Time constant τ(t) in ms (default C/gL). */
  tau?: (t: number) => number;
  /** Rest potential E(t) in mV (default EL). */
  rest?: (t: number) => number;
  /** Input gain k(t) (default 1). */
  gain?: (t: number) => number;
}

/** Analytic steady firing rate (Hz) of the LIF for a constant current. */
export function lifRateHz(current: number, p: Readonly<LIFParams> = LIF_DEFAULTS): number {
  const vInf = p.EL + current / p.gL;
  if (vInf <= p.vThreshold) return 0;
  const tau = p.C / p.gL;
  const isi = p.tRef + tau * Math.log((vInf - p.vReset) / (vInf - p.vThreshold));
  return 1000 / isi;
}

/** State (v, refractory time left). */
function integrateAndFire(name: string, p: TvLIFParams, timeVarying: boolean): QuasiLinearModel {
  const constTau = p.C / p.gL;
  const tauOf = p.tau ?? (() => constTau);
  const restOf = p.rest ?? (() => p.EL);
  const gainOf = p.gain ?? (() => 1);
  const { tau: _tau, rest: _rest, gain: _gain, ...numeric } = p;
  return {
    name,
    stateNames: ['v', 'refractory'],
    params: { ...numeric, timeVarying: timeVarying ? 1 : 0 },
    spikeThreshold: p.vThreshold,
    voltageLimit: 1e4,
    initialState(y, off) {
      y[off] = p.EL;
      y[off + 1] = 0;
    },
    coefficients(t, y, off, input, a, b) {
      if (y[off + 1] > 0) {
        a[0] = 0; // clamped at reset while refractory
        b[0] = 0;
      } else {
        const tau = tauOf(t);
        a[0] = restOf(t) / tau + (gainOf(t) * input) / p.C;
        b[0] = 1 / tau;
      }
      a[1] = 0;
      b[1] = 0;
    },
    voltage: (y, off) => y[off],
    afterStep(y, off, dt, vBefore) {
      if (y[off + 1] > 0) {
        const left = y[off + 1] - dt;
        y[off + 1] = left > 1e-9 * dt ? left : 0; // no extra step from rounding of repeated subtraction
        y[off] = p.vReset;
        return 0;
      }
      const v = y[off];
      if (v < p.vThreshold) return 0;
      y[off] = p.vReset;
      y[off + 1] = p.tRef;
      // Where in the step the threshold was crossed (linear interpolation).
      return v > vBefore ? Math.min(1, Math.max(1e-9, (p.vThreshold - vBefore) / (v - vBefore))) : 1;
    },
  };
}

export function lifModel(params: Partial<LIFParams> = {}): QuasiLinearModel {
  return integrateAndFire('lif', { ...LIF_DEFAULTS, ...params }, false);
}

export function tvlifModel(params: Partial<TvLIFParams> = {}): QuasiLinearModel {
  return integrateAndFire('tvlif', { ...LIF_DEFAULTS, ...params }, true);
}

/** The continuous LIF as a declaration (model.ts), with the same defaults as lifModel. */
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
