// The wasm SIMD population step (src/network/wasm-step.ts) against the generated JS step: traces
// and spike times of three models under the same inputs, the COBAHH network on both backends and
// on one and two threads, the network's state access while the wasm kernel holds the state, the
// JS fallback for a model the SIMD renderer cannot express, and blow-ups.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ReceptorSpec } from '../src/network/index.js';
import {
  Network,
  NetworkDivergedError,
  allToAll,
  cobahh,
  compileWasmStepSync,
  conductance,
  cubaLif,
  current,
  fixedProbability,
  generateStep,
  normal,
  renderWasmStep,
  spikeStatistics,
  uniform,
  wasmPopulationStep,
  withReceptors,
} from '../src/network/index.js';
import type { NeuronModel } from '../src/neurons/model.js';
import { declareNeuron, initialState, resolveParams } from '../src/neurons/model.js';
import { izhikevich } from '../src/neurons/izhikevich.js';
import { traubMiles } from '../src/neurons/traub-miles.js';
import { Rng } from '../src/util/rng.js';

interface Case {
  base: NeuronModel;
  receptors: Record<string, ReceptorSpec>;
  params: Record<string, number>;
  refractory?: number;
  drive: number;
  /** What a synaptic event adds to each receptor's state. */
  kick: number;
}

/**
 * Both steps from one declaration, on the same neurons (18: the last vector is padded) with the
 * same constant currents and the same synaptic kicks, for `steps` steps of 0.1 ms.
 */
function compareSteps(c: Case, steps: number) {
  const { model, targets } = withReceptors(c.base, c.receptors);
  const params = resolveParams(model, c.params);
  const js = generateStep(model, params, 'expeuler', c.refractory);
  const program = renderWasmStep(js.plan);
  const wasm = wasmPopulationStep(program, compileWasmStepSync(program));
  const n = 18;
  const dt = 0.1;
  const S = model.states.length;
  const vk = model.states.indexOf(model.voltage);
  const rng = new Rng(5);
  const y0 = new Float64Array(n * S);
  const rest = initialState(model, params);
  for (let i = 0; i < n; i++) y0.set(rest, i * S);
  const inp = Float64Array.from({ length: n }, () => c.drive * (0.5 + rng.uniform()));
  const ya = y0.slice();
  const yb = y0.slice();
  const ra = new Int32Array(n);
  const rb = new Int32Array(n);
  const fa = new Int32Array(n);
  const fb = new Int32Array(n);
  const refSteps = Math.round(js.refractoryMs / dt);
  const spikesJs: number[][] = Array.from({ length: n }, () => []);
  const spikesWasm: number[][] = Array.from({ length: n }, () => []);
  const kicked = Object.values(targets).map((t) => model.states.indexOf(t.state));
  let worst = { excess: 0, step: -1, neuron: -1, js: 0, wasm: 0 };
  const prev = ya.slice();
  for (let s = 0; s < steps; s++) {
    for (const k of kicked)
      for (let i = 0; i < n; i++)
        if ((s * 7 + i * 13) % 97 === 0) {
          ya[i * S + k] += c.kick;
          yb[i * S + k] += c.kick;
        }
    const ca = js.step(ya, n, inp, dt, ra, refSteps, fa);
    const cb = wasm(yb, n, inp, dt, rb, refSteps, fb);
    assert.ok(ca >= 0 && cb >= 0, `${model.name} diverged at step ${s}`);
    for (let q = 0; q < ca; q++) spikesJs[fa[q]].push(s);
    for (let q = 0; q < cb; q++) spikesWasm[fb[q]].push(s);
    for (let i = 0; i < n; i++) {
      const a = ya[i * S + vk];
      const b = yb[i * S + vk];
      // float32 state: a relative 1e-4 (a few thousand steps of rounding at ~6e-8 each, where
      // the dynamics contract), plus a time shift of 2% of a step where v moves fast (the spike
      // upstroke amplifies any difference into a slightly earlier or later crossing).
      const allowed = 1e-4 * (1 + Math.abs(a)) + 0.02 * Math.abs(a - prev[i * S + vk]);
      const excess = Math.abs(a - b) - allowed;
      if (excess > worst.excess) worst = { excess, step: s, neuron: i, js: a, wasm: b };
    }
    prev.set(ya);
  }
  return { spikesJs, spikesWasm, worst };
}

