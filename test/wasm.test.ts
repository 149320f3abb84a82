import { compileStep } from '../src/kernels/spiking/program.js';
import { GENERATED_PATH } from '../src/kernels/wasm/index.js';
import { stepDefinition } from '../src/neurons/derive.js';
import { izhikevich } from '../src/neurons/izhikevich.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Backend } from '../src/kernels/backend.js';
import { createJsBackend } from '../src/kernels/js/index.js';
import {
  WASM_VARIANTS,
  WasmBackend,
  createWasmBackend,
  threadsFromEnv,
  wasmPath,
} from '../src/kernels/wasm/index.js';
import { resolveVariant, variantFromEnv } from '../src/kernels/wasm/module.js';
import { float32Step } from '../src/kernels/spiking-checks.js';
import { LEARNING_HH_MEMBRANE } from '../src/nn/spiking.js';
import { Rng } from '../src/util/rng.js';

const js = createJsBackend();

/** Fails with the fix in the message when the build did not produce hhnet.wasm. */
function assertBuilt(): void {
  for (const variant of WASM_VARIANTS) {
    assert.ok(
      fs.existsSync(wasmPath(variant)),
      `${wasmPath(variant)} is missing: the wasm backend is built by \`npm run build\` (its build:wasm step runs AssemblyScript on assembly/)`,
    );
  }
}

function filled(n: number, rng: Rng): Float32Array {
  return new Float32Array(n).map(() => rng.range(-1, 1));
}

/** Runs gemm on both backends from the same inputs; C has a sentinel tail neither may touch. */
function compareGemm(
  be: Backend,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  accumulate: boolean,
  seed: number,
): Float32Array {
  const rng = new Rng(seed);
  const a = filled(m * k, rng);
  const b = filled(k * n, rng);
  const c0 = filled(m * n + 3, rng);
  const want = c0.slice();
  const got = c0.slice();
  js.gemm(transA, transB, m, n, k, a, b, want, accumulate);
  be.gemm(transA, transB, m, n, k, a, b, got, accumulate);
  const label = `gemm(${transA}, ${transB}, ${m}, ${n}, ${k}, accumulate=${accumulate})`;
  // Float32 accumulation over k terms of size ≤ 1 (the reference sums in float64).
  const tol = 2e-7 * (k + 4);
  for (let i = 0; i < m * n; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
      assert.fail(`${label}: C[${Math.floor(i / n)}, ${i % n}] = ${got[i]}, reference ${want[i]}`);
    }
  }
  for (let i = m * n; i < c0.length; i++) assert.equal(got[i], c0[i], `${label} wrote past C`);
  return got;
}

const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

// Edges of the 4×8 micro-tile and of the 120/256/1024 cache blocks, primes, degenerate sizes.
const AWKWARD: [number, number, number][] = [
  [1, 1, 1],
  [1, 9, 3],
  [7, 1, 5],
  [2, 3, 1],
  [6, 8, 4],
  [7, 13, 17],
  [12, 16, 32],
  [13, 9, 257],
  [5, 17, 300],
  [121, 11, 3],
  [3, 1030, 5],
  [31, 37, 41],
  [64, 50, 128],
  [4, 8, 3],
  [16, 64, 9],
];

// Both builds: the relaxed one differs only in its gemm micro-kernel (fused multiply-add).
for (const variant of WASM_VARIANTS)
  describe(`wasm backend (${variant} build)`, () => {
    let be: WasmBackend;
    before(() => {
      assertBuilt();
      be = createWasmBackend({ threads: 1, variant });
    });

    it('is built and loads as a Backend named wasm', () => {
      assertBuilt();
      assert.equal(be.name, 'wasm');
      assert.equal(be.threads, 1);
      assert.equal(be.variant, variant);
    });

    it('gemm matches the js reference for every transpose, accumulate and awkward size', () => {
      let seed = 1;
      for (const [ta, tb] of TRANSPOSES) {
        for (const [m, n, k] of AWKWARD) {
          for (const acc of [false, true]) compareGemm(be, ta, tb, m, n, k, acc, seed++);
        }
      }
    });

    it('gemm matches on the hh-fc hot shapes at batch 128', () => {
      compareGemm(be, false, true, 128, 512, 1296, false, 101); // forward X·Wᵀ
      compareGemm(be, true, false, 512, 1296, 128, true, 102); // weight gradient Gᵀ·X
      compareGemm(be, false, false, 128, 1296, 512, true, 103); // input gradient G·W
    });

    it('gemm with k = 0 clears or keeps C, and m = 0 or n = 0 is a no-op', () => {
      const c = new Float32Array([1, 2, 3, 4]);
      be.gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), c, true);
      assert.deepEqual([...c], [1, 2, 3, 4]);
      be.gemm(true, true, 2, 2, 0, new Float32Array(0), new Float32Array(0), c, false);
      assert.deepEqual([...c], [0, 0, 0, 0]);
      be.gemm(false, false, 0, 3, 2, new Float32Array(0), new Float32Array(6), c, false);
      assert.deepEqual([...c], [0, 0, 0, 0]);
    });

    it('gemm reads only the leading part of longer arrays and rejects short ones', () => {
      compareGemm(be, false, false, 3, 5, 7, false, 7);
      const rng = new Rng(9);
      const a = filled(4 * 6 + 5, rng);
      const b = filled(6 * 3 + 2, rng);
      const want = new Float32Array(12);
      const got = new Float32Array(12);
      js.gemm(false, false, 4, 3, 6, a, b, want, false);
      be.gemm(false, false, 4, 3, 6, a, b, got, false);
      for (let i = 0; i < 12; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5);
      assert.throws(
        () => be.gemm(false, false, 4, 3, 6, a.subarray(0, 10), b, got, false),
        /A has 10 floats/,
      );
    });

    it('adam matches the js reference over several steps with weight decay', () => {
      for (const n of [1, 7, 16, 1031, 1296 * 512]) {
        const rng = new Rng(n);
        const p0 = filled(n, rng);
        const pw = p0.slice();
        const pj = p0.slice();
        const mw = new Float32Array(n);
        const vw = new Float32Array(n);
        const mj = new Float32Array(n);
        const vj = new Float32Array(n);
        for (let step = 1; step <= 5; step++) {
          const g = filled(n, rng);
          be.adam(pw, g, mw, vw, 1e-3, 0.9, 0.999, 1e-8, 5e-4, step);
          js.adam(pj, g, mj, vj, 1e-3, 0.9, 0.999, 1e-8, 5e-4, step);
        }
        for (let i = 0; i < n; i++) {
          if (!(
            Math.abs(pw[i] - pj[i]) <= 1e-6 &&
            Math.abs(mw[i] - mj[i]) <= 1e-6 &&
            Math.abs(vw[i] - vj[i]) <= 1e-6
          )) {
            assert.fail(`adam n=${n} [${i}]: p ${pw[i]}/${pj[i]}, m ${mw[i]}/${mj[i]}, v ${vw[i]}/${vj[i]}`);
          }
        }
        assert.notDeepEqual(pw, p0);
      }
    });

    it('runs every spiking kernel itself (none falls through to the js reference)', () => {
      for (const key of Object.keys(js) as (keyof Backend)[]) {
        if (key === 'name') continue;
        assert.notEqual(be[key], js[key], `${key} should be the wasm kernel`);
      }
      // Built-in declarations run kernels generated at build time; other learnable sets (or
      // models declared at run time) the reference until prepared, and the path says so.
      const builtin = compileStep(stepDefinition(izhikevich), ['a', 'b', 'c', 'd']);
      assert.equal(be.spikingKernelPath(builtin), GENERATED_PATH);
      const other = compileStep(stepDefinition(izhikevich), ['v0']);
      assert.equal(be.spikingKernelPath(other), 'reference');
    });
  });

