// The command line for declared neuron models: `hhnet models`, and `--param` on simulate and
// fi-curve (names and values checked against the declaration). Independent runs are started
// together so the file stays fast on two cores.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { declaredModel, declaredModels, declaredUnit, registerNeuron } from '../src/neurons/catalog.js';
import { declareNeuron, describeParams } from '../src/neurons/model.js';
import { slif2hhUnitDeclared } from '../src/neurons/slif2hh.js';
import { createPopulation, modelNames } from '../src/sim/registry.js';
import { simulate } from '../src/sim/simulate.js';
import { constant } from '../src/sim/stimulus.js';
import type { CliRun } from './helpers.js';
import { runCli } from './helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-cli-models-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));

let dirCount = 0;
const outDir = (name: string): string => join(ROOT, `${name}-${++dirCount}`);
const cli = (args: string[]): Promise<CliRun> => runCli(args, { cwd: ROOT });
const show = (r: CliRun): string => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

function assertOk(r: CliRun): void {
  assert.equal(r.code, 0, show(r));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

/** A user error: exit 2, one line on stderr with the message, nothing on stdout. */
function assertUserError(r: CliRun, message: RegExp): void {
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, /^hhnet: error: /, show(r));
  assert.match(r.stderr, message, show(r));
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.equal(r.stdout, '', show(r));
}

