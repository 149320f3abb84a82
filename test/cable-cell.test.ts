// The single-cell cable kernel (src/cable/cell-wasm.ts, assembly/cable-cell.ts) against the
// float64 solver (simulateCable): an HH axon (partitioned solver, with pad positions), a
// ball-and-stick (partitioned: the soma and its dendrite are one unbranched chain) and a Y cell
// (tree solver); the two solvers against each other; sparse outputs and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ballAndStick, cylinder, yCell } from '../src/morphology/index.js';
import { detectSpikes } from '../src/analysis/spikes.js';
import { hhChannels, passive, simulateCable, simulateCableCell } from '../src/cable/index.js';
import type { CableCellOptions, Mechanism } from '../src/cable/index.js';

const shifted = hhChannels({ convention: 'shifted', temperatureC: 18.5 });
const modern = hhChannels({ convention: 'modern' });

/** A 10 mm squid axon, 201 compartments (not a multiple of 4: pad positions), 20 µA at x = 0. */
function axon(dt: number, method: 'cn' | 'be' = 'cn'): CableCellOptions {
  return {
    morphology: cylinder({ lengthUm: 10000, diameterUm: 476 }),
    discretization: { perSection: 201 },
    ri: 35.4,
    mechanisms: [{ mechanism: shifted }],
    vInit: 0,
    dt,
    tStop: 4,
    method,
    clamps: [{ at: 0, amplitudeNa: 20000, startMs: 0, endMs: 0.2 }],
  };
}

/** HH everywhere, 0.5 nA into the soma for 30 ms: repetitive firing. */
const ballStick: CableCellOptions = {
  morphology: ballAndStick({ somaDiameterUm: 20, dendriteLengthUm: 1000, dendriteDiameterUm: 1 }),
  discretization: { perSection: (_s: unknown, i: number) => (i === 0 ? 1 : 50) },
  mechanisms: [{ mechanism: modern }],
  vInit: -65,
  dt: 0.025,
  tStop: 40,
  clamps: [{ at: 0, amplitudeNa: 0.5, startMs: 5, endMs: 35 }],
};

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/**
 * Runs the kernel and simulateCable on the same cell; V at `sites` within tolVm at every sample,
 * and the threshold crossings there (found by the kernel) within `tolMs` of the reference's.
 */
function compare(
  t: { diagnostic(s: string): void },
  name: string,
  o: CableCellOptions,
  sites: number[],
  th: number,
  tolMv: number,
  tolMs: number,
): void {
  const ref = simulateCable({ ...o, record: sites });
  const cell = simulateCableCell({ ...o, record: sites, crossings: { at: sites, thresholdMv: th } });
  let dv = 0;
  let dt = 0;
  let spikes = 0;
  sites.forEach((_, r) => {
    dv = Math.max(dv, maxDiff(cell.v[r], ref.v[r]));
    const want = detectSpikes(ref.t, ref.v[r], th);
    const got = cell.crossings[r];
    assert.equal(got.length, want.length, `${name}: crossings at site ${sites[r]}`);
    want.forEach((w, k) => (dt = Math.max(dt, Math.abs(got[k] - w))));
    spikes += want.length;
  });
  t.diagnostic(
    `${name} (${cell.solver}): max |ΔV| ${dv.toExponential(2)} mV, max |Δt| of ${spikes} crossings ${dt.toExponential(2)} ms`,
  );
  assert.ok(spikes > 0, `${name}: the cell must spike at the sites`);
  assert.ok(dv < tolMv, `${name}: max |ΔV| ${dv} mV`);
  assert.ok(dt < tolMs, `${name}: crossing times differ by ${dt} ms`);
}

test('single-cell kernel: the HH axon matches simulateCable (partitioned solver; CN, BE, tables, exact rates)', (t) => {
  // Block boundaries of 201 compartments in 4 blocks of 51: 50|51, 101|102, 152|153.
  const sites = [0, 1, 50, 51, 101, 102, 152, 153, 200];
  for (const [name, o] of [
    ['CN, tables', axon(0.01)],
    ['CN, exact rates', { ...axon(0.01), rateTable: null }],
    ['BE, tables', axon(0.01, 'be')],
  ] as const)
    // float32 rounding (measured ≤ 8e-4 mV, crossings ≤ 1e-6 ms); a bias as small as rounding
    // C/h + axial once for the whole run, instead of adding G first, failed this at 0.3 mV.
    compare(t, `axon ${name}`, o, sites, 50, 5e-3, 0.01 * 0.01);
});

