import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConvGeometry } from '../src/kernels/backend.js';
import { getBackend, setBackend } from '../src/kernels/index.js';
import { createJsBackend } from '../src/kernels/js/index.js';
import { WasmBackend, createWasmBackend } from '../src/kernels/wasm/index.js';
import { conv2d, conv2dOutputSize } from '../src/tensor/conv.js';
import { sum, tanh } from '../src/tensor/ops.js';
import { Shape, Tensor, shapeSize } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

const js = createJsBackend();

function filled(n: number, rng: Rng): Float32Array {
  return new Float32Array(n).map(() => rng.range(-1, 1));
}

/** Bit-for-bit equality (so −0 and +0, or any rounding difference, fail). */
function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < e.length; i++) {
    if (a[i] !== e[i]) assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

interface Case {
  batch: number;
  cin: number;
  h: number;
  w: number;
  k: number;
  stride: number;
  padding: number;
}

const cases: Case[] = [
  { batch: 3, cin: 1, h: 36, w: 36, k: 3, stride: 1, padding: 1 },
  { batch: 2, cin: 10, h: 18, w: 18, k: 3, stride: 1, padding: 1 },
  { batch: 2, cin: 3, h: 7, w: 9, k: 1, stride: 1, padding: 0 },
  { batch: 2, cin: 2, h: 11, w: 13, k: 5, stride: 1, padding: 2 },
  { batch: 3, cin: 3, h: 9, w: 10, k: 3, stride: 2, padding: 1 },
  { batch: 2, cin: 2, h: 13, w: 11, k: 5, stride: 2, padding: 0 },
  { batch: 2, cin: 4, h: 5, w: 6, k: 3, stride: 1, padding: 0 },
  { batch: 1, cin: 2, h: 3, w: 2, k: 1, stride: 2, padding: 2 },
  { batch: 4, cin: 1, h: 2, w: 3, k: 3, stride: 1, padding: 2 },
];

function geometry(c: Case): ConvGeometry {
  const hOut = conv2dOutputSize(c.h, c.k, c.stride, c.padding);
  const wOut = conv2dOutputSize(c.w, c.k, c.stride, c.padding);
  return { cin: c.cin, h: c.h, w: c.w, kh: c.k, kw: c.k, stride: c.stride, padding: c.padding, hOut, wOut };
}

const label = (c: Case): string =>
  `x ${c.batch}×${c.cin}×${c.h}×${c.w}, kernel ${c.k}, stride ${c.stride}, padding ${c.padding}`;

describe('wasm im2col/col2im match the js reference bit for bit', () => {
  let wasm: WasmBackend;
  before(() => {
    wasm = createWasmBackend({ threads: 1 });
  });
  after(() => wasm.close());

  for (const [i, c] of cases.entries()) {
    const g = geometry(c);
    const sampleLen = c.cin * c.h * c.w;
    const rows = c.cin * c.k * c.k;
    const p = g.hOut * g.wOut;
    // Whole batch in one chunk, and a chunk that starts past the first sample.
    const chunks: [number, number][] = [[0, c.batch]];
    if (c.batch > 1) chunks.push([1, c.batch - 1]);
    for (const resident of [false, true]) {
      it(`${label(c)}${resident ? ', resident operands' : ''}`, () => {
        const rng = new Rng(500 + i);
        const x0 = filled(c.batch * sampleLen, rng);
        for (const [first, count] of chunks) {
          const colLen = rows * count * p;
          // im2col: col starts as garbage (it must be overwritten whole) with a tail neither touches.
          const colRef = filled(colLen + 5, rng);
          const colWasm = resident ? wasm.allocate(colLen + 5, false) : new Float32Array(colLen + 5);
          colWasm.set(colRef);
          const x = resident ? wasm.allocate(x0.length, false) : new Float32Array(x0.length);
          x.set(x0);
          js.im2col(x0, g, first, count, colRef);
          const copied = wasm.copiedBytes();
          wasm.im2col(x, g, first, count, colWasm);
          // Resident operands are used in place, not copied through the operand block.
          if (resident) assert.equal(wasm.copiedBytes(), copied, 'bytes copied');
          assertSameBits(colWasm, colRef, `im2col chunk ${first}+${count}`);
          assertSameBits(x, x0, 'im2col leaves x');

          // col2im accumulates into dx, touching only the chunk's samples.
          const col = filled(colLen, rng);
          const dxRef = filled(x0.length, rng);
          const dxWasm = resident ? wasm.allocate(dxRef.length, false) : new Float32Array(dxRef.length);
          dxWasm.set(dxRef);
          js.col2im(col, g, first, count, dxRef);
          wasm.col2im(col, g, first, count, dxWasm);
          assertSameBits(dxWasm, dxRef, `col2im chunk ${first}+${count}`);
          for (const buf of [colWasm, x, dxWasm]) wasm.release(buf);
        }
      });
    }
  }
});

describe('wasm avgPool2d and its backward match the js reference bit for bit', () => {
  let wasm: WasmBackend;
  before(() => {
    wasm = createWasmBackend({ threads: 1 });
  });
  after(() => wasm.close());
  const pools: [number, number, number, number, number][] = [
    [6, 36, 36, 2, 2],
    [5, 18, 18, 2, 2],
    [3, 7, 9, 3, 2],
    [2, 5, 6, 2, 1],
    [4, 9, 8, 3, 3],
  ];
  for (const [planes, h, w, kernel, stride] of pools) {
    it(`${planes} planes ${h}×${w}, kernel ${kernel}, stride ${stride}`, () => {
      const rng = new Rng(h * w + kernel);
      const hOut = Math.floor((h - kernel) / stride) + 1;
      const wOut = Math.floor((w - kernel) / stride) + 1;
      const x = filled(planes * h * w, rng);
      const outRef = new Float32Array(planes * hOut * wOut);
      const outWasm = new Float32Array(outRef.length);
      js.avgPool2d(x, planes, h, w, kernel, stride, outRef);
      wasm.avgPool2d(x, planes, h, w, kernel, stride, outWasm);
      assertSameBits(outWasm, outRef, 'avgPool2d');
      const g = filled(outRef.length, rng);
      const dxRef = filled(x.length, rng);
      const dxWasm = dxRef.slice();
      js.avgPool2dBackward(g, planes, h, w, kernel, stride, dxRef);
      wasm.avgPool2dBackward(g, planes, h, w, kernel, stride, dxWasm);
      assertSameBits(dxWasm, dxRef, 'avgPool2dBackward');
    });
  }
});

describe('conv2d agrees between the js and wasm backends', () => {
  let previous: string;
  before(() => {
    previous = getBackend().name;
  });
  after(() => void setBackend(previous));

  function randn(shape: Shape, rng: Rng): Tensor {
    return new Tensor(
      new Float32Array(shapeSize(shape)).map(() => rng.normal()),
      shape,
      true,
    );
  }

  function run(backend: string, c: Case, cout: number, seed: number): Float32Array[] {
    setBackend(backend);
    const rng = new Rng(seed);
    const x = randn([c.batch, c.cin, c.h, c.w], rng);
    const w = randn([cout, c.cin, c.k, c.k], rng);
    const b = randn([cout], rng);
    const y = conv2d(x, w, b, { stride: c.stride, padding: c.padding });
    sum(tanh(y)).backward();
    return [y.data, x.grad!, w.grad!, b.grad!];
  }

  for (const [i, c] of cases.entries()) {
    it(label(c), () => {
      const ref = run('js', c, 5, 900 + i);
      const got = run('wasm', c, 5, 900 + i);
      for (const [j, name] of ['output', 'dx', 'dW', 'db'].entries()) {
        assert.equal(got[j].length, ref[j].length, name);
        // The gemms may sum in another order: compare to float rounding, relative to the scale.
        let scale = 0;
        for (const v of ref[j]) scale = Math.max(scale, Math.abs(v));
        for (let e = 0; e < ref[j].length; e++) {
          const diff = Math.abs(got[j][e] - ref[j][e]);
          assert.ok(diff <= 1e-5 * (1 + scale), `${name}[${e}]: wasm ${got[j][e]}, js ${ref[j][e]}`);
        }
      }
    });
  }
});
