import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HH_MODERN,
  HH_SHIFTED,
  alphaH,
  alphaM,
  alphaN,
  betaH,
  betaM,
  betaN,
  hhDeclared,
  restingState,
  steadyStateCurrent,
  steadyStateGates,
  vtrap,
} from '../src/neurons/hh.js';
import { INTEGRATORS } from '../src/neurons/types.js';
import type { IntegratorName } from '../src/neurons/types.js';
import { quasiLinearOf } from '../src/neurons/derive.js';
import { createPopulation } from '../src/sim/registry.js';
import { OdePopulation } from '../src/sim/population.js';
import { simulate } from '../src/sim/simulate.js';
import { constant, perNeuron, step } from '../src/sim/stimulus.js';
import { steadyRateHz } from '../src/analysis/metrics.js';
import { close } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Rate functions

test('rate functions at their removable singularities equal the analytic limits', () => {
  // αn = 0.01(10 − u)/(e^{(10−u)/10} − 1) → 0.01·10 = 0.1 at u = 10; αm → 0.1·10 = 1 at u = 25.
  close(alphaN(10), 0.1, 1e-15);
  close(alphaM(25), 1.0, 1e-15);
  assert.ok(Number.isFinite(alphaN(10)) && Number.isFinite(alphaM(25)));
  for (const d of [1e-7, -1e-7, 1e-5, -1e-5, 1.0001e-5, -1.0001e-5]) {
    close(alphaN(10 + d), 0.1, 1e-6, `alphaN(10 + ${d})`);
    close(alphaM(25 + d), 1.0, 1e-6, `alphaM(25 + ${d})`);
  }
  // First-order behaviour across the switch between the series and the closed form:
  // αn(10 + d) ≈ 0.1 + d/200, αm(25 + d) ≈ 1 + d/20.
  for (const d of [9.9e-6, 1.01e-5, -9.9e-6, -1.01e-5, 1e-4]) {
    close(alphaN(10 + d), 0.1 + d / 200, 1e-12, `alphaN slope at 10 + ${d}`);
    close(alphaM(25 + d), 1 + d / 20, 1e-11, `alphaM slope at 25 + ${d}`);
  }
  // vtrap itself: x/(e^x − 1) with limit 1 and slope −1/2 at 0.
  close(vtrap(0), 1, 0);
  close(vtrap(1), 1 / (Math.E - 1), 1e-15);
  close(vtrap(-2e-7), 1 + 1e-7, 1e-14);
});

test('rate functions match the published HH 1952 formulas at generic voltages', () => {
  for (const u of [-20, -5, 0, 7.3, 15, 40, 90]) {
    close(alphaN(u), (0.01 * (10 - u)) / (Math.exp((10 - u) / 10) - 1), 1e-14, `alphaN(${u})`);
    close(alphaM(u), (0.1 * (25 - u)) / (Math.exp((25 - u) / 10) - 1), 1e-13, `alphaM(${u})`);
    close(betaN(u), 0.125 * Math.exp(-u / 80), 1e-15, `betaN(${u})`);
    close(betaM(u), 4 * Math.exp(-u / 18), 1e-13, `betaM(${u})`);
    close(alphaH(u), 0.07 * Math.exp(-u / 20), 1e-15, `alphaH(${u})`);
    close(betaH(u), 1 / (Math.exp((30 - u) / 10) + 1), 1e-15, `betaH(${u})`);
  }
  // Hand values at 0 mV.
  close(alphaN(0), 0.1 / (Math.E - 1), 1e-15);
  close(alphaM(0), 2.5 / (Math.exp(2.5) - 1), 1e-15);
  close(betaH(0), 1 / (Math.exp(3) + 1), 1e-15);
});

test('steady-state gates at 0 mV match the spec (m 0.0529, h 0.5961, n 0.3177)', () => {
  const g = steadyStateGates(0);
  close(g.m, 0.0529, 5e-4, `m∞(0) = ${g.m}`);
  close(g.h, 0.5961, 5e-4, `h∞(0) = ${g.h}`);
  close(g.n, 0.3177, 5e-4, `n∞(0) = ${g.n}`);
  // In the modern convention the same gates sit at −65 mV.
  const gm = steadyStateGates(-65, HH_MODERN);
  close(gm.m, g.m, 1e-14);
  close(gm.h, g.h, 1e-14);
  close(gm.n, g.n, 1e-14);
});

test('restingState: ≈ 0 mV shifted, ≈ −65 mV modern, with zero net steady-state current', () => {
  const s = restingState();
  close(s.v, 0, 0.01, `shifted rest ${s.v}`);
  const m = restingState(HH_MODERN);
  close(m.v, -65 + s.v, 0.01, `modern rest ${m.v} vs −65 + ${s.v}`);
  close(steadyStateCurrent(s.v), 0, 1e-9);
  close(steadyStateCurrent(m.v, HH_MODERN), 0, 1e-9);
  // Gates are the steady state at that V.
  const g = steadyStateGates(s.v);
  close(s.m, g.m, 1e-15);
  close(s.h, g.h, 1e-15);
  close(s.n, g.n, 1e-15);
  // A depolarising holding current moves the rest up.
  assert.ok(restingState(HH_SHIFTED, 2).v > s.v + 1);
});

