import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countFlops, graphMemory } from '../src/tensor/accounting.js';
import { isGradEnabled, noGrad } from '../src/tensor/autograd.js';
import { GradcheckOptions, gradcheck } from '../src/tensor/gradcheck.js';
import {
  add,
  addScalar,
  argmaxRows,
  clamp,
  concatColumns,
  minimum,
  repeatEach,
  sumLastAxis,
  dropout,
  exp,
  flatten,
  gaussianKl,
  linear,
  matmul,
  mean,
  mul,
  relu,
  reshape,
  scale,
  sigmoid,
  sliceColumns,
  softmaxCrossEntropy,
  softplus,
  sub,
  sum,
  tanh,
} from '../src/tensor/ops.js';
import { Shape, Tensor, shapeSize } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { close } from './helpers.js';

/** A leaf with normal values; `awayFromZero` keeps |x| ≥ 0.1 so kinks (relu) are not straddled by ±eps. */
function randn(shape: Shape, seed: number, awayFromZero = false): Tensor {
  const rng = new Rng(seed);
  const data = new Float32Array(shapeSize(shape)).map(() => {
    const v = rng.normal();
    return awayFromZero && Math.abs(v) < 0.1 ? (v < 0 ? -0.1 : 0.1) + v : v;
  });
  return new Tensor(data, shape, true);
}

function check(fn: () => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const res = gradcheck(fn, inputs, opts);
  assert.ok(res.ok, `gradcheck failed: max |error| ${res.maxAbsError} at ${res.worst}`);
  assert.ok(res.checked > 0);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++)
    close(actual[i], expected[i], tol, `element ${i}: expected ${expected[i]}, got ${actual[i]}`);
}

