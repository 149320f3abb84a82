// The cable equation (src/cable) on morphologies (src/morphology): the Hines solver, Rallpack 1,
// convergence in time, current conservation on a Y, HH propagation, and the SWC reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ballAndStick,
  binaryTree,
  compartmentalize,
  cylinder,
  morphology,
  MorphologyError,
  parseSwc,
  readSwc,
  SwcError,
  yCell,
} from '../src/morphology/index.js';
import {
  axonVelocity,
  axonVelocityWasm,
  axonVelocityWasmCells,
  hhChannels,
  hinesSolve,
  locate,
  passive,
  rallpack1,
  rallpack3,
  rallpack3Compare,
  rallpack3Summary,
  rallpackError,
  rallpackV,
  simulateCable,
} from '../src/cable/index.js';
import { cableHeatmapFigure, HEATMAP_COLUMNS, HEATMAP_ROWS, runCable } from '../src/experiments/cable.js';
import type { CableRunOptions } from '../src/experiments/cable.js';
import { heatmapChart, renderSvg } from '../src/report/charts.js';
import { detectSpikes } from '../src/analysis/spikes.js';
import { close, runCli } from './helpers.js';

/** A small seeded generator (mulberry32) for the random trees. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Dense Gaussian elimination with partial pivoting (A is n×n, row-major; overwritten). */
function denseSolve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let k = 0; k < n; k++) {
    let piv = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i * n + k]) > Math.abs(A[piv * n + k])) piv = i;
    if (piv !== k) {
      for (let j = 0; j < n; j++) [A[k * n + j], A[piv * n + j]] = [A[piv * n + j], A[k * n + j]];
      [b[k], b[piv]] = [b[piv], b[k]];
    }
    for (let i = k + 1; i < n; i++) {
      const f = A[i * n + k] / A[k * n + k];
      if (f === 0) continue;
      for (let j = k; j < n; j++) A[i * n + j] -= f * A[k * n + j];
      b[i] -= f * b[k];
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= A[i * n + j] * x[j];
    x[i] = s / A[i * n + i];
  }
  return x;
}

test('Hines solver = dense Gaussian elimination on random trees', () => {
  const rand = mulberry32(7);
  for (const n of [1, 2, 5, 30, 120]) {
    for (let trial = 0; trial < 4; trial++) {
      const parent = new Int32Array(n);
      parent[0] = -1;
      for (let i = 1; i < n; i++) parent[i] = Math.floor(rand() * i);
      const off = new Float64Array(n);
      const diag = new Float64Array(n);
      for (let i = 0; i < n; i++) diag[i] = 0.01 + rand() * 5; // membrane + capacitance
      for (let i = 1; i < n; i++) {
        const g = 10 ** (rand() * 4 - 2); // axial conductances over four decades
        off[i] = -g;
        diag[i] += g;
        diag[parent[i]] += g;
      }
      const rhs = Float64Array.from({ length: n }, () => rand() * 2 - 1);
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++) A[i * n + i] = diag[i];
      for (let i = 1; i < n; i++) A[i * n + parent[i]] = A[parent[i] * n + i] = off[i];
      const want = denseSolve(A, rhs.slice(), n);
      const got = rhs.slice();
      hinesSolve(parent, diag.slice(), off, got);
      const scale = Math.max(1, ...want.map(Math.abs));
      for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-10 * scale, `n=${n} node ${i}`);
    }
  }
});

