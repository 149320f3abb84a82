/** Model names understood by the command line and the experiments, and how to build each. */
import { getBackend } from '../kernels/index.js';
import type { WasmBackend } from '../kernels/index.js';
import type { HhSim } from '../kernels/wasm/hh-sim.js';
import type { RateTableOptions } from '../kernels/wasm/rate-grid.js';
import { OdePopulation } from './population.js';
import { WasmHhPopulation, wasmHhSupports } from './wasm-hh-population.js';
import { hhParams } from '../neurons/hh.js';
import type { IntegratorName, Population } from '../neurons/types.js';
import { declaredModel, declaredModels, unitRefusal } from '../neurons/catalog.js';
import { quasiLinearOf } from '../neurons/derive.js';
import { resolveParams } from '../neurons/model.js';
import { StepPopulation } from './step-population.js';

/** Every model name `createPopulation` accepts: the declared models (catalog.ts), built-ins first. */
export function modelNames(): string[] {
  return declaredModels().map((m) => m.name);
}

/** The model names at start-up (the CLI's choices). */
export const MODEL_NAMES: readonly string[] = modelNames();

/** The unit of a model's input current, for labels ('' when dimensionless). */
export function inputUnitOf(name: string): string {
  return declaredModel(name)?.inputUnit ?? 'µA/cm²';
}

/** One line describing a model. */
export function modelDescription(name: string): string {
  return declaredModel(name)?.declaration.description ?? '';
}

/**
 * The step a model is normally simulated with: a discrete model's time base (1 ms for
 * s-LIF2HH), 0.01 ms otherwise.
 */
export function defaultDt(model: string): number {
  const decl = declaredModel(model);
  return decl?.time === 'discrete' ? decl.timeBase : 0.01;
}

export function isModelName(name: string): boolean {
  return modelNames().includes(name);
}

export interface PopulationOptions {
  integrator?: IntegratorName;
  /** Model parameters overriding the defaults (numbers only). */
  params?: Record<string, number>;
  /**
   * Run hh / hh-modern on the active kernel backend's fused population kernel when it has one
   * (wasm: float32 SIMD on worker threads; see getBackend for the choice). Default false: the
   * float64 plain-TypeScript reference, which the experiments comparing models rely on.
   */
  fast?: boolean;
  /**
   * Fast hh / hh-modern populations with exponential Euler: the gates' updates interpolated from a
   * rate table over v (as NEURON's TABLE; default: exact rates). Ignored where no fast kernel runs.
   */
  rateTable?: RateTableOptions | null;
}

/** The wasm backend's HH kernel, when fast populations are asked for and wasm is the backend. */
function fastHhSim(opts: PopulationOptions): HhSim | null {
  if (!opts.fast) return null;
  const be = getBackend();
  return be.name === 'wasm' ? (be as WasmBackend).hhSim : null;
}

export function createPopulation(name: string, n: number, opts: PopulationOptions = {}): Population {
  const integrator = opts.integrator ?? 'expeuler';
  const params = opts.params ?? {};
  const decl = declaredModel(name);
  const refusal = decl ? null : unitRefusal(name);
  if (refusal) throw new RangeError(refusal);
  if (!decl) throw new RangeError(`unknown model "${name}"; expected one of ${modelNames().join(', ')}`);
  resolveParams(decl, params); // names and values checked before any population is built
  if (decl.time === 'discrete') return new StepPopulation(decl, n, params);
  // HH on the wasm backend's fused float32 SIMD kernel, when asked for (the reference otherwise).
  if (name === 'hh' || name === 'hh-modern') {
    const convention = name === 'hh' ? 'shifted' : 'modern';
    const sim = fastHhSim(opts);
    if (sim && wasmHhSupports(hhParams(params, convention)))
      return new WasmHhPopulation(
        sim,
        n,
        convention,
        integrator,
        params,
        integrator === 'expeuler' ? (opts.rateTable ?? null) : null,
      );
  }
  return new OdePopulation(quasiLinearOf(decl, params), n, integrator);
}
