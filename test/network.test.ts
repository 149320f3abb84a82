// Recurrent networks (src/network/): the generated population step against the generic
// integrator, a two-neuron network against the analytic trace, exact delays, STDP against its
// analytic window, connectivity statistics, Poisson rates, determinism, and bad specs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Network,
  allToAll,
  conductance,
  cuba,
  cubaLif,
  current,
  explicit,
  fixedInDegree,
  fixedProbability,
  normal,
  oneToOne,
  spikeStatistics,
  stdp,
} from '../src/network/index.js';
import { withReceptors } from '../src/network/receptors.js';
import { traubMiles } from '../src/neurons/traub-miles.js';
import { izhikevich } from '../src/neurons/izhikevich.js';
import { quasiLinearOf } from '../src/neurons/derive.js';
import { declareNeuron } from '../src/neurons/model.js';
import { OdePopulation } from '../src/sim/population.js';
import { close } from './helpers.js';

describe('the generated population step', () => {
  for (const [model, params, drive] of [
    [traubMiles, { threshold: -20 }, 500],
    [izhikevich, {}, 10],
  ] as const)
    it(`${model.name}: equals the generic exponential-Euler population (no receptors), spikes included`, () => {
      const net = new Network({ dt: 0.05, seed: 3 });
      const n = 5;
      const P = net.population('P', { model, n, params, current: normal(drive, drive / 4) });
      const mon = net.spikeMonitor(P);
      const ref = new OdePopulation(quasiLinearOf(model, params), n, 'expeuler');
      const inp = P.current.slice();
      const S = P.S;
      const out = new Float64Array(n);
      for (let s = 0; s < 2000; s++) {
        ref.step(s * 0.05, 0.05, inp);
        net.run(0.05);
        ref.read('v', out);
        for (let i = 0; i < n; i++)
          assert.ok(Math.abs(P.y[i * S] - out[i]) <= 1e-9 * (1 + Math.abs(out[i])), `step ${s}, neuron ${i}`);
      }
      const trains = mon.trains();
      let total = 0;
      for (let i = 0; i < n; i++) {
        // The generic population interpolates the crossing within the step; the network stamps
        // the step's end.
        assert.equal(trains[i].length, ref.spikeTimes[i].length, `neuron ${i}`);
        trains[i].forEach((t, k) =>
          assert.ok(t - ref.spikeTimes[i][k] >= 0 && t - ref.spikeTimes[i][k] <= 0.05 + 1e-9),
        );
        total += trains[i].length;
      }
      assert.ok(total > 5, `only ${total} spikes`);
    });

  it('without a reset: an upward crossing; with a refractory period, the condition outside it (Brian2)', () => {
    const plateau = declareNeuron({
      name: 'plateau',
      description: 'relaxes to its input and stays there',
      states: { v: { init: 0 } },
      params: {},
      dynamics: { v: 'I - v' },
      spike: 'v > 1',
    });
    const spikesWith = (refractory?: number) => {
      const net = new Network({ dt: 0.1 });
      const P = net.population('P', { model: plateau, n: 1, current: 5, refractory });
      const m = net.spikeMonitor(P);
      net.run(20);
      return Array.from(m.times);
    };
    const once = spikesWith();
    assert.equal(once.length, 1);
    const every = spikesWith(2);
    assert.equal(every[0], once[0]);
    assert.equal(every.length, Math.floor((20 - once[0]) / 2 + 1e-9) + 1);
    every.slice(1).forEach((t, k) => close(t - every[k], 2, 1e-9));
  });

  it('receptors become declared states: a conductance enters the membrane equation as g·(E − v)', () => {
    const { model, targets } = withReceptors(traubMiles, { ge: conductance(5, 0), gi: current(10, 'alpha') });
    assert.deepEqual(model.states, ['v', 'm', 'h', 'n', 'ge', 'gi', 'gi_x']);
    assert.deepEqual(targets, { ge: { state: 'ge', scale: 1 }, gi: { state: 'gi_x', scale: Math.E } });
    assert.throws(() => withReceptors(traubMiles, { v: current(5) }), /"v" is already used/);
    assert.throws(() => withReceptors(traubMiles, { ge: current(-1) }), /tau must be a positive/);
  });
});