// Rallpack 1 (Bhalla, Bilitch & Bower 1992): a passive cable, 1 mm × 1 µm, Ri 100 Ω·cm,
// Rm 40 000 Ω·cm², Cm 1 µF/cm², rest −65 mV, 0.1 nA into x = 0 from t = 0.
test('Rallpack 1: the passive cable matches the analytic solution within 0.01 mV from t = 0.1 ms on', (t) => {
  const { r, xs } = rallpack1(1000, 0.01, 'cn');
  const fmt = (e: [number, number]): string =>
    `x=0 ${e[0].toExponential(2)}, x=L ${e[1].toExponential(2)} mV`;
  const all = rallpackError(r, xs, 0);
  const after01 = rallpackError(r, xs, 0.1);
  const after1 = rallpackError(r, xs, 1);
  const last = r.t.length - 1;
  t.diagnostic(
    `CN, dx = 1 µm, dt = 0.01 ms, max |error| over 0–250 ms: ${fmt(all)}; t ≥ 0.1 ms: ${fmt(after01)}; t ≥ 1 ms: ${fmt(after1)}; ` +
      `V(0, 250) = ${r.v[0][last].toFixed(4)} mV, V(L, 250) = ${r.v[1][last].toFixed(4)} mV`,
  );
  // The first steps resolve V(0, t) ∝ √t only roughly; from 0.1 ms on the target holds.
  assert.ok(after01[0] < 0.01 && after01[1] < 0.01, fmt(after01));
  assert.ok(after1[0] < 1e-3 && after1[1] < 1e-3, fmt(after1));
  assert.ok(all[0] < 0.2);
  // Steady state (250 ms ≈ 6.25 τ, transient e^(−6.25)/ℓ of the amplitude left): the analytic value.
  assert.ok(Math.abs(r.v[0][last] - rallpackV(xs[0], 250)) < 1e-3);
});

test('time convergence: Crank–Nicolson is second order, backward Euler first order', (t) => {
  const N = 100;
  const tStop = 20;
  const ref = rallpack1(N, 0.0005, 'cn', tStop).r;
  const at = (r: typeof ref): number => r.v[0][r.t.length - 1];
  const refV = at(ref);
  for (const method of ['cn', 'be'] as const) {
    const errs = [0.1, 0.05, 0.025].map((dt) => Math.abs(at(rallpack1(N, dt, method, tStop).r) - refV));
    const orders = [Math.log2(errs[0] / errs[1]), Math.log2(errs[1] / errs[2])];
    t.diagnostic(
      `${method}: |V(0, ${tStop} ms) − ref| at dt 0.1/0.05/0.025 ms = ${errs.map((e) => e.toExponential(2)).join(', ')}; orders ${orders.map((o) => o.toFixed(2)).join(', ')}`,
    );
    const want = method === 'cn' ? 2 : 1;
    for (const o of orders) assert.ok(Math.abs(o - want) < 0.25, `${method} order ${o}`);
  }
});

test('a Y cell conserves current: injected = membrane current, Kirchhoff at the branch point', () => {
  const m = yCell({
    trunkLengthUm: 200,
    trunkDiameterUm: 2,
    branchLengthUm: [150, 300],
    branchDiameterUm: [1, 1.26],
  });
  const c = compartmentalize(m, { maxLengthUm: 10 });
  const ri = 150;
  const rm = 20000;
  const e = -70;
  const inj = 0.05;
  // Backward Euler with a step ≫ τ reaches the steady state to round-off.
  const r = simulateCable({
    compartments: c,
    ri,
    mechanisms: [{ mechanism: passive({ rm, e }) }],
    vInit: e,
    dt: 1e6,
    tStop: 1e7,
    method: 'be',
    clamps: [{ at: 0, amplitudeNa: inj, startMs: 0, endMs: Infinity }],
  });
  const v = r.vFinal;
  const gm = (i: number): number => (c.area[i] * 1e-2) / rm; // µS
  const gax = (i: number): number => 1 / (ri * c.axialToParent[i] * 1e-2);
  let membrane = 0;
  for (let i = 0; i < c.count; i++) membrane += gm(i) * (v[i] - e);
  assert.ok(Math.abs(membrane - inj) < 1e-9 * inj, `membrane ${membrane} nA vs injected ${inj} nA`);
  // The branch point: the trunk's last compartment; its children are the branches' first ones.
  const bp = c.first[0] + c.perSection[0] - 1;
  const kids = [c.first[1], c.first[2]];
  assert.deepEqual([c.parent[kids[0]], c.parent[kids[1]]], [bp, bp]);
  const inFromTrunk = gax(bp) * (v[bp - 1] - v[bp]);
  const outToBranches = kids.reduce((s, k) => s + gax(k) * (v[bp] - v[k]), 0);
  assert.ok(Math.abs(inFromTrunk - outToBranches - gm(bp) * (v[bp] - e)) < 1e-12);
  // Each branch's membrane current equals what flows into it.
  for (const [s, k] of [
    [1, kids[0]],
    [2, kids[1]],
  ]) {
    let ib = 0;
    for (let i = c.first[s]; i < c.first[s] + c.perSection[s]; i++) ib += gm(i) * (v[i] - e);
    assert.ok(Math.abs(ib - gax(k) * (v[bp] - v[k])) < 1e-12, `branch ${s}`);
  }
});

