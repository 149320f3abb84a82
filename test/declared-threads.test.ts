// Generated SIMD kernels shared between the wasm backend's threads (declared-threads.ts): a call
// whose rows are split between 2 threads gives the floats of the same call on one thread, with and
// without parameter gradients, for every declared model (the built-ins, and one declared here,
// which the workers compile from shared memory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileStep, savedLength } from '../src/kernels/spiking/program.js';
import type { StepProgram } from '../src/kernels/spiking/program.js';
import { createWasmBackend } from '../src/kernels/wasm/index.js';
import type { WasmBackend } from '../src/kernels/wasm/index.js';
import { trainableModels } from '../src/neurons/catalog.js';
import { stepDefinition } from '../src/neurons/derive.js';
import { declareNeuron } from '../src/neurons/model.js';
import type { NeuronModel } from '../src/neurons/model.js';
import { Rng } from '../src/util/rng.js';
import { genericCall } from './helpers.js';

/** A model hhnet does not ship: quadratic integrate-and-fire with a learnable time constant. */
const qif = declareNeuron({
  name: 'qif-threads-test',
  description: 'quadratic integrate-and-fire, a model compiled at run time',
  states: { v: { init: 0 } },
  params: { tau: { value: 10, learnable: true }, vth: { value: 1 } },
  dynamics: { v: '(v*v + I)/tau' },
  spike: 'v >= vth',
  reset: { v: '0' },
  trainingDt: 1,
  drive: 0.5,
});

/** training: the fc layers' call; frozen: the same without parameter gradients; general: frames, smooth. */
type Mode = 'training' | 'frozen' | 'general';

interface Result {
  out: Float32Array;
  saved: Float32Array;
  gradInput: Float32Array;
  gradParams: (Float32Array | null)[];
}

/** One forward and backward of `prog` on `be` (inputs from `seed`, so both backends get the same). */
function run(
  be: WasmBackend,
  m: NeuronModel,
  prog: StepProgram,
  shape: { B: number; N: number; T: number },
  mode: Mode,
  seed: number,
): Result {
  const rng = new Rng(seed);
  const { B, N, T } = shape;
  const general = mode === 'general';
  const repeat = general ? 4 : 1;
  const frames = general ? T / repeat : 1;
  const drive = m.drive ?? 1;
  const input = Float32Array.from({ length: frames * B * N }, () => 2 * drive * rng.uniform());
  const base = genericCall(
    m,
    prog,
    { batch: B, neurons: N, steps: T },
    {
      timeVarying: general,
      inputRepeat: repeat,
      rateOutput: !general,
      surrogate: general ? 1 : 0,
      surrogateParam: general ? 1 : 0.5,
      smooth: general,
    },
    rng,
    { perNeuron: [0.9, 0.2], minDt: 0.05 },
  );
  const { params } = base;
  const out = new Float32Array(general ? T * B * N : B * N);
  const saved = new Float32Array(savedLength(prog, T, B, N));
  be.spikingForward({ ...base, input, out, saved });
  const gradOut = Float32Array.from({ length: out.length }, () => rng.uniform() - 0.5);
  const gradInput = new Float32Array(frames * B * N);
  const gradParams = params.map((p, q) =>
    prog.learnable.includes(q) && mode !== 'frozen' ? new Float32Array(N) : null,
  );
  be.spikingBackward({ ...base, detachReset: false, input, saved, gradOut, gradInput, gradParams });
  return { out, saved, gradInput, gradParams };
}

function assertSame(a: Result, b: Result, what: string): void {
  assert.deepEqual(b.out, a.out, `${what}: outputs`);
  assert.deepEqual(b.saved, a.saved, `${what}: saved states`);
  assert.deepEqual(b.gradInput, a.gradInput, `${what}: input gradients`);
  a.gradParams.forEach((g, q) => assert.deepEqual(b.gradParams[q], g, `${what}: gradient of parameter ${q}`));
}

test('declared kernels shared between 2 threads equal one thread bit for bit, for every model', async () => {
  const one = createWasmBackend({ threads: 1 });
  const two = createWasmBackend({ threads: 2 });
  await two.whenThreadsReady();
  try {
    // 16 × 96 neurons × 200 steps: past the sharing threshold, 6 chunks of 256 neurons.
    const shape = { B: 16, N: 96, T: 200 };
    for (const m of [...trainableModels(), qif]) {
      const prog = compileStep(
        stepDefinition(m),
        m.params.filter((p) => m.declaration.params[p].learnable),
      );
      for (const be of [one, two]) await be.prepareSpikingKernel(prog);
      for (const mode of ['training', 'frozen', 'general'] as const) {
        const shared = two.sharedInPlaceCalls();
        const what = `${m.name} (${mode})`;
        assertSame(run(one, m, prog, shape, mode, 11), run(two, m, prog, shape, mode, 11), what);
        // Forward and backward each ran as a shared job.
        assert.equal(two.sharedInPlaceCalls() - shared, 2, `${what}: shared calls`);
      }
    }
    // N not a multiple of 4: chunks are ranges of flat neurons, so rows may split mid-chunk.
    const m = trainableModels()[0];
    const prog = compileStep(stepDefinition(m), []);
    const odd = { B: 16, N: 94, T: 200 };
    for (const mode of ['training', 'general'] as const)
      assertSame(run(one, m, prog, odd, mode, 3), run(two, m, prog, odd, mode, 3), `N = 94 (${mode})`);
  } finally {
    one.close();
    two.close();
  }
});
