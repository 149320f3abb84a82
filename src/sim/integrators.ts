/**
 * One-step integrators for quasi-linear models (dy_k/dt = a_k − b_k·y_k), applied to one neuron's
 * state in place. Inputs are held constant over a step (zero-order hold), as in most simulators.
 */
import type { IntegratorName, QuasiLinearModel } from '../neurons/types.js';
import * as exact from '../util/exact-math.js';

/** Scratch buffers for one neuron, allocated once per population (no allocation per step). */
export class IntegratorScratch {
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly y0: Float64Array;
  readonly acc: Float64Array;
  constructor(readonly dim: number) {
    this.a = new Float64Array(dim);
    this.b = new Float64Array(dim);
    this.y0 = new Float64Array(dim);
    this.acc = new Float64Array(dim);
  }
}

export type StepFn = (
  model: QuasiLinearModel,
  t: number,
  dt: number,
  y: Float64Array,
  off: number,
  input: number,
  s: IntegratorScratch,
) => void;

export const eulerStep: StepFn = (model, t, dt, y, off, input, s) => {
  const { a, b, dim } = s;
  model.coefficients(t, y, off, input, a, b);
  for (let k = 0; k < dim; k++) y[off + k] += dt * (a[k] - b[k] * y[off + k]);
};

/** Exponential Euler: each variable relaxes exactly towards a/b at rate b; Rush–Larsen for gates. */
export const expEulerStep: StepFn = (model, t, dt, y, off, input, s) => {
  const { a, b, dim } = s;
  model.coefficients(t, y, off, input, a, b);
  for (let k = 0; k < dim; k++) {
    const bk = b[k];
    const yk = y[off + k];
    // For tiny b, −expm1(−b dt)/b → dt, i.e. the step degrades gracefully to Euler.
    y[off + k] =
      bk * dt > 1e-12 ? yk + (a[k] - bk * yk) * (-exact.expm1(-bk * dt) / bk) : yk + dt * (a[k] - bk * yk);
  }
};

// Classical RK4 tableau: stage time offsets, weights, and how far each stage advances the state.
const RK4_TIME = [0, 0.5, 0.5, 1];
const RK4_WEIGHT = [1, 2, 2, 1];
const RK4_ADVANCE = [0.5, 0.5, 1, 0];

/** Classical fourth-order Runge–Kutta. */
export const rk4Step: StepFn = (model, t, dt, y, off, input, s) => {
  const { a, b, y0, acc, dim } = s;
  for (let i = 0; i < dim; i++) {
    y0[i] = y[off + i];
    acc[i] = 0;
  }
  for (let stage = 0; stage < 4; stage++) {
    model.coefficients(t + RK4_TIME[stage] * dt, y, off, input, a, b);
    const w = RK4_WEIGHT[stage];
    const advance = RK4_ADVANCE[stage] * dt;
    for (let i = 0; i < dim; i++) {
      const k = a[i] - b[i] * y[off + i];
      acc[i] += w * k;
      if (stage < 3) y[off + i] = y0[i] + advance * k;
    }
  }
  for (let i = 0; i < dim; i++) y[off + i] = y0[i] + (dt / 6) * acc[i];
};

export const STEPPERS: Readonly<Record<IntegratorName, StepFn>> = {
  euler: eulerStep,
  rk4: rk4Step,
  expeuler: expEulerStep,
};
