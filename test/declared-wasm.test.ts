// Generated wasm kernels of declared models against the generic reference kernels (js ≡ wasm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileStep, savedLength } from '../src/kernels/spiking/program.js';
import type { StepProgram } from '../src/kernels/spiking/program.js';
import { genericBackwardJs, genericForwardJs } from '../src/kernels/spiking/reference.js';
import type { GenericSpikingBase } from '../src/kernels/spiking/reference.js';
import { DeclaredKernels } from '../src/kernels/wasm/declared.js';
import { GENERATED_PATH, createWasmBackend } from '../src/kernels/wasm/index.js';
import { trainableModels } from '../src/neurons/catalog.js';
import { stepDefinition } from '../src/neurons/derive.js';
import { declareNeuron, initialState } from '../src/neurons/model.js';
import type { NeuronModel } from '../src/neurons/model.js';
import { Rng } from '../src/util/rng.js';
import { getBackend } from '../src/kernels/index.js';
import { neuronSpikes } from '../src/nn/neuron-layer.js';
import { Tensor } from '../src/tensor/tensor.js';
import { genericCall } from './helpers.js';

/** Input ranges that make each model spike within a few dozen steps. */
const DRIVE: Record<string, number> = {
  'lif-step': 0.6,
  lif: 5,
  tvlif: 5,
  'learning-hh': 40,
  'leaky-integrator': 40,
  hh: 25,
  'hh-modern': 25,
  izhikevich: 40,
  adex: 6000,
  'traub-miles': 3000,
};

/** The largest input of the table, else twice the model's declared drive (a new declaration). */
function driveOf(m: NeuronModel): number {
  if (DRIVE[m.name] !== undefined) return DRIVE[m.name];
  assert.ok(m.drive !== null, `${m.name}: declare a drive for the generic tests`);
  return 2 * m.drive;
}

function learnableOf(m: NeuronModel): string[] {
  return m.params.filter((p) => m.declaration.params[p].learnable);
}

interface Case {
  timeVarying: boolean;
  repeat: number;
  rateOutput: boolean;
  smooth: boolean;
  surrogate: number;
  perNeuron: boolean;
  /** Output the charged voltage instead of the spike (its mean with rateOutput). */
  voltage?: boolean;
}

function runBoth(kernels: DeclaredKernels, m: NeuronModel, prog: StepProgram, c: Case, rng: Rng) {
  const [B, N, T] = [2, 5, 60];
  const frames = c.timeVarying ? T / c.repeat : 1;
  const input = Float32Array.from({ length: frames * B * N }, () => driveOf(m) * rng.uniform());
  const base = genericCall(
    m,
    prog,
    { batch: B, neurons: N, steps: T },
    {
      timeVarying: c.timeVarying,
      inputRepeat: c.repeat,
      rateOutput: c.rateOutput,
      surrogate: c.surrogate,
      surrogateParam: c.surrogate === 0 ? 0.5 : 1,
      smooth: c.smooth,
    },
    rng,
    { perNeuron: c.perNeuron ? [0.9, 0.2] : undefined, minDt: 0.05 },
  );
  base.voltageOutput = c.voltage ?? false;
  const { params } = base;
  const outLen = B * N * (c.rateOutput ? 1 : T);
  const res = [genericForwardJs, kernels.forward.bind(kernels)].map((fwd) => {
    const out = new Float32Array(outLen);
    const saved = new Float32Array(savedLength(prog, T, B, N));
    fwd({ ...base, input, out, saved });
    return { out, saved };
  });
  const gradOut = Float32Array.from({ length: outLen }, () => rng.uniform() - 0.5);
  const grads = [genericBackwardJs, kernels.backward.bind(kernels)].map((bwd) => {
    const gradInput = new Float32Array(input.length).fill(0.25); // accumulates onto what is there
    const gradParams = params.map((p, q) => (prog.learnable.includes(q) ? new Float32Array(p.length) : null));
    bwd({ ...base, detachReset: false, input, saved: res[0].saved, gradOut, gradInput, gradParams });
    return { gradInput, gradParams };
  });
  return { res, grads };
}

