// Batch-invariant states (spiking/invariant.ts): the analysis, and the hoisted kernels (JS
// reference, generated wasm) against the same programs compiled without hoisting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchInvariantStates } from '../src/kernels/spiking/invariant.js';
import { compileStep, savedLength } from '../src/kernels/spiking/program.js';
import type { StepProgram } from '../src/kernels/spiking/program.js';
import { genericBackwardJs, genericForwardJs } from '../src/kernels/spiking/reference.js';
import type { GenericSpikingBase } from '../src/kernels/spiking/reference.js';
import { DeclaredKernels } from '../src/kernels/wasm/declared.js';
import { affineForm } from '../src/kernels/wasm/declared-affine.js';
import { GENERATED_PATH, createWasmBackend } from '../src/kernels/wasm/index.js';
import { trainableModels } from '../src/neurons/catalog.js';
import { stepDefinition } from '../src/neurons/derive.js';
import { learningHh } from '../src/neurons/learning-hh.js';
import { hhDeclared } from '../src/neurons/hh.js';
import { declareNeuron } from '../src/neurons/model.js';
import type { NeuronModel } from '../src/neurons/model.js';
import { Rng } from '../src/util/rng.js';
import { centralDifference, genericCall } from './helpers.js';

const invariantNames = (m: NeuronModel): string[] =>
  batchInvariantStates(stepDefinition(m)).map((k) => m.states[k]);

/** A LIF with an adaptation current whose gate a has constant (learnable) rates. */
const gatedLif = declareNeuron({
  name: 'gated-lif-test',
  description: 'LIF with an input-independent adaptation gate (test model)',
  states: { v: { init: 0 }, a: { init: 0.1 }, b: { init: 0.5 } },
  params: {
    tau: { value: 5 },
    gA: { value: 2 },
    ra: { value: 0.3, learnable: true },
    ka: { value: 0.2, learnable: true },
    rb: { value: 0.1, learnable: true },
  },
  // b reads a: invariant through another invariant state.
  dynamics: { v: '(I - v - gA*a*b*v)/tau', a: 'ra*(1 - a) - ka*a', b: 'rb*(a - b)' },
  spike: 'v > 1',
  reset: { v: '0.2*a' },
  drive: 3,
});

test('the analysis finds the input-independent gates and nothing that a spike, the input or v reaches', () => {
  assert.deepEqual(invariantNames(learningHh), ['n', 'm', 'h']);
  assert.deepEqual(invariantNames(hhDeclared), [], 'HH gates read v');
  assert.deepEqual(invariantNames(gatedLif), ['a', 'b']);
  // Looks invariant (reads only itself and parameters) but a spike resets it: batch-varying.
  const resetGate = declareNeuron({
    name: 'reset-gate-test',
    description: 'a gate reset by the spike (test model)',
    states: { v: { init: 0 }, a: { init: 0 }, c: { init: 0 }, d: { init: 0 } },
    params: { r: { value: 0.1 } },
    dynamics: { v: 'I - v - a', a: '-r*a', c: 'r*(a - c)', d: '-r*d' },
    spike: 'v > 1',
    reset: { v: '0', a: 'a + 1' },
    drive: 3,
  });
  // c reads the reset a (varying through it); d reads only itself.
  assert.deepEqual(invariantNames(resetGate), ['d']);
  // A state that reads the input is never invariant; nor is the voltage.
  const inputGate = declareNeuron({
    name: 'input-gate-test',
    description: 'a gate driven by the input (test model)',
    states: { v: { init: 0 }, a: { init: 0 } },
    params: { r: { value: 0.1 } },
    dynamics: { v: '-v', a: 'r*(I - a)' },
    spike: 'v > 1',
    drive: 3,
  });
  assert.deepEqual(invariantNames(inputGate), []);
  const prog = compileStep(stepDefinition(learningHh), [], { hoist: false });
  assert.deepEqual(prog.invariant, []);
  assert.equal(savedLength(prog, 7, 3, 5), 7 * 3 * 5 * 4);
  const hoisted = compileStep(stepDefinition(learningHh), []);
  assert.equal(savedLength(hoisted, 7, 3, 5), 7 * (3 * 5 * 1 + 5 * 3));
  assert.notEqual(prog.key, hoisted.key);
});

interface Mode {
  timeVarying: boolean;
  rateOutput: boolean;
  smooth: boolean;
  surrogate: number;
}
const MODES: Mode[] = [
  { timeVarying: false, rateOutput: true, smooth: false, surrogate: 0 },
  { timeVarying: true, rateOutput: false, smooth: false, surrogate: 2 },
  { timeVarying: false, rateOutput: false, smooth: true, surrogate: 1 },
];

interface Problem {
  base: GenericSpikingBase;
  input: Float32Array;
  gradOut: Float32Array;
}

