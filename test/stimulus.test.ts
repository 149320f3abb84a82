import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  STANDARD_WAVEFORMS,
  constant,
  makeWaveform,
  ornsteinUhlenbeck,
  parseStimulusOptions,
  perNeuron,
  poissonSynaptic,
  sawtooth,
  sine,
  square,
  step,
  triangle,
  type Stimulus,
} from '../src/sim/stimulus.js';
import { close as closeTo } from './helpers.js';

const close = (a: number, b: number, tol = 1e-9, msg?: string): void => closeTo(a, b, tol, msg);

/** Value of a uniform stimulus at time t (all neurons checked equal). */
function at(s: Stimulus, t: number, n = 3): number {
  const out = new Float64Array(n);
  s.sample(t, 0.01, out);
  for (const x of out) assert.equal(x, out[0]);
  return out[0];
}

test('constant and step', () => {
  assert.equal(at(constant({ amplitude: 7 }), 123), 7);
  const s = step({ amplitude: 5, onset: 10, offset: 20, baseline: -1 });
  assert.deepEqual(
    [0, 9.99, 10, 15, 19.99, 20, 30].map((t) => at(s, t)),
    [-1, -1, 5, 5, 5, -1, -1],
  );
  const open = step({ amplitude: 2, onset: 1 });
  assert.equal(at(open, 1e9), 2);
  assert.equal(open.params.offset, 'Infinity');
  assert.doesNotThrow(() => JSON.stringify(open.params));
});

test('sine', () => {
  const s = sine({ offset: 10, amplitude: 10, period: 20 });
  close(at(s, 0), 10);
  close(at(s, 5), 20);
  close(at(s, 10), 10);
  close(at(s, 15), 0);
  close(at(s, 2.5), 10 + 10 * Math.SQRT1_2);
  close(at(sine({ offset: 0, amplitude: 1, period: 4, phase: Math.PI / 2 }), 0), 1);
});

test('square, incl. the study case 9 ± 15.5 with period 8.5 ms', () => {
  const s = square({ offset: 9, amplitude: 15.5, period: 8.5 });
  const cases: [number, number][] = [
    [0, 24.5],
    [4.2, 24.5],
    [4.25, -6.5],
    [8.4, -6.5],
    [8.5, 24.5],
    [12.7, 24.5],
    [12.75, -6.5],
    [17, 24.5],
    [-1, -6.5],
  ];
  for (const [t, v] of cases) assert.equal(at(s, t), v, `t=${t}`);
  const d = square({ offset: 0, amplitude: 1, period: 10, duty: 0.2 });
  assert.deepEqual(
    [0, 1.9, 2, 9.9, 10].map((t) => at(d, t)),
    [1, 1, -1, -1, 1],
  );
});

test('sawtooth and triangle', () => {
  const saw = sawtooth({ offset: 10, amplitude: 10, period: 20 });
  close(at(saw, 0), 0);
  close(at(saw, 5), 5);
  close(at(saw, 10), 10);
  close(at(saw, 19), 19);
  close(at(saw, 20), 0);
  close(at(saw, 25), 5);
  const tri = triangle({ offset: 10, amplitude: 10, period: 20 });
  close(at(tri, 0), 0);
  close(at(tri, 5), 10);
  close(at(tri, 10), 20);
  close(at(tri, 15), 10);
  close(at(tri, 20), 0);
  close(at(tri, 27.5), 15);
});

test('makeWaveform uses STANDARD_WAVEFORMS parameters', () => {
  assert.deepEqual(STANDARD_WAVEFORMS.square, { offset: 9, amplitude: 15.5, period: 8.5 });
  assert.equal(at(makeWaveform('constant', STANDARD_WAVEFORMS.constant), 3), 10);
  close(at(makeWaveform('sine', STANDARD_WAVEFORMS.sine), 5), 20);
  assert.equal(at(makeWaveform('square', STANDARD_WAVEFORMS.square), 5), -6.5);
  close(at(makeWaveform('sawtooth', STANDARD_WAVEFORMS.sawtooth), 10), 10);
  close(at(makeWaveform('triangle', STANDARD_WAVEFORMS.triangle), 10), 20);
});