for (const variant of WASM_VARIANTS)
  describe(`wasm backend with worker threads (${variant} build)`, () => {
    let one: WasmBackend;
    let two: WasmBackend;
    // Never waits for a worker's chunk: the caller takes over every chunk still in flight, while
    // the worker may go on writing its own copy; exercises that path and the wait before reuse.
    let eager: WasmBackend;
    before(async () => {
      assertBuilt();
      one = createWasmBackend({ threads: 1, variant });
      two = createWasmBackend({ threads: 2, variant });
      eager = createWasmBackend({ threads: 2, graceMs: 0, variant });
      await Promise.all([two.whenThreadsReady(), eager.whenThreadsReady()]);
    });
    after(() => {
      two?.close();
      eager?.close();
    });

    // Big enough to be shared (≥ 8 MFLOP); the split follows the 8-column micro-panels, so the
    // threaded result must equal the single-threaded one bit for bit.
    const SHARED: [boolean, boolean, number, number, number, boolean][] = [
      [false, true, 128, 512, 1296, false],
      [true, false, 512, 1296, 128, true],
      [false, false, 128, 1296, 512, true],
      [false, false, 67, 131, 523, false],
      [false, true, 67, 131, 523, true],
      [true, false, 300, 71, 250, false],
      [true, true, 300, 71, 250, true],
      [true, true, 6, 4100, 200, false],
      [false, true, 6, 4100, 200, true],
    ];

    it('matches the js reference and the single-threaded result exactly', () => {
      let seed = 500;
      for (const [ta, tb, m, n, k, acc] of SHARED) {
        const got = compareGemm(two, ta, tb, m, n, k, acc, seed);
        const rng = new Rng(seed++);
        const a = filled(m * k, rng);
        const b = filled(k * n, rng);
        const c0 = filled(m * n + 3, rng);
        const single = c0.slice();
        const taken = c0.slice();
        one.gemm(ta, tb, m, n, k, a, b, single, acc);
        eager.gemm(ta, tb, m, n, k, a, b, taken, acc);
        assert.deepEqual(
          got,
          single,
          `threaded gemm(${ta}, ${tb}, ${m}, ${n}, ${k}) differs from one thread`,
        );
        assert.deepEqual(
          taken,
          single,
          `gemm(${ta}, ${tb}, ${m}, ${n}, ${k}) with taken-over chunks differs`,
        );
      }
    });

    it('stays exact over many back-to-back shared products', () => {
      const rng = new Rng(77);
      const [m, n, k] = [96, 200, 300];
      const a = filled(m * k, rng);
      const b = filled(k * n, rng);
      for (let rep = 0; rep < 60; rep++) {
        const c0 = filled(m * n, rng);
        const c1 = c0.slice();
        const c2 = c0.slice();
        const c3 = c0.slice();
        const acc = rep % 3 !== 0;
        one.gemm(rep % 2 === 0, false, m, n, k, a, b, c1, acc);
        two.gemm(rep % 2 === 0, false, m, n, k, a, b, c2, acc);
        eager.gemm(rep % 2 === 0, false, m, n, k, a, b, c3, acc);
        assert.deepEqual(c2, c1, `rep ${rep}`);
        assert.deepEqual(c3, c1, `rep ${rep}, chunks taken over`);
      }
    });

    it('shares a large Adam step over resident buffers and matches one thread bit for bit', () => {
      const n = 1296 * 512 + 3;
      const rng = new Rng(31);
      const init = [filled(n, rng), filled(n, rng), filled(n, rng), filled(n, rng).map(Math.abs)];
      const run = (be: WasmBackend) => {
        const [p, g, m, v] = init.map((x) => {
          const buf = be.allocate(n);
          buf.set(x);
          return buf;
        });
        for (let step = 1; step <= 3; step++) be.adam(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 1e-4, step);
        const out = [p, g, m, v].map((x) => x.slice());
        [p, g, m, v].forEach((x) => be.release(x));
        return out;
      };
      const single = run(one);
      const shared = run(two);
      for (let i = 0; i < 4; i++) assert.deepEqual(shared[i], single[i], `buffer ${i}`);
      assert.notDeepEqual(single[0], init[0], 'the step changed the parameters');
    });

    it('lets Node exit while its workers are idle', () => {
      const kernels = new URL('../src/kernels/index.js', import.meta.url).href;
      const script = `
      const k = await import(${JSON.stringify(kernels)});
      const be = k.createWasmBackend({ threads: 2 });
      await be.whenThreadsReady();
      const a = new Float32Array(256 * 256).fill(1);
      const c = new Float32Array(256 * 256);
      be.gemm(false, false, 256, 256, 256, a, a, c, false);
      console.log(c[0]);`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(run.error, undefined, `child did not exit: ${String(run.error)}`);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.trim(), '256');
    });
  });

