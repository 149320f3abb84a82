/**
 * The wasm HH population kernel (assembly/hh-sim.ts via WasmHhPopulation) against the float64
 * plain-TypeScript reference (OdePopulation of hhModel), and its vectorised exponential.
 *
 * Tolerances: the kernel runs in float32, so a subthreshold trace drifts by accumulated rounding
 * (≤ 2e-3 mV over 10⁴ steps); around spikes the traces differ by a spike-time shift of ~1e-4 ms
 * times the upstroke slope (hundreds of mV/ms), hence RMS ≤ 0.05 mV and max ≤ 1 mV there. Spike
 * counts must be equal and spike times within 0.05 ms (observed ≤ 1e-3 ms away from rheobase).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setBackend } from '../src/kernels/index.js';
import { instantiate, loadWasmModule, PAGE_BYTES } from '../src/kernels/wasm/module.js';
import { WasmBackend, createWasmBackend } from '../src/kernels/wasm/index.js';
import { wasmApi } from '../src/kernels/wasm/wasm-api.js';
import { createPopulation } from '../src/sim/registry.js';
import type { IntegratorName, Population } from '../src/neurons/types.js';
import { OdePopulation } from '../src/sim/population.js';
import { SimulationDivergedError, simulate } from '../src/sim/simulate.js';
import type { SimulationOptions } from '../src/sim/simulate.js';
import { perNeuron, sine } from '../src/sim/stimulus.js';
import type { Stimulus } from '../src/sim/stimulus.js';
import { WasmHhPopulation } from '../src/sim/wasm-hh-population.js';

const SPIKE_TIME_TOL = 0.05; // ms
const SUBTHRESHOLD_V_TOL = 2e-3; // mV
const SPIKING_V_RMS_TOL = 0.05; // mV
const SPIKING_V_MAX_TOL = 1; // mV

/** Below rheobase (0, 2, a single onset spike at 5), near it (6.5), well above (10, 20, 40). */
const CURRENTS = [0, 2, 5, 6.5, 10, 20, 40];

function reference(model: 'hh' | 'hh-modern', n: number, integrator: IntegratorName): Population {
  return createPopulation(model, n, { integrator });
}

function compareSpikes(got: number[][], want: number[][], label: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    assert.equal(got[i].length, want[i].length, `${label}, neuron ${i}: spike counts`);
    for (let k = 0; k < want[i].length; k++)
      assert.ok(
        Math.abs(got[i][k] - want[i][k]) <= SPIKE_TIME_TOL,
        `${label}, neuron ${i}, spike ${k}: ${got[i][k]} ms vs reference ${want[i][k]} ms`,
      );
  }
}

/** Runs both populations on the same stimulus, recording v of every neuron, and compares them. */
function compareRuns(
  fast: Population,
  ref: Population,
  stimulus: Stimulus,
  opts: SimulationOptions,
  label: string,
): void {
  const record = { neurons: Array.from({ length: ref.n }, (_, i) => i) };
  const want = simulate(ref, stimulus, { ...opts, record });
  const got = simulate(fast, stimulus, { ...opts, record });
  compareSpikes(got.spikeTimes, want.spikeTimes, label);
  assert.deepEqual(got.t, want.t);
  for (let i = 0; i < ref.n; i++) {
    const a = got.traces.v[i];
    const b = want.traces.v[i];
    let max = 0;
    let sq = 0;
    for (let k = 0; k < b.length; k++) {
      const d = Math.abs(a[k] - b[k]);
      max = Math.max(max, d);
      sq += d * d;
    }
    const rms = Math.sqrt(sq / b.length);
    const where = `${label}, neuron ${i}: V differs by max ${max} mV, rms ${rms} mV`;
    if (want.spikeTimes[i].length === 0) assert.ok(max <= SUBTHRESHOLD_V_TOL, where);
    else assert.ok(rms <= SPIKING_V_RMS_TOL && max <= SPIKING_V_MAX_TOL, where);
  }
}

