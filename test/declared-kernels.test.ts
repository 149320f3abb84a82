import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  derivative,
  evaluate,
  exprel,
  exprelD,
  format,
  parseExpr,
  NotDifferentiableError,
} from '../src/symbolic/expr.js';
import { compileStep, savedLength } from '../src/kernels/spiking/program.js';
import type { StepProgram } from '../src/kernels/spiking/program.js';
import { genericBackwardJs, genericForwardJs } from '../src/kernels/spiking/reference.js';
import type { GenericSpikingBase } from '../src/kernels/spiking/reference.js';
import {
  learningHhBackwardJs,
  learningHhForwardJs,
  lifBackwardJs,
  lifForwardJs,
} from '../src/kernels/js/spiking.js';
import { LEARNING_HH_RATE_NAMES } from '../src/kernels/spiking-types.js';
import { LEARNING_HH_MEMBRANE } from '../src/nn/spiking.js';
import { trainableModels } from '../src/neurons/catalog.js';
import { stepDefinition } from '../src/neurons/derive.js';
import { hhDeclared } from '../src/neurons/hh.js';
import { learningHh } from '../src/neurons/learning-hh.js';
import { lifStepDeclared } from '../src/neurons/lif.js';
import type { NeuronModel } from '../src/neurons/model.js';
import { initialState, resolveParams } from '../src/neurons/model.js';
import { Rng } from '../src/util/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { gradcheck } from '../src/tensor/gradcheck.js';
import { neuronSpikes } from '../src/nn/neuron-layer.js';
import { setSpikingOverrides } from '../src/nn/spiking-overrides.js';
import { izhikevich } from '../src/neurons/izhikevich.js';
import { programForwardCosts } from '../src/kernels/spiking/costs.js';
import { countFlops } from '../src/tensor/accounting.js';
import { declareNeuron } from '../src/neurons/model.js';
import type { NeuronDeclaration } from '../src/neurons/model.js';
import '../src/kernels/index.js';
import { centralDifference } from './helpers.js';
import { createWasmBackend } from '../src/kernels/wasm/index.js';

// ---------------------------------------------------------------------------------------------
// Symbolic derivatives against finite differences

test('symbolic derivatives of every function match central differences', () => {
  const cases = [
    'x^3 - 2*x*y + y/x',
    'exp(-x/3)*sin(y) + cos(x*y)',
    'log(1 + x^2) + log1p(y^2) + sqrt(4 + x*x)',
    'tanh(x - y) + sigmoid(2*x) + expm1(x/4)',
    '1/exprel((25 - x)/10) + 0.1/exprel(y/7)',
    'min(x, y)*max(x, 2*y) + abs(x - 3)',
    'x^y + 2^x',
    '-(x - y)^2/(1 + detach(x)*0)',
  ];
  const pts = [
    [1.3, 0.7],
    [2.1, -0.4],
    [0.45, 1.9],
  ];
  for (const text of cases) {
    const e = parseExpr(text, 'test');
    for (const name of ['x', 'y']) {
      const d = derivative(e, name);
      for (const [x, y] of pts) {
        const h = 1e-6;
        const at = (dx: number, dy: number) => evaluate(e, (s) => (s === 'x' ? x + dx : y + dy));
        const fd = name === 'x' ? (at(h, 0) - at(-h, 0)) / (2 * h) : (at(0, h) - at(0, -h)) / (2 * h);
        const an = evaluate(d, (s) => (s === 'x' ? x : y));
        assert.ok(
          Math.abs(an - fd) <= 1e-6 * (1 + Math.abs(fd)),
          `d/d${name} of ${text} at (${x}, ${y}): symbolic ${an} (${format(d)}), finite difference ${fd}`,
        );
      }
    }
  }
});

test('exprel and its derivative are continuous through 0 and match their closed forms', () => {
  assert.equal(exprel(0), 1);
  assert.equal(exprelD(0), 0.5);
  for (const x of [1e-9, -1e-7, 1e-4, -9e-4, 1.1e-3, 0.3, -2, 5]) {
    const closed = Math.expm1(x) / x;
    assert.ok(Math.abs(exprel(x) - closed) <= 1e-9 * Math.abs(closed) + 1e-12, `exprel(${x})`);
    const h = 1e-5;
    const fd = (exprel(x + h) - exprel(x - h)) / (2 * h);
    assert.ok(Math.abs(exprelD(x) - fd) <= 1e-7, `exprel'(${x}) = ${exprelD(x)}, finite difference ${fd}`);
  }
});

