/**
 * s-LIF2HH, simulation form: the simplified micro-circuit of the study (spec 2.3) as a
 * discrete-time population. Each unit is four plain LIFs:
 *   m_k[t] = d·m_k[t−1]·(1 − s_k[t−1]) + w_k·I[t]           k = 1, 2, 3 (input LIFs)
 *   m_4[t] = d·m_4[t−1]·(1 − s_4[t−1]) + Σ_k c_k·m_k[t]      (c_k ≥ 0, the learned 3→1 mix)
 *   s_k[t] = H(m_k[t] − θ)
 * The unit's output spike train, compared with an HH neuron, is that of the fourth LIF; all four
 * are recorded. At the reference step (dt = 1 ms) this is exactly the learning code's recursion;
 * for other dt the decay per step is d^dt and every input (w_k·I and the Σ c_k·m_k mix) is scaled
 * by dt, so the recursion approaches the same continuous-time LIFs as dt → 0.
 */
import { declareNeuron } from './model.js';

export interface SLIF2HHParams {
  /** Membrane decay per 1 ms step. */
  decay: number;
  threshold: number;
  /** Input weights of the three input LIFs. */
  w1: number;
  w2: number;
  w3: number;
  /** Non-negative weights of the three membrane potentials driving the fourth LIF. */
  c1: number;
  c2: number;
  c3: number;
}

/**
 * Threshold 2 as in the study's fully connected model; decay and wiring as fitted to HH spike trains
 * on the five standard waveforms by `hhnet equivalence` (seed 1, rounded), so a default unit fires
 * at 100 Hz at 10 µA/cm² (HH: 68 Hz) rather than on every step.
 */
export const SLIF2HH_DEFAULTS: Readonly<SLIF2HHParams> = Object.freeze({
  decay: 0.7637,
  threshold: 2,
  w1: 0.3225,
  w2: 0.008565,
  w3: 0.06838,
  c1: 0.01825,
  c2: 0.3951,
  c3: 0.1822,
});

/** The recursion above as a declaration: simulated by StepPopulation at any dt (its step reads dt). */
export const slif2hhDeclared = declareNeuron({
  name: 'slif2hh',
  description: 's-LIF2HH: four plain LIFs with learned wiring (discrete time)',
  reference: 'He L et al. (2024) Nat Comput Sci 4:584–599',
  states: {
    m1: { init: 0, doc: 'input LIF 1' },
    m2: { init: 0, doc: 'input LIF 2' },
    m3: { init: 0, doc: 'input LIF 3' },
    m4: { init: 0, doc: 'output LIF (the unit’s potential)' },
    s1: { init: 0, doc: 'spike of input LIF 1 in the last step (0 or 1)' },
    s2: { init: 0 },
    s3: { init: 0 },
    s4: { init: 0, doc: 'spike of the output LIF in the last step' },
  },
  params: {
    decay: { value: SLIF2HH_DEFAULTS.decay, doc: 'membrane decay per 1 ms', min: 0, max: 1 },
    threshold: { value: SLIF2HH_DEFAULTS.threshold },
    w1: { value: SLIF2HH_DEFAULTS.w1, doc: 'input weight of LIF 1' },
    w2: { value: SLIF2HH_DEFAULTS.w2 },
    w3: { value: SLIF2HH_DEFAULTS.w3 },
    c1: { value: SLIF2HH_DEFAULTS.c1, doc: 'weight of m1 in the output LIF’s input', min: 0 },
    c2: { value: SLIF2HH_DEFAULTS.c2, min: 0 },
    c3: { value: SLIF2HH_DEFAULTS.c3, min: 0 },
  },
  let: {
    d: 'decay^dt',
    // The input LIFs' new potentials (the output LIF reads them within the same step).
    n1: 'd*m1*(1 - s1) + w1*(I*dt)',
    n2: 'd*m2*(1 - s2) + w2*(I*dt)',
    n3: 'd*m3*(1 - s3) + w3*(I*dt)',
    n4: 'd*m4*(1 - s4) + dt*(c1*n1 + c2*n2 + c3*n3)',
  },
  step: {
    m1: 'n1',
    m2: 'n2',
    m3: 'n3',
    m4: 'n4',
    // s = H(m − θ) with H(0) = 1: 1 − step(θ − m).
    s1: '1 - step(threshold - n1)',
    s2: '1 - step(threshold - n2)',
    s3: '1 - step(threshold - n3)',
    s4: '1 - step(threshold - n4)',
  },
  voltage: 'm4',
  drive: 10,
  spike: 'm4 >= threshold',
  timeBase: 1,
  voltageLimit: 1e6,
});

/**
 * The study's trainable s-LIF2HH unit (spec 2.3) as one declaration: three input LIFs of the
 * `lif-step` kind, m_k ← decay·m_k + I_k, and a fourth driven by their charged membranes through
 * the non-negative mix Σk |w_k|·m_k (|w| keeps it non-negative while w learns freely; d|w|/dw is
 * sign w). Each LIF spikes when its membrane exceeds θ and resets to 0. The input is the three
 * currents of each unit in blocks [I1|I2|I3]; the output the four spike trains [s1|s2|s3|s4] —
 * the layout of the fused s-LIF2HH op, which it reproduces (test/slif2hh-unit.test.ts).
 */
export const slif2hhUnitDeclared = declareNeuron({
  name: 'slif2hh-unit',
  description: "the study's trainable s-LIF2HH unit: three input LIFs and a fourth driven by Σ|w_k|·m_k",
  reference: 'He L et al. (2024) Nat Comput Sci 4:584–599',
  states: {
    m1: { init: 0, doc: 'input LIF 1' },
    m2: { init: 0, doc: 'input LIF 2' },
    m3: { init: 0, doc: 'input LIF 3' },
    m4: { init: 0, doc: 'output LIF' },
  },
  inputs: ['I1', 'I2', 'I3'],
  params: {
    decay: { value: 0.5, doc: 'membrane decay per step (the fc model’s)' },
    theta: { value: 2, doc: 'threshold of all four LIFs' },
    w1: { value: 1, doc: 'weight of m1 in the output LIF’s drive (|w1| is used)', learnable: true },
    w2: { value: 1, learnable: true },
    w3: { value: 1, learnable: true },
  },
  let: { h1: 'decay*m1 + I1', h2: 'decay*m2 + I2', h3: 'decay*m3 + I3' },
  step: { m1: 'h1', m2: 'h2', m3: 'h3', m4: 'decay*m4 + abs(w1)*h1 + abs(w2)*h2 + abs(w3)*h3' },
  voltage: 'm1',
  spike: 'm1 > theta',
  reset: { m1: '0' },
  moreSpikes: [
    { spike: 'm2 > theta', reset: { m2: '0' } },
    { spike: 'm3 > theta', reset: { m3: '0' } },
    { spike: 'm4 > theta', reset: { m4: '0' } },
  ],
  drive: 1.5,
  timeBase: 1,
});
