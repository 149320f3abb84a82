import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Backend, getBackend, registerBackend, setBackend } from '../src/kernels/backend.js';
import { RESIDENT_MIN_FLOATS } from '../src/kernels/index.js';
import { createJsBackend } from '../src/kernels/js/index.js';
import { PARALLEL_MIN_FLOPS, WasmBackend, createWasmBackend } from '../src/kernels/wasm/index.js';
import { MultitaskModelName, createMultitaskModel, trainingDefaults } from '../src/models/multitask.js';
import { Adam } from '../src/optim/adam.js';
import { multitaskLoss, randomBatch } from '../src/experiments/bench-train.js';
import { accumulateGrad } from '../src/tensor/autograd.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

const js = createJsBackend();

function filled(n: number, rng: Rng): Float32Array {
  return new Float32Array(n).map(() => rng.range(-1, 1));
}

/** A resident copy of src (from be.allocate). */
function resident(be: Backend, src: Float32Array): Float32Array {
  const r = be.allocate(src.length);
  r.set(src);
  return r;
}

function assertIdentical(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) assert.fail(`${label}: [${i}] = ${got[i]}, expected ${want[i]}`);
  }
}

describe('resident buffers of the wasm backend', () => {
  let be: WasmBackend;
  before(() => {
    be = createWasmBackend({ threads: 1 });
    // A first call sets up the operand block, so the heap in use only changes with allocations.
    be.gemm(false, false, 1, 1, 1, Float32Array.of(1), Float32Array.of(1), new Float32Array(1), false);
  });

  it('are zeroed views of the module memory, reused once released', () => {
    const base = be.heapBytesInUse();
    const a = be.allocate(10_000);
    assert.ok(a.buffer instanceof SharedArrayBuffer);
    assert.equal(a.length, 10_000);
    assert.ok(a.every((x) => x === 0));
    assert.ok(be.heapBytesInUse() >= base + 40_000);
    a.fill(3);
    const at = a.byteOffset;
    be.release(a);
    assert.equal(be.heapBytesInUse(), base);
    const b = be.allocate(10_000);
    assert.equal(b.byteOffset, at, 'the released block is handed out again');
    assert.ok(
      b.every((x) => x === 0),
      'and zeroed',
    );
    be.release(b);
    be.release(b); // a second release is a no-op
    be.release(new Float32Array(4)); // so is releasing an ordinary array
    assert.equal(be.heapBytesInUse(), base);
  });

  it('coalesce freed neighbours and stay valid while the memory grows', () => {
    const base = be.heapBytesInUse();
    const [x, y, z] = [be.allocate(5000), be.allocate(7000), be.allocate(3000)];
    x.fill(1);
    z.fill(2);
    be.release(x);
    be.release(y);
    const xy = be.allocate(11_000); // fits only in x and y merged
    assert.equal(xy.byteOffset, x.byteOffset);
    const bytes = be.memoryBytes();
    const big = be.allocate(8_000_000); // grows the memory
    assert.ok(be.memoryBytes() > bytes);
    assert.ok(
      z.every((v) => v === 2),
      'a view made before the memory grew still reads its block',
    );
    z[0] = 5;
    const gemmOut = new Float32Array(1);
    be.gemm(false, false, 1, 1, 1, z, Float32Array.of(1), gemmOut, false);
    assert.equal(gemmOut[0], 5, 'and kernels read it in place');
    for (const r of [xy, z, big]) be.release(r);
    assert.equal(be.heapBytesInUse(), base);
  });
});

