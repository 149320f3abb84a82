import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HH_MODERN, HH_SHIFTED, restingState } from '../src/neurons/hh.js';
import { tvlif2hhDeclared } from '../src/neurons/tvlif2hh.js';
import { declareNeuron } from '../src/neurons/model.js';
import { trainableModels } from '../src/neurons/catalog.js';
import { quasiLinearOf, stepDefinition } from '../src/neurons/derive.js';
import { createPopulation } from '../src/sim/registry.js';
import type { IntegratorName } from '../src/neurons/types.js';
import { OdePopulation } from '../src/sim/population.js';
import { simulate } from '../src/sim/simulate.js';
import { STANDARD_WAVEFORMS, constant, makeWaveform, perNeuron } from '../src/sim/stimulus.js';
import type { WaveformKind } from '../src/sim/stimulus.js';
import { rmse, spikeTimeErrorOverISI } from '../src/analysis/metrics.js';
import { close } from './helpers.js';

/** The declared circuit's simulation model with parameter overrides (e.g. HH_MODERN). */
const circuit = (params: Record<string, number> = {}) => quasiLinearOf(tvlif2hhDeclared, params);

const WAVEFORMS = Object.keys(STANDARD_WAVEFORMS) as WaveformKind[];

function pair(kind: WaveformKind, integrator: IntegratorName, duration: number, dt: number) {
  const stim = makeWaveform(kind, STANDARD_WAVEFORMS[kind]);
  const opts = { duration, dt, record: { interval: 0.05 } };
  const hh = simulate(createPopulation('hh', 1, { integrator }), stim, opts);
  const tv = simulate(createPopulation('tvlif2hh', 1, { integrator }), stim, opts);
  return { hh, tv };
}

test('tv-LIF2HH ≡ HH with Euler at dt = 0.001 ms on the five standard waveforms', () => {
  assert.equal(WAVEFORMS.length, 5);
  for (const kind of WAVEFORMS) {
    const { hh, tv } = pair(kind, 'euler', 80, 0.001);
    const ref = hh.spikeTimes[0];
    const got = tv.spikeTimes[0];
    assert.ok(ref.length >= 2, `${kind}: HH fired only ${ref.length} times`);
    assert.equal(got.length, ref.length, `${kind}: spike counts ${got.length} vs ${ref.length}`);
    const err = spikeTimeErrorOverISI(ref, got).value;
    assert.ok(err < 0.01, `${kind}: spike-time error/ISI ${err}`);
    assert.ok(err < 1e-9, `${kind}: Euler should reproduce HH up to rounding, error/ISI ${err}`);
    const e = rmse(hh.traces.v[0], tv.traces.v[0]);
    assert.ok(e < 1e-6, `${kind}: V RMSE ${e} mV`);
  }
});

test('tv-LIF2HH vs HH with exponential Euler (not exact): same counts, small timing error', () => {
  let worstRmse = 0;
  for (const kind of WAVEFORMS) {
    const { hh, tv } = pair(kind, 'expeuler', 80, 0.001);
    const ref = hh.spikeTimes[0];
    const got = tv.spikeTimes[0];
    assert.equal(got.length, ref.length, `${kind}: spike counts ${got.length} vs ${ref.length}`);
    const err = spikeTimeErrorOverISI(ref, got).value;
    assert.ok(err < 0.01, `${kind}: spike-time error/ISI ${err}`);
    worstRmse = Math.max(worstRmse, rmse(hh.traces.v[0], tv.traces.v[0]));
  }
  // The two exponential-Euler discretisations really differ (O(dt)), unlike Euler.
  assert.ok(worstRmse > 1e-6, `expected an O(dt) difference, got ${worstRmse}`);
});

test('tv-LIF2HH with exponential Euler converges to HH (RK4 reference) as dt halves', () => {
  const dts = [0.01, 0.005, 0.0025];
  for (const kind of ['square', 'constant'] as WaveformKind[]) {
    const stim = makeWaveform(kind, STANDARD_WAVEFORMS[kind]);
    const record = { interval: 0.01 };
    const ref = simulate(createPopulation('hh', 1, { integrator: 'rk4' }), stim, {
      duration: 40,
      dt: 0.0005,
      record,
    }).traces.v[0];
    const errs = dts.map((dt) => {
      const r = simulate(createPopulation('tvlif2hh', 1, { integrator: 'expeuler' }), stim, {
        duration: 40,
        dt,
        record,
      });
      return rmse(ref, r.traces.v[0]);
    });
    for (let i = 1; i < errs.length; i++)
      assert.ok(errs[i] < errs[i - 1], `${kind}: RMSE did not decrease: ${errs.join(', ')}`);
    if (kind === 'constant') {
      // Regular spiking: clean first-order convergence (error halves with dt).
      for (let i = 1; i < errs.length; i++) {
        const ratio = errs[i - 1] / errs[i];
        assert.ok(ratio > 1.7 && ratio < 2.3, `constant: error ratio ${ratio} (${errs.join(', ')})`);
      }
    }
  }
});

