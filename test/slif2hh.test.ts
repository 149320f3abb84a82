import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SLIF2HH_DEFAULTS, slif2hhDeclared } from '../src/neurons/slif2hh.js';
import { notTrainable } from '../src/neurons/derive.js';
import { StepPopulation } from '../src/sim/step-population.js';
import { declareNeuron } from '../src/neurons/model.js';
import { createPopulation } from '../src/sim/registry.js';
import { simulate } from '../src/sim/simulate.js';
import { STANDARD_WAVEFORMS, constant, makeWaveform } from '../src/sim/stimulus.js';
import type { Stimulus, WaveformKind } from '../src/sim/stimulus.js';
import { fitSLIF2HH, slif2hhLoss } from '../src/experiments/slif2hh-fit.js';
import { steadyRateHz } from '../src/analysis/metrics.js';
import type { FitTarget } from '../src/experiments/slif2hh-fit.js';
import { close } from './helpers.js';

/** Input sequence: step k (t = k·dt … (k+1)·dt) gets seq[k]. */
function sequence(seq: number[], dt = 1): Stimulus {
  return {
    kind: 'sequence',
    params: {},
    reset() {},
    sample(t, _dt, out) {
      out.fill(seq[Math.round(t / dt)] ?? 0);
    },
  };
}

const HAND = { decay: 0.5, threshold: 2, w1: 1, w2: 0.5, w3: 2, c1: 0.5, c2: 1, c3: 0.25 };

/** A population of s-LIF2HH units (the declaration, through the registry). */
const units = (params: Record<string, number> = {}, n = 1) => createPopulation('slif2hh', n, { params });

test('s-LIF2HH discrete recursion at dt = 1 matches a hand computation', () => {
  // m_k[t] = d·m_k[t−1]·(1 − s_k[t−1]) + w_k·I[t];  m4[t] = d·m4[t−1]·(1 − s4[t−1]) + Σ c_k m_k[t].
  // Worked by hand with d = 0.5, θ = 2, w = (1, 0.5, 2), c = (0.5, 1, 0.25), I = 1, 1, 0, 2, 0:
  //   t=1: m = (1, 0.5, 2, 1.5)               s = (0, 0, 1, 0)
  //   t=2: m = (1.5, 0.75, 2, 2.75)           s = (0, 0, 1, 1)   m3 reset by (1 − s3) then + 2
  //   t=3: m = (0.75, 0.375, 0, 0.75)         s = (0, 0, 0, 0)   m3 and m4 reset
  //   t=4: m = (2.375, 1.1875, 4, 3.75)       s = (1, 0, 1, 1)
  //   t=5: m = (0, 0.59375, 0, 0.59375)       s = (0, 0, 0, 0)
  const expected = {
    m1: [0, 1, 1.5, 0.75, 2.375, 0],
    m2: [0, 0.5, 0.75, 0.375, 1.1875, 0.59375],
    m3: [0, 2, 2, 0, 4, 0],
    m4: [0, 1.5, 2.75, 0.75, 3.75, 0.59375],
    s1: [0, 0, 0, 0, 1, 0],
    s2: [0, 0, 0, 0, 0, 0],
    s3: [0, 1, 1, 0, 1, 0],
    s4: [0, 0, 1, 0, 1, 0],
  };
  const pop = units(HAND);
  const variables = ['v', ...Object.keys(expected)];
  const r = simulate(pop, sequence([1, 1, 0, 2, 0]), { duration: 5, dt: 1, record: { variables } });
  assert.deepEqual(r.t, [0, 1, 2, 3, 4, 5]);
  for (const [name, values] of Object.entries(expected))
    assert.deepEqual(r.traces[name][0], values, `trace of ${name}`);
  assert.deepEqual(r.traces.v[0], expected.m4, 'v is the output LIF m4');
  assert.deepEqual(r.spikeTimes[0], [2, 4]);
  // reset() clears state and spikes; a rerun is identical.
  pop.reset();
  assert.deepEqual(pop.spikeTimes, [[]]);
  assert.equal(pop.v[0], 0);
  const again = simulate(pop, sequence([1, 1, 0, 2, 0]), { duration: 5, dt: 1, record: false });
  assert.deepEqual(again.spikeTimes[0], [2, 4]);
});

test('s-LIF2HH defaults and the registry', () => {
  // Threshold 2 as in the study's fully connected model; the rest is a fitted wiring.
  assert.equal(SLIF2HH_DEFAULTS.threshold, 2);
  assert.ok(SLIF2HH_DEFAULTS.decay >= 0 && SLIF2HH_DEFAULTS.decay <= 1);
  assert.ok(SLIF2HH_DEFAULTS.c1 >= 0 && SLIF2HH_DEFAULTS.c2 >= 0 && SLIF2HH_DEFAULTS.c3 >= 0);
  // Documented: a default unit fires at 100 Hz at 10 µA/cm² (dt = 1 ms), not on every step.
  const r = simulate(units(), constant({ amplitude: 10 }), {
    duration: 200,
    dt: 1,
    record: false,
  });
  close(steadyRateHz(r.spikeTimes[0], 0, 200), 100, 1e-9);
  const pop = units({ w1: 0.3 }, 2);
  assert.ok(pop instanceof StepPopulation);
  assert.equal(pop.params.w1, 0.3);
  assert.equal(pop.params.decay, SLIF2HH_DEFAULTS.decay);
  assert.deepEqual([...pop.variables], ['v', 'm1', 'm2', 'm3', 'm4', 's1', 's2', 's3', 's4']);
  assert.throws(() => pop.read('m5', new Float64Array(2)), /no variable "m5"/);
});

