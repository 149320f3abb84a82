// The plain-TypeScript ('js') backend's own kernels under finite differences. The other test files
// run on the default backend (wasm), where the js kernels are checked only by parity with wasm;
// here each op runs on js (a call counter proves it) and its backward is gradchecked: the fused
// spiking layers (LIF, learning HH, s-LIF2HH) in smooth mode for every surrogate, static
// and framed time-varying input, spike trains and rates, learnable parameters; and the dense
// kernels (gemm through linear and matmul, conv2d's im2col/col2im, avg-pool). The generic
// reference kernel of the declared models (full HH among them) has its own gradchecks in
// declared-kernels.test.ts; the s-LIF2HH circuit of those kernels is gradchecked here with the
// fused s-LIF2HH kernel it is the generic path of.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backend, getBackend, setBackend } from '../src/kernels/index.js';
import { LEARNING_HH_RATE_NAMES } from '../src/kernels/spiking-types.js';
import { learningHhSpikes, lifSpikes, slif2hhSpikes } from '../src/nn/spiking.js';
import type { LearningHhRates } from '../src/nn/spiking.js';
import { slif2hhGeneric } from '../src/nn/slif2hh-unit.js';
import { Surrogate, makeSurrogate } from '../src/nn/surrogate.js';
import { avgPool2d, conv2d } from '../src/tensor/conv.js';
import { checkGradients } from './helpers.js';
import { linear, matmul, tanh } from '../src/tensor/ops.js';
import { Shape, Tensor, shapeSize } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

const COUNTED = [
  'lifForward',
  'lifBackward',
  'learningHhForward',
  'learningHhBackward',
  'slif2hhForward',
  'slif2hhBackward',
  'gemm',
  'im2col',
  'col2im',
  'avgPool2d',
  'avgPool2dBackward',
] as const satisfies readonly (keyof Backend)[];
type Counted = (typeof COUNTED)[number];

const calls = new Map<Counted, number>();
let previous = '';
before(() => {
  previous = getBackend().name;
  // A fresh js backend whose kernels count their calls.
  const be = setBackend('js') as unknown as Record<Counted, (...a: unknown[]) => void>;
  for (const name of COUNTED) {
    const kernel = be[name];
    be[name] = (...a: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      kernel(...a);
    };
  }
});
after(() => setBackend(previous));

/** Runs `body` and asserts that each named js kernel ran during it. */
function onJs(names: Counted[], body: () => void): void {
  const before = names.map((n) => calls.get(n) ?? 0);
  body();
  assert.equal(getBackend().name, 'js');
  names.forEach((n, k) => assert.ok((calls.get(n) ?? 0) > before[k], `the js ${n} kernel ran`));
}

function uniform(shape: Shape, lo: number, hi: number, seed: number, requiresGrad = true): Tensor {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: shapeSize(shape) }, () => rng.range(lo, hi));
  return new Tensor(data, shape, requiresGrad);
}

const check = checkGradients;

const SURROGATES: Surrogate[] = [
  makeSurrogate('rectangular', 0.6),
  makeSurrogate('sigmoid', 3),
  makeSurrogate('arctan', 2),
  makeSurrogate('fast-sigmoid', 4),
];
const OUTPUTS = ['spikes', 'rate'] as const;

describe('js LIF kernel', () => {
  for (const sur of SURROGATES) {
    it(`BPTT gradcheck, ${sur.name}: static, time-varying and framed input × spikes and rate`, () => {
      const common = { decay: 0.5, threshold: 0.5, surrogate: sur, smoothCheck: true };
      const xs = uniform([2, 3], 0.05, 0.6, 11);
      const xt = uniform([6, 2, 3], -0.1, 0.9, 12);
      const xf = uniform([3, 2, 3], -0.1, 0.9, 13);
      const eps = 1e-3;
      onJs(['lifForward', 'lifBackward'], () => {
        for (const output of OUTPUTS) {
          check(() => lifSpikes(xs, { ...common, T: 6, output }), [xs], { eps });
          check(() => lifSpikes(xt, { ...common, timeVarying: true, output }), [xt], { eps });
          check(() => lifSpikes(xf, { ...common, timeVarying: true, repeat: 2, output }), [xf], { eps });
        }
      });
    });
  }
});

function rateTensors(N: number, lo: number, hi: number, seed: number): LearningHhRates {
  const rng = new Rng(seed);
  const mk = (): Tensor =>
    new Tensor(
      Float32Array.from({ length: N }, () => rng.range(lo, hi)),
      [N],
      true,
    );
  return { alphaN: mk(), betaN: mk(), alphaM: mk(), betaM: mk(), alphaH: mk(), betaH: mk() };
}

