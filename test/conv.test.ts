import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noGrad } from '../src/tensor/autograd.js';
import { avgPool2d, conv2d, conv2dOutputSize } from '../src/tensor/conv.js';
import { GradcheckOptions, gradcheck } from '../src/tensor/gradcheck.js';
import { flatten, linear, sum, tanh } from '../src/tensor/ops.js';
import { Shape, Tensor, shapeSize } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { close } from './helpers.js';

function randn(shape: Shape, seed: number, requiresGrad = true): Tensor {
  const rng = new Rng(seed);
  return new Tensor(
    new Float32Array(shapeSize(shape)).map(() => rng.normal()),
    shape,
    requiresGrad,
  );
}

function check(fn: () => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const res = gradcheck(fn, inputs, opts);
  assert.ok(res.ok, `gradcheck failed: max |error| ${res.maxAbsError} at ${res.worst}`);
}

/** Direct convolution: seven nested loops over (n, co, oh, ow, ci, ki, kj), zero padding by bounds checks. */
function naiveConv2d(x: Tensor, w: Tensor, b: Tensor | null, stride: number, padding: number): Float32Array {
  const [batch, cin, h, wid] = x.shape;
  const [cout, , kh, kw] = w.shape;
  const hOut = Math.floor((h + 2 * padding - kh) / stride) + 1;
  const wOut = Math.floor((wid + 2 * padding - kw) / stride) + 1;
  const out = new Float32Array(batch * cout * hOut * wOut);
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < cout; co++) {
      for (let oh = 0; oh < hOut; oh++) {
        for (let ow = 0; ow < wOut; ow++) {
          let s = b ? b.data[co] : 0;
          for (let ci = 0; ci < cin; ci++) {
            for (let ki = 0; ki < kh; ki++) {
              for (let kj = 0; kj < kw; kj++) {
                const ih = oh * stride - padding + ki;
                const iw = ow * stride - padding + kj;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wid) continue;
                s +=
                  x.data[((n * cin + ci) * h + ih) * wid + iw] *
                  w.data[((co * cin + ci) * kh + ki) * kw + kj];
              }
            }
          }
          out[((n * cout + co) * hOut + oh) * wOut + ow] = s;
        }
      }
    }
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    close(actual[i], expected[i], tol, `element ${i}: expected ${expected[i]}, got ${actual[i]}`);
  }
}

describe('conv2d values', () => {
  const cases: { x: Shape; w: Shape; stride: number; padding: number; bias: boolean }[] = [
    { x: [2, 3, 5, 6], w: [4, 3, 3, 3], stride: 1, padding: 0, bias: true },
    { x: [2, 3, 5, 6], w: [4, 3, 3, 3], stride: 1, padding: 1, bias: false },
    { x: [1, 2, 7, 5], w: [3, 2, 3, 2], stride: 2, padding: 1, bias: true },
    { x: [3, 1, 8, 9], w: [2, 1, 4, 4], stride: 3, padding: 2, bias: true },
    { x: [2, 2, 6, 6], w: [5, 2, 1, 1], stride: 1, padding: 0, bias: false },
    { x: [1, 1, 2, 3], w: [1, 1, 3, 3], stride: 1, padding: 1, bias: true },
  ];
  for (const [i, c] of cases.entries()) {
    it(`matches the direct loops: x ${c.x.join('×')}, w ${c.w.join('×')}, stride ${c.stride}, padding ${c.padding}`, () => {
      const x = randn(c.x, 100 + i, false);
      const w = randn(c.w, 200 + i, false);
      const b = c.bias ? randn([c.w[0]], 300 + i, false) : null;
      const y = conv2d(x, w, b, { stride: c.stride, padding: c.padding });
      const hOut = conv2dOutputSize(c.x[2], c.w[2], c.stride, c.padding);
      const wOut = conv2dOutputSize(c.x[3], c.w[3], c.stride, c.padding);
      assert.deepEqual(y.shape, [c.x[0], c.w[0], hOut, wOut]);
      assertClose(y.data, naiveConv2d(x, w, b, c.stride, c.padding), 1e-4);
    });
  }

  it('a hand-computed 3×3 example', () => {
    const x = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = Tensor.from([1, 0, 0, -1], [1, 1, 2, 2]);
    const b = Tensor.from([0.5]);
    // Each output is x[i][j] − x[i+1][j+1] + 0.5 = −4 + 0.5.
    assertClose(conv2d(x, w, b).data, [-3.5, -3.5, -3.5, -3.5], 0);
    // Padding 1, stride 2: out[i][j] = x[2i−1][2j−1] − x[2i][2j], zero outside the input.
    assertClose(conv2d(x, w, null, { stride: 2, padding: 1 }).data, [-1, -3, -7, 5 - 9], 0);
  });

  it('batches larger than one im2col chunk give the same values and grads as one sample at a time', () => {
    // K·P·4 = 9·1296·4 bytes per sample, so the 16 MB buffer holds 359 samples: 370 needs two chunks.
    const batch = 370;
    const x = randn([batch, 1, 36, 36], 1);
    const w = randn([2, 1, 3, 3], 2);
    const b = randn([2], 3);
    const y = conv2d(x, w, b, { padding: 1 });
    const seed = randn(y.shape, 4, false).data;
    y.backward(seed);
    const dx = x.grad!.slice();
    const dw = w.grad!.slice();
    const db = b.grad!.slice();
    const per = 36 * 36;
    const outPer = 2 * per;
    const dwSum = new Float64Array(dw.length);
    const dbSum = new Float64Array(2);
    for (const n of [0, 1, 358, 359, 369]) {
      const xn = new Tensor(x.data.slice(n * per, (n + 1) * per), [1, 1, 36, 36], true);
      const yn = conv2d(xn, w, b, { padding: 1 });
      assertClose(yn.data, y.data.subarray(n * outPer, (n + 1) * outPer), 1e-5);
      w.grad = null;
      yn.backward(seed.slice(n * outPer, (n + 1) * outPer));
      assertClose(xn.grad!, dx.subarray(n * per, (n + 1) * per), 1e-5);
    }
    // The weight and bias grads sum over every sample of both chunks.
    for (let n = 0; n < batch; n++) {
      const xn = new Tensor(x.data.slice(n * per, (n + 1) * per), [1, 1, 36, 36]);
      w.grad = null;
      b.grad = null;
      conv2d(xn, w, b, { padding: 1 }).backward(seed.slice(n * outPer, (n + 1) * outPer));
      w.grad!.forEach((v, i) => (dwSum[i] += v));
      b.grad!.forEach((v, i) => (dbSum[i] += v));
    }
    assertClose(dw, dwSum, 2e-2);
    assertClose(db, dbSum, 2e-2);
  });
});