describe('kernels use resident operands in place', () => {
  let one: WasmBackend;
  let two: WasmBackend;
  let eager: WasmBackend; // takes over every chunk a worker has not finished (see wasm.test.ts)
  before(async () => {
    one = createWasmBackend({ threads: 1 });
    two = createWasmBackend({ threads: 2 });
    eager = createWasmBackend({ threads: 2, graceMs: 0 });
    await Promise.all([two.whenThreadsReady(), eager.whenThreadsReady()]);
  });
  after(() => {
    two?.close();
    eager?.close();
  });

  // Small (one thread) and shared (≥ 8 MFLOP) products.
  const SHAPES: [boolean, boolean, number, number, number][] = [
    [false, true, 5, 9, 7],
    [true, false, 13, 17, 11],
    [false, true, 128, 512, 200],
    [true, false, 200, 520, 64],
  ];

  it('gemm: every mix of resident A, B, C gives the copied result bit for bit', () => {
    let seed = 1;
    for (const be of [one, two, eager]) {
      for (const [ta, tb, m, n, k] of SHAPES) {
        for (const acc of [false, true]) {
          const rng = new Rng(seed++);
          const a = filled(m * k, rng);
          const b = filled(k * n, rng);
          const c0 = filled(m * n, rng);
          const want = c0.slice();
          be.gemm(ta, tb, m, n, k, a, b, want, acc);
          const ref = c0.slice();
          js.gemm(ta, tb, m, n, k, a, b, ref, acc);
          for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(want[i] - ref[i]) < 1e-4 * (k + 4));
          for (let mask = 1; mask < 8; mask++) {
            const ra = mask & 1 ? resident(be, a) : a;
            const rb = mask & 2 ? resident(be, b) : b;
            const rc = mask & 4 ? resident(be, c0) : c0.slice();
            const label = `${be.threads} threads gemm(${ta}, ${tb}, ${m}, ${n}, ${k}, ${acc}) mask ${mask}`;
            const copied = be.copiedBytes();
            const late = be.takenOverChunks();
            be.gemm(ta, tb, m, n, k, ra, rb, rc, acc);
            // C of a shared product that accumulates is still copied (see gemm in index.ts).
            const cCopied =
              mask & 4 && !(acc && be.threads > 1 && 2 * m * n * k >= PARALLEL_MIN_FLOPS) ? 0 : 2;
            const expected =
              (mask & 1 ? 0 : m * k) + (mask & 2 ? 0 : k * n) + (acc ? cCopied : cCopied / 2) * m * n;
            // A chunk taken over from a late worker is computed aside and copied: exact only without.
            if (be.takenOverChunks() === late)
              assert.equal(be.copiedBytes() - copied, 4 * expected, `${label}: bytes copied`);
            assertIdentical(rc, want, label);
            assertIdentical(ra, a, `${label}: A unchanged`);
            assertIdentical(rb, b, `${label}: B unchanged`);
            for (const r of [ra, rb, rc]) be.release(r);
          }
        }
      }
    }
  });

  it('adam: resident p, g, m, v are updated in place like copied ones', () => {
    const n = 50_001;
    const rng = new Rng(3);
    const p = filled(n, rng);
    const [m, v] = [new Float32Array(n), new Float32Array(n)];
    const [rp, rm, rv] = [resident(one, p), one.allocate(n), one.allocate(n)];
    for (let step = 1; step <= 4; step++) {
      const g = filled(n, rng);
      one.adam(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 1e-4, step);
      const rg = resident(one, g);
      const copied = one.copiedBytes();
      one.adam(rp, rg, rm, rv, 1e-3, 0.9, 0.999, 1e-8, 1e-4, step);
      assert.equal(one.copiedBytes(), copied, 'nothing copied');
    }
    assertIdentical(rp, p, 'p');
    assertIdentical(rm, m, 'm');
    assertIdentical(rv, v, 'v');
  });

  it('spiking kernels: resident input, output, saved state and gradients', () => {
    const [B, N, T] = [4, 300, 5];
    const rng = new Rng(5);
    const base = {
      batch: B,
      neurons: N,
      steps: T,
      threshold: 1,
      decay: 0.6,
      timeVarying: false,
      rateOutput: false,
      surrogate: 0,
      surrogateParam: 0.5,
      smooth: false,
    };
    const input = new Float32Array(B * N).map(() => rng.range(-0.4, 1.6));
    const gradOut = filled(T * B * N, rng);
    const run = (alloc: (src: Float32Array) => Float32Array): Float32Array[] => {
      const out = alloc(new Float32Array(T * B * N));
      const mem = alloc(new Float32Array(T * B * N));
      const gradInput = alloc(new Float32Array(B * N).fill(0.25));
      one.lifForward({ ...base, input: alloc(input), out, mem });
      one.lifBackward({ ...base, detachReset: false, mem, gradOut: alloc(gradOut), gradInput });
      return [out, mem, gradInput].map((x) => x.slice());
    };
    const copied = run((x) => x.slice());
    const before = one.copiedBytes();
    const inPlace = run((x) => resident(one, x));
    // Only the small per-neuron tables (none for LIF) could still be copied.
    assert.equal(one.copiedBytes(), before, 'nothing copied');
    ['out', 'mem', 'gradInput'].forEach((name, i) => assertIdentical(inPlace[i], copied[i], name));
    assert.ok(copied[0].some((s) => s === 1) && copied[0].some((s) => s === 0), 'some spikes, not all');
  });
});

