// gradcheck's own negative self-test: on an op whose backward is deliberately wrong (scaled, a
// sign error, a missing term, a missing input, one wrong element) it must report failure and
// name the input; the same op with the right backward must pass.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accumulateGrad, makeResult } from '../src/tensor/autograd.js';
import { GradcheckOptions, gradcheck } from '../src/tensor/gradcheck.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

interface Flaw {
  /** Multiplies ∂y/∂x. */
  scale?: number;
  /** ∂y/∂x = 2x − z instead of 2x + z (a sign error in one term). */
  flipTerm?: boolean;
  /** ∂y/∂x = 2x (the z term omitted). */
  dropTerm?: boolean;
  /** No gradient for z at all. */
  skipZ?: boolean;
  /** ∂y/∂x wrong (doubled) at this element only. */
  element?: number;
}

/** y = x² + x·z elementwise, with a backward carrying `flaw`. */
function probe(x: Tensor, z: Tensor, flaw: Flaw = {}): Tensor {
  const n = x.size;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = x.data[i] * x.data[i] + x.data[i] * z.data[i];
  return makeResult(y, x.shape, [x, z], () => (g) => {
    const gx = new Float32Array(n);
    const gz = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const zTerm = flaw.dropTerm ? 0 : flaw.flipTerm ? -z.data[i] : z.data[i];
      gx[i] = g[i] * (2 * x.data[i] + zTerm) * (flaw.scale ?? 1) * (i === flaw.element ? 2 : 1);
      gz[i] = g[i] * x.data[i];
    }
    accumulateGrad(x, gx, true);
    if (!flaw.skipZ) accumulateGrad(z, gz, true);
  });
}

function leaves(n: number, seed: number): [Tensor, Tensor] {
  const rng = new Rng(seed);
  // |values| ≥ 0.5, so every gradient is well above the absolute tolerance.
  const draw = () =>
    Float32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1) * rng.range(0.5, 2));
  return [new Tensor(draw(), [n], true), new Tensor(draw(), [n], true)];
}

function run(flaw: Flaw, opts: GradcheckOptions = {}, n = 16) {
  const [x, z] = leaves(n, 1);
  return gradcheck(() => probe(x, z, flaw), [x, z], opts);
}

describe('gradcheck negative self-test', () => {
  it('passes the right backward (the control: a failing verdict below is not a broken helper)', () => {
    const res = run({});
    assert.equal(res.ok, true, res.worst);
    assert.equal(res.checked, 32);
    assert.ok(res.maxAbsError < 1e-3, `max error ${res.maxAbsError}`);
    assert.equal(run({}, { atol: 1e-5, rtol: 1e-4 }).ok, true, 'and at tight tolerances');
  });

  it('fails a 5% scale error at its default tolerances, a 1% one at rtol 2e-3', () => {
    const five = run({ scale: 1.05 });
    assert.equal(five.ok, false);
    assert.match(five.worst, /^input 0 /);
    assert.equal(run({ scale: 0.95 }).ok, false);
    // The defaults (rtol 2e-2) are for float32 kernels; checks that must catch a 1% error pass a
    // smaller rtol.
    assert.equal(run({ scale: 1.01 }, { rtol: 2e-3 }).ok, false);
    assert.equal(run({ scale: 0.99 }, { rtol: 2e-3 }).ok, false);
  });

  it('fails a sign error, an omitted term and a sign-flipped gradient', () => {
    for (const flaw of [{ flipTerm: true }, { dropTerm: true }, { scale: -1 }]) {
      const res = run(flaw);
      assert.equal(res.ok, false, JSON.stringify(flaw));
      assert.ok(res.maxAbsError > 0.1, `${JSON.stringify(flaw)}: max error ${res.maxAbsError}`);
    }
  });

  it('fails when one input gets no gradient, and names that input', () => {
    const res = run({ skipZ: true });
    assert.equal(res.ok, false);
    assert.match(res.worst, /^input 1 /);
  });

  it('fails a gradient wrong in a single element, whichever it is, and names the element', () => {
    for (let element = 0; element < 16; element++) {
      const res = run({ element });
      assert.equal(res.ok, false, `element ${element}`);
      assert.match(res.worst, new RegExp(`^input 0 element ${element}:`));
    }
  });

  it('on a large input it samples maxElements entries: a wrong gradient throughout is still caught', () => {
    const res = run({ scale: 1.05 }, { maxElements: 8 }, 2000);
    assert.equal(res.checked, 16);
    assert.equal(res.ok, false);
  });
});