test('s-LIF2HH at dt ≠ 1 keeps the leak per ms and scales the input by dt', () => {
  const dt = 0.25;
  const pop = units({ ...HAND, threshold: 1e9 });
  // One pulse of I = 4 during the first step, then nothing: m1 = w1·I·dt, then decays 0.5 per ms.
  const r = simulate(pop, sequence([4], dt), { duration: 3, dt, record: { variables: ['m1', 'm3'] } });
  const m1 = r.traces.m1[0];
  close(m1[1], 1 * 4 * dt, 1e-15);
  close(m1[1 + 4], 0.5 * m1[1], 1e-15); // 1 ms later
  close(m1[1 + 8], 0.25 * m1[1], 1e-15); // 2 ms later
  close(r.traces.m3[0][1], 2 * 4 * dt, 1e-15);
  // Constant drive, no spikes: m1 → w1·I·dt / (1 − d^dt).
  const pop2 = units({ ...HAND, threshold: 1e9 });
  simulate(pop2, constant({ amplitude: 3 }), { duration: 100, dt, record: false });
  const out = new Float64Array(1);
  pop2.read('m1', out);
  close(out[0], (3 * dt) / (1 - Math.pow(0.5, dt)), 1e-9);
});

test('s-LIF2HH approaches continuous-time leaky units as dt → 0', () => {
  // dm_k/dt = −λ m_k + w_k I and dm4/dt = −λ m4 + Σ c_k m_k with λ = −ln d, so at steady state
  // m_k = w_k I/λ and m4 = Σ c_k w_k I/λ² (the mix is scaled by dt like the input).
  const I = 3;
  const lambda = -Math.log(HAND.decay);
  const m4Limit = ((HAND.c1 * HAND.w1 + HAND.c2 * HAND.w2 + HAND.c3 * HAND.w3) * I) / lambda ** 2;
  const final = (dt: number): number[] => {
    const pop = units({ ...HAND, threshold: 1e9 });
    simulate(pop, constant({ amplitude: I }), { duration: 60, dt, record: false });
    const out = new Float64Array(1);
    return ['m1', 'm4'].map((name) => (pop.read(name, out), out[0]));
  };
  const [m1, m4] = final(0.001);
  close(m1, (HAND.w1 * I) / lambda, 2e-3 * m1);
  close(m4, m4Limit, 2e-3 * m4Limit);
  // And the coarse steps are consistent with it (first-order in dt).
  const errs = [0.1, 0.05].map((dt) => Math.abs(final(dt)[1] - m4Limit));
  const ratio = errs[0] / errs[1];
  assert.ok(ratio > 1.7 && ratio < 2.3, `m4 error ratio ${ratio}`);
});

test('s-LIF2HH parameter validation', () => {
  assert.throws(() => units({ c1: -0.1 }), /model slif2hh: parameter c1 must be ≥ 0, got -0\.1/);
  assert.throws(() => units({ c3: -1e-9 }), /parameter c3 must be ≥ 0/);
  assert.throws(() => units({ decay: -0.01 }), /parameter decay must be ≥ 0 and ≤ 1, got -0\.01/);
  assert.throws(() => units({ decay: 1.5 }), /parameter decay must be ≥ 0 and ≤ 1, got 1\.5/);
  assert.throws(() => units({ w2: NaN }), /parameter w2 must be a finite number/);
  assert.throws(() => units({ threshold: Infinity }), /parameter threshold must be a finite number/);
  // Edges and negative input weights are allowed.
  for (const p of [{ decay: 0 }, { decay: 1 }, { c1: 0 }, { w1: -1 }] as Record<string, number>[])
    assert.doesNotThrow(() => units(p), JSON.stringify(p));
  // Its step reads dt (any step runs) and calls step(): simulation only.
  assert.equal(slif2hhDeclared.readsDt, true);
  assert.match(notTrainable(slif2hhDeclared) ?? '', /step\(\) has no derivative/);
});

