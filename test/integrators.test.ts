import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntegratorName, QuasiLinearModel } from '../src/neurons/types.js';
import { INTEGRATORS } from '../src/neurons/types.js';
import { hhDeclared } from '../src/neurons/hh.js';
import { quasiLinearOf } from '../src/neurons/derive.js';
import { IntegratorScratch, STEPPERS, eulerStep, expEulerStep, rk4Step } from '../src/sim/integrators.js';
import { OdePopulation } from '../src/sim/population.js';
import {
  SimulationDivergedError,
  findStableDt,
  roundDownNice,
  simulate,
  validateTiming,
} from '../src/sim/simulate.js';
import { constant } from '../src/sim/stimulus.js';
import { close } from './helpers.js';

/** Scalar dy/dt = a(t) − b(t)·y as a QuasiLinearModel, y(0) = y0; never spikes. */
function scalarModel(a: (t: number) => number, b: (t: number) => number, y0: number): QuasiLinearModel {
  return {
    name: 'scalar',
    stateNames: ['v'],
    params: {},
    spikeThreshold: Infinity,
    voltageLimit: 1e9,
    initialState(y, off) {
      y[off] = y0;
    },
    coefficients(t, _y, _off, _input, ca, cb) {
      ca[0] = a(t);
      cb[0] = b(t);
    },
    voltage: (y, off) => y[off],
  };
}

/** y(T) of the scalar model for each integrator via the real simulator. */
function finalValue(
  model: QuasiLinearModel,
  integrator: IntegratorName,
  duration: number,
  dt: number,
): number {
  const pop = new OdePopulation(model, 1, integrator);
  simulate(pop, constant({ amplitude: 0 }), { duration, dt, record: false });
  return pop.v[0];
}

test('one step of each integrator on dy/dt = a − b·y matches its formula by hand', () => {
  const a = 3;
  const b = 2;
  const y0 = 0.5;
  const dt = 0.1;
  const model = scalarModel(
    () => a,
    () => b,
    y0,
  );
  const s = new IntegratorScratch(1);
  const run = (stepper: typeof eulerStep): number => {
    const y = Float64Array.of(y0);
    stepper(model, 0, dt, y, 0, 0, s);
    return y[0];
  };
  const f0 = a - b * y0;
  close(run(eulerStep), y0 + dt * f0, 1e-15);
  // RK4 on a linear autonomous ODE: y0 + f0·dt·(1 − z/2 + z²/6 − z³/24), z = b·dt.
  const z = b * dt;
  close(run(rk4Step), y0 + f0 * dt * (1 - z / 2 + (z * z) / 6 - (z * z * z) / 24), 1e-15);
  close(run(expEulerStep), a / b + (y0 - a / b) * Math.exp(-b * dt), 1e-15);
  assert.equal(STEPPERS.euler, eulerStep);
  assert.equal(STEPPERS.rk4, rk4Step);
  assert.equal(STEPPERS.expeuler, expEulerStep);
});

test('exponential Euler is exact for constant coefficients (to 1e-12)', () => {
  const a = 7;
  const b = 0.3;
  const y0 = -4;
  const model = scalarModel(
    () => a,
    () => b,
    y0,
  );
  const exact = (t: number): number => a / b + (y0 - a / b) * Math.exp(-b * t);
  for (const dt of [0.01, 0.5, 2.5]) {
    close(finalValue(model, 'expeuler', 20, dt), exact(20), 1e-12, `dt ${dt}`);
  }
  // Tiny b·dt falls back to Euler, which is also exact for b = 0.
  const drift = scalarModel(
    () => 2,
    () => 0,
    1,
  );
  close(finalValue(drift, 'expeuler', 10, 0.1), 21, 1e-12);
  // Euler and RK4 are not exact at a coarse step (the check can fail).
  assert.ok(Math.abs(finalValue(model, 'euler', 20, 2.5) - exact(20)) > 1e-3);
});

test('convergence order: Euler 1, RK4 4, on dy/dt = cos t − y', () => {
  const y0 = 2;
  const model = scalarModel(Math.cos, () => 1, y0);
  const T = 10;
  const exact = (Math.cos(T) + Math.sin(T)) / 2 + (y0 - 0.5) * Math.exp(-T);
  const err = (integrator: IntegratorName, dt: number): number =>
    Math.abs(finalValue(model, integrator, T, dt) - exact);
  const dts = [0.1, 0.05, 0.025];
  const e = dts.map((dt) => err('euler', dt));
  const r = dts.map((dt) => err('rk4', dt));
  const x = dts.map((dt) => err('expeuler', dt));
  for (let i = 0; i < 2; i++) {
    const eRatio = e[i] / e[i + 1];
    const rRatio = r[i] / r[i + 1];
    const xRatio = x[i] / x[i + 1];
    assert.ok(eRatio > 1.8 && eRatio < 2.2, `Euler error ratio ${eRatio} (${e[i]} → ${e[i + 1]})`);
    assert.ok(rRatio > 14 && rRatio < 18, `RK4 error ratio ${rRatio} (${r[i]} → ${r[i + 1]})`);
    // With a time-varying coefficient frozen over the step, exponential Euler is first order.
    assert.ok(xRatio > 1.8 && xRatio < 2.2, `exp-Euler error ratio ${xRatio}`);
  }
  assert.ok(r[0] < 1e-5 && r[0] > 1e-12, `RK4 error at dt 0.1: ${r[0]}`);
  assert.ok(e[0] > 1e-3, `Euler error at dt 0.1: ${e[0]}`);
});