describe('ops gradcheck', () => {
  it('add, sub, mul', () => {
    const a = randn([3, 4], 1);
    const b = randn([3, 4], 2);
    check(() => add(a, b), [a, b]);
    check(() => sub(a, b), [a, b]);
    check(() => mul(a, b), [a, b]);
  });

  it('minimum (inputs apart, so ±eps never flips the choice), clamp (away from the bounds)', () => {
    const a = randn([3, 4], 11);
    const gap = randn([3, 4], 12, true);
    const b = new Tensor(
      a.data.map((x, i) => x + gap.data[i]),
      [3, 4],
      true,
    );
    check(() => minimum(a, b), [a, b]);
    assert.deepEqual(
      Array.from(minimum(a, b).data),
      Array.from(a.data).map((x, i) => Math.min(x, b.data[i])),
    );
    const c = new Tensor(Float32Array.of(-3, -0.5, 0.2, 0.9, 2.5, 1.5), [2, 3], true);
    check(() => clamp(c, -1, 1), [c]);
    assert.deepEqual(Array.from(clamp(c, -1, 1).data), [-1, -0.5, 0.2, 0.9, 1, 1].map(Math.fround));
    c.grad = null;
    sum(clamp(c, -1, 1)).backward();
    assert.deepEqual(Array.from(c.grad!), [0, 1, 1, 1, 0, 0]);
  });

  it('repeatEach', () => {
    const a = randn([2, 3], 15);
    check(() => repeatEach(a, 3), [a]);
    const r = repeatEach(a, 2);
    assert.deepEqual(r.shape, [4, 3]);
    assert.deepEqual(Array.from(r.data.subarray(3, 6)), Array.from(a.data.subarray(0, 3)));
    assert.deepEqual(Array.from(r.data.subarray(6, 9)), Array.from(a.data.subarray(3, 6)));
  });

  it('concatColumns and sumLastAxis', () => {
    const a = randn([3, 2], 13);
    const b = randn([3, 4], 14);
    check(() => concatColumns([a, b]), [a, b]);
    const j = concatColumns([a, b]);
    assert.deepEqual(j.shape, [3, 6]);
    assert.equal(j.data[6 + 2], b.data[4]);
    assert.equal(j.data[6 + 1], a.data[3]);
    check(() => sumLastAxis(b), [b]);
    const s = sumLastAxis(b);
    assert.deepEqual(s.shape, [3]);
    close(s.data[1], b.data[4] + b.data[5] + b.data[6] + b.data[7], 1e-5);
  });

  it('addScalar and sliceColumns', () => {
    const a = randn([3, 5], 16);
    check(() => addScalar(a, -5), [a]);
    check(() => sliceColumns(a, 1, 4), [a]);
    const s = sliceColumns(a, 3, 5);
    assert.deepEqual(s.shape, [3, 2]);
    assert.deepEqual(Array.from(s.data.subarray(2, 4)), Array.from(a.data.subarray(8, 10)));
    a.grad = null;
    sum(sliceColumns(a, 3, 5)).backward();
    assert.deepEqual(
      Array.from(a.grad!.subarray(5, 10)),
      [0, 0, 0, 1, 1],
      'only the sliced columns get a gradient',
    );
  });

  it('gaussianKl (σ kept well above 0 so ±eps stays in the domain)', () => {
    const mu = randn([3, 4], 17);
    const raw = randn([3, 4], 18);
    const sigma = new Tensor(
      raw.data.map((v) => 0.3 + Math.abs(v)),
      [3, 4],
      true,
    );
    check(() => gaussianKl(mu, sigma), [mu, sigma]);
    // Through the VIB's own parametrisation σ = softplus(pre − 5), where σ is small and 1/σ large.
    const mu2 = randn([2, 3], 19);
    const pre = randn([2, 3], 20);
    check(() => gaussianKl(mu2, softplus(addScalar(pre, -5))), [mu2, pre]);
  });

  it('scale', () => {
    const a = randn([2, 5], 3);
    check(() => scale(a, -2.5), [a]);
  });

  it('relu (away from the kink)', () => {
    const a = randn([4, 5], 4, true);
    check(() => relu(a), [a]);
  });

  it('sigmoid, tanh, softplus, exp', () => {
    const a = randn([3, 5], 5);
    check(() => sigmoid(a), [a]);
    check(() => tanh(a), [a]);
    check(() => softplus(a), [a]);
    check(() => exp(a), [a]);
  });

  it('softplus on both sides of its large-input branch', () => {
    const a = new Tensor(Float32Array.of(-30, -5, 19, 25), [4], true);
    check(() => softplus(a), [a]);
  });

  it('sum and mean', () => {
    const a = randn([3, 4], 6);
    check(() => sum(a), [a]);
    check(() => mean(a), [a]);
  });

  it('reshape and flatten', () => {
    const a = randn([2, 3, 4], 7);
    check(() => reshape(a, [6, -1]), [a]);
    check(() => mul(flatten(a), flatten(a)), [a]);
  });

  it('matmul', () => {
    const a = randn([3, 4], 8);
    const b = randn([4, 2], 9);
    check(() => matmul(a, b), [a, b]);
  });

  it('linear with and without bias', () => {
    const x = randn([5, 4], 10);
    const w = randn([3, 4], 11);
    const b = randn([3], 12);
    check(() => linear(x, w, b), [x, w, b]);
    check(() => linear(x, w, null), [x, w]);
  });

  it('softmaxCrossEntropy', () => {
    const logits = randn([4, 5], 13);
    const labels = [0, 4, 2, 2];
    check(() => softmaxCrossEntropy(logits, labels), [logits]);
  });

  it('dropout with a fixed mask seed', () => {
    const a = randn([4, 6], 14);
    check(() => dropout(a, 0.4, true, new Rng(99)), [a]);
  });

  it('a composite graph (linear → tanh → linear → cross-entropy)', () => {
    const x = randn([3, 4], 15);
    const w1 = randn([5, 4], 16);
    const b1 = randn([5], 17);
    const w2 = randn([3, 5], 18);
    const fn = (): Tensor => softmaxCrossEntropy(linear(tanh(linear(x, w1, b1)), w2, null), [2, 0, 1]);
    check(fn, [x, w1, b1, w2]);
  });
});

