/** Model names understood by the command line and the experiments, and how to build each. */
import { getBackend } from '../kernels/index.js';
import type { WasmBackend } from '../kernels/index.js';
import type { HhSim } from '../kernels/wasm/hh-sim.js';
import type { RateTableOptions } from '../kernels/wasm/rate-grid.js';
import { OdePopulation } from './population.js';
import { WasmHhPopulation, wasmHhSupports } from './wasm-hh-population.js';
import { hhModel, hhParams } from '../neurons/hh.js';
import type { IntegratorName, Population } from '../neurons/types.js';
import { declaredModel, declaredModels } from '../neurons/catalog.js';
import { quasiLinearOf } from '../neurons/derive.js';
import { resolveParams } from '../neurons/model.js';
import { StepPopulation } from './step-population.js';

/** Models built by hand-written code (their parameters are still checked against a declaration where one exists). */
export const HAND_BUILT = ['hh', 'hh-modern'] as const;
type HandBuilt = (typeof HAND_BUILT)[number];

/** Every model name `createPopulation` accepts: the hand-built ones, then the declared ones. */
export function modelNames(): string[] {
  const names: string[] = [...HAND_BUILT];
  for (const m of declaredModels()) if (!names.includes(m.name)) names.push(m.name);
  return names;
}

/** The model names at start-up (the CLI's choices). */
export const MODEL_NAMES: readonly string[] = modelNames();

const HAND_DESCRIPTIONS: Readonly<Record<HandBuilt, string>> = {
  hh: 'Hodgkin–Huxley 1952, shifted convention (rest 0 mV)',
  'hh-modern': 'Hodgkin–Huxley 1952, modern convention (rest −65 mV)',
};

/** The unit of a model's input current, for labels ('' when dimensionless). */
export function inputUnitOf(name: string): string {
  return declaredModel(name)?.inputUnit ?? 'µA/cm²';
}

/** One line describing a model. */
export function modelDescription(name: string): string {
  return (
    (HAND_DESCRIPTIONS as Record<string, string>)[name] ?? declaredModel(name)?.declaration.description ?? ''
  );
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
  // Names and values are checked against the declaration (also for the hand-built HH and LIF).
  if (decl) resolveParams(decl, params);
  switch (name) {
    case 'hh':
    case 'hh-modern': {
      const convention = name === 'hh' ? 'shifted' : 'modern';
      const sim = fastHhSim(opts);
      return sim && wasmHhSupports(hhParams(params, convention))
        ? new WasmHhPopulation(
            sim,
            n,
            convention,
            integrator,
            params,
            integrator === 'expeuler' ? (opts.rateTable ?? null) : null,
          )
        : new OdePopulation(hhModel(params, convention), n, integrator);
    }
    default:
      if (decl)
        return decl.time === 'continuous'
          ? new OdePopulation(quasiLinearOf(decl, params), n, integrator)
          : new StepPopulation(decl, n, params);
      throw new RangeError(`unknown model "${name}"; expected one of ${modelNames().join(', ')}`);
  }
}
