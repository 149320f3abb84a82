// End-to-end tests of the `hhnet` command line: spawn the built CLI in temporary directories and
// check exit codes, messages and the files each command writes. Independent runs are started
// together so the whole file stays fast on two cores.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_NAMES, createPopulation } from '../src/sim/registry.js';
import { simulate } from '../src/sim/simulate.js';
import { STIMULUS_KINDS, parseStimulusOptions } from '../src/sim/stimulus.js';
import { runCli } from './helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-cli-test-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh path under the test's temporary root (not created). */
const outDir = (name: string): string => join(ROOT, `${name}-${++dirCount}`);

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

const cli = (args: string[]): Promise<RunResult> => runCli(args, { cwd: ROOT });

const show = (r: RunResult): string => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

function assertOk(r: RunResult): void {
  assert.equal(r.code, 0, show(r));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

/** A clean failure: non-zero exit, the expected message on stderr, nothing on stdout, no stack trace. */
function assertCleanError(r: RunResult, message: RegExp): void {
  assert.notEqual(r.code, 0, show(r));
  assert.match(r.stderr, message, show(r));
  assert.match(r.stderr, /error/i, show(r));
  assert.doesNotMatch(r.stderr, /\n\s+at /, `stack trace in stderr:\n${r.stderr}`);
  assert.equal(r.stdout, '', show(r));
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

interface SimulationJson {
  model: string;
  integrator: string | null;
  neurons: number;
  duration: number;
  dt: number;
  steps: number;
  spikeTimes: number[][];
  traces: { t: number[]; recordedNeurons: number[]; v: number[][] };
}

function assertSimulationOutputs(dir: string, neurons: number): SimulationJson {
  const json = readJson<SimulationJson>(join(dir, 'simulation.json'));
  assert.equal(json.neurons, neurons);
  assert.equal(json.spikeTimes.length, neurons);
  for (const train of json.spikeTimes) {
    for (const t of train) assert.ok(Number.isFinite(t) && t >= 0 && t <= json.duration, `spike time ${t}`);
    for (let i = 1; i < train.length; i++) assert.ok(train[i] > train[i - 1], 'spike times increase');
  }
  assert.ok(json.traces.t.length > 0, 'traces recorded');
  const svg = readFileSync(join(dir, 'simulation.svg'), 'utf8');
  assert.ok(svg.startsWith('<svg'), `simulation.svg starts with ${svg.slice(0, 40)}`);
  assert.match(svg, /<\/svg>\s*$/);
  return json;
}

// ---------------------------------------------------------------------------------------------
// Help and version

const HELP: Record<string, string[]> = {
  '': ['simulate', 'fi-curve', 'equivalence', 'bench', 'reproduce', '--version', '--help'],
  simulate: [
    '--model',
    '--stimulus',
    '--neurons',
    '--duration',
    '--dt',
    '--integrator',
    '--record-interval',
    '--amplitude',
    '--offset',
    '--period',
    '--phase',
    '--duty',
    '--onset',
    '--mean',
    '--sigma',
    '--tau',
    '--rate',
    '--inputs',
    '--weight',
    '--tau-syn',
    '--seed',
    '--out',
    '--backend',
    '--quiet',
  ],
  'fi-curve': ['--model', '--currents', '--duration', '--dt', '--integrator', '--out', '--quiet'],
  equivalence: ['--dt', '--duration', '--integrator', '--seed', '--skip-networks', '--out', '--quiet'],
  bench: ['sim'],
  'bench sim': [
    '--model',
    '--neurons',
    '--duration',
    '--dt',
    '--integrator',
    '--current',
    '--repeats',
    '--backend',
    '--json',
  ],
  reproduce: ['--quick', '--full', '--smoke', '--out', '--only', '--quiet'],
};

test('--help of the program and of every command exits 0 and lists the options', async () => {
  const entries = Object.entries(HELP);
  const results = await Promise.all(
    entries.map(([command]) => cli([...command.split(' ').filter(Boolean), '--help'])),
  );
  entries.forEach(([command, words], i) => {
    const r = results[i];
    assertOk(r);
    assert.match(r.stdout, /Usage: hhnet/, `help of "${command}"`);
    for (const word of words) assert.ok(r.stdout.includes(word), `help of "${command}" mentions ${word}`);
  });
  // the model and stimulus choices are listed where they are accepted
  const simulateHelp = results[entries.findIndex(([c]) => c === 'simulate')].stdout;
  for (const name of [...MODEL_NAMES, ...STIMULUS_KINDS]) assert.ok(simulateHelp.includes(name), name);
});

test('--version prints the package version', async () => {
  const pkg = readJson<{ version: string }>(fileURLToPath(new URL('../../package.json', import.meta.url)));
  const r = await cli(['--version']);
  assertOk(r);
  assert.equal(r.stdout.trim(), pkg.version);
});

// ---------------------------------------------------------------------------------------------
// simulate

test('simulate hh at 10 µA/cm² writes simulation.json/svg with the library’s spike times', async () => {
  const dir = outDir('sim-hh');
  const args = ['--model', 'hh', '--stimulus', 'constant', '--amplitude', '10', '--duration', '50'];
  const r = await cli(['simulate', ...args, '--dt', '0.01', '--out', dir, '--quiet']);
  assertOk(r);
  assert.equal(r.stderr, '', '--quiet prints nothing');
  assert.equal(r.stdout, '');
  const json = assertSimulationOutputs(dir, 1);
  assert.equal(json.model, 'hh');
  assert.equal(json.integrator, 'expeuler');
  assert.equal(json.dt, 0.01);
  assert.equal(json.steps, 5000);
  const count = json.spikeTimes[0].length;
  assert.ok(count >= 3 && count <= 4, `HH at 10 µA/cm² fires 3–4 spikes in 50 ms, got ${count}`);

  // the same run through the library gives the same spike times (the command asks for the
  // backend's fast population: the wasm kernel unless HHNET_BACKEND=js)
  const direct = simulate(
    createPopulation('hh', 1, { integrator: 'expeuler', fast: true }),
    parseStimulusOptions('constant', { amplitude: 10, neurons: 1 }),
    { duration: 50, dt: 0.01, record: false },
  );
  assert.deepEqual(json.spikeTimes, direct.spikeTimes);
});

test('simulate runs every model and the square, poisson and ou stimuli', async () => {
  const runs = [
    {
      name: 'tvlif2hh',
      args: ['--model', 'tvlif2hh', '--stimulus', 'square', '--duration', '30'],
      neurons: 1,
    },
    { name: 'slif2hh', args: ['--model', 'slif2hh', '--duration', '30'], neurons: 1 },
    { name: 'lif', args: ['--model', 'lif', '--amplitude', '20', '--duration', '30'], neurons: 1 },
    {
      name: 'hh-modern',
      args: ['--model', 'hh-modern', '--stimulus', 'poisson', '--neurons', '3', '--duration', '30'],
      neurons: 3,
    },
    { name: 'ou', args: ['--stimulus', 'ou', '--duration', '30'], neurons: 1 },
    { name: 'tvlif', args: ['--model', 'tvlif', '--stimulus', 'sine', '--duration', '30'], neurons: 1 },
  ].map((run) => ({ ...run, dir: outDir(`sim-${run.name}`) }));
  const results = await Promise.all(runs.map((run) => cli(['simulate', ...run.args, '--out', run.dir])));
  runs.forEach((run, i) => {
    const r = results[i];
    assertOk(r);
    assert.match(r.stderr, /spikes from \d+ neuron\(s\); wrote /, `${run.name}: summary on stderr`);
    const json = assertSimulationOutputs(run.dir, run.neurons);
    if (run.name === 'slif2hh') {
      assert.equal(json.dt, 1, 'slif2hh defaults to dt = 1 ms');
      assert.equal(json.integrator, null);
      assert.equal(json.steps, 30);
    } else {
      assert.equal(json.dt, 0.01, `${run.name}: default dt`);
    }
  });
  const lif = readJson<SimulationJson>(join(runs[2].dir, 'simulation.json'));
  assert.ok(lif.spikeTimes[0].length > 0, 'LIF at 20 fires');
});

// ---------------------------------------------------------------------------------------------
// Bad input

test('bad input fails with a clear one-line message and no stack trace', async () => {
  const file = join(ROOT, 'regular-file');
  writeFileSync(file, 'not a directory\n');
  const o = outDir('bad');
  const cases: { args: string[]; message: RegExp }[] = [
    {
      args: ['simulate', '--model', 'nosuch', '--out', o],
      message: new RegExp(`nosuch.*${MODEL_NAMES.join(', ')}`),
    },
    { args: ['simulate', '--stimulus', 'nosuch', '--out', o], message: /nosuch.*constant, step, sine/ },
    { args: ['simulate', '--dt', '0', '--out', o], message: /--dt.*'0'.*positive number/ },
    { args: ['simulate', '--dt', '-1', '--out', o], message: /--dt.*'-1'.*positive number/ },
    { args: ['simulate', '--dt', 'abc', '--out', o], message: /--dt.*'abc'.*positive number/ },
    { args: ['simulate', '--duration', 'NaN', '--out', o], message: /--duration.*'NaN'.*positive number/ },
    { args: ['simulate', '--integrator', 'foo', '--out', o], message: /--integrator.*euler, rk4, expeuler/ },
    { args: ['simulate', '--neurons', '2.5', '--out', o], message: /--neurons.*positive integer/ },
    { args: ['fi-curve', '--currents', '1,x,3', '--out', o], message: /--currents.*"x" is not a number/ },
    { args: ['fi-curve', '--model', 'nosuch', '--out', o], message: /nosuch.*expected one of hh/ },
    { args: ['bench', 'sim', '--neurons', '0'], message: /--neurons.*positive integer/ },
    { args: ['equivalence', '--dt', '-0.1', '--out', o], message: /--dt.*positive number/ },
    {
      args: ['simulate', '--stimulus', 'step', '--onset', '10', '--offset', '5', '--out', o],
      message: /--offset must not be earlier than --onset/,
    },
    {
      args: ['simulate', '--duration', '0.001', '--out', outDir('short')],
      message: /duration 0.001 ms is shorter than one step/,
    },
    { args: ['simulate', '--nosuch-flag'], message: /unknown option '--nosuch-flag'/ },
    { args: ['nosuch-command'], message: /unknown command 'nosuch-command'/ },
    {
      args: ['simulate', '--duration', '5', '--out', join(file, 'sub')],
      message: /cannot write to --out .*regular-file[/\\]sub/,
    },
    {
      args: ['fi-curve', '--duration', '5', '--out', join(file, 'sub')],
      message: /cannot write to --out .*regular-file[/\\]sub/,
    },
  ];
  const results = await Promise.all(cases.map((c) => cli(c.args)));
  cases.forEach((c, i) => assertCleanError(results[i], c.message));
  assert.equal(existsSync(o), false, 'no output directory is created for rejected options');
});

test('a too-large dt reports divergence and suggests a --dt that then runs', async () => {
  const args = ['--model', 'hh', '--integrator', 'euler', '--stimulus', 'constant', '--amplitude', '10'];
  const r = await cli(['simulate', ...args, '--duration', '50', '--dt', '0.5', '--out', outDir('diverge')]);
  assertCleanError(r, /diverged/);
  assert.equal(r.code, 2);
  const suggestion = /try --dt (\d+(?:\.\d+)?)/.exec(r.stderr);
  assert.ok(suggestion, `a specific --dt is suggested: ${r.stderr}`);
  const dt = Number(suggestion[1]);
  assert.ok(dt > 0 && dt < 0.5, `suggested dt ${dt} is smaller than 0.5`);

  const dir = outDir('diverge-fixed');
  const ok = await cli([
    'simulate',
    ...args,
    '--duration',
    '50',
    '--dt',
    String(dt),
    '--out',
    dir,
    '--quiet',
  ]);
  assertOk(ok);
  const json = assertSimulationOutputs(dir, 1);
  assert.equal(json.dt, dt);
  assert.ok(json.spikeTimes[0].length >= 3, 'the suggested dt still gives the HH spikes');
});

// ---------------------------------------------------------------------------------------------
// fi-curve, bench, equivalence

test('fi-curve writes fi.json and fi.svg; rate 0 at 0 and about 68 Hz at 10 µA/cm²', async () => {
  const dir = outDir('fi');
  const r = await cli(['fi-curve', '--currents', '0,10', '--duration', '200', '--dt', '0.02', '--out', dir]);
  assertOk(r);
  assert.match(r.stderr, /I = 10 µA\/cm²: \d+\.\d\d Hz/);
  const json = readJson<{
    config: { currents: number[]; dt: number };
    points: { current: number; rateHz: number; spikeCount: number; firstSpikeMs: number | null }[];
  }>(join(dir, 'fi.json'));
  assert.deepEqual(json.config.currents, [0, 10]);
  assert.equal(json.points.length, 2);
  for (const p of json.points)
    assert.deepEqual(Object.keys(p).sort(), ['current', 'firstSpikeMs', 'rateHz', 'spikeCount']);
  const [zero, ten] = json.points;
  assert.equal(zero.current, 0);
  assert.equal(zero.rateHz, 0);
  assert.equal(zero.spikeCount, 0);
  assert.equal(zero.firstSpikeMs, null);
  assert.equal(ten.current, 10);
  assert.ok(Math.abs(ten.rateHz - 68) <= 0.03 * 68, `rate at 10 µA/cm² ${ten.rateHz} Hz ≈ 68 Hz`);
  assert.ok(ten.spikeCount >= 12 && ten.spikeCount <= 15, `spike count ${ten.spikeCount}`);
  assert.ok(ten.firstSpikeMs !== null && ten.firstSpikeMs > 0 && ten.firstSpikeMs < 5);
  assert.ok(readFileSync(join(dir, 'fi.svg'), 'utf8').startsWith('<svg'));
});

test('bench sim --json prints one JSON line with a positive neuronStepsPerSec', async () => {
  const r = await cli(['bench', 'sim', '--neurons', '200', '--duration', '5', '--dt', '0.01', '--json']);
  assertOk(r);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one line: ${r.stdout}`);
  const json = JSON.parse(lines[0]) as Record<string, unknown>;
  assert.equal(typeof json.neuronStepsPerSec, 'number');
  const rate = json.neuronStepsPerSec as number;
  assert.ok(Number.isFinite(rate) && rate > 0, `neuronStepsPerSec ${rate}`);
  assert.equal(json.neurons, 200);
  assert.equal(json.steps, 500);
  assert.equal(json.model, 'hh');
  assert.equal(json.backend, process.env.HHNET_BACKEND === 'js' ? 'js' : 'wasm');
});

test('bench sim --backend js runs the plain-TypeScript reference population', async () => {
  const r = await cli(['bench', 'sim', '--neurons', '20', '--duration', '2', '--backend', 'js', '--json']);
  assertOk(r);
  const json = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(json.backend, 'js');
  assert.equal(json.steps, 200);
});

test('bench gemm --json times each product and checks it; a malformed shape is a clear error', async () => {
  const r = await cli(['bench', 'gemm', '--shapes', '40x24x33:NT,9x70x5:TN', '--repeats', '3', '--json']);
  assertOk(r);
  const json = JSON.parse(r.stdout) as {
    rows: { label: string; ms: number; gflops: number; samplesMs: number[] }[];
  };
  assert.deepEqual(
    json.rows.map((row) => row.label),
    ['40x24x33:NT', '9x70x5:TN'],
  );
  for (const row of json.rows) {
    assert.equal(row.samplesMs.length, 3);
    assert.ok(row.ms > 0 && Number.isFinite(row.gflops) && row.gflops > 0, JSON.stringify(row));
  }
  const bad = await cli(['bench', 'gemm', '--shapes', '40x24']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--shapes: GEMM shape "40x24": expected MxNxK/);
});

test('equivalence --skip-networks writes 10 entries; tv-LIF2HH matches HH spike for spike', async () => {
  const dir = outDir('equivalence');
  const r = await cli(['equivalence', '--duration', '20', '--skip-networks', '--out', dir, '--quiet']);
  assertOk(r);
  const json = readJson<{
    entries: Record<string, unknown>[];
    networks: unknown[];
  }>(join(dir, 'equivalence.json'));
  assert.equal(json.entries.length, 10);
  assert.deepEqual(json.networks, [], '--skip-networks runs no network');
  const stimuli = ['constant', 'sine', 'square', 'sawtooth', 'triangle'];
  const pairs = json.entries.map((e) => `${String(e.stimulus)}/${String(e.model)}`).sort();
  assert.deepEqual(pairs, stimuli.flatMap((s) => [`${s}/slif2hh`, `${s}/tvlif2hh`]).sort());
  for (const e of json.entries) {
    for (const field of [
      'stimulus',
      'model',
      'spikeCount',
      'referenceSpikeCount',
      'spikeTimeErrorOverISI',
      'coincidence',
      'vRmse',
    ])
      assert.ok(field in e, `${String(e.model)}/${String(e.stimulus)} has ${field}`);
    assert.ok(Number.isInteger(e.spikeCount) && Number.isInteger(e.referenceSpikeCount));
    assert.equal(typeof e.coincidence, 'number');
    if (e.model === 'slif2hh') {
      assert.equal(e.vRmse, null, 'no voltage comparison for s-LIF2HH');
    } else {
      assert.equal(e.spikeCount, e.referenceSpikeCount, `tvlif2hh ${String(e.stimulus)} spike count`);
      assert.ok((e.referenceSpikeCount as number) > 0, 'HH fires within 20 ms');
      assert.equal(typeof e.vRmse, 'number');
      assert.ok((e.vRmse as number) < 1e-6, `tvlif2hh ${String(e.stimulus)} V RMSE ${String(e.vRmse)}`);
    }
  }
  const svgs = readdirSync(dir).filter((f) => f.endsWith('.svg'));
  assert.equal(svgs.length, 5, `one figure per waveform: ${svgs.join(', ')}`);
});

// reproduce runs end to end in test/reproduce.test.ts (smoke scale)

test('reproduce rejects --quick together with --full', async () => {
  const dir = outDir('reproduce-both');
  const r = await cli(['reproduce', '--quick', '--full', '--out', dir]);
  assertCleanError(r, /--quick.*--full/);
  assert.equal(existsSync(dir), false, 'nothing is written');
});

test('reproduce --only refuses a part that does not exist, listing the parts', async () => {
  const dir = outDir('reproduce-only');
  const r = await cli(['reproduce', '--smoke', '--only', 'nope', '--out', dir]);
  assertCleanError(r, /no part "nope" \(parts: rest, .*beyond, ablation\)/);
  assert.equal(existsSync(dir), false, 'nothing is written');
});
