// Units beyond s-LIF2HH: a continuous-time pair of neurons with two inputs and two spike rules
// whose thresholds and a reset learn, on the reference kernels (finite differences) and on the
// generated SIMD kernels (against the reference); and the errors of malformed unit declarations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, setBackend } from '../src/kernels/index.js';
import { DeclarationError, declareNeuron } from '../src/neurons/model.js';
import type { NeuronSpikesOptions } from '../src/nn/neuron-layer.js';
import { neuronSpikes, stepProgram } from '../src/nn/neuron-layer.js';
import { mul, sum } from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { checkAgainstDifferences, randomTensor } from './helpers.js';

const pair = declareNeuron({
  name: 'test-pair',
  description: 'two leaky neurons with their own inputs, the second also driven by the first',
  states: { a: { init: 0 }, b: { init: 0 } },
  inputs: ['Ia', 'Ib'],
  params: {
    tau: { value: 5, learnable: true },
    c: { value: 0.5, learnable: true },
    tha: { value: 1, learnable: true },
    thb: { value: 1.2, learnable: true },
    ra: { value: -0.2, learnable: true },
  },
  dynamics: { a: '(-a + Ia)/tau', b: '(-b + Ib + c*a)/tau' },
  voltage: 'a',
  spike: 'a > tha',
  reset: { a: 'ra' },
  moreSpikes: [{ spike: 'b >= thb', reset: { b: 'b - thb' } }],
  drive: 3,
  trainingDt: 0.5,
});
const LEARN = ['tau', 'c', 'tha', 'thb', 'ra'] as const;

const tensor = (rng: Rng, shape: number[], lo: number, hi: number): Tensor =>
  randomTensor(rng, shape, lo, hi, true);

/** Per-neuron learnable parameters around the defaults. */
function params(rng: Rng, N: number): Record<string, Tensor> {
  const around: Record<string, [number, number]> = {
    tau: [4, 6],
    c: [0.3, 0.7],
    tha: [0.8, 1.2],
    thb: [1, 1.4],
    ra: [-0.3, 0],
  };
  return Object.fromEntries(LEARN.map((n) => [n, tensor(rng, [N], ...around[n])]));
}

function run(x: Tensor, p: Record<string, Tensor>, weights: Tensor, opts: NeuronSpikesOptions) {
  for (const t of [x, ...Object.values(p)]) t.grad = null;
  const y = neuronSpikes(x, pair, { ...opts, params: p });
  sum(mul(y, weights)).backward();
  return { y: [...y.data], grads: [x, ...Object.values(p)].map((t) => [...(t.grad ?? [])]) };
}

function onBackend<T>(name: string, f: () => T): T {
  const previous = getBackend().name;
  setBackend(name);
  try {
    return f();
  } finally {
    setBackend(previous);
  }
}

for (const surrogate of ['rectangular:1', 'sigmoid:3', 'arctan:2', 'fast-sigmoid:2'])
  test(`a unit’s BPTT (two inputs, two spike rules, learned thresholds and reset) matches finite differences (${surrogate})`, () =>
    onBackend('js', () => {
      const rng = new Rng(11);
      const [B, N] = [2, 3];
      const x = tensor(rng, [4, B, 2 * N], 0, 6); // time-varying, 4 frames × repeat 2
      const p = params(rng, N);
      const weights = tensor(rng, [B, 2 * N], -1, 1);
      const opts: NeuronSpikesOptions = { timeVarying: true, repeat: 2, smoothCheck: true, surrogate };
      run(x, p, weights, opts);
      const loss = (): number => sum(mul(neuronSpikes(x, pair, { ...opts, params: p }), weights)).item();
      checkAgainstDifferences([[x, 'x'], ...LEARN.map((n) => [p[n], n] as const)], loss, {
        eps: 1e-2,
        abs: 2e-3,
        rel: 3e-2,
      });
    }));

test('a unit declared at run time compiles to SIMD kernels that agree with the reference', async (t) => {
  if (getBackend().name !== 'wasm') return t.skip('the wasm backend is not active');
  const program = stepProgram(pair, [...LEARN]);
  await getBackend().prepareSpikingKernel(program);
  assert.equal(getBackend().spikingKernelPath(program), 'wasm (generated)');
  const rng = new Rng(12);
  const [B, N, T] = [4, 6, 24];
  for (const opts of [
    { T, output: 'spikes' as const, surrogate: 'rectangular:0.5' },
    { T, smoothCheck: true, surrogate: 'arctan:2' },
  ]) {
    const x = tensor(rng, [B, 2 * N], 0, 6);
    const p = params(rng, N);
    const weights = tensor(rng, opts.output === 'spikes' ? [T, B, 2 * N] : [B, 2 * N], -1, 1);
    const ref = onBackend('js', () => run(x, p, weights, opts));
    const simd = run(x, p, weights, opts);
    assert.ok(
      ref.y.some((v) => v > 0),
      'the input makes spikes',
    );
    // float32 SIMD against the reference's float64 arithmetic (rounded like float32 per step).
    const same = simd.y.filter((v, i) => Math.abs(v - ref.y[i]) <= 1e-4).length;
    assert.ok(same >= 0.99 * ref.y.length, `${same} of ${ref.y.length} outputs agree`);
    simd.grads.forEach((g, k) => {
      const scale = Math.max(1e-6, ...ref.grads[k].map(Math.abs));
      const off = g.filter((v, i) => Math.abs(v - ref.grads[k][i]) > 2e-3 * scale).length;
      assert.ok(off <= 0.02 * g.length, `gradient ${k}: ${off} of ${g.length} differ`);
    });
  }
});

test('malformed unit declarations name the model and the field', () => {
  const base = {
    name: 'bad-unit',
    description: 'a test',
    states: { a: { init: 0 }, b: { init: 0 } },
    params: { th: { value: 1 } },
    step: { a: 'a + I1', b: 'b + I2' },
    voltage: 'a',
    spike: 'a > th',
    reset: { a: '0' },
  };
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ inputs: ['I1', 'I2'], input: 'I1' }, /"bad-unit": inputs: give either input or inputs/],
    [{ inputs: ['I1'] }, /step\.b: unknown name "I2"/],
    [
      { inputs: ['I1', 'I2'], moreSpikes: [{ spike: 'q > th' }] },
      /moreSpikes\[0\]\.spike: the left-hand side must be a state/,
    ],
    [
      { inputs: ['I1', 'I2'], moreSpikes: [{ spike: 'b > th', reset: { a: '1' } }] },
      /moreSpikes\[0\]\.reset\.a: a is already reset/,
    ],
    [
      { inputs: ['I1', 'I2'], moreSpikes: [{ spike: 'b > nope' }] },
      /moreSpikes\[0\]\.spike: unknown name "nope"/,
    ],
    [{ inputs: ['I1', 'I1'] }, /inputs\.I1: "I1" is declared twice/],
  ];
  for (const [extra, message] of bad)
    assert.throws(
      () => declareNeuron({ ...base, ...extra } as never),
      (e: unknown) => {
        assert.ok(e instanceof DeclarationError, String(e));
        assert.match((e as Error).message, message);
        return true;
      },
    );
});