// Found by the mutation run (npm run mutation, docs/reliability.md): the checks above cannot see
// the series' higher terms.
test('exprel and its derivative keep full double precision on their series branches near 0', () => {
  const series = (x: number, d: boolean) => {
    // exprel(x) = Σ xⁿ/(n+1)!, exprel'(x) = Σ n·xⁿ⁻¹/(n+1)!
    let s = 0;
    let fact = 1;
    for (let n = 0; n < 12; n++) {
      fact *= n + 1;
      s += d ? (n === 0 ? 0 : (n * x ** (n - 1)) / fact) : x ** n / fact;
    }
    return s;
  };
  for (const x of [1e-7, -5e-7, 9.9e-7, -9.9e-7]) {
    const rel = Math.abs(exprel(x) / series(x, false) - 1);
    assert.ok(rel <= 1e-14, `exprel(${x}): relative error ${rel}`);
  }
  for (const x of [1e-4, -5e-4, 9.9e-4, -9.9e-4]) {
    const rel = Math.abs(exprelD(x) / series(x, true) - 1);
    assert.ok(rel <= 5e-14, `exprel'(${x}): relative error ${rel}`);
  }
});

test('derivatives of step() are refused; detach() has a zero derivative', () => {
  assert.throws(() => derivative(parseExpr('step(x - 1)*x', 't'), 'x'), NotDifferentiableError);
  assert.equal(format(derivative(parseExpr('detach(x^2) + 3*x', 't'), 'x')), '3');
  assert.throws(() => parseExpr('2 +* x', 'model m: dynamics.v'), /model m: dynamics\.v: unexpected "\*"/);
  assert.throws(() => parseExpr('foo(x)', 'w'), /unknown function "foo"/);
});

// ---------------------------------------------------------------------------------------------
// Generic kernels: helpers

interface Run {
  prog: StepProgram;
  base: GenericSpikingBase;
  input: Float32Array;
}

/** A generic kernel call for `model` with per-neuron parameter values (name → value or values). */
function setup(
  model: NeuronModel,
  o: {
    batch: number;
    neurons: number;
    steps: number;
    input: Float32Array;
    params?: Record<string, number | Float32Array>;
    learnable?: string[];
    timeVarying?: boolean;
    repeat?: number;
    rateOutput?: boolean;
    surrogate?: number;
    surrogateParam?: number;
    smooth?: boolean;
    detach?: string[];
  },
): Run {
  const def = stepDefinition(model, { detach: o.detach });
  const prog = compileStep(def, o.learnable ?? []);
  const scalars: Record<string, number> = {};
  for (const [k, v] of Object.entries(o.params ?? {}))
    if (typeof v === 'number' && k !== 'dt') scalars[k] = v;
  const values = resolveParams(model, scalars);
  const params = def.params.map((name) => {
    const given = o.params?.[name];
    if (given instanceof Float32Array) return given;
    const v = typeof given === 'number' ? given : name === 'dt' ? model.trainingDt : values[name];
    return Float32Array.of(v);
  });
  return {
    prog,
    input: o.input,
    base: {
      program: prog,
      params,
      initial: initialState(model, values),
      batch: o.batch,
      neurons: o.neurons,
      steps: o.steps,
      timeVarying: o.timeVarying ?? false,
      inputRepeat: o.repeat ?? 1,
      rateOutput: o.rateOutput ?? false,
      surrogate: o.surrogate ?? 0,
      surrogateParam: o.surrogateParam ?? 0.5,
      smooth: o.smooth ?? false,
    },
  };
}

/** `precise`: the output in float64 (the JS kernel only indexes it), so finite differences of the
 * loss are not limited by float32 rounding of the outputs. */
function forward(r: Run, precise = false): { out: Float32Array; saved: Float32Array } {
  const { batch, neurons, steps, rateOutput } = r.base;
  const n = batch * neurons * (rateOutput ? 1 : steps);
  const out = precise ? (new Float64Array(n) as unknown as Float32Array) : new Float32Array(n);
  const saved = new Float32Array(savedLength(r.prog, steps, batch, neurons));
  genericForwardJs({ ...r.base, input: r.input, out, saved });
  return { out, saved };
}

function backward(
  r: Run,
  saved: Float32Array,
  gradOut: Float32Array,
  detachReset = false,
): { gradInput: Float32Array; gradParams: (Float32Array | null)[] } {
  const gradInput = new Float32Array(r.input.length);
  const gradParams = r.base.params.map((p, q) =>
    r.prog.learnable.includes(q) ? new Float32Array(p.length) : null,
  );
  genericBackwardJs({ ...r.base, detachReset, input: r.input, saved, gradOut, gradInput, gradParams });
  return { gradInput, gradParams };
}

function uniform(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

function assertClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rel: number,
  abs: number,
  what: string,
): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++)
    assert.ok(
      Math.abs(a[i] - b[i]) <= abs + rel * Math.max(Math.abs(a[i]), Math.abs(b[i])),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
}

