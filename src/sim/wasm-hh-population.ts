/**
 * A population of full HH neurons (either voltage convention) run by the wasm backend's fused
 * float32 SIMD kernel: the fast counterpart of OdePopulation(hhModel(…)), with the same model,
 * integrators, spike rule (upward threshold crossing, linearly interpolated within the step) and
 * blow-up check. simulate() drives it through advance(), many steps per call; step() is the
 * one-step form for callers that couple populations step by step.
 */
import type { HhKernelParams, HhMethod, HhSim, HhState } from '../kernels/wasm/hh-sim.js';
import { HHParams, hhParams, restingState } from '../neurons/hh.js';
import type { IntegratorName, Population } from '../neurons/types.js';
import { INTEGRATORS } from '../neurons/types.js';

const VOLTAGE_LIMIT = 1000; // hhModel's
const VARIABLES = ['v', 'm', 'h', 'n'] as const;

/**
 * Whether the kernel runs these parameters: it relies on every relaxation rate being ≥ 0 (its
 * exponential-Euler shortcut), which holds for C > 0 and non-negative conductances.
 */
export function wasmHhSupports(p: Readonly<HHParams>): boolean {
  return p.C > 0 && p.gNa >= 0 && p.gK >= 0 && p.gL >= 0;
}

export class WasmHhPopulation implements Population {
  readonly model: string;
  readonly variables: readonly string[] = VARIABLES;
  readonly params: Readonly<Record<string, number | string>>;
  readonly voltageLimit = VOLTAGE_LIMIT;
  readonly backend = 'wasm';
  readonly maxAdvanceSteps: number;
  private readonly state: HhState;
  private readonly rest: { v: number; m: number; h: number; n: number };
  private readonly kernelParams: HhKernelParams;
  private readonly vOut: Float64Array;
  private vStale = false;
  private times: number[][] = [];

  constructor(
    private readonly sim: HhSim,
    readonly n: number,
    convention: 'shifted' | 'modern' = 'shifted',
    readonly integrator: IntegratorName = 'expeuler',
    params: Partial<HHParams> = {},
  ) {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`population size must be a positive integer, got ${n}`);
    if (!INTEGRATORS.includes(integrator))
      throw new RangeError(`unknown integrator "${integrator}"; expected one of ${INTEGRATORS.join(', ')}`);
    const p = hhParams(params, convention);
    if (!wasmHhSupports(p))
      throw new RangeError('the wasm HH kernel needs C > 0 and non-negative conductances');
    this.model = convention === 'modern' ? 'hh-modern' : 'hh';
    this.params = { ...p, integrator }; // the same fields as the reference population's
    this.kernelParams = { ...p, voltageLimit: VOLTAGE_LIMIT };
    this.rest = restingState(p);
    this.maxAdvanceSteps = sim.maxSteps;
    this.state = {
      v: new Float32Array(n),
      m: new Float32Array(n),
      h: new Float32Array(n),
      n: new Float32Array(n),
    };
    this.vOut = new Float64Array(n);
    this.reset();
  }

  /** Membrane potentials after the last step (copied from the float32 state when read). */
  get v(): Float64Array {
    if (this.vStale) {
      this.vOut.set(this.state.v);
      this.vStale = false;
    }
    return this.vOut;
  }

  get spikeTimes(): number[][] {
    return this.times;
  }

  reset(): void {
    for (const name of VARIABLES) this.state[name].fill(this.rest[name]);
    this.vStale = true;
    this.times = Array.from({ length: this.n }, () => []);
  }

  advance(
    firstStep: number,
    dt: number,
    steps: number,
    input: Float64Array,
    held: boolean,
  ): { step: number; neuron: number; value: number } | null {
    // Step s starts at (firstStep + s)·dt, the time simulate() gives it.
    return this.run(dt, steps, input, held, (s) => (firstStep + s) * dt);
  }

  step(t: number, dt: number, input: Float64Array): void {
    // A blow-up leaves |V| beyond the limit in v, where the caller's own check finds it.
    this.run(dt, 1, input, true, () => t);
  }

  /** Runs the kernel; a spike in step s is at stepStart(s) + its fraction of dt. */
  private run(
    dt: number,
    steps: number,
    input: Float64Array,
    held: boolean,
    stepStart: (s: number) => number,
  ): { step: number; neuron: number; value: number } | null {
    const times = this.times;
    this.vStale = true;
    return this.sim.run({
      params: this.kernelParams,
      method: this.integrator as HhMethod,
      dt,
      steps,
      input,
      held,
      state: this.state,
      pad: this.rest,
      onSpike: (i, s, fraction) => times[i].push(stepStart(s) + fraction * dt),
    });
  }

  read(name: string, out: Float64Array): void {
    if (!(VARIABLES as readonly string[]).includes(name))
      throw new RangeError(
        `model ${this.model} has no variable "${name}"; it has ${this.variables.join(', ')}`,
      );
    out.set(this.state[name as (typeof VARIABLES)[number]]);
  }
}