test('slif2hhLoss: zero on its own output, 1/ISI for a 1 ms shift, count term by hand', () => {
  const stim = constant({ amplitude: 10 });
  const own = simulate(units(HAND), stim, { duration: 40, dt: 1, record: false }).spikeTimes[0];
  assert.ok(own.length >= 3, `only ${own.length} spikes`);
  assert.equal(slif2hhLoss(HAND, [{ stimulus: stim, spikes: own }], 40, 1), 0);
  const shifted = own.map((t) => t + 1);
  const isi = (own[own.length - 1] - own[0]) / (own.length - 1);
  close(slif2hhLoss(HAND, [{ stimulus: stim, spikes: shifted }], 40, 1), 1 / isi, 1e-12);
  // Reference with one spike fewer (the last): count term 1/(n−1), times of the paired spikes equal.
  const fewer = own.slice(0, -1);
  close(slif2hhLoss(HAND, [{ stimulus: stim, spikes: fewer }], 40, 1), 1 / fewer.length, 1e-12);
  // Averaged over targets.
  close(
    slif2hhLoss(
      HAND,
      [
        { stimulus: stim, spikes: own },
        { stimulus: stim, spikes: shifted },
      ],
      40,
      1,
    ),
    0.5 / isi,
    1e-12,
  );
});

function hhTargets(duration: number): FitTarget[] {
  return (Object.keys(STANDARD_WAVEFORMS) as WaveformKind[]).map((kind) => {
    const stimulus = makeWaveform(kind, STANDARD_WAVEFORMS[kind]);
    const r = simulate(createPopulation('hh', 1, { integrator: 'expeuler' }), stimulus, {
      duration,
      dt: 0.01,
      record: false,
    });
    return { stimulus, spikes: r.spikeTimes[0] };
  });
}

/** The learning code's reference constants (spec 2.3: decay 0.5, threshold 2), unfitted wiring. */
const REFERENCE = { decay: 0.5, threshold: 2, w1: 0.1, w2: 0.1, w3: 0.1, c1: 0.5, c2: 0.5, c3: 0.5 };

test('fitSLIF2HH is deterministic per seed and beats unfitted parameters', () => {
  const duration = 80;
  const targets = hhTargets(duration);
  assert.ok(targets.every((t) => t.spikes.length >= 2));
  const opts = { duration, dt: 1, seed: 7, samples: 300, sweeps: 5 };
  const a = fitSLIF2HH(targets, opts);
  const b = fitSLIF2HH(targets, opts);
  assert.deepEqual(a, b);
  const referenceLoss = slif2hhLoss(REFERENCE, targets, duration, 1);
  assert.ok(a.loss < referenceLoss, `fitted loss ${a.loss} not below reference ${referenceLoss}`);
  // Refinement sweeps start from the random-search optimum and never make it worse.
  const searchOnly = fitSLIF2HH(targets, { ...opts, sweeps: 0 });
  assert.equal(searchOnly.evaluations, 300);
  assert.ok(a.loss <= searchOnly.loss, `sweeps worsened the loss: ${searchOnly.loss} → ${a.loss}`);
  // The reported loss is the loss of the reported parameters.
  close(slif2hhLoss(a.params, targets, duration, 1), a.loss, 1e-12);
  assert.ok(a.evaluations >= 300 && a.evaluations <= 300 + 5 * 14, `evaluations ${a.evaluations}`);
  assert.equal(a.params.threshold, 2);
  assert.ok(a.params.decay >= 0 && a.params.decay <= 1);
  assert.ok(a.params.c1 >= 0 && a.params.c2 >= 0 && a.params.c3 >= 0);
  // Fixing the decay keeps it fixed.
  const fixed = fitSLIF2HH(targets, { ...opts, samples: 50, sweeps: 2, decay: 0.5 });
  assert.equal(fixed.params.decay, 0.5);
  // A different seed explores differently.
  const c = fitSLIF2HH(targets, { ...opts, seed: 8, samples: 50, sweeps: 0 });
  const d = fitSLIF2HH(targets, { ...opts, samples: 50, sweeps: 0 });
  assert.notDeepEqual(c.params, d.params);
  assert.equal(c.evaluations, 50);
});

test('a discrete step may read dt; the spike and reset may not', () => {
  const base = {
    name: 'probe',
    description: 'probe',
    states: { v: { init: 0 } },
    params: { k: { value: 0.5 } },
    let: { d: 'k^dt' },
    step: { v: 'd*v + I*dt' },
    spike: 'v > 1',
  };
  const ok = declareNeuron(base);
  assert.equal(ok.readsDt, true);
  assert.equal(declareNeuron({ ...base, let: {}, step: { v: 'k*v + I' } }).readsDt, false);
  assert.throws(
    () => declareNeuron({ ...base, reset: { v: 'd' } }),
    /neuron model "probe": reset\.v: reads dt, which only the step may read/,
  );
  assert.throws(
    () => declareNeuron({ ...base, dynamics: { v: '-v*dt' }, step: undefined, let: {} }),
    /dynamics\.v: unknown name "dt"/,
  );
  // A step that reads dt runs at any dt: v ← k^dt·v + I·dt.
  const pop = new StepPopulation(ok, 1);
  pop.step(0, 0.5, Float64Array.of(1));
  pop.step(0.5, 0.5, Float64Array.of(1));
  close(pop.v[0], Math.SQRT1_2 * 0.5 + 0.5, 1e-15);
});