describe('conv2d gradcheck', () => {
  const opts: GradcheckOptions = { maxElements: 48 };
  it('stride 1, padding 0, with bias, Cin 3 → Cout 4, non-square input', () => {
    const x = randn([2, 3, 5, 6], 10);
    const w = randn([4, 3, 3, 3], 11);
    const b = randn([4], 12);
    check(() => conv2d(x, w, b), [x, w, b], opts);
  });

  it('stride 1, padding 1, no bias', () => {
    const x = randn([2, 2, 4, 5], 13);
    const w = randn([3, 2, 3, 3], 14);
    check(() => conv2d(x, w, null, { padding: 1 }), [x, w], opts);
  });

  it('stride 2, padding 0, with bias (trailing rows dropped by the floor)', () => {
    const x = randn([2, 2, 6, 7], 15);
    const w = randn([3, 2, 3, 3], 16);
    const b = randn([3], 17);
    check(() => conv2d(x, w, b, { stride: 2 }), [x, w, b], opts);
  });

  it('stride 2, padding 1, no bias, non-square kernel', () => {
    const x = randn([1, 3, 7, 5], 18);
    const w = randn([2, 3, 3, 2], 19);
    check(() => conv2d(x, w, null, { stride: 2, padding: 1 }), [x, w], opts);
  });

  it('only the inputs that require grad receive it', () => {
    const x = randn([1, 2, 4, 4], 20, false);
    const w = randn([2, 2, 3, 3], 21);
    check(() => conv2d(x, w, null, { padding: 1 }), [w], opts);
    assert.equal(x.grad, null);
    const x2 = randn([1, 2, 4, 4], 22);
    const w2 = randn([2, 2, 3, 3], 23, false);
    check(() => conv2d(x2, w2, null), [x2], opts);
    assert.equal(w2.grad, null);
  });
});

describe('avgPool2d', () => {
  it('averages 2×2 windows and drops the odd trailing row and column', () => {
    const x = Tensor.from(
      Array.from({ length: 15 }, (_, i) => i),
      [1, 1, 3, 5],
    );
    const y = avgPool2d(x);
    assert.deepEqual(y.shape, [1, 1, 1, 2]);
    assertClose(y.data, [(0 + 1 + 5 + 6) / 4, (2 + 3 + 7 + 8) / 4], 1e-6);
  });

  it('supports overlapping windows (kernel 3, stride 2)', () => {
    const x = Tensor.from(
      Array.from({ length: 25 }, (_, i) => i),
      [1, 1, 5, 5],
    );
    const y = avgPool2d(x, 3, 2);
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    assertClose(y.data, [6, 8, 16, 18], 1e-5);
  });

  it('gradcheck for kernel 2 and for overlapping kernel 3 / stride 2', () => {
    const x = randn([2, 3, 5, 6], 30);
    check(() => avgPool2d(x), [x], { maxElements: 64 });
    const x2 = randn([1, 2, 7, 6], 31);
    check(() => avgPool2d(x2, 3, 2), [x2], { maxElements: 64 });
  });

  it('every input in a window gets 1/k² of the output gradient', () => {
    const x = randn([1, 1, 4, 4], 32);
    sum(avgPool2d(x)).backward();
    assertClose(x.grad!, new Array(16).fill(0.25), 0);
  });
});