/** A network of one driver neuron A (fires once) onto one target B at rest, through `spec`. */
function pair(opts: { dt: number; delay?: number; receptor: ReturnType<typeof current>; weight: number }) {
  const net = new Network({ dt: opts.dt });
  // A: v from −50.5 towards El + I = −47 crosses Vt = −50 at 20·ln(3.5/3) = 3.083 ms, then is held.
  const A = net.population('A', {
    model: cubaLif,
    n: 1,
    init: { v: -50.5 },
    current: 2,
    params: { tref: 1000 },
  });
  const B = net.population('B', {
    model: cubaLif,
    n: 1,
    params: { El: -70 },
    init: { v: -70 },
    receptors: { s: opts.receptor },
  });
  net.connect(A, B, { receptor: 's', connectivity: allToAll(), weight: opts.weight, delay: opts.delay ?? 0 });
  const spikes = net.spikeMonitor(A);
  const trace = net.stateMonitor(B, ['v', 's'], [0]);
  net.run(40);
  return { spikes, trace };
}

describe('two neurons', () => {
  it('the target follows the analytic response to an exponential current, with first-order convergence in dt', () => {
    const errors: number[] = [];
    for (const dt of [0.02, 0.01]) {
      const { spikes, trace } = pair({ dt, receptor: current(5), weight: 5 });
      assert.equal(spikes.count, 1);
      const ts = spikes.times[0];
      close(ts, Math.ceil((20 * Math.log(3.5 / 3)) / dt - 1e-9) * dt, 1e-9);
      // v(u) = El + w·τs/(τs − τm)·(e^(−u/τs) − e^(−u/τm)), u = t − ts (delay 0: g jumps at ts)
      let worst = 0;
      trace.t.forEach((t, k) => {
        const u = t - ts;
        const expected =
          u < -1e-9 ? -70 : -70 + ((5 * 5) / (5 - 20)) * (Math.exp(-u / 5) - Math.exp(-u / 20));
        worst = Math.max(worst, Math.abs(trace.values.v[0][k] - expected));
        if (u > -1e-9) close(trace.values.s[0][k], 5 * Math.exp(-u / 5), 1e-9);
      });
      errors.push(worst);
    }
    assert.ok(errors[0] < 0.01 && errors[1] < 0.005, `max |v − analytic|: ${errors}`);
    close(errors[0] / errors[1], 2, 0.2, `error ratio ${errors[0] / errors[1]}`);
  });

  it('an alpha synapse peaks at the weight, tau after the spike', () => {
    const { spikes, trace } = pair({ dt: 0.01, receptor: current(2, 'alpha'), weight: 3 });
    const ts = spikes.times[0];
    // exponential Euler holds the rise variable over each step: an O(dt) error (≈ dt/3 of lag)
    trace.t.forEach((t, k) => {
      const u = t - ts;
      const expected = u < -1e-9 ? 0 : 3 * (u / 2) * Math.exp(1 - u / 2);
      close(trace.values.s[0][k], expected, 1e-2, `t ${t}: ${trace.values.s[0][k]} vs ${expected}`);
    });
    const s = trace.values.s[0];
    const peak = s.indexOf(Math.max(...s));
    close(trace.t[peak] - ts, 2, 0.02);
    close(s[peak], 3, 1e-2);
  });

  for (const delay of [0.1, 1.5, 7.3])
    it(`a delay of ${delay} ms delivers exactly ${delay} ms after the spike (dt 0.1)`, () => {
      const { spikes, trace } = pair({ dt: 0.1, receptor: current(5), weight: 4, delay });
      const ts = spikes.times[0];
      const arrive = ts + Math.round(delay / 0.1) * 0.1;
      const at = (t: number): number => trace.values.s[0][trace.t.findIndex((x) => Math.abs(x - t) < 1e-6)];
      assert.equal(at(arrive - 0.1), 0);
      close(at(arrive), 4, 1e-12);
      close(at(arrive + 0.1), 4 * Math.exp(-0.1 / 5), 1e-12);
    });
});