test('bad parameters throw RangeErrors naming the parameter', () => {
  assert.throws(() => sine({ offset: 0, amplitude: 1, period: -2 }), /sine: period must be .*> 0.*got -2/);
  assert.throws(() => square({ offset: 0, amplitude: 1, period: 2, duty: 1.5 }), /duty must be .*\[0, 1\]/);
  assert.throws(() => constant({ amplitude: NaN }), RangeError);
  assert.throws(() => step({ amplitude: 1, onset: 5, offset: 2 }), /offset must be/);
  assert.throws(() => ornsteinUhlenbeck({ mean: 0, sigma: -1, tau: 5, seed: 1 }), /sigma must be/);
  assert.throws(
    () => poissonSynaptic({ rateHz: 10, inputs: 2.5, weights: 1, tauSyn: 5, seed: 1, nNeurons: 1 }),
    /inputs must be a positive integer/,
  );
  assert.throws(
    () =>
      poissonSynaptic({
        rateHz: 10,
        inputs: 2,
        weights: new Float64Array(3),
        tauSyn: 5,
        seed: 1,
        nNeurons: 2,
      }),
    /weights must have .* 4 entries/,
  );
});

/** Run a stimulus for `steps` steps of dt on n neurons and return every sample (steps × n). */
function run(s: Stimulus, n: number, dt: number, steps: number): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let k = 0; k < steps; k++) {
    const out = new Float64Array(n);
    s.sample(k * dt, dt, out);
    rows.push(out);
  }
  return rows;
}

function meanSd(x: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - m) ** 2;
  return [m, Math.sqrt(v / (x.length - 1))];
}

test('OU: stationary mean/sd across neurons, autocorrelation e^{-lag/τ}, any dt', () => {
  const n = 4000;
  const opts = { mean: 3, sigma: 2, tau: 5, seed: 42 };
  for (const dt of [0.01, 0.5, 4]) {
    const lagSteps = Math.round(5 / dt);
    const lastStep = Math.round(20 / dt);
    // keep only the samples we need (all of them would be ~64 MB at dt = 0.01)
    const s = ornsteinUhlenbeck(opts);
    const kept = new Map<number, Float64Array>();
    for (let k = 0; k <= lastStep; k++) {
      const out = new Float64Array(n);
      s.sample(k * dt, dt, out);
      if (k === 0 || k === lagSteps || k === lastStep) kept.set(k, out);
    }
    for (const row of [kept.get(0)!, kept.get(lastStep)!]) {
      const [m, sd] = meanSd(row);
      close(m, 3, 0.1, `dt=${dt}: mean ${m}`);
      close(sd, 2, 0.08, `dt=${dt}: sd ${sd}`);
    }
    // correlation between I(0) and I(lag) across neurons should be e^{-lag/τ}
    const a = kept.get(0)!;
    const b = kept.get(lagSteps)!;
    let c = 0;
    for (let i = 0; i < n; i++) c += (a[i] - 3) * (b[i] - 3);
    close(c / n / 4, Math.exp(-(lagSteps * dt) / 5), 0.05, `dt=${dt}: corr ${c / n / 4}`);
  }
});

test('OU: same seed ⇒ identical output, reset ⇒ identical, different seed ⇒ different', () => {
  const opts = { mean: 0, sigma: 1, tau: 3, seed: 7 };
  const s = ornsteinUhlenbeck(opts);
  const first = run(s, 10, 0.1, 50);
  assert.deepEqual(run(ornsteinUhlenbeck(opts), 10, 0.1, 50), first);
  s.reset();
  assert.deepEqual(run(s, 10, 0.1, 50), first);
  assert.notDeepEqual(run(ornsteinUhlenbeck({ ...opts, seed: 8 }), 10, 0.1, 50), first);
  // neuron i's current does not depend on the population size
  const small = run(ornsteinUhlenbeck(opts), 3, 0.1, 50);
  assert.deepEqual(
    small.map((r) => Array.from(r)),
    first.map((r) => Array.from(r.subarray(0, 3))),
  );
  assert.throws(() => s.sample(5, 0.1, new Float64Array(11)), /call reset\(\) first/);
  assert.throws(() => s.sample(5, -0.1, new Float64Array(10)), /dt must be/);
});

