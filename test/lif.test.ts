import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIF_DEFAULTS, lifDeclared, lifRateHz, tvlifDeclared } from '../src/neurons/lif.js';
import { quasiLinearOf } from '../src/neurons/derive.js';
import { INTEGRATORS } from '../src/neurons/types.js';
import { createPopulation } from '../src/sim/registry.js';
import { OdePopulation } from '../src/sim/population.js';
import { simulate } from '../src/sim/simulate.js';
import { constant, perNeuron, sine } from '../src/sim/stimulus.js';
import { interSpikeIntervals, steadyRateHz } from '../src/analysis/metrics.js';
import { close } from './helpers.js';

test('lifRateHz: analytic values by hand', () => {
  // Defaults: τ = 10 ms, θ = 15, reset 0, EL 0, tRef 2, R = 10. At I = 2: V∞ = 20,
  // ISI = 2 + 10·ln(20/5) = 2 + 13.8629 ms.
  close(lifRateHz(2), 1000 / (2 + 10 * Math.log(4)), 1e-9);
  close(lifRateHz(3), 1000 / (2 + 10 * Math.log(2)), 1e-9);
  assert.equal(lifRateHz(1.5), 0);
  assert.equal(lifRateHz(1), 0);
  // Custom parameters: τ = C/gL = 2/0.2 = 10, EL −5, reset −10, θ 5, tRef 0, I = 3 → V∞ = −5 + 15 = 10.
  close(
    lifRateHz(3, { C: 2, gL: 0.2, EL: -5, vThreshold: 5, vReset: -10, tRef: 0 }),
    1000 / (10 * Math.log((10 + 10) / (10 - 5))),
    1e-9,
  );
});

const FI = [1.6, 2, 3, 5, 10, 20];
for (const integrator of INTEGRATORS) {
  test(`LIF F–I matches the analytic rate within 1.5% (${integrator}, dt 0.01)`, () => {
    const pop = new OdePopulation(quasiLinearOf(lifDeclared), FI.length, integrator);
    const r = simulate(pop, perNeuron(FI), { duration: 400, dt: 0.01, record: false });
    FI.forEach((current, i) => {
      const expected = lifRateHz(current);
      const got = steadyRateHz(r.spikeTimes[i], 0, 400);
      assert.ok(r.spikeTimes[i].length >= 3, `I = ${current}: only ${r.spikeTimes[i].length} spikes`);
      assert.ok(
        Math.abs(got - expected) <= 0.015 * expected,
        `I = ${current}: simulated ${got} Hz vs analytic ${expected} Hz`,
      );
    });
  });
}

test('LIF first spike time matches the analytic passage time', () => {
  // From V = 0 with I = 3: V(t) = 30(1 − e^{−t/10}) reaches 15 at t = 10 ln 2.
  const pop = createPopulation('lif', 1, { integrator: 'expeuler' });
  const r = simulate(pop, constant({ amplitude: 3 }), { duration: 20, dt: 0.01, record: false });
  close(r.spikeTimes[0][0], 10 * Math.log(2), 2e-3);
});

test('LIF rheobase is 1.5 µA/cm² with the defaults', () => {
  const pop = createPopulation('lif', 2);
  const r = simulate(pop, perNeuron([1.4, 1.7]), { duration: 300, dt: 0.01, record: false });
  assert.equal(r.spikeTimes[0].length, 0, `1.4 µA/cm² fired ${r.spikeTimes[0].length} times`);
  assert.ok(r.spikeTimes[1].length >= 5, `1.7 µA/cm² fired ${r.spikeTimes[1].length} times`);
  // Sub-threshold neuron converges to V∞ = R·I = 14 mV.
  close(pop.v[0], 14, 1e-6);
});

test('LIF refractory period is respected and V is held at reset', () => {
  const tRef = 5;
  const dt = 0.01;
  const pop = new OdePopulation(quasiLinearOf(lifDeclared, { tRef, vReset: -3 }), 1, 'expeuler');
  const r = simulate(pop, constant({ amplitude: 100 }), { duration: 100, dt, record: {} });
  const spikes = r.spikeTimes[0];
  assert.ok(spikes.length > 10);
  const isi = interSpikeIntervals(spikes);
  const minIsi = Math.min(...isi);
  assert.ok(minIsi >= tRef, `ISI ${minIsi} < tRef ${tRef}`);
  // ISI = tRef + τ ln((V∞ − reset)/(V∞ − θ)) = 5 + 10 ln(1003/985), plus the part of the firing
  // step after the (interpolated) spike time: the refractory period starts at the step's end.
  const expected = tRef + 10 * Math.log(1003 / 985);
  for (const x of isi)
    assert.ok(x - expected > -0.05 * dt && x - expected < 1.05 * dt, `ISI ${x} vs ${expected} + [0, dt]`);
  // Held at reset from the end of the firing step for exactly tRef, then integrating again.
  const v = r.traces.v[0];
  const k0 = Math.ceil(spikes[0] / dt);
  const kEnd = k0 + Math.round(tRef / dt);
  for (let k = k0; k <= kEnd; k++) assert.equal(v[k], -3, `V at step ${k} = ${v[k]}`);
  assert.ok(v[kEnd + 1] > -3, 'V must rise again after the refractory period');
});

// ---------------------------------------------------------------------------------------------
// tv-LIF