describe('training with resident parameters, grads, moments and saved states', () => {
  let wasm: WasmBackend;
  before(() => {
    wasm = setBackend('wasm') as WasmBackend;
    // The same kernels and memory, but nothing resident: every operand is copied per call.
    registerBackend('wasm-copying', () => ({
      ...wasm,
      allocate: (n) => new Float32Array(n),
      release: () => {},
    }));
  });
  after(() => {
    setBackend('wasm');
  });

  function train(
    model: MultitaskModelName,
    backend: string,
    steps: number,
  ): { params: Tensor[]; losses: number[] } {
    setBackend(backend);
    const rng = new Rng(11);
    const net = createMultitaskModel(model, rng, { T: 3 });
    const params = net.parameters();
    const adam = new Adam(params, { lr: 1e-3, weightDecay: trainingDefaults(model).weightDecay });
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const loss = multitaskLoss(net, randomBatch(rng, 6));
      adam.zeroGrad();
      loss.backward();
      adam.step();
      losses.push(loss.item());
    }
    return { params, losses };
  }

  it('moves large parameters into the memory and trains bit for bit like copying', () => {
    for (const model of ['hh-fc', 'lif-fc', 'slif2hh-fc'] as const) {
      const inPlace = train(model, 'wasm', 4);
      const copied = train(model, 'wasm-copying', 4);
      assert.deepEqual(inPlace.losses, copied.losses, model);
      inPlace.params.forEach((p, i) => {
        assert.equal(
          p.data.buffer instanceof SharedArrayBuffer,
          p.size >= RESIDENT_MIN_FLOATS,
          `${model} param ${i}`,
        );
        assertIdentical(p.data, copied.params[i].data, `${model} param ${i}`);
      });
    }
  });

  it('keeps the heap and the memory the same size over 200 steps', () => {
    setBackend('wasm');
    const rng = new Rng(12);
    const net = createMultitaskModel('hh-fc', rng, { T: 2 });
    const adam = new Adam(net.parameters(), { lr: 1e-4 });
    const batch = randomBatch(rng, 4);
    let heap = 0;
    let memory = 0;
    let copied = 0;
    for (let s = 0; s < 200; s++) {
      if (s === 199) copied = wasm.copiedBytes();
      const loss = multitaskLoss(net, batch);
      adam.zeroGrad();
      loss.backward();
      adam.step();
      if (s === 2) [heap, memory] = [wasm.heapBytesInUse(), wasm.memoryBytes()];
    }
    // fc1's weights alone are 2.65 MB, and a step used to copy them, their grads and moments
    // several times; now it copies the batch, activations and the small parameters (~0.2 MB).
    assert.ok(wasm.copiedBytes() - copied < 500_000, `a step copied ${wasm.copiedBytes() - copied} bytes`);
    assert.equal(wasm.heapBytesInUse(), heap, 'heap bytes in use');
    assert.equal(wasm.memoryBytes(), memory, 'memory size');
    assert.equal(getBackend(), wasm);
  });

  it('gives buffers that were never released back once they are garbage-collected', () => {
    const kernels = new URL('../src/kernels/index.js', import.meta.url).href;
    const script = `
      const k = await import(${JSON.stringify(kernels)});
      const be = k.createWasmBackend({ threads: 1 });
      const base = be.heapBytesInUse();
      for (let i = 0; i < 50; i++) be.allocate(250_000)[0] = i; // dropped at once
      const held = be.heapBytesInUse() - base;
      // Finalizers run from the event loop after a collection; give them up to 2 s.
      for (let i = 0; i < 100 && be.heapBytesInUse() > base; i++) {
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(held, be.heapBytesInUse() - base);`;
    const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const [held, left] = run.stdout.trim().split(' ').map(Number);
    assert.ok(held >= 50 * 1e6, `held ${held}`);
    assert.equal(left, 0);
  });
});

describe('Tensor grad buffers', () => {
  it('ensureGrad zeroes the buffer; gradTarget hands it out unzeroed, then to add into', () => {
    const t = new Tensor(new Float32Array(3), [3], true);
    t.gradBuffer = Float32Array.of(7, 7, 7);
    assert.deepEqual([...t.ensureGrad()], [0, 0, 0]);
    assert.equal(t.grad, t.gradBuffer);
    t.grad = null;
    t.gradBuffer.fill(9);
    const [g, add] = t.gradTarget();
    assert.equal(g, t.gradBuffer);
    assert.equal(add, false);
    assert.deepEqual(t.gradTarget(), [t.gradBuffer, true]);
    const plain = new Tensor(new Float32Array(2), [2], true);
    const [pg, padd] = plain.gradTarget();
    assert.equal(padd, false);
    assert.equal(pg.length, 2);
  });

  it('accumulateGrad copies a first contribution into the buffer instead of adopting it', () => {
    const t = new Tensor(new Float32Array(2), [2], true);
    t.gradBuffer = new Float32Array(2);
    const g = Float32Array.of(1, 2);
    accumulateGrad(t, g, true);
    assert.equal(t.grad, t.gradBuffer);
    accumulateGrad(t, g, true);
    assert.deepEqual([...t.grad!], [2, 4]);
    assert.deepEqual([...g], [1, 2], 'the contribution itself is untouched');
  });

  it('relocate moves the values into another array', () => {
    const t = Tensor.from([1, 2, 3]);
    const dst = new Float32Array(3);
    t.relocate(dst);
    assert.equal(t.data, dst);
    assert.deepEqual([...dst], [1, 2, 3]);
    assert.throws(() => t.relocate(new Float32Array(2)), /relocate/);
  });
});
