/** The resting state of HH: the steady-state gates and how far V drifts when left alone. */
import { HH_MODERN, HH_SHIFTED, restingState } from '../neurons/hh.js';
import { createPopulation } from '../sim/registry.js';
import type { IntegratorName } from '../neurons/types.js';
import { simulate } from '../sim/simulate.js';
import { constant } from '../sim/stimulus.js';

export interface RestCheck {
  model: 'hh' | 'hh-modern';
  integrator: IntegratorName;
  restV: number;
  m: number;
  h: number;
  n: number;
  duration: number;
  dt: number;
  maxDriftMv: number;
}

export function checkRest(
  model: 'hh' | 'hh-modern',
  integrator: IntegratorName,
  duration = 100,
  dt = 0.01,
): RestCheck {
  const rest = restingState(model === 'hh' ? HH_SHIFTED : HH_MODERN);
  const res = simulate(createPopulation(model, 1, { integrator }), constant({ amplitude: 0 }), {
    duration,
    dt,
    record: { neurons: [0] },
  });
  const v = res.traces.v[0];
  const maxDriftMv = Math.max(...v.map((x) => Math.abs(x - v[0])));
  return { model, integrator, restV: rest.v, m: rest.m, h: rest.h, n: rest.n, duration, dt, maxDriftMv };
}