describe('js learning-HH kernel', () => {
  for (const sur of SURROGATES) {
    it(`BPTT gradcheck, ${sur.name}: input and the six learnable rates`, () => {
      const N = 3;
      const rates = rateTensors(N, 0.2, 1.2, 7);
      const leaves = LEARNING_HH_RATE_NAMES.map((k) => rates[k] as Tensor);
      // Per-neuron dt (not learnable) exercises the per-neuron path.
      const dt = new Tensor(Float32Array.of(0.1, 0.08, 0.12), [N]);
      const common = { dt, threshold: 2, surrogate: sur, smoothCheck: true };
      const xs = uniform([2, N], 1, 8, 8);
      const xf = uniform([3, 2, N], 0, 10, 9);
      const eps = 1e-3;
      // Rate gradients are small (the gates start at 0): a tighter absolute tolerance, and a
      // larger step to lift the differences above the float32 outputs' rounding (smaller for the
      // rectangular window, whose kinks a larger one straddles).
      const rect = sur.name === 'rectangular';
      const rateTol = { eps: rect ? 2e-3 : 1e-2, atol: rect ? 5e-5 : 2e-5, rtol: 5e-3, minGrad: 1e-4 };
      onJs(['learningHhForward', 'learningHhBackward'], () => {
        for (const output of OUTPUTS) {
          const run = (): Tensor => learningHhSpikes(xs, rates, { ...common, T: 6, output });
          check(run, [xs], { eps });
          for (const leaf of leaves) check(run, [leaf], rateTol);
        }
        const framed = (): Tensor => learningHhSpikes(xf, rates, { ...common, timeVarying: true, repeat: 2 });
        check(framed, [xf], { eps });
        for (const leaf of leaves) check(framed, [leaf], rateTol);
      });
    });
  }
});

describe('js s-LIF2HH kernel, and the s-LIF2HH circuit of generic lif-step kernels', () => {
  for (const sur of SURROGATES) {
    it(`BPTT gradcheck, ${sur.name}: input currents and w (per unit and shared)`, () => {
      const N = 2;
      const rng = new Rng(3);
      // Mixed signs, away from 0 (|w| has a kink there).
      const draw = () => (rng.uniform() < 0.5 ? -1 : 1) * rng.range(0.3, 0.9);
      const w = new Tensor(Float32Array.from({ length: 3 * N }, draw), [N, 3], true);
      const shared = new Tensor(Float32Array.from({ length: 3 }, draw), [3], true);
      const xs = uniform([2, 3 * N], 0.1, 0.7, 4);
      const xf = uniform([3, 2, 3 * N], 0, 0.8, 5);
      const common = { decay: 0.5, threshold: 0.6, surrogate: sur, smoothCheck: true };
      // eps 1e-3: fast-sigmoid's kink at the threshold is within 1e-2 of a membrane here.
      const eps = 1e-3;
      const checkOp = (op: typeof slif2hhSpikes): void => {
        for (const output of OUTPUTS) {
          check(() => op(xs, w, { ...common, T: 5, output }), [xs, w], { eps });
          check(() => op(xf, w, { ...common, timeVarying: true, repeat: 2, output }), [xf, w], { eps });
        }
        check(() => op(xs, shared, { ...common, T: 5 }), [xs, shared], { eps });
      };
      onJs(['slif2hhForward', 'slif2hhBackward'], () => checkOp(slif2hhSpikes));
      // The declared unit (slif2hh-unit.ts) on the generic reference kernels of the js backend.
      checkOp(slif2hhGeneric);
    });
  }
});

describe('js dense kernels', () => {
  it('gemm: linear (x·Wᵀ + b) and matmul, every transpose of the backward', () => {
    const x = uniform([3, 5], -1, 1, 21);
    const w = uniform([4, 5], -1, 1, 22);
    const b = uniform([4], -1, 1, 23);
    const a = uniform([3, 4], -1, 1, 24);
    const c = uniform([4, 2], -1, 1, 25);
    onJs(['gemm'], () => {
      check(() => tanh(linear(x, w, b)), [x, w, b], { eps: 1e-2 });
      check(() => matmul(a, c), [a, c], { eps: 1e-2 });
    });
  });

  it('conv2d (im2col, gemm, col2im) with stride and padding, and avg-pool', () => {
    const x = uniform([2, 2, 5, 6], -1, 1, 31);
    const w = uniform([3, 2, 3, 3], -1, 1, 32);
    const b = uniform([3], -1, 1, 33);
    const p = uniform([2, 3, 5, 6], -1, 1, 34);
    onJs(['im2col', 'col2im', 'gemm', 'avgPool2d', 'avgPool2dBackward'], () => {
      check(() => conv2d(x, w, b, { stride: 2, padding: 1 }), [x, w, b], { maxElements: 48 });
      check(() => avgPool2d(p, 3, 2), [p], { maxElements: 64, minGrad: 0.05 });
    });
  });
});
