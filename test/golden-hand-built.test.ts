// The models that used to be simulated by hand-written code (hh, hh-modern, lif, tvlif, tvlif2hh,
// slif2hh) against the record of that code: test/fixtures/golden-hand-built.json, written from
// the hand-written models (at faac3da, the fixture's recordedAt) before their declarations
// replaced them, by scripts/record-golden-hand-built.mjs of commit 21673f8 (removed with the first
// of those models). Each case runs through createPopulation, as the command line does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPopulation } from '../src/sim/registry.js';
import { caseKey, goldenCases, runCase } from './golden-cases.js';
import type { GoldenRun } from './golden-cases.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/golden-hand-built.json', import.meta.url), 'utf8'),
) as { recordedAt: string; runs: Record<string, GoldenRun> };

// Spike counts must be equal. Times and V may differ by rounding only: the generated coefficient
// functions fold constants (x/10 becomes 0.1·x, /C with C = 1 disappears), reassociate sums (HH's
// a_v is (I + Σ g·E)/C by hand, f at v = 0 when derived) and write x/(eˣ − 1) as 1/exprel(x).
// Those differences are ~1e-16 relative per step; over 6,000 steps and a few spikes they stay
// below 1e-10 (measured: 2e-13 ms and 2e-11 mV at worst; s-LIF2HH, whose generated step does the
// hand-written arithmetic in the same order, is bit-identical), so 1e-9 leaves room for platform
// libm differences while any change of the model or its discretisation (O(dt) = 1e-2) fails.
const SPIKE_TOL_MS = 1e-9;
const V_TOL_MV = 1e-9;

test('the golden record covers every case of golden-cases.ts', () => {
  const keys = goldenCases().map(caseKey);
  assert.equal(new Set(keys).size, keys.length, 'case keys are unique');
  assert.deepEqual(Object.keys(fixture.runs).sort(), [...keys].sort());
  // The record is not vacuous: every model fires in some case, most in all.
  for (const model of ['hh', 'hh-modern', 'lif', 'tvlif', 'tvlif2hh', 'slif2hh'])
    assert.ok(
      Object.entries(fixture.runs).some(([k, r]) => k.startsWith(`${model} `) && r.spikeTimes.length >= 2),
      model,
    );
});

for (const c of goldenCases()) {
  const key = caseKey(c);
  test(`golden: ${key}`, () => {
    const want = fixture.runs[key];
    const got = runCase(
      createPopulation(c.model, 1, { integrator: c.integrator ?? undefined, params: c.params }),
      c,
    );
    assert.equal(
      got.spikeTimes.length,
      want.spikeTimes.length,
      `spike count (times ${got.spikeTimes} vs ${want.spikeTimes})`,
    );
    got.spikeTimes.forEach((t, i) =>
      assert.ok(
        Math.abs(t - want.spikeTimes[i]) <= SPIKE_TOL_MS,
        `spike ${i}: ${t} vs ${want.spikeTimes[i]} ms`,
      ),
    );
    assert.equal(got.v.length, want.v.length, 'V samples');
    got.v.forEach((v, i) =>
      assert.ok(Math.abs(v - want.v[i]) <= V_TOL_MV, `V sample ${i}: ${v} vs ${want.v[i]} mV`),
    );
  });
}