test('tv-LIF with constant parameters reproduces the LIF exactly', () => {
  const stim = sine({ offset: 2, amplitude: 2, period: 25 });
  for (const integrator of INTEGRATORS) {
    const opts = { duration: 200, dt: 0.01, record: { variables: ['v', 'refractory'] } };
    const a = simulate(new OdePopulation(quasiLinearOf(lifDeclared), 1, integrator), stim, opts);
    const tv = quasiLinearOf(tvlifDeclared, {}, { timeVarying: { tau: () => 10, E: () => 0, k: () => 1 } });
    const b = simulate(new OdePopulation(tv, 1, integrator), stim, opts);
    assert.ok(a.spikeTimes[0].length >= 5);
    assert.deepEqual(b.spikeTimes, a.spikeTimes);
    assert.deepEqual(b.traces.v, a.traces.v);
    assert.deepEqual(b.traces.refractory, a.traces.refractory);
  }
  // The registry's default tv-LIF is the LIF too.
  const c = simulate(createPopulation('tvlif', 1), stim, { duration: 200, dt: 0.01, record: false });
  const d = simulate(createPopulation('lif', 1), stim, { duration: 200, dt: 0.01, record: false });
  assert.deepEqual(c.spikeTimes, d.spikeTimes);
});

test('tv-LIF with a sinusoidal rest matches the analytic steady state', () => {
  // dV/dt = −(V − E0 − A sin ωt)/τ  ⇒  V → E0 + A/√(1 + (ωτ)²)·sin(ωt − atan(ωτ)).
  const E0 = 3;
  const A = 8;
  const period = 50;
  const w = (2 * Math.PI) / period;
  const tau = 10;
  const gainAmp = A / Math.sqrt(1 + (w * tau) ** 2);
  const lag = Math.atan(w * tau);
  const analytic = (t: number): number => E0 + gainAmp * Math.sin(w * t - lag);
  for (const [integrator, tol] of [
    ['rk4', 1e-6],
    ['expeuler', 0.01 * gainAmp],
    ['euler', 0.01 * gainAmp],
  ] as const) {
    const model = quasiLinearOf(
      tvlifDeclared,
      { vThreshold: 1e3 },
      { timeVarying: { E: (t) => E0 + A * Math.sin(w * t) } },
    );
    const r = simulate(new OdePopulation(model, 1, integrator), constant({ amplitude: 0 }), {
      duration: 300,
      dt: 0.01,
      record: { interval: 0.5 },
    });
    assert.equal(r.spikeTimes[0].length, 0);
    let maxErr = 0;
    let vMax = -Infinity;
    r.t.forEach((t, i) => {
      if (t < 200) return; // transients decay as e^{−t/τ}
      maxErr = Math.max(maxErr, Math.abs(r.traces.v[0][i] - analytic(t)));
      vMax = Math.max(vMax, r.traces.v[0][i]);
    });
    assert.ok(maxErr <= tol, `${integrator}: max error ${maxErr} mV > ${tol}`);
    // The attenuation is real: the peak is well below E0 + A.
    close(vMax, E0 + gainAmp, 0.01 * gainAmp);
    assert.ok(vMax < E0 + 0.7 * A);
  }
});

test('tv-LIF with time-varying τ and gain follows the analytic solution', () => {
  // EL = 10 initially, rest 0, τ(t) = 5 + t/10 ⇒ V(t) = 10·(5/(5 + t/10))^10.
  // E's number (10) is the initial potential; its function (0) the rest the dynamics read.
  const m1 = quasiLinearOf(
    tvlifDeclared,
    { E: 10, vThreshold: 1e3 },
    { timeVarying: { E: () => 0, tau: (t) => 5 + t / 10 } },
  );
  const r1 = simulate(new OdePopulation(m1, 1, 'rk4'), constant({ amplitude: 0 }), {
    duration: 50,
    dt: 0.01,
    record: { interval: 1 },
  });
  r1.t.forEach((t, i) => close(r1.traces.v[0][i], 10 * (5 / (5 + t / 10)) ** 10, 1e-7, `V(${t})`));
  // Gain k = 2 doubles the steady response: V∞ = k·I·τ/C = 2·0.5·10 = 10 mV.
  const pop = new OdePopulation(
    quasiLinearOf(tvlifDeclared, { vThreshold: 1e3 }, { timeVarying: { k: () => 2 } }),
    1,
    'expeuler',
  );
  const r2 = simulate(pop, constant({ amplitude: 0.5 }), { duration: 200, dt: 0.01, record: false });
  assert.equal(r2.spikeTimes[0].length, 0);
  assert.equal(LIF_DEFAULTS.C, 1);
  close(pop.v[0], 2 * 0.5 * (LIF_DEFAULTS.C / LIF_DEFAULTS.gL), 1e-6);
});

test('timeVarying: only parameters, only functions', () => {
  assert.throws(
    () => quasiLinearOf(tvlifDeclared, {}, { timeVarying: { rest: () => 0 } }),
    /model tvlif: timeVarying: "rest" is not a parameter \(C, tau, E, k, vThreshold, vReset, tRef\)/,
  );
  assert.throws(
    () => quasiLinearOf(tvlifDeclared, {}, { timeVarying: { tau: 5 as unknown as () => number } }),
    /timeVarying\.tau must be a function of t/,
  );
});
