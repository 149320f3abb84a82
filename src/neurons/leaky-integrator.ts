/**
 * A leaky integrator without reset: the learning HH with all six gate rates zero (its gates stay
 * at 0, so only the leak is left), the ablation that asks what the HH channels add:
 *   C dv/dt = I − gL(v − EL),   spike while v > θ (no reset), v(0) = 0.
 * Constants as the learning HH: C 1 µF/cm², gL 0.3 mS/cm², EL 10.6 mV; θ 0.2 (its fc threshold).
 */
import { declareNeuron } from './model.js';

export const leakyIntegrator = declareNeuron({
  name: 'leaky-integrator',
  description: 'leaky integrator without reset (the learning HH with all rates zero)',
  states: { v: { init: 0, unit: 'mV' } },
  params: {
    C: { value: 1, unit: 'µF/cm²' },
    gL: { value: 0.3, unit: 'mS/cm²', learnable: true },
    EL: { value: 10.6, unit: 'mV' },
    theta: { value: 0.2, unit: 'mV', doc: 'spike threshold', learnable: true },
  },
  dynamics: { v: '(I - gL*(v - EL))/C' },
  drive: 1,
  spike: 'v > theta',
  trainingDt: 0.01,
});
