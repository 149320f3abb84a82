/**
 * The runs recorded in test/fixtures/golden-hand-built.json: each model that used to be simulated
 * by hand-written code, under a constant and a step current, with every integrator it supports
 * (and, where parameters can be set, one non-default set). They were recorded from the
 * hand-written models (see golden-hand-built.test.ts); the test runs them through
 * createPopulation and compares.
 */
import type { IntegratorName, Population } from '../src/neurons/types.js';
import { simulate } from '../src/sim/simulate.js';
import { constant, step } from '../src/sim/stimulus.js';

export interface GoldenCase {
  model: string;
  /** null: a discrete-time model (s-LIF2HH). */
  integrator: IntegratorName | null;
  stimulus: 'constant' | 'step';
  amplitude: number;
  params: Record<string, number>;
  duration: number;
  dt: number;
}

export interface GoldenRun {
  spikeTimes: number[];
  /** V every SAMPLE_MS, from t = 0. */
  v: number[];
}

/** V is recorded every this many ms. */
export const SAMPLE_MS = 2.5;
/** The step current is on from STEP_ON to STEP_OFF ms. */
export const STEP_ON = 10;
export const STEP_OFF = 40;

const CONTINUOUS: readonly IntegratorName[] = ['euler', 'rk4', 'expeuler'];

/** Per model: its drive, and a set of non-default parameters ({} where they cannot be set). */
const MODELS: readonly { model: string; amplitude: number; params: Record<string, number>[] }[] = [
  { model: 'hh', amplitude: 10, params: [{}, { gNa: 150, gK: 40 }] },
  { model: 'hh-modern', amplitude: 10, params: [{}, { gK: 30 }] },
  { model: 'lif', amplitude: 3, params: [{}, { tRef: 3, vReset: -3, C: 2 }] },
  { model: 'tvlif', amplitude: 3, params: [{}] },
  { model: 'tvlif2hh', amplitude: 10, params: [{}, { gL: 0.5, EL: 12 }] },
];

export function goldenCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (const { model, amplitude, params } of MODELS)
    for (const p of params)
      for (const integrator of CONTINUOUS)
        for (const stimulus of ['constant', 'step'] as const)
          cases.push({ model, integrator, stimulus, amplitude, params: p, duration: 60, dt: 0.01 });
  // s-LIF2HH: discrete; its own step of 1 ms, and a finer step (leak per ms kept, input × dt).
  for (const dt of [1, 0.25])
    for (const stimulus of ['constant', 'step'] as const)
      for (const params of [{}, { decay: 0.9, threshold: 1 }] as Record<string, number>[])
        cases.push({ model: 'slif2hh', integrator: null, stimulus, amplitude: 20, params, duration: 60, dt });
  return cases;
}

/** A stable, readable key of a case. */
export function caseKey(c: GoldenCase): string {
  const p = Object.entries(c.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${c.model} ${c.integrator ?? 'discrete'} ${c.stimulus} dt=${c.dt}${p ? ` ${p}` : ''}`;
}

/** Runs one case on a population of one neuron. */
export function runCase(pop: Population, c: GoldenCase): GoldenRun {
  const stim =
    c.stimulus === 'constant'
      ? constant({ amplitude: c.amplitude })
      : step({ amplitude: c.amplitude, onset: STEP_ON, offset: STEP_OFF });
  const r = simulate(pop, stim, { duration: c.duration, dt: c.dt, record: { interval: SAMPLE_MS } });
  return { spikeTimes: r.spikeTimes[0], v: r.traces.v[0] };
}
