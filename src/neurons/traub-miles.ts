/**
 * Traub & Miles (1991) HH-type neuron as in the COBAHH benchmark (Brette et al. 2007, J Comput
 * Neurosci 23:349, after Destexhe et al.): a 20,000 µm² patch with
 *   Cm dv/dt = gl(El − v) − ḡNa m³h(v − ENa) − ḡK n⁴(v − EK) + I,
 * gates dx/dt = αx(1 − x) − βx·x, rates in 1/ms of v − VT (VT = −63 mV). Units: mV, ms, pF, nS, pA.
 * Starts at El with the gates at their steady state there. With these parameters the isolated
 * neuron is not quiescent: without input it fires slowly (14 spikes in the first second: the first
 * at 11 ms, then one every 72.2 ms; RK4 at dt 0.01 ms). The steady-state current is inward at
 * every potential below −33.4 mV, so the only equilibrium (the one Newton's method finds from El)
 * is depolarised, and it is unstable. Spikes are upward crossings of 0 mV (no reset).
 */
import { declareNeuron } from './model.js';

export const traubMiles = declareNeuron({
  name: 'traub-miles',
  description: 'Traub–Miles HH neuron of the COBAHH benchmark (Brette et al. 2007); pA, pF, nS',
  reference: 'Traub RD, Miles R (1991); Brette R et al. (2007) J Comput Neurosci 23:349–398',
  states: {
    v: { init: 'El', unit: 'mV' },
    m: { init: 'am/(am + bm)' },
    h: { init: 'ah/(ah + bh)' },
    n: { init: 'an/(an + bn)' },
  },
  params: {
    Cm: { value: 200, unit: 'pF' },
    gl: { value: 10, unit: 'nS' },
    El: { value: -60, unit: 'mV' },
    gNa: { value: 20000, unit: 'nS' },
    ENa: { value: 50, unit: 'mV' },
    gK: { value: 6000, unit: 'nS' },
    EK: { value: -90, unit: 'mV' },
    VT: { value: -63, unit: 'mV' },
    threshold: { value: 0, unit: 'mV', doc: 'spike detection level' },
  },
  let: {
    // x/(e^x − 1) = 1/exprel(x): the published rates without their removable singularities.
    am: '1.28/exprel((13 - v + VT)/4)',
    bm: '1.4/exprel((v - VT - 40)/5)',
    ah: '0.128*exp((17 - v + VT)/18)',
    bh: '4/(1 + exp((40 - v + VT)/5))',
    an: '0.16/exprel((15 - v + VT)/5)',
    bn: '0.5*exp((10 - v + VT)/40)',
  },
  dynamics: {
    v: '(gl*(El - v) - gNa*m^3*h*(v - ENa) - gK*n^4*(v - EK) + I)/Cm',
    m: 'am*(1 - m) - bm*m',
    h: 'ah*(1 - h) - bh*h',
    n: 'an*(1 - n) - bn*n',
  },
  inputUnit: 'pA',
  drive: 500,
  spike: 'v > threshold',
  voltageLimit: 1000,
  trainingDt: 0.01,
});
