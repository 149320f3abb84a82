/**
 * One `hhnet simulate` run as data, shared by the command line and the browser playground so both
 * produce the same simulation.json: the request (model, stimulus and its options, timing), the
 * plan made from it (defaults filled in, stimulus built), the run, and the JSON document.
 */
import { declaredModel } from '../neurons/catalog.js';
import type { IntegratorName, Population } from '../neurons/types.js';
import { createPopulation, defaultDt } from './registry.js';
import { simulate, validateTiming } from './simulate.js';
import type { SimulationResult } from './simulate.js';
import { parseStimulusOptions } from './stimulus.js';
import type { Stimulus } from './stimulus.js';

/** The stimulus options `hhnet simulate` takes as flags (camelCase; see parseStimulusOptions). */
export const STIMULUS_OPTION_KEYS = [
  'amplitude',
  'offset',
  'period',
  'phase',
  'duty',
  'onset',
  'mean',
  'sigma',
  'tau',
  'rate',
  'inputs',
  'weight',
  'tauSyn',
  'seed',
] as const;
export type StimulusOptionKey = (typeof STIMULUS_OPTION_KEYS)[number];

/** The options each stimulus kind reads (the others are ignored). */
export const STIMULUS_OPTIONS_OF: Readonly<Record<string, readonly StimulusOptionKey[]>> = {
  constant: ['amplitude'],
  step: ['amplitude', 'onset', 'offset'],
  sine: ['offset', 'amplitude', 'period', 'phase'],
  square: ['offset', 'amplitude', 'period', 'duty'],
  sawtooth: ['offset', 'amplitude', 'period'],
  triangle: ['offset', 'amplitude', 'period'],
  ou: ['mean', 'sigma', 'tau', 'seed'],
  poisson: ['rate', 'inputs', 'weight', 'tauSyn', 'seed'],
};

/** Stimulus kinds whose input differs between step sizes (and between runs of other seeds). */
export const STOCHASTIC_STIMULI: readonly string[] = ['ou', 'poisson'];

export interface SimulationRequest {
  model: string;
  stimulus: string;
  /** Options of the stimulus; absent ones take their defaults. */
  stimulusOptions: Partial<Record<StimulusOptionKey, number>>;
  neurons: number;
  /** ms. */
  duration: number;
  /** ms; default the model's own (defaultDt). */
  dt?: number;
  integrator: IntegratorName;
  /** Trace sampling interval, ms; default about 4000 samples. */
  recordInterval?: number;
  /** Model parameter overrides (declared names). */
  params: Record<string, number>;
}

export interface SimulationPlan {
  request: SimulationRequest;
  dt: number;
  /** A model defined in discrete time (no integrator). */
  discrete: boolean;
  /** The model's own step when it is defined in discrete time. */
  discreteStep?: number;
  stochastic: boolean;
  /** Trace sampling interval, ms. */
  interval: number;
  stimulus: Stimulus;
  /** The same stimulus for a population of another size (the time-step probe's). */
  stimulusFor(neurons: number): Stimulus;
}

/**
 * Fills in the defaults and builds the stimulus. Throws a RangeError for bad timing and an Error
 * naming the option for a bad stimulus option.
 */
export function planSimulation(request: SimulationRequest): SimulationPlan {
  const dt = request.dt ?? defaultDt(request.model);
  validateTiming(request.duration, dt);
  const decl = declaredModel(request.model);
  const options: Record<string, number | undefined> = { ...request.stimulusOptions };
  // A declared model's typical drive is the default level of a constant or step current (10 pA
  // would leave AdEx silent).
  if (
    options.amplitude === undefined &&
    decl?.drive != null &&
    ['constant', 'step'].includes(request.stimulus)
  )
    options.amplitude = decl.drive;
  const stimulusFor = (neurons: number): Stimulus =>
    parseStimulusOptions(request.stimulus, { ...options, neurons });
  return {
    request,
    dt,
    discrete: decl?.time === 'discrete',
    discreteStep: decl?.time === 'discrete' ? decl.timeBase : undefined,
    stochastic: STOCHASTIC_STIMULI.includes(request.stimulus),
    interval: request.recordInterval ?? Math.max(dt, request.duration / 4000),
    stimulus: stimulusFor(request.neurons),
    stimulusFor,
  };
}

/**
 * Runs the plan (or, for the divergence advice, the same run with another step or duration) on a
 * fresh population: hh and hh-modern on the active backend's fused kernel where it has one.
 */
export function runPlan(
  plan: SimulationPlan,
  opts: { dt?: number; duration?: number; onProgress?: (fraction: number) => void } = {},
): { pop: Population; result: SimulationResult } {
  const { request } = plan;
  const pop = createPopulation(request.model, request.neurons, {
    integrator: request.integrator,
    params: request.params,
    fast: true,
  });
  const result = simulate(pop, plan.stimulus, {
    duration: opts.duration ?? request.duration,
    dt: opts.dt ?? plan.dt,
    record: { interval: plan.interval },
    onProgress: opts.onProgress,
  });
  return { pop, result };
}

/** The input current of neuron 0 at the trace times; undefined for stochastic inputs. */
export function inputTrace(plan: SimulationPlan, result: SimulationResult): number[] | undefined {
  if (plan.stochastic) return undefined;
  const current = new Float64Array(plan.request.neurons);
  const trace: number[] = [];
  plan.stimulus.reset();
  for (const t of result.t) {
    plan.stimulus.sample(t, plan.dt, current);
    trace.push(current[0]);
  }
  return trace;
}

/** simulation.json: the model, its parameters, the stimulus, spike times and the V traces. */
export function simulationJson(plan: SimulationPlan, pop: Population, result: SimulationResult) {
  const { request } = plan;
  return {
    model: request.model,
    integrator: plan.discrete ? null : request.integrator,
    params: pop.params,
    stimulus: { kind: plan.stimulus.kind, params: plan.stimulus.params },
    neurons: request.neurons,
    duration: request.duration,
    dt: plan.dt,
    steps: result.steps,
    spikeTimes: result.spikeTimes,
    traces: { interval: plan.interval, t: result.t, recordedNeurons: result.neurons, v: result.traces.v },
  };
}

export type SimulationJson = ReturnType<typeof simulationJson>;