test('single-cell kernel: a ball-and-stick (nonuniform chain) and a Y cell (tree solver) match simulateCable', (t) => {
  // Measured 1.1e-2 / 1.9e-3 mV and 3.4e-5 / 8.2e-6 ms (15 and 10 crossings).
  compare(t, 'ball-and-stick', ballStick, [0, 1, 13, 14, 50], 0, 0.05, 0.01 * 0.025);
  const y: CableCellOptions = {
    morphology: yCell({
      trunkLengthUm: 200,
      trunkDiameterUm: 2,
      branchLengthUm: [150, 300],
      branchDiameterUm: [1, 1.26],
    }),
    discretization: { maxLengthUm: 10 },
    mechanisms: [
      { mechanism: modern, sections: [0, 1] },
      { mechanism: passive({ g: 3e-4, e: -65 }), sections: [2] },
    ],
    vInit: -65,
    dt: 0.025,
    tStop: 30,
    clamps: [
      { at: 0, amplitudeNa: 0.3, startMs: 2, endMs: 25 },
      { at: { section: 2, xUm: 290 }, amplitudeNa: 0.01, startMs: 10, endMs: 20 },
    ],
  };
  compare(t, 'Y cell', y, [0, 19, 20, 34, 35, 64], -20, 0.02, 0.01 * 0.025);
});

test('single-cell kernel: the partitioned and the tree solver agree on an unbranched cable', () => {
  const o = { ...axon(0.01), record: [0, 100, 200], crossings: { at: [0, 100, 200], thresholdMv: 50 } };
  const part = simulateCableCell(o);
  const tree = simulateCableCell({ ...o, solver: 'tree' });
  assert.equal(part.solver, 'partitioned');
  assert.equal(tree.solver, 'tree');
  for (let r = 0; r < 3; r++) {
    assert.ok(maxDiff(part.v[r], tree.v[r]) < 0.5);
    assert.equal(part.crossings[r].length, 1);
    assert.ok(Math.abs(part.crossings[r][0] - tree.crossings[r][0]) < 1e-3);
  }
  assert.ok(maxDiff(part.vFinal, tree.vFinal) < 0.5);
  assert.equal(part.vFinal.length, 201);
});

test('single-cell kernel: sparse recording, crossing slots, and errors', () => {
  const o = axon(0.01);
  const every = simulateCableCell({ ...o, record: [100], recordEvery: 7 });
  const all = simulateCableCell({ ...o, record: [100] });
  assert.equal(every.t.length, Math.floor(400 / 7) + 1);
  every.t.forEach((tm, s) => {
    assert.ok(Math.abs(tm - s * 7 * 0.01) < 1e-12);
    assert.equal(every.v[0][s], all.v[0][7 * s]);
  });
  // Two slots per site keep the first two spikes and count the others.
  const ref = simulateCable({ ...ballStick, record: [0] });
  const spikes = detectSpikes(ref.t, ref.v[0], 0);
  assert.ok(spikes.length >= 3, `${spikes.length} spikes`);
  const slots = simulateCableCell({ ...ballStick, crossings: { at: [0], thresholdMv: 0, maxPerSite: 2 } });
  assert.equal(slots.crossings[0].length, 2);
  assert.equal(slots.crossingsDropped, spikes.length - 2);
  slots.crossings[0].forEach((c, k) => assert.ok(Math.abs(c - spikes[k]) < 0.025));
  const fake: Mechanism = { name: 'fake', gates: [], init() {}, advance() {}, conductance() {} };
  assert.throws(
    () => simulateCableCell({ ...o, mechanisms: [{ mechanism: fake }] }),
    /passive\(\) and hhChannels\(\)/,
  );
  assert.throws(
    () =>
      simulateCableCell({
        ...o,
        morphology: yCell({
          trunkLengthUm: 100,
          trunkDiameterUm: 2,
          branchLengthUm: 100,
          branchDiameterUm: 1,
        }),
        discretization: { perSection: 10 },
        solver: 'partitioned',
      }),
    /unbranched/,
  );
  assert.throws(
    () =>
      simulateCableCell({
        ...o,
        mechanisms: [
          { mechanism: shifted },
          { mechanism: hhChannels({ convention: 'shifted', temperatureC: 6.3 }), sections: [] },
        ],
      }),
    /share temperature/,
  );
  assert.throws(() => simulateCableCell({ ...o, recordEvery: 0 }), /recordEvery/);
});
