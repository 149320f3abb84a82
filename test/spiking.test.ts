import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getBackend, setBackend } from '../src/kernels/index.js';
import { spikeCut } from '../src/kernels/js/spiking.js';
import { hhRatesWithDerivatives } from '../src/kernels/js/multibranch.js';
import { hhDeclared } from '../src/neurons/hh.js';
import { neuronSpikes } from '../src/nn/neuron-layer.js';
import { LEARNING_HH_RATE_NAMES } from '../src/kernels/spiking-types.js';
import { HH_SHIFTED, alphaH, alphaM, alphaN, betaH, betaM, betaN, restingState } from '../src/neurons/hh.js';
import {
  LEARNING_HH_FC_DEFAULTS,
  LEARNING_HH_MEMBRANE,
  LIF_FC_DEFAULTS,
  LearningHhRates,
  SLIF2HH_FC_DEFAULTS,
  SpikingOptions,
  learningHhSpikes,
  lifSpikes,
  slif2hhSpikes,
} from '../src/nn/spiking.js';
import {
  Surrogate,
  makeSurrogate,
  parseSurrogate,
  rectangular,
  surrogateNames,
} from '../src/nn/surrogate.js';
import { countFlops } from '../src/tensor/accounting.js';
import { accumulateGrad, makeResult, noGrad } from '../src/tensor/autograd.js';
import { GradcheckOptions, gradcheck } from '../src/tensor/gradcheck.js';
import { add, mul, relu, repeatEach, scale, sub, sum } from '../src/tensor/ops.js';
import { Shape, Tensor, shapeSize } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { close } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Helpers

function uniform(shape: Shape, lo: number, hi: number, seed: number, requiresGrad = true): Tensor {
  const rng = new Rng(seed);
  return new Tensor(
    Float32Array.from({ length: shapeSize(shape) }, () => rng.range(lo, hi)),
    shape,
    requiresGrad,
  );
}

/**
 * gradcheck plus a meaningfulness check: every input has some gradient well above the absolute
 * tolerance (default: 10·atol), so a wrong-but-small gradient cannot pass unnoticed.
 */
function check(fn: () => Tensor, inputs: Tensor[], opts: GradcheckOptions & { minGrad?: number } = {}): void {
  const res = gradcheck(fn, inputs, opts);
  assert.ok(res.ok, `gradcheck failed: max |error| ${res.maxAbsError} at ${res.worst}`);
  assert.ok(res.checked > 0);
  const minGrad = opts.minGrad ?? 10 * (opts.atol ?? 1e-3);
  for (const [k, x] of inputs.entries()) {
    const g = x.grad ?? new Float32Array(x.size);
    const largest = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(largest > minGrad, `input ${k}: largest |gradient| ${largest} ≤ ${minGrad}`);
  }
}

function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = '',
): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    const scaleTol = tol * Math.max(1, Math.abs(expected[i]));
    close(
      actual[i],
      expected[i],
      scaleTol,
      `${what} element ${i}: expected ${expected[i]}, got ${actual[i]}`,
    );
  }
}

function randomSeed(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Grad of Σ out·r w.r.t. the given leaves (fresh grads). */
function gradsOf(fn: () => Tensor, leaves: Tensor[], seed: number): Float32Array[] {
  for (const l of leaves) l.grad = null;
  const out = fn();
  out.backward(randomSeed(out.size, seed));
  return leaves.map((l) => (l.grad ?? new Float32Array(l.size)).slice());
}

const SURROGATES_FOR_CHECKS: Surrogate[] = [
  makeSurrogate('rectangular', 0.6),
  makeSurrogate('sigmoid', 3),
  makeSurrogate('arctan', 2),
  makeSurrogate('fast-sigmoid', 4),
];

// ---------------------------------------------------------------------------------------------
// Independent straightforward per-step implementations (forward only, float64)

function refLif(
  x: Float32Array,
  B: number,
  N: number,
  T: number,
  timeVarying: boolean,
  decay: number,
  th: number,
): { spikes: Float64Array; mem: Float64Array } {
  const BN = B * N;
  const spikes = new Float64Array(T * BN);
  const mem = new Float64Array(T * BN);
  const m = new Float64Array(BN);
  const s = new Float64Array(BN);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < BN; i++) {
      const input = timeVarying ? x[t * BN + i] : x[i];
      m[i] = decay * m[i] * (1 - s[i]) + input;
      s[i] = m[i] > th ? 1 : 0;
      mem[t * BN + i] = m[i];
      spikes[t * BN + i] = s[i];
    }
  }
  return { spikes, mem };
}

type RateArrays = Record<(typeof LEARNING_HH_RATE_NAMES)[number], Float32Array>;

function refLearningHh(
  x: Float32Array,
  B: number,
  N: number,
  T: number,
  timeVarying: boolean,
  dt: ArrayLike<number>,
  r: RateArrays,
  th: number,
): { spikes: Float64Array; v: Float64Array } {
  const { gNa, gK, gL, ENa, EK, EL, C } = LEARNING_HH_MEMBRANE;
  const BN = B * N;
  const spikes = new Float64Array(T * BN);
  const vs = new Float64Array(T * BN);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < N; j++) {
      const i = b * N + j;
      let v = 0;
      let n = 0;
      let m = 0;
      let h = 0;
      for (let t = 0; t < T; t++) {
        const I = timeVarying ? x[t * BN + i] : x[i];
        const iNa = gNa * m ** 3 * h * (v - ENa);
        const iK = gK * n ** 4 * (v - EK);
        const iL = gL * (v - EL);
        const d = dt[j];
        const v1 = v + (d * (I - iNa - iK - iL)) / C;
        const n1 = n + d * (r.alphaN[j] * (1 - n) - r.betaN[j] * n);
        const m1 = m + d * (r.alphaM[j] * (1 - m) - r.betaM[j] * m);
        const h1 = h + d * (r.alphaH[j] * (1 - h) - r.betaH[j] * h);
        v = v1;
        n = n1;
        m = m1;
        h = h1;
        vs[t * BN + i] = v;
        spikes[t * BN + i] = v > th ? 1 : 0;
      }
    }
  }
  return { spikes, v: vs };
}

function refFullHh(x: Float32Array, BN: number, T: number, dt: number, th: number): Float64Array {
  const p = HH_SHIFTED;
  const rest = restingState(p);
  const spikes = new Float64Array(T * BN);
  for (let i = 0; i < BN; i++) {
    let { v, m, h, n } = rest;
    for (let t = 0; t < T; t++) {
      const I = x[i];
      const dv = I - p.gNa * m ** 3 * h * (v - p.ENa) - p.gK * n ** 4 * (v - p.EK) - p.gL * (v - p.EL);
      const dm = alphaM(v) * (1 - m) - betaM(v) * m;
      const dh = alphaH(v) * (1 - h) - betaH(v) * h;
      const dn = alphaN(v) * (1 - n) - betaN(v) * n;
      v += (dt * dv) / p.C;
      m += dt * dm;
      h += dt * dh;
      n += dt * dn;
      spikes[t * BN + i] = v > th ? 1 : 0;
    }
  }
  return spikes;
}