function problem(m: NeuronModel, prog: StepProgram, mode: Mode, rng: Rng, [B, N, T]: number[]): Problem {
  const drive = 2 * (m.drive ?? 20);
  const frames = mode.timeVarying ? T : 1;
  const input = Float32Array.from({ length: frames * B * N }, () => drive * rng.uniform());
  const base = genericCall(
    m,
    prog,
    { batch: B, neurons: N, steps: T },
    { ...mode, inputRepeat: 1, surrogateParam: mode.surrogate === 0 ? 0.5 : 1 },
    rng,
    { perNeuron: [0.8, 0.4] },
  );
  const gradOut = Float32Array.from({ length: B * N * (mode.rateOutput ? 1 : T) }, () => rng.uniform() - 0.5);
  return { base, input, gradOut };
}

interface Kernels {
  forward: (a: Parameters<typeof genericForwardJs>[0]) => void;
  backward: (a: Parameters<typeof genericBackwardJs>[0]) => void;
}
const JS: Kernels = { forward: genericForwardJs, backward: genericBackwardJs };

/** Forward and backward of a problem under another program; saved states as [T][B·N][S]. */
function run(k: Kernels, p: Problem, prog: StepProgram) {
  const base = { ...p.base, program: prog };
  const { batch: B, neurons: N, steps: T } = base;
  const BN = B * N;
  const out = new Float32Array(p.gradOut.length);
  const saved = new Float32Array(savedLength(prog, T, B, N));
  k.forward({ ...base, input: p.input, out, saved });
  const gradInput = new Float32Array(p.input.length);
  const gradParams = base.params.map((a, q) =>
    prog.learnable.includes(q) ? new Float32Array(a.length) : null,
  );
  k.backward({
    ...base,
    detachReset: false,
    input: p.input,
    saved,
    gradOut: p.gradOut,
    gradInput,
    gradParams,
  });
  const { S, invariant, varying } = prog;
  const Si = invariant.length;
  const Sv = varying.length;
  const states = new Float32Array(T * BN * S);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < BN; i++) {
      varying.forEach((k, c) => (states[(t * BN + i) * S + k] = saved[(t * BN + i) * Sv + c]));
      invariant.forEach(
        (k, c) => (states[(t * BN + i) * S + k] = saved[T * BN * Sv + (t * Si + c) * N + (i % N)]),
      );
    }
  return { out, states, gradInput, gradParams };
}

/** |a − b| ≤ rel·(max(|a|, |b|) + floor·max over the array): near-zero entries are sums that cancel. */
function close(a: ArrayLike<number>, b: ArrayLike<number>, rel: number, what: string, floor = 1e-3): void {
  assert.equal(a.length, b.length, what);
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  for (let i = 0; i < a.length; i++)
    assert.ok(
      Math.abs(a[i] - b[i]) <= rel * (Math.max(Math.abs(a[i]), Math.abs(b[i])) + floor * scale),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
}

/** Hoisted against unhoisted: outputs, states, input and parameter gradients. */
function compare(
  hoisted: ReturnType<typeof run>,
  plain: ReturnType<typeof run>,
  tol: { state: number; grad: number; param: number },
  what: string,
): void {
  close(hoisted.out, plain.out, tol.state, `${what}: out`);
  close(hoisted.states, plain.states, tol.state, `${what}: states`);
  close(hoisted.gradInput, plain.gradInput, tol.grad, `${what}: gradInput`);
  hoisted.gradParams.forEach((g, q) => {
    // float32 sums over the batch and time: entries far below the largest lose digits.
    if (g) close(g, plain.gradParams[q] as Float32Array, tol.param, `${what}: gradParams[${q}]`, 1e-2);
  });
}

const learnableOf = (m: NeuronModel): string[] => m.params.filter((p) => m.declaration.params[p].learnable);

test('hoisted JS reference kernels reproduce the unhoisted ones for every built-in and a user model', () => {
  const rng = new Rng(21);
  let hoistedModels = 0;
  for (const m of [...trainableModels(), gatedLif]) {
    const def = stepDefinition(m);
    const prog = compileStep(def, learnableOf(m));
    const plain = compileStep(def, learnableOf(m), { hoist: false });
    if (prog.invariant.length > 0) hoistedModels++;
    for (const mode of MODES) {
      const p = problem(m, prog, mode, rng, [3, 5, 40]);
      const what = `${m.name} ${JSON.stringify(mode)}`;
      // Same float64 arithmetic for every state and the input gradient (bit for bit, bar the
      // order of float64 sums); parameter gradients are float32 sums grouped differently.
      compare(run(JS, p, prog), run(JS, p, plain), { state: 1e-12, grad: 1e-12, param: 1e-6 }, what);
    }
  }
  assert.ok(hoistedModels >= 1, 'some built-in has batch-invariant states');
});

test('hoisting: finite-difference gradients of a user model with batch-invariant states', () => {
  const rng = new Rng(22);
  const prog = compileStep(stepDefinition(gatedLif), learnableOf(gatedLif));
  assert.deepEqual(
    prog.invariant.map((k) => gatedLif.states[k]),
    ['a', 'b'],
  );
  const mode: Mode = { timeVarying: false, rateOutput: false, smooth: true, surrogate: 1 };
  const p = problem(gatedLif, prog, mode, rng, [3, 2, 60]);
  const { base, input, gradOut: w } = p;
  const loss = (): number => {
    const out = new Float64Array(w.length) as unknown as Float32Array; // float64 outputs
    genericForwardJs({ ...base, input, out, saved: null });
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i] * out[i];
    return s;
  };
  const saved = new Float32Array(savedLength(prog, base.steps, base.batch, base.neurons));
  genericForwardJs({ ...base, input, out: new Float32Array(w.length), saved });
  const gradInput = new Float32Array(input.length);
  const gradParams = base.params.map((a, q) =>
    prog.learnable.includes(q) ? new Float32Array(a.length) : null,
  );
  genericBackwardJs({ ...base, detachReset: false, input, saved, gradOut: w, gradInput, gradParams });
  const check = (arr: Float32Array, grad: Float32Array, what: string): void => {
    for (let i = 0; i < arr.length; i++) {
      const fd = centralDifference(arr, i, Math.max(1e-3 * Math.abs(arr[i]), 1e-5), loss);
      assert.ok(
        Math.abs(grad[i] - fd) <= 2e-3 * Math.max(Math.abs(fd), Math.abs(grad[i])) + 1e-5,
        `d loss/d ${what}[${i}]: BPTT ${grad[i]}, finite difference ${fd}`,
      );
    }
  };
  check(input, gradInput, 'input');
  for (const q of prog.learnable) {
    const g = gradParams[q] as Float32Array;
    assert.ok(
      g.some((x) => Math.abs(x) > 1e-4),
      `${prog.definition.params[q]}: a nonzero gradient to check`,
    );
    check(base.params[q], g, prog.definition.params[q]);
  }
});

