import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Population } from '../src/neurons/types.js';
import { SLIF2HHPopulation } from '../src/neurons/slif2hh.js';
import { lifModel } from '../src/neurons/lif.js';
import { createPopulation } from '../src/sim/registry.js';
import { OdePopulation } from '../src/sim/population.js';
import { Network } from '../src/sim/network.js';
import { step } from '../src/sim/stimulus.js';
import { runEquivalence } from '../src/experiments/equivalence.js';
import { close } from './helpers.js';

/** A target population that only records the input it receives on every step. */
class Probe implements Population {
  readonly model = 'probe';
  readonly variables = ['v'];
  readonly params = {};
  readonly v: Float64Array;
  readonly voltageLimit = Infinity;
  spikeTimes: number[][] = [];
  /** inputs[k] = [t, input of neuron 0, input of neuron 1, …] of step k. */
  inputs: number[][] = [];
  constructor(readonly n: number) {
    this.v = new Float64Array(n);
    this.reset();
  }
  step(t: number, _dt: number, input: Float64Array): void {
    this.inputs.push([t, ...input]);
  }
  read(_name: string, out: Float64Array): void {
    out.set(this.v);
  }
  reset(): void {
    this.spikeTimes = Array.from({ length: this.n }, () => []);
    this.inputs = [];
  }
}

/**
 * An s-LIF2HH source that fires exactly once, in the (dt = 0.01) step where a 10 µA/cm² pulse
 * arrives: decay 0 (no memory), unit input weights, so m1 = m2 = m3 = 10·dt = 0.1 < θ = 2, while the
 * output unit gets m4 = dt·Σ c_k m_k = 3 ≥ 2 (c_k = 1000).
 */
const PULSE = 10;
function oneShotSource(n: number): SLIF2HHPopulation {
  const c = 1000;
  return new SLIF2HHPopulation(n, { decay: 0, threshold: 2, w1: 1, w2: 1, w3: 1, c1: c, c2: c, c3: c });
}

test('a spike reaches the target as weight·e^{−(t − t_spike)/τs}, from the next step on', () => {
  const dt = 0.01;
  const tauSyn = 2;
  const w = 4.5;
  const probe = new Probe(1);
  const net = new Network(
    [oneShotSource(1), probe],
    [{ from: 0, to: 1, weights: Float64Array.of(w), tauSyn }],
    [step({ amplitude: PULSE, onset: 0.955, offset: 0.965 }), undefined],
  );
  const res = net.run({ duration: 10, dt });
  assert.equal(res.spikeTimes[0][0].length, 1);
  const tSpike = res.spikeTimes[0][0][0];
  close(tSpike, 0.97, 1e-12); // fired in the step 0.96 → 0.97
  assert.equal(probe.inputs.length, 1000);
  let after = 0;
  for (const [t, input] of probe.inputs) {
    if (t < tSpike - 1e-9) assert.equal(input, 0, `input before the spike at t = ${t}`);
    else {
      close(input, w * Math.exp(-(t - tSpike) / tauSyn), 1e-12, `input at t = ${t}`);
      after++;
    }
  }
  assert.equal(after, 1000 - 97);
  // Half-life check, independent of the formula above: after τs·ln 2 the current has halved.
  const k0 = probe.inputs.findIndex(([, x]) => x > 0);
  close(probe.inputs[k0][1], w, 1e-12);
  close(probe.inputs[k0 + Math.round((tauSyn * Math.LN2) / dt)][1], w / 2, w * 0.003);
});

test('weights are target × source row-major and spikes superpose linearly', () => {
  const dt = 0.01;
  const tauSyn = 1;
  const W = Float64Array.from([1, 10, 2, 20, 3, 30]); // 3 targets × 2 sources
  const probe = new Probe(3);
  // Source 0 fires at 0.5 (pulse 0.49–0.5), source 1 at 1.0 and 2.0.
  const ext = {
    kind: 'pulses',
    params: {},
    reset() {},
    sample(t: number, _dt: number, out: Float64Array) {
      const k = Math.round(t / dt);
      out[0] = k === 49 ? PULSE : 0;
      out[1] = k === 99 || k === 199 ? PULSE : 0;
    },
  };
  const net = new Network(
    [oneShotSource(2), probe],
    [{ from: 0, to: 1, weights: W, tauSyn }],
    [ext, undefined],
  );
  const res = net.run({ duration: 5, dt });
  assert.deepEqual(
    res.spikeTimes[0].map((s) => s.map((x) => Math.round(x / dt))),
    [[50], [100, 200]],
  );
  const kernel = (t: number, t0: number): number => (t >= t0 - 1e-9 ? Math.exp(-(t - t0) / tauSyn) : 0);
  for (const [t, ...inputs] of probe.inputs)
    for (let i = 0; i < 3; i++) {
      const want = W[i * 2] * kernel(t, 0.5) + W[i * 2 + 1] * (kernel(t, 1) + kernel(t, 2));
      close(inputs[i], want, 1e-10, `target ${i} at t = ${t}`);
    }
});