test('circuit potential is Σf + u4, and one Euler step follows the HH voltage equation', () => {
  const r = simulate(createPopulation('tvlif2hh', 1, { integrator: 'euler' }), constant({ amplitude: 10 }), {
    duration: 20,
    dt: 0.01,
    record: { variables: ['v', 'fNa', 'fK', 'fL', 'u4'] },
  });
  const tr = r.traces;
  assert.ok(r.spikeTimes[0].length >= 1);
  let maxF = 0;
  tr.v[0].forEach((v, i) => {
    close(v, tr.fNa[0][i] + tr.fK[0][i] + tr.fL[0][i] + tr.u4[0][i], 1e-9);
    maxF = Math.max(maxF, Math.abs(tr.fNa[0][i]));
  });
  assert.ok(maxF > 1, 'the accumulators must carry part of the potential');

  // Step by hand and check: Δf_i = g_i·Δu_i; ΔV' = dt/C·(I − Σ g_i (V' − E_i)).
  const p = HH_SHIFTED;
  const pop = new OdePopulation(circuit(), 1, 'euler');
  const idx = Object.fromEntries(tvlif2hhDeclared.states.map((name, k) => [name, k])) as Record<
    string,
    number
  >;
  const y = pop.y;
  const input = Float64Array.of(10);
  const dt = 0.01;
  for (let s = 0; s < 1500; s++) {
    const before = Float64Array.from(y);
    const v0 = pop.v[0];
    const gNa = p.gNa * before[idx.m] ** 3 * before[idx.h];
    const gK = p.gK * before[idx.n] ** 4;
    pop.step(s * dt, dt, input);
    const d = (name: string): number => y[idx[name]] - before[idx[name]];
    const scale = 1e-9 * (1 + Math.abs(d('uNa')) * gNa);
    close(d('fNa'), gNa * d('uNa'), scale, `step ${s}: ΔfNa`);
    close(d('fK'), gK * d('uK'), 1e-9 * (1 + Math.abs(d('uK')) * gK), `step ${s}: ΔfK`);
    close(d('fL'), p.gL * d('uL'), 1e-12, `step ${s}: ΔfL`);
    const dv = (dt / p.C) * (10 - gNa * (v0 - p.ENa) - gK * (v0 - p.EK) - p.gL * (v0 - p.EL));
    close(pop.v[0] - v0, dv, 1e-9 * (1 + Math.abs(dv)), `step ${s}: ΔV'`);
  }
  assert.ok(pop.spikeTimes[0].length >= 1, 'the hand-stepped circuit should spike');
});

test('channel units are tv-LIFs: with I = 0 each relaxes to E_i with time constant C', () => {
  const rest = restingState().v;
  const pop = new OdePopulation(circuit(), 1, 'expeuler');
  const r = simulate(pop, constant({ amplitude: 0 }), {
    duration: 5,
    dt: 0.01,
    record: { interval: 1, variables: ['v', 'uNa', 'uK', 'uL'] },
  });
  const E = { uNa: HH_SHIFTED.ENa, uK: HH_SHIFTED.EK, uL: HH_SHIFTED.EL };
  for (const [name, Ei] of Object.entries(E))
    r.t.forEach((t, i) =>
      close(r.traces[name][0][i], Ei + (rest - Ei) * Math.exp(-t / HH_SHIFTED.C), 1e-9, `${name}(${t})`),
    );
  // …while the circuit's potential stays at rest.
  for (const v of r.traces.v[0]) close(v, rest, 1e-6);
});

test('with the voltage-gated conductances off, the circuit is a passive membrane', () => {
  // gNa = gK = 0: C dV/dt = −gL(V − EL) + I ⇒ V = EL + I/gL + (V0 − EL − I/gL) e^{−gL t/C}.
  const I = 0.3;
  const p = { gNa: 0, gK: 0 };
  const pop = new OdePopulation(circuit(p), 1, 'rk4');
  const r = simulate(pop, constant({ amplitude: I }), { duration: 20, dt: 0.01, record: { interval: 1 } });
  const { gL, EL, C } = HH_SHIFTED;
  const v0 = r.traces.v[0][0];
  close(v0, EL, 1e-9);
  r.t.forEach((t, i) =>
    close(r.traces.v[0][i], EL + I / gL + (v0 - EL - I / gL) * Math.exp((-gL * t) / C), 1e-8, `V(${t})`),
  );
});

