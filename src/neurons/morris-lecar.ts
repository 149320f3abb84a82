/**
 * Morris–Lecar (Morris & Lecar 1981, Biophys J 35:193), a voltage and a K⁺ activation w with an
 * instantaneous Ca²⁺ current, in the form of Rinzel & Ermentrout (1998):
 *   C dV/dt = I − gL(V − VL) − gCa·m∞(V)(V − VCa) − gK·w(V − VK)
 *   dw/dt   = φ·(w∞(V) − w)·cosh((V − V3)/(2V4))
 *   m∞ = ½(1 + tanh((V − V1)/V2)),   w∞ = ½(1 + tanh((V − V3)/V4)),
 * V in mV, t in ms, I in µA/cm². Defaults: the Hopf set (type II: φ 0.04, gCa 4.4, V3 2, V4 30;
 * repetitive firing from I ≈ 98 at a finite rate). The SNLC set (type I: φ 0.0667, gCa 4, V3 12,
 * V4 17.4) fires from I ≈ 40 at arbitrarily low rates. Spikes are upward crossings of 0 mV.
 */
import { declareNeuron } from './model.js';

export const morrisLecar = declareNeuron({
  name: 'morris-lecar',
  description: 'Morris–Lecar (Rinzel–Ermentrout form); defaults the Hopf set (φ 0.04, gCa 4.4, V3 2, V4 30)',
  reference:
    'Morris C, Lecar H (1981) Biophys J 35:193–213; Rinzel J, Ermentrout GB (1998) in Methods in Neuronal Modeling, 2nd ed., MIT Press',
  states: {
    v: { init: -60, unit: 'mV', doc: 'membrane potential' },
    w: { init: 0, doc: 'K⁺ activation' },
  },
  params: {
    C: { value: 20, unit: 'µF/cm²', min: 1e-9 },
    gL: { value: 2, unit: 'mS/cm²', learnable: true },
    gCa: { value: 4.4, unit: 'mS/cm²', learnable: true },
    gK: { value: 8, unit: 'mS/cm²', learnable: true },
    VL: { value: -60, unit: 'mV' },
    VCa: { value: 120, unit: 'mV' },
    VK: { value: -84, unit: 'mV' },
    V1: { value: -1.2, unit: 'mV', doc: 'half-activation of m∞' },
    V2: { value: 18, unit: 'mV', doc: 'slope of m∞', min: 1e-9 },
    V3: { value: 2, unit: 'mV', doc: 'half-activation of w∞' },
    V4: { value: 30, unit: 'mV', doc: 'slope of w∞', min: 1e-9 },
    phi: { value: 0.04, unit: '1/ms', doc: 'rate of w', learnable: true },
    threshold: { value: 0, unit: 'mV', doc: 'spike detection level' },
  },
  let: {
    mInf: '0.5*(1 + tanh((v - V1)/V2))',
    wInf: '0.5*(1 + tanh((v - V3)/V4))',
    z: '(v - V3)/(2*V4)',
  },
  dynamics: {
    v: '(I - gL*(v - VL) - gCa*mInf*(v - VCa) - gK*w*(v - VK))/C',
    w: 'phi*(wInf - w)*(exp(z) + exp(-z))/2',
  },
  drive: 150,
  spike: 'v > threshold',
  startAtRest: true,
  voltageLimit: 1000,
  trainingDt: 0.5,
});