describe('ops values', () => {
  it('elementwise ops match hand-computed values', () => {
    const a = Tensor.from([1, -2, 3]);
    const b = Tensor.from([4, 5, -6]);
    assertClose(add(a, b).data, [5, 3, -3], 0);
    assertClose(sub(a, b).data, [-3, -7, 9], 0);
    assertClose(mul(a, b).data, [4, -10, -18], 0);
    assertClose(scale(a, 0.5).data, [0.5, -1, 1.5], 0);
    assertClose(relu(a).data, [1, 0, 3], 0);
    assertClose(sigmoid(Tensor.from([0])).data, [0.5], 1e-7);
    assertClose(tanh(Tensor.from([0.5])).data, [Math.tanh(0.5)], 1e-7);
    assertClose(exp(Tensor.from([1])).data, [Math.E], 1e-6);
    assertClose(softplus(Tensor.from([0])).data, [Math.LN2], 1e-7);
    assert.equal(sum(a).item(), 2);
    close(mean(a).item(), 2 / 3, 1e-7);
    assert.deepEqual(sum(a).shape, []);
  });

  it('gaussianKl matches KL(N(μ, σ²) ‖ N(0, 1)) by hand and its gradients μ and σ − 1/σ', () => {
    const mu = new Tensor(Float32Array.of(0, 1, -2, 0.5), [2, 2], true);
    const sigma = new Tensor(Float32Array.of(1, 0.5, 2, 0.1), [2, 2], true);
    const kl = gaussianKl(mu, sigma);
    assert.deepEqual(kl.shape, [2]);
    // Row 0: (0 + 1 − 1)/2 − ln 1 = 0 and (1 + 0.25 − 1)/2 − ln 0.5 = 0.125 + ln 2.
    close(kl.data[0], 0.125 + Math.LN2, 1e-6);
    // Row 1: (4 + 4 − 1)/2 − ln 2 = 3.5 − ln 2 and (0.25 + 0.01 − 1)/2 − ln 0.1 = −0.37 + ln 10.
    close(kl.data[1], 3.5 - Math.LN2 - 0.37 + Math.log(10), 1e-5);
    assert.equal(
      gaussianKl(Tensor.zeros([1, 3]), Tensor.full([1, 3], 1)).item(),
      0,
      'N(0, 1) against itself',
    );
    sum(kl).backward();
    assertClose(mu.grad!, [0, 1, -2, 0.5], 1e-7);
    assertClose(sigma.grad!, [0, 0.5 - 2, 2 - 0.5, 0.1 - 10], 1e-5);
  });

  it('sigmoid, tanh and softplus stay finite for ±1000', () => {
    const a = Tensor.from([-1000, 1000]);
    assertClose(sigmoid(a).data, [0, 1], 0);
    assertClose(tanh(a).data, [-1, 1], 0);
    assertClose(softplus(a).data, [0, 1000], 0);
  });

  it('matmul of a small case', () => {
    const a = Tensor.from([1, 2, 3, 4], [2, 2]);
    const b = Tensor.from([5, 6, 7, 8], [2, 2]);
    const c = matmul(a, b);
    assert.deepEqual(c.shape, [2, 2]);
    assertClose(c.data, [19, 22, 43, 50], 0);
    const d = matmul(Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]), Tensor.from([1, 0, -1], [3, 1]));
    assert.deepEqual(d.shape, [2, 1]);
    assertClose(d.data, [-2, -2], 0);
  });

  it('linear computes x·Wᵀ + b', () => {
    const x = Tensor.from([1, 2, 3, 4], [2, 2]);
    const w = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2]);
    const b = Tensor.from([10, 20, 30]);
    assertClose(linear(x, w, b).data, [11, 22, 33, 13, 24, 37], 0);
    assertClose(linear(x, w, null).data, [1, 2, 3, 3, 4, 7], 0);
  });

  it('softmaxCrossEntropy of known logits and its gradient', () => {
    const logits = new Tensor(Float32Array.of(1, 2, 3, 0, 0, 0), [2, 3], true);
    const loss = softmaxCrossEntropy(logits, [2, 0]);
    const row0 = Math.log(1 + Math.exp(-1) + Math.exp(-2)); // log Σe^z − z_2
    const row1 = Math.log(3);
    close(loss.item(), (row0 + row1) / 2, 1e-6);
    loss.backward();
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    const expected = [
      Math.exp(1) / z / 2,
      Math.exp(2) / z / 2,
      (Math.exp(3) / z - 1) / 2,
      (1 / 3 - 1) / 2,
      1 / 3 / 2,
      1 / 3 / 2,
    ];
    assertClose(logits.grad!, expected, 1e-6);
  });

  it('softmaxCrossEntropy is stable for logits of ±1000', () => {
    const logits = new Tensor(Float32Array.of(1000, -1000, -1000, 1000), [2, 2], true);
    const loss = softmaxCrossEntropy(logits, [0, 0]);
    // Row 0 is confidently right (loss 0), row 1 confidently wrong (loss 2000).
    close(loss.item(), 1000, 1e-3);
    loss.backward();
    assert.ok(logits.grad!.every(Number.isFinite));
    assertClose(logits.grad!, [0, 0, -0.5, 0.5], 1e-6);
    const big = softmaxCrossEntropy(Tensor.from([1000, 1000, 1000], [1, 3]), [1]);
    close(big.item(), Math.log(3), 1e-6);
  });

  it('reshape resolves -1 and shares the data; flatten keeps the batch axis', () => {
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    const r = reshape(a, [-1, 2]);
    assert.deepEqual(r.shape, [3, 2]);
    assert.deepEqual([...r.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(flatten(Tensor.zeros([4, 2, 3, 5])).shape, [4, 30]);
  });

  it('dropout: identity when evaluating or p = 0, inverted scaling and a reproducible mask when training', () => {
    const a = Tensor.full([2000], 1);
    assert.equal(dropout(a, 0.5, false, new Rng(1)), a);
    assert.equal(dropout(a, 0, true, new Rng(1)), a);
    const d = dropout(a, 0.25, true, new Rng(3));
    let zeros = 0;
    for (const v of d.data) {
      if (v === 0) zeros++;
      else close(v, 1 / 0.75, 1e-6);
    }
    close(zeros / a.size, 0.25, 0.04);
    assert.deepEqual(dropout(a, 0.25, true, new Rng(3)).data, d.data);
  });

  it('argmaxRows picks the first largest entry in each row', () => {
    const a = Tensor.from([0, 3, 1, 5, 5, -1], [2, 3]);
    assert.deepEqual([...argmaxRows(a)], [1, 0]);
  });
});