test('the circuit owns its state: built alone, several at once, in the modern convention', () => {
  // Alone (no HH population exists in this test) it fires like HH's F–I: silent at 5, tonic at 10.
  const currents = [5, 10, 15];
  const multi = simulate(createPopulation('tvlif2hh', 3, { integrator: 'euler' }), perNeuron(currents), {
    duration: 60,
    dt: 0.005,
    record: false,
  });
  assert.ok(multi.spikeTimes[0].length <= 1, `5 µA/cm²: ${multi.spikeTimes[0].length} spikes`);
  assert.ok(multi.spikeTimes[1].length >= 3);
  assert.ok(multi.spikeTimes[2].length > multi.spikeTimes[1].length);
  // Each neuron of the population equals a single-neuron run (no cross-talk between neurons).
  currents.forEach((c, i) => {
    const single = simulate(
      createPopulation('tvlif2hh', 1, { integrator: 'euler' }),
      constant({ amplitude: c }),
      {
        duration: 60,
        dt: 0.005,
        record: false,
      },
    );
    assert.deepEqual(single.spikeTimes[0], multi.spikeTimes[i]);
  });
  // Modern convention: same spike count as modern HH.
  const stim = constant({ amplitude: 10 });
  const opts = { duration: 60, dt: 0.005, record: false as const };
  const tvm = simulate(new OdePopulation(circuit(HH_MODERN), 1, 'euler'), stim, opts);
  const hhm = simulate(createPopulation('hh-modern', 1, { integrator: 'euler' }), stim, opts);
  assert.ok(hhm.spikeTimes[0].length >= 3);
  assert.equal(tvm.spikeTimes[0].length, hhm.spikeTimes[0].length);
  tvm.spikeTimes[0].forEach((t, i) => close(t, hhm.spikeTimes[0][i], 1e-6));
  // Fresh circuits start at HH's resting potential, in either convention.
  close(new OdePopulation(circuit(), 1).v[0], restingState().v, 1e-12);
  close(new OdePopulation(circuit(HH_MODERN), 1).v[0], restingState().v - 65, 1e-9);
});

test('the circuit starts at the HH rest of its own membrane (initFrom), for any parameters', () => {
  const sets: Record<string, number>[] = [
    {},
    { gL: 0.5, EL: 12 },
    { gNa: 150, gK: 40, C: 2 },
    { ...HH_MODERN },
  ];
  for (const params of sets) {
    const rest = restingState({ ...HH_SHIFTED, ...params });
    const y = new Float64Array(tvlif2hhDeclared.states.length);
    quasiLinearOf(tvlif2hhDeclared, params).initialState(y, 0);
    const at = (s: string): number => y[tvlif2hhDeclared.states.indexOf(s)];
    for (const s of ['uNa', 'uK', 'uL', 'u4']) close(at(s), rest.v, 1e-9, `${s} ${JSON.stringify(params)}`);
    for (const s of ['fNa', 'fK', 'fL']) assert.equal(at(s), 0, s);
    for (const g of ['m', 'h', 'n'] as const) close(at(g), rest[g], 1e-9, `${g} ${JSON.stringify(params)}`);
  }
  // A let voltage is for simulation only: a trainable layer needs a state.
  assert.throws(() => stepDefinition(tvlif2hhDeclared), /trainable layers need the voltage to be a state/);
  const trainable = trainableModels().map((m) => m.name);
  assert.ok(!trainable.includes('tvlif2hh') && trainable.includes('hh'), trainable.join(', '));
});

test('initFrom: errors name the model and the field', () => {
  const d = tvlif2hhDeclared.declaration;
  const from = d.initFrom!;
  assert.throws(
    () => declareNeuron({ ...d, initFrom: { ...from, states: { ...from.states, uX: 'v' } } }),
    /neuron model "tvlif2hh": initFrom\.states\.uX: "uX" is not a state/,
  );
  assert.throws(
    () => declareNeuron({ ...d, initFrom: { ...from, states: { ...from.states, u4: 'w' } } }),
    /initFrom\.states\.u4: "w" is not a state of hh \(its states: v, m, h, n\)/,
  );
  assert.throws(
    () => declareNeuron({ ...d, states: { ...d.states, u4: { init: 0 } } }),
    /states\.u4\.init: u4 starts at hh's v \(initFrom\); give no init/,
  );
  const { u4: _dropped, ...rest } = from.states;
  assert.throws(
    () => declareNeuron({ ...d, initFrom: { ...from, states: rest } }),
    /states\.u4\.init: missing/,
  );
});