function refSlif2hh(
  x: Float32Array,
  B: number,
  N: number,
  T: number,
  w: Float32Array,
  decay: number,
  th: number,
): Float64Array {
  // Output [T][B][4N].
  const out = new Float64Array(T * B * 4 * N);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < N; j++) {
      const m = [0, 0, 0, 0];
      const s = [0, 0, 0, 0];
      for (let t = 0; t < T; t++) {
        for (let k = 0; k < 3; k++) {
          m[k] = decay * m[k] * (1 - s[k]) + x[b * 3 * N + k * N + j];
        }
        let y = 0;
        for (let k = 0; k < 3; k++) y += Math.abs(w[3 * j + k]) * m[k];
        m[3] = decay * m[3] * (1 - s[3]) + y;
        for (let k = 0; k < 4; k++) {
          s[k] = m[k] > th ? 1 : 0;
          out[t * B * 4 * N + b * 4 * N + k * N + j] = s[k];
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Independent autograd references built from library ops (BPTT by the tape, not by hand)

/** Heaviside forward, surrogate backward. */
function spikeOp(u: Tensor, th: number, sur: Surrogate): Tensor {
  const out = u.data.map((v) => (v > th ? 1 : 0));
  return makeResult(out, u.shape, [u], () => (g) => {
    accumulateGrad(
      u,
      g.map((gi, i) => gi * sur.grad(u.data[i] - th)),
    );
  });
}

/** Columns [from, from + n) of a [B, F] tensor. */
function columns(x: Tensor, from: number, n: number): Tensor {
  const [B, F] = x.shape;
  const out = new Float32Array(B * n);
  for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) out[b * n + j] = x.data[b * F + from + j];
  return makeResult(out, [B, n], [x], () => (g) => {
    const gx = new Float32Array(x.size);
    for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) gx[b * F + from + j] = g[b * n + j];
    accumulateGrad(x, gx);
  });
}

/** Column k of w [N, 3] tiled over B rows → [B, N]. */
function tiledWeight(w: Tensor, k: number, B: number): Tensor {
  const N = w.size / 3;
  const out = new Float32Array(B * N);
  for (let b = 0; b < B; b++) for (let j = 0; j < N; j++) out[b * N + j] = w.data[3 * j + k];
  return makeResult(out, [B, N], [w], () => (g) => {
    const gw = new Float32Array(w.size);
    for (let b = 0; b < B; b++) for (let j = 0; j < N; j++) gw[3 * j + k] += g[b * N + j];
    accumulateGrad(w, gw);
  });
}

const absOp = (t: Tensor): Tensor => add(relu(t), relu(scale(t, -1)));

/** One LIF step by ops: mem = decay·mem·(1 − s) + x (reset factor detached if asked). */
function lifStepOps(
  mem: Tensor | null,
  s: Tensor | null,
  x: Tensor,
  decay: number,
  detachReset: boolean,
): Tensor {
  if (!mem || !s) return add(scale(x, 0), x);
  const keep = sub(Tensor.full(s.shape, 1), detachReset ? s.detach() : s);
  return add(scale(mul(mem, keep), decay), x);
}

/** Σ_t Σ_i s_t[i]·r[t][i] for the LIF by ops, static input x [B, N]. */
function lifLossByOps(
  x: Tensor,
  T: number,
  decay: number,
  th: number,
  sur: Surrogate,
  r: Float32Array,
  detachReset: boolean,
): Tensor {
  let mem: Tensor | null = null;
  let s: Tensor | null = null;
  let loss: Tensor | null = null;
  for (let t = 0; t < T; t++) {
    mem = lifStepOps(mem, s, x, decay, detachReset);
    s = spikeOp(mem, th, sur);
    const rt = new Tensor(r.slice(t * x.size, (t + 1) * x.size), x.shape);
    const term = sum(mul(s, rt));
    loss = loss ? add(loss, term) : term;
  }
  return loss!;
}

/** Same for s-LIF2HH, static input x [B, 3N], w [N, 3]; r laid out [T][B][4N]. */
function slifLossByOps(
  x: Tensor,
  w: Tensor,
  T: number,
  decay: number,
  th: number,
  sur: Surrogate,
  r: Float32Array,
  detachReset: boolean,
): Tensor {
  const [B, F] = x.shape;
  const N = F / 3;
  const xs = [0, 1, 2].map((k) => columns(x, k * N, N));
  const aw = [0, 1, 2].map((k) => absOp(tiledWeight(w, k, B)));
  const mem: (Tensor | null)[] = [null, null, null, null];
  const s: (Tensor | null)[] = [null, null, null, null];
  let loss: Tensor | null = null;
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < 3; k++) mem[k] = lifStepOps(mem[k], s[k], xs[k], decay, detachReset);
    const y = add(add(mul(aw[0], mem[0]!), mul(aw[1], mem[1]!)), mul(aw[2], mem[2]!));
    mem[3] = lifStepOps(mem[3], s[3], y, decay, detachReset);
    for (let k = 0; k < 4; k++) {
      s[k] = spikeOp(mem[k]!, th, sur);
      const rk = new Float32Array(B * N);
      for (let b = 0; b < B; b++)
        for (let j = 0; j < N; j++) rk[b * N + j] = r[t * B * 4 * N + b * 4 * N + k * N + j];
      const term = sum(mul(s[k]!, new Tensor(rk, [B, N])));
      loss = loss ? add(loss, term) : term;
    }
  }
  return loss!;
}

// ---------------------------------------------------------------------------------------------
// Surrogates

