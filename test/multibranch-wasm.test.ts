// The multi-branch neuron's wasm kernels against the plain-TypeScript reference: outputs, saved
// states and every gradient (input, coupling, branch leak), for passive and active branches, with
// and without a soma input, static and time-varying input (frames of 1 and 3 steps), spike and
// rate outputs, every surrogate, hard and smooth mode, and sizes with odd unit counts (a pair of
// lanes straddling two samples, a lone last unit) and a single unit (both lanes of a pair adding
// into the same coupling gradients). Also: the layer trains identically on both backends.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createJsBackend } from '../src/kernels/js/index.js';
import { MultiBranchBase, multiBranchStateWidth } from '../src/kernels/js/multibranch.js';
import { WasmBackend, createWasmBackend } from '../src/kernels/wasm/index.js';
import { wasmPath } from '../src/kernels/wasm/module.js';
import { setBackend } from '../src/kernels/backend.js';
import { FULL_HH_MEMBRANE, fullHhRestingState } from '../src/nn/spiking.js';
import { MultiBranchNeurons } from '../src/nn/multibranch.js';
import { Tensor } from '../src/tensor/tensor.js';
import { mean, mul } from '../src/tensor/ops.js';
import { Adam } from '../src/optim/adam.js';
import { Rng } from '../src/util/rng.js';

const js = createJsBackend();

function filled(n: number, lo: number, hi: number, rng: Rng): Float32Array {
  return new Float32Array(n).map(() => rng.range(lo, hi));
}

/** |got − want| ≤ atol + rtol·|want| everywhere. */
function assertClose(got: Float32Array, want: Float32Array, rtol: number, atol: number, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i])))
      assert.fail(`${label}[${i}]: wasm ${got[i]}, js ${want[i]}`);
}

// [kind, parameter]: rectangular ±10 mV, sigmoid, arctan, fast sigmoid (mV scale).
const SURROGATES: readonly [number, number][] = [
  [0, 10],
  [1, 0.5],
  [2, 0.1],
  [3, 0.3],
];