test('generated scalar wasm kernels equal the reference bit for bit for every declared model, mode and surrogate', async () => {
  const kernels = new DeclaredKernels({
    cacheDir: await mkdtemp(join(tmpdir(), 'hhnet-kernels-')),
    simd: false,
  });
  const rng = new Rng(5);
  const cases: Case[] = [
    { timeVarying: false, repeat: 1, rateOutput: false, smooth: false, surrogate: 0, perNeuron: false },
    { timeVarying: false, repeat: 1, rateOutput: true, smooth: false, surrogate: 1, perNeuron: true },
    { timeVarying: true, repeat: 1, rateOutput: false, smooth: false, surrogate: 2, perNeuron: true },
    { timeVarying: true, repeat: 4, rateOutput: true, smooth: true, surrogate: 3, perNeuron: false },
    { timeVarying: false, repeat: 1, rateOutput: false, smooth: true, surrogate: 0, perNeuron: true },
    {
      timeVarying: false,
      repeat: 1,
      rateOutput: false,
      smooth: false,
      surrogate: 1,
      perNeuron: true,
      voltage: true,
    },
    {
      timeVarying: true,
      repeat: 2,
      rateOutput: true,
      smooth: true,
      surrogate: 0,
      perNeuron: false,
      voltage: true,
    },
  ];
  for (const m of trainableModels()) {
    const prog = compileStep(stepDefinition(m), learnableOf(m));
    await kernels.prepare(prog);
    assert.ok(kernels.has(prog));
    let spikes = 0;
    for (const c of cases) {
      const what = `${m.name} ${JSON.stringify(c)}`;
      const { res, grads } = runBoth(kernels, m, prog, c, rng);
      assert.deepEqual([...res[1].out], [...res[0].out], `${what}: outputs`);
      assert.deepEqual([...res[1].saved], [...res[0].saved], `${what}: saved states`);
      if (!c.smooth && !c.rateOutput && !c.voltage) spikes += res[0].out.reduce((a, b) => a + b, 0);
      assert.deepEqual([...grads[1].gradInput], [...grads[0].gradInput], `${what}: input gradient`);
      grads[0].gradParams.forEach((g, q) => {
        if (!g) return;
        const w = grads[1].gradParams[q] as Float32Array;
        // Sums over the batch are rounded to float32 at different points (per sample in the
        // reference, once per neuron in wasm): equal to float32 rounding of the array's scale.
        const scale = Math.max(...[...g].map(Math.abs));
        for (let i = 0; i < g.length; i++)
          assert.ok(
            Math.abs(g[i] - w[i]) <= 1e-6 * Math.abs(g[i]) + 1e-6 * scale,
            `${what}: gradient of ${prog.definition.params[q]}[${i}]: ${w[i]} vs ${g[i]}`,
          );
      });
    }
    assert.ok(spikes > 0, `${m.name}: the drive makes spikes`);
  }
});

test('a model declared at run time compiles once and is then read from the disk cache', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hhnet-kernels-'));
  const model = declareNeuron({
    name: 'cache-probe',
    description: 'a leaky neuron for the cache test',
    states: { v: { init: 0 } },
    params: { k: { value: 0.3, learnable: true } },
    dynamics: { v: '-k*v + tanh(I)' },
    spike: 'v > 0.5',
    reset: { v: '0' },
  });
  const prog = compileStep(stepDefinition(model), ['k']);
  const first = await new DeclaredKernels({ cacheDir: dir }).prepare(prog);
  assert.equal(first.cached, false);
  assert.equal((await readdir(dir)).filter((f) => f.endsWith('.wasm')).length, 1);
  const again = new DeclaredKernels({ cacheDir: dir });
  assert.equal(again.has(prog), false);
  const second = await again.prepare(prog);
  assert.equal(second.cached, true);
  assert.ok(again.has(prog));
});

test('generated SIMD kernels on the wasm backend (float32, 4 neurons a vector, scalar tail) agree with the reference', async () => {
  const be = createWasmBackend({ threads: 1 });
  const kernels = { forward: be.spikingForward, backward: be.spikingBackward };
  const rng = new Rng(6);
  for (const m of trainableModels()) {
    const prog = compileStep(stepDefinition(m), learnableOf(m));
    // Built-ins are compiled at build time: no compiler needed for them.
    assert.equal(be.spikingKernelPath(prog), GENERATED_PATH, m.name);
    // hard: the kernels specialised for training (static, hard, rectangular); smooth and frames:
    // the general ones; voltage: the general ones with the charged voltage as output.
    for (const mode of ['hard', 'smooth', 'frames', 'voltage'] as const) {
      const smooth = mode === 'smooth';
      const def = prog.definition;
      // 21 neurons: five vectors and a scalar tail; float32 and float64 trajectories of the
      // nonlinear models drift apart over long runs, so a short one.
      const [B, N, T] = [3, 7, 12];
      const frames = mode === 'frames' ? T / 2 : 1;
      const input = Float32Array.from({ length: frames * B * N }, () => driveOf(m) * rng.uniform());
      const params = def.params.map((n) =>
        Float32Array.of(n === 'dt' ? Math.max(m.trainingDt, 0.05) : m.defaults[n]),
      );
      const base: GenericSpikingBase = {
        program: prog,
        params,
        initial: initialState(m, m.defaults),
        batch: B,
        neurons: N,
        steps: T,
        timeVarying: mode === 'frames',
        inputRepeat: mode === 'frames' ? 2 : 1,
        rateOutput: false,
        surrogate: smooth ? 1 : 0,
        surrogateParam: smooth ? 1 : 0.5,
        smooth,
        voltageOutput: mode === 'voltage',
      };
      const what = `${m.name} (${mode})`;
      const ref = { out: new Float32Array(T * B * N), saved: new Float32Array(savedLength(prog, T, B, N)) };
      const vec = { out: new Float32Array(T * B * N), saved: new Float32Array(savedLength(prog, T, B, N)) };
      genericForwardJs({ ...base, input, ...ref });
      kernels.forward({ ...base, input, ...vec });
      if (mode === 'voltage') {
        for (let i = 0; i < ref.out.length; i++)
          assert.ok(
            Math.abs(ref.out[i] - vec.out[i]) <= 3e-3 * (1 + Math.abs(ref.out[i])),
            `${what}: out[${i}] ${vec.out[i]} vs ${ref.out[i]}`,
          );
      } else {
        let mismatch = 0;
        for (let i = 0; i < ref.out.length; i++) mismatch += Math.abs(ref.out[i] - vec.out[i]);
        assert.ok(mismatch <= 1e-3 * ref.out.length, `${what}: outputs differ by ${mismatch}`);
      }
      for (let i = 0; i < ref.saved.length; i++)
        assert.ok(
          Math.abs(ref.saved[i] - vec.saved[i]) <= 3e-3 * (1 + Math.abs(ref.saved[i])),
          `${what}: saved[${i}] ${vec.saved[i]} vs ${ref.saved[i]}`,
        );
      // Backward from the same saved states.
      const gradOut = Float32Array.from({ length: T * B * N }, () => rng.uniform() - 0.5);
      const grads = [genericBackwardJs, kernels.backward].map((bwd) => {
        const gradInput = new Float32Array(frames * B * N);
        const gradParams = params.map((p, q) => (prog.learnable.includes(q) ? new Float32Array(1) : null));
        bwd({ ...base, detachReset: false, input, saved: vec.saved, gradOut, gradInput, gradParams });
        return { gradInput, gradParams };
      });
      const scale = Math.max(1e-6, ...[...grads[0].gradInput].map(Math.abs));
      grads[0].gradInput.forEach((g, i) =>
        assert.ok(
          Math.abs(g - grads[1].gradInput[i]) <= 2e-3 * scale,
          `${what}: input gradient ${i}: ${grads[1].gradInput[i]} vs ${g}`,
        ),
      );
      grads[0].gradParams.forEach((g, q) => {
        if (!g) return;
        const w = (grads[1].gradParams[q] as Float32Array)[0];
        assert.ok(
          Math.abs(g[0] - w) <= 2e-3 * Math.abs(g[0]) + 1e-6,
          `${what}: gradient of ${def.params[q]}: ${w} vs ${g[0]}`,
        );
      });
    }
  }
});