test('a passive LIF target follows the analytic response to the exponential synaptic current', () => {
  // C dV/dt = −gL V + w e^{−s/τs} (s = t − t_spike) ⇒ V = (w/C)·ττs/(τ − τs)·(e^{−s/τ} − e^{−s/τs}).
  const dt = 0.01;
  const tauSyn = 2;
  const w = 5;
  const tau = 10;
  const target = new OdePopulation(lifModel({ vThreshold: 1e3 }), 1, 'expeuler');
  const net = new Network(
    [oneShotSource(1), target],
    [{ from: 0, to: 1, weights: Float64Array.of(w), tauSyn }],
    [step({ amplitude: PULSE, onset: 0.955, offset: 0.965 }), undefined],
  );
  const res = net.run({ duration: 40, dt, interval: 0.5, recordV: { 1: [0] } });
  const tSpike = res.spikeTimes[0][0][0];
  const peak =
    ((w * tau * tauSyn) / (tau - tauSyn)) * (Math.exp(-Math.log(5) / 4) - Math.exp(-Math.log(5) * 1.25));
  let vMax = 0;
  res.t.forEach((t, i) => {
    const s = t - tSpike;
    const want =
      s <= 0 ? 0 : ((w * tau * tauSyn) / (tau - tauSyn)) * (Math.exp(-s / tau) - Math.exp(-s / tauSyn));
    close(res.v[1][0][i], want, 0.005 * peak, `V at t = ${t}: ${res.v[1][0][i]} vs ${want}`);
    vMax = Math.max(vMax, res.v[1][0][i]);
  });
  close(vMax, peak, 0.01 * peak);
  assert.ok(peak > 6 && peak < 7);
});

test('Network validates projections', () => {
  const a = createPopulation('lif', 2);
  const b = createPopulation('lif', 3);
  const mk = (weights: Float64Array, tauSyn = 2, from = 0, to = 1) =>
    new Network([a, b], [{ from, to, weights, tauSyn }], [undefined, undefined]);
  assert.throws(() => mk(new Float64Array(5)), /projection 0→1 needs 3×2 = 6 weights, got 5/);
  assert.throws(() => mk(new Float64Array(7)), /needs 3×2 = 6 weights, got 7/);
  assert.throws(() => mk(new Float64Array(6), 0), /tauSyn must be > 0/);
  assert.throws(() => mk(new Float64Array(6), NaN), /tauSyn must be > 0/);
  assert.throws(() => mk(new Float64Array(6), 2, 0, 2), /names a population that does not exist/);
  assert.doesNotThrow(() => mk(new Float64Array(6)));
  // Reverse direction has the transposed shape.
  assert.doesNotThrow(() => mk(new Float64Array(6), 2, 1, 0));
  assert.throws(() => mk(new Float64Array(6)).run({ duration: 10, dt: 0 }), /dt must be a positive number/);
});

test('runEquivalence: HH and tv-LIF2HH networks produce the same spikes', () => {
  const messages: string[] = [];
  const r = runEquivalence({ duration: 40, dt: 0.002, onProgress: (m) => messages.push(m) });
  assert.equal(r.config.duration, 40);
  assert.ok(!('onProgress' in r.config));
  assert.ok(messages.length >= 7);
  assert.equal(r.networks.length, 2);
  for (const n of r.networks) {
    assert.ok(n.totalSpikes.hh > 0, `${n.name}: no spikes`);
    assert.equal(n.totalSpikes.tvlif2hh, n.totalSpikes.hh, `${n.name}: total spikes`);
    assert.equal(n.equalCounts, n.neurons, `${n.name}: ${n.equalCounts}/${n.neurons} equal counts`);
    assert.ok(n.meanCoincidence !== null && n.meanCoincidence >= 0.99, `${n.name}: Γ ${n.meanCoincidence}`);
    assert.ok(n.maxSpikeTimeDiff < 1e-6, `${n.name}: max spike-time difference ${n.maxSpikeTimeDiff} ms`);
    assert.equal(
      n.layers.reduce((s, l) => s + l.size, 0),
      n.neurons,
    );
  }
  const ff = r.networks.find((n) => n.name === 'feedforward');
  assert.ok(ff && ff.neurons === 138 && ff.tvlif2hh[1].some((s) => s.length > 0), 'output layer must fire');
  // Single-neuron comparisons: tv-LIF2HH reproduces HH (Euler), s-LIF2HH has no V trace.
  assert.equal(r.entries.length, 10);
  for (const e of r.entries) {
    if (e.model === 'tvlif2hh') {
      assert.equal(e.spikeCount, e.referenceSpikeCount, `${e.stimulus}`);
      assert.ok(e.vRmse !== null && e.vRmse < 1e-6, `${e.stimulus}: V RMSE ${e.vRmse}`);
      close(e.coincidence, 1, 1e-9);
    } else assert.equal(e.vRmse, null);
  }
});
