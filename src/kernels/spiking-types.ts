/**
 * Argument types of the fused multi-step spiking kernels (see Backend in backend.ts).
 *
 * Conventions shared by every kernel:
 * - B samples of N neurons; T steps. Flat neuron index i = b·N + j, per-neuron parameters are
 *   indexed by j = i mod N.
 * - Input current: static [B·N] (the same current at every step: a static image projected once),
 *   or time-major when `timeVarying`: F frames [F][B·N], each presented R = `inputRepeat` steps
 *   in a row (T = F·R; step t reads frame ⌊t/R⌋; R = 1: one frame per step). The input gradient
 *   has the input's layout (a frame's gradient sums its R steps).
 * - Output: spikes time-major [T][B·N] or, with `rateOutput`, the mean over T as [B·N]. Backward
 *   takes dLoss/dOutput in the same layout (for a rate, each step receives gradOut/T).
 * - Saved-for-backward buffers are time-major [T][B·N]; where a neuron has several states they
 *   are interleaved, [T][B·N][4], so one step of one neuron stays within a cache line. A forward
 *   call given null saves nothing (inference).
 * - Spike: H(u − θ) with H(x) = 1 for x > 0, else 0. With `smooth` the forward uses the
 *   surrogate's primitive instead (gradient checks); backward formulas are the same either way.
 * - Gradient outputs are accumulated (+=) into the given buffers; callers zero them.
 */

/** Numeric surrogate ids, so kernels switch on a number instead of calling closures. */
export const SURROGATE_RECTANGULAR = 0;
export const SURROGATE_SIGMOID = 1;
export const SURROGATE_ARCTAN = 2;
export const SURROGATE_FAST_SIGMOID = 3;

/** Fields every spiking kernel call carries. */
export interface SpikingKernelBase {
  /** B: samples in the batch. */
  batch: number;
  /** N: neurons (or s-LIF2HH units) per sample. */
  neurons: number;
  /** T: time steps (≥ 1). */
  steps: number;
  /** Input is time-major [T/R][B·N] (true) or static [B·N] (false). */
  timeVarying: boolean;
  /**
   * R: steps each time-varying input frame is presented (a positive integer dividing T, < 2^24;
   * default 1). Saves a caller from materialising the repeated [T][B·N] input and summing its
   * gradient back. Checked, but without effect, for a static input.
   */
  inputRepeat?: number;
  /** Output is the spike rate [B·N] (mean over T) instead of the spike trains [T][B·N]. */
  rateOutput: boolean;
  /** Firing threshold θ (spike when u > θ). */
  threshold: number;
  /** Surrogate id (SURROGATE_*) and its parameter (width, α or slope). */
  surrogate: number;
  surrogateParam: number;
  /** Forward emits the surrogate primitive instead of the Heaviside (smooth gradient checks). */
  smooth: boolean;
}

/** LIF (spec 2.4): mem[t] = decay·mem[t−1]·(1 − s[t−1]) + x[t], s[t] = H(mem[t] − θ). */
export interface LifForwardArgs extends SpikingKernelBase {
  decay: number;
  input: Float32Array;
  out: Float32Array;
  /** Saved membrane (after charging, before the next step's reset) [T][B·N], or null. */
  mem: Float32Array | null;
}

export interface LifBackwardArgs extends SpikingKernelBase {
  decay: number;
  /** Treat the reset factor (1 − s[t−1]) as a constant in the backward pass. */
  detachReset: boolean;
  mem: Float32Array;
  gradOut: Float32Array;
  /** Accumulates dLoss/dInput, same layout as the input. */
  gradInput: Float32Array;
}

/** Membrane constants of the HH kernels (µF/cm², mS/cm², mV). */
export interface HhMembraneConstants {
  C: number;
  gNa: number;
  gK: number;
  gL: number;
  ENa: number;
  EK: number;
  EL: number;
}

