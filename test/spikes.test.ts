import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpikeDetector, detectSpikes } from '../src/analysis/spikes.js';

// v(t) = 30·sin(2π t/T) crosses θ = 15 upwards at t = T/12 + kT (sin = ½).
const T = 10;
const v = (t: number): number => 30 * Math.sin((2 * Math.PI * t) / T);
const expected = [0, 1, 2, 3].map((k) => T / 12 + k * T);

test('detectSpikes finds the analytic upward crossings of a sine, interpolated', () => {
  const dt = 0.01;
  const t = Array.from({ length: 4000 }, (_, i) => i * dt);
  const spikes = detectSpikes(t, t.map(v), 15);
  assert.equal(spikes.length, 4);
  // linear interpolation error is O(dt²·v''/v') ≈ 3e-5 ms here, far below dt
  spikes.forEach((s, i) => assert.ok(Math.abs(s - expected[i]) < 1e-4, `${s} vs ${expected[i]}`));
  assert.throws(() => detectSpikes([0, 1], [0], 0), /equal lengths/);
});

test('SpikeDetector matches detectSpikes per neuron; interpolation is exact for linear traces', () => {
  const dt = 0.05;
  const det = new SpikeDetector(2, 15);
  const buf = new Float64Array(2);
  for (let i = 0; i < 800; i++) {
    const t = i * dt;
    buf[0] = v(t);
    buf[1] = 2 * t - 5; // linear ramp crossing 15 at exactly t = 10, never recrossing
    det.observe(t, dt, buf);
  }
  assert.equal(det.spikeTimes[0].length, 4);
  det.spikeTimes[0].forEach((s, i) => assert.ok(Math.abs(s - expected[i]) < 2e-3, `${s} vs ${expected[i]}`));
  assert.equal(det.spikeTimes[1].length, 1, 'no double count while staying above threshold');
  assert.ok(Math.abs(det.spikeTimes[1][0] - 10) < 1e-9);
});

test('SpikeDetector: first call only primes, crossing at the boundary, reset', () => {
  const det = new SpikeDetector(1, 0);
  det.observe(0, 0.1, new Float64Array([5])); // already above: no spike on the first call
  det.observe(0.1, 0.1, new Float64Array([6]));
  assert.deepEqual(det.spikeTimes, [[]]);
  det.observe(0.2, 0.1, new Float64Array([-1]));
  det.observe(0.3, 0.1, new Float64Array([0])); // v reaching θ exactly counts, at t
  det.observe(0.4, 0.1, new Float64Array([0])); // staying at θ does not
  assert.equal(det.spikeTimes[0].length, 1);
  assert.ok(Math.abs(det.spikeTimes[0][0] - 0.3) < 1e-12);
  det.observe(0.5, 0.1, new Float64Array([-3]));
  det.observe(0.6, 0.1, new Float64Array([1])); // crosses at 0.5 + 0.1·3/4
  assert.ok(Math.abs(det.spikeTimes[0][1] - 0.575) < 1e-12);
  det.reset();
  assert.deepEqual(det.spikeTimes, [[]]);
  det.observe(1, 0.1, new Float64Array([5]));
  assert.deepEqual(det.spikeTimes, [[]]);
  assert.throws(() => new SpikeDetector(0, 0), /n must be a positive integer/);
  assert.throws(() => det.observe(1, 0.1, new Float64Array(2)), /v.length/);
});