test('OdePopulation rejects bad sizes and unknown integrators with clear messages', () => {
  const model = quasiLinearOf(hhDeclared);
  for (const n of [0, -1, 1.5, NaN, Infinity])
    assert.throws(
      () => new OdePopulation(model, n),
      /population size must be a positive integer/,
      `n = ${n}`,
    );
  assert.throws(
    () => new OdePopulation(model, 1, 'heun' as IntegratorName),
    (err: unknown) =>
      err instanceof RangeError &&
      /unknown integrator "heun"/.test(err.message) &&
      INTEGRATORS.every((name) => err.message.includes(name)),
  );
  const pop = new OdePopulation(model, 3, 'rk4');
  assert.equal(pop.n, 3);
  assert.equal(pop.params.integrator, 'rk4');
  assert.deepEqual([...pop.variables], ['v', 'm', 'h', 'n']);
  assert.throws(() => pop.read('q', new Float64Array(3)), /no variable "q"/);
});

test('simulate() and validateTiming reject bad dt and duration', () => {
  const pop = new OdePopulation(quasiLinearOf(hhDeclared), 1);
  const stim = constant({ amplitude: 0 });
  for (const dt of [0, -0.01, NaN, Infinity])
    assert.throws(
      () => simulate(pop, stim, { duration: 10, dt }),
      /dt must be a positive number/,
      `dt ${dt}`,
    );
  for (const duration of [NaN, 0, -5, Infinity])
    assert.throws(
      () => simulate(pop, stim, { duration, dt: 0.01 }),
      /duration must be a positive number/,
      `duration ${duration}`,
    );
  assert.throws(() => validateTiming(0.001, 1), /shorter than one step/);
  assert.equal(validateTiming(10, 0.01), 1000);
  assert.throws(
    () => simulate(pop, stim, { duration: 1, dt: 0.1, record: { variables: ['x'] } }),
    /no variable/,
  );
  assert.throws(() => simulate(pop, stim, { duration: 1, dt: 0.1, record: { neurons: [1] } }), /outside 0…0/);
});

test('HH with Euler at dt = 0.5 ms diverges with an error naming dt; findStableDt finds a working dt', () => {
  const tried: number[] = [];
  const run = (dt: number): void => {
    tried.push(dt);
    const pop = new OdePopulation(quasiLinearOf(hhDeclared), 1, 'euler');
    simulate(pop, constant({ amplitude: 10 }), { duration: 50, dt, record: false });
  };
  assert.throws(
    () => run(0.5),
    (err: unknown) =>
      err instanceof SimulationDivergedError &&
      err.dt === 0.5 &&
      err.model === 'hh' &&
      /dt = 0\.5 ms/.test(err.message) &&
      /diverged/.test(err.message),
  );
  tried.length = 0;
  const found = findStableDt(run, 0.5);
  assert.ok(found !== null && found < 0.5, `found ${found}`);
  // Every candidate is in the 1-2-5 series, each at most half the previous one, and only the last ran.
  assert.equal(tried[tried.length - 1], found);
  let prev = 0.5;
  for (const dt of tried) {
    assert.equal(roundDownNice(dt), dt, `${dt} is not a 1-2-5 value`);
    assert.ok(dt <= prev / 2, `${dt} after ${prev}`);
    prev = dt;
  }
  for (const dt of tried.slice(0, -1)) assert.throws(() => run(dt), SimulationDivergedError);
  assert.doesNotThrow(() => run(found));
  // The series from 0.5: 0.2, 0.1, 0.05, 0.02, … — HH Euler runs at 0.05 (and 0.01) but not 0.2.
  assert.deepEqual(tried.slice(0, 2), [0.2, 0.1]);
  assert.ok(found >= 0.01);
});

test('findStableDt: null when nothing works, rethrows other errors', () => {
  let calls = 0;
  const never = (dt: number): void => {
    calls++;
    throw new SimulationDivergedError('x', 1, 0, NaN, dt);
  };
  assert.equal(findStableDt(never, 1, 3), null);
  assert.equal(calls, 3);
  assert.throws(
    () =>
      findStableDt(() => {
        throw new TypeError('boom');
      }, 1),
    /boom/,
  );
  assert.equal(
    findStableDt(() => undefined, 1),
    0.5,
  );
});

test('roundDownNice: largest {1, 2, 5}·10^k not above x', () => {
  const cases: [number, number][] = [
    [0.25, 0.2],
    [0.3, 0.2],
    [0.5, 0.5],
    [0.7, 0.5],
    [1, 1],
    [1.9999, 1],
    [9.99, 5],
    [10, 10],
    [0.0125, 0.01],
    [3e-5, 2e-5],
    [1234, 1000],
    [0.001, 0.001],
    [0.049, 0.02],
    [0.19999999999999998, 0.1],
  ];
  for (const [x, want] of cases) assert.equal(roundDownNice(x), want, `roundDownNice(${x})`);
  // Exact 1-2-5 values map to themselves across many decades (no log10/pow rounding slips).
  for (let k = -12; k <= 12; k++)
    for (const m of [1, 2, 5]) {
      const x = Number(`${m}e${k}`);
      assert.equal(roundDownNice(x), x);
      assert.ok(roundDownNice(x * (1 - 1e-9)) < x);
    }
});