describe('autograd behaviour', () => {
  it('a tensor used twice accumulates both gradients', () => {
    const x = new Tensor(Float32Array.of(1.5, -2), [2], true);
    sum(mul(x, x)).backward();
    assertClose(x.grad!, [3, -4], 1e-6);
    x.grad = null;
    sum(add(mul(x, x), scale(x, 3))).backward(); // d/dx (x² + 3x) = 2x + 3
    assertClose(x.grad!, [6, -1], 1e-6);
    x.grad = null;
    const w = new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2], true);
    // d/dW_ab Σ(W·W) = (row sum of row b) + (column sum of column a); rows sum to [3, 7], columns to [4, 6].
    sum(matmul(w, w)).backward();
    assertClose(w.grad!, [3 + 4, 7 + 4, 3 + 6, 7 + 6], 1e-5);
  });

  it('leaf gradients accumulate across backward calls until zeroGrad', () => {
    const x = new Tensor(Float32Array.of(1, 2), [2], true);
    sum(scale(x, 2)).backward();
    sum(scale(x, 2)).backward();
    assertClose(x.grad!, [4, 4], 0);
    x.zeroGrad();
    assertClose(x.grad!, [0, 0], 0);
  });

  it('inputs that do not require grad receive none', () => {
    const x = new Tensor(Float32Array.of(1, 2), [2], true);
    const c = Tensor.from([3, 4]);
    sum(mul(x, c)).backward();
    assertClose(x.grad!, [3, 4], 0);
    assert.equal(c.grad, null);
  });

  it('backward frees intermediate grads and graph edges', () => {
    const x = new Tensor(Float32Array.of(1, 2), [2], true);
    const h = tanh(x);
    const loss = sum(h);
    loss.backward();
    assert.equal(h.grad, null);
    assert.equal(h.backwardFn, null);
    assert.equal(h.parents.length, 0);
    assert.ok(x.grad);
  });

  it('noGrad builds no graph and restores recording afterwards', () => {
    const x = new Tensor(Float32Array.of(1, 2), [2], true);
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return sum(mul(x, x));
    });
    assert.equal(isGradEnabled(), true);
    assert.equal(y.requiresGrad, false);
    assert.equal(y.backwardFn, null);
    assert.equal(y.parents.length, 0);
    assert.equal(y.item(), 5);
    assert.throws(() => y.backward(), /does not require grad/);
    assert.throws(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(isGradEnabled(), true);
  });

  it('ops on tensors that do not require grad record nothing', () => {
    const y = add(Tensor.from([1]), Tensor.from([2]));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.backwardFn, null);
  });

  it('backward on a non-scalar needs a seed', () => {
    const x = new Tensor(Float32Array.of(1, 2, 3), [3], true);
    assert.throws(() => scale(x, 2).backward(), /not a scalar/);
    scale(x, 2).backward(Float32Array.of(1, 0, -1));
    assertClose(x.grad!, [2, 0, -2], 0);
    assert.throws(() => scale(x, 2).backward(Float32Array.of(1, 2)), /seed/);
  });
});

