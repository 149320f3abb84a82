/**
 * A population of full HH neurons (either voltage convention) run by the wasm backend's fused
 * float32 SIMD kernel: the fast counterpart of OdePopulation(quasiLinearOf(hhDeclared, …)), with the same model,
 * integrators, spike rule (upward threshold crossing, linearly interpolated within the step) and
 * blow-up check. simulate() drives it through advance(), many steps per call; step() is the
 * one-step form for callers that couple populations step by step.
 */
import type { HhKernelParams, HhMethod, HhRateTable, HhSim, HhState } from '../kernels/wasm/hh-sim.js';
import { rateGrid } from '../kernels/wasm/rate-grid.js';
import type { RateTableOptions } from '../kernels/wasm/rate-grid.js';
import { HHParams, gateCoefficients, hhDeclared, hhParams, restingState } from '../neurons/hh.js';
import type { IntegratorName, Population } from '../neurons/types.js';
import { INTEGRATORS } from '../neurons/types.js';
import * as exact from '../util/exact-math.js';

const VOLTAGE_LIMIT = hhDeclared.voltageLimit;
const VARIABLES = ['v', 'm', 'h', 'n'] as const;

/**
 * Whether the kernel runs these parameters: it relies on every relaxation rate being ≥ 0 (its
 * exponential-Euler shortcut), which holds for C > 0 and non-negative conductances.
 */
export function wasmHhSupports(p: Readonly<HHParams>): boolean {
  return p.C > 0 && p.gNa >= 0 && p.gK >= 0 && p.gL >= 0;
}

/**
 * The grid of an HH population's rate table: by default the shifted potential v − vOffset from
 * −50 to 150 mV (rest to beyond the spike's peak in either convention) at 1/32 mV; min and max,
 * when given, are potentials v.
 */
export function hhRateGrid(
  o: RateTableOptions,
  vOffset: number,
): { min: number; step: number; rows: number } {
  return rateGrid({ step: o.step, min: o.min ?? vOffset - 50, max: o.max ?? vOffset + 150 });
}

/**
 * The table for these parameters and dt (assembly/hh-sim.ts hhSetTable): per row Am, Bm, Ah, Bh,
 * An, Bn, 0, 0 at the row's potential, then the slopes to the next row, computed in float64.
 */
export function hhRateTable(
  p: Readonly<HHParams>,
  dt: number,
  grid: { min: number; step: number; rows: number },
): Float32Array {
  const ROW = 16;
  const out = new Float32Array(grid.rows * ROW);
  const a = new Float64Array(3);
  const b = new Float64Array(3);
  const at = (v: number, q: Float64Array): void => {
    gateCoefficients(v - p.vOffset, a, b, 0);
    for (let k = 0; k < 3; k++) {
      const f = b[k] * dt > 1e-12 ? -exact.expm1(-b[k] * dt) / b[k] : dt;
      q[2 * k] = a[k] * f;
      q[2 * k + 1] = b[k] * f;
    }
  };
  let here = new Float64Array(6);
  let next = new Float64Array(6);
  at(grid.min, here);
  for (let r = 0; r < grid.rows; r++) {
    at(grid.min + (r + 1) * grid.step, next);
    for (let q = 0; q < 6; q++) {
      out[r * ROW + q] = here[q];
      out[r * ROW + 8 + q] = next[q] - here[q];
    }
    [here, next] = [next, here];
  }
  return out;
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
  /** The rate table of the last dt (exponential Euler with rate tables only). */
  private table: (HhRateTable & { dt: number }) | null = null;

  constructor(
    private readonly sim: HhSim,
    readonly n: number,
    convention: 'shifted' | 'modern' = 'shifted',
    readonly integrator: IntegratorName = 'expeuler',
    params: Partial<HHParams> = {},
    /** Exponential Euler: interpolate the gates' updates from a rate table (null: exact rates). */
    readonly rateTable: RateTableOptions | null = null,
  ) {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`population size must be a positive integer, got ${n}`);
    if (!INTEGRATORS.includes(integrator))
      throw new RangeError(`unknown integrator "${integrator}"; expected one of ${INTEGRATORS.join(', ')}`);
    const p = hhParams(params, convention);
    if (!wasmHhSupports(p))
      throw new RangeError('the wasm HH kernel needs C > 0 and non-negative conductances');
    this.model = convention === 'modern' ? 'hh-modern' : 'hh';
    if (rateTable && integrator !== 'expeuler')
      throw new RangeError(`rate tables serve exponential Euler only, not ${integrator}`);
    if (rateTable) hhRateGrid(rateTable, p.vOffset); // validates the options now
    // The same fields as the reference population's (plus the table's spacing when one is used).
    this.params = {
      ...p,
      integrator,
      ...(rateTable ? { rateTableMv: hhRateGrid(rateTable, p.vOffset).step } : {}),
    };
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
      rateTable: this.tableFor(dt),
    });
  }

  private tableFor(dt: number): HhRateTable | null {
    if (!this.rateTable) return null;
    if (this.table?.dt !== dt) {
      const grid = hhRateGrid(this.rateTable, this.kernelParams.vOffset);
      this.table = { dt, table: hhRateTable(this.kernelParams, dt, grid), ...grid };
    }
    return this.table;
  }

  read(name: string, out: Float64Array): void {
    if (!(VARIABLES as readonly string[]).includes(name))
      throw new RangeError(
        `model ${this.model} has no variable "${name}"; it has ${this.variables.join(', ')}`,
      );
    out.set(this.state[name as (typeof VARIABLES)[number]]);
  }
}
