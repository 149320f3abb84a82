// The s-LIF2HH unit declared as one model (three inputs, four spike rules) against the fused
// s-LIF2HH op it reproduces, and its BPTT against finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, setBackend } from '../src/kernels/index.js';
import { slif2hhUnitDeclared } from '../src/neurons/slif2hh.js';
import type { NeuronSpikesOptions } from '../src/nn/neuron-layer.js';
import { neuronSpikes, stepProgram } from '../src/nn/neuron-layer.js';
import type { Slif2hhOptions } from '../src/nn/spiking.js';
import { SLIF2HH_FC_DEFAULTS, slif2hhSpikes } from '../src/nn/spiking.js';
import { resolveSurrogate } from '../src/nn/surrogate.js';
import { mul, sum } from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { randomTensor as tensor } from './helpers.js';
import { SLIF2HH_CASES } from './slif2hh-cases.js';
import type { Slif2hhCase } from './slif2hh-cases.js';
import { checkAgainstDifferences } from './helpers.js';

/** The unit's per-neuron weights w1..w3 from the fused op's w ([N, 3] or shared [3]). */
function weightsOf(w: Tensor): Tensor[] {
  const shared = w.size === 3;
  const N = shared ? 1 : w.size / 3;
  return [0, 1, 2].map((k) => {
    const t = new Tensor(
      Float32Array.from({ length: N }, (_, j) => w.data[shared ? k : 3 * j + k]),
      [N],
    );
    t.requiresGrad = w.requiresGrad;
    return t;
  });
}

function unitOptions(opts: Slif2hhOptions, ws: Tensor[]): NeuronSpikesOptions {
  return {
    T: opts.T,
    timeVarying: opts.timeVarying,
    repeat: opts.repeat,
    output: opts.output,
    smoothCheck: opts.smoothCheck,
    detachReset: opts.detachReset,
    surrogate: resolveSurrogate(opts.surrogate, SLIF2HH_FC_DEFAULTS.surrogate),
    params: {
      decay: opts.decay ?? SLIF2HH_FC_DEFAULTS.decay,
      theta: opts.threshold ?? SLIF2HH_FC_DEFAULTS.threshold,
      w1: ws[0],
      w2: ws[1],
      w3: ws[2],
    },
  };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, rel: number, what: string): void {
  const scale = Math.max(1e-6, ...Array.from(b, Math.abs));
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i] - b[i]) <= rel * scale, `${what}[${i}]: unit ${a[i]}, fused ${b[i]}`);
}

const cases = SLIF2HH_CASES;

function compareWithFused(c: Slif2hhCase): void {
  {
    const rng = new Rng(7);
    const { x, w, opts } = c.make(rng);
    const fused = slif2hhSpikes(x, w, opts);
    const weights = tensor(rng, [...fused.shape], -1, 1);
    sum(mul(fused, weights)).backward();
    const [gxFused, gwFused] = [[...(x.grad as Float32Array)], [...(w.grad as Float32Array)]];
    x.grad = null;
    const ws = weightsOf(w);
    const unit = neuronSpikes(x, slif2hhUnitDeclared, unitOptions(opts, ws));
    assert.deepEqual(unit.shape, fused.shape);
    assert.deepEqual([...unit.data], [...fused.data], 'spikes');
    assert.ok(
      unit.data.some((v) => v > 0),
      'the input makes spikes',
    );
    sum(mul(unit, weights)).backward();
    const gx: Float32Array | null = x.grad;
    assert.ok(gx, 'x receives a gradient');
    close(gx, gxFused, 2e-3, 'input gradient');
    // The fused op's [N, 3] (or shared [3]) gradient from the unit's w1..w3.
    const shared = w.size === 3;
    const gw = Float32Array.from({ length: w.size }, (_, q) => {
      const [j, k] = shared ? [0, q] : [Math.floor(q / 3), q % 3];
      return (ws[k].grad as Float32Array)[j];
    });
    close(gw, gwFused, 2e-3, 'weight gradient');
  }
}

const W = ['w1', 'w2', 'w3'] as const;

/** Runs f on the named backend (the js backend: the reference kernels), then restores the previous one. */
function onBackend(name: string, f: () => void): void {
  const previous = getBackend().name;
  setBackend(name);
  try {
    f();
  } finally {
    setBackend(previous);
  }
}

for (const c of cases)
  test(`the declared s-LIF2HH unit equals the fused s-LIF2HH op (reference kernels; ${c.name})`, () =>
    onBackend('js', () => {
      assert.equal(getBackend().spikingKernelPath(stepProgram(slif2hhUnitDeclared, [...W])), 'reference');
      compareWithFused(c);
    }));

test('the s-LIF2HH unit’s generated SIMD kernels (built in) equal the fused op too', () =>
  onBackend('wasm', () => {
    const program = stepProgram(slif2hhUnitDeclared, [...W]);
    assert.equal(getBackend().spikingKernelPath(program), 'wasm (generated)');
    for (const c of cases) compareWithFused(c);
    // A batch whose flat neurons do not fill groups of four runs on the reference kernels.
    compareWithFused({
      name: 'odd',
      make: (rng) => ({
        x: tensor(rng, [3, 3 * 5], 0, 1.5, true),
        w: tensor(rng, [5, 3], -1, 1, true),
        opts: { T: 9, output: 'spikes' },
      }),
    });
  }));

test('the s-LIF2HH unit’s BPTT matches finite differences (smooth mode, every input and weight)', () => {
  const rng = new Rng(3);
  const x = tensor(rng, [2, 3 * 4], 0, 1.5, true);
  const ws = [0, 1, 2].map(() => tensor(rng, [4], -1, 1, true));
  const weights = tensor(rng, [2, 4 * 4], -1, 1);
  const opts: NeuronSpikesOptions = {
    T: 6,
    smoothCheck: true,
    surrogate: 'sigmoid:2',
    params: { decay: 0.6, theta: 1, w1: ws[0], w2: ws[1], w3: ws[2] },
  };
  const loss = (): number => sum(mul(neuronSpikes(x, slif2hhUnitDeclared, opts), weights)).item();
  sum(mul(neuronSpikes(x, slif2hhUnitDeclared, opts), weights)).backward();
  checkAgainstDifferences([[x, 'x'], ...ws.map((t, k) => [t, `w${k + 1}`] as const)], loss, {
    eps: 1e-2,
    abs: 2e-3,
    rel: 2e-2,
  });
});

test('a unit is for trainable layers: simulating it is a clear error', async () => {
  const { createPopulation } = await import('../src/sim/registry.js');
  assert.throws(
    () => createPopulation('slif2hh-unit', 1, {}),
    /slif2hh-unit is a unit \(3 inputs, 4 spike rules\)/,
  );
});