const CASES: [string, Case][] = [
  [
    'traub-miles with two conductance receptors (no reset; refractory 3 ms: the condition outside it)',
    {
      base: traubMiles,
      receptors: { ge: conductance(5, 0), gi: conductance(10, -80) },
      params: { threshold: -20 },
      refractory: 3,
      drive: 300,
      kick: 8,
    },
  ],
  [
    'traub-miles without a refractory period (spikes are upward crossings)',
    {
      base: traubMiles,
      receptors: { ge: conductance(5, 0) },
      params: {},
      drive: 300,
      kick: 8,
    },
  ],
  [
    'cuba-lif with current receptors (reset, 5 ms refractory with v held)',
    {
      base: cubaLif,
      receptors: { ge: current(5), gi: current(10, 'alpha') },
      params: {},
      drive: 8,
      kick: 1.62,
    },
  ],
  ['izhikevich (reset of two states)', { base: izhikevich, receptors: {}, params: {}, drive: 10, kick: 0 }],
];

describe('the wasm population step equals the JS step to float32 precision', () => {
  for (const [name, c] of CASES)
    it(name, () => {
      const { spikesJs, spikesWasm, worst } = compareSteps(c, 4000);
      assert.ok(
        worst.excess <= 0,
        `v differs beyond float32 tolerance at step ${worst.step}, neuron ${worst.neuron}: js ${worst.js}, wasm ${worst.wasm}`,
      );
      let total = 0;
      spikesJs.forEach((train, i) => {
        assert.equal(spikesWasm[i].length, train.length, `neuron ${i}: spike count`);
        train.forEach((s, k) => assert.ok(Math.abs(spikesWasm[i][k] - s) <= 1, `neuron ${i}, spike ${k}`));
        total += train.length;
      });
      assert.ok(total > 100, `only ${total} spikes`);
    });
});

async function cobahhRun(backend: 'js' | 'wasm', threads = 1) {
  const { net, population } = cobahh({ neurons: 400, backend, threads });
  const mon = net.spikeMonitor(population);
  await net.prepare();
  net.run(200);
  const threadsInUse = population.threadsInUse;
  const chunks = population.wasmStep?.chunksStepped() ?? [];
  net.close();
  return { population, mon, threadsInUse, chunks, stats: spikeStatistics(mon.trains(), 200) };
}

describe('COBAHH on the wasm backend', () => {
  it('400 neurons, 200 ms: the mean rate and CV(ISI) of the JS backend within 3%', async () => {
    const js = await cobahhRun('js');
    const wasm = await cobahhRun('wasm');
    assert.equal(wasm.population.backend, 'wasm');
    assert.ok(js.stats.spikes > 500, `only ${js.stats.spikes} spikes`);
    assert.ok(
      Math.abs(wasm.stats.meanRateHz - js.stats.meanRateHz) <= 0.03 * js.stats.meanRateHz,
      `rate ${wasm.stats.meanRateHz} Hz vs ${js.stats.meanRateHz} Hz`,
    );
    assert.ok(Math.abs(wasm.stats.cvIsi - js.stats.cvIsi) <= 0.03 * js.stats.cvIsi);
  });

  it('one and two threads give the same spikes, bit for bit', async () => {
    const one = await cobahhRun('wasm', 1);
    const two = await cobahhRun('wasm', 2);
    assert.equal(two.threadsInUse, 2);
    // 2000 steps of 16 chunks: both threads stepped some (the worker was up from the start).
    assert.equal(two.chunks[0] + two.chunks[1], 2000 * 16);
    assert.ok(two.chunks[1] > 0, `the worker stepped no chunk (${two.chunks})`);
    assert.ok(one.mon.count > 500);
    assert.deepEqual(two.mon.indices, one.mon.indices);
    assert.deepEqual(two.mon.times, one.mon.times);
    assert.deepEqual(two.population.y, one.population.y);
  });
});