describe('surrogates', () => {
  it('registry: names, defaults, parsing and errors', () => {
    assert.deepEqual(surrogateNames(), ['rectangular', 'sigmoid', 'arctan', 'fast-sigmoid']);
    assert.equal(parseSurrogate('arctan').param, 2);
    assert.equal(parseSurrogate('rectangular').param, 0.5);
    assert.equal(parseSurrogate('sigmoid').param, 4);
    assert.equal(parseSurrogate('fast-sigmoid').param, 25);
    assert.equal(parseSurrogate('sigmoid:5').param, 5);
    assert.equal(parseSurrogate(' Rectangular : 0.3 ').param, 0.3);
    assert.throws(
      () => parseSurrogate('gaussian'),
      /unknown surrogate 'gaussian'.*rectangular, sigmoid, arctan, fast-sigmoid/,
    );
    assert.throws(() => parseSurrogate('sigmoid:abc'), /not a number/);
    assert.throws(() => makeSurrogate('arctan', 0), /alpha must be a finite number > 0/);
    assert.throws(() => makeSurrogate('rectangular', -1), /width/);
  });

  it('derivative values: height 1 at the defaults, strict rectangular window', () => {
    const rect = rectangular(0.3);
    assert.equal(rect.grad(0), 1);
    assert.equal(rect.grad(0.29), 1);
    assert.equal(rect.grad(0.3), 0);
    assert.equal(rect.grad(-0.31), 0);
    close(parseSurrogate('sigmoid').grad(0), 1, 1e-15);
    close(parseSurrogate('arctan').grad(0), 1, 1e-15);
    close(parseSurrogate('fast-sigmoid').grad(0), 12.5, 1e-12);
    close(parseSurrogate('fast-sigmoid:25').grad(0.04), 12.5 / 4, 1e-12);
  });

  it("primitive' = grad (central differences) and the primitives step from 0 to the surrogate's area", () => {
    for (const name of surrogateNames()) {
      for (const param of [0.5, 2, 7]) {
        const s = makeSurrogate(name, param);
        for (const x of [-3, -1.1, -0.37, -0.05, 0.01, 0.2, 0.45, 0.9, 2.5]) {
          // Keep the rectangular kinks out of the difference stencil.
          if (name === 'rectangular' && Math.abs(Math.abs(x) - param) < 1e-3) continue;
          const h = 1e-6;
          const numeric = (s.primitive(x + h) - s.primitive(x - h)) / (2 * h);
          close(numeric, s.grad(x), 1e-6 * Math.max(1, s.grad(x)), `${name}(${param}) at ${x}`);
        }
        close(s.primitive(-1e9), 0, 1e-8, `${name} P(−∞)`);
        close(s.primitive(1e9), name === 'rectangular' ? 2 * param : 1, 1e-8, `${name} P(+∞)`);
      }
    }
  });

  it('spikeCut: u > cut exactly when float32(u) > θ', () => {
    const rng = new Rng(3);
    for (const th of [0, 0.2, 0.3, 2, 2.3, 50, -1.7, 1e-30, 0.1 + 1e-9]) {
      const cut = spikeCut(th);
      for (let k = 0; k < 2000; k++) {
        const u = th + (rng.uniform() - 0.5) * Math.max(1e-6, Math.abs(th) * 1e-6) * (k % 2 ? 1 : 1e-3);
        assert.equal(u > cut, Math.fround(u) > th, `θ ${th}, u ${u}`);
      }
      for (const u of [cut, cut * (1 + 1e-16), Math.fround(th), th])
        assert.equal(u > cut, Math.fround(u) > th);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// LIF

describe('lifSpikes', () => {
  it('hand-computed spike train: decay 0.5, θ 1, constant 0.6', () => {
    // mem: 0.6, 0.9, 1.05 (spike), 0.6 (reset), 0.9, 1.05 (spike)
    const x = Tensor.from([0.6], [1, 1]);
    const spikes = lifSpikes(x, { T: 6, decay: 0.5, threshold: 1, output: 'spikes' });
    assert.deepEqual([...spikes.data], [0, 0, 1, 0, 0, 1]);
    assert.deepEqual(spikes.shape, [6, 1, 1]);
    const rate = lifSpikes(x, { T: 6, decay: 0.5, threshold: 1 });
    assert.deepEqual(rate.shape, [1, 1]);
    close(rate.item(), 2 / 6, 1e-7);
  });

  it('matches an independent per-step implementation (static and time-varying, spikes and rate)', () => {
    const B = 3;
    const N = 7;
    const T = 9;
    const xs = uniform([B, N], -0.2, 0.9, 1, false);
    const xt = uniform([T, B, N], -0.5, 1.2, 2, false);
    for (const [x, tv] of [
      [xs, false],
      [xt, true],
    ] as const) {
      const ref = refLif(x.data, B, N, T, tv, 0.3, 0.5);
      const opts = { T, timeVarying: tv, decay: 0.3, threshold: 0.5 };
      const spikes = lifSpikes(x, { ...opts, output: 'spikes' });
      assert.deepEqual([...spikes.data], [...ref.spikes]);
      assert.ok(ref.spikes.some((s) => s === 1) && ref.spikes.some((s) => s === 0));
      const rate = lifSpikes(x, opts);
      for (let i = 0; i < B * N; i++) {
        let c = 0;
        for (let t = 0; t < T; t++) c += ref.spikes[t * B * N + i];
        close(rate.data[i], c / T, 1e-6);
      }
    }
  });

  it('defaults are the reference fc constants', () => {
    assert.equal(LIF_FC_DEFAULTS.decay, 0.2);
    assert.equal(LIF_FC_DEFAULTS.threshold, 0.3);
    assert.equal(LIF_FC_DEFAULTS.surrogate.name, 'rectangular');
    const x = uniform([4, 5], 0, 1, 3, false);
    const ref = refLif(x.data, 4, 5, 5, false, 0.2, 0.3);
    assert.deepEqual([...lifSpikes(x, { T: 5, output: 'spikes' }).data], [...ref.spikes]);
  });

  for (const sur of SURROGATES_FOR_CHECKS) {
    it(`BPTT gradcheck (smooth forward), ${sur.name}: static/time-varying × spikes/rate`, () => {
      const B = 2;
      const N = 3;
      const T = 6;
      const common = { decay: 0.5, threshold: 0.5, surrogate: sur, smoothCheck: true };
      const xs = uniform([B, N], 0.05, 0.6, 11);
      const xt = uniform([T, B, N], -0.1, 0.9, 12);
      const eps = sur.name === 'rectangular' ? 1e-3 : 1e-2;
      for (const output of ['spikes', 'rate'] as const) {
        check(() => lifSpikes(xs, { ...common, T, output }), [xs], { eps });
        check(() => lifSpikes(xt, { ...common, timeVarying: true, output }), [xt], { eps });
        check(() => lifSpikes(xs, { ...common, T, output, detachReset: false }), [xs], { eps });
      }
    });
  }

  for (const sur of [rectangular(0.5), makeSurrogate('sigmoid', 4)]) {
    it(`hard-spike BPTT equals the tape autograd of a per-step op graph (${sur.name}, reset attached and detached)`, () => {
      const B = 4;
      const N = 8;
      const T = 8;
      // Membranes land below, inside and above the window θ ± a, so both window edges matter.
      const x = uniform([B, N], -0.3, 1.8, 21);
      const r = randomSeed(T * B * N, 5);
      for (const detachReset of [false, true]) {
        const opts = {
          T,
          decay: 0.6,
          threshold: 0.7,
          surrogate: sur,
          output: 'spikes' as const,
          detachReset,
        };
        x.grad = null;
        lifSpikes(x, opts).backward(r);
        const fused = x.grad!.slice();
        x.grad = null;
        lifLossByOps(x, T, 0.6, 0.7, sur, r, detachReset).backward();
        assertAllClose(fused, x.grad!, 1e-5, `detachReset ${detachReset}`);
        assert.ok(fused.some((g) => Math.abs(g) > 1e-3));
      }
      // Detaching the reset changes the gradient (the reset path carries gradient otherwise).
      const [g1] = gradsOf(() => lifSpikes(x, { T, decay: 0.6, threshold: 0.7, surrogate: sur }), [x], 9);
      const [g2] = gradsOf(
        () => lifSpikes(x, { T, decay: 0.6, threshold: 0.7, surrogate: sur, detachReset: true }),
        [x],
        9,
      );
      assert.ok(g1.some((g, i) => Math.abs(g - g2[i]) > 1e-4));
    });
  }

  it('rate output backward equals spikes output backward with gradOut/T at every step', () => {
    const B = 2;
    const N = 5;
    const T = 7;
    const x = uniform([B, N], 0, 1, 31);
    const g = randomSeed(B * N, 4);
    x.grad = null;
    lifSpikes(x, { T }).backward(g);
    const viaRate = x.grad!.slice();
    const gT = new Float32Array(T * B * N);
    for (let t = 0; t < T; t++) for (let i = 0; i < B * N; i++) gT[t * B * N + i] = g[i] / T;
    x.grad = null;
    lifSpikes(x, { T, output: 'spikes' }).backward(gT);
    assertAllClose(viaRate, x.grad!, 1e-6);
  });

  it('records nothing under noGrad and for inputs without grad', () => {
    const x = uniform([2, 3], 0, 1, 1);
    const y = noGrad(() => lifSpikes(x, { T: 3 }));
    assert.equal(y.requiresGrad, false);
    assert.equal(lifSpikes(x.detach(), { T: 3 }).requiresGrad, false);
  });

  it('multi-dimensional features keep their shape', () => {
    const x = uniform([2, 3, 4, 4], 0, 1, 2);
    const y = lifSpikes(x, { T: 4 });
    assert.deepEqual(y.shape, [2, 3, 4, 4]);
    const flat = lifSpikes(new Tensor(x.data, [2, 48]), { T: 4 });
    assert.deepEqual([...y.data], [...flat.data]);
    assert.deepEqual(lifSpikes(x, { T: 4, output: 'spikes' }).shape, [4, 2, 3, 4, 4]);
  });
});

// ---------------------------------------------------------------------------------------------
// Learning HH

function rateTensors(N: number, lo: number, hi: number, seed: number, requiresGrad = true): LearningHhRates {
  const rng = new Rng(seed);
  const mk = (): Tensor =>
    new Tensor(
      Float32Array.from({ length: N }, () => rng.range(lo, hi)),
      [N],
      requiresGrad,
    );
  return { alphaN: mk(), betaN: mk(), alphaM: mk(), betaM: mk(), alphaH: mk(), betaH: mk() };
}

function rateArrays(r: LearningHhRates, N: number): RateArrays {
  const out = {} as RateArrays;
  for (const k of LEARNING_HH_RATE_NAMES) {
    const v = r[k];
    out[k] = v instanceof Tensor ? v.data : new Float32Array(N).fill(v);
  }
  return out;
}

describe('learningHhSpikes', () => {
  it('first two steps by hand (kernel saved v)', () => {
    const N = 2;
    const dt = new Float32Array([0.1, 0.05]);
    const I = new Float32Array([3, 7]);
    // rates [6][N]: αn, βn, αm, βm, αh, βh
    const rates = Float32Array.from([0.5, 0.2, 0.3, 0.1, 0.8, 0.4, 0.6, 0.9, 0.7, 0.2, 0.1, 0.3]);
    const T = 2;
    const v = new Float32Array(T * N);
    const out = new Float32Array(T * N);
    getBackend().learningHhForward({
      batch: 1,
      neurons: N,
      steps: T,
      timeVarying: false,
      rateOutput: false,
      threshold: 0.5,
      surrogate: 0,
      surrogateParam: 0.3,
      smooth: false,
      constants: LEARNING_HH_MEMBRANE,
      dt,
      rates,
      input: I,
      out,
      v,
    });
    for (let j = 0; j < N; j++) {
      const d = dt[j];
      // Step 0 from v = n = m = h = 0: only the leak acts, −gL·(0 − EL).
      const v0 = d * (I[j] + 0.3 * 10.6);
      close(v[j], v0, 1e-6, `v0[${j}]`);
      const n0 = d * rates[j];
      const m0 = d * rates[2 * N + j];
      const h0 = d * rates[4 * N + j];
      const v1 =
        v0 + d * (I[j] - 120 * m0 ** 3 * h0 * (v0 - 115) - 36 * n0 ** 4 * (v0 + 12) - 0.3 * (v0 - 10.6));
      close(v[N + j], v1, 1e-6, `v1[${j}]`);
      assert.equal(out[j], v[j] > 0.5 ? 1 : 0);
      assert.equal(out[N + j], v[N + j] > 0.5 ? 1 : 0);
    }
  });

  it('matches an independent per-step implementation (per-neuron dt, static and time-varying)', () => {
    const B = 3;
    const N = 5;
    const T = 12;
    const rates = rateTensors(N, 0.05, 1.5, 1, false);
    const dt = uniform([N], 0.02, 0.2, 2, false);
    const xs = uniform([B, N], 0, 30, 3, false);
    const xt = uniform([T, B, N], -5, 40, 4, false);
    for (const [x, tv] of [
      [xs, false],
      [xt, true],
    ] as const) {
      const ref = refLearningHh(x.data, B, N, T, tv, dt.data, rateArrays(rates, N), 4);
      const y = learningHhSpikes(x, rates, { T, timeVarying: tv, dt, threshold: 4, output: 'spikes' });
      assert.deepEqual([...y.data], [...ref.spikes]);
      assert.ok(ref.spikes.some((s) => s === 1) && ref.spikes.some((s) => s === 0));
    }
  });

  for (const backend of ['js', 'wasm']) {
    it(`${backend}: a static input's backward recomputes v (nothing T-long kept), with saveVoltage's gradients`, () => {
      const previous = getBackend().name;
      setBackend(backend);
      try {
        const [B, N, T] = [6, 37, 15];
        const rates = rateTensors(N, 0.05, 1.5, 11, false);
        for (const output of ['rate', 'spikes'] as const) {
          for (const detachIonic of [false, true]) {
            const opts = { T, dt: 0.1, threshold: 2, surrogate: 'rectangular:0.5', output, detachIonic };
            const run = (saveVoltage: boolean): [Tensor, Tensor] => {
              const x = uniform([B, N], 0, 30, 12);
              return [learningHhSpikes(x, rates, { ...opts, saveVoltage }), x];
            };
            const [y1, x1] = run(false);
            const [y2, x2] = run(true);
            assert.deepEqual(y1.data, y2.data, `${output} output`);
            const kept = (y: Tensor) => y.savedForBackward.reduce((n, b) => n + b.byteLength, 0);
            assert.equal(
              kept(y2) - kept(y1),
              4 * T * B * N - 4 * B * N,
              'v [T, B, N] kept only with saveVoltage',
            );
            const g = uniform(y1.shape, -1, 1, 13, false).data;
            y1.backward(g);
            y2.backward(g);
            const label = `${backend} ${output}${detachIonic ? ' detachIonic' : ''} input grad`;
            x2.grad!.forEach((want, i) =>
              close(x1.grad![i], want, 1e-5 * (1 + Math.abs(want)), `${label}[${i}]`),
            );
          }
        }
      } finally {
        setBackend(previous);
      }
    });
  }

  it('reference fc defaults: dt 0.01, θ 0.2, rectangular 0.3; rates U(0, 0.01)', () => {
    assert.equal(LEARNING_HH_FC_DEFAULTS.dt, 0.01);
    assert.equal(LEARNING_HH_FC_DEFAULTS.threshold, 0.2);
    assert.equal(LEARNING_HH_FC_DEFAULTS.surrogate.param, 0.3);
    const N = 6;
    const rates = rateTensors(N, 0, 0.01, 5, false);
    const x = uniform([2, N], 0, 3, 6, false);
    const ref = refLearningHh(
      x.data,
      2,
      N,
      15,
      false,
      new Float32Array(N).fill(0.01),
      rateArrays(rates, N),
      0.2,
    );
    assert.deepEqual([...learningHhSpikes(x, rates, { T: 15, output: 'spikes' }).data], [...ref.spikes]);
  });

  for (const sur of SURROGATES_FOR_CHECKS) {
    it(`BPTT gradcheck (smooth forward), ${sur.name}: input and learnable rates`, () => {
      const B = 2;
      const N = 3;
      const T = 6;
      const rates = rateTensors(N, 0.2, 1.2, 7);
      const leaves = LEARNING_HH_RATE_NAMES.map((k) => rates[k] as Tensor);
      const common = { dt: 0.1, threshold: 2, surrogate: sur, smoothCheck: true };
      const xs = uniform([B, N], 1, 8, 8);
      const xt = uniform([T, B, N], 0, 10, 9);
      const eps = sur.name === 'rectangular' ? 2e-3 : 1e-2;
      // Rate gradients are small (the gates start at 0), so they get a tighter absolute tolerance.
      const rateTol = { eps, atol: sur.name === 'rectangular' ? 5e-5 : 2e-5, minGrad: 1e-4 };
      for (const output of ['rate', 'spikes'] as const) {
        const run = (): Tensor => learningHhSpikes(xs, rates, { ...common, T, output });
        check(run, [xs], { eps });
        for (const leaf of leaves) check(run, [leaf], rateTol);
      }
      const runT = (): Tensor => learningHhSpikes(xt, rates, { ...common, timeVarying: true });
      check(runT, [xt], { eps });
      for (const leaf of leaves) check(runT, [leaf], rateTol);
    });
  }

  it('hard-mode backward with the inline rectangular window equals the generic surrogate path', () => {
    // Learning HH has no reset, so backward sees the spike only through the surrogate derivative:
    // the smooth flag (which selects the column path) cannot change the gradient.
    const B = 2;
    const N = 4;
    const T = 8;
    const be = getBackend();
    const base = {
      batch: B,
      neurons: N,
      steps: T,
      timeVarying: false,
      rateOutput: true,
      threshold: 1.5,
      surrogate: 0,
      surrogateParam: 0.8,
      smooth: false,
      constants: LEARNING_HH_MEMBRANE,
      dt: new Float32Array(N).fill(0.1),
      rates: uniform([6 * N], 0.2, 1, 1, false).data,
    };
    const input = uniform([B * N], 0, 6, 2, false).data;
    const v = new Float32Array(T * B * N);
    be.learningHhForward({ ...base, input, out: new Float32Array(B * N), v });
    const gradOut = randomSeed(B * N, 3);
    const run = (smooth: boolean): Float32Array[] => {
      const gradInput = new Float32Array(B * N);
      const gradRates = new Float32Array(6 * N);
      be.learningHhBackward({ ...base, smooth, detachIonic: false, v, gradOut, gradInput, gradRates });
      return [gradInput, gradRates];
    };
    const [gi1, gr1] = run(false);
    const [gi2, gr2] = run(true);
    assert.deepEqual([...gi1], [...gi2]);
    assert.deepEqual([...gr1], [...gr2]);
    assert.ok(gi1.some((g) => g !== 0));
  });

  it('detachIonic: no rate gradients; input gradient dt·Σ_{t′≥t} g·sg(v[t′] − θ)', () => {
    const B = 2;
    const N = 3;
    const T = 6;
    const sur = makeSurrogate('sigmoid', 2);
    const rates = rateTensors(N, 0.2, 1.2, 17);
    const leaves = LEARNING_HH_RATE_NAMES.map((k) => rates[k] as Tensor);
    const x = uniform([T, B, N], 0, 10, 18);
    const opts = {
      timeVarying: true,
      dt: 0.1,
      threshold: 2,
      surrogate: sur,
      detachIonic: true,
      output: 'spikes' as const,
    };
    const grads = gradsOf(() => learningHhSpikes(x, rates, opts), [x, ...leaves], 6);
    for (const g of grads.slice(1)) assert.ok(g.every((v) => v === 0));
    const g = randomSeed(T * B * N, 6);
    const { v } = refLearningHh(
      x.data,
      B,
      N,
      T,
      true,
      new Float32Array(N).fill(0.1),
      rateArrays(rates, N),
      2,
    );
    const BN = B * N;
    for (let i = 0; i < BN; i++) {
      let acc = 0;
      for (let t = T - 1; t >= 0; t--) {
        acc += g[t * BN + i] * sur.grad(v[t * BN + i] - 2);
        close(grads[0][t * BN + i], 0.1 * acc, 1e-4, `t ${t} i ${i}`);
      }
    }
    // Without detaching, the ionic path changes the input gradient and the rates get gradients.
    const full = gradsOf(
      () => learningHhSpikes(x, rates, { ...opts, detachIonic: false }),
      [x, ...leaves],
      6,
    );
    assert.ok(full[0].some((gv, i) => Math.abs(gv - grads[0][i]) > 1e-5));
    assert.ok(full.slice(1).every((gr) => gr.some((gv) => gv !== 0)));
  });

  it('scalar rates, scalar/per-neuron dt and multi-dimensional features', () => {
    const N = 12;
    const x = uniform([2, 3, 2, 2], 0, 10, 1);
    const shared = { alphaN: 0.3, betaN: 0.2, alphaM: 0.6, betaM: 0.1, alphaH: 0.2, betaH: 0.4 };
    const scalarT = Object.fromEntries(
      Object.entries(shared).map(([k, v]) => [k, Tensor.from([v], [1], true)]),
    ) as unknown as LearningHhRates;
    const perNeuron = Object.fromEntries(
      Object.entries(shared).map(([k, v]) => [k, Tensor.full([3, 2, 2], v, true)]),
    ) as unknown as LearningHhRates;
    const opts = { T: 5, dt: 0.1, threshold: 2, surrogate: 'sigmoid:2' };
    const a = learningHhSpikes(x, scalarT, opts);
    const b = learningHhSpikes(x, perNeuron, opts);
    const c = learningHhSpikes(x, shared, opts);
    assert.deepEqual(a.shape, [2, 3, 2, 2]);
    assert.deepEqual([...a.data], [...b.data]);
    assert.deepEqual([...a.data], [...c.data]);
    const seed = randomSeed(a.size, 2);
    a.backward(seed);
    b.backward(seed);
    for (const k of LEARNING_HH_RATE_NAMES) {
      const gs = (scalarT[k] as Tensor).grad![0];
      const gp = (perNeuron[k] as Tensor).grad!.reduce((s, v) => s + v, 0);
      close(gs, gp, 1e-4 * Math.max(1, Math.abs(gp)), k);
    }
    const d = learningHhSpikes(x, shared, { ...opts, dt: Tensor.full([N], 0.1) });
    assert.deepEqual([...d.data], [...c.data]);
  });
});

// ---------------------------------------------------------------------------------------------
// Full HH: the declared hh model (shifted convention) as a trainable layer

/** The study's full-HH layer: the declared hh at dt 0.05 ms, spikes above 50 mV unless told. */
function fullHhSpikes(x: Tensor, o: SpikingOptions & { dt?: number } = {}): Tensor {
  const { dt = 0.05, threshold = 50, ...rest } = o;
  return neuronSpikes(x, hhDeclared, { ...rest, params: { dt, spikeThreshold: threshold } });
}

describe('full HH (declared hh layer)', () => {
  it('rates and their voltage derivatives match hh.ts and finite differences', () => {
    const r = new Float64Array(14);
    const rp = new Float64Array(14);
    const rm = new Float64Array(14);
    const fns = [alphaM, betaM, alphaH, betaH, alphaN, betaN];
    const us = [-80, -30, -10, -1, 0, 3.7, 9.99, 10, 10.0001, 10.02, 17, 24.995, 25, 25.01, 40, 60, 100, 150];
    for (const u of us) {
      hhRatesWithDerivatives(u, r);
      fns.forEach((f, k) => close(r[k], f(u), 1e-11 * Math.max(1, Math.abs(f(u))), `rate ${k} at ${u}`));
      const h = 1e-4;
      hhRatesWithDerivatives(u + h, rp);
      hhRatesWithDerivatives(u - h, rm);
      for (let k = 0; k < 6; k++) {
        const numeric = (rp[k] - rm[k]) / (2 * h);
        close(r[6 + k], numeric, 1e-7 * Math.max(1, Math.abs(numeric)), `d rate ${k} at ${u}`);
        // hh.ts rate functions agree on the slope too.
        const viaHh = (fns[k](u + h) - fns[k](u - h)) / (2 * h);
        close(r[6 + k], viaHh, 1e-6 * Math.max(1, Math.abs(viaHh)), `d rate ${k} (hh.ts) at ${u}`);
      }
    }
    // Finite and sane far from the physiological range.
    for (const u of [-5000, -700, 700, 5000]) {
      hhRatesWithDerivatives(u, r);
      assert.ok(
        r.every((v) => Number.isFinite(v)),
        `finite at ${u}: ${[...r]}`,
      );
    }
  });

  it('resting input gives no spikes; a strong input spikes repeatedly', () => {
    const T = 600; // 30 ms at dt 0.05
    const rest = fullHhSpikes(Tensor.zeros([2, 3]), { T, output: 'spikes' });
    assert.ok(rest.data.every((s) => s === 0));
    const drive = Tensor.full([1, 1], 20);
    const y = fullHhSpikes(drive, { T, output: 'spikes' });
    let onsets = 0;
    for (let t = 0; t < T; t++) if (y.data[t] === 1 && (t === 0 || y.data[t - 1] === 0)) onsets++;
    assert.ok(onsets >= 2, `expected repetitive firing, got ${onsets} spikes`);
    // A spike lasts a few steps above 50 mV (a fraction of a millisecond), not the whole run.
    const above = y.data.reduce((s, v) => s + v, 0);
    assert.ok(above < T / 5);
  });

  it('matches an independent per-step implementation with hh.ts rates', () => {
    const x = uniform([4, 5], 0, 40, 1, false);
    const T = 200;
    const ref = refFullHh(x.data, 20, T, 0.05, 50);
    const y = fullHhSpikes(x, { T, output: 'spikes' });
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff += Math.abs(ref[i] - y.data[i]);
    assert.equal(diff, 0);
    assert.ok(ref.some((s) => s === 1));
  });

  for (const sur of [
    makeSurrogate('sigmoid', 1),
    makeSurrogate('arctan', 0.6),
    makeSurrogate('fast-sigmoid', 1),
    rectangular(4),
  ]) {
    it(`BPTT gradcheck (smooth forward), ${sur.name}`, () => {
      // v rises by about dt·I per step and crosses the low threshold within T steps.
      const xs = uniform([2, 3], 5, 15, 3);
      const xt = uniform([8, 2, 3], 0, 20, 4);
      const common = { dt: 0.1, threshold: 6, surrogate: sur, smoothCheck: true };
      const eps = sur.name === 'rectangular' ? 2e-3 : 1e-2;
      check(() => fullHhSpikes(xs, { ...common, T: 8, output: 'spikes' }), [xs], { eps });
      check(() => fullHhSpikes(xs, { ...common, T: 8 }), [xs], { eps });
      check(() => fullHhSpikes(xt, { ...common, timeVarying: true }), [xt], { eps });
    });
  }

  it('BPTT gradcheck through a spike upstroke (gates strongly voltage dependent)', () => {
    const x = uniform([1, 4], 30, 60, 5);
    const sur = makeSurrogate('sigmoid', 0.2);
    check(
      () =>
        fullHhSpikes(x, {
          T: 25,
          dt: 0.05,
          threshold: 30,
          surrogate: sur,
          smoothCheck: true,
          output: 'spikes',
        }),
      [x],
      {
        eps: 5e-3,
        rtol: 3e-2,
      },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// s-LIF2HH

describe('slif2hhSpikes', () => {
  it('matches an independent per-step implementation; blocks [s1|s2|s3|s4]', () => {
    const B = 2;
    const N = 5;
    const T = 10;
    const x = uniform([B, 3 * N], 0, 2.5, 1, false);
    const w = uniform([N, 3], -1, 1, 2, false);
    const ref = refSlif2hh(x.data, B, N, T, w.data, 0.5, 2);
    const y = slif2hhSpikes(x, w, { T, output: 'spikes' });
    assert.deepEqual(y.shape, [T, B, 4 * N]);
    assert.deepEqual([...y.data], [...ref]);
    assert.ok(ref.some((s) => s === 1) && ref.some((s) => s === 0));
    // The fourth LIF fires for some unit (it is driven by the three membranes).
    let fourth = 0;
    for (let t = 0; t < T; t++)
      for (let b = 0; b < B; b++)
        for (let j = 0; j < N; j++) fourth += ref[t * B * 4 * N + b * 4 * N + 3 * N + j];
    assert.ok(fourth > 0);
    const rate = slif2hhSpikes(x, w, { T });
    assert.deepEqual(rate.shape, [B, 4 * N]);
    assert.equal(SLIF2HH_FC_DEFAULTS.decay, 0.5);
    assert.equal(SLIF2HH_FC_DEFAULTS.threshold, 2);
    assert.equal(SLIF2HH_FC_DEFAULTS.surrogate.param, 0.4);
  });

  for (const sur of SURROGATES_FOR_CHECKS) {
    it(`BPTT gradcheck (smooth forward), ${sur.name}: input currents and w`, () => {
      const B = 2;
      const N = 2;
      const T = 5;
      const rng = new Rng(3);
      // Mixed signs, away from 0 (|w| has a kink there).
      const w = new Tensor(
        Float32Array.from({ length: 3 * N }, () => (rng.uniform() < 0.5 ? -1 : 1) * rng.range(0.3, 0.9)),
        [N, 3],
        true,
      );
      const xs = uniform([B, 3 * N], 0.1, 0.7, 4);
      const xt = uniform([T, B, 3 * N], 0, 0.8, 5);
      const common = { decay: 0.5, threshold: 0.6, surrogate: sur, smoothCheck: true };
      const eps = sur.name === 'rectangular' ? 1e-3 : 1e-2;
      for (const output of ['spikes', 'rate'] as const) {
        check(() => slif2hhSpikes(xs, w, { ...common, T, output }), [xs, w], { eps });
      }
      check(() => slif2hhSpikes(xt, w, { ...common, timeVarying: true, output: 'spikes' }), [xt, w], { eps });
    });
  }

  for (const sur of [rectangular(0.4), makeSurrogate('arctan', 2)]) {
    it(`hard-spike BPTT equals the tape autograd of a per-step op graph (${sur.name}, reset attached and detached)`, () => {
      const B = 2;
      const N = 3;
      const T = 7;
      const rng = new Rng(8);
      const w = new Tensor(
        Float32Array.from({ length: 3 * N }, () => (rng.uniform() < 0.3 ? -1 : 1) * rng.range(0.2, 1)),
        [N, 3],
        true,
      );
      const x = uniform([B, 3 * N], 0.3, 1.6, 9);
      const r = randomSeed(T * B * 4 * N, 10);
      for (const detachReset of [false, true]) {
        const opts = {
          T,
          decay: 0.5,
          threshold: 1.2,
          surrogate: sur,
          output: 'spikes' as const,
          detachReset,
        };
        const fused = gradsOf(() => slif2hhSpikes(x, w, opts), [x, w], 0);
        x.grad = null;
        w.grad = null;
        const y = slif2hhSpikes(x, w, opts);
        y.backward(r);
        const fx = x.grad!.slice();
        const fw = w.grad!.slice();
        x.grad = null;
        w.grad = null;
        slifLossByOps(x, w, T, 0.5, 1.2, sur, r, detachReset).backward();
        assertAllClose(fx, x.grad!, 1e-5, `x, detachReset ${detachReset}`);
        assertAllClose(fw, w.grad!, 1e-5, `w, detachReset ${detachReset}`);
        assert.ok(fx.some((g) => Math.abs(g) > 1e-3) && fw.some((g) => Math.abs(g) > 1e-3));
        assert.ok(fused[0].length === x.size);
      }
    });
  }

  it('shared w [3] equals a per-unit w with the same triple; its grad is the sum', () => {
    const B = 2;
    const N = 4;
    const x = uniform([B, 3 * N], 0, 3, 1);
    const wShared = Tensor.from([0.5, -0.8, 0.3], [3], true);
    const wFull = new Tensor(new Float32Array(3 * N), [N, 3], true);
    for (let j = 0; j < N; j++) wFull.data.set(wShared.data, 3 * j);
    const opts = { T: 6, surrogate: 'sigmoid' };
    const a = slif2hhSpikes(x, wShared, opts);
    const b = slif2hhSpikes(x, wFull, opts);
    assert.deepEqual([...a.data], [...b.data]);
    const seed = randomSeed(a.size, 1);
    a.backward(seed);
    b.backward(seed);
    for (let k = 0; k < 3; k++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += wFull.grad![3 * j + k];
      close(wShared.grad![k], s, 1e-5);
    }
  });

  it('conv layout: [B, 3C, H, W] → [B, 4C, H, W]', () => {
    const x = uniform([2, 6, 3, 3], 0, 3, 1, false);
    const w = uniform([18, 3], 0, 1, 2, false);
    const y = slif2hhSpikes(x, w, { T: 4 });
    assert.deepEqual(y.shape, [2, 8, 3, 3]);
    const flat = slif2hhSpikes(new Tensor(x.data, [2, 54]), w, { T: 4 });
    assert.deepEqual([...y.data], [...flat.data]);
  });
});

// ---------------------------------------------------------------------------------------------
// Time-varying input in repeated frames

describe('repeat: time-varying input frames each presented R steps', () => {
  const B = 3;
  const N = 5;

  /**
   * Runs op on frames x [F, B, ...] with `repeat: R` and on their explicit copies repeatEach(x, R)
   * ([F·R, B, ...]): outputs must be equal and the gradients of x and of `params` close, for both
   * outputs. Returns the number of spikes in the trains (the cases must exercise spiking).
   */
  function assertRepeatMatchesCopies(
    op: (x: Tensor, opts: SpikingOptions) => Tensor,
    x: Tensor,
    params: Tensor[],
    R: number,
    what: string,
  ): number {
    let spikes = 0;
    for (const output of ['spikes', 'rate'] as const) {
      const direct = op(x, { timeVarying: true, repeat: R, T: x.shape[0] * R, output });
      const copies = op(repeatEach(x, R), { timeVarying: true, output });
      assert.deepEqual(direct.shape, copies.shape, `${what} ${output}: shape`);
      assert.deepEqual([...direct.data], [...copies.data], `${what} ${output}: values`);
      if (output === 'spikes') spikes = direct.data.reduce((c, v) => c + v, 0);
      const leaves = [x, ...params];
      const gDirect = gradsOf(() => op(x, { timeVarying: true, repeat: R, output }), leaves, 17);
      const gCopies = gradsOf(() => op(repeatEach(x, R), { timeVarying: true, output }), leaves, 17);
      gDirect.forEach((g, k) => {
        assertAllClose(g, gCopies[k], 1e-5, `${what} ${output}: gradient of leaf ${k}`);
        // Parameter gradients (summed through the gates) can be small, but not all zero.
        const floor = k === 0 ? 1e-4 : 1e-7;
        assert.ok(
          g.some((v) => Math.abs(v) > floor),
          `${what} ${output}: leaf ${k} has no gradient`,
        );
      });
    }
    return spikes;
  }

  for (const backend of ['js', 'wasm']) {
    describe(`${backend} backend`, () => {
      let previous = '';
      before(() => {
        previous = getBackend().name;
        setBackend(backend);
      });
      after(() => {
        setBackend(previous);
      });

      it('LIF (reset attached and detached; multi-dimensional features)', () => {
        const x = uniform([4, B, N], -0.3, 1.2, 1);
        for (const detachReset of [false, true]) {
          const run = (xi: Tensor, o: SpikingOptions): Tensor =>
            lifSpikes(xi, { ...o, decay: 0.6, threshold: 0.7, detachReset });
          assert.ok(assertRepeatMatchesCopies(run, x, [], 3, `lif detachReset ${detachReset}`) > 0);
        }
        const x4 = uniform([3, 2, 3, 2, 2], -0.3, 1.2, 2);
        const run4 = (xi: Tensor, o: SpikingOptions): Tensor => lifSpikes(xi, { ...o, threshold: 0.5 });
        assertRepeatMatchesCopies(run4, x4, [], 2, 'lif [F, B, C, H, W]');
      });

      it('learning HH (input and learnable rates, per-neuron dt)', () => {
        const rates = rateTensors(N, 0.05, 1.5, 3);
        const dt = uniform([N], 0.02, 0.2, 4, false);
        const x = uniform([4, B, N], -5, 40, 5);
        const leaves = LEARNING_HH_RATE_NAMES.map((k) => rates[k] as Tensor);
        const run = (xi: Tensor, o: SpikingOptions): Tensor =>
          learningHhSpikes(xi, rates, { ...o, dt, threshold: 2, surrogate: rectangular(1.5) });
        assert.ok(assertRepeatMatchesCopies(run, x, leaves, 3, 'learning HH') > 0);
      });

      it('full HH', () => {
        // Eight frames of five 0.05 ms steps (2 ms): long enough for strong currents to fire.
        const x = uniform([8, B, N], 10, 60, 6);
        const run = (xi: Tensor, o: SpikingOptions): Tensor =>
          fullHhSpikes(xi, { ...o, threshold: 30, surrogate: rectangular(20) });
        assert.ok(assertRepeatMatchesCopies(run, x, [], 5, 'full HH') > 0);
      });

      it('s-LIF2HH (input currents and w)', () => {
        const rng = new Rng(7);
        const w = new Tensor(
          Float32Array.from({ length: 3 * N }, () => (rng.uniform() < 0.3 ? -1 : 1) * rng.range(0.2, 1)),
          [N, 3],
          true,
        );
        const x = uniform([4, B, 3 * N], -0.2, 1.8, 8);
        for (const detachReset of [false, true]) {
          const run = (xi: Tensor, o: SpikingOptions): Tensor =>
            slif2hhSpikes(xi, w, { ...o, decay: 0.5, threshold: 1, detachReset });
          assert.ok(assertRepeatMatchesCopies(run, x, [w], 3, `s-LIF2HH detachReset ${detachReset}`) > 0);
        }
      });
    });
  }

  it('FLOP count: learning HH scales a time-varying input once per frame', () => {
    const [F, R, N] = [4, 3, 5];
    const rates = rateTensors(N, 0.05, 1.5, 9, false);
    const x = uniform([F, B, N], 0, 10, 10, false);
    const opts = { timeVarying: true, output: 'spikes' as const };
    const framed = countFlops(() => learningHhSpikes(x, rates, { ...opts, repeat: R })).flops;
    const copies = countFlops(() => learningHhSpikes(repeatEach(x, R), rates, opts)).flops;
    // The copies are scaled by dt/C at every one of the T = F·R steps, the frames F times.
    assert.equal(copies - framed, B * N * (F * R - F));
  });

  it('BPTT gradcheck (smooth forward) with repeat: LIF, spikes and rate', () => {
    const x = uniform([3, 2, 3], -0.1, 0.9, 31);
    for (const surrogate of [rectangular(0.6), makeSurrogate('sigmoid', 3)]) {
      const eps = surrogate.name === 'rectangular' ? 1e-3 : 1e-2;
      for (const output of ['spikes', 'rate'] as const) {
        const opts = { timeVarying: true, repeat: 2, decay: 0.5, threshold: 0.5, surrogate, output };
        check(() => lifSpikes(x, { ...opts, smoothCheck: true }), [x], { eps });
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Validation

describe('spiking op validation', () => {
  const x = Tensor.zeros([2, 4]);
  const rates = rateTensors(4, 0, 0.01, 1, false);
  it('layout and option errors', () => {
    assert.throws(() => lifSpikes(x), /opts\.T \(the number of steps\) is required/);
    assert.throws(() => lifSpikes(x, { T: 0 }), /T must be a positive integer/);
    assert.throws(() => lifSpikes(x, { T: 2.5 }), /T must be a positive integer/);
    assert.throws(() => lifSpikes(Tensor.zeros([4]), { T: 2 }), /must be \[B, \.\.\.features\]/);
    assert.throws(
      () => lifSpikes(x, { timeVarying: true }),
      /time-varying input must be \[T, B, \.\.\.features\]/,
    );
    assert.throws(
      () => lifSpikes(Tensor.zeros([3, 2, 4]), { timeVarying: true, T: 4 }),
      /opts\.T = 4 but the time-varying input has 3 steps/,
    );
    assert.throws(
      () => lifSpikes(Tensor.zeros([3, 2, 4]), { timeVarying: true, repeat: 2, T: 5 }),
      /opts\.T = 5 but the time-varying input has 6 steps \(3 frames × repeat 2\)/,
    );
    assert.throws(() => lifSpikes(x, { T: 2, repeat: 2 }), /repeat applies to a time-varying input/);
    for (const repeat of [0, 1.5, NaN]) {
      assert.throws(
        () => lifSpikes(Tensor.zeros([3, 2, 4]), { timeVarying: true, repeat }),
        /repeat must be a positive integer/,
      );
    }
    assert.throws(
      () => lifSpikes(x, { T: 2, output: 'mean' as 'rate' }),
      /output must be 'spikes' or 'rate'/,
    );
    assert.throws(
      () => lifSpikes(x, { T: 2, surrogate: 'triangle' }),
      /unknown surrogate 'triangle'.*valid: rectangular, sigmoid, arctan, fast-sigmoid/,
    );
    assert.throws(() => lifSpikes(x, { T: 2, threshold: NaN }), /threshold must be a finite number/);
    assert.throws(() => lifSpikes(x, { T: 2, decay: Infinity }), /decay must be a finite number/);
    assert.throws(
      () => lifSpikes(x, { T: 2, smoothCheck: 1 as unknown as boolean }),
      /smoothCheck must be true or false/,
    );
  });

  it('per-neuron parameter errors', () => {
    const bad = { ...rates, alphaN: Tensor.zeros([100]) };
    assert.throws(
      () => learningHhSpikes(x, bad, { T: 2 }),
      /learningHhSpikes: alphaN has 100 values, expected 4 \(one per neuron\) or 1/,
    );
    const missing = { ...rates } as Partial<LearningHhRates>;
    delete missing.betaH;
    assert.throws(() => learningHhSpikes(x, missing as LearningHhRates, { T: 2 }), /rates\.betaH is missing/);
    assert.throws(
      () => learningHhSpikes(x, rates, { T: 2, dt: Tensor.zeros([3]) }),
      /dt has 3 values, expected 4/,
    );
    assert.throws(
      () => learningHhSpikes(x, rates, { T: 2, dt: Tensor.full([4], 0.1, true) }),
      /dt is not learnable/,
    );
    assert.throws(() => learningHhSpikes(x, rates, { T: 2, dt: -0.1 }), /dt must be finite and ≥ 0/);
    assert.throws(() => slif2hhSpikes(Tensor.zeros([2, 5]), Tensor.zeros([3]), { T: 2 }), /multiple of 3/);
    assert.throws(
      () => slif2hhSpikes(Tensor.zeros([2, 6]), Tensor.zeros([4, 3]), { T: 2 }),
      /slif2hhSpikes: w has 12 values, expected 6 \(\[2, 3\], one triple per unit\) or 3 \(shared\)/,
    );
  });

  it('kernels reject inconsistent buffers', () => {
    const be = getBackend();
    const base = {
      batch: 2,
      neurons: 3,
      steps: 4,
      timeVarying: false,
      rateOutput: true,
      threshold: 1,
      surrogate: 0,
      surrogateParam: 0.5,
      smooth: false,
    };
    assert.throws(
      () =>
        be.lifForward({
          ...base,
          decay: 0.5,
          input: new Float32Array(5),
          out: new Float32Array(6),
          mem: null,
        }),
      /lifForward: input has length 5, expected 6/,
    );
    assert.throws(
      () =>
        be.lifForward({
          ...base,
          surrogate: 9,
          decay: 0.5,
          input: new Float32Array(6),
          out: new Float32Array(6),
          mem: null,
        }),
      /unknown surrogate id 9/,
    );
    const frames = { ...base, timeVarying: true, decay: 0.5, out: new Float32Array(6), mem: null };
    assert.throws(
      () => be.lifForward({ ...frames, inputRepeat: 3, input: new Float32Array(24) }),
      /lifForward: inputRepeat must be a positive integer below 2\^24 that divides steps \(4\), got 3/,
    );
    assert.throws(
      () => be.lifForward({ ...frames, inputRepeat: 2, input: new Float32Array(24) }),
      /lifForward: input has length 24, expected 12/,
    );
  });
});