// ---------------------------------------------------------------------------------------------
// Golden: the generic kernels of the declared built-ins reproduce the hand-written kernels

test('declared study LIF (lif-step) reproduces the hand-written LIF kernel, forward and backward', () => {
  const rng = new Rng(11);
  const [B, N, T] = [3, 7, 12];
  for (const timeVarying of [false, true]) {
    const input = uniform(rng, (timeVarying ? T : 1) * B * N, -0.1, 0.6);
    const r = setup(lifStepDeclared, {
      batch: B,
      neurons: N,
      steps: T,
      input,
      timeVarying,
      surrogateParam: 0.5,
    });
    const { out, saved } = forward(r);
    const ref = new Float32Array(T * B * N);
    const mem = new Float32Array(T * B * N);
    const kbase = { batch: B, neurons: N, steps: T, timeVarying, rateOutput: false, threshold: 0.3 };
    const sbase = { ...kbase, surrogate: 0, surrogateParam: 0.5, smooth: false, decay: 0.2 };
    lifForwardJs({ ...sbase, input, out: ref, mem });
    assert.deepEqual([...out], [...ref], 'spike trains equal');
    assert.ok(out.reduce((s, x) => s + x, 0) > 10, 'the test input makes spikes');
    assertClose(saved, mem, 1e-6, 1e-7, 'membrane');
    const gradOut = uniform(rng, T * B * N, -1, 1);
    for (const detachReset of [false, true]) {
      const { gradInput } = backward(r, saved, gradOut, detachReset);
      const gi = new Float32Array(input.length);
      lifBackwardJs({ ...sbase, detachReset, mem, gradOut, gradInput: gi });
      assertClose(gradInput, gi, 1e-5, 1e-6, `input gradient (detachReset ${detachReset})`);
    }
  }
});

test('declared learning HH reproduces the hand-written kernel: spikes, v, input and rate gradients', () => {
  const rng = new Rng(12);
  const [B, N, T] = [2, 5, 30];
  const rates = uniform(rng, 6 * N, 0, 0.01);
  const dt = uniform(rng, N, 0.005, 0.2);
  const params: Record<string, Float32Array | number> = { dt, theta: 0.2 };
  LEARNING_HH_RATE_NAMES.forEach((name, r) => (params[name] = rates.slice(r * N, (r + 1) * N)));
  for (const detachIonic of [false, true]) {
    const input = uniform(rng, B * N, 0, 40);
    const r = setup(learningHh, {
      batch: B,
      neurons: N,
      steps: T,
      input,
      params,
      learnable: [...LEARNING_HH_RATE_NAMES],
      surrogateParam: 0.3,
      detach: detachIonic ? ['ionic'] : [],
    });
    const { out, saved } = forward(r);
    const sbase = {
      batch: B,
      neurons: N,
      steps: T,
      timeVarying: false,
      rateOutput: false,
      threshold: 0.2,
      surrogate: 0,
      surrogateParam: 0.3,
      smooth: false,
      constants: LEARNING_HH_MEMBRANE,
      dt,
      rates,
    };
    const ref = new Float32Array(T * B * N);
    const v = new Float32Array(T * B * N);
    learningHhForwardJs({ ...sbase, input, out: ref, v });
    assert.deepEqual([...out], [...ref], 'spike trains equal');
    assert.ok(out.reduce((s, x) => s + x, 0) > 10, 'the test input makes spikes');
    const savedV = saved.subarray(0, T * B * N); // v: the only varying state, first in the layout
    assertClose(savedV, v, 1e-5, 1e-5, 'v');
    const gradOut = uniform(rng, T * B * N, -1, 1);
    const { gradInput, gradParams } = backward(r, saved, gradOut);
    const gi = new Float32Array(B * N);
    const gr = new Float32Array(6 * N);
    learningHhBackwardJs({ ...sbase, detachIonic, v, gradOut, gradInput: gi, gradRates: gr });
    assertClose(gradInput, gi, 1e-4, 1e-6, 'input gradient');
    if (!detachIonic) {
      const order = stepDefinition(learningHh).params;
      LEARNING_HH_RATE_NAMES.forEach((name, k) => {
        const g = gradParams[order.indexOf(name)] as Float32Array;
        assertClose(g, gr.slice(k * N, (k + 1) * N), 1e-3, 1e-4, `gradient of ${name}`);
      });
    }
  }
});