describe('the network around a wasm population', () => {
  it('monitors, onStep and y see the kernel-held state; split runs equal one run', () => {
    const build = (backend: 'js' | 'wasm') => {
      const net = new Network({ dt: 0.1, seed: 2, backend });
      // 13 neurons: one padded vector.
      const P = net.population('P', {
        model: traubMiles,
        n: 13,
        receptors: { ge: conductance(5, 0) },
        current: normal(300, 50),
      });
      net.connect(P, P, { receptor: 'ge', connectivity: allToAll(), weight: 1 });
      return { net, P };
    };
    const { net, P } = build('wasm');
    const state = net.stateMonitor(P, ['v', 'ge'], [0, 12]);
    const seen: number[] = [];
    net.run(50, { every: 100, onStep: () => seen.push(P.y[12 * P.S]) });
    net.run(50);
    assert.equal(P.backend, 'wasm');
    assert.equal(seen.length, 5);
    const { net: ref, P: R } = build('wasm');
    ref.run(100);
    assert.deepEqual(P.y, R.y, 'two runs of 50 ms equal one of 100 ms');
    assert.equal(state.t.length, 1001);
    assert.equal(state.values.v[1][500], seen[4]);
    assert.equal(state.values.v[1][1000], P.y[12 * P.S]);
    assert.ok(state.values.ge[0][1000] > 0, 'synaptic input reached the kernel-held state');
  });

  it('delays and weights per synapse reach the kernel-held state as they reach y (CUBA, 400 neurons)', () => {
    const run = (backend: 'js' | 'wasm') => {
      const net = new Network({ dt: 0.1, seed: 4, backend });
      const P = net.population('P', {
        model: cubaLif,
        n: 400,
        receptors: { ge: current(5), gi: current(10) },
        init: { v: uniform(-60, -50) },
      });
      const rule = fixedProbability(0.05);
      net.connect(P.slice(0, 320), P, {
        receptor: 'ge',
        connectivity: rule,
        weight: normal(1.62, 0.3),
        delay: uniform(0.1, 3),
      });
      net.connect(P.slice(320), P, { receptor: 'gi', connectivity: rule, weight: -9, delay: 1 });
      const mon = net.spikeMonitor(P);
      net.run(100);
      return mon;
    };
    const js = run('js');
    const wasm = run('wasm');
    assert.ok(js.count > 200, `only ${js.count} spikes`);
    // float32 vs float64 states: a neuron that ends a step within rounding of the threshold may
    // fire on one backend only, and its synapses then move others; most spikes stay the same
    // (here 367 of 382 in the same neuron and step).
    const key = (m: typeof js) =>
      new Set(Array.from(m.indices, (i, k) => `${i}@${Math.round(m.times[k] * 10)}`));
    const a = key(js);
    const b = key(wasm);
    const common = [...a].filter((x) => b.has(x)).length;
    assert.ok(common >= 0.9 * a.size, `${common} of ${a.size} spikes in common`);
    assert.ok(Math.abs(wasm.count - js.count) <= 0.05 * js.count, `${wasm.count} vs ${js.count} spikes`);
  });

  it('a model the SIMD renderer cannot express (sin) runs the JS step, with a note', () => {
    const wobbly = declareNeuron({
      name: 'wobbly-lif',
      description: 'LIF with a sinusoidal term (no SIMD rendering of sin)',
      states: { v: { init: 'El' } },
      params: { El: { value: -65 }, tau: { value: 10 } },
      dynamics: { v: '(El - v + 2*sin(v/3) + I)/tau' },
      inputUnit: 'mV',
      spike: 'v > -50',
      reset: { v: 'El' },
    });
    const build = (backend: 'js' | 'wasm') => {
      const net = new Network({ backend });
      const P = net.population('P', { model: wobbly, n: 5, current: 20 });
      const mon = net.spikeMonitor(P);
      net.run(100);
      return { P, mon };
    };
    const wasm = build('wasm');
    const js = build('js');
    assert.equal(wasm.P.backend, 'js');
    assert.match(wasm.P.backendNote ?? '', /sin/);
    assert.equal(js.P.backendNote, null);
    assert.ok(js.mon.count > 0);
    assert.deepEqual(wasm.mon.times, js.mon.times);
  });

  it('a blow-up names the same neuron on both backends', () => {
    for (const backend of ['js', 'wasm'] as const) {
      const net = new Network({ dt: 0.1, backend });
      const P = net.population('P', { model: traubMiles, n: 7, current: 100 });
      P.current[5] = 1e7; // 5000 mV in one step: beyond traub-miles' limit of 1000 mV
      P.current[6] = 1e7;
      assert.throws(
        () => net.run(10),
        (err: Error) => {
          assert.ok(err instanceof NetworkDivergedError, backend);
          assert.match(err.message, /neuron 5 has v = /);
          return true;
        },
      );
    }
  });
});