describe('the study conv net', () => {
  it('36×36 → conv 3×3 pad 1 → pool 2 → conv 3×3 pad 1 → pool 2 gives 10·9·9 = 810 features', () => {
    assert.equal(conv2dOutputSize(36, 3, 1, 1), 36);
    assert.equal(conv2dOutputSize(18, 3, 1, 1), 18);
    assert.equal(conv2dOutputSize(18, 3, 1, 0), 16); // no padding on conv2 would give 8×8 after pooling
    const x = randn([2, 1, 36, 36], 40, false);
    const w1 = randn([10, 1, 3, 3], 41);
    const w2 = randn([10, 10, 3, 3], 42);
    const fc = randn([50, 810], 43);
    const h1 = conv2d(x, w1, null, { padding: 1 });
    assert.deepEqual(h1.shape, [2, 10, 36, 36]);
    const p1 = avgPool2d(h1);
    assert.deepEqual(p1.shape, [2, 10, 18, 18]);
    const h2 = conv2d(p1, w2, null, { padding: 1 });
    assert.deepEqual(h2.shape, [2, 10, 18, 18]);
    const p2 = avgPool2d(h2);
    assert.deepEqual(p2.shape, [2, 10, 9, 9]);
    const f = flatten(p2);
    assert.deepEqual(f.shape, [2, 810]);
    assert.deepEqual(linear(f, fc, null).shape, [2, 50]);
    assert.deepEqual(avgPool2d(conv2d(p1, w2, null)).shape, [2, 10, 8, 8]);
  });

  it('gradcheck through a small conv → tanh → pool → conv → pool → linear stack', () => {
    const x = randn([2, 1, 8, 8], 50);
    const w1 = randn([3, 1, 3, 3], 51);
    const b1 = randn([3], 52);
    const w2 = randn([2, 3, 3, 3], 53);
    const fc = randn([4, 8], 54);
    const fn = (): Tensor =>
      linear(
        flatten(
          avgPool2d(conv2d(avgPool2d(tanh(conv2d(x, w1, b1, { padding: 1 }))), w2, null, { padding: 1 })),
        ),
        fc,
        null,
      );
    check(fn, [x, w1, b1, w2, fc], { maxElements: 32 });
  });
});

describe('conv shape errors', () => {
  const x = Tensor.zeros([2, 3, 5, 5]);
  const w = Tensor.zeros([4, 3, 3, 3]);
  it('conv2d names the op, the shapes and what it expected', () => {
    assert.throws(
      () => conv2d(Tensor.zeros([3, 5, 5]), w, null),
      /conv2d: input must be \[B, Cin, H, W\], got \[3, 5, 5\]/,
    );
    assert.throws(
      () => conv2d(x, Tensor.zeros([4, 3, 3]), null),
      /conv2d: weight must be \[Cout, Cin, kh, kw\], got \[4, 3, 3\]/,
    );
    assert.throws(
      () => conv2d(x, Tensor.zeros([4, 2, 3, 3]), null),
      /conv2d: input \[2, 3, 5, 5\] has 3 channels but weight \[4, 2, 3, 3\] expects 2/,
    );
    assert.throws(
      () => conv2d(x, w, Tensor.zeros([3])),
      /conv2d: bias \[3\] does not fit weight \[4, 3, 3, 3\] \(expected \[4\]\)/,
    );
    assert.throws(
      () => conv2d(x, Tensor.zeros([4, 3, 7, 7]), null),
      /conv2d: kernel 7×7 with padding 0 does not fit input/,
    );
    assert.doesNotThrow(() => conv2d(x, Tensor.zeros([4, 3, 7, 7]), null, { padding: 1 }));
    assert.throws(
      () => conv2d(x, w, null, { stride: 0 }),
      /conv2d: stride must be a positive integer, got 0/,
    );
    assert.throws(
      () => conv2d(x, w, null, { padding: -1 }),
      /conv2d: padding must be a non-negative integer/,
    );
  });

  it('avgPool2d names the op, the shape and what it expected', () => {
    assert.throws(
      () => avgPool2d(Tensor.zeros([5, 5])),
      /avgPool2d: input must be \[B, C, H, W\], got \[5, 5\]/,
    );
    assert.throws(
      () => avgPool2d(Tensor.zeros([1, 1, 1, 4])),
      /avgPool2d: input \[1, 1, 1, 4\] is smaller than the 2×2 window/,
    );
    assert.throws(() => avgPool2d(x, 0), /avgPool2d: kernel must be a positive integer/);
    assert.throws(() => avgPool2d(x, 2, 1.5), /avgPool2d: stride must be a positive integer/);
  });

  it('noGrad records no conv graph', () => {
    const xg = randn([1, 3, 5, 5], 60);
    const y = noGrad(() => avgPool2d(conv2d(xg, randn([2, 3, 3, 3], 61), null)));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.backwardFn, null);
  });
});