// The fused full-HH training kernel (deleted once the generic kernels ran faster on 2 threads)
// recorded by scripts/record-golden-full-hh-kernel.mjs of commit c90d910 (removed with it): the
// declared HH, same shapes and modes, must give the same spikes, states within float32 rounding of
// 160- and 200-step Euler runs, and the same input gradients.
interface FullHhGolden {
  name: string;
  B: number;
  N: number;
  T: number;
  repeat: number;
  timeVarying: boolean;
  rate: boolean;
  surrogate: number;
  width: number;
  input: number[];
  gradOut: number[];
  out: number[];
  states: number[];
  gradInput: number[];
}
const fullHhGolden = JSON.parse(
  readFileSync(new URL('../../test/fixtures/golden-full-hh-kernel.json', import.meta.url), 'utf8'),
) as { threshold: number; dt: number; stateEvery: number; runs: FullHhGolden[] };

const goldenBackends: {
  name: string;
  forward: typeof genericForwardJs;
  backward: typeof genericBackwardJs;
}[] = [{ name: 'reference', forward: genericForwardJs, backward: genericBackwardJs }];
{
  const be = createWasmBackend({ threads: 1 });
  goldenBackends.push({ name: 'wasm', forward: be.spikingForward, backward: be.spikingBackward });
}