test('hhnet models: text and --json list every model; declared ones with parameters, spike and reset', async () => {
  const [text, json, one, help] = await Promise.all([
    cli(['models']),
    cli(['models', '--json']),
    cli(['models', 'adex']),
    cli(['simulate', '--help']),
  ]);
  for (const r of [text, json, one, help]) assertOk(r);
  const names = modelNames();
  for (const name of names) assert.match(text.stdout, new RegExp(`^${name} — `, 'm'), name);
  const izh = declaredModel('izhikevich')!;
  assert.ok(text.stdout.includes(describeParams(izh)), 'parameters with defaults and units');
  assert.match(text.stdout, /a = 0\.02 1\/ms/);
  assert.match(text.stdout, /spike +v >= 30\n +reset +v ← c, u ← u \+ d/);
  assert.match(text.stdout, /discrete, one step = 1 ms/, 'lif-step is discrete');
  assert.match(text.stdout, /tvlif — .*\n +time +continuous\n/);
  assert.match(
    text.stdout,
    /slif2hh — .*\n +time +discrete, one step = 1 ms by default \(its step reads dt: any --dt runs\); simulation only/,
  );
  assert.match(text.stdout, /tvlif2hh — .*\n +time +continuous; simulation only \(no trainable layer\)/);
  // Its start comes from the HH declaration (initFrom), said so in full listings.
  const circuit = await cli(['models', 'tvlif2hh']);
  assertOk(circuit);
  assert.match(
    circuit.stdout,
    /initial +uNa = hh\.v, .*m = hh\.m.*; hh\.x: the initial state of hh with these parameters/,
  );

  const listing = JSON.parse(json.stdout) as {
    models: {
      name: string;
      time?: string;
      notTrainable: string | null;
      states?: { name: string }[];
      params?: { name: string; value: number; unit: string | null }[];
      spike?: string;
      reset?: Record<string, string> | null;
    }[];
  };
  assert.deepEqual(
    listing.models.map((m) => m.name),
    names,
  );
  for (const m of listing.models) {
    const decl = declaredModel(m.name)!;
    assert.equal(m.notTrainable === null, !['tvlif2hh', 'slif2hh'].includes(m.name), m.name);
    assert.equal(m.time, decl.time);
    assert.deepEqual(
      m.states!.map((s) => s.name),
      [...decl.states],
    );
    assert.deepEqual(Object.fromEntries(m.params!.map((p) => [p.name, p.value])), { ...decl.defaults });
    assert.equal(m.spike, decl.declaration.spike);
  }
  const adex = listing.models.find((m) => m.name === 'adex')!;
  assert.deepEqual(adex.reset, { v: 'Vr', w: 'w + b' });
  assert.equal(adex.params!.find((p) => p.name === 'C')!.unit, 'pF');

  // One model in full: its equations too.
  assert.match(one.stdout, /^adex — /);
  assert.match(one.stdout, /equations +dv\/dt = \(-gL\*\(v - EL\) \+ gL\*DeltaT\*exp/);
  assert.match(one.stdout, /b = 80\.5 pA — spike-triggered adaptation/);
  // simulate lists the declared models among its choices and documents --param.
  for (const name of names) assert.ok(help.stdout.includes(name), name);
  assert.match(help.stdout, /--param <name=value,...>/);
});

test('simulate --param: the fast-spiking Izhikevich neuron (the issue’s acceptance command)', async () => {
  const dir = outDir('izh-fs');
  const r = await cli(
    [
      'simulate --model izhikevich --param a=0.1,b=0.2,c=-65,d=2 --stimulus constant --amplitude 10',
      '--duration 1000 --dt 0.01 --integrator rk4 --quiet --out',
    ]
      .join(' ')
      .split(' ')
      .concat(dir),
  );
  assertOk(r);
  const json = readJson<{ params: Record<string, number>; spikeTimes: number[][]; integrator: string }>(
    join(dir, 'simulation.json'),
  );
  assert.deepEqual(json.params, { a: 0.1, b: 0.2, c: -65, d: 2, v0: -65, integrator: 'rk4' });
  // The same run in process: the CLI passed the parameters through unchanged.
  const pop = createPopulation('izhikevich', 1, {
    integrator: 'rk4',
    params: { a: 0.1, b: 0.2, c: -65, d: 2 },
  });
  const expected = simulate(pop, constant({ amplitude: 10 }), { duration: 1000, dt: 0.01, record: false });
  assert.deepEqual(json.spikeTimes, expected.spikeTimes);
  // Fast spiking: ~136 Hz with a steady ISI of ~7.35 ms (regular spiking would be ~22 Hz).
  const spikes = json.spikeTimes[0];
  assert.ok(spikes.length > 120, `${spikes.length} spikes in 1 s`);
  const late = spikes.filter((t) => t > 500);
  const isi = (late[late.length - 1] - late[0]) / (late.length - 1);
  assert.ok(Math.abs(isi - 7.35) < 0.05, `steady ISI ${isi} ms`);
});

test('--param on hand-built HH and on fi-curve; parameters reach the results', async () => {
  const [hhDir, fiDir] = [outDir('hh-param'), outDir('fi-param')];
  const [hh, fi] = await Promise.all([
    cli([
      'simulate',
      '--model',
      'hh',
      '--param',
      'gNa=0',
      '--param',
      'EL=5',
      '--duration',
      '30',
      '--quiet',
      '--out',
      hhDir,
    ]),
    cli([
      'fi-curve',
      '--model',
      'izhikevich',
      '--param',
      'a=0.1,d=2',
      '--currents',
      '0,10',
      '--duration',
      '300',
      '--integrator',
      'rk4',
      '--quiet',
      '--out',
      fiDir,
    ]),
  ]);
  assertOk(hh);
  const sim = readJson<{ params: Record<string, number>; spikeTimes: number[][] }>(
    join(hhDir, 'simulation.json'),
  );
  assert.equal(sim.params.gNa, 0);
  assert.equal(sim.params.EL, 5);
  assert.equal(sim.params.gK, 36, 'the other parameters keep their defaults');
  assert.equal(sim.spikeTimes[0].length, 0, 'no sodium current, no spikes');
  assertOk(fi);
  const curve = readJson<{ config: { params: Record<string, number> }; points: { rateHz: number }[] }>(
    join(fiDir, 'fi.json'),
  );
  assert.deepEqual(curve.config.params, { a: 0.1, d: 2 });
  assert.equal(curve.points[0].rateHz, 0);
  assert.ok(Math.abs(curve.points[1].rateHz - 136) < 2, `FS rate ${curve.points[1].rateHz} Hz`);
});

test('bad --param values and unknown names give one-line errors', async () => {
  const o = outDir('rejected');
  const izh = describeParams(declaredModel('izhikevich')!).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const cases: { args: string[]; message: RegExp }[] = [
    {
      args: ['simulate', '--model', 'izhikevich', '--param', 'a=0.1,e=3'],
      message: new RegExp(`model izhikevich has no parameter "e"; its parameters: ${izh}`),
    },
    {
      args: ['simulate', '--model', 'izhikevich', '--param', 'a=fast'],
      message: new RegExp(`--param a=fast: "fast" is not a finite number; parameters of izhikevich: ${izh}`),
    },
    { args: ['simulate', '--model', 'adex', '--param', 'C'], message: /--param "C": expected NAME=VALUE/ },
    { args: ['simulate', '--model', 'lif', '--param', 'tRef=1,tRef=2'], message: /tRef is given twice/ },
    {
      args: ['fi-curve', '--model', 'hh', '--param', 'gna=100'],
      message: /hh has no parameter "gna"; .*gNa = 120/,
    },
    {
      args: ['simulate', '--model', 'lif-step', '--dt', '0.1'],
      message: /discrete time with a step of 1 ms; use --dt 1/,
    },
  ];
  const results = await Promise.all(cases.map((c) => cli([...c.args, '--duration', '5', '--out', o])));
  cases.forEach((c, i) => assertUserError(results[i], c.message));
  assert.equal(existsSync(o), false, 'nothing is written for rejected options');
});

test('divergence advice for declared models: no --dt cures a model that runs away', async () => {
  const [cont, disc] = await Promise.all([
    // dv/dt = (I − gL(v − EL))/C with gL < 0 grows exponentially at every dt.
    cli([
      'simulate',
      '--model',
      'leaky-integrator',
      '--param',
      'gL=-1',
      '--duration',
      '30',
      '--quiet',
      '--out',
      outDir('li'),
    ]),
    // v ← 2v + I with I < 0 runs away; a discrete model has no other step to try.
    cli([
      'simulate',
      '--model',
      'lif-step',
      '--param',
      'decay=2',
      '--amplitude',
      '-1',
      '--duration',
      '50',
      '--quiet',
      '--out',
      outDir('ls'),
    ]),
  ]);
  assertUserError(cont, /diverged .* every smaller step tried down to .* the model runs away/);
  assertUserError(disc, /lif-step diverged .* discrete time with a step of 1 ms, so no smaller --dt helps/);
});

test('units are listed apart by `hhnet models`, and simulating one by name says why it cannot run', async () => {
  const o = outDir('unit');
  const [text, json, one, sim] = await Promise.all([
    cli(['models']),
    cli(['models', '--json']),
    cli(['models', 'slif2hh-unit']),
    cli(['simulate', '--model', 'slif2hh-unit', '--duration', '5', '--out', o]),
  ]);
  for (const r of [text, json, one]) assertOk(r);
  const [models, units] = text.stdout.split(
    /\nUnits \(several inputs or spike rules; trainable layers only\):\n/,
  );
  assert.ok(units, text.stdout);
  assert.doesNotMatch(models, /slif2hh-unit/);
  assert.match(
    units,
    /^\nslif2hh-unit — .*\n +time +discrete; a unit: trainable layers only \(neuronSpikes; input 3 blocks, output 4 spike trains\)\n/,
  );
  assert.match(units, /states +m1, m2, m3, m4; inputs I1, I2, I3/);
  assert.match(
    units,
    /spikes +m1 > theta, then m1 ← 0\n +m2 > theta, then m2 ← 0\n +m3 > theta, then m3 ← 0\n +m4 > theta, then m4 ← 0\n/,
  );
  const listing = JSON.parse(json.stdout) as {
    models: { name: string; unit: boolean }[];
    units: {
      name: string;
      unit: boolean;
      inputs: string[];
      spikes: { spike: string; reset: object | null }[];
    }[];
  };
  assert.ok(listing.models.every((m) => !m.unit));
  assert.deepEqual(
    listing.units.map((u) => [u.name, u.unit, u.inputs, u.spikes.length]),
    [['slif2hh-unit', true, ['I1', 'I2', 'I3'], 4]],
  );
  assert.deepEqual(listing.units[0].spikes[3], { spike: 'm4 > theta', reset: { m4: '0' } });
  assert.match(one.stdout, /equations +m1 ← h1\n(.*\n)* +m4 ← decay\*m4 \+ abs\(w1\)\*h1/);
  assert.match(one.stdout, /w1 = 1 — .* \(learnable\)/);

  assert.notEqual(sim.code, 0, show(sim));
  assert.match(
    sim.stderr,
    /model slif2hh-unit is a unit \(3 inputs, 4 spike rules\): it runs in trainable layers only/,
  );
  assert.match(sim.stderr, /`hhnet models slif2hh-unit` describes the unit/);
  assert.equal(existsSync(o), false, 'nothing is written');
  assert.throws(() => createPopulation('slif2hh-unit', 1), /slif2hh-unit is a unit .*trainable layers only/);
});

test('registerNeuron keeps a run-time unit out of the simulation catalog', () => {
  // The built-in s-LIF2HH unit under another name.
  const unit = declareNeuron({ ...slif2hhUnitDeclared.declaration, name: 'test-pair-unit' });
  registerNeuron(unit);
  assert.equal(declaredUnit('test-pair-unit'), unit);
  assert.equal(declaredModel('test-pair-unit'), undefined);
  assert.ok(!declaredModels().includes(unit));
  assert.throws(() => registerNeuron(unit), /a neuron model named "test-pair-unit" is already registered/);
});