describe('backend selection', () => {
  const kernels = fileURLToPath(new URL('../src/kernels/index.js', import.meta.url));
  const pick = (env: NodeJS.ProcessEnv) =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const k = await import(${JSON.stringify(kernels)}); console.log(k.getBackend().name);`,
      ],
      { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 },
    );

  it('defaults to wasm, and HHNET_BACKEND picks one', () => {
    assertBuilt();
    assert.equal(pick({ HHNET_BACKEND: '' }).stdout.trim(), 'wasm');
    assert.equal(pick({ HHNET_BACKEND: 'js' }).stdout.trim(), 'js');
    assert.equal(pick({ HHNET_BACKEND: 'wasm' }).stdout.trim(), 'wasm');
  });

  it('rejects an unknown HHNET_BACKEND, listing the valid names', () => {
    const run = pick({ HHNET_BACKEND: 'cuda' });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /HHNET_BACKEND='cuda' is not a backend \(valid: js, wasm\)/);
  });

  it('runs the relaxed-SIMD build where the runtime accepts it, and HHNET_WASM_SIMD picks one', () => {
    const variantOf = (env: NodeJS.ProcessEnv) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const k = await import(${JSON.stringify(kernels)}); console.log(k.getBackend().variant);`,
        ],
        { encoding: 'utf8', env: { ...process.env, HHNET_BACKEND: 'wasm', ...env }, timeout: 20_000 },
      );
    // Node 20 accepts it once --experimental-wasm-relaxed-simd is set (module.ts does that).
    assert.equal(variantOf({ HHNET_WASM_SIMD: '' }).stdout.trim(), 'relaxed');
    assert.equal(variantOf({ HHNET_WASM_SIMD: 'baseline' }).stdout.trim(), 'baseline');
    assert.equal(variantOf({ HHNET_WASM_SIMD: 'relaxed' }).stdout.trim(), 'relaxed');
    assert.equal(resolveVariant('baseline'), 'baseline');
    assert.equal(variantFromEnv({ HHNET_WASM_SIMD: ' Auto ' }), 'auto');
    assert.throws(
      () => variantFromEnv({ HHNET_WASM_SIMD: 'avx512' }),
      /HHNET_WASM_SIMD='avx512' is not one of auto, relaxed, baseline/,
    );
  });

  it('reads HHNET_THREADS', () => {
    assert.equal(threadsFromEnv({ HHNET_THREADS: '1' }), 1);
    assert.equal(threadsFromEnv({ HHNET_THREADS: ' 3 ' }), 3);
    assert.ok(threadsFromEnv({}) >= 1);
    assert.throws(
      () => threadsFromEnv({ HHNET_THREADS: 'many' }),
      /HHNET_THREADS='many' is not a thread count/,
    );
    assert.throws(() => threadsFromEnv({ HHNET_THREADS: '0' }), /is not a thread count/);
  });
});

// ---------------------------------------------------------------------------------------------
// Fused spiking kernels: both backends' kernels called directly on the same random inputs.

/** Surrogate ids with a parameter each: rectangular, sigmoid, arctan, fast sigmoid. */
const SURROGATES: readonly [number, number][] = [
  [0, 0.5],
  [1, 3],
  [2, 2],
  [3, 4],
];

/**
 * [B, N, T]: group tails (N, B·N not multiples of 4 or 8), a single step, a single neuron; T a
 * multiple of 3 (time-varying input in frames of 3 steps) with and without tails.
 */
const SPIKING_SIZES: readonly [number, number, number][] = [
  [3, 7, 1],
  [3, 7, 5],
  [2, 16, 5],
  [1, 1, 3],
  [2, 13, 9],
  [2, 16, 6],
];

/** Steps per time-varying input frame tried besides 1 (where it divides T). */
const INPUT_REPEAT = 3;

interface SpikingVariant {
  timeVarying: boolean;
  /** Steps per time-varying input frame. */
  inputRepeat: number;
  rateOutput: boolean;
  surrogate: number;
  surrogateParam: number;
  smooth: boolean;
}

function spikingVariants(T: number): SpikingVariant[] {
  const out: SpikingVariant[] = [];
  const repeats = T % INPUT_REPEAT === 0 ? [1, INPUT_REPEAT] : [1];
  for (const [timeVarying, inputRepeat] of [[false, 1] as const, ...repeats.map((r) => [true, r] as const)])
    for (const rateOutput of [false, true])
      for (const [surrogate, surrogateParam] of SURROGATES)
        for (const smooth of [false, true])
          out.push({ timeVarying, inputRepeat, rateOutput, surrogate, surrogateParam, smooth });
  return out;
}

/** Input frames of a call: T / R time-varying, or one static frame. */
function framesOf(v: SpikingVariant, T: number): number {
  return v.timeVarying ? T / v.inputRepeat : 1;
}

function rangeFilled(n: number, lo: number, hi: number, rng: Rng): Float32Array {
  return new Float32Array(n).map(() => rng.range(lo, hi));
}

function describeVariant(v: SpikingVariant, B: number, N: number, T: number, extra = ''): string {
  return (
    `B=${B} N=${N} T=${T} ${v.timeVarying ? `time-varying R=${v.inputRepeat}` : 'static'} ` +
    `${v.rateOutput ? 'rate' : 'spikes'} ` +
    `surrogate ${v.surrogate}:${v.surrogateParam}${v.smooth ? ' smooth' : ''}${extra}`
  );
}

/** |got − want| ≤ atol + rtol·|want| everywhere (float32 tolerance of float64 computations). */
function assertClose(got: Float32Array, want: Float32Array, rtol: number, atol: number, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
      assert.fail(`${label}[${i}]: wasm ${got[i]}, js ${want[i]}`);
    }
  }
}

/** Spike outputs must agree exactly (smooth outputs are continuous: float32 tolerance). */
function assertSameOutput(got: Float32Array, want: Float32Array, smooth: boolean, label: string): void {
  if (smooth) return assertClose(got, want, 1e-5, 1e-6, label);
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) assert.fail(`${label}[${i}]: wasm ${got[i]}, js ${want[i]}`);
  }
}

/** Counts spikes (1s) and silences (0s) of hard outputs, so the cases are known to exercise both. */
class SpikeTally {
  ones = 0;
  zeros = 0;
  add(out: Float32Array, v: SpikingVariant): void {
    if (v.smooth || v.rateOutput) return;
    for (const s of out) {
      if (s === 1) this.ones++;
      else this.zeros++;
    }
  }
  assertBoth(what: string): void {
    assert.ok(this.ones > 0 && this.zeros > 0, `${what}: ${this.ones} spikes, ${this.zeros} silent steps`);
  }
}

