/**
 * The leaky integrate-and-fire neuron of the CUBA network benchmark (Brette et al. 2007,
 * benchmark 2, after Vogels & Abbott 2005): τm dv/dt = El − v + I, with I a synaptic potential in
 * mV; threshold −50 mV, reset −60 mV, v held for 5 ms after a spike. With El above threshold the
 * isolated neuron fires regularly (every 5 + 20·ln 11 ≈ 53 ms).
 */
import { declareNeuron } from './model.js';

export const cubaLif = declareNeuron({
  name: 'cuba-lif',
  description: 'LIF of the CUBA benchmark (Brette et al. 2007); input in mV',
  reference: 'Brette R et al. (2007) J Comput Neurosci 23:349–398, benchmark 2',
  states: { v: { init: 'Vr', unit: 'mV' } },
  params: {
    taum: { value: 20, unit: 'ms' },
    El: { value: -49, unit: 'mV' },
    Vt: { value: -50, unit: 'mV' },
    Vr: { value: -60, unit: 'mV' },
    tref: { value: 5, unit: 'ms' },
  },
  dynamics: { v: '(El - v + I)/taum' },
  inputUnit: 'mV',
  drive: 5,
  spike: 'v > Vt',
  reset: { v: 'Vr' },
  refractory: 'tref',
  voltageLimit: 1000,
  trainingDt: 1,
});