test('morphology and location errors are clear', () => {
  assert.throws(
    () =>
      morphology([
        { lengthUm: 10, diameterUm: 1 },
        { parent: 2, lengthUm: 10, diameterUm: 1 },
        { lengthUm: 5, diameterUm: 1 },
      ]),
    (e: unknown) =>
      e instanceof MorphologyError && /section 1: parent must be an earlier section/.test(e.message),
  );
  assert.throws(() => cylinder({ lengthUm: 0, diameterUm: 1 }), /length must be a positive/);
  assert.throws(() => cylinder({ lengthUm: 10, diameterUm: -1 }), /diameters must be positive/);
  const c = compartmentalize(cylinder({ lengthUm: 100, diameterUm: 1 }), { maxLengthUm: 30 });
  assert.equal(c.count, 4);
  assert.equal(locate(c, { section: 0, xUm: 100 }), 3);
  assert.equal(locate(c, { section: 0, xUm: 26 }), 1);
  assert.throws(() => locate(c, { section: 0, xUm: 101 }), /outside section 0/);
  assert.throws(() => locate(c, 4), /compartment 4 does not exist/);
});

test('binary trees: symmetric branches carry equal potentials', () => {
  const m = binaryTree(4, { lengthUm: 100, diameterUm: 4 });
  assert.equal(m.sections.length, 15);
  const c = compartmentalize(m, { perSection: 5 });
  const r = simulateCable({
    compartments: c,
    mechanisms: [{ mechanism: passive({ rm: 20000, e: -65 }) }],
    vInit: -65,
    dt: 0.025,
    tStop: 5,
    clamps: [{ at: 0, amplitudeNa: 0.2, startMs: 1, endMs: 3 }],
    record: [{ section: 7, xUm: 100 }, { section: 14, xUm: 100 }, 0],
  });
  assert.ok(r.v[2].some((x) => x > -64));
  for (let n = 0; n < r.t.length; n++) assert.ok(Math.abs(r.v[0][n] - r.v[1][n]) < 1e-9);
});

/**
 * HH 1952 squid axon: 476 µm diameter, Ri 35.4 Ω·cm, 18.5 °C (rates × 3^1.22), shifted
 * convention, 20 µA for 0.2 ms at x = 0. The velocity between positions a and b (µm): the 50 mV
 * upward crossing time at each is interpolated linearly between the two nodes around it (taking
 * the nearest node instead shifts the interval by up to dx/2, a first-order error where the
 * speed varies along the axon).
 */
function hhAxon(dx: number, dt: number, lengthUm: number, a: number, b: number) {
  const N = Math.round(lengthUm / dx);
  const below = (x: number): number => Math.max(0, Math.min(N - 2, Math.floor(x / dx - 0.5)));
  const r = simulateCable({
    morphology: cylinder({ lengthUm, diameterUm: 476 }),
    discretization: { perSection: N },
    ri: 35.4,
    mechanisms: [{ mechanism: hhChannels({ convention: 'shifted', temperatureC: 18.5 }) }],
    vInit: 0,
    dt,
    tStop: (3 * lengthUm) / 10000,
    clamps: [{ at: 0, amplitudeNa: 20000, startMs: 0, endMs: 0.2 }],
    record: [below(a), below(a) + 1, below(b), below(b) + 1],
    recordGates: true,
  });
  const tc = r.v.map((v) => detectSpikes(r.t, v, 50)[0]);
  const at = (x: number, k: number, t0: number, t1: number): number =>
    t0 + ((t1 - t0) * (x - (k + 0.5) * dx)) / dx;
  const ta = at(a, below(a), tc[0], tc[1]);
  const tb = at(b, below(b), tc[2], tc[3]);
  return { r, velocity: (b - a) / 1000 / (tb - ta) }; // mm/ms = m/s
}