for (const g of fullHhGolden.runs) {
  for (const k of goldenBackends) {
    test(`declared HH reproduces the recorded fused full-HH kernel (${k.name}): ${g.name}`, () => {
      const BN = g.B * g.N;
      const r = setup(hhDeclared, {
        batch: g.B,
        neurons: g.N,
        steps: g.T,
        input: Float32Array.from(g.input),
        params: { dt: fullHhGolden.dt, spikeThreshold: fullHhGolden.threshold },
        timeVarying: g.timeVarying,
        repeat: g.repeat,
        rateOutput: g.rate,
        surrogate: g.surrogate,
        surrogateParam: g.width,
      });
      const out = new Float32Array(g.out.length);
      const saved = new Float32Array(savedLength(r.prog, g.T, g.B, g.N));
      k.forward({ ...r.base, input: r.input, out, saved });
      if (g.rate) assertClose(out, Float32Array.from(g.out), 0, 0, 'rates');
      else assert.deepEqual([...out], g.out, 'spike trains equal');
      assert.ok(g.out.filter((x) => x > 0).length >= BN, 'the record has spikes');
      // The declaration's states are (v, m, h, n), as the fused kernel saved them.
      const every = fullHhGolden.stateEvery;
      const sampled = new Float32Array(g.states.length);
      for (let t = 0, o = 0; t < g.T; t += every, o += BN * 4)
        sampled.set(saved.subarray(t * BN * 4, (t + 1) * BN * 4), o);
      assertClose(sampled, Float32Array.from(g.states), 1e-4, 1e-4, 'states');
      const gradInput = new Float32Array(r.input.length);
      const gradParams = r.base.params.map(() => null);
      const gradOut = Float32Array.from(g.gradOut);
      k.backward({ ...r.base, detachReset: false, input: r.input, saved, gradOut, gradInput, gradParams });
      assertClose(gradInput, Float32Array.from(g.gradInput), 2e-3, 1e-4, 'input gradient');
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Every declared model: derived partials and BPTT against finite differences

/** Inputs, parameters and surrogate widths that keep each model near its threshold in a short run. */
const GRADCHECK: Record<
  string,
  {
    lo: number;
    hi: number;
    steps: number;
    scale: number;
    params?: Record<string, number>;
    rectangular?: { width: number; batch: number; neurons: number };
  }
> = {
  'lif-step': { lo: 0, hi: 0.5, steps: 8, scale: 0.3 },
  lif: { lo: 1, hi: 3, steps: 10, scale: 1, params: { dt: 1 } },
  tvlif: { lo: 1, hi: 3, steps: 10, scale: 1, params: { dt: 1 } },
  'learning-hh': { lo: 0, hi: 40, steps: 10, scale: 0.2 },
  'leaky-integrator': { lo: 0, hi: 40, steps: 10, scale: 0.2 },
  hh: { lo: 5, hi: 30, steps: 40, scale: 30, params: { dt: 0.05, spikeThreshold: 20 } },
  'hh-modern': { lo: 5, hi: 30, steps: 40, scale: 30, params: { dt: 0.05, spikeThreshold: -45 } },
  // v jumps past 30 in steps of several mV, so few neurons land in the ±0.5 window: more neurons.
  izhikevich: {
    lo: 20,
    hi: 80,
    steps: 10,
    scale: 30,
    params: { dt: 0.2 },
    rectangular: { width: 0.5, batch: 4, neurons: 8 },
  },
  adex: {
    lo: 1000,
    hi: 8000,
    steps: 10,
    scale: 10,
    params: { dt: 0.5 },
    rectangular: { width: 0.5, batch: 4, neurons: 8 },
  },
  'traub-miles': { lo: 200, hi: 2000, steps: 30, scale: 5, params: { dt: 0.02, threshold: -57 } },
};

/**
 * A model without an entry above (a new declaration) is checked around its declared drive: inputs
 * 0.5–1.5× the drive, a run just past its first spike there, surrogate widths a tenth of the
 * voltage's range over that run.
 */
function gradcheckConfig(model: NeuronModel): (typeof GRADCHECK)[string] {
  const known = GRADCHECK[model.name];
  if (known) return known;
  assert.ok(
    model.drive !== null,
    `${model.name}: declare a drive (or add a GRADCHECK entry) for the generic tests`,
  );
  const drive = model.drive as number;
  const T = 400;
  const r = setup(model, { batch: 1, neurons: 1, steps: T, input: Float32Array.of(drive) });
  const { out, saved } = forward(r);
  const first = out.findIndex((s) => s > 0);
  assert.ok(first >= 0, `${model.name} fires within ${T} steps at its drive ${drive}`);
  // The voltage is a varying state: its saved row is [T][1][Sv] here (one neuron).
  const Sv = r.prog.varying.length;
  const v = r.prog.varying.indexOf(r.prog.definition.voltage);
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = 0; t <= first; t++) {
    lo = Math.min(lo, saved[t * Sv + v]);
    hi = Math.max(hi, saved[t * Sv + v]);
  }
  return { lo: 0.5 * drive, hi: 1.5 * drive, steps: first + 3, scale: Math.max((hi - lo) / 10, 1e-3) };
}

test('derived partials of every declared model match finite differences of its step', () => {
  const rng = new Rng(21);
  for (const model of trainableModels()) {
    const cfg = gradcheckConfig(model);
    const def = stepDefinition(model);
    const learnable = model.params.filter((p) => model.declaration.params[p].learnable);
    const prog = compileStep(def, learnable);
    const { S, P } = prog;
    const values = resolveParams(model, {});
    const y0 = initialState(model, values);
    for (let trial = 0; trial < 3; trial++) {
      const p = Float64Array.from(def.params, (n) => (n === 'dt' ? model.trainingDt : values[n]));
      const y = Float64Array.from(y0, (v) => v + (rng.uniform() - 0.5) * 0.1 * (1 + Math.abs(v)));
      const x = cfg.lo + (cfg.hi - cfg.lo) * rng.uniform();
      const cp = new Float64Array(prog.chargePartialsLength);
      prog.chargePartials(y, x, p, cp);
      const h = new Float64Array(S);
      const hp = new Float64Array(S);
      const hm = new Float64Array(S);
      prog.charge(y, x, p, h);
      const fdCheck = (
        vary: (d: number) => void,
        slot: (k: number) => number,
        what: string,
        size: number,
      ) => {
        const eps = 1e-6 * (1 + size);
        vary(eps);
        prog.charge(y, x + 0, p, hp);
        vary(-2 * eps);
        prog.charge(y, x, p, hm);
        vary(eps);
        for (let k = 0; k < S; k++) {
          const fd = (hp[k] - hm[k]) / (2 * eps);
          const an = cp[slot(k)];
          assert.ok(
            Math.abs(an - fd) <= 1e-5 * (1 + Math.abs(fd)),
            `${model.name}: ∂${def.states[k]}/∂${what}: derived ${an}, finite difference ${fd}`,
          );
        }
      };
      for (let j = 0; j < S; j++)
        fdCheck(
          (d) => (y[j] += d),
          (k) => k * S + j,
          def.states[j],
          Math.abs(y[j]),
        );
      for (const q of prog.learnable)
        fdCheck(
          (d) => (p[q] += d),
          (k) => S * S + S + k * P + q,
          def.params[q],
          Math.abs(p[q]),
        );
      // The input: charge at x ± ε.
      const eps = 1e-6 * (1 + Math.abs(x));
      prog.charge(y, x + eps, p, hp);
      prog.charge(y, x - eps, p, hm);
      for (let k = 0; k < S; k++) {
        const fd = (hp[k] - hm[k]) / (2 * eps);
        assert.ok(
          Math.abs(cp[S * S + k] - fd) <= 1e-5 * (1 + Math.abs(fd)),
          `${model.name}: ∂${def.states[k]}/∂input`,
        );
      }
    }
  }
});

const SURROGATE_PARAM_PER_SCALE = [0.5, 4, 2, 4]; // rectangular width, sigmoid α, arctan α, fast-sigmoid slope (for scale 1)

/**
 * One BPTT case of a model against central differences (smooth mode): surrogates 0 and 2 with rate
 * output, 2 and 3 with a framed time-varying input; `voltage` outputs the charged voltage instead.
 */
function bpttCase(model: NeuronModel, surrogate: number, voltage: boolean, rng: Rng, frameRng: Rng): void {
  const cfg = gradcheckConfig(model);
  const learnable = model.params.filter((p) => model.declaration.params[p].learnable);
  const rect = surrogate === 0 && cfg.rectangular;
  const surrogateParam = rect
    ? rect.width
    : surrogate === 0
      ? // a reset model's smooth spike (area 2a) stays ≤ 1, else it blends past the reset
        SURROGATE_PARAM_PER_SCALE[0] * (model.reset.size > 0 ? 1 : cfg.scale)
      : SURROGATE_PARAM_PER_SCALE[surrogate] / cfg.scale;
  const [B, N, T] = [rect ? rect.batch : 2, rect ? rect.neurons : 3, cfg.steps];
  const rateOutput = surrogate % 2 === 0;
  // Surrogates 2 and 3 take a time-varying input, in frames of 2 steps where T allows (drawn
  // from its own generator, so the static cases keep their draws).
  const timeVarying = surrogate >= 2;
  const repeat = timeVarying && T % 2 === 0 ? 2 : 1;
  const staticInput = uniform(rng, B * N, cfg.lo, cfg.hi);
  const input = timeVarying ? uniform(frameRng, (T / repeat) * B * N, cfg.lo, cfg.hi) : staticInput;
  const paramArrays: Record<string, Float32Array | number> = { ...cfg.params };
  const values = resolveParams(
    model,
    Object.fromEntries(Object.entries(cfg.params ?? {}).filter(([k]) => k !== 'dt')),
  );
  for (const name of learnable)
    paramArrays[name] = Float32Array.from({ length: N }, () => values[name] * (0.9 + 0.2 * rng.uniform()));
  const r = setup(model, {
    batch: B,
    neurons: N,
    steps: T,
    input,
    params: paramArrays,
    learnable,
    rateOutput,
    timeVarying,
    repeat,
    surrogate,
    surrogateParam,
    smooth: true,
  });
  r.base.voltageOutput = voltage;
  const { out, saved } = forward(r);
  const w = uniform(rng, out.length, -1, 1);
  const loss = (): number => {
    const o = forward(r, true).out;
    let s = 0;
    for (let i = 0; i < o.length; i++) s += w[i] * o[i];
    return s;
  };
  const { gradInput, gradParams } = backward(r, saved, w);
  let checked = 0;
  let kinks = 0;
  const check = (arr: Float32Array, grad: Float32Array, what: string) => {
    for (let i = 0; i < arr.length; i++) {
      const x0 = arr[i];
      // Central differences at ε and ε/2, Richardson-extrapolated (cancels the ε² term).
      const central = (eps: number): number => centralDifference(arr, i, eps, loss);
      const eps = Math.max(1e-4 * Math.abs(x0), 1e-6);
      const [c1, c2] = [central(eps), central(eps / 2)];
      // The rectangular primitive is piecewise linear: skip an entry whose interval holds a kink
      // (the two differences disagree), and count it.
      checked++;
      if (surrogate === 0 && Math.abs(c1 - c2) > 0.05 * (Math.abs(c1) + Math.abs(c2)) + 1e-4) {
        kinks++;
        continue;
      }
      const fd = (4 * c2 - c1) / 3;
      assert.ok(
        Math.abs(grad[i] - fd) <= 2e-3 * Math.max(Math.abs(fd), Math.abs(grad[i])) + 2e-4,
        `${model.name}, surrogate ${surrogate}${voltage ? ' (voltage output)' : ''}: d loss/d ${what}[${i}]: BPTT ${grad[i]}, finite difference ${fd}`,
      );
    }
  };
  check(input, gradInput, 'input');
  r.prog.learnable.forEach((q) =>
    check(r.base.params[q] as Float32Array, gradParams[q] as Float32Array, r.prog.definition.params[q]),
  );
  assert.ok(kinks <= checked / 4, `${model.name}: ${kinks} of ${checked} entries straddle a kink`);
  assert.ok(
    gradInput.some((g) => Math.abs(g) > 1e-6),
    `${model.name}, surrogate ${surrogate}: the check exercises nonzero gradients`,
  );
}

test('BPTT of every declared model × surrogate (smooth mode; static and framed input) matches finite differences', () => {
  const rng = new Rng(22);
  const frameRng = new Rng(25);
  for (const model of trainableModels())
    for (let surrogate = 0; surrogate < 4; surrogate++) bpttCase(model, surrogate, false, rng, frameRng);
});

test('BPTT of every declared model with voltage output (the charged membrane potential) matches finite differences', () => {
  const rng = new Rng(26);
  const frameRng = new Rng(27);
  for (const model of trainableModels()) {
    bpttCase(model, 1, true, rng, frameRng);
    bpttCase(model, 2, true, rng, frameRng);
  }
});

test('the finite-difference check catches a wrong partial (negative self-test)', () => {
  const rng = new Rng(23);
  const [B, N, T] = [1, 2, 8];
  const input = uniform(rng, B * N, 0, 0.5);
  const r = setup(lifStepDeclared, {
    batch: B,
    neurons: N,
    steps: T,
    input,
    smooth: true,
    surrogate: 1,
    surrogateParam: 8,
  });
  const { saved } = forward(r);
  const w = uniform(rng, T * B * N, -1, 1);
  const good = backward(r, saved, w).gradInput;
  // The same program with ∂h/∂y scaled by 1.05 (a wrong derivative of the decay term).
  const wrong: StepProgram = {
    ...r.prog,
    chargePartials: (y, x, p, o) => {
      r.prog.chargePartials(y, x, p, o);
      o[0] *= 1.05;
    },
    // The kernels read the varying states' rows (all of them here: LIF has no invariant state).
    chargePartialsVarying: (y, x, p, o) => {
      r.prog.chargePartialsVarying(y, x, p, o);
      o[0] *= 1.05;
    },
  };
  const bad = backward({ ...r, prog: wrong, base: { ...r.base, program: wrong } }, saved, w).gradInput;
  assert.ok(
    [...good].some((g, i) => Math.abs(g - bad[i]) > 2e-3 * Math.abs(g) + 2e-4),
    'a 5% error in one partial changes the gradient beyond the check tolerance',
  );
});

test('frames with repeat: the generic kernel equals the expanded time-varying input', () => {
  const rng = new Rng(24);
  const [B, N, F, R] = [2, 3, 4, 3];
  const frames = uniform(rng, F * B * N, 0, 40);
  const expanded = new Float32Array(F * R * B * N);
  for (let t = 0; t < F * R; t++)
    expanded.set(frames.subarray(Math.floor(t / R) * B * N, (Math.floor(t / R) + 1) * B * N), t * B * N);
  const mk = (input: Float32Array, repeat: number) =>
    setup(learningHh, {
      batch: B,
      neurons: N,
      steps: F * R,
      input,
      timeVarying: true,
      repeat,
      surrogateParam: 0.3,
    });
  const a = mk(frames, R);
  const b = mk(expanded, 1);
  const fa = forward(a);
  const fb = forward(b);
  assert.deepEqual([...fa.out], [...fb.out]);
  const w = uniform(rng, F * R * B * N, -1, 1);
  const ga = backward(a, fa.saved, w).gradInput;
  const gb = backward(b, fb.saved, w).gradInput;
  const summed = new Float32Array(F * B * N);
  for (let t = 0; t < F * R; t++)
    for (let i = 0; i < B * N; i++) summed[Math.floor(t / R) * B * N + i] += gb[t * B * N + i];
  assertClose(ga, summed, 1e-5, 1e-6, 'frame gradients');
});

test('neuronSpikes: autograd through a declared layer (learned per-neuron parameters) passes gradcheck', () => {
  const rng = new Rng(31);
  const x = new Tensor(uniform(rng, 2 * 4, 20, 60), [2, 4]);
  x.requiresGrad = true;
  const a = new Tensor(
    Float32Array.from({ length: 4 }, () => 0.02 + 0.01 * rng.uniform()),
    [4],
  );
  a.requiresGrad = true;
  const d = new Tensor(Float32Array.of(8), [1]);
  d.requiresGrad = true;
  const fn = () =>
    neuronSpikes(x, izhikevich, {
      T: 12,
      params: { a, d, dt: 0.2 },
      surrogate: 'sigmoid:0.2',
      smoothCheck: true,
    });
  const result = gradcheck(fn, [x, a, d], { eps: 1e-3, rtol: 1e-2, atol: 1e-4 });
  assert.ok(result.ok, JSON.stringify(result).slice(0, 400));
  assert.throws(
    () => neuronSpikes(x, izhikevich, { T: 2, params: { q: 1 } }),
    /no parameter "q" \(parameters: a, b, c, d, v0, dt\)/,
  );
});

test('FLOP counts derive from the declaration (common subexpressions once, parameter-only ones per neuron)', () => {
  // lif-step: h = decay·v + I (2), the compare (1), the reset blend s·0 + (1 − s)·h (4).
  const lif = compileStep(stepDefinition(lifStepDeclared));
  assert.deepEqual(programForwardCosts(lif), { perNeuronStep: 7, perNeuron: 0 });
  // Hoisting: in "-k*v + tanh(I)" nothing is parameter-only; in "(a*b)*v" a·b is.
  const probe = declareNeuron({
    name: 'cost-probe',
    description: 'cost probe',
    states: { v: { init: 0 } },
    params: { a: { value: 2 }, b: { value: 3 } },
    step: { v: '(a*b)*v + exp(I) + exp(I)' },
    spike: 'v > a*b',
  });
  // Per step: (a·b)·v, exp(I) once, two adds, the compare = 5; per neuron: a·b once (shared by the
  // step and the threshold).
  assert.deepEqual(programForwardCosts(compileStep(stepDefinition(probe))), {
    perNeuronStep: 5,
    perNeuron: 1,
  });
  const x = new Tensor(new Float32Array(6).fill(0.5), [2, 3]);
  const was = setSpikingOverrides(false); // the generic kernels, not the fused LIF override
  try {
    const counted = countFlops(() => neuronSpikes(x, lifStepDeclared, { T: 4 }));
    // 6 neurons × (4 steps × 7 + 0) + the rate: 6 × (4 + 1).
    assert.equal(counted.flops, 6 * 4 * 7 + 6 * 5);
  } finally {
    setSpikingOverrides(was);
  }
  // The override counts its own kernel: 5 per neuron-step (spiking-costs.ts).
  assert.equal(countFlops(() => neuronSpikes(x, lifStepDeclared, { T: 4 })).flops, 6 * 4 * 5 + 6 * 5);
});

test('bad declarations fail with a message naming the model and the field', () => {
  const base: NeuronDeclaration = {
    name: 'probe',
    description: 'a probe',
    states: { v: { init: 0 }, w: { init: 0 } },
    params: { a: { value: 1 } },
    dynamics: { v: '-a*v + I', w: '-w' },
    spike: 'v > 1',
  };
  const bad: [Partial<NeuronDeclaration>, RegExp][] = [
    [{ dynamics: { v: '-a*v + I + q', w: '-w' } }, /neuron model "probe": dynamics\.v: unknown name "q"/],
    [{ dynamics: { v: '-a*v + I' } }, /neuron model "probe": dynamics\.w: state "w" has no dX\/dt/],
    [
      { params: { a: { value: NaN } } },
      /neuron model "probe": params\.a\.value: expected a finite number, got NaN/,
    ],
    [{ spike: 'w > 1' }, /neuron model "probe": spike: the left-hand side must be the voltage "v"/],
    [{ spike: 'v = 1' }, /neuron model "probe": spike: expected "LHS > RHS"/],
    [
      { states: { v: { init: '1/0*a' }, w: { init: 0 } } },
      /neuron model "probe": states\.v\.init: evaluates to Infinity/,
    ],
    [{ reset: { u: '0' } }, /neuron model "probe": reset\.u: "u" is not a state/],
    [{ name: 'Bad Name' }, /neuron model "Bad Name": name: expected lower-case/],
    [{ params: { dt: { value: 1 } } }, /neuron model "probe": params\.dt: "dt" is reserved/],
  ];
  for (const [change, message] of bad) assert.throws(() => declareNeuron({ ...base, ...change }), message);
  // A step() where BPTT needs a derivative: the training step cannot be compiled.
  const stepped = declareNeuron({ ...base, dynamics: { v: '-a*v + I*step(v)', w: '-w' } });
  assert.throws(
    () => compileStep(stepDefinition(stepped)),
    /neuron model "probe": the step of v has no derivative with respect to v: step\(\) has no derivative/,
  );
});

test("neuronSpikes output 'voltage': the membrane before each reset, [T, B, N], on the generic kernels even where an override exists", () => {
  const [B, N, T] = [2, 3, 6];
  const x = new Tensor(
    Float32Array.from({ length: B * N }, (_, i) => 0.1 + 0.05 * i),
    [B, N],
  );
  const v = neuronSpikes(x, lifStepDeclared, { T, output: 'voltage', params: { decay: 0.5, theta: 0.3 } });
  assert.deepEqual(v.shape, [T, B, N]);
  for (let i = 0; i < B * N; i++) {
    let m = 0;
    let s = 0;
    for (let t = 0; t < T; t++) {
      m = Math.fround(0.5 * m * (1 - s) + x.data[i]);
      s = m > Math.fround(0.3) ? 1 : 0; // θ is a float32 parameter
      assert.ok(
        Math.abs(v.data[t * B * N + i] - m) <= 1e-6,
        `neuron ${i} step ${t}: ${v.data[t * B * N + i]} vs ${m}`,
      );
    }
  }
  assert.ok(
    v.data.some((m) => m > 0.3),
    'some neurons spike and reset',
  );
});