describe('vectorised exp', () => {
  it('matches Math.exp and Math.expm1 within 2e-7 relative over [−87, 88] and near 0', () => {
    const memory = new wasmApi.Memory({ initial: 64, maximum: 65536, shared: true });
    const ex = instantiate(loadWasmModule(), memory);
    const grids: [number, number][] = [
      [-87, 88],
      [-1, 1],
      [-1e-3, 1e-3],
      [-1e-7, 1e-7],
    ];
    const per = 1 << 16;
    const n = grids.length * per;
    const src = Math.ceil(ex.heapBase() / 64) * 64;
    const dst = src + 4 * n;
    memory.grow(Math.ceil((dst + 4 * n) / PAGE_BYTES));
    const f32 = new Float32Array(memory.buffer);
    grids.forEach(([lo, hi], g) => {
      for (let i = 0; i < per; i++) f32[src / 4 + g * per + i] = lo + ((hi - lo) * i) / (per - 1);
    });
    for (const minus1 of [0, 1]) {
      ex.vectorExp(src, dst, n, minus1);
      let worst = 0;
      let at = 0;
      for (let i = 0; i < n; i++) {
        const x = f32[src / 4 + i];
        const want = minus1 ? Math.expm1(x) : Math.exp(x);
        const err =
          want === 0 ? Math.abs(f32[dst / 4 + i]) : Math.abs(f32[dst / 4 + i] - want) / Math.abs(want);
        if (err > worst) [worst, at] = [err, x];
      }
      assert.ok(worst <= 2e-7, `${minus1 ? 'expm1' : 'exp'}: relative error ${worst} at x = ${at}`);
    }
    f32.set([NaN, 0, -0, 1], src / 4);
    ex.vectorExp(src, dst, 4, 0);
    assert.ok(Number.isNaN(f32[dst / 4]), 'e^NaN is NaN');
    assert.equal(f32[dst / 4 + 1], 1);
    ex.vectorExp(src, dst, 4, 1);
    assert.ok(Number.isNaN(f32[dst / 4]), 'expm1(NaN) is NaN');
    assert.equal(f32[dst / 4 + 1], 0);
  });
});

