import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Backend } from '../src/kernels/backend.js';
import { createJsBackend } from '../src/kernels/js/index.js';
import { WasmBackend, createWasmBackend, threadsFromEnv, wasmPath } from '../src/kernels/wasm/index.js';
import { Rng } from '../src/util/rng.js';

const js = createJsBackend();

/** Fails with the fix in the message when the build did not produce hhnet.wasm. */
function assertBuilt(): void {
  assert.ok(
    fs.existsSync(wasmPath()),
    `${wasmPath()} is missing: the wasm backend is built by \`npm run build\` (its build:wasm step runs AssemblyScript on assembly/)`,
  );
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

// Edges of the 6×8 micro-tile and of the 120/256/1024 cache blocks, primes, degenerate sizes.
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

describe('wasm backend', () => {
  let be: WasmBackend;
  before(() => {
    assertBuilt();
    be = createWasmBackend({ threads: 1 });
  });

  it('is built and loads as a Backend named wasm', () => {
    assertBuilt();
    assert.equal(be.name, 'wasm');
    assert.equal(be.threads, 1);
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
    assert.throws(() => be.gemm(false, false, 4, 3, 6, a.subarray(0, 10), b, got, false), /A has 10 floats/);
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

  it('keeps the spiking kernels of the js reference', () => {
    for (const key of Object.keys(js) as (keyof Backend)[]) {
      if (key === 'name' || key === 'gemm' || key === 'adam') continue;
      assert.equal(be[key], js[key], `${key} should fall through to the js kernel`);
    }
  });
});

describe('wasm backend with worker threads', () => {
  let one: WasmBackend;
  let two: WasmBackend;
  // Never waits for a worker's chunk: the caller takes over every chunk still in flight, while
  // the worker may go on writing its own copy; exercises that path and the wait before reuse.
  let eager: WasmBackend;
  before(async () => {
    assertBuilt();
    one = createWasmBackend({ threads: 1 });
    two = createWasmBackend({ threads: 2 });
    eager = createWasmBackend({ threads: 2, graceMs: 0 });
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
      assert.deepEqual(got, single, `threaded gemm(${ta}, ${tb}, ${m}, ${n}, ${k}) differs from one thread`);
      assert.deepEqual(taken, single, `gemm(${ta}, ${tb}, ${m}, ${n}, ${k}) with taken-over chunks differs`);
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