// ---------------------------------------------------------------------------------------------
// Dynamics

for (const integrator of INTEGRATORS) {
  test(`resting HH stays at rest for 100 ms (${integrator}, dt 0.01)`, () => {
    const pop = new OdePopulation(quasiLinearOf(hhDeclared), 1, integrator);
    const v0 = pop.v[0];
    const r = simulate(pop, constant({ amplitude: 0 }), { duration: 100, dt: 0.01, record: { interval: 1 } });
    const trace = r.traces.v[0];
    for (const v of trace) assert.ok(Math.abs(v - v0) < 0.01, `V drifted to ${v} from ${v0}`);
    assert.equal(r.spikeTimes[0].length, 0);
  });
}

test('the modern convention is the shifted one moved by −65 mV', () => {
  const stim = step({ amplitude: 10, onset: 5, offset: 45 });
  const opts = { duration: 60, dt: 0.01, record: { variables: ['v', 'm', 'h', 'n'] } };
  for (const integrator of ['expeuler', 'rk4'] as IntegratorName[]) {
    const a = simulate(createPopulation('hh', 1, { integrator }), stim, opts);
    const b = simulate(createPopulation('hh-modern', 1, { integrator }), stim, opts);
    const va = a.traces.v[0];
    const vb = b.traces.v[0];
    assert.equal(va.length, vb.length);
    let maxDiff = 0;
    for (let i = 0; i < va.length; i++) maxDiff = Math.max(maxDiff, Math.abs(va[i] - vb[i] - 65));
    assert.ok(maxDiff < 1e-9, `${integrator}: max |V_shifted − V_modern − 65| = ${maxDiff}`);
    for (const g of ['m', 'h', 'n']) {
      let d = 0;
      a.traces[g][0].forEach((x, i) => (d = Math.max(d, Math.abs(x - b.traces[g][0][i]))));
      assert.ok(d < 1e-10, `${integrator}: gate ${g} differs by ${d}`);
    }
    assert.ok(a.spikeTimes[0].length >= 3, `expected spikes, got ${a.spikeTimes[0].length}`);
    assert.equal(a.spikeTimes[0].length, b.spikeTimes[0].length);
    // Thresholds 70 and −40 are 110 mV above the respective rests, not 65: spike times differ a bit.
    assert.ok(a.spikeTimes[0].every((t, i) => Math.abs(t - b.spikeTimes[0][i]) < 0.5));
  }
});

// ---------------------------------------------------------------------------------------------
// F–I facts of HH 1952 (shifted convention): repetitive firing starts between 6.0 and 6.3 µA/cm²,
// ≈ 68 Hz at 10 µA/cm².

const FI_CURRENTS = [6.0, 6.3, 10, 20];
function fiRates(integrator: IntegratorName): number[] {
  const pop = createPopulation('hh', FI_CURRENTS.length, { integrator });
  const r = simulate(pop, perNeuron(FI_CURRENTS), { duration: 500, dt: 0.01, record: false });
  return r.spikeTimes.map((s) => steadyRateHz(s, 250, 500));
}

const rates: Partial<Record<IntegratorName, number[]>> = {};
for (const integrator of ['rk4', 'expeuler'] as IntegratorName[]) {
  test(`HH F–I (${integrator}): silent at 6.0, tonic at 6.3, 68 Hz at 10 µA/cm²`, () => {
    const r = fiRates(integrator);
    rates[integrator] = r;
    const [r60, r63, r10, r20] = r;
    assert.equal(r60, 0, `rate at 6.0 µA/cm² should be 0, got ${r60}`);
    assert.ok(r63 > 0, `rate at 6.3 µA/cm² should be > 0, got ${r63}`);
    assert.ok(Math.abs(r10 - 68) <= 0.02 * 68, `rate at 10 µA/cm² = ${r10}, expected 68 ± 2%`);
    assert.ok(r20 > r10 && r10 > r63, `F–I must increase: ${r.join(', ')}`);
  });
}

test('HH F–I: rk4 and expeuler agree within 2% at 10 and 20 µA/cm²', () => {
  const a = rates.rk4 ?? fiRates('rk4');
  const b = rates.expeuler ?? fiRates('expeuler');
  for (const k of [2, 3]) {
    const rel = Math.abs(a[k] - b[k]) / a[k];
    assert.ok(rel < 0.02, `at ${FI_CURRENTS[k]} µA/cm²: rk4 ${a[k]} vs expeuler ${b[k]} (${rel})`);
  }
});