test('a declared model without a compiled kernel says once that it runs on the reference kernels', async () => {
  const be = getBackend();
  if (be.name !== 'wasm') return; // the js backend has only the reference
  const model = declareNeuron({
    name: 'warn-probe',
    description: 'a model never compiled',
    states: { v: { init: 0 } },
    params: { k: { value: 0.5 } },
    step: { v: 'k*v + I' },
    spike: 'v > 1',
    reset: { v: '0' },
  });
  const warnings: string[] = [];
  const listener = (w: Error): void => {
    warnings.push(w.message);
  };
  process.on('warning', listener);
  try {
    const x = new Tensor(new Float32Array(8).fill(0.6), [2, 4]);
    neuronSpikes(x, model, { T: 4 });
    neuronSpikes(x, model, { T: 4 });
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', listener);
  }
  assert.equal(
    warnings.filter((m) => m.includes('"warn-probe" runs on the plain-TypeScript reference')).length,
    1,
  );
});

test('a program with fewer learnable parameters runs on its family’s built-in kernels (bit for bit on the scalar ones)', async () => {
  const kernels = new DeclaredKernels({
    cacheDir: await mkdtemp(join(tmpdir(), 'hhnet-kernels-')),
    simd: false,
  });
  const be = getBackend();
  const rng = new Rng(8);
  let subsets = 0;
  for (const m of trainableModels()) {
    const all = learnableOf(m);
    if (all.length === 0) continue;
    // None learned, and the first one only: neither was compiled at build time.
    for (const learn of [[], all.slice(0, 1)]) {
      const prog = compileStep(stepDefinition(m), learn);
      assert.ok(kernels.has(prog), `${m.name} learning [${learn}]: served by the built-in kernels`);
      assert.equal(
        be.spikingKernelPath(prog),
        GENERATED_PATH,
        `${m.name} learning [${learn}] on the backend`,
      );
      const c = {
        timeVarying: false,
        repeat: 1,
        rateOutput: true,
        smooth: false,
        surrogate: 1,
        perNeuron: true,
      };
      const { res, grads } = runBoth(kernels, m, prog, c, rng);
      assert.deepEqual([...res[1].out], [...res[0].out], `${m.name} [${learn}]: outputs`);
      assert.deepEqual(
        [...grads[1].gradInput],
        [...grads[0].gradInput],
        `${m.name} [${learn}]: input gradient`,
      );
      grads[0].gradParams.forEach((g, q) => {
        const w = grads[1].gradParams[q];
        if (!g) return assert.equal(w, null);
        const scale = Math.max(...[...g].map(Math.abs));
        g.forEach((v, i) =>
          assert.ok(
            Math.abs(v - (w as Float32Array)[i]) <= 1e-6 * (Math.abs(v) + scale),
            `${m.name}: gradient ${q}[${i}]`,
          ),
        );
      });
      subsets++;
    }
  }
  assert.ok(subsets >= 6, `subsets checked: ${subsets}`);
});