describe('STDP', () => {
  /** Source neuron k spikes at pre[k]; target k is driven to spike at (about) post[k]. */
  function run(rule: 'additive' | 'multiplicative', pre: number[], post: number[]) {
    const net = new Network({ dt: 0.1 });
    const n = pre.length;
    const src = net.spikeGenerator('pre', { n, indices: pre.map((_, k) => k), times: pre });
    const kick = net.spikeGenerator('kick', { n, indices: post.map((_, k) => k), times: post });
    const T = net.population('T', {
      model: cubaLif,
      n,
      params: { El: -70 },
      init: { v: -70 },
      receptors: { s: current(1) },
    });
    net.connect(kick, T, { receptor: 's', connectivity: oneToOne(), weight: 1e4 });
    const spec = stdp({ rule, tauPlus: 16.8, tauMinus: 33.7, aPlus: 0.01, aMinus: 0.008, wMin: 0, wMax: 1 });
    const pr = net.connect(src, T, {
      receptor: 's',
      connectivity: oneToOne(),
      weight: 0.5,
      plasticity: spec,
    });
    const tSpikes = net.spikeMonitor(T);
    net.run(200);
    return { w: Array.from(pr.weights as Float64Array), post: tSpikes.trains(), spec };
  }

  for (const rule of ['additive', 'multiplicative'] as const)
    it(`${rule}: one pair per synapse changes the weight by the analytic window`, () => {
      const pre = [50, 50, 50, 50, 50];
      const post = [60, 80, 40, 20, 50.1];
      const { w, post: got } = run(rule, pre, post);
      got.forEach((train, k) => {
        assert.equal(train.length, 1, `target ${k} spikes ${train}`);
        const dtPair = train[0] - pre[k];
        const expected =
          dtPair >= 0
            ? 0.01 * Math.exp(-dtPair / 16.8) * (rule === 'multiplicative' ? 1 - 0.5 : 1)
            : -0.008 * Math.exp(dtPair / 33.7) * (rule === 'multiplicative' ? 0.5 : 1);
        close(
          w[k] - 0.5,
          expected,
          1e-12,
          `pair ${k} (Δt ${dtPair}): Δw ${w[k] - 0.5}, expected ${expected}`,
        );
      });
    });

  it('weights stay within [wMin, wMax]', () => {
    const pre = Array.from({ length: 150 }, (_, k) => 1 + k);
    const net = new Network({ dt: 0.1 });
    const src = net.spikeGenerator('pre', { n: 1, indices: pre.map(() => 0), times: pre });
    const T = net.population('T', { model: cubaLif, n: 1, init: { v: -49 }, receptors: { s: current(1) } });
    const pr = net.connect(src, T, {
      receptor: 's',
      connectivity: allToAll(),
      weight: 0.95,
      plasticity: stdp({ tauPlus: 20, tauMinus: 20, aPlus: 0.5, aMinus: 0, wMax: 1 }),
    });
    net.run(200);
    assert.equal((pr.weights as Float64Array)[0], 1);
  });
});