test('an HH axon conducts a spike at the velocity HH (1952) computed, converging as dx, dt shrink', (t) => {
  const grids = [
    [100, 0.01],
    [50, 0.005],
    [25, 0.0025],
  ];
  const describe = (vs: number[]): string =>
    `${vs.map((v) => v.toFixed(4)).join(', ')} m/s at dx/dt 100 µm/0.01 ms, 50/0.005, 25/0.0025`;
  // The 1 cm axon, measured over 3–7 mm: the spike is still forming and feels the sealed end.
  const short = grids.map(([dx, dt]) => hhAxon(dx, dt, 10000, 3000, 7000).velocity);
  t.diagnostic(`1 cm axon, 3–7 mm: ${describe(short)}`);
  // 3 cm, measured over 12–18 mm: a settled travelling wave, comparable with HH's 18.8 m/s.
  const runs = grids.map(([dx, dt]) => hhAxon(dx, dt, 30000, 12000, 18000));
  const vs = runs.map((x) => x.velocity);
  t.diagnostic(`3 cm axon, 12–18 mm: ${describe(vs)}`);
  // 3 cm: second order (differences ÷ ≈ 4 per halving). 1 cm: the start-up transient makes the
  // coarse steps non-monotone in dt (dx 50 µm: 18.316, 18.331, 18.323, 18.320, 18.319 m/s at
  // dt 0.02 … 0.00125 ms), but the two finest runs agree within 0.005 m/s.
  assert.ok(Math.abs(vs[2] - vs[1]) < Math.abs(vs[1] - vs[0]) / 3, 'differences shrink');
  assert.ok(Math.abs(short[2] - short[1]) < 0.005);
  assert.ok(Math.abs(short[2] - 18.3) < 0.5);
  assert.ok(Math.max(...runs[2].r.v[3]) > 90, 'a full-height spike');
  assert.ok(runs[2].r.gates[0]['hh.m'].some((m) => m > 0.9));
  assert.ok(Math.abs(vs[2] - 18.8) < 0.3, `velocity ${vs[2]} m/s vs HH's computed 18.8`);
});

const SWC = `# soma + 2 dendrites + axon (hand-written)
1 1 0 0 0 10 -1
2 3 10 0 0 1 1
3 3 40 0 0 0.8 2
4 3 60 10 0 0.6 3
5 3 -10 0 0 1.5 1
6 3 -50 0 0 1 5
7 2 0 -10 0 0.5 1
8 2 0 -100 0 0.5 7
9 2 0 -200 0 0.5 8
`;

test('SWC: a soma, two dendrites and an axon load and simulate', () => {
  const pts = parseSwc(SWC);
  assert.equal(pts.length, 9);
  const m = readSwc(SWC);
  assert.deepEqual(
    m.sections.map((s) => [s.type, s.parent]),
    [
      ['soma', -1],
      ['dendrite', 0],
      ['dendrite', 0],
      ['axon', 0],
    ],
  );
  // The single-point soma is a sphere-equivalent cylinder: length = diameter = 20 µm.
  assert.equal(m.sections[0].length, 20);
  // Dendrite 1 starts at the soma surface: (10 − 10) is not > 0, so the full 10 µm, then 30 + √500.
  assert.ok(Math.abs(m.sections[1].length - (10 + 30 + Math.sqrt(500))) < 1e-9);
  assert.ok(Math.abs(m.sections[3].length - (10 + 90 + 100)) < 1e-9);
  const r = simulateCable({
    morphology: m,
    discretization: { maxLengthUm: 10 },
    mechanisms: [{ mechanism: hhChannels({ convention: 'modern' }) }],
    vInit: -65,
    dt: 0.025,
    tStop: 10,
    clamps: [{ at: 0, amplitudeNa: 0.5, startMs: 1, endMs: 6 }],
    record: [0, { section: 3, xUm: 190 }],
  });
  assert.ok(detectSpikes(r.t, r.v[0], 0).length >= 1, 'the soma spikes');
  assert.ok(detectSpikes(r.t, r.v[1], 0).length >= 1, 'the spike reaches the axon end');
});