/** Rate vectors are packed [6][N] in this order. */
export const LEARNING_HH_RATE_NAMES = ['alphaN', 'betaN', 'alphaM', 'betaM', 'alphaH', 'betaH'] as const;

/**
 * Learning HH (spec 2.5): v, n, m, h start at 0; forward Euler from the previous step's values;
 * gates use per-neuron constant rates; s[t] = H(v[t] − θ); no reset.
 */
export interface LearningHhForwardArgs extends SpikingKernelBase {
  constants: HhMembraneConstants;
  /** Per-neuron step [N]. */
  dt: Float32Array;
  /** Per-neuron rates [6][N]: αn, βn, αm, βm, αh, βh. */
  rates: Float32Array;
  input: Float32Array;
  out: Float32Array;
  /** Saved membrane potential v [T][B·N], or null. (The gates depend only on the rates and are
   * recomputed per neuron in backward.) */
  v: Float32Array | null;
  /**
   * Static input, rate output, rectangular surrogate, hard spikes only: receives [B·N] the input
   * gradient factor F = Σ_{t in the surrogate window} dv[t]/dI, so that the backward is
   * dL/dI = (dL/drate / T)·F (LearningHhBackwardArgs.inputGradFactor) and needs neither v nor a
   * second pass over the steps. Omitted or null: not computed.
   */
  inputGradFactor?: Float32Array | null;
  /** With inputGradFactor: the backward's detachIonic (F then sums dt/C·(t + 1) instead). */
  detachIonic?: boolean;
}

export interface LearningHhBackwardArgs extends SpikingKernelBase {
  constants: HhMembraneConstants;
  dt: Float32Array;
  rates: Float32Array;
  /** Drop the ionic-current terms from backward: dv[t]/dv[t−1] = 1, no gradient to the rates. */
  detachIonic: boolean;
  /** v saved by the forward [T][B·N], or null to recompute it from `input` (see below). */
  v: Float32Array | null;
  /**
   * The forward's input, needed when v is null: the kernel then recomputes the trajectory (cheap:
   * with constant-rate gates v obeys a linear recurrence), so the forward need not save T·B·N
   * floats. Ignored when v is given.
   */
  input?: Float32Array | null;
  /**
   * The factor the forward computed (LearningHhForwardArgs.inputGradFactor, with the same
   * detachIonic): used instead of v or input when given. Needs gradRates null (or detachIonic).
   */
  inputGradFactor?: Float32Array | null;
  gradOut: Float32Array;
  gradInput: Float32Array | null;
  /** Accumulates dLoss/dRates [6][N] (summed over batch and time), or null. */
  gradRates: Float32Array | null;
}

/** Full voltage-dependent HH (spec 2.1, shifted convention) state at t = −1. */
export interface HhInitialState {
  v: number;
  m: number;
  h: number;
  n: number;
}

/**
 * s-LIF2HH (spec 2.3): per unit three input LIFs driven by their own currents and a fourth LIF
 * driven by Σk |w_k|·mem_k[t]. Input per sample is [3N] in blocks of N ([x1|x2|x3]), output per
 * sample [4N] in blocks [s1|s2|s3|s4]; `neurons` is the number of units N.
 */
export interface Slif2hhForwardArgs extends SpikingKernelBase {
  decay: number;
  /** Raw combination weights [N][3]; the kernel uses their absolute values. */
  weights: Float32Array;
  input: Float32Array;
  out: Float32Array;
  /** Saved membranes [T][B·N][4] (mem1..mem4 interleaved), or null. */
  mem: Float32Array | null;
}

export interface Slif2hhBackwardArgs extends SpikingKernelBase {
  decay: number;
  detachReset: boolean;
  weights: Float32Array;
  mem: Float32Array;
  gradOut: Float32Array;
  gradInput: Float32Array | null;
  /** Accumulates dLoss/dw for the raw weights [N][3] (sign(w)·dLoss/d|w|), or null. */
  gradWeights: Float32Array | null;
}
