// Every registered override (a hand-tuned op for a declared model, the s-LIF2HH unit's included)
// against the generic kernels: same spikes, gradients within float32 tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/kernels/index.js';
import { learningHh } from '../src/neurons/learning-hh.js';
import { lifStepDeclared } from '../src/neurons/lif.js';
import type { NeuronModel } from '../src/neurons/model.js';
import type { NeuronSpikesOptions } from '../src/nn/neuron-layer.js';
import { neuronSpikes } from '../src/nn/neuron-layer.js';
import { findSpikingOverride, setSpikingOverrides } from '../src/nn/spiking-overrides.js';
import { SLIF2HH_UNIT, slif2hhUnits } from '../src/nn/slif2hh-unit.js';
import type { Slif2hhOptions } from '../src/nn/spiking.js';
import { sum, mul } from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { randomTensor as tensor } from './helpers.js';
import { SLIF2HH_CASES } from './slif2hh-cases.js';

/** Output and gradients (input, learned parameters) of one call, with overrides on or off. */
function run(model: NeuronModel, x: Tensor, opts: NeuronSpikesOptions, overrides: boolean, w: Tensor) {
  const was = setSpikingOverrides(overrides);
  try {
    const learned = Object.values(opts.params ?? {}).filter(
      (v): v is Tensor => v instanceof Tensor && v.requiresGrad,
    );
    for (const t of [x, ...learned]) t.grad = null;
    const y = neuronSpikes(x, model, opts);
    sum(mul(y, w)).backward();
    return {
      y: [...y.data],
      gx: [...(x.grad as Float32Array)],
      gp: learned.map((t) => [...(t.grad as Float32Array)]),
    };
  } finally {
    setSpikingOverrides(was);
  }
}

function close(a: number[], b: number[], rel: number, what: string): void {
  const scale = Math.max(1e-6, ...b.map(Math.abs));
  a.forEach((v, i) =>
    assert.ok(Math.abs(v - b[i]) <= rel * scale, `${what}[${i}]: override ${v}, generic ${b[i]}`),
  );
}

const cases: {
  model: NeuronModel;
  name: string;
  make: (rng: Rng) => { x: Tensor; opts: NeuronSpikesOptions };
}[] = [
  {
    model: lifStepDeclared,
    name: 'LIF, time-varying input, spike trains',
    make: (rng) => ({
      x: tensor(rng, [12, 3, 8], 0, 0.6, true),
      opts: {
        timeVarying: true,
        output: 'spikes',
        params: { decay: 0.2, theta: 0.3 },
        surrogate: 'rectangular:0.5',
      },
    }),
  },
  {
    model: learningHh,
    name: 'learning HH, static input, rate, learned rates',
    make: (rng) => {
      const rates = Object.fromEntries(
        ['alphaN', 'betaN', 'alphaM', 'betaM', 'alphaH', 'betaH'].map((n) => [
          n,
          tensor(rng, [8], 0, 0.01, true),
        ]),
      );
      return {
        x: tensor(rng, [3, 8], 0, 40, true),
        opts: { T: 30, params: { ...rates, dt: 0.01, theta: 0.2 }, surrogate: 'rectangular:0.3' },
      };
    },
  },
  {
    model: learningHh,
    name: 'learning HH, ionic current detached (conv variant)',
    make: (rng) => ({
      x: tensor(rng, [3, 8], 0, 40, true),
      opts: { T: 20, params: { dt: 0.1, theta: 2.3 }, surrogate: 'rectangular:0.4', detach: ['ionic'] },
    }),
  },
];

for (const c of cases)
  test(`override of ${c.model.name} (${c.name}) equals the generic kernels of its declaration`, () => {
    const rng = new Rng(3);
    const { x, opts } = c.make(rng);
    const out = neuronSpikes(x, c.model, opts);
    const w = tensor(rng, [...out.shape], -1, 1);
    const call = {
      ...opts,
      params: { ...c.model.defaults, dt: c.model.trainingDt, ...opts.params },
      detach: opts.detach ?? [],
      detachReset: false,
      extra: {},
      surrogate: undefined,
      output: opts.output === 'voltage' ? undefined : opts.output,
    };
    assert.ok(findSpikingOverride(c.model, call), 'the override applies to this call');
    const fast = run(c.model, x, opts, true, w);
    const generic = run(c.model, x, opts, false, w);
    assert.deepEqual(fast.y, generic.y, 'outputs');
    assert.ok(
      generic.y.some((v) => v > 0),
      'the input makes spikes',
    );
    close(fast.gx, generic.gx, 2e-3, 'input gradient');
    fast.gp.forEach((g, k) => close(g, generic.gp[k], 5e-3, `parameter gradient ${k}`));
  });