test("SWC: the 3-point soma of NeuroMorpho and a ball-and-stick have the sphere's area", () => {
  const m = readSwc('1 1 0 0 0 5 -1\n2 1 0 -5 0 5 1\n3 1 0 5 0 5 1\n4 3 0 0 10 1 1\n5 3 0 0 60 1 4');
  assert.deepEqual(
    m.sections.map((s) => [s.type, s.parent, s.parentX, s.length]),
    [
      ['soma', -1, 1, 5],
      ['soma', 0, 0, 5],
      ['dendrite', 0, 0, 60],
    ],
  );
  const c = compartmentalize(m, { perSection: 1 });
  assert.ok(Math.abs(c.area[0] + c.area[1] - 4 * Math.PI * 25) < 1e-9);
  const b = compartmentalize(
    ballAndStick({ somaDiameterUm: 20, dendriteLengthUm: 200, dendriteDiameterUm: 2 }),
  );
  assert.ok(Math.abs(b.area[0] - 4 * Math.PI * 100) < 1e-9);
});

test('SWC: malformed files give errors naming the line', () => {
  const cases: [string, string, RegExp][] = [
    ['cycle', '1 1 0 0 0 5 -1\n2 3 1 0 0 1 3\n3 3 2 0 0 1 2', /line 2: .*cycle/],
    ['self parent', '1 1 0 0 0 5 -1\n2 3 1 0 0 1 2', /line 2: .*own parent/],
    ['missing parent', '1 1 0 0 0 5 -1\n2 3 1 0 0 1 9', /line 2: parent 9 .*does not exist/],
    ['parent later', '# c\n1 1 0 0 0 5 -1\n2 3 1 0 0 1 3\n3 3 2 0 0 1 1', /line 3: parent 3 .*appears later/],
    ['zero radius', '1 1 0 0 0 5 -1\n2 3 1 0 0 0 1', /line 2: radius must be positive/],
    ['negative radius', '1 1 0 0 0 5 -1\n\n2 3 1 0 0 -1 1', /line 3: radius/],
    ['unknown type', '1 1 0 0 0 5 -1\n2 12 1 0 0 1 1', /line 2: unknown type code 12/],
    [
      'duplicate id',
      '1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n2 3 2 0 0 1 1',
      /line 3: duplicate id 2 \(first on line 2\)/,
    ],
    ['too few fields', '1 1 0 0 0 5 -1\n2 3 1 0 0 1', /line 2: expected 7 fields/],
    ['not a number', '1 1 0 0 0 5 -1\n2 3 1 zero 0 1 1', /line 2: field 4 "zero" is not a number/],
    ['two roots', '1 1 0 0 0 5 -1\n2 3 1 0 0 1 -1', /line 2: a second root/],
  ];
  for (const [what, text, re] of cases) {
    assert.throws(
      () => readSwc(text),
      (e: unknown) => e instanceof SwcError && re.test(e.message),
      what,
    );
  }
});

test('HH axon velocity scales with the square root of the diameter (cable theory)', (t) => {
  const thick = axonVelocity({ diameterUm: 476, lengthUm: 20000, compartments: 400, dt: 0.01 });
  const thin = axonVelocity({ diameterUm: 119, lengthUm: 10000, compartments: 400, dt: 0.01 });
  t.diagnostic(`476 µm: ${thick.velocityMps.toFixed(3)} m/s; 119 µm: ${thin.velocityMps.toFixed(3)} m/s`);
  close(thick.velocityMps / thin.velocityMps, 2, 0.06);
  close(thick.velocityMps, 18.7, 0.3);
  assert.throws(() => axonVelocity({ diameterUm: -1 }), /diameter must be > 0/);
});

test("the axon velocity on the wasm kernels (float32, rate tables or exact rates) equals the float64 solver's", async (t) => {
  const axon = { diameterUm: 476, lengthUm: 20000, compartments: 400, dt: 0.01 };
  const js = axonVelocity(axon);
  const table = await axonVelocityWasm(axon);
  const exact = await axonVelocityWasm({ ...axon, rateTable: null });
  const coarse = await axonVelocityWasm({ ...axon, rateTable: { step: 2 } });
  const cells = await axonVelocityWasmCells(axon);
  t.diagnostic(
    `js ${js.velocityMps} m/s; wasm tables ${table.velocityMps}, exact ${exact.velocityMps}, 2 mV table ${coarse.velocityMps}; many-cell kernel ${cells.velocityMps}`,
  );
  for (const r of [table, exact, cells]) {
    assert.ok(Math.abs(r.velocityMps / js.velocityMps - 1) < 1e-4, `${r.velocityMps} vs ${js.velocityMps}`);
    // Every fitted crossing within a hundredth of a step of the float64 solver's.
    r.points.forEach((p, k) => assert.ok(Math.abs(p.tMs - js.points[k].tMs) < 0.01 * axon.dt, `point ${k}`));
  }
  assert.ok(coarse.velocityMps !== table.velocityMps, 'the spacing reaches the result');
});

