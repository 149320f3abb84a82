/**
 * The study's trainable HH (spec 2.5) as a declaration: the HH membrane with per-neuron constant
 * gate rates (learnable), v, n, m, h starting at 0, no reset. Trained with forward Euler at the
 * layer's dt (0.01 ms in the fully connected models).
 */
import { declareNeuron } from './model.js';

export const learningHh = declareNeuron({
  name: 'learning-hh',
  description: "the study's learning HH: HH membrane, constant per-neuron gate rates, no reset",
  states: { v: { init: 0, unit: 'mV' }, n: { init: 0 }, m: { init: 0 }, h: { init: 0 } },
  params: {
    C: { value: 1, unit: 'µF/cm²' },
    gNa: { value: 120, unit: 'mS/cm²' },
    gK: { value: 36, unit: 'mS/cm²' },
    gL: { value: 0.3, unit: 'mS/cm²' },
    ENa: { value: 115, unit: 'mV' },
    EK: { value: -12, unit: 'mV' },
    EL: { value: 10.6, unit: 'mV' },
    alphaN: { value: 0.005, unit: '1/ms', learnable: true },
    betaN: { value: 0.005, unit: '1/ms', learnable: true },
    alphaM: { value: 0.005, unit: '1/ms', learnable: true },
    betaM: { value: 0.005, unit: '1/ms', learnable: true },
    alphaH: { value: 0.005, unit: '1/ms', learnable: true },
    betaH: { value: 0.005, unit: '1/ms', learnable: true },
    theta: { value: 0.2, unit: 'mV', doc: 'spike threshold' },
  },
  let: { ionic: 'gNa*m^3*h*(v - ENa) + gK*n^4*(v - EK) + gL*(v - EL)' },
  dynamics: {
    v: '(I - ionic)/C',
    n: 'alphaN*(1 - n) - betaN*n',
    m: 'alphaM*(1 - m) - betaM*m',
    h: 'alphaH*(1 - h) - betaH*h',
  },
  drive: 20,
  spike: 'v > theta',
  trainingDt: 0.01,
});
