import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  coincidenceFactor,
  firingRate,
  interSpikeIntervals,
  rmse,
  spikeTimeErrorOverISI,
  steadyRateHz,
  vanRossumDistance,
} from '../src/analysis/metrics.js';
import { Rng } from '../src/util/rng.js';
import { close as closeTo } from './helpers.js';

const close = (a: number, b: number, tol = 1e-12, msg?: string): void => closeTo(a, b, tol, msg);

const regular = (n: number, isi: number, start = 5): number[] =>
  Array.from({ length: n }, (_, i) => start + i * isi);

/** Brute-force D² = ½ Σ±e^{−|Δ|/τ} as a cross-check for the O(n+m) merge. */
function vanRossumBrute(a: number[], b: number[], tau: number): number {
  const k = (x: number[], y: number[]): number =>
    x.reduce((s, xi) => s + y.reduce((t, yj) => t + Math.exp(-Math.abs(xi - yj) / tau), 0), 0);
  return Math.sqrt(Math.max(0, 0.5 * (k(a, a) + k(b, b) - 2 * k(a, b))));
}

function poissonTrain(rng: Rng, rateHz: number, duration: number): number[] {
  const out: number[] = [];
  for (let t = -Math.log(1 - rng.uniform()) * (1000 / rateHz); t < duration;) {
    out.push(t);
    t += -Math.log(1 - rng.uniform()) * (1000 / rateHz);
  }
  return out;
}

test('identical trains: error 0, Γ = 1, D = 0', () => {
  const s = regular(20, 12.5);
  const e = spikeTimeErrorOverISI(s, s);
  assert.deepEqual(e, { value: 0, paired: 20, meanAbsDiff: 0, meanIsi: 12.5 });
  close(coincidenceFactor(s, s, { window: 2, duration: 300 }), 1);
  close(vanRossumDistance(s, s, 5), 0, 1e-6);
});

test('spikeTimeErrorOverISI: shift by δ gives δ/ISI, pairs over min count, NaN cases', () => {
  const ref = regular(10, 20);
  const shifted = ref.map((t) => t + 3);
  close(spikeTimeErrorOverISI(ref, shifted).value, 3 / 20);
  const e = spikeTimeErrorOverISI(ref, shifted.slice(0, 4));
  assert.equal(e.paired, 4);
  close(e.value, 3 / 20);
  assert.ok(Number.isNaN(spikeTimeErrorOverISI([5], [5]).value));
  assert.ok(Number.isNaN(spikeTimeErrorOverISI(ref, []).value));
  assert.equal(spikeTimeErrorOverISI(ref, []).paired, 0);
});

test('coincidenceFactor: analytic cases and independent Poisson trains ≈ 0', () => {
  assert.equal(coincidenceFactor([], [], { window: 2, duration: 100 }), 1);
  assert.equal(coincidenceFactor([10], [], { window: 2, duration: 100 }), 0);
  // one of two reference spikes matched, one test spike; ν = 1/1000, 2νΔ = 0.004
  const nu2d = 0.004;
  close(
    coincidenceFactor([100, 500], [101], { window: 2, duration: 1000 }),
    (1 - nu2d * 2) / 1.5 / (1 - nu2d),
  );
  // each test spike counts at most once: two reference spikes near one test spike → one coincidence
  close(
    coincidenceFactor([100, 101], [100.5], { window: 2, duration: 1000 }),
    (1 - 0.008) / 1.5 / (1 - 0.004),
  );
  assert.ok(Number.isNaN(coincidenceFactor([1], regular(100, 1, 0), { window: 5, duration: 100 })));
  assert.throws(() => coincidenceFactor([1], [1], { window: -1, duration: 10 }), /window must be/);

  const rng = new Rng(11);
  const values: number[] = [];
  for (let k = 0; k < 20; k++) {
    values.push(
      coincidenceFactor(poissonTrain(rng, 20, 10000), poissonTrain(rng, 20, 10000), {
        window: 2,
        duration: 10000,
      }),
    );
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  close(mean, 0, 0.03, `mean Γ of independent trains ${mean}`);
});

test('vanRossumDistance: one vs none = √½, two single spikes δ apart, merge = brute force', () => {
  close(vanRossumDistance([10], [], 5), Math.SQRT1_2);
  close(vanRossumDistance([], [10], 5), Math.SQRT1_2);
  for (const delta of [0.1, 1, 5, 30]) {
    close(vanRossumDistance([10], [10 + delta], 5), Math.sqrt(1 - Math.exp(-delta / 5)));
  }
  assert.equal(vanRossumDistance([], [], 5), 0);
  const rng = new Rng(2);
  const a = poissonTrain(rng, 50, 1000);
  const b = poissonTrain(rng, 50, 1000);
  b.push(b[b.length - 1] + 1, b[b.length - 1] + 1); // duplicate times and ties with a
  a.push(b[b.length - 1]);
  close(vanRossumDistance(a, b, 4), vanRossumBrute(a, b, 4), 1e-9);
  assert.throws(() => vanRossumDistance([2, 1], [], 5), /sorted/);
  assert.throws(() => vanRossumDistance([], [], 0), /tau must be/);
});

test('rmse', () => {
  close(rmse([1, 2, 3], [1, 2, 3]), 0);
  close(rmse([0, 0, 0, 0], [1, -1, 1, -1]), 1);
  close(rmse(new Float64Array([0, 0]), [3, 4]), Math.sqrt(12.5));
  assert.throws(() => rmse([1], [1, 2]), /lengths must match/);
});

test('firingRate, interSpikeIntervals, steadyRateHz', () => {
  const s = regular(11, 10, 0); // 0, 10, …, 100 ms
  close(firingRate(s, 0, 100), 100); // 10 spikes in [0, 100) over 0.1 s
  close(firingRate(s, 0, 1000), 11);
  assert.deepEqual(interSpikeIntervals([1, 4, 9]), [3, 5]);
  assert.deepEqual(interSpikeIntervals([1]), []);
  close(steadyRateHz(s, 0, 100), 100);
  close(steadyRateHz(s, 25, 1000), 100); // unaffected by where the window cuts the cycle
  assert.equal(steadyRateHz(s, 15, 25), 0); // only one spike in window
  assert.equal(steadyRateHz([], 0, 100), 0);
  assert.throws(() => firingRate(s, 10, 10), /from < to/);
});
