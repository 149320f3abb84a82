/**
 * The two shapes a neuron model can take in hhnet's simulator.
 *
 * Continuous models are simulated in quasi-linear form, derived from their declarations
 * (derive.ts quasiLinearOf): every state obeys dy_k/dt = a_k(y, I, t) − b_k(y, I, t)·y_k. That one
 * form serves all three integrators: forward Euler and RK4 use the right-hand side a − b·y, and
 * exponential Euler (Rush–Larsen for gates) solves each equation exactly with a and b frozen over
 * the step.
 *
 * Discrete-time models (s-LIF2HH, the study's lif-step) run their declared step
 * (sim/step-population.ts); the fast HH kernel (sim/wasm-hh-population.ts) implements Population
 * directly.
 */
export type IntegratorName = 'euler' | 'rk4' | 'expeuler';
export const INTEGRATORS: readonly IntegratorName[] = ['euler', 'rk4', 'expeuler'];

export interface QuasiLinearModel {
  /** Model name as used on the command line. */
  readonly name: string;
  /** Per-neuron state variable names; the state of neuron i is y[i·dim … i·dim + dim − 1]. */
  readonly stateNames: readonly string[];
  /** Parameters, for result files. */
  readonly params: Readonly<Record<string, number>>;
  /** Spike threshold on the membrane potential (upward crossing), in mV. */
  readonly spikeThreshold: number;
  /** |V| beyond this means the integration ran away (too large dt), in mV. */
  readonly voltageLimit: number;
  /** Write the initial state of one neuron at y[off…]. */
  initialState(y: Float64Array, off: number): void;
  /** Write a_k, b_k of dy_k/dt = a_k − b_k·y_k for the neuron at y[off…] with input current `input`. */
  coefficients(
    t: number,
    y: Float64Array,
    off: number,
    input: number,
    a: Float64Array,
    b: Float64Array,
  ): void;
  /** Membrane potential of the neuron at y[off…]. */
  voltage(y: Float64Array, off: number): number;
  /**
   * Optional discrete event after each step (threshold reset of integrate-and-fire models).
   * Returns the fraction in (0, 1] of the step at which the neuron fired, or 0 when it did not.
   */
  afterStep?(y: Float64Array, off: number, dt: number, vBefore: number): number;
}

/** A population of N neurons advanced step by step by the simulator. */
export interface Population {
  readonly model: string;
  readonly n: number;
  /** Names accepted by read(); the first is always "v". */
  readonly variables: readonly string[];
  readonly params: Readonly<Record<string, number | string>>;
  /** Membrane potential of every neuron after the last step. */
  readonly v: Float64Array;
  /** |V| beyond this means the integration ran away. */
  readonly voltageLimit: number;
  /** Spike times (ms) of every neuron so far. */
  readonly spikeTimes: number[][];
  /** Advance all neurons from t to t + dt with the given input currents (held over the step). */
  step(t: number, dt: number, input: Float64Array): void;
  /** Copy variable `name` of every neuron into out. */
  read(name: string, out: Float64Array): void;
  /** Back to the initial state, spikes cleared. */
  reset(): void;
  /** The kernel backend running this population when it is not the plain-TypeScript reference. */
  readonly backend?: string;
  /** Most steps one advance() call may take. */
  readonly maxAdvanceSteps?: number;
  /**
   * Optional fused multi-step path (one call into a fast kernel instead of one per step): advance
   * `steps` steps from t = firstStep·dt (spike times are then independent of how a run is split
   * into calls). `input` holds `steps` rows of n currents (time-major), or, when `held`, one row
   * used for every step. |V| ≤ voltageLimit is checked after every step; returns the first
   * failure (step counted from 0 within the call, lowest neuron index) or null.
   */
  advance?(
    firstStep: number,
    dt: number,
    steps: number,
    input: Float64Array,
    held: boolean,
  ): { step: number; neuron: number; value: number } | null;
}