test('Poisson: input rate, synaptic mean current, determinism, weight matrix', () => {
  const rateHz = 50;
  const inputs = 100;
  const tauSyn = 5;
  const dt = 0.05;
  const duration = 2000;
  const steps = duration / dt;
  // neuron 0: all weights 0.5; neuron 1: weight 1 from the first half of the inputs only
  const w = new Float64Array(2 * inputs);
  for (let k = 0; k < inputs; k++) {
    w[k] = 0.5;
    w[inputs + k] = k < inputs / 2 ? 1 : 0;
  }
  const s = poissonSynaptic({ rateHz, inputs, weights: w, tauSyn, seed: 3, nNeurons: 2 });
  const rows = run(s, 2, dt, steps);
  const trains = s.inputSpikeTimes();
  assert.equal(trains.length, inputs);
  const total = trains.reduce((acc, tr) => acc + tr.length, 0);
  const empirical = (total / inputs / duration) * 1000;
  close(empirical, rateHz, 0.05 * rateHz, `input rate ${empirical} Hz`);
  // skip the first 50 ms (5 τs) while the current rises from 0
  const skip = Math.round(50 / dt);
  const mean = (i: number): number => rows.slice(skip).reduce((a, r) => a + r[i], 0) / (steps - skip);
  const expected0 = (inputs * rateHz * 0.5 * tauSyn) / 1000; // 12.5 µA/cm²
  close(mean(0), expected0, 0.04 * expected0, `mean current ${mean(0)}`);
  close(mean(1), expected0, 0.06 * expected0, `mean current ${mean(1)}`);
  // scalar weights give the same current as a matrix of equal weights
  const scalar = poissonSynaptic({ rateHz, inputs, weights: 0.5, tauSyn, seed: 3, nNeurons: 2 });
  const rowsScalar = run(scalar, 2, dt, 2000);
  rows.slice(0, 2000).forEach((r, k) => close(rowsScalar[k][0], r[0], 1e-9));
  scalar.reset();
  assert.deepEqual(run(scalar, 2, dt, 2000), rowsScalar);
  assert.deepEqual(
    scalar.inputSpikeTimes(),
    s.inputSpikeTimes().map((tr) => tr.filter((t) => t < 2000 * dt)),
  );
});

test('perNeuron adds per-neuron constants to an optional base', () => {
  const out = new Float64Array(3);
  perNeuron([1, 2, 3]).sample(0, 0.1, out);
  assert.deepEqual(Array.from(out), [1, 2, 3]);
  const s = perNeuron(new Float64Array([1, 2, 3]), constant({ amplitude: 10 }));
  s.sample(0, 0.1, out);
  assert.deepEqual(Array.from(out), [11, 12, 13]);
  assert.equal(s.params['base.amplitude'], 10);
  assert.throws(() => s.sample(0, 0.1, new Float64Array(2)), /out.length must equal values.length/);
});

test('parseStimulusOptions builds stimuli and names the bad flag', () => {
  close(at(parseStimulusOptions('sine', { offset: '1', amplitude: 2, period: '8' }), 2), 3);
  assert.equal(at(parseStimulusOptions('square', {}), 5), -6.5); // study defaults
  assert.equal(at(parseStimulusOptions('constant', {}), 5), 10);
  assert.equal(at(parseStimulusOptions('constant', { offset: '3' }), 5), 3);
  assert.equal(at(parseStimulusOptions('constant', { amplitude: '4', offset: '3' }), 5), 4);
  assert.equal(at(parseStimulusOptions('step', { amplitude: '4', onset: '2', offset: '3' }), 2.5), 4);
  assert.equal(parseStimulusOptions('ou', { seed: '5' }).kind, 'ou');
  assert.equal(parseStimulusOptions('poisson', { neurons: 4, rate: '10' }).params.nNeurons, 4);

  assert.throws(
    () => parseStimulusOptions('sine', { period: 'abc' }),
    (e: Error) => e.message === '--period must be a positive number of ms, got "abc"',
  );
  assert.throws(() => parseStimulusOptions('square', { period: '-3' }), /--period/);
  assert.throws(() => parseStimulusOptions('square', { duty: '2' }), /--duty must be a number in \[0, 1\]/);
  assert.throws(() => parseStimulusOptions('ou', { sigma: '-1' }), /--sigma/);
  assert.throws(() => parseStimulusOptions('ou', { tau: '' }), /--tau must be a positive number/);
  assert.throws(() => parseStimulusOptions('poisson', { neurons: 2, inputs: '1.5' }), /--inputs/);
  assert.throws(() => parseStimulusOptions('poisson', { neurons: 2, tauSyn: '0' }), /--tau-syn/);
  assert.throws(() => parseStimulusOptions('poisson', {}), /--neurons is required/);
  assert.throws(() => parseStimulusOptions('step', { onset: '5', offset: '1' }), /--offset/);
  assert.throws(
    () => parseStimulusOptions('noise', {}),
    /unknown stimulus kind "noise"; valid kinds: constant, step, sine, square, sawtooth, triangle, ou, poisson/,
  );
});