describe('wasm spiking kernels match the js reference', () => {
  let be: WasmBackend;
  before(() => {
    assertBuilt();
    be = createWasmBackend({ threads: 1 });
  });

  it('LIF: outputs, saved membranes and input gradients for every variant and size', () => {
    const tally = new SpikeTally();
    let seed = 1000;
    for (const [B, N, T] of SPIKING_SIZES) {
      for (const v of spikingVariants(T)) {
        for (const detachReset of [false, true]) {
          const label = describeVariant(v, B, N, T, detachReset ? ' detachReset' : '');
          const rng = new Rng(seed++);
          const BN = B * N;
          const base = { batch: B, neurons: N, steps: T, threshold: 1, decay: 0.6, ...v };
          const input = rangeFilled(BN * framesOf(v, T), -0.4, 1.6, rng);
          const outLen = v.rateOutput ? BN : T * BN;
          const want = { out: new Float32Array(outLen), mem: new Float32Array(T * BN) };
          const got = { out: new Float32Array(outLen), mem: new Float32Array(T * BN) };
          js.lifForward({ ...base, input, ...want });
          be.lifForward({ ...base, input, ...got });
          assertSameOutput(got.out, want.out, v.smooth, `lif out ${label}`);
          assertClose(got.mem, want.mem, 1e-6, 1e-6, `lif mem ${label}`);
          tally.add(want.out, v);
          const inference = new Float32Array(outLen);
          be.lifForward({ ...base, input, out: inference, mem: null });
          assert.deepEqual(inference, got.out, `lif out without saving ${label}`);
          const gradOut = rangeFilled(outLen, -1, 1, rng);
          const g0 = rangeFilled(input.length, -1, 1, rng);
          const gWant = g0.slice();
          const gGot = g0.slice();
          const bwd = { ...base, detachReset, mem: want.mem, gradOut };
          js.lifBackward({ ...bwd, gradInput: gWant });
          be.lifBackward({ ...bwd, gradInput: gGot });
          assertClose(gGot, gWant, 1e-5, 1e-5, `lif gradInput ${label}`);
        }
      }
    }
    tally.assertBoth('lif');
  });

  it('learning HH: outputs, saved v, input and rate gradients for every variant and size', () => {
    const tally = new SpikeTally();
    let seed = 2000;
    for (const [B, N, T] of SPIKING_SIZES) {
      for (const v of spikingVariants(T)) {
        for (const [shared, detachIonic] of [
          [false, false],
          [true, false],
          [false, true],
        ]) {
          const label = describeVariant(
            v,
            B,
            N,
            T,
            `${shared ? ' shared rates, scalar dt' : ''}${detachIonic ? ' detachIonic' : ''}`,
          );
          const rng = new Rng(seed++);
          const BN = B * N;
          // Shared: one value per rate (and one dt) repeated over the neurons, as the layer passes them.
          const rates = new Float32Array(6 * N);
          for (let r = 0; r < 6; r++) {
            const one = rng.range(0.05, 1.5);
            for (let j = 0; j < N; j++) rates[r * N + j] = shared ? one : rng.range(0.05, 1.5);
          }
          const dt = shared ? new Float32Array(N).fill(0.1) : rangeFilled(N, 0.02, 0.2, rng);
          const base = {
            batch: B,
            neurons: N,
            steps: T,
            threshold: 2,
            constants: LEARNING_HH_MEMBRANE,
            dt,
            rates,
            ...v,
          };
          const input = v.timeVarying
            ? rangeFilled(framesOf(v, T) * BN, -5, 40, rng)
            : rangeFilled(BN, 0, 30, rng);
          const outLen = v.rateOutput ? BN : T * BN;
          const want = { out: new Float32Array(outLen), v: new Float32Array(T * BN) };
          const got = { out: new Float32Array(outLen), v: new Float32Array(T * BN) };
          js.learningHhForward({ ...base, input, ...want });
          be.learningHhForward({ ...base, input, ...got });
          assertSameOutput(got.out, want.out, v.smooth, `learning HH out ${label}`);
          assertClose(got.v, want.v, 1e-6, 1e-6, `learning HH v ${label}`);
          tally.add(want.out, v);
          const inference = new Float32Array(outLen);
          be.learningHhForward({ ...base, input, out: inference, v: null });
          assert.deepEqual(inference, got.out, `learning HH out without saving ${label}`);
          const gradOut = rangeFilled(outLen, -1, 1, rng);
          const gi0 = rangeFilled(input.length, -1, 1, rng);
          const gr0 = rangeFilled(6 * N, -1, 1, rng);
          const bwd = { ...base, detachIonic, v: want.v, gradOut };
          const run = (k: Backend, withInput: boolean, withRates: boolean): Float32Array[] => {
            const gradInput = withInput ? gi0.slice() : null;
            const gradRates = withRates ? gr0.slice() : null;
            k.learningHhBackward({ ...bwd, gradInput, gradRates });
            return [gradInput ?? gi0, gradRates ?? gr0];
          };
          for (const [withInput, withRates] of [
            [true, true],
            [true, false],
            [false, true],
          ]) {
            const [wi, wr] = run(js, withInput, withRates);
            const [gi, gr] = run(be, withInput, withRates);
            const which = label + (withInput ? '' : ' (no gradInput)') + (withRates ? '' : ' (no gradRates)');
            assertClose(gi, wi, 1e-5, 1e-5, `learning HH gradInput ${which}`);
            assertClose(gr, wr, 1e-5, 1e-5, `learning HH gradRates ${which}`);
          }
        }
      }
    }
    tally.assertBoth('learning HH');
  });

  it('learning HH without a saved v (closed form for a static input, else a rerun forward) matches the reference', () => {
    let seed = 2500;
    let affineCases = 0;
    let factorCases = 0;
    for (const [B, N, T] of [...SPIKING_SIZES, [5, 37, 15] as [number, number, number]]) {
      for (const v of spikingVariants(T)) {
        for (const detachIonic of [false, true]) {
          const label = describeVariant(v, B, N, T, detachIonic ? ' detachIonic' : '');
          const rng = new Rng(seed++);
          const BN = B * N;
          const rates = rangeFilled(6 * N, 0.05, 1.5, rng);
          const dt = rangeFilled(N, 0.02, 0.2, rng);
          const base = {
            batch: B,
            neurons: N,
            steps: T,
            threshold: 2,
            constants: LEARNING_HH_MEMBRANE,
            dt,
            rates,
            ...v,
          };
          const input = v.timeVarying
            ? rangeFilled(framesOf(v, T) * BN, -5, 40, rng)
            : rangeFilled(BN, 0, 30, rng);
          const outLen = v.rateOutput ? BN : T * BN;
          const want = { out: new Float32Array(outLen), v: new Float32Array(T * BN) };
          js.learningHhForward({ ...base, input, ...want });
          const out = new Float32Array(outLen);
          be.learningHhForward({ ...base, input, out, v: null });
          assertSameOutput(out, want.out, v.smooth, `out without saving ${label}`);
          const gradOut = rangeFilled(outLen, -1, 1, rng);
          const gi0 = rangeFilled(input.length, -1, 1, rng);
          const gr0 = rangeFilled(6 * N, -1, 1, rng);
          for (const withRates of [false, true]) {
            const gradRates = () => (withRates ? gr0.slice() : null);
            const bwd = { ...base, detachIonic, gradOut };
            const wi = gi0.slice();
            const wr = gradRates();
            js.learningHhBackward({ ...bwd, v: want.v, gradInput: wi, gradRates: wr });
            // The reference recomputing v gives its saved-v result exactly.
            const ri = gi0.slice();
            const rr = gradRates();
            js.learningHhBackward({ ...bwd, v: null, input, gradInput: ri, gradRates: rr });
            assert.deepEqual(ri, wi, `js gradInput from the input ${label}`);
            assert.deepEqual(rr, wr, `js gradRates from the input ${label}`);
            const gi = gi0.slice();
            const gr = gradRates();
            be.learningHhBackward({ ...bwd, v: null, input, gradInput: gi, gradRates: gr });
            const which = `${label}${withRates ? '' : ' (no gradRates)'}`;
            assertClose(gi, wi, 1e-5, 1e-5, `gradInput from the input ${which}`);
            if (wr && gr) assertClose(gr, wr, 1e-5, 1e-5, `gradRates from the input ${which}`);
            if (!v.timeVarying && !v.smooth && v.surrogate === 0 && (!withRates || detachIonic))
              affineCases++;
          }
          if (!v.timeVarying && v.rateOutput && !v.smooth && v.surrogate === 0) {
            // The input gradient factor: the forward computes it, backward is one multiply.
            const fwd = { ...base, input, detachIonic, v: null };
            const [wf, gf] = [new Float32Array(BN), new Float32Array(BN)];
            const [wo, go] = [new Float32Array(outLen), new Float32Array(outLen)];
            js.learningHhForward({ ...fwd, out: wo, inputGradFactor: wf });
            be.learningHhForward({ ...fwd, out: go, inputGradFactor: gf });
            assert.deepEqual(wo, want.out, `js out with the factor ${label}`);
            assertSameOutput(go, want.out, false, `out with the factor ${label}`);
            assertClose(gf, wf, 1e-6, 1e-6, `input gradient factor ${label}`);
            const wi = gi0.slice();
            js.learningHhBackward({
              ...base,
              detachIonic,
              gradOut,
              v: want.v,
              gradInput: wi,
              gradRates: null,
            });
            for (const [k, f, name] of [
              [js, wf, 'js'],
              [be, gf, 'wasm'],
            ] as const) {
              const gi = gi0.slice();
              k.learningHhBackward({
                ...base,
                detachIonic,
                gradOut,
                v: null,
                inputGradFactor: f,
                gradInput: gi,
                gradRates: null,
              });
              assertClose(gi, wi, 1e-5, 1e-5, `${name} gradInput from the factor ${label}`);
            }
            factorCases++;
          }
        }
      }
    }
    assert.ok(affineCases > 20, `closed-form cases: ${affineCases}`);
    assert.ok(factorCases > 10, `input gradient factor cases: ${factorCases}`);
    assert.throws(
      () =>
        be.learningHhBackward({
          batch: 1,
          neurons: 1,
          steps: 2,
          timeVarying: false,
          rateOutput: true,
          threshold: 2,
          surrogate: 0,
          surrogateParam: 0.5,
          smooth: false,
          constants: LEARNING_HH_MEMBRANE,
          dt: Float32Array.of(0.1),
          rates: new Float32Array(6),
          detachIonic: false,
          v: null,
          gradOut: new Float32Array(1),
          gradInput: new Float32Array(1),
          gradRates: null,
        }),
      /learningHhBackward: give v \(saved by the forward\) or input \(to recompute v from\)/,
    );
  });

  it('learning HH closed form: inputs on the knife edge of a spike or window decision agree with the reference', () => {
    // The closed form decides in float32 only away from the edges; bisection finds pairs of
    // adjacent float32 inputs whose reference decisions differ, where it must take the exact path.
    const [N, T] = [8, 15];
    const rng = new Rng(77);
    const rates = rangeFilled(6 * N, 0.05, 1.5, rng);
    const dt = rangeFilled(N, 0.02, 0.2, rng);
    const common = {
      neurons: N,
      steps: T,
      timeVarying: false,
      threshold: 2,
      surrogate: 0,
      surrogateParam: 0.5,
      smooth: false,
    };
    const base = { ...common, constants: LEARNING_HH_MEMBRANE, dt, rates };
    // Reference rate of every neuron for one input vector (batch 1).
    const refRates = (x: Float32Array): Float32Array => {
      const out = new Float32Array(N);
      js.learningHhForward({ ...base, batch: 1, rateOutput: true, input: x, out, v: null });
      return out;
    };
    const refGrad = (x: Float32Array): Float32Array => {
      const g = new Float32Array(N);
      const gradOut = new Float32Array(N).fill(1);
      js.learningHhBackward({
        ...base,
        batch: 1,
        rateOutput: true,
        detachIonic: false,
        v: null,
        input: x,
        gradOut,
        gradInput: g,
        gradRates: null,
      });
      return g;
    };
    /** Adjacent float32 pairs (lo, hi) in [0, 30] where f's value for neuron j changes. */
    const edges = (f: (x: Float32Array) => Float32Array, j: number): number[] => {
      const at = (u: number) => f(new Float32Array(N).fill(u))[j];
      const found: number[] = [];
      let prev = 0;
      for (let k = 1; k <= 60; k++) {
        const next = Math.fround(k / 2);
        if (at(prev) !== at(next)) {
          let [lo, hi] = [prev, next];
          while (float32Step(lo, true) < hi) {
            const mid = Math.fround((lo + hi) / 2);
            if (mid === lo || mid === hi) break;
            if (at(mid) === at(lo)) lo = mid;
            else hi = mid;
          }
          found.push(lo, hi);
        }
        prev = next;
      }
      return found;
    };
    let pairs = 0;
    for (const [what, f] of [
      ['spike', refRates],
      ['window', refGrad],
    ] as const) {
      for (let j = 0; j < N; j++) {
        const xs = edges(f, j);
        pairs += xs.length / 2;
        if (xs.length === 0) continue;
        // Every edge input in neuron j's column, one per batch row; the other neurons random.
        const B = xs.length;
        const input = rangeFilled(B * N, 0, 30, rng);
        xs.forEach((x, b) => (input[b * N + j] = x));
        for (const rateOutput of [true, false]) {
          const outLen = rateOutput ? B * N : T * B * N;
          const want = { out: new Float32Array(outLen), v: new Float32Array(T * B * N) };
          js.learningHhForward({ ...base, batch: B, rateOutput, input, ...want });
          const out = new Float32Array(outLen);
          be.learningHhForward({ ...base, batch: B, rateOutput, input, out, v: null });
          assertSameOutput(
            out,
            want.out,
            false,
            `${what} edges of neuron ${j}: out (${rateOutput ? 'rate' : 'spikes'})`,
          );
          const gradOut = rangeFilled(outLen, 0.5, 1, rng);
          const wi = new Float32Array(B * N);
          const gi = new Float32Array(B * N);
          const bwd = { ...base, batch: B, rateOutput, detachIonic: false, gradOut, gradRates: null };
          js.learningHhBackward({ ...bwd, v: want.v, gradInput: wi });
          be.learningHhBackward({ ...bwd, v: null, input, gradInput: gi });
          // A wrong window decision would change the gradient by a whole step's term, not 1e-6.
          assertClose(
            gi,
            wi,
            1e-5,
            1e-6,
            `${what} edges of neuron ${j}: gradInput (${rateOutput ? 'rate' : 'spikes'})`,
          );
          if (!rateOutput) continue;
          const factor = new Float32Array(B * N);
          const fo = new Float32Array(outLen);
          be.learningHhForward({
            ...base,
            batch: B,
            rateOutput,
            input,
            out: fo,
            v: null,
            inputGradFactor: factor,
          });
          assertSameOutput(fo, want.out, false, `${what} edges of neuron ${j}: out with the factor`);
          const fi = new Float32Array(B * N);
          be.learningHhBackward({ ...bwd, v: null, inputGradFactor: factor, gradInput: fi });
          assertClose(fi, wi, 1e-5, 1e-6, `${what} edges of neuron ${j}: gradInput from the factor`);
        }
      }
    }
    assert.ok(pairs > 20, `knife-edge pairs found: ${pairs}`);
  });

  it('s-LIF2HH: outputs, saved membranes, input and weight gradients for every variant and size', () => {
    const tally = new SpikeTally();
    let seed = 4000;
    for (const [B, N, T] of SPIKING_SIZES) {
      for (const v of spikingVariants(T)) {
        for (const [shared, detachReset] of [
          [false, false],
          [true, false],
          [false, true],
        ]) {
          const label = describeVariant(
            v,
            B,
            N,
            T,
            `${shared ? ' shared weights' : ''}${detachReset ? ' detachReset' : ''}`,
          );
          const rng = new Rng(seed++);
          const BN = B * N;
          // Raw weights of both signs, one exactly 0 (its gradient is 0: sign(0) = 0).
          const triple = [rng.range(-1, 1), rng.range(-1, 1), 0];
          const weights = new Float32Array(3 * N).map((_, k) =>
            shared ? triple[k % 3] : k === 1 ? 0 : rng.range(-1, 1),
          );
          const base = { batch: B, neurons: N, steps: T, threshold: 1, decay: 0.5, weights, ...v };
          const input = rangeFilled(3 * BN * framesOf(v, T), -0.3, 1.8, rng);
          const outLen = 4 * BN * (v.rateOutput ? 1 : T);
          const want = { out: new Float32Array(outLen), mem: new Float32Array(4 * T * BN) };
          const got = { out: new Float32Array(outLen), mem: new Float32Array(4 * T * BN) };
          js.slif2hhForward({ ...base, input, ...want });
          be.slif2hhForward({ ...base, input, ...got });
          assertSameOutput(got.out, want.out, v.smooth, `s-LIF2HH out ${label}`);
          assertClose(got.mem, want.mem, 1e-6, 1e-6, `s-LIF2HH mem ${label}`);
          tally.add(want.out, v);
          const inference = new Float32Array(outLen);
          be.slif2hhForward({ ...base, input, out: inference, mem: null });
          assert.deepEqual(inference, got.out, `s-LIF2HH out without saving ${label}`);
          const gradOut = rangeFilled(outLen, -1, 1, rng);
          const gi0 = rangeFilled(input.length, -1, 1, rng);
          const gw0 = rangeFilled(3 * N, -1, 1, rng);
          const bwd = { ...base, detachReset, mem: want.mem, gradOut };
          const run = (k: Backend, withInput: boolean, withWeights: boolean): Float32Array[] => {
            const gradInput = withInput ? gi0.slice() : null;
            const gradWeights = withWeights ? gw0.slice() : null;
            k.slif2hhBackward({ ...bwd, gradInput, gradWeights });
            return [gradInput ?? gi0, gradWeights ?? gw0];
          };
          for (const [withInput, withWeights] of [
            [true, true],
            [true, false],
            [false, true],
          ]) {
            const [wi, ww] = run(js, withInput, withWeights);
            const [gi, gw] = run(be, withInput, withWeights);
            const which =
              label + (withInput ? '' : ' (no gradInput)') + (withWeights ? '' : ' (no gradWeights)');
            assertClose(gi, wi, 1e-5, 1e-5, `s-LIF2HH gradInput ${which}`);
            assertClose(gw, ww, 1e-5, 1e-5, `s-LIF2HH gradWeights ${which}`);
          }
        }
      }
    }
    tally.assertBoth('s-LIF2HH');
  });

  it('float32 backward paths decide spikes and windows exactly like the float64 reference', () => {
    // Saved states at float32 neighbours of θ, θ − p and θ + p: a decision made differently from
    // the reference's float64 tests (u > θ, −p < u − θ < p) would change a gradient by O(1).
    const bits = new Float32Array(1);
    const word = new Int32Array(bits.buffer);
    const neighbours = (c: number): number[] => {
      bits[0] = c;
      const at = word[0];
      return [-3, -2, -1, 0, 1, 2, 3].map((d) => {
        word[0] = at + (c >= 0 ? d : -d);
        return bits[0];
      });
    };
    const cases: [number, number][] = [
      [0.3, 0.5],
      [0.5, 0.25],
      [0.2, 0.3],
      [-0.7, 0.1],
      [2.3, 0.4],
      [1000, 1e-9],
    ];
    let seed = 5000;
    for (const [threshold, surrogateParam] of cases) {
      const values = [threshold, threshold - surrogateParam, threshold + surrogateParam].flatMap(neighbours);
      const N = values.length;
      const T = 3;
      const rng = new Rng(seed++);
      const shuffled = (): number[] =>
        values
          .map((v) => [rng.uniform(), v])
          .sort((a, b) => a[0] - b[0])
          .map((e) => e[1]);
      const states = Float32Array.from([...values, ...shuffled(), ...shuffled()]);
      const label = `θ ${threshold}, p ${surrogateParam}`;
      const base = {
        batch: 1,
        neurons: N,
        steps: T,
        timeVarying: true,
        rateOutput: false,
        threshold,
        surrogate: 0,
        surrogateParam,
        smooth: false,
      };
      const gradOut = rangeFilled(T * N, 0.5, 1.5, rng);
      const lif = { ...base, decay: 0.6, detachReset: false, mem: states, gradOut };
      const lifWant = new Float32Array(T * N);
      const lifGot = new Float32Array(T * N);
      js.lifBackward({ ...lif, gradInput: lifWant });
      be.lifBackward({ ...lif, gradInput: lifGot });
      assertClose(lifGot, lifWant, 1e-5, 1e-6, `lif gradInput ${label}`);
      const hh = {
        ...base,
        constants: LEARNING_HH_MEMBRANE,
        dt: new Float32Array(N).fill(0.05),
        rates: rangeFilled(6 * N, 0.1, 1, rng),
        detachIonic: false,
        v: states,
        gradOut,
      };
      const hhWant = [new Float32Array(T * N), new Float32Array(6 * N)];
      const hhGot = [new Float32Array(T * N), new Float32Array(6 * N)];
      js.learningHhBackward({ ...hh, gradInput: hhWant[0], gradRates: hhWant[1] });
      be.learningHhBackward({ ...hh, gradInput: hhGot[0], gradRates: hhGot[1] });
      assertClose(hhGot[0], hhWant[0], 1e-5, 1e-6, `learning HH gradInput ${label}`);
      assertClose(hhGot[1], hhWant[1], 1e-5, 1e-6, `learning HH gradRates ${label}`);
      // s-LIF2HH: the same states for all four LIFs of a unit, in rotated order.
      const mem = new Float32Array(4 * T * N).map(
        (_, k) => states[(Math.floor(k / 4) + 5 * (k % 4)) % states.length],
      );
      const sl = {
        ...base,
        decay: 0.6,
        detachReset: false,
        weights: rangeFilled(3 * N, -1, 1, rng),
        mem,
        gradOut: rangeFilled(4 * T * N, 0.5, 1.5, rng),
      };
      const slWant = [new Float32Array(3 * T * N), new Float32Array(3 * N)];
      const slGot = [new Float32Array(3 * T * N), new Float32Array(3 * N)];
      js.slif2hhBackward({ ...sl, gradInput: slWant[0], gradWeights: slWant[1] });
      be.slif2hhBackward({ ...sl, gradInput: slGot[0], gradWeights: slGot[1] });
      assertClose(slGot[0], slWant[0], 1e-5, 1e-6, `s-LIF2HH gradInput ${label}`);
      assertClose(slGot[1], slWant[1], 1e-5, 1e-6, `s-LIF2HH gradWeights ${label}`);
    }
  });

  it('rejects inconsistent spiking buffers like the reference', () => {
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
      decay: 0.5,
    };
    const lif = { ...base, input: new Float32Array(5), out: new Float32Array(6), mem: null };
    assert.throws(() => be.lifForward(lif), /lifForward: input has length 5, expected 6/);
    const bad = { ...base, surrogate: 9, input: new Float32Array(6), out: new Float32Array(6), mem: null };
    assert.throws(() => be.lifForward(bad), /unknown surrogate id 9/);
    const frames = { ...lif, timeVarying: true, input: new Float32Array(24) };
    assert.throws(
      () => be.lifForward({ ...frames, inputRepeat: 3 }),
      /lifForward: inputRepeat must be a positive integer below 2\^24 that divides steps \(4\), got 3/,
    );
    assert.throws(
      () => be.lifForward({ ...frames, inputRepeat: 2 }),
      /lifForward: input has length 24, expected 12/,
    );
    const slif = {
      ...base,
      weights: new Float32Array(8),
      input: new Float32Array(18),
      out: new Float32Array(24),
      mem: null,
    };
    assert.throws(() => be.slif2hhForward(slif), /slif2hhForward: weights has length 8, expected 9/);
  });
});

