/**
 * Izhikevich (2003), "Simple model of spiking neurons", IEEE Trans. Neural Netw. 14:1569:
 *   dv/dt = 0.04v² + 5v + 140 − u + I,   du/dt = a(bv − u),   if v ≥ 30 mV: v ← c, u ← u + d.
 * v in mV, t in ms, I in the model's own units. Defaults: regular spiking (a 0.02, b 0.2, c −65,
 * d 8); fast spiking is a 0.1, d 2; intrinsically bursting c −55, d 4; chattering c −50, d 2.
 */
import { declareNeuron } from './model.js';

export const izhikevich = declareNeuron({
  name: 'izhikevich',
  description: 'Izhikevich (2003) simple model; defaults regular spiking (a 0.02, b 0.2, c −65, d 8)',
  reference: 'Izhikevich EM (2003) IEEE Trans Neural Netw 14:1569–1572',
  states: {
    v: { init: 'v0', unit: 'mV', doc: 'membrane potential' },
    u: { init: 'b*v0', doc: 'recovery variable' },
  },
  params: {
    a: { value: 0.02, unit: '1/ms', doc: 'recovery time scale', learnable: true },
    b: { value: 0.2, doc: 'sensitivity of u to v', learnable: true },
    c: { value: -65, unit: 'mV', doc: 'reset potential', learnable: true },
    d: { value: 8, doc: 'reset increment of u', learnable: true },
    v0: { value: -65, unit: 'mV', doc: 'initial potential' },
  },
  dynamics: { v: '0.04*v^2 + 5*v + 140 - u + I', u: 'a*(b*v - u)' },
  inputUnit: '',
  drive: 10,
  spike: 'v >= 30',
  reset: { v: 'c', u: 'u + d' },
  voltageLimit: 1e4,
  trainingDt: 0.5,
});
