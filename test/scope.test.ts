// tidy(): a step's large buffers go back to the backend when the step ends (src/tensor/scope.ts).
// The same training as without a scope, bit for bit, on both backends; the wasm heap stays flat and
// activations are used in place; tensors left behind say so when read; leaves' grads survive.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { getBackend, setBackend } from '../src/kernels/backend.js';
import type { WasmBackend } from '../src/kernels/wasm/index.js';
import { MultitaskModelName, createMultitaskModel, trainingDefaults } from '../src/models/multitask.js';
import { Adam } from '../src/optim/adam.js';
import { multitaskStep, randomBatch } from '../src/experiments/bench-train.js';
import { linear, mul, reshape, sum } from '../src/tensor/ops.js';
import { inScope, scopedArray, tidy } from '../src/tensor/scope.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { randomTensor } from './helpers.js';

const initial = getBackend().name;
after(() => setBackend(initial));

/** Parameters after `steps` Adam steps of a small multi-task model (batch 16: activations ≥ 4096 floats). */
function train(model: MultitaskModelName, steps: number, scoped: boolean): Float32Array[] {
  const rng = new Rng(5);
  const net = createMultitaskModel(model, rng, { T: 3 });
  const d = trainingDefaults(model);
  const adam = new Adam(net.parameters(), { lr: d.lr, weightDecay: d.weightDecay });
  const batch = randomBatch(rng, 16);
  const step = (): number => multitaskStep(net, adam, batch);
  for (let s = 0; s < steps; s++) {
    const value = scoped ? tidy(step) : step();
    assert.ok(Number.isFinite(value));
  }
  return net.parameters().map((p) => p.data.slice());
}

for (const backend of ['js', 'wasm']) {
  describe(`tidy() on the ${backend} backend`, () => {
    it('trains exactly as without a scope (hh-fc, lif-fc, slif2hh-fc)', () => {
      setBackend(backend);
      for (const model of ['hh-fc', 'lif-fc', 'slif2hh-fc'] as const) {
        const plain = train(model, 3, false);
        const scoped = train(model, 3, true);
        plain.forEach((p, i) => assert.deepEqual(scoped[i], p, `${model} parameter ${i}`));
      }
    });

    it('leaves a tensor made inside unreadable, with a message, and keeps what it returns', () => {
      setBackend(backend);
      const rng = new Rng(2);
      const x = randomTensor(rng, [64, 100], -1, 1);
      const w = randomTensor(rng, [96, 100], -1, 1);
      let inner: Tensor | null = null;
      const kept = tidy(() => {
        inner = linear(x, w, null);
        return mul(inner, inner);
      });
      const want = linear(x, w, null).data;
      assert.deepEqual(
        kept.data,
        want.map((v) => v * v),
      );
      assert.throws(
        () => inner!.data,
        /Tensor\[64, 96\] was made inside tidy\(\) and its memory was released when the scope ended; return it/,
      );
      assert.equal(inScope(), false);
    });

    it('keeps the grads of leaves (inputs too, also when passed through reshape) valid after the scope', () => {
      setBackend(backend);
      const rng = new Rng(3);
      const w = randomTensor(rng, [80, 120], -1, 1, true);
      const x = randomTensor(rng, [60, 120], -1, 1, true);
      const run = (): void => {
        // reshape hands its grad on to x as is: x's grad must not stay the scope's array.
        sum(mul(reshape(x, [7200]), reshape(x, [7200]))).backward();
        sum(mul(linear(x, w, null), linear(x, w, null))).backward();
      };
      run();
      const [gx, gw] = [x.grad!.slice(), w.grad!.slice()];
      x.grad = null;
      w.grad = null;
      tidy(run);
      // Later scopes reuse the memory the first one released: the grads must not be in it.
      for (let k = 0; k < 3; k++)
        tidy(() => {
          for (let i = 0; i < 8; i++) [7200, 9600, 4800].forEach((n) => scopedArray(n, false).fill(7));
        });
      assert.deepEqual(x.grad, gx);
      assert.deepEqual(w.grad, gw);
    });

    it('releases when the step throws, and nests (an inner result lives until the outer scope ends)', () => {
      setBackend(backend);
      const rng = new Rng(4);
      const x = randomTensor(rng, [64, 100], -1, 1);
      const w = randomTensor(rng, [64, 100], -1, 1);
      assert.throws(
        () =>
          tidy(() => {
            linear(x, w, null);
            throw new Error('diverged');
          }),
        /diverged/,
      );
      let fromInner: Tensor | null = null;
      tidy(() => {
        fromInner = tidy(() => linear(x, w, null));
        assert.equal(fromInner.data.length, 64 * 64, 'alive in the outer scope');
      });
      assert.throws(() => fromInner!.data, /was made inside tidy\(\)/);
    });
  });
}

describe('tidy() on the wasm backend', () => {
  it('keeps the heap flat and uses activations in place (fewer bytes copied per step)', () => {
    setBackend('wasm');
    const wasm = getBackend() as WasmBackend;
    const rng = new Rng(6);
    const net = createMultitaskModel('hh-fc', rng, { T: 3 });
    const adam = new Adam(net.parameters(), { lr: 1e-4 });
    const batch = randomBatch(rng, 32);
    const step = (): number => multitaskStep(net, adam, batch);
    const copiedBy = (fn: () => void): number => {
      const before = wasm.copiedBytes();
      fn();
      return wasm.copiedBytes() - before;
    };
    step();
    tidy(step);
    const heap = wasm.heapBytesInUse();
    const memory = wasm.memoryBytes();
    const plain = copiedBy(step);
    let scoped = 0;
    for (let s = 0; s < 20; s++) scoped = copiedBy(() => tidy(step));
    assert.equal(wasm.heapBytesInUse(), heap, 'heap bytes in use after 20 scoped steps');
    assert.equal(wasm.memoryBytes(), memory, 'memory size');
    // The [32, 512] current, its spike rate and both of their grads (64 KB each, in and out).
    assert.ok(
      scoped < plain - 4 * 65_536,
      `copied ${scoped} bytes in a scoped step, ${plain} in a plain one`,
    );
  });
});