describe('wasm HH population against the float64 reference', () => {
  let one: WasmBackend;
  let two: WasmBackend;
  // Takes over every chunk still in flight at once (see threads.ts): results must not change.
  let eager: WasmBackend;
  before(async () => {
    one = createWasmBackend({ threads: 1 });
    two = createWasmBackend({ threads: 2 });
    eager = createWasmBackend({ threads: 2, graceMs: 0 });
    await Promise.all([two.whenThreadsReady(), eager.whenThreadsReady()]);
  });
  after(() => {
    two?.close();
    eager?.close();
  });

  for (const integrator of ['expeuler', 'rk4', 'euler'] as const) {
    it(`${integrator}: 100 ms at dt 0.01, currents below, near and well above rheobase`, () => {
      const n = CURRENTS.length; // 7: not a multiple of the vector width
      compareRuns(
        new WasmHhPopulation(one.hhSim, n, 'shifted', integrator),
        reference('hh', n, integrator),
        perNeuron(CURRENTS),
        { duration: 100, dt: 0.01 },
        integrator,
      );
    });
  }

  it('exp-Euler at dt 0.05 (b·dt beyond the series range during spikes: the exponential path)', () => {
    const currents = [0, 7, 10, 20, 40];
    compareRuns(
      new WasmHhPopulation(one.hhSim, currents.length, 'shifted', 'expeuler'),
      reference('hh', currents.length, 'expeuler'),
      perNeuron(currents),
      { duration: 100, dt: 0.05 },
      'expeuler dt 0.05',
    );
  });

  it('modern convention (rest −65 mV, threshold −40 mV)', () => {
    const currents = [0, 3, 7, 10, 20];
    for (const integrator of ['expeuler', 'rk4'] as const)
      compareRuns(
        new WasmHhPopulation(one.hhSim, currents.length, 'modern', integrator),
        reference('hh-modern', currents.length, integrator),
        perNeuron(currents),
        { duration: 100, dt: 0.01 },
        `hh-modern ${integrator}`,
      );
  });

  it('time-varying input (one row per step) and sparse trace samples', () => {
    const stim = sine({ offset: 8, amplitude: 6, period: 13 });
    compareRuns(
      new WasmHhPopulation(one.hhSim, 3, 'shifted', 'expeuler'),
      reference('hh', 3, 'expeuler'),
      stim,
      { duration: 100, dt: 0.01, record: { interval: 0.37 } },
      'sine',
    );
  });

  it('gives the same result with 1 or 2 threads, chunks taken over or not, and matches the reference', () => {
    // 1001 neurons: not a multiple of 4 or of 2, and enough work per call to be shared.
    const n = 1001;
    const currents = Array.from({ length: n }, (_, i) => (i % 97) * 0.3 + (i % 5) * 0.011);
    const opts = { duration: 100, dt: 0.01, record: false as const };
    const run = (be: WasmBackend, integrator: IntegratorName) =>
      simulate(new WasmHhPopulation(be.hhSim, n, 'shifted', integrator), perNeuron(currents), opts);
    for (const integrator of ['expeuler', 'rk4'] as const) {
      const single = run(one, integrator);
      assert.deepEqual(run(two, integrator).spikeTimes, single.spikeTimes, `${integrator}: 2 threads`);
      assert.deepEqual(run(eager, integrator).spikeTimes, single.spikeTimes, `${integrator}: taken over`);
      if (integrator === 'expeuler')
        compareSpikes(
          single.spikeTimes,
          simulate(reference('hh', n, integrator), perNeuron(currents), opts).spikeTimes,
          'threads',
        );
    }
  });

  it('step() one step at a time equals the multi-step advance()', () => {
    const a = new WasmHhPopulation(one.hhSim, 5, 'shifted', 'expeuler');
    const b = new WasmHhPopulation(one.hhSim, 5, 'shifted', 'expeuler');
    const input = Float64Array.from([0, 4, 8, 12, 16]);
    const dt = 0.01;
    for (let s = 0; s < 3000; s++) a.step(s * dt, dt, input);
    for (let s = 0; s < 3000; s += 100) assert.equal(b.advance(s, dt, 100, input, true), null);
    assert.deepEqual(a.spikeTimes, b.spikeTimes);
    assert.deepEqual(a.v, b.v);
    for (const name of ['m', 'h', 'n']) {
      const x = new Float64Array(5);
      const y = new Float64Array(5);
      a.read(name, x);
      b.read(name, y);
      assert.deepEqual(x, y, name);
    }
    a.reset();
    assert.deepEqual(a.spikeTimes, [[], [], [], [], []]);
    assert.equal(a.v[0], Math.fround(reference('hh', 1, 'expeuler').v[0]), 'back at rest');
  });

  it('reports a blow-up (too large dt) at the same step and neuron as the reference', () => {
    const currents = [0, 10, 20, 10, 5];
    for (const [integrator, dt] of [
      ['euler', 0.2],
      ['rk4', 1],
    ] as const) {
      const failure = (pop: Population): SimulationDivergedError => {
        try {
          simulate(pop, perNeuron(currents), { duration: 50, dt, record: false });
        } catch (err) {
          if (err instanceof SimulationDivergedError) return err;
          throw err;
        }
        assert.fail(`${integrator} at dt ${dt} should diverge`);
      };
      const want = failure(reference('hh', currents.length, integrator));
      const got = failure(new WasmHhPopulation(one.hhSim, currents.length, 'shifted', integrator));
      assert.equal(got.t, want.t, `${integrator}: time`);
      assert.equal(got.neuron, want.neuron, `${integrator}: neuron`);
      assert.match(got.message, /diverged at t = .* the step is too large for this integrator/);
    }
  });
});