describe('multi-branch wasm kernels match the js reference', () => {
  let be: WasmBackend;
  before(() => {
    assert.ok(fs.existsSync(wasmPath('baseline')), `${wasmPath('baseline')} is missing: run npm run build`);
    be = createWasmBackend({ threads: 1 });
  });

  it('outputs, saved states and gradients for every variant', () => {
    let seed = 7000;
    let spikes = 0;
    let silent = 0;
    let cases = 0;
    let moved = 0;
    const sizes: [number, number, number][] = [
      [3, 7, 6],
      [1, 1, 48],
      [2, 5, 48],
      [3, 1, 9],
    ];
    for (const [B, N, T] of sizes)
      for (const K of [1, 3])
        for (const somaInput of [false, true])
          for (const activeBranches of [false, true])
            for (const [timeVarying, inputRepeat] of [
              [false, 1],
              [true, 1],
              [true, 3],
            ] as const)
              for (const rateOutput of [false, true])
                for (const smooth of [false, true]) {
                  const rng = new Rng(seed++);
                  const [surrogate, surrogateParam] = SURROGATES[seed % SURROGATES.length];
                  const label = `B=${B} N=${N} T=${T} K=${K}${somaInput ? ' soma' : ''}${activeBranches ? ' active' : ''} ${timeVarying ? `tv R=${inputRepeat}` : 'static'} ${rateOutput ? 'rate' : 'spikes'} surrogate ${surrogate}${smooth ? ' smooth' : ''}`;
                  const BN = B * N;
                  const base: MultiBranchBase = {
                    batch: B,
                    neurons: N,
                    steps: T,
                    timeVarying,
                    inputRepeat,
                    rateOutput,
                    threshold: 30,
                    surrogate,
                    surrogateParam,
                    smooth,
                    branches: K,
                    somaInput,
                    activeBranches,
                    constants: FULL_HH_MEMBRANE,
                    dt: 0.05,
                    inputScale: 1.5,
                    initial: fullHhRestingState(FULL_HH_MEMBRANE),
                    // Signs mixed: the kernels use |·| and the gradients carry sign(·).
                    coupling: filled(N * K, -3, 3, rng),
                    branchLeak: filled(N * K, -0.5, 0.5, rng),
                  };
                  const inW = (K + (somaInput ? 1 : 0)) * N;
                  const input = filled(B * inW * (timeVarying ? T / inputRepeat : 1), 0, 60, rng);
                  const outLen = rateOutput ? BN : T * BN;
                  const S = multiBranchStateWidth(K, activeBranches);
                  const want = { out: new Float32Array(outLen), state: new Float32Array(S * T * BN) };
                  const got = { out: new Float32Array(outLen), state: new Float32Array(S * T * BN) };
                  js.multiBranchForward({ ...base, input, ...want });
                  const copied = be.copiedBytes();
                  be.multiBranchForward({ ...base, input, ...got });
                  // The operands went through the module's memory: the kernel ran, not a fallback.
                  assert.ok(be.copiedBytes() > copied, `the wasm kernel did not run: ${label}`);
                  // e^x differs in the last bits of float64: saved float32 states agree to rounding.
                  assertClose(got.state, want.state, 1e-5, 1e-5, `state ${label}`);
                  if (!rateOutput && !smooth) {
                    for (let o = 0; o < outLen; o++) {
                      if (want.out[o] === 1) spikes++;
                      else silent++;
                      if (got.out[o] !== want.out[o] && Math.abs(want.state[S * o] - base.threshold) > 1e-4)
                        assert.fail(`out ${label}[${o}]: wasm ${got.out[o]}, js ${want.out[o]}`);
                    }
                  } else assertClose(got.out, want.out, 1e-5, 1e-6, `out ${label}`);
                  const inference = new Float32Array(outLen);
                  be.multiBranchForward({ ...base, input, out: inference, state: null });
                  assert.deepEqual(inference, got.out, `out without saving ${label}`);
                  const gradOut = filled(outLen, -1, 1, rng);
                  // Gradients accumulate into what is there.
                  const start = {
                    gradInput: filled(input.length, -1, 1, rng),
                    gradCoupling: filled(N * K, -1, 1, rng),
                    gradBranchLeak: filled(N * K, -1, 1, rng),
                  };
                  const w = {
                    gradInput: start.gradInput.slice(),
                    gradCoupling: start.gradCoupling.slice(),
                    gradBranchLeak: start.gradBranchLeak.slice(),
                  };
                  const g = {
                    gradInput: start.gradInput.slice(),
                    gradCoupling: start.gradCoupling.slice(),
                    gradBranchLeak: start.gradBranchLeak.slice(),
                  };
                  js.multiBranchBackward({ ...base, state: want.state, gradOut, ...w });
                  be.multiBranchBackward({ ...base, state: want.state, gradOut, ...g });
                  assertClose(g.gradInput, w.gradInput, 1e-5, 1e-6, `gradInput ${label}`);
                  assertClose(g.gradCoupling, w.gradCoupling, 1e-5, 1e-6, `gradCoupling ${label}`);
                  assertClose(g.gradBranchLeak, w.gradBranchLeak, 1e-5, 1e-6, `gradBranchLeak ${label}`);
                  // Count the cases whose gradients moved (short runs far below threshold get none
                  // through a rectangular surrogate), so the comparison is not of untouched copies.
                  if (
                    w.gradInput.some((x, i) => x !== start.gradInput[i]) &&
                    w.gradCoupling.some((x, i) => x !== start.gradCoupling[i])
                  )
                    moved++;
                  // Only some gradients wanted: the others stay absent (null) on both.
                  const only = start.gradCoupling.slice();
                  const onlyJs = start.gradCoupling.slice();
                  be.multiBranchBackward({
                    ...base,
                    state: want.state,
                    gradOut,
                    gradInput: null,
                    gradCoupling: only,
                    gradBranchLeak: null,
                  });
                  js.multiBranchBackward({
                    ...base,
                    state: want.state,
                    gradOut,
                    gradInput: null,
                    gradCoupling: onlyJs,
                    gradBranchLeak: null,
                  });
                  assertClose(only, onlyJs, 1e-5, 1e-6, `gradCoupling alone ${label}`);
                  cases++;
                }
    assert.ok(spikes > 0 && silent > 0, `${spikes} spikes, ${silent} silent steps`);
    assert.equal(cases, 4 * 2 * 2 * 2 * 3 * 2 * 2);
    assert.ok(moved > cases * 0.8, `gradients reached inputs and coupling in ${moved} of ${cases} cases`);
  });

  it('rejects bad arguments with the reference messages', () => {
    const bad = {
      batch: 1,
      neurons: 2,
      steps: 3,
      timeVarying: false,
      rateOutput: false,
      threshold: 30,
      surrogate: 0,
      surrogateParam: 10,
      smooth: false,
      branches: 2,
      somaInput: false,
      constants: FULL_HH_MEMBRANE,
      dt: 0.05,
      inputScale: 1,
      initial: fullHhRestingState(FULL_HH_MEMBRANE),
      coupling: new Float32Array(3), // should be N·K = 4
      branchLeak: new Float32Array(4),
      input: new Float32Array(4),
      out: new Float32Array(6),
      state: null,
    };
    const message = (f: () => void): string => {
      try {
        f();
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    const fromJs = message(() => js.multiBranchForward(bad));
    assert.match(fromJs, /coupling/);
    assert.equal(
      message(() => be.multiBranchForward(bad)),
      fromJs,
    );
  });

  it('training steps of a multi-branch layer are the same on both backends', () => {
    const run = (backend: string): Float32Array[] => {
      setBackend(backend);
      const rng = new Rng(5);
      const layer = new MultiBranchNeurons([6], { rng, branches: 3, somaInput: true });
      const opt = new Adam(layer.parameters(), { lr: 0.05 });
      const x = new Tensor(filled(4 * 4 * 6, 0, 40, new Rng(9)), [4, 24]);
      for (let step = 0; step < 5; step++) {
        opt.zeroGrad();
        const out = layer.forward(x, { T: 40, timeVarying: false, output: 'rate' });
        const loss = mean(mul(out, out));
        loss.backward();
        opt.step();
      }
      return [layer.coupling.data.slice(), layer.branchLeak.data.slice()];
    };
    try {
      const [cJs, lJs] = run('js');
      const [cWasm, lWasm] = run('wasm');
      assertClose(cWasm, cJs, 1e-4, 1e-5, 'coupling after 5 Adam steps');
      assertClose(lWasm, lJs, 1e-4, 1e-5, 'branch leak after 5 Adam steps');
    } finally {
      setBackend('wasm');
    }
  });
});
