// Morris–Lecar (a declared model) against an RK4 written here from the equations, its rest
// state, and the two classic excitability classes of Rinzel & Ermentrout's parameter sets: the
// Hopf set (type II: repetitive firing begins at a finite rate) and the SNLC set (type I: firing
// begins near I ≈ 40 µA/cm² at arbitrarily low rates).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { morrisLecar } from '../src/neurons/morris-lecar.js';
import { initialState, resolveParams } from '../src/neurons/model.js';
import { createPopulation } from '../src/sim/registry.js';
import { simulate } from '../src/sim/simulate.js';
import { constant } from '../src/sim/stimulus.js';
import { close, rk4Step } from './helpers.js';

const SNLC = { phi: 1 / 15, gCa: 4, V3: 12, V4: 17.4 };

/** dV/dt and dw/dt from the published equations, for parameter values p. */
function rates(p: Record<string, number>, I: number, v: number, w: number): [number, number] {
  const mInf = 0.5 * (1 + Math.tanh((v - p.V1) / p.V2));
  const wInf = 0.5 * (1 + Math.tanh((v - p.V3) / p.V4));
  const dv = (I - p.gL * (v - p.VL) - p.gCa * mInf * (v - p.VCa) - p.gK * w * (v - p.VK)) / p.C;
  return [dv, p.phi * (wInf - w) * Math.cosh((v - p.V3) / (2 * p.V4))];
}

/** Upward crossings of 0 mV (linearly interpolated) of an RK4 run from (v0, w0). */
function rk4Spikes(p: Record<string, number>, I: number, duration: number, dt: number): number[] {
  let [v, w] = initialState(morrisLecar, p);
  const times: number[] = [];
  for (let s = 0, steps = Math.round(duration / dt); s < steps; s++) {
    const [vn, wn] = rk4Step(([a, b]) => rates(p, I, a, b), [v, w], dt);
    w = wn;
    if (v <= 0 && vn > 0) times.push(s * dt + (dt * -v) / (vn - v));
    v = vn;
  }
  return times;
}

function run(I: number, duration: number, params: Record<string, number> = {}, dt = 0.05): number[] {
  const pop = createPopulation('morris-lecar', 1, { integrator: 'rk4', params });
  return simulate(pop, constant({ amplitude: I }), { duration, dt }).spikeTimes[0];
}

const lastPeriod = (t: number[]): number => t[t.length - 1] - t[t.length - 2];

test('Morris–Lecar starts at rest: both derivatives vanish with no input', () => {
  for (const set of [{}, SNLC]) {
    const p = resolveParams(morrisLecar, set);
    const [v, w] = initialState(morrisLecar, p);
    const [dv, dw] = rates(p, 0, v, w);
    assert.ok(Math.abs(dv) < 1e-9 && Math.abs(dw) < 1e-9, `dV/dt ${dv}, dw/dt ${dw} at (${v}, ${w})`);
    assert.ok(v > -62 && v < -55, `rest ${v} mV`);
    assert.deepEqual(run(0, 300, set), [], 'no spikes at rest');
  }
});

test('Morris–Lecar matches an independent RK4 (Hopf set, I = 100)', () => {
  const p = resolveParams(morrisLecar, {});
  const times = run(100, 600);
  const ref = rk4Spikes(p, 100, 600, 0.05);
  assert.equal(times.length, ref.length);
  assert.ok(times.length >= 6, `${times.length} spikes in 600 ms`);
  times.forEach((t, k) => close(t, ref[k], 1e-6, `spike ${k}: ${t} vs ${ref[k]}`));
});

test('Morris–Lecar Hopf set is type II: silent at 80, firing at a finite rate above onset', () => {
  assert.ok(run(80, 1000).length <= 1, 'at most one transient spike at I = 80');
  const at100 = run(100, 1000);
  const at110 = run(110, 1000);
  // Finite rate at onset: ~12 Hz at 100 (period 85 ms), barely faster at 110.
  const [p100, p110] = [lastPeriod(at100), lastPeriod(at110)];
  assert.ok(p100 > 70 && p100 < 100, `period at 100: ${p100} ms`);
  assert.ok(p110 < p100 && p110 > 0.8 * p100, `period at 110: ${p110} ms vs ${p100}`);
});

test('Morris–Lecar SNLC set is type I: onset near 40 µA/cm² with arbitrarily long periods', () => {
  assert.deepEqual(run(39, 2000, SNLC), [], 'silent at I = 39 (the saddle-node on the cycle is at ≈ 39.96)');
  const periods = [41, 45, 60].map((I) => lastPeriod(run(I, 2000, SNLC)));
  assert.ok(periods[0] > 150, `period at 41: ${periods[0]} ms (long near onset)`);
  assert.ok(periods[0] > periods[1] && periods[1] > periods[2], `periods fall with I: ${periods}`);
  assert.ok(periods[2] < 0.4 * periods[0], `period at 60: ${periods[2]} ms`);
});
