/**
 * Adaptive exponential integrate-and-fire (Brette & Gerstner 2005, J Neurophysiol 94:3637):
 *   C dV/dt = −gL(V − EL) + gL·ΔT·exp((V − VT)/ΔT) − w + I,   τw dw/dt = a(V − EL) − w,
 *   at V > VT + 5ΔT: V ← Vr, w ← w + b.
 * Units: mV, ms, pF, nS, pA (nS·mV = pA, pA/pF = mV/ms). Defaults: the paper's fit to a
 * pyramidal cell (C 281 pF, gL 30 nS, EL −70.6 mV, VT −50.4 mV, ΔT 2 mV, τw 144 ms, a 4 nS,
 * b 0.0805 nA, Vr = EL).
 */
import { declareNeuron } from './model.js';

export const adex = declareNeuron({
  name: 'adex',
  description: 'adaptive exponential IF (Brette & Gerstner 2005); pA, pF, nS',
  reference: 'Brette R, Gerstner W (2005) J Neurophysiol 94:3637–3642',
  states: {
    v: { init: 'EL', unit: 'mV' },
    w: { init: 0, unit: 'pA', doc: 'adaptation current' },
  },
  params: {
    C: { value: 281, unit: 'pF' },
    gL: { value: 30, unit: 'nS' },
    EL: { value: -70.6, unit: 'mV' },
    VT: { value: -50.4, unit: 'mV', doc: 'threshold of the exponential' },
    DeltaT: { value: 2, unit: 'mV', doc: 'slope factor' },
    tauw: { value: 144, unit: 'ms' },
    a: { value: 4, unit: 'nS', doc: 'subthreshold adaptation' },
    b: { value: 80.5, unit: 'pA', doc: 'spike-triggered adaptation' },
    Vr: { value: -70.6, unit: 'mV', doc: 'reset potential' },
  },
  dynamics: {
    v: '(-gL*(v - EL) + gL*DeltaT*exp((v - VT)/DeltaT) - w + I)/C',
    w: '(a*(v - EL) - w)/tauw',
  },
  inputUnit: 'pA',
  drive: 1000,
  spike: 'v > VT + 5*DeltaT',
  reset: { v: 'Vr', w: 'w + b' },
  trainingDt: 0.1,
});