describe('ops shape errors', () => {
  const a = Tensor.zeros([2, 3]);
  it('elementwise ops reject mismatched shapes', () => {
    assert.throws(() => add(a, Tensor.zeros([3, 2])), /add: shapes \[2, 3\] and \[3, 2\] differ/);
    assert.throws(() => sub(a, Tensor.zeros([6])), /sub: shapes/);
    assert.throws(() => mul(a, Tensor.zeros([2, 3, 1])), /mul: shapes/);
  });

  it('matmul and linear name the shapes', () => {
    assert.throws(() => matmul(a, Tensor.zeros([2, 3])), /matmul: cannot multiply \[2, 3\] by \[2, 3\]/);
    assert.throws(() => matmul(Tensor.zeros([6]), Tensor.zeros([6, 1])), /matmul/);
    assert.throws(
      () => linear(a, Tensor.zeros([4, 2]), null),
      /linear: input \[2, 3\] does not fit weight \[4, 2\]/,
    );
    assert.throws(() => linear(a, Tensor.zeros([4, 3]), Tensor.zeros([3])), /linear: bias \[3\]/);
  });

  it('softmaxCrossEntropy checks logits, label count and label range', () => {
    assert.throws(
      () => softmaxCrossEntropy(Tensor.zeros([6]), [0]),
      /softmaxCrossEntropy: logits must be \[B, C\]/,
    );
    assert.throws(() => softmaxCrossEntropy(a, [0]), /1 labels for batch 2/);
    assert.throws(() => softmaxCrossEntropy(a, [0, 3]), /label 3 at row 1/);
    assert.throws(() => softmaxCrossEntropy(a, [0, 1.5]), /label 1.5/);
  });

  it('sliceColumns and gaussianKl reject bad ranges, shapes and σ ≤ 0', () => {
    const a = Tensor.zeros([2, 4]);
    assert.throws(() => sliceColumns(a, 2, 2), /0 ≤ start < end ≤ 4, got \[2, 2\)/);
    assert.throws(() => sliceColumns(a, 0, 5), /got \[0, 5\)/);
    assert.throws(() => sliceColumns(Tensor.zeros([4]), 0, 1), /must be \[B, n\]/);
    assert.throws(() => gaussianKl(a, Tensor.zeros([2, 3])), /shapes \[2, 4\] and \[2, 3\] differ/);
    assert.throws(() => gaussianKl(a, Tensor.zeros([2, 4])), /sigma must be positive, got 0 at element 0/);
    assert.throws(() => gaussianKl(Tensor.zeros([4]), Tensor.full([4], 1)), /must be \[B, K\]/);
  });

  it('reshape and dropout reject invalid arguments', () => {
    assert.throws(() => reshape(a, [4, -1]), /reshape: cannot view \[2, 3\] as \[4, -1\]/);
    assert.throws(() => reshape(a, [7]), /reshape/);
    assert.throws(() => dropout(a, 1, true, new Rng(1)), /dropout: p must be in \[0, 1\)/);
    assert.throws(() => dropout(a, -0.1, true, new Rng(1)), /dropout/);
  });
});