describe('spiking kernels shared between threads', () => {
  let one: WasmBackend;
  let two: WasmBackend;
  before(async () => {
    assertBuilt();
    one = createWasmBackend({ threads: 1 });
    two = createWasmBackend({ threads: 2 });
    await two.whenThreadsReady();
  });
  after(() => two?.close());

  // Large enough to share (B·N·T ≥ 2^18); B = 67 leaves a partial block of 16 rows and chunk.
  const [B, N, T] = [67, 300, 15];

  it('learning HH (by batch rows) gives the single-threaded result bit for bit, and the reference to float32 rounding', () => {
    const sharedBefore = two.sharedInPlaceCalls();
    let expectedShares = 0;
    let seed = 9000;
    for (const v of spikingVariants(T)) {
      if (v.smooth) continue; // smooth mode changes only the emitted value, not the row split
      const rng = new Rng(seed++);
      const BN = B * N;
      const rates = rangeFilled(6 * N, 0.05, 1.5, rng);
      const dt = rangeFilled(N, 0.02, 0.2, rng);
      const base = {
        batch: B,
        neurons: N,
        steps: T,
        threshold: 2,
        constants: LEARNING_HH_MEMBRANE,
        dt,
        rates,
        ...v,
      };
      const label = describeVariant(v, B, N, T);
      const input = v.timeVarying
        ? rangeFilled(framesOf(v, T) * BN, -5, 40, rng)
        : rangeFilled(BN, 0, 30, rng);
      const outLen = v.rateOutput ? BN : T * BN;
      const fwd = (k: Backend) => {
        const r = { out: new Float32Array(outLen), v: new Float32Array(T * BN) };
        k.learningHhForward({ ...base, input, ...r });
        return r;
      };
      const a = fwd(one);
      const b = fwd(two);
      expectedShares++;
      assert.deepEqual(b.out, a.out, `out ${label}`);
      assert.deepEqual(b.v, a.v, `saved v ${label}`);
      const gradOut = rangeFilled(outLen, -1, 1, rng);
      const gi0 = rangeFilled(input.length, -1, 1, rng);
      const gr0 = rangeFilled(6 * N, -1, 1, rng);
      const bwd = (k: Backend, withRates: boolean) => {
        const gradInput = gi0.slice();
        const gradRates = withRates ? gr0.slice() : null;
        k.learningHhBackward({ ...base, detachIonic: false, v: a.v, gradOut, gradInput, gradRates });
        return [gradInput, gradRates ?? gr0];
      };
      for (const withRates of [true, false]) {
        const [gi1, gr1] = bwd(one, withRates);
        const [gi2, gr2] = bwd(two, withRates);
        // Rate gradients of the float64 surrogates are summed row by row: those calls stay on one thread.
        if (!withRates || v.surrogate === 0) expectedShares++;
        assert.deepEqual(gi2, gi1, `gradInput ${label}${withRates ? '' : ' (no gradRates)'}`);
        assert.deepEqual(gr2, gr1, `gradRates ${label}${withRates ? '' : ' (no gradRates)'}`);
        if (v.surrogate === 0 && withRates) {
          // Five blocks of float32 partial sums, added in block order: the reference agrees.
          const [wi, wr] = bwd(js, true);
          assertClose(gi1, wi, 1e-5, 1e-5, `gradInput vs js ${label}`);
          assertClose(gr1, wr, 1e-4, 1e-4, `gradRates vs js ${label}`);
        }
      }
    }
    assert.equal(two.sharedInPlaceCalls() - sharedBefore, expectedShares, 'calls whose rows were shared');
    assert.equal(one.sharedInPlaceCalls(), 0);
  });

  it('learning HH closed form (by batch rows, no saved v) gives the single-threaded result bit for bit', () => {
    const sharedBefore = two.sharedInPlaceCalls();
    let calls = 0;
    const rng = new Rng(9300);
    const BN = B * N;
    const rates = rangeFilled(6 * N, 0.05, 1.5, rng);
    const dt = rangeFilled(N, 0.02, 0.2, rng);
    const input = rangeFilled(BN, 0, 30, rng);
    for (const rateOutput of [true, false]) {
      for (const detachIonic of [false, true]) {
        const base = {
          ...{ batch: B, neurons: N, steps: T, timeVarying: false, rateOutput, smooth: false },
          ...{ threshold: 2, surrogate: 0, surrogateParam: 0.5, constants: LEARNING_HH_MEMBRANE, dt, rates },
        };
        const outLen = rateOutput ? BN : T * BN;
        const outs = [one, two].map((k) => {
          const out = new Float32Array(outLen);
          k.learningHhForward({ ...base, input, out, v: null });
          return out;
        });
        assert.deepEqual(outs[1], outs[0], `out (${rateOutput ? 'rate' : 'spikes'})`);
        const gradOut = rangeFilled(outLen, -1, 1, rng);
        const grads = [one, two].map((k) => {
          const gradInput = new Float32Array(BN);
          k.learningHhBackward({ ...base, detachIonic, v: null, input, gradOut, gradInput, gradRates: null });
          return gradInput;
        });
        assert.deepEqual(
          grads[1],
          grads[0],
          `gradInput (${rateOutput ? 'rate' : 'spikes'}, detachIonic ${detachIonic})`,
        );
        calls += 2;
        if (!rateOutput) continue;
        const factors = [one, two].map((k) => {
          const factor = new Float32Array(BN);
          const out = new Float32Array(outLen);
          k.learningHhForward({ ...base, detachIonic, input, out, v: null, inputGradFactor: factor });
          return factor;
        });
        assert.deepEqual(factors[1], factors[0], `input gradient factor (detachIonic ${detachIonic})`);
        calls++;
      }
    }
    // Each closed-form call shares two jobs: its tables by neuron ranges, then its rows.
    assert.equal(two.sharedInPlaceCalls() - sharedBefore, 2 * calls, 'jobs of calls whose rows were shared');
  });

  it('LIF (by ranges of the flat neuron index) gives the single-threaded result bit for bit', () => {
    const sharedBefore = two.sharedInPlaceCalls();
    let calls = 0;
    let seed = 9500;
    for (const v of spikingVariants(T)) {
      const rng = new Rng(seed++);
      const BN = B * N;
      const base = { batch: B, neurons: N, steps: T, threshold: 1, decay: 0.8, ...v };
      const label = describeVariant(v, B, N, T);
      const input = v.timeVarying
        ? rangeFilled(framesOf(v, T) * BN, -1, 3, rng)
        : rangeFilled(BN, 0, 1.5, rng);
      const outLen = v.rateOutput ? BN : T * BN;
      const fwd = (k: Backend) => {
        const r = { out: new Float32Array(outLen), mem: new Float32Array(T * BN) };
        k.lifForward({ ...base, input, ...r });
        return r;
      };
      const a = fwd(one);
      const b = fwd(two);
      assert.deepEqual(b.out, a.out, `out ${label}`);
      assert.deepEqual(b.mem, a.mem, `saved mem ${label}`);
      const gradOut = rangeFilled(outLen, -1, 1, rng);
      const gi0 = rangeFilled(input.length, -1, 1, rng);
      const bwd = (k: Backend) => {
        const gradInput = gi0.slice();
        k.lifBackward({ ...base, detachReset: false, mem: a.mem, gradOut, gradInput });
        return gradInput;
      };
      assert.deepEqual(bwd(two), bwd(one), `gradInput ${label}`);
      calls += 2;
    }
    assert.equal(two.sharedInPlaceCalls() - sharedBefore, calls, 'calls whose neurons were shared');
  });

  it('s-LIF2HH (by batch rows) gives the single-threaded result bit for bit, weight gradients included', () => {
    const sharedBefore = two.sharedInPlaceCalls();
    let calls = 0;
    let seed = 9700;
    const units = 100; // B·4·units·T ≥ 2^18
    for (const v of spikingVariants(T)) {
      const rng = new Rng(seed++);
      const BN = B * units;
      const weights = rangeFilled(3 * units, -1.5, 1.5, rng);
      const base = { batch: B, neurons: units, steps: T, threshold: 1, decay: 0.8, weights, ...v };
      const label = describeVariant(v, B, units, T);
      const input = v.timeVarying
        ? rangeFilled(framesOf(v, T) * 3 * BN, -1, 3, rng)
        : rangeFilled(3 * BN, 0, 1.5, rng);
      const outLen = v.rateOutput ? 4 * BN : 4 * T * BN;
      const fwd = (k: Backend) => {
        const r = { out: new Float32Array(outLen), mem: new Float32Array(4 * T * BN) };
        k.slif2hhForward({ ...base, input, ...r });
        return r;
      };
      const a = fwd(one);
      const b = fwd(two);
      calls++;
      assert.deepEqual(b.out, a.out, `out ${label}`);
      assert.deepEqual(b.mem, a.mem, `saved mem ${label}`);
      const gradOut = rangeFilled(outLen, -1, 1, rng);
      const gi0 = rangeFilled(input.length, -1, 1, rng);
      const gw0 = rangeFilled(3 * units, -1, 1, rng);
      const bwd = (k: Backend, withInput: boolean) => {
        const gradInput = withInput ? gi0.slice() : null;
        const gradWeights = gw0.slice();
        k.slif2hhBackward({ ...base, detachReset: false, mem: a.mem, gradOut, gradInput, gradWeights });
        return [gradInput ?? gi0, gradWeights];
      };
      for (const withInput of [true, false]) {
        const [gi1, gw1] = bwd(one, withInput);
        const [gi2, gw2] = bwd(two, withInput);
        calls++;
        assert.deepEqual(gi2, gi1, `gradInput ${label}`);
        assert.deepEqual(gw2, gw1, `gradWeights ${label}${withInput ? '' : ' (no gradInput)'}`);
      }
    }
    assert.equal(two.sharedInPlaceCalls() - sharedBefore, calls, 'calls whose rows were shared');
  });
});
