// Rate tables of the wasm population step (wasm-step.ts, RateTableOptions): which states are
// tabulated, the interpolation error and its h² convergence against the exact float64 step, the
// exact fallback outside the table, thread independence, COBAHH statistics, and bad options.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Network,
  cobahh,
  compileWasmStepSync,
  conductance,
  cubaLif,
  current,
  generateStep,
  renderWasmStep,
  spikeStatistics,
  tabulableStates,
  wasmPopulationStep,
  withReceptors,
} from '../src/network/index.js';
import type { RateTableOptions } from '../src/network/index.js';
import { izhikevich } from '../src/neurons/izhikevich.js';
import { initialState, resolveParams } from '../src/neurons/model.js';
import { traubMiles } from '../src/neurons/traub-miles.js';

const cobaModel = withReceptors(traubMiles, { ge: conductance(5, 0), gi: conductance(10, -80) }).model;
const cobaParams = resolveParams(cobaModel, { threshold: -20 });

function jsAndWasm(rateTable: RateTableOptions | null) {
  const js = generateStep(cobaModel, cobaParams, 'expeuler', 3);
  const program = renderWasmStep(js.plan, { rateTable });
  return { js, program, wasm: wasmPopulationStep(program, compileWasmStepSync(program)) };
}

/** One step from v spread over [−100, 50) mV, gates and conductances fixed: the worst gate error. */
function oneStepGateError(rateTable: RateTableOptions | null): number {
  const { js, wasm } = jsAndWasm(rateTable);
  const n = 1500;
  const S = cobaModel.states.length;
  const y = new Float64Array(n * S);
  for (let i = 0; i < n; i++) {
    y[i * S] = -100 + (150 * (i + 0.37)) / n;
    y.fill(0.4, i * S + 1, i * S + 4);
    y[i * S + 4] = 10;
    y[i * S + 5] = 20;
  }
  const ya = y.slice();
  const yb = Float64Array.from(y, (x) => Math.fround(x));
  const inp = new Float64Array(n);
  const fired = new Int32Array(n);
  js.step(ya, n, inp, 0.1, new Int32Array(n), 30, fired);
  wasm(yb, n, inp, 0.1, new Int32Array(n), 30, fired);
  let worst = 0;
  for (let i = 0; i < n; i++)
    for (const k of [1, 2, 3]) worst = Math.max(worst, Math.abs(ya[i * S + k] - yb[i * S + k]));
  return worst;
}

describe('rate tables', () => {
  it('tabulate the states whose coefficients read v alone (the gates), not v, receptors or reset states', () => {
    const { js } = jsAndWasm(null);
    const names = tabulableStates(js.plan).map((k) => cobaModel.states[k]);
    assert.deepEqual(names, ['m', 'h', 'n']);
    const lif = withReceptors(cubaLif, { ge: current(5) }).model;
    assert.deepEqual(tabulableStates(generateStep(lif, resolveParams(lif, {}), 'expeuler', 5).plan), []);
    // izhikevich's u reads v alone but is reset at a spike: computed, not tabulated.
    const iz = generateStep(izhikevich, resolveParams(izhikevich, {}), 'expeuler', 0).plan;
    assert.deepEqual(tabulableStates(iz), []);
    assert.equal(jsAndWasm({}).program.rates?.states.length, 3);
  });

  it('one step of the gates: at 1/32 mV as close to float64 as the exact float32 step; error ∝ h²', () => {
    const exact = oneStepGateError(null);
    const fine = oneStepGateError({ step: 1 / 32 });
    const quarter = oneStepGateError({ step: 1 / 4 });
    const one = oneStepGateError({ step: 1 });
    // Measured: exact 1.3e-7, 1/32 mV 1.8e-7, 1/4 mV 5.7e-6, 1 mV 9.2e-5.
    assert.ok(exact < 3e-7, `exact float32 step: gate error ${exact}`);
    assert.ok(fine < 2 * exact, `1/32 mV: gate error ${fine} (exact float32 step: ${exact})`);
    // Linear interpolation: a 4× finer grid, 16× smaller error.
    const ratio = one / quarter;
    assert.ok(ratio > 12 && ratio < 20, `1 mV: ${one}, 1/4 mV: ${quarter} (ratio ${ratio}, expected ~16)`);
  });

  it('vectors with a lane outside the table take the exact expressions, bit for bit', () => {
    const outside = jsAndWasm({ min: 200, max: 300 });
    const exact = jsAndWasm(null);
    const n = 18;
    const S = cobaModel.states.length;
    const rest = initialState(cobaModel, cobaParams);
    const ya = new Float64Array(n * S);
    for (let i = 0; i < n; i++) ya.set(rest, i * S);
    const yb = ya.slice();
    const inp = Float64Array.from({ length: n }, (_, i) => 100 + 20 * i);
    const f = new Int32Array(n);
    const [ra, rb] = [new Int32Array(n), new Int32Array(n)];
    let spikes = 0;
    for (let s = 0; s < 2000; s++) {
      spikes += outside.wasm(ya, n, inp, 0.1, ra, 30, f);
      exact.wasm(yb, n, inp, 0.1, rb, 30, f);
    }
    assert.ok(spikes > 50, `only ${spikes} spikes`);
    assert.deepEqual(ya, yb);
  });

  it('COBAHH (400 neurons, 200 ms): the statistics of the exact step within 5%; 1 and 2 threads identical', async () => {
    const run = async (rateTable: boolean, threads: number) => {
      const { net, population } = cobahh({ neurons: 400, backend: 'wasm', threads, rateTable });
      const mon = net.spikeMonitor(population);
      await net.prepare();
      net.run(200);
      net.close();
      return { mon, y: population.y, stats: spikeStatistics(mon.trains(), 200) };
    };
    const exact = await run(false, 1);
    const one = await run(true, 1);
    const two = await run(true, 2);
    assert.ok(exact.stats.spikes > 500, `only ${exact.stats.spikes} spikes`);
    const rel = (a: number, b: number) => Math.abs(a - b) / b;
    assert.ok(
      rel(one.stats.meanRateHz, exact.stats.meanRateHz) <= 0.05,
      `${one.stats.meanRateHz} vs ${exact.stats.meanRateHz} Hz`,
    );
    assert.ok(
      rel(one.stats.cvIsi, exact.stats.cvIsi) <= 0.05,
      `CV ${one.stats.cvIsi} vs ${exact.stats.cvIsi}`,
    );
    assert.deepEqual(two.mon.indices, one.mon.indices);
    assert.deepEqual(two.mon.times, one.mon.times);
    assert.deepEqual(two.y, one.y);
  });

  it('bad options are refused with what was expected', () => {
    assert.throws(
      () => new Network({ backend: 'js', rateTable: true }),
      /rate tables are an option of the wasm backend/,
    );
    assert.throws(() => jsAndWasm({ step: 0 }), /step must be a positive number of mV, got 0/);
    assert.throws(() => jsAndWasm({ min: 10, max: -10 }), /need finite min < max/);
    assert.throws(() => jsAndWasm({ step: 1e-6 }), /too many/);
  });
});