// Cases that the mutation run (npm run mutation, docs/reliability.md) showed were not pinned down.
describe('ops: exact gradients, ties, bounds and shapes beyond 2-D', () => {
  /** dL/dx of L = Σ w·f(x) for the fixed weights w, and the forward values. */
  function gradOf(f: (x: Tensor) => Tensor, values: number[]): { y: Float32Array; g: Float32Array } {
    const x = new Tensor(Float32Array.from(values), [values.length], true);
    const w = Tensor.from(values.map((_, i) => 1 + i));
    const y = f(x);
    sum(mul(y, w)).backward();
    return { y: y.data, g: x.grad!.map((v, i) => v / (1 + i)) };
  }
  const xs = [-1.5, -0.2, 0.3, 2];

  it('every unary op: the gradient is its closed-form derivative (gradcheck does not fail on NaN)', () => {
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const cases: [string, (x: Tensor) => Tensor, (x: number) => number, (x: number) => number][] = [
      ['sigmoid', sigmoid, sig, (x) => sig(x) * (1 - sig(x))],
      ['tanh', tanh, Math.tanh, (x) => 1 - Math.tanh(x) ** 2],
      ['softplus', softplus, (x) => Math.log1p(Math.exp(x)), sig],
      ['exp', exp, Math.exp, Math.exp],
      ['addScalar', (x) => addScalar(x, -5), (x) => x - 5, () => 1],
      ['scale', (x) => scale(x, -2.5), (x) => -2.5 * x, () => -2.5],
      ['relu', relu, (x) => Math.max(0, x), (x) => (x > 0 ? 1 : 0)],
    ];
    for (const [name, op, f, df] of cases) {
      const { y, g } = gradOf(op, xs);
      assertClose(
        y,
        xs.map((x) => f(x)),
        1e-6,
      );
      for (let i = 0; i < xs.length; i++) close(g[i], df(xs[i]), 1e-6, `${name}'(${xs[i]}): ${g[i]}`);
    }
  });

  it('dropout: the gradient is the mask (0 or 1/(1 − p))', () => {
    const { y, g } = gradOf((x) => dropout(x, 0.5, true, new Rng(4)), [1, 1, 1, 1, 1, 1, 1, 1]);
    assertClose(g, y, 1e-6);
    assert.ok(g.some((v) => v === 0) && g.some((v) => v === 2), `mask ${g}`);
  });

  it('ties and bounds: minimum gives the gradient to a on ties, clamp passes it at lo and hi, relu′(0) = 0', () => {
    const a = new Tensor(Float32Array.of(1, 2, 3), [3], true);
    const b = new Tensor(Float32Array.of(1, 1, 4), [3], true);
    sum(minimum(a, b)).backward();
    assert.deepEqual([...a.grad!], [1, 0, 1]);
    assert.deepEqual([...b.grad!], [0, 1, 0]);
    const { g } = gradOf((x) => clamp(x, -1, 1), [-1, 1, -1.01, 1.01]);
    assert.deepEqual([...g], [1, 1, 0, 0]);
    assert.deepEqual([...gradOf(relu, [0, 1]).g], [0, 1]);
    assert.deepEqual([...clamp(Tensor.from([0, 3]), 2, 2).data], [2, 2], 'lo = hi is allowed');
  });

  it('repeatEach and sumLastAxis on more than one trailing element / axis', () => {
    const a = new Tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3], true);
    const r = repeatEach(a, 2);
    assert.deepEqual([...r.data], [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    // Weights 0..11: each element's gradient is the sum of its two copies' weights.
    sum(mul(r, Tensor.from([...Array(12).keys()], [4, 3]))).backward();
    assert.deepEqual([...a.grad!], [0 + 3, 1 + 4, 2 + 5, 6 + 9, 7 + 10, 8 + 11]);
    const b = new Tensor(Float32Array.from([...Array(24).keys()]), [2, 3, 4], true);
    const s = sumLastAxis(b);
    assert.deepEqual(s.shape, [2, 3]);
    assert.deepEqual([...s.data], [6, 22, 38, 54, 70, 86]);
    sum(mul(s, Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]))).backward();
    assert.deepEqual(
      [...b.grad!],
      [1, 2, 3, 4, 5, 6].flatMap((v) => [v, v, v, v]),
    );
  });

  it('argmaxRows looks at every row', () => {
    assert.deepEqual([...argmaxRows(Tensor.from([0, 3, 1, 5, 5, -1, 1, 2, 9], [3, 3]))], [1, 0, 2]);
    assert.deepEqual([...argmaxRows(Tensor.from([0, 0, 0, 1, 5, 3], [2, 3]))], [0, 1]);
  });

  it('matmul and linear give no gradient to inputs that do not require one', () => {
    const x = Tensor.from([1, 2, 3, 4], [2, 2]);
    const w = new Tensor(Float32Array.of(1, 0, 0, 1), [2, 2], true);
    const b = Tensor.from([1, 1]);
    sum(matmul(x, w)).backward();
    sum(linear(x, w, b)).backward();
    sum(matmul(w, x)).backward();
    assert.equal(x.grad, null);
    assert.equal(b.grad, null);
    assert.ok(w.grad);
    const v = new Tensor(Float32Array.of(1, 2), [1, 2], true);
    sum(linear(v, x, null)).backward();
    assert.equal(x.grad, null);
    assert.ok(v.grad);
  });

  it('FLOP counts: each op under its own name with its analytic count', () => {
    const a = Tensor.zeros([2, 3]);
    const w = Tensor.zeros([4, 3]);
    const ops: [string, () => Tensor, number][] = [
      ['add', () => add(a, a), 6],
      ['sub', () => sub(a, a), 6],
      ['mul', () => mul(a, a), 6],
      ['minimum', () => minimum(a, a), 6],
      ['scale', () => scale(a, 2), 6],
      ['relu', () => relu(a), 6],
      ['sigmoid', () => sigmoid(a), 6],
      ['tanh', () => tanh(a), 6],
      ['softplus', () => softplus(a), 6],
      ['exp', () => exp(a), 6],
      ['addScalar', () => addScalar(a, 1), 6],
      ['clamp', () => clamp(a, 0, 1), 6],
      ['sumLastAxis', () => sumLastAxis(a), 6],
      ['sum', () => sum(a), 6],
      ['matmul', () => matmul(a, Tensor.zeros([3, 5])), 2 * 2 * 5 * 3],
      ['linear', () => linear(a, w, null), 2 * 2 * 4 * 3],
      ['linear', () => linear(a, w, Tensor.zeros([4])), 2 * 2 * 4 * 3 + 2 * 4],
      ['softmaxCrossEntropy', () => softmaxCrossEntropy(a, [0, 2]), 2 * (5 * 3 + 3) + 2 + 1],
      ['dropout', () => dropout(a, 0.5, true, new Rng(1)), 6],
    ];
    for (const [name, op, flops] of ops) assert.deepEqual(countFlops(op).byOp, { [name]: flops }, name);
  });

  it('graph memory: softmaxCrossEntropy keeps its probabilities, dropout its mask, other ops nothing extra', () => {
    const x = new Tensor(new Float32Array(6), [2, 3], true);
    assert.equal(graphMemory(sigmoid(x)).savedBytes, 0);
    assert.equal(graphMemory(softmaxCrossEntropy(x, [0, 1])).savedBytes, 6 * 4);
    assert.equal(graphMemory(dropout(x, 0.5, true, new Rng(1))).savedBytes, 6 * 4);
  });

  it('bad arguments are refused with a message naming the op', () => {
    assert.throws(() => add(Tensor.zeros([2, 3, 4]), Tensor.zeros([2, 4, 3])), /add: shapes \[2, 3, 4\]/);
    assert.throws(
      () => minimum(Tensor.zeros([2]), Tensor.zeros([3])),
      /minimum: shapes \[2\] and \[3\] differ/,
    );
    assert.throws(() => gaussianKl(Tensor.zeros([2, 2]), Tensor.zeros([2, 3])), /gaussianKl: shapes/);
    assert.throws(() => clamp(Tensor.zeros([2]), 1, 0), /clamp: lo 1 must not exceed hi 0/);
    assert.throws(() => concatColumns([]), /concatColumns: nothing to join/);
    assert.throws(
      () => concatColumns([Tensor.zeros([2, 3]), Tensor.zeros([3, 1])]),
      /concatColumns: every part must be \[2, n\]; got \[2, 3\], \[3, 1\]/,
    );
    assert.throws(() => concatColumns([Tensor.zeros([2, 3]), Tensor.zeros([2])]), /concatColumns/);
    const a = Tensor.zeros([2, 4]);
    assert.throws(() => sliceColumns(a, 0.5, 2), /got \[0\.5, 2\)/);
    assert.throws(() => sliceColumns(a, 1, 2.5), /got \[1, 2\.5\)/);
    assert.throws(() => sliceColumns(a, -1, 2), /got \[-1, 2\)/);
    assert.deepEqual(sliceColumns(a, 0, 4).shape, [2, 4], 'the full range is allowed');
    const scalar = Tensor.zeros([]);
    assert.throws(() => sumLastAxis(scalar), /sumLastAxis: needs at least one axis/);
    assert.deepEqual(sumLastAxis(Tensor.zeros([3])).shape, [], 'one axis is enough');
    assert.throws(() => repeatEach(a, 0), /repeatEach: repeats must be a positive integer, got 0/);
    assert.throws(() => repeatEach(a, 1.5), /got 1\.5/);
    assert.throws(() => repeatEach(scalar, 2), /repeatEach: needs at least one axis/);
    assert.deepEqual(repeatEach(Tensor.zeros([3]), 2).shape, [6]);
    assert.deepEqual([...repeatEach(Tensor.from([1, 2]), 1).data], [1, 2], 'one repeat is allowed');
    assert.throws(() => matmul(Tensor.zeros([1, 2, 3]), Tensor.zeros([2, 3])), /matmul: cannot multiply/);
    assert.throws(() => matmul(Tensor.zeros([2, 3]), Tensor.zeros([3, 2, 1])), /matmul: cannot multiply/);
    // the second dimensions agree: only the number of axes is wrong
    assert.throws(() => linear(Tensor.zeros([2, 3, 1]), Tensor.zeros([4, 3]), null), /linear: input/);
    assert.throws(() => linear(Tensor.zeros([2, 3]), Tensor.zeros([4, 3, 1]), null), /linear: input/);
    assert.throws(() => linear(Tensor.zeros([2, 3]), Tensor.zeros([4, 3]), Tensor.zeros([4, 1])), /bias/);
    assert.throws(() => softmaxCrossEntropy(Tensor.zeros([2, 3]), [0, -1]), /label -1 at row 1/);
  });
});