test('a call an override cannot take runs the generic kernels (learned θ of the study LIF)', () => {
  const rng = new Rng(4);
  const theta = tensor(rng, [5], 0.25, 0.35, true);
  const call = { params: { decay: 0.2, theta }, detach: [], detachReset: false, extra: {} };
  assert.equal(findSpikingOverride(lifStepDeclared, call), null);
  const x = tensor(rng, [4, 5], 0, 0.6, true);
  const y = neuronSpikes(x, lifStepDeclared, { T: 6, params: { decay: 0.2, theta } });
  sum(y).backward();
  assert.ok(theta.grad && theta.grad.some((g) => g !== 0), 'θ receives a gradient');
});

test('overrides: false runs the generic kernels on a call the override would take', () => {
  const be = getBackend();
  const rng = new Rng(5);
  const x = tensor(rng, [4, 5], 0, 0.6);
  const opts = { T: 6, params: { decay: 0.2, theta: 0.3 } };
  assert.ok(findSpikingOverride(lifStepDeclared, { ...opts, detach: [], detachReset: false, extra: {} }));
  const generic = be.spikingForward.bind(be);
  let calls = 0;
  be.spikingForward = (a) => {
    calls++;
    generic(a);
  };
  try {
    const overridden = neuronSpikes(x, lifStepDeclared, opts);
    assert.equal(calls, 0, 'the override runs by default');
    const y = neuronSpikes(x, lifStepDeclared, { ...opts, overrides: false });
    assert.equal(calls, 1, 'overrides: false runs the generic kernel');
    assert.deepEqual([...y.data], [...overridden.data]);
  } finally {
    be.spikingForward = generic;
  }
});

// ---------------------------------------------------------------------------------------------
// s-LIF2HH: the fused kernel against the declared unit's generic kernels

function runSlif2hh(x: Tensor, w: Tensor, opts: Slif2hhOptions, overrides: boolean, weights: Tensor) {
  const was = setSpikingOverrides(overrides);
  try {
    x.grad = null;
    w.grad = null;
    const y = slif2hhUnits(x, w, opts);
    sum(mul(y, weights)).backward();
    const gradOf = (t: Tensor): number[] => [...(t.grad ?? new Float32Array(t.size))];
    return { y: [...y.data], gx: gradOf(x), gw: gradOf(w) };
  } finally {
    setSpikingOverrides(was);
  }
}

for (const c of SLIF2HH_CASES)
  test(`override of the s-LIF2HH unit (${c.name}) equals the declared unit's generic kernels`, () => {
    const rng = new Rng(5);
    const { x, w, opts } = c.make(rng);
    const probe = slif2hhUnits(x, w, opts);
    const weights = tensor(rng, [...probe.shape], -1, 1);
    const call = {
      ...opts,
      params: { decay: opts.decay ?? 0.5, theta: opts.threshold ?? 2, w },
      detach: [],
      detachReset: opts.detachReset ?? false,
      extra: {},
      surrogate: undefined,
    };
    assert.ok(findSpikingOverride(SLIF2HH_UNIT, call), 'the override applies to this call');
    const fast = runSlif2hh(x, w, opts, true, weights);
    const generic = runSlif2hh(x, w, opts, false, weights);
    assert.deepEqual(fast.y, generic.y, 'outputs');
    assert.ok(
      generic.y.some((v) => v > 0),
      'the input makes spikes',
    );
    close(fast.gx, generic.gx, 2e-3, 'input gradient');
    close(fast.gw, generic.gw, 2e-3, 'weight gradient');
    assert.ok(
      generic.gw.some((g) => g !== 0),
      'the weights receive gradients',
    );
  });
