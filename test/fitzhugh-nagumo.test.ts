// FitzHugh–Nagumo (a declared model) against an RK4 written here from the equations, its rest
// state, and the onset of oscillation (Hopf bifurcation near I ≈ 0.33 for a 0.7, b 0.8, τ 12.5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitzhughNagumo } from '../src/neurons/fitzhugh-nagumo.js';
import { initialState } from '../src/neurons/model.js';
import { createPopulation } from '../src/sim/registry.js';
import { simulate } from '../src/sim/simulate.js';
import { constant } from '../src/sim/stimulus.js';
import { close, rk4Step } from './helpers.js';

const [A, B, TAU] = [0.7, 0.8, 12.5];

/** Upward crossings of v = 1 (linearly interpolated) of an RK4 run from (v0, w0). */
function rk4Spikes(I: number, duration: number, dt: number, v0: number, w0: number): number[] {
  const f = ([v, w]: number[]): number[] => [v - (v * v * v) / 3 - w + I, (v + A - B * w) / TAU];
  let v = v0;
  let w = w0;
  const times: number[] = [];
  const steps = Math.round(duration / dt);
  for (let s = 0; s < steps; s++) {
    const [vn, wn] = rk4Step(f, [v, w], dt);
    w = wn;
    if (v < 1 && vn >= 1) times.push(s * dt + (dt * (1 - v)) / (vn - v));
    v = vn;
  }
  return times;
}

function run(I: number, duration: number, dt = 0.01): number[] {
  const pop = createPopulation('fitzhugh-nagumo', 1, { integrator: 'rk4' });
  return simulate(pop, constant({ amplitude: I }), { duration, dt }).spikeTimes[0];
}

test('FitzHugh–Nagumo starts at its rest point: v − v³/3 = (v + a)/b, w = (v + a)/b', () => {
  const [v, w] = initialState(fitzhughNagumo, fitzhughNagumo.defaults);
  close(v - (v * v * v) / 3, (v + A) / B, 1e-12);
  close(w, (v + A) / B, 1e-12);
  close(v, -1.1994, 1e-4);
  assert.deepEqual(run(0, 300), [], 'no spikes at rest');
});

test('FitzHugh–Nagumo oscillates above the Hopf point and matches an independent RK4', () => {
  const [v0, w0] = initialState(fitzhughNagumo, fitzhughNagumo.defaults);
  // Below onset (I = 0.3): one transient excursion at most, then rest.
  assert.ok(run(0.3, 400).length <= 1, 'no sustained oscillation at I = 0.3');
  // Above (I = 0.5): relaxation oscillations.
  const times = run(0.5, 400);
  const ref = rk4Spikes(0.5, 400, 0.01, v0, w0);
  assert.equal(times.length, ref.length);
  assert.ok(times.length >= 9, `${times.length} spikes in 400 time units`);
  times.forEach((t, k) => close(t, ref[k], 1e-6, `spike ${k}: ${t} vs ${ref[k]}`));
  const period = times[times.length - 1] - times[times.length - 2];
  close(period, 39.47, 0.01, `period ${period}`);
});