describe('wasm HH population with rate tables (exponential Euler)', () => {
  let one: WasmBackend;
  let two: WasmBackend;
  before(async () => {
    one = createWasmBackend({ threads: 1 });
    two = createWasmBackend({ threads: 2 });
    await two.whenThreadsReady();
  });
  after(() => two?.close());

  type Inner = { state: { v: Float32Array; m: Float32Array; h: Float32Array; n: Float32Array } };
  /** Gates after one step from the same spread of states, exact rates against a table of `step` mV. */
  function oneStepGateError(step: number | null, min?: number, max?: number): number {
    const n = 4000;
    const make = (table: boolean) =>
      new WasmHhPopulation(
        one.hhSim,
        n,
        'shifted',
        'expeuler',
        {},
        table ? { step: step ?? 1, min, max } : null,
      );
    const exact = make(false);
    const tab = make(step !== null);
    for (const pop of [exact, tab]) {
      const st = (pop as unknown as Inner).state;
      for (let i = 0; i < n; i++) {
        st.v[i] = -40 + (160 * i) / n + 0.001 * (i % 7); // −40 … 120 mV, off the grid points
        st.m[i] = (i % 13) / 13;
        st.h[i] = (i % 11) / 11;
        st.n[i] = (i % 17) / 17;
      }
      pop.advance(0, 0.01, 1, new Float64Array(n), true);
    }
    let worst = 0;
    for (const name of ['m', 'h', 'n']) {
      const a = new Float64Array(n);
      const b = new Float64Array(n);
      exact.read(name, a);
      tab.read(name, b);
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }

  it('one step: gate error at float32 level at 1/32 mV, shrinking as spacing²', () => {
    const fine = oneStepGateError(1 / 32);
    const quarter = oneStepGateError(1 / 4);
    const coarse = oneStepGateError(1);
    assert.ok(fine < 1e-6, `1/32 mV: ${fine}`);
    // Linear interpolation: error ∝ spacing² (16× from 1 to 1/4 mV; allow rounding to blur it).
    assert.ok(coarse / quarter > 8 && coarse / quarter < 32, `1 mV ${coarse} vs 1/4 mV ${quarter}`);
    assert.ok(coarse > 1e-5, `a 1 mV table should be visibly coarser: ${coarse}`);
  });

  it('vectors with a potential off the table take the exact rates, bit for bit', () => {
    assert.equal(oneStepGateError(1 / 32, 500, 600), 0);
  });

  for (const [convention, model, currents] of [
    ['shifted', 'hh', CURRENTS],
    ['modern', 'hh-modern', [0, 3, 7, 10, 20]],
  ] as const)
    for (const dt of [0.01, 0.05])
      it(`${model} at dt ${dt} matches the float64 reference as the exact kernel does`, () => {
        const n = currents.length;
        compareRuns(
          new WasmHhPopulation(one.hhSim, n, convention, 'expeuler', {}, { step: 1 / 32 }),
          reference(model, n, 'expeuler'),
          perNeuron([...currents]),
          { duration: 100, dt },
          `${model} table dt ${dt}`,
        );
      });

  it('1 and 2 threads give the same spikes; createPopulation passes the option; bad options fail', () => {
    const n = 1001;
    const currents = Array.from({ length: n }, (_, i) => (i % 97) * 0.3 + (i % 5) * 0.011);
    const opts = { duration: 60, dt: 0.01, record: false as const };
    const run = (be: WasmBackend) =>
      simulate(
        new WasmHhPopulation(be.hhSim, n, 'shifted', 'expeuler', {}, { step: 1 / 32 }),
        perNeuron(currents),
        opts,
      ).spikeTimes;
    assert.deepEqual(run(two), run(one));
    setBackend('wasm');
    try {
      const pop = createPopulation('hh', 3, { fast: true, rateTable: { step: 0.25 } });
      assert.equal(pop.params.rateTableMv, 0.25);
      assert.equal(createPopulation('hh', 3, { fast: true }).params.rateTableMv, undefined);
    } finally {
      setBackend('js');
    }
    assert.throws(
      () => new WasmHhPopulation(one.hhSim, 3, 'shifted', 'rk4', {}, { step: 0.1 }),
      /exponential Euler only/,
    );
    assert.throws(
      () => new WasmHhPopulation(one.hhSim, 3, 'shifted', 'expeuler', {}, { step: -1 }),
      /step must be a positive number/,
    );
  });
});

describe('createPopulation({ fast })', () => {
  it('uses the wasm kernel for hh and hh-modern only when asked and wasm is the backend', () => {
    setBackend('wasm');
    assert.ok(createPopulation('hh', 3, { fast: true }) instanceof WasmHhPopulation);
    assert.equal(createPopulation('hh-modern', 3, { fast: true }).backend, 'wasm');
    assert.ok(createPopulation('hh', 3) instanceof OdePopulation);
    assert.ok(createPopulation('lif', 3, { fast: true }) instanceof OdePopulation);
    // Outside the kernel's assumptions (rates ≥ 0): the reference runs it.
    assert.ok(createPopulation('hh', 3, { fast: true, params: { C: -1 } }) instanceof OdePopulation);
    setBackend('js');
    assert.ok(createPopulation('hh', 3, { fast: true }) instanceof OdePopulation);
  });
});