test('hoisted scalar wasm kernels equal the hoisted reference and reproduce the unhoisted wasm kernels', async () => {
  const kernels = new DeclaredKernels({
    cacheDir: await mkdtemp(join(tmpdir(), 'hhnet-kernels-')),
    simd: false,
  });
  const rng = new Rng(23);
  for (const m of [learningHh, gatedLif]) {
    const def = stepDefinition(m);
    const prog = compileStep(def, learnableOf(m));
    const plain = compileStep(def, learnableOf(m), { hoist: false });
    await kernels.prepare(prog);
    await kernels.prepare(plain);
    for (const mode of MODES) {
      const p = problem(m, prog, mode, rng, [2, 5, 30]);
      const what = `${m.name} ${JSON.stringify(mode)}`;
      const wasm = run(kernels, p, prog);
      const ref = run(JS, p, prog);
      assert.deepEqual(wasm.out, ref.out, `${what}: out`);
      assert.deepEqual(wasm.states, ref.states, `${what}: states`);
      assert.deepEqual(wasm.gradInput, ref.gradInput, `${what}: gradInput`);
      compare(wasm, run(kernels, p, plain), { state: 1e-12, grad: 1e-12, param: 1e-6 }, what);
    }
  }
});

test('hoisted SIMD kernels (wasm backend) reproduce the unhoisted SIMD kernels, whole groups, wrapping groups and tails', async () => {
  const be = createWasmBackend({ threads: 1 });
  const kernels: Kernels = { forward: be.spikingForward, backward: be.spikingBackward };
  const rng = new Rng(24);
  // The learning HH with its ionic current detached has no affine form (declared-affine.ts):
  // the hoisted kernels' general path.
  for (const [m, detach] of [
    [learningHh, []],
    [learningHh, ['ionic']],
    [gatedLif, []],
  ] as const) {
    const def = stepDefinition(m, { detach });
    assert.equal(affineForm(compileStep(def, learnableOf(m))) === null, detach.length > 0, m.name);
    const prog = compileStep(def, learnableOf(m));
    const plain = compileStep(def, learnableOf(m), { hoist: false });
    await be.prepareSpikingKernel(prog);
    await be.prepareSpikingKernel(plain);
    assert.equal(be.spikingKernelPath(prog), GENERATED_PATH);
    // [B, N, T]: 16 neurons in whole groups; N < 4 (a group's lanes wrap onto the same neurons);
    // a 6-neuron sample (a SIMD group and a scalar tail).
    for (const shape of [
      [2, 8, 30],
      [5, 3, 30],
      [1, 6, 30],
    ])
      for (const mode of MODES) {
        const p = problem(m, prog, mode, rng, shape);
        const what = `${m.name}${detach.length > 0 ? ' (ionic detached)' : ''} ${JSON.stringify(shape)} ${JSON.stringify(mode)}`;
        // float32 arithmetic in both; sums over the batch and time grouped differently.
        compare(
          run(kernels, p, prog),
          run(kernels, p, plain),
          { state: 1e-5, grad: 1e-4, param: 1e-3 },
          what,
        );
      }
  }
});
