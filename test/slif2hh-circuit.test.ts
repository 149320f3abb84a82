// The s-LIF2HH circuit (three lif-step input LIFs whose membranes drive a fourth through Σ|w|·m)
// on the generic kernels: BPTT against finite differences in smooth mode for every surrogate,
// static and framed input, spike trains and rates, a weight triple per unit and shared weights.
// The fused kernel registered as its override is checked against it in overrides.test.ts.
import { after, before, describe, it } from 'node:test';
import { getBackend, setBackend } from '../src/kernels/index.js';
import { slif2hhCircuit } from '../src/nn/slif2hh-circuit.js';
import { Surrogate, makeSurrogate } from '../src/nn/surrogate.js';
import { Shape, Tensor, shapeSize } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { checkGradients } from './helpers.js';

function uniform(shape: Shape, lo: number, hi: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return new Tensor(
    Float32Array.from({ length: shapeSize(shape) }, () => rng.range(lo, hi)),
    shape,
    true,
  );
}

const SURROGATES: Surrogate[] = [
  makeSurrogate('rectangular', 0.6),
  makeSurrogate('sigmoid', 3),
  makeSurrogate('arctan', 2),
  makeSurrogate('fast-sigmoid', 4),
];

// The reference kernels (float64 arithmetic): finite differences of float32 SIMD kernels would
// measure their rounding; those kernels are checked against the reference in declared-wasm.test.ts.
describe('s-LIF2HH circuit (generic lif-step kernels)', () => {
  let previous = '';
  before(() => {
    previous = getBackend().name;
    setBackend('js');
  });
  after(() => setBackend(previous));

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
      const eps = 1e-3;
      for (const output of ['spikes', 'rate'] as const) {
        checkGradients(() => slif2hhCircuit(xs, w, { ...common, T: 5, output }), [xs, w], { eps });
        checkGradients(
          () => slif2hhCircuit(xf, w, { ...common, timeVarying: true, repeat: 2, output }),
          [xf, w],
          { eps },
        );
      }
      checkGradients(() => slif2hhCircuit(xs, shared, { ...common, T: 5 }), [xs, shared], { eps });
    });
  }
});
