/**
 * A population of a neuron model declared in discrete time (model.ts `step`): one declared step
 * per call, which must be the model's time base (a discrete model means something else at
 * another dt, so another step is refused rather than silently reinterpreted) unless the step
 * reads dt itself. Spikes are the condition holding after the step, followed by the reset, at
 * the step's end time.
 */
import type { NeuronModel } from '../neurons/model.js';
import { initialState, resolveParams, spikeThreshold } from '../neurons/model.js';
import { discreteStepOf, resetFunction } from '../neurons/derive.js';
import type { DiscreteStep } from '../neurons/derive.js';
import type { Population } from '../neurons/types.js';
import { num } from '../symbolic/expr.js';

export class StepPopulation implements Population {
  readonly model: string;
  readonly variables: readonly string[];
  readonly params: Readonly<Record<string, number>>;
  readonly v: Float64Array;
  readonly voltageLimit: number;
  spikeTimes: number[][] = [];
  private readonly y: Float64Array;
  private readonly y0: Float64Array;
  private readonly S: number;
  private readonly vk: number;
  private readonly threshold: number;
  private readonly stepOne: DiscreteStep;
  /** The parameter values in the declaration's order (the step reads them from here). */
  private readonly p: Float64Array;
  private readonly reset_: ((y: Float64Array, off: number) => void) | null;

  constructor(
    readonly decl: NeuronModel,
    readonly n: number,
    overrides: Readonly<Record<string, number>> = {},
  ) {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`population size must be a positive integer, got ${n}`);
    this.model = decl.name;
    this.params = resolveParams(decl, overrides);
    this.S = decl.states.length;
    this.vk = decl.states.indexOf(decl.voltage);
    // "v" first, as in every population: the voltage state itself, or an alias of it.
    this.variables =
      decl.voltage === 'v' ? ['v', ...decl.states.filter((s) => s !== 'v')] : ['v', ...decl.states];
    this.voltageLimit = decl.voltageLimit;
    this.y0 = initialState(decl, this.params);
    this.threshold = spikeThreshold(decl, this.params);
    this.stepOne = discreteStepOf(decl);
    this.p = Float64Array.from(decl.params, (k) => this.params[k]);
    this.reset_ =
      decl.reset.size > 0
        ? resetFunction(decl, new Map(Object.entries(this.params).map(([k, v]) => [k, num(v)])))
        : null;
    this.y = new Float64Array(n * this.S);
    this.v = new Float64Array(n);
    this.reset();
  }

  reset(): void {
    for (let i = 0; i < this.n; i++) this.y.set(this.y0, i * this.S);
    for (let i = 0; i < this.n; i++) this.v[i] = this.y[i * this.S + this.vk];
    this.spikeTimes = Array.from({ length: this.n }, () => []);
  }

  step(t: number, dt: number, input: Float64Array): void {
    const base = this.decl.timeBase;
    if (!this.decl.readsDt && Math.abs(dt - base) > 1e-9 * base)
      throw new RangeError(
        `model ${this.model} is defined in discrete time with a step of ${base} ms; simulate it with --dt ${base} (got ${dt})`,
      );
    const { y, S, vk, threshold, p } = this;
    const inclusive = this.decl.inclusive;
    for (let i = 0, off = 0; i < this.n; i++, off += S) {
      this.stepOne(y, off, input[i], dt, p);
      const v = y[off + vk];
      if (inclusive ? v >= threshold : v > threshold) {
        this.spikeTimes[i].push(t + dt);
        this.reset_?.(y, off);
      }
      this.v[i] = y[off + vk];
    }
  }

  read(name: string, out: Float64Array): void {
    const k = this.decl.states.indexOf(name === 'v' ? this.decl.voltage : name);
    if (k < 0)
      throw new RangeError(
        `model ${this.model} has no variable "${name}"; it has ${this.variables.join(', ')}`,
      );
    for (let i = 0; i < this.n; i++) out[i] = this.y[i * this.S + k];
  }
}
