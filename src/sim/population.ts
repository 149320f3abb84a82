/**
 * A population of N neurons of one quasi-linear model, stored neuron-major in one Float64Array and
 * advanced by the chosen integrator. Spikes are upward threshold crossings of the membrane
 * potential, timed by linear interpolation within the step (or reported by the model's reset).
 */
import type { IntegratorName, Population, QuasiLinearModel } from '../neurons/types.js';
import { INTEGRATORS } from '../neurons/types.js';
import { SpikeDetector } from '../analysis/spikes.js';
import { IntegratorScratch, STEPPERS } from './integrators.js';
import type { StepFn } from './integrators.js';

export class OdePopulation implements Population {
  readonly model: string;
  readonly variables: readonly string[];
  readonly params: Readonly<Record<string, number | string>>;
  readonly v: Float64Array;
  readonly voltageLimit: number;
  /** The whole state, neuron-major: neuron i's variable k at y[i·dim + k]. */
  readonly y: Float64Array;
  private readonly dim: number;
  private readonly stepper: StepFn;
  private readonly scratch: IntegratorScratch;
  /** Threshold-crossing detector, or null for models that report spikes through afterStep (resets). */
  private readonly detector: SpikeDetector | null;
  private resetSpikes: number[][] = [];

  constructor(
    readonly ode: QuasiLinearModel,
    readonly n: number,
    readonly integrator: IntegratorName = 'expeuler',
  ) {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`population size must be a positive integer, got ${n}`);
    if (!INTEGRATORS.includes(integrator))
      throw new RangeError(`unknown integrator "${integrator}"; expected one of ${INTEGRATORS.join(', ')}`);
    this.model = ode.name;
    this.dim = ode.stateNames.length;
    this.variables = ode.stateNames.includes('v') ? ode.stateNames : ['v', ...ode.stateNames];
    this.params = { ...ode.params, integrator };
    this.voltageLimit = ode.voltageLimit;
    this.y = new Float64Array(n * this.dim);
    this.v = new Float64Array(n);
    this.detector = ode.afterStep ? null : new SpikeDetector(n, ode.spikeThreshold);
    this.stepper = STEPPERS[integrator];
    this.scratch = new IntegratorScratch(this.dim);
    this.reset();
  }

  reset(): void {
    for (let i = 0; i < this.n; i++) {
      this.ode.initialState(this.y, i * this.dim);
      this.v[i] = this.ode.voltage(this.y, i * this.dim);
    }
    this.resetSpikes = Array.from({ length: this.n }, () => []);
    if (this.detector) {
      this.detector.reset();
      this.detector.observe(0, 0, this.v); // primes the detector with the initial potentials
    }
  }

  get spikeTimes(): number[][] {
    return this.detector ? this.detector.spikeTimes : this.resetSpikes;
  }

  step(t: number, dt: number, input: Float64Array): void {
    const { ode, y, v, dim, stepper, scratch } = this;
    const afterStep = ode.afterStep;
    for (let i = 0, off = 0; i < this.n; i++, off += dim) {
      const before = v[i];
      stepper(ode, t, dt, y, off, input[i], scratch);
      if (afterStep) {
        const frac = afterStep.call(ode, y, off, dt, before);
        if (frac > 0) this.resetSpikes[i].push(t + frac * dt);
      }
      v[i] = ode.voltage(y, off);
    }
    this.detector?.observe(t + dt, dt, v);
  }

  read(name: string, out: Float64Array): void {
    if (name === 'v') {
      out.set(this.v);
      return;
    }
    const k = this.ode.stateNames.indexOf(name);
    if (k < 0)
      throw new RangeError(
        `model ${this.model} has no variable "${name}"; it has ${this.variables.join(', ')}`,
      );
    for (let i = 0; i < this.n; i++) out[i] = this.y[i * this.dim + k];
  }
}
