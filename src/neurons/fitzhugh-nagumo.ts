/**
 * FitzHugh–Nagumo (FitzHugh 1961, Biophys J 1:445; Nagumo et al. 1962, Proc IRE 50:2061): the
 * two-variable reduction of HH to a fast voltage and a slow recovery variable, dimensionless,
 *   dv/dt = v − v³/3 − w + I,   dw/dt = (v + a − b·w)/τ,
 * with FitzHugh's a 0.7, b 0.8, τ 12.5. Rest near (−1.20, −0.62) without input; above I ≈ 0.33 a
 * limit cycle (relaxation oscillations). Spikes are upward crossings of v = 1 (no reset). Time is
 * read as ms.
 */
import { declareNeuron } from './model.js';

export const fitzhughNagumo = declareNeuron({
  name: 'fitzhugh-nagumo',
  description: 'FitzHugh–Nagumo relaxation oscillator (a 0.7, b 0.8, τ 12.5; dimensionless)',
  reference: 'FitzHugh R (1961) Biophys J 1:445–466; Nagumo J et al. (1962) Proc IRE 50:2061–2070',
  states: { v: { init: -1.2 }, w: { init: -0.62, doc: 'recovery variable' } },
  params: {
    a: { value: 0.7, learnable: true },
    b: { value: 0.8, learnable: true },
    tau: { value: 12.5, doc: 'recovery time scale', learnable: true },
    threshold: { value: 1, doc: 'spike detection level' },
  },
  dynamics: { v: 'v - v^3/3 - w + I', w: '(v + a - b*w)/tau' },
  inputUnit: '',
  drive: 0.5,
  spike: 'v > threshold',
  startAtRest: true,
  voltageLimit: 100,
  trainingDt: 0.1,
});