test('hhnet cable rallpack 1 and cable velocity print their figures', async () => {
  const rp = await runCli(['cable', 'rallpack', '1', '--compartments', '200', '--dt', '0.05', '--json']);
  assert.equal(rp.code, 0, rp.stderr);
  const j = JSON.parse(rp.stdout);
  assert.equal(j.rallpack, 1);
  assert.ok(j.maxError.from1[0] < 0.05 && j.vEnd[0] > 100, rp.stdout);
  const v = await runCli([
    'cable',
    'velocity',
    '--length',
    '10000',
    '--compartments',
    '200',
    '--dt',
    '0.01',
    '--json',
  ]);
  assert.equal(v.code, 0, v.stderr);
  assert.ok(Math.abs(JSON.parse(v.stdout).velocityMps - 18.5) < 0.8, v.stdout);
  const bad = await runCli(['cable', 'rallpack', '2']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /expected one of 1, 3/);
});

test('hhnet cable run: an HH ball-and-stick fires at both sites; SWC files run; bad input is named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hhnet-cable-'));
  try {
    const out = join(dir, 'bs');
    const r = await runCli([
      'cable',
      'run',
      '--morphology',
      'ball-and-stick',
      '--channels',
      'hh',
      '--clamp',
      '0:10:0.3:5-45',
      '--record',
      '0:10,1:500',
      '--duration',
      '50',
      '--quiet',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(readFileSync(join(out, 'cable.json'), 'utf8'));
    assert.equal(j.traces.length, 2);
    // the heat map: written, an SVG of rect marks; a branched cell's rows are compartment indices
    const heat = readFileSync(join(out, 'cable-heatmap.svg'), 'utf8');
    assert.match(heat, /^<svg[^]*mark-rect[^]*<\/svg>\s*$/);
    assert.equal(j.heatmap.yUnit, 'compartment');
    assert.equal(j.heatmap.yEdges[j.heatmap.yEdges.length - 1], j.compartments);
    for (const tr of j.traces) assert.ok(tr.spikeTimes.length >= 2, JSON.stringify(tr.spikeTimes));
    // the spike reaches 500 µm along the dendrite after it started at the soma
    assert.ok(j.traces[1].spikeTimes[0] > j.traces[0].spikeTimes[0]);
    const swc = join(dir, 'cell.swc');
    writeFileSync(swc, '# soma and one dendrite\n1 1 0 0 0 10 -1\n2 3 10 0 0 1 1\n3 3 200 0 0 1 2\n');
    const s = await runCli([
      'cable',
      'run',
      '--morphology',
      swc,
      '--clamp',
      '0:5:0.2:1-20',
      '--record',
      '0:5',
      '--duration',
      '20',
      '--quiet',
      '--out',
      join(dir, 'swc'),
    ]);
    assert.equal(s.code, 0, s.stderr);
    writeFileSync(swc, '1 1 0 0 0 10 -1\n2 3 10 0 0 0 1\n');
    const bad = await runCli(['cable', 'run', '--morphology', swc, '--out', join(dir, 'bad')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cell\.swc: .*line 2/);
    const site = await runCli(['cable', 'run', '--record', '3:5', '--out', join(dir, 'bad')]);
    assert.equal(site.code, 2);
    assert.match(site.stderr, /section 3 does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Rallpack 3: the Rallpack 1 cable with HH squid Na and K channels (leak 1/RM at −65 mV, ENa
// +50, EK −77 mV), 0.1 nA into x = 0. No analytic solution: runs are compared with a
// fine-grid run of the same model (src/cable/rallpack3.ts states the rule).
test('Rallpack 3: spike times converge to the fine-grid reference at second order in dt', (t) => {
  const opts = { compartments: 250, tStop: 50 };
  const ref = rallpack3({ ...opts, dt: 0.0025 });
  // The cell fires repetitively at the stimulated end and the spikes reach the far end.
  assert.equal(ref.spikes[0].length, 4, JSON.stringify(ref.spikes));
  assert.equal(ref.spikes[1].length, 4, JSON.stringify(ref.spikes));
  close(ref.spikes[0][0], 1.31, 0.02);
  for (let i = 0; i < 4; i++) assert.ok(ref.spikes[1][i] > ref.spikes[0][i] + 2, 'travels to x = L');
  const errs = [0.04, 0.02, 0.01].map((dt) => rallpack3Compare(rallpack3({ ...opts, dt }), ref));
  t.diagnostic(
    'dt 0.04, 0.02, 0.01 ms (250 compartments, 50 ms) against dt 0.0025: max |Δt_spike| at x = 0 / x = L ' +
      errs
        .map(
          (e) =>
            `${e[0].maxSpikeTimeDiffMs.toExponential(2)} / ${e[1].maxSpikeTimeDiffMs.toExponential(2)} ms`,
        )
        .join(', ') +
      '; RMS ΔV at x = 0: ' +
      errs.map((e) => `${e[0].rmsErrorMv.toExponential(2)} mV`).join(', '),
  );
  for (const e of errs)
    for (const end of e) {
      assert.equal(end.spikes, end.referenceSpikes);
      assert.ok(end.maxSpikeTimeDiffMs < 0.1, JSON.stringify(end));
    }
  for (let k = 1; k < errs.length; k++)
    for (const end of [0, 1]) {
      // second order: each halving of dt divides the error by about 4 (at least 3 here)
      assert.ok(
        errs[k][end].maxSpikeTimeDiffMs < errs[k - 1][end].maxSpikeTimeDiffMs / 3,
        `end ${end}: ${errs[k - 1][end].maxSpikeTimeDiffMs} → ${errs[k][end].maxSpikeTimeDiffMs}`,
      );
      assert.ok(errs[k][end].rmsErrorMv < errs[k - 1][end].rmsErrorMv / 2);
    }
  // the reference against itself: zero error (the measures read the right traces)
  const self = rallpack3Compare(ref, ref);
  assert.equal(self[0].maxSpikeTimeDiffMs, 0);
  assert.equal(self[0].rmsErrorMv, 0);
});

test('Rallpack 3: the summary passes on a coarse CN grid, fails a too-strict tolerance, refuses bad input', () => {
  const s = rallpack3Summary({ compartments: 100, dt: 0.02, tStop: 30 }, { dt: 0.005 });
  assert.equal(s.reference.compartments, 200);
  assert.equal(s.passes, true, JSON.stringify(s.ends));
  // a tolerance below the measured error fails the same run
  const strict = rallpack3Summary({ compartments: 100, dt: 0.02, tStop: 30 }, { dt: 0.005 }, 1e-6);
  assert.equal(strict.passes, false);
  // backward Euler at a coarse step is first order and drifts far more than CN
  const be = rallpack3Summary({ compartments: 100, dt: 0.02, tStop: 30, method: 'be' }, { dt: 0.005 });
  assert.ok(be.ends[0].maxSpikeTimeDiffMs > 3 * s.ends[0].maxSpikeTimeDiffMs, JSON.stringify(be.ends));
  assert.throws(() => rallpack3({ compartments: 1 }), /compartments must be an integer ≥ 2/);
  assert.throws(() => rallpack3({ dt: 0 }), /dt must be > 0/);
  assert.throws(() => rallpack3({ tStop: -1 }), /tStop must be > 0/);
  assert.throws(() => rallpack3Summary({}, {}, 0), /tolerance must be > 0/);
  // options left undefined take the defaults
  const d = rallpack3({ compartments: 20, dt: undefined, tStop: 5 });
  assert.equal(d.dt, 0.01);
  assert.equal(d.method, 'cn');
});

test('hhnet cable rallpack 3 prints its acceptance figures', async () => {
  const r = await runCli([
    'cable',
    'rallpack',
    '3',
    '--compartments',
    '100',
    '--dt',
    '0.02',
    '--reference-dt',
    '0.005',
    '--duration',
    '20',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.rallpack, 3);
  assert.equal(j.passes, true);
  assert.equal(j.reference.compartments, 200);
  assert.equal(j.ends[0].spikes, 2);
  assert.ok(j.ends[1].maxSpikeTimeDiffMs < 0.05, r.stdout);
  const text = await runCli([
    'cable',
    'rallpack',
    '3',
    '--compartments',
    '50',
    '--dt',
    '0.05',
    '--duration',
    '10',
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /Rallpack 3 \(50 compartments.*\n.*x = 0: \d+ spikes? \(reference \d+\)[^]*passes/,
  );
  const strict = await runCli([
    'cable',
    'rallpack',
    '3',
    '--compartments',
    '50',
    '--dt',
    '0.05',
    '--duration',
    '10',
    '--tolerance',
    '1e-6',
  ]);
  assert.equal(strict.code, 1, strict.stderr);
  assert.match(
    strict.stdout,
    /FAILS: equal, non-zero spike counts at both ends and every spike within 0\.000001 ms/,
  );
  const bad = await runCli(['cable', 'rallpack', '3', '--compartments', '1', '--duration', '1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /compartments must be an integer ≥ 2, got 1/);
});

const HEAT_RUN: CableRunOptions = {
  morphology: 'cylinder',
  lengthUm: 1000,
  diameterUm: 1,
  compartments: 250,
  channels: 'hh',
  ri: 100,
  cm: 1,
  rm: 40000,
  el: -65,
  clamps: [{ section: 0, atUm: 0, amplitudeNa: 0.1, startMs: 0, endMs: 100 }],
  record: [{ section: 0, atUm: 0 }],
  duration: 30,
  dt: 0.025,
};

test('cable run: the space–time heat map covers the cell, shows the spike travelling, and renders', async () => {
  const r = runCable(HEAT_RUN);
  const h = r.heatmap;
  assert.equal(h.yUnit, 'um');
  assert.ok(h.tMs.length <= HEATMAP_COLUMNS && h.tMs.length > 100, `${h.tMs.length} columns`);
  assert.ok(h.v.length <= HEATMAP_ROWS && h.v.length >= 50, `${h.v.length} rows`);
  assert.equal(h.yEdges.length, h.v.length + 1);
  assert.equal(h.yEdges[0], 0);
  close(h.yEdges[h.yEdges.length - 1], 1000, 1e-9);
  assert.equal(h.rows[0].from, 0);
  assert.equal(h.rows[h.rows.length - 1].to, r.compartments);
  for (const row of h.v) assert.equal(row.length, h.tMs.length);
  // the first spike peaks at x = 0 before it peaks at x = L (the heat map's diagonal band)
  const argmaxBefore = (row: number[], tMax: number): number => {
    let best = 0;
    for (let k = 0; k < row.length && h.tMs[k] <= tMax; k++) if (row[k] > row[best]) best = k;
    return h.tMs[best];
  };
  const near = argmaxBefore(h.v[0], 8);
  const far = argmaxBefore(h.v[h.v.length - 1], 8);
  assert.ok(h.v[0].some((x) => x > 20) && h.v[h.v.length - 1].some((x) => x > 20));
  assert.ok(far > near + 1, `peak at x = 0 at ${near} ms, at x = L at ${far} ms`);
  // the heat map at t = 0 is the resting cell; recordAll and the traces agree at x = 0
  assert.equal(h.v[0][0], -65);
  const svg = await renderSvg(cableHeatmapFigure('heat', r));
  assert.match(svg, /^<svg/);
  assert.match(svg, /mark-rect/);
  assert.match(svg, /V \(mV\)/);
  // one rect per cell, in a single mark group
  const marks = /<g class="mark-rect[^>]*>([^]*?)<\/g>/.exec(svg);
  assert.ok(marks);
  assert.equal((marks[1].match(/<path/g) ?? []).length, h.v.length * h.tMs.length);
  const grid = { title: 't', xLabel: 'x', yLabel: 'y', zLabel: 'z', x: [0, 1, 2], y: [0, 1] };
  assert.throws(() => heatmapChart({ ...grid, z: [[1, 2, 3]] }), /z must be 1 rows × 2 columns/);
  assert.throws(() => heatmapChart({ ...grid, x: [0], z: [] }), /at least one row and one column/);
  // bad recordAll input is refused
  assert.throws(
    () =>
      simulateCable({
        morphology: cylinder({ lengthUm: 100, diameterUm: 1 }),
        mechanisms: [],
        vInit: 0,
        dt: 0.1,
        tStop: 1,
        recordAll: { every: 0 },
      }),
    /recordAll.every must be an integer ≥ 1/,
  );
});
