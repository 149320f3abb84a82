// The many-cell cable kernel (src/cable/cells-wasm.ts) against the float64 solver (simulateCable):
// a ball-and-stick with HH everywhere and with a passive dendrite, BE and CN, five cells (one
// padded lane) each with its own clamp amplitude; thread independence; errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ballAndStick } from '../src/morphology/index.js';
import type { Mechanism } from '../src/cable/index.js';
import { hhChannels, passive, simulateCable, simulateCableCells } from '../src/cable/index.js';
import type { CableCellsOptions, MechanismPlacement } from '../src/cable/index.js';

const morphology = ballAndStick({ somaDiameterUm: 20, dendriteLengthUm: 1000, dendriteDiameterUm: 1 });
const discretization = { perSection: (_s: unknown, i: number) => (i === 0 ? 1 : 50) };
const hh = hhChannels({ convention: 'modern' });
const AMPS = [0.3, 0.5, 0.8, 0.15, 1.0];
const DT = 0.025;
const T_STOP = 60;
const CLAMP = { at: 0, startMs: 5, endMs: 45 };
const RECORD = [0, 25, 50];

const models: Record<string, MechanismPlacement[]> = {
  'HH everywhere': [{ mechanism: hh }],
  'passive dendrite': [
    { mechanism: hh, sections: [0] },
    { mechanism: passive({ g: 3e-4, e: -65 }), sections: [1] },
  ],
};

function base(mechanisms: MechanismPlacement[], method: 'cn' | 'be') {
  return { morphology, discretization, mechanisms, vInit: -65, dt: DT, tStop: T_STOP, method };
}

/** Upward crossings of 0 mV, ms (the sample at or above after one below), as the kernel counts. */
function crossings(v: Float64Array): number[] {
  const out: number[] = [];
  for (let s = 1; s < v.length; s++) if (v[s - 1] < 0 && v[s] >= 0) out.push(s * DT);
  return out;
}

for (const [name, mechanisms] of Object.entries(models))
  for (const method of ['be', 'cn'] as const)
    for (const table of [false, true])
      test(`cable cells: ${name}, ${method}${table ? ', rate tables' : ''}: five cells match simulateCable (float32 tolerance)`, async () => {
        const cells = await simulateCableCells({
          ...base(mechanisms, method),
          rateTable: table ? {} : null,
          cells: AMPS.length,
          clamps: [{ ...CLAMP, amplitudeNa: AMPS }],
          record: RECORD,
          spikes: { at: 0 },
        });
        assert.equal(cells.v.length, RECORD.length);
        assert.equal(cells.spikes.length, AMPS.length);
        let spiking = 0;
        AMPS.forEach((amp, c) => {
          const ref = simulateCable({
            ...base(mechanisms, method),
            clamps: [{ ...CLAMP, amplitudeNa: amp }],
            record: RECORD,
          });
          // Before the clamp (200 steps near rest): the float32 ulp of 65 mV is 7.6e-6 mV and each
          // step's right-hand side C/h·V + G·E rounds at that scale, so the difference may grow to
          // ~200 ulp; measured at most 7e-4 mV.
          for (let r = 0; r < RECORD.length; r++)
            for (let s = 0; s < 5 / DT; s++)
              assert.ok(
                Math.abs(cells.v[r][c][s] - ref.v[r][s]) < 2e-3,
                `rest: cell ${c} loc ${r} step ${s}`,
              );
          // Everywhere: float32 rounding (relative 6e-8 per operation) shifts the trajectory in
          // time by far less than a step; during a spike (|dV/dt| up to ~500 mV/ms) a shift of
          // 1 µs moves V by 0.5 mV. Measured: at most 0.3 mV (the near-threshold 0.15 nA cell).
          // Rate tables add their interpolation error (grid 1/32 mV: relative ~1e-6 in E and Q).
          for (let r = 0; r < RECORD.length; r++) {
            let worst = 0;
            for (let s = 0; s < ref.t.length; s++)
              worst = Math.max(worst, Math.abs(cells.v[r][c][s] - ref.v[r][s]));
            assert.ok(worst < 0.5, `cell ${c} (${amp} nA) loc ${RECORD[r]}: max |ΔV| ${worst} mV`);
          }
          const want = crossings(ref.v[0]);
          const got = Array.from(cells.spikes[c]);
          assert.equal(got.length, want.length, `cell ${c}: spike count`);
          got.forEach((t, k) => assert.ok(Math.abs(t - want[k]) <= DT * 1.0001, `cell ${c} spike ${k}`));
          if (want.length > 1) spiking++;
        });
        assert.ok(spiking >= 3, 'most cells fire repeatedly');
      });

test('cable cells: 1 and 2 threads give bit-identical results', async () => {
  const o: CableCellsOptions = {
    ...base(models['HH everywhere'], 'cn'),
    tStop: 30,
    cells: 9,
    clamps: [{ ...CLAMP, amplitudeNa: Array.from({ length: 9 }, (_, k) => 0.1 + 0.1 * k) }],
    record: [0, 50],
    spikes: { at: 0 },
  };
  const one = await simulateCableCells({ ...o, threads: 1, rateTable: {} });
  const two = await simulateCableCells({ ...o, threads: 2, rateTable: {} });
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  for (let r = 0; r < 2; r++) for (let c = 0; c < 9; c++) assert.deepEqual(two.v[r][c], one.v[r][c]);
  assert.deepEqual(two.spikes, one.spikes);
  assert.ok(one.spikes.some((s) => s.length > 0));
});

test('cable cells: clear errors for bad options', async () => {
  const ok: CableCellsOptions = { ...base(models['HH everywhere'], 'cn'), tStop: 1, cells: 2 };
  const odd: Mechanism = { name: 'odd', gates: [], init() {}, advance() {}, conductance() {} };
  const cases: [Partial<CableCellsOptions>, RegExp][] = [
    [{ cells: 0 }, /cells must be an integer ≥ 1/],
    [{ cells: 2.5 }, /cells must be an integer ≥ 1/],
    [{ threads: 0 }, /threads must be an integer ≥ 1/],
    [{ method: 'rk4' as 'cn' }, /method must be 'cn' or 'be'/],
    [{ dt: 0 }, /dt must be positive/],
    [{ mechanisms: [{ mechanism: odd }] }, /knows passive\(\) and hhChannels\(\) only/],
    [{ clamps: [{ ...CLAMP, amplitudeNa: [1, 2, 3] }] }, /one per cell \(2\), got 3/],
    [{ clamps: [{ ...CLAMP, amplitudeNa: NaN }] }, /must be finite/],
    [{ clamps: Array.from({ length: 16 }, () => ({ ...CLAMP, amplitudeNa: 0 })) }, /at most 15 clamps/],
    [{ record: [99] }, /compartment 99 does not exist/],
    [{ spikes: { at: 0, maxPerCell: 0 } }, /maxPerCell must be an integer ≥ 1/],
    [{ morphology: undefined }, /give a morphology or compartments/],
    [{ rateTable: { step: 0 } }, /the step must be a positive number of mV/],
    [{ rateTable: { min: 10, max: 0 } }, /need finite min < max/],
  ];
  for (const [bad, re] of cases) await assert.rejects(simulateCableCells({ ...ok, ...bad }), re);
});