describe('connectivity, sources and reproducibility', () => {
  it('fixed probability gives about p·N² synapses, no autapses when asked; in-degree is exact', () => {
    const net = new Network({ seed: 5 });
    const P = net.population('P', { model: cubaLif, n: 1000, receptors: { s: current(5) } });
    const a = net.connect(P, P, {
      receptor: 's',
      connectivity: fixedProbability(0.05),
      weight: 1,
      autapses: false,
    });
    const b = net.connect(P, P, {
      receptor: 's',
      connectivity: fixedInDegree(7),
      weight: 1,
      autapses: false,
    });
    const expected = 0.05 * 1000 * 999;
    assert.ok(Math.abs(a.synapses - expected) < 4 * Math.sqrt(expected), `${a.synapses} synapses`);
    for (const pr of [a, b])
      for (let j = 0; j < 1000; j++)
        for (let s = pr.offsets[j]; s < pr.offsets[j + 1]; s++) {
          assert.notEqual(pr.targets[s], j, 'autapse');
          if (s > pr.offsets[j]) assert.ok(pr.targets[s] >= pr.targets[s - 1], 'targets sorted');
        }
    const inDegree = new Int32Array(1000);
    for (const t of b.targets) inDegree[t]++;
    assert.ok(inDegree.every((k) => k === 7));
    assert.equal(a.bytes / a.synapses < 4.1, true, `${a.bytes / a.synapses} bytes per synapse`);
  });

  it('slices connect the right neurons; explicit lists are kept', () => {
    const net = new Network();
    const P = net.population('P', { model: cubaLif, n: 10, receptors: { s: current(5) } });
    const pr = net.connect(P.slice(8), P.slice(0, 2), {
      receptor: 's',
      connectivity: explicit([0, 1, 1], [1, 0, 1]),
      weight: 1,
    });
    assert.deepEqual(Array.from(pr.offsets), [0, 1, 3]);
    assert.deepEqual(Array.from(pr.targets), [1, 0, 1]);
  });

  it('a Poisson group fires at its rate', () => {
    const net = new Network({ dt: 0.1, seed: 2 });
    const G = net.poisson('G', { n: 1000, rate: 20 });
    const mon = net.spikeMonitor(G);
    net.run(1000);
    const { meanRateHz } = spikeStatistics(mon.trains(), 1000);
    close(meanRateHz, 20, 0.6);
  });

  it('the same seed gives the same spikes; another seed other spikes', () => {
    const spikesOf = (seed: number) => {
      const b = cuba({ neurons: 400, p: 0.1, seed });
      const m = b.net.spikeMonitor(b.population);
      b.net.run(100);
      return Array.from(m.times).join(',') + '|' + Array.from(m.indices).join(',');
    };
    const a = spikesOf(1);
    assert.ok(a.length > 100);
    assert.equal(spikesOf(1), a);
    assert.notEqual(spikesOf(2), a);
  });
});

describe('bad specs give clear errors', () => {
  const build = () => {
    const net = new Network();
    const P = net.population('P', { model: traubMiles, n: 10, receptors: { ge: conductance(5, 0) } });
    return { net, P };
  };
  it('refuses what cannot be simulated, naming the field', () => {
    const { net, P } = build();
    assert.throws(
      () => net.connect(P, P, { receptor: 'ge', connectivity: fixedProbability(1.5), weight: 1 }),
      /p must be in \[0, 1\], got 1\.5/,
    );
    assert.throws(
      () => net.connect(P, P, { receptor: 'ge', connectivity: fixedProbability(0.1), weight: -1 }),
      /weight: -1 is outside \[0, Infinity\]/,
    );
    assert.throws(
      () => net.connect(P, P, { receptor: 'ge', connectivity: fixedProbability(0.1), weight: normal(1, 1) }),
      /a normal distribution can leave \[0, Infinity\]; clip it/,
    );
    assert.throws(
      () =>
        net.connect(P, P, { receptor: 'ge', connectivity: fixedProbability(0.1), weight: 1, delay: 0.04 }),
      /shorter than the step dt = 0\.1 ms/,
    );
    assert.throws(
      () => net.connect(P, P, { receptor: 'gx', connectivity: allToAll(), weight: 1 }),
      /has no receptor "gx" \(receptors: ge\)/,
    );
    assert.throws(() => net.population('Q', { model: 'nope', n: 3 }), /population "Q": unknown model "nope"/);
    assert.throws(() => net.population('P', { model: traubMiles, n: 3 }), /a group named "P" already exists/);
    assert.throws(
      () => net.population('R', { model: traubMiles, n: 3, init: { q: 1 } }),
      /init\.q: traub-miles has no state "q"/,
    );
    assert.throws(() => new Network({ dt: 0 }), /dt must be > 0/);
    const other = new Network().population('X', {
      model: traubMiles,
      n: 2,
      receptors: { ge: conductance(5, 0) },
    });
    assert.throws(
      () => net.connect(P, other, { receptor: 'ge', connectivity: allToAll(), weight: 1 }),
      /belongs to another network/,
    );
    net.run(1);
    assert.throws(() => net.population('S', { model: traubMiles, n: 3 }), /after the network has run/);
  });

  it('a blow-up names the population, the neuron, the time and what to change', () => {
    const net = new Network({ dt: 0.1 });
    net.population('P', { model: traubMiles, n: 3, current: 1e9 });
    assert.throws(
      () => net.run(10),
      /population "P" \(traub-miles\) diverged at t = [\d.]+ ms: neuron 0 has v = .*; reduce dt/,
    );
  });
});
