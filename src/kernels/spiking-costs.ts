/**
 * Analytic costs of the fused spiking kernels: FLOPs of the forward and bytes saved for backward,
 * counted from the reference kernels' arithmetic (src/kernels/js/spiking.ts; the wasm kernels
 * evaluate the same expressions). A FLOP is one add, subtract, multiply, divide, compare, abs or
 * exp; stores, loads and branch-free casts (+(u > θ)) are not counted. Per-call scalar setup
 * (1/T, 1/C, the spike cut-off) is left out. Counts are for the hard-threshold forward (the
 * smoothCheck mode is a test device).
 */

/**
 * LIF, per neuron-step: m = decay·m·(1 − s) + x is 1 subtract + 2 multiplies + 1 add = 4, then
 * s = (m > θ) is 1 compare: 5.
 */
export const LIF_FLOPS_PER_NEURON_STEP = 5;

/**
 * s-LIF2HH, per unit-step: three input LIFs at 4 each (12); the fourth LIF's membrane
 * decay·m4·(1 − s4) (3) plus Σk |wk|·mk (3 multiplies + 2 adds) plus the add joining them (1): 9;
 * four threshold compares (4). 12 + 9 + 4 = 25.
 */
export const SLIF2HH_FLOPS_PER_UNIT_STEP = 25;
/** s-LIF2HH, per batch-unit: |w1|, |w2|, |w3| (3 abs). */
export const SLIF2HH_FLOPS_PER_UNIT = 3;

/**
 * Learning HH, per batch-neuron-step: v = A[t]·v + k·I + c[t] with k·I precomputed for a static
 * input is 1 multiply + 2 adds, then 1 compare: 4 (a time-varying input adds the k·I multiply
 * once per input frame).
 */
export const LEARNING_HH_FLOPS_PER_NEURON_STEP = 4;
/** Learning HH, per batch-neuron: k = dt·(1/C), and k·I once for a static input. */
export const LEARNING_HH_FLOPS_PER_NEURON = 2;
/**
 * Learning HH gate tables, per neuron-step, computed once per call and shared by the whole batch
 * (the rates are per-neuron constants, so the gates do not depend on the input):
 * gNa·m·m·m·h (4 multiplies), n² (1), gK·n²·n² (2), A = 1 − k·(gNa' + gK' + gL) (2 adds,
 * 1 multiply, 1 subtract: 4), c = k·(gNa'·ENa + gK'·EK + gL·EL) (4 multiplies, 2 adds: 6), and
 * three gate updates x + dt·(α·(1 − x) − β·x) (1 − x, 2 multiplies, subtract, ·dt, add: 6 each,
 * 18). 4 + 1 + 2 + 4 + 6 + 18 = 35.
 */
export const LEARNING_HH_TABLE_FLOPS_PER_NEURON_STEP = 35;
/** Learning HH gate tables, per neuron: k = dt / C. */
export const LEARNING_HH_TABLE_FLOPS_PER_NEURON = 1;

/** Rate output: the spike count acc += s per spike train and step. */
export const RATE_FLOPS_PER_TRAIN_STEP = 1;
/** Rate output: acc·(1/T) once per spike train. */
export const RATE_FLOPS_PER_TRAIN = 1;

/** Bytes each kernel saves for backward per neuron-step (float32 states), when a graph is recorded. */
export const SAVED_BYTES_PER_NEURON_STEP = Object.freeze({
  /** The membrane m[t]; spikes are recomputed as (m > θ). */
  lif: 4,
  /** v[t] only: the gates are input-independent tables, recomputed per neuron in backward. */
  learningHh: 4,
  /** m1..m4 of each unit (4 per LIF). */
  slif2hh: 16,
});

export type SpikingKernelName = keyof typeof SAVED_BYTES_PER_NEURON_STEP;

export interface SpikingCostShape {
  batch: number;
  /** Neurons (units for s-LIF2HH) per sample. */
  neurons: number;
  steps: number;
  timeVarying: boolean;
  /** Steps per time-varying input frame (default 1). */
  inputRepeat?: number;
  rateOutput: boolean;
}

/** Forward FLOPs of one kernel call. */
export function spikingForwardFlops(kind: SpikingKernelName, s: SpikingCostShape): number {
  const BN = s.batch * s.neurons;
  const T = s.steps;
  const trains = kind === 'slif2hh' ? 4 * BN : BN;
  const rate = s.rateOutput ? trains * (T * RATE_FLOPS_PER_TRAIN_STEP + RATE_FLOPS_PER_TRAIN) : 0;
  switch (kind) {
    case 'lif':
      return BN * T * LIF_FLOPS_PER_NEURON_STEP + rate;
    case 'slif2hh':
      return BN * (T * SLIF2HH_FLOPS_PER_UNIT_STEP + SLIF2HH_FLOPS_PER_UNIT) + rate;
    case 'learningHh': {
      const tables =
        s.neurons * (T * LEARNING_HH_TABLE_FLOPS_PER_NEURON_STEP + LEARNING_HH_TABLE_FLOPS_PER_NEURON);
      // A time-varying input multiplies k·I once per frame instead of once.
      const frames = s.timeVarying ? T / (s.inputRepeat ?? 1) : 0;
      const perNeuron = s.timeVarying ? LEARNING_HH_FLOPS_PER_NEURON - 1 : LEARNING_HH_FLOPS_PER_NEURON;
      return tables + BN * (T * LEARNING_HH_FLOPS_PER_NEURON_STEP + frames + perNeuron) + rate;
    }
  }
}
