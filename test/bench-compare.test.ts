// The bookkeeping of `npm run bench:compare` (src/experiments/bench-compare.ts): statistics,
// tables, missing tools and failed runs, with a fake process runner (no Python, no timing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { close } from './helpers.js';
import { axonVelocity } from '../src/cable/velocity.js';
import {
  CompareOptions,
  ProcResult,
  ProcRunner,
  CABLE_VELOCITY_TOLERANCE,
  DEFAULT_PYTHON,
  cpuModelFromCpuinfo,
  defaultCompareOptions,
  failureMessage,
  formatRatio,
  formatReport,
  formatSummary,
  lastJsonLine,
  markdownTable,
  median,
  parsePythonProbe,
  runCompare,
  speedup,
  summarize,
  toolStatuses,
} from '../src/experiments/bench-compare.js';

test('median, summarize and speed-up ratios', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(summarize([]), { median: null, min: null, max: null, samples: [] });
  assert.deepEqual(summarize([5, 1, 3]), { median: 3, min: 1, max: 5, samples: [5, 1, 3] });
  // Durations: other / hhnet; throughputs: hhnet / other. > 1 means hhnet is faster.
  assert.equal(speedup(20, 60, 'time'), 3);
  assert.equal(speedup(8e6, 16e6, 'rate'), 0.5);
  assert.equal(speedup(null, 60, 'time'), null);
  assert.equal(speedup(20, null, 'rate'), null);
  assert.equal(speedup(0, 60, 'time'), null);
  assert.equal(formatRatio(null), '—');
  assert.equal(formatRatio(0.456), '0.46×');
  assert.equal(formatRatio(12.34), '12.3×');
  assert.equal(formatRatio(330), '330×');
  assert.equal(formatSummary(summarize([21, 23.14, 25.3]), 'ms'), '23.1 ms (21.0–25.3)');
  assert.equal(formatSummary(summarize([7.2e6]), '', 1e-6, 2), '7.20');
  assert.equal(formatSummary(summarize([]), 'ms', 1, 1, 'failed'), 'failed');
});

test('markdownTable pads columns to the widest cell', () => {
  const t = markdownTable(
    ['a', 'long header'],
    [
      ['xxxxx', '1'],
      ['y', '22'],
    ],
  );
  assert.equal(
    t,
    [
      '| a     | long header |',
      '| ----- | ----------- |',
      '| xxxxx | 1           |',
      '| y     | 22          |',
    ].join('\n'),
  );
});

test('lastJsonLine skips warnings and non-JSON lines', () => {
  assert.deepEqual(lastJsonLine('warning: x\n{"a":1}\n{"b":2}\nbye\n'), { b: 2 });
  assert.deepEqual(lastJsonLine('{"a":1}\n{not json\n'), { a: 1 });
  assert.equal(lastJsonLine('[1,2]\nnothing'), null);
  assert.equal(lastJsonLine(''), null);
});

test('cpuModelFromCpuinfo reads the model name', () => {
  const text =
    'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 85\nmodel name\t: Intel(R) Xeon(R) Processor\n';
  assert.equal(cpuModelFromCpuinfo(text), 'Intel(R) Xeon(R) Processor');
  assert.equal(cpuModelFromCpuinfo('Model\t: Raspberry Pi 4\n'), 'Raspberry Pi 4');
  assert.equal(cpuModelFromCpuinfo('nothing here'), null);
});

test('missing tools: not installed with the apt-get hint, never a crash', () => {
  const probe = parsePythonProbe(
    '{"python": "3.11.2", "executable": "/usr/bin/python3", "modules": {"torch": null, "brian2": "2.5.1"}, ' +
      '"errors": {"torch": "ModuleNotFoundError: No module named \'torch\'"}}\n',
  );
  assert.ok(probe);
  const s = toolStatuses(probe, '/usr/bin/python3', null);
  assert.equal(s.torch.available, false);
  assert.equal(s.torch.reason, 'not installed — apt-get install python3-torch');
  assert.match(s.torch.detail ?? '', /No module named/);
  assert.deepEqual(s.brian2, { available: true, version: '2.5.1', reason: null, detail: null });
  const none = toolStatuses(null, '/nope/python', 'spawn /nope/python ENOENT');
  assert.equal(none.torch.available, false);
  assert.match(none.torch.reason ?? '', /^not installed — apt-get install python3-torch .*\/nope\/python/);
  assert.match(none.brian2.reason ?? '', /^not installed — apt-get install python3-brian/);
  assert.equal(parsePythonProbe('Traceback ...'), null);
});

test('failureMessage names the exit code and the last stderr lines, not the warnings', () => {
  const r: ProcResult = {
    code: 1,
    stdout: '',
    stderr: 'FutureWarning: np.bool\n  if not hasattr(numpy, method):\nTraceback\nRuntimeError: boom\n',
    error: null,
    seconds: 1,
  };
  assert.equal(
    failureMessage(r, 'Brian2 cython'),
    'Brian2 cython: exit code 1: Traceback / RuntimeError: boom',
  );
  assert.equal(failureMessage({ ...r, code: null, error: 'spawn x ENOENT' }, 'x'), 'x: spawn x ENOENT');
  assert.match(failureMessage({ ...r, code: 0, stderr: '' }, 'x'), /no JSON result/);
});

// ---------------------------------------------------------------------------------------------
// runCompare with a fake runner

const PY = '/fake/python3';

function options(over: Partial<CompareOptions> = {}): CompareOptions {
  return {
    ...defaultCompareOptions(true, {}),
    python: PY,
    workDir: join(tmpdir(), 'hhnet-bench-compare-test'),
    ...over,
  };
}

const ok = (stdout: string): ProcResult => ({ code: 0, stdout, stderr: '', error: null, seconds: 0.1 });

interface Fake {
  run: ProcRunner;
  calls: string[];
}

/** A runner answering like the real tools; `have` says which Python modules exist. */
function fakeRunner(
  have: { python: boolean; torch: boolean; brian2: boolean },
  failCython = false,
  brianVelocity = 18.6,
): Fake {
  const calls: string[] = [];
  let round = 0;
  const run: ProcRunner = async (command, args) => {
    const a = [...args];
    if (command === PY && a[0] === '-c') {
      calls.push('probe');
      if (!have.python)
        return { code: null, stdout: '', stderr: '', error: `spawn ${PY} ENOENT`, seconds: 0 };
      return ok(
        JSON.stringify({
          python: '3.11.2',
          executable: PY,
          modules: { torch: have.torch ? '1.13.1' : null, brian2: have.brian2 ? '2.5.1' : null },
          errors: {},
        }),
      );
    }
    if (command === process.execPath && a.includes('train')) {
      round++;
      calls.push(`hhnet train${a.includes('--json') ? '' : ' (no --json!)'}`);
      const models = a[a.indexOf('--models') + 1].split(',');
      return ok(
        JSON.stringify({
          results: models.map((model, i) => ({ model, msPerStep: 10 * (i + 1) + round, backend: 'wasm' })),
        }),
      );
    }
    if (command === process.execPath && a.includes('gemm')) {
      calls.push(`hhnet gemm ${a[a.indexOf('--shapes') + 1]}`);
      const labels = a[a.indexOf('--shapes') + 1].split(',');
      return ok(JSON.stringify({ rows: labels.map((label, i) => ({ label, ms: 2 + i + round / 10 })) }));
    }
    if (command === PY && a[0].endsWith('torch_gemm.py')) {
      calls.push(`torch gemm ${a[a.indexOf('--threads') + 1]}`);
      const labels = a[a.indexOf('--shapes') + 1].split(',');
      return ok(JSON.stringify({ threads: 2, rows: labels.map((label) => ({ label, ms: 1 })) }));
    }
    if (command === process.execPath && a.includes('population')) {
      const exact = a.includes('--exact-rates');
      calls.push(`hhnet population ${a[a.indexOf('--cells') + 1]}${exact ? ' --exact-rates' : ''}`);
      return ok(JSON.stringify({ seconds: (exact ? 0.5 : 0.2) + calls.length / 1000, spikesPerCell: 10 }));
    }
    if (command === PY && a[0].endsWith('brian_cable.py') && a[1] === 'population') {
      calls.push(
        `brian population ${a[a.indexOf('--cells') + 1]} ${a[a.indexOf('--build-dir') + 1].split('/').pop()}`,
      );
      return ok(JSON.stringify({ seconds: 2, spikesPerCell: 10 }));
    }
    if (command === process.execPath && a.includes('cable')) {
      const wasm = a.includes('--engine');
      calls.push(
        `hhnet cable ${a[a.indexOf('--compartments') + 1]} ${a[a.indexOf('--dt') + 1]}${wasm ? ' wasm' : ''}`,
      );
      return ok(
        JSON.stringify({
          velocityMps: wasm ? 18.69 : 18.7,
          compartments: 1000,
          seconds: (wasm ? 0.05 : 2) + calls.length / 100,
        }),
      );
    }
    if (command === PY && a[0].endsWith('brian_cable.py')) {
      calls.push(`brian cable ${a[1]} ${a[a.indexOf('--target') + 1]} ${a[a.indexOf('--compartments') + 1]}`);
      return ok(JSON.stringify({ velocityMps: brianVelocity, seconds: 0.25, wallSeconds: 3 }));
    }
    if (command === process.execPath && a.includes('network')) {
      const exact = a.includes('--exact-rates');
      calls.push(exact ? 'hhnet network --exact-rates' : 'hhnet network');
      const seed = Number(a[a.indexOf('--seed') + 1]);
      return ok(
        JSON.stringify({
          wallSeconds: 0.5 + seed / 10 + (exact ? 0.5 : 0),
          simulateSeconds: 0.4 + seed / 10 + (exact ? 0.5 : 0),
          meanRateHz: 35,
          cvIsi: 1.9,
          synapses: 320000,
        }),
      );
    }
    if (command === PY && a[0].endsWith('brian_cobahh.py')) {
      calls.push(`brian cobahh ${a[a.indexOf('--seed') + 1]}`);
      return ok(JSON.stringify({ wallSeconds: 10, seconds: 8, meanRateHz: 36, cvIsi: 2, synapses: 319751 }));
    }
    if (command === process.execPath && a.includes('sim')) {
      const tables = a.includes('--rate-table');
      calls.push(`hhnet sim${tables ? ' --rate-table' : ''}`);
      return ok(JSON.stringify({ neuronStepsPerSec: (tables ? 40e6 : 20e6) + round * 1e6, spikes: 70000 }));
    }
    if (command === PY && a[0].endsWith('torch_train.py')) {
      calls.push(`torch${a.includes('--no-check') ? ' --no-check' : ''}`);
      const models = a[a.indexOf('--models') + 1].split(',');
      return ok(
        'some log line\n' +
          JSON.stringify({
            threads: 2,
            results: models.flatMap((model, i) => [
              { model, formulation: 'reference', msPerStep: 300 * (i + 1) },
              { model, formulation: 'once', msPerStep: 60 * (i + 1) },
            ]),
            checks: a.includes('--no-check') ? [] : [{ model: models[0], lossReference: 4.6, lossOnce: 4.6 }],
          }),
      );
    }
    if (command === PY && a[0].endsWith('brian_hh.py')) {
      const target = a[a.indexOf('--target') + 1];
      calls.push(`brian ${target}`);
      if (failCython && target === 'cython')
        return { code: 1, stdout: '', stderr: 'CompileError: no compiler\n', error: null, seconds: 1 };
      const rate = { numpy: 4e6, cython: 8e6, cpp_standalone: 16e6 }[target] ?? 1;
      return ok(JSON.stringify({ neuronStepsPerSec: rate, spikes: 69999, binarySeconds: 6.5 }));
    }
    throw new Error(`unexpected command ${command} ${a.join(' ')}`);
  };
  return { run, calls };
}

const deps = (fake: Fake) => ({
  run: fake.run,
  log: () => {},
  hhnetCli: '/x/main.js',
  scriptsDir: '/x/bench/compare',
  cpuinfo: () => 'model name\t: Test CPU\n',
  loadavg: () => 1.5,
  now: () => new Date('2024-01-01T00:00:00Z'),
});

test('runCompare alternates the tools each round and compares medians over rounds', async () => {
  const fake = fakeRunner({ python: true, torch: true, brian2: true });
  const report = await runCompare(options({ rounds: 3 }), deps(fake));
  const gemm = 'hhnet gemm 128x512x1296:NT,512x1296x128:TN';
  const round = [
    'hhnet train',
    'torch',
    gemm,
    `torch gemm ${report.options.torchThreads}`,
    'hhnet sim',
    'hhnet sim --rate-table',
    'brian numpy',
    'brian cython',
    'brian cpp_standalone',
    'hhnet network',
    'hhnet network --exact-rates',
  ];
  assert.deepEqual(fake.calls, [
    'probe',
    ...round,
    'brian cobahh 1',
    'hhnet cable 300 0.01',
    'hhnet cable 300 0.01 wasm',
    'brian cable velocity cpp_standalone 300',
    ...round.map((c) => (c === 'torch' ? 'torch --no-check' : c)),
    'brian cobahh 2',
    'hhnet cable 300 0.01',
    'hhnet cable 300 0.01 wasm',
    'brian cable velocity cpp_standalone 300',
    ...round.map((c) => (c === 'torch' ? 'torch --no-check' : c)),
    'brian cobahh 3',
    'hhnet cable 300 0.01',
    'hhnet cable 300 0.01 wasm',
    'brian cable velocity cpp_standalone 300',
  ]);
  assert.deepEqual(report.errors, []);
  assert.ok(report.train);
  const hh = report.train.rows.find((r) => r.model === 'hh-fc');
  assert.ok(hh);
  assert.deepEqual(hh.hhnet.samples, [11, 12, 13]);
  assert.equal(hh.hhnet.median, 12);
  assert.equal(hh.torchReference.median, 300);
  assert.equal(hh.speedupVsReference, 25);
  assert.equal(hh.speedupVsOnce, 5);
  assert.equal(report.train.torchChecks.length, 1);
  // GEMM: hhnet's products took 2.1, 2.2, 2.3 ms (the first shape) against torch's 1 ms.
  assert.ok(report.gemm);
  const [fwd, dw] = report.gemm.rows;
  assert.equal(fwd.shape, '128x512x1296:NT');
  assert.deepEqual(fwd.hhnet.samples, [2.1, 2.2, 2.3]);
  close(fwd.speedup ?? NaN, 1 / 2.2, 1e-12);
  close(fwd.hhnetGflops ?? NaN, (2 * 128 * 512 * 1296) / 2.2e6, 1e-9);
  close(dw.torchGflops ?? NaN, (2 * 512 * 1296 * 128) / 1e6, 1e-9);
  assert.ok(report.sim);
  const cpp = report.sim.rows.find((r) => r.tool === 'brian2 cpp_standalone');
  assert.ok(cpp);
  assert.equal(cpp.speedup, 22e6 / 16e6);
  assert.equal(cpp.speedupTables, 42e6 / 16e6);
  assert.deepEqual(cpp.binarySeconds, [6.5, 6.5, 6.5]);
  assert.equal(report.sim.neuronSteps, 10000 * 500);
  assert.equal(report.machine.cpu, 'Test CPU');
  assert.equal(report.machine.torch, '1.13.1');
  assert.equal(report.machine.torchThreads, 2);
  assert.ok(report.network);
  const [hhNet, hhExact, brianNet] = report.network.rows;
  assert.deepEqual(hhNet.wallSeconds.samples, [0.6, 0.7, 0.8]);
  close(hhNet.speedupWall ?? NaN, 10 / 0.7, 1e-12);
  close(hhNet.speedupSimulate ?? NaN, 8 / 0.6, 1e-12);
  close(hhExact.speedupWall ?? NaN, 10 / 1.2, 1e-12);
  assert.equal(brianNet.speedupWall, null);
  const text = formatReport(report);
  assert.match(text, /Test CPU/);
  assert.match(
    text,
    /\| hhnet \(rate tables\) +\| 0\.70 \(0\.60–0\.80\) +\| 0\.60 \(0\.50–0\.70\) +\| 35\.00 +\| 1\.900 +\| 320000 +\| 14\.3× \(13\.3×\) +\|/,
  );
  assert.match(text, /\| hhnet \(exact rates\) +\| 1\.20 \(1\.10–1\.30\) .*\| 8\.33× \(7\.27×\) +\|/);
  assert.match(text, /\| Brian2 \(C\+\+ standalone\) +\| 10\.00 .*\| 1× +\|/);
  assert.match(text, /\| hh-fc +\| 12\.0 \(11\.0–13\.0\) +\| 300\.0 +\| 60\.0 +\| 25\.0× +\| 5\.00× +\|/);
  assert.match(
    text,
    /\| 128x512x1296:NT +\| 2\.200 \(2\.100–2\.300\) +\| 77\.2 +\| 1\.000 +\| 169\.9 +\| 0\.45× +\|/,
  );
  // Brian2 C++ runs on as many OpenMP threads as hhnet (two on a 2-core machine) and says so.
  const threads = report.options.brianOpenmpThreads;
  const omp = threads > 0 ? ` \\[${threads} OpenMP threads\\]` : '';
  assert.match(
    text,
    new RegExp(
      `\\| Brian2 \\(C\\+\\+ standalone\\)${omp} +\\| 16\\.00 +\\| 69999 +\\| 2\\.63× \\(1\\.38×\\) +\\|`,
    ),
  );
});

test('runCompare skips missing tools with the install hint and still runs hhnet', async () => {
  const fake = fakeRunner({ python: true, torch: false, brian2: false });
  const report = await runCompare(options({ rounds: 2 }), deps(fake));
  const round = [
    'hhnet train',
    'hhnet gemm 128x512x1296:NT,512x1296x128:TN',
    'hhnet sim',
    'hhnet sim --rate-table',
    'hhnet network',
    'hhnet network --exact-rates',
    'hhnet cable 300 0.01',
    'hhnet cable 300 0.01 wasm',
  ];
  assert.deepEqual(fake.calls, ['probe', ...round, ...round]);
  assert.deepEqual(report.errors, []);
  assert.equal(report.tools.torch?.reason, 'not installed — apt-get install python3-torch');
  const text = formatReport(report);
  assert.match(text, /not installed — apt-get install python3-torch/);
  assert.match(text, /Brian2 \(numpy\) +\| not installed — apt-get install python3-brian/);
  assert.match(
    text,
    /Brian2 \(C\+\+ standalone\).* +\| not installed — apt-get install python3-brian +\| — /,
  );
  assert.ok(report.train?.rows.every((r) => r.speedupVsOnce === null && r.hhnet.samples.length === 2));
  assert.equal(report.cable?.agrees, null);
  assert.match(text, /Velocity agreement \(within 3%\): not measured/);

  const noPython = fakeRunner({ python: false, torch: false, brian2: false });
  const r2 = await runCompare(options({ parts: ['train'] }), deps(noPython));
  assert.deepEqual(noPython.calls, ['probe', 'hhnet train']);
  assert.equal(r2.sim, null);
  assert.match(r2.tools.torch?.reason ?? '', /not installed — apt-get install python3-torch/);
  assert.equal(r2.tools.brian2, null);
});

test('runCompare records a failed run and carries on', async () => {
  const fake = fakeRunner({ python: true, torch: true, brian2: true }, true);
  const report = await runCompare(options({ parts: ['sim'], rounds: 2 }), deps(fake));
  assert.equal(report.train, null);
  assert.deepEqual(
    report.errors.map((e) => [e.round, e.message]),
    [
      [1, 'Brian2 cython: exit code 1: CompileError: no compiler'],
      [2, 'Brian2 cython: exit code 1: CompileError: no compiler'],
    ],
  );
  const cython = report.sim?.rows.find((r) => r.tool === 'brian2 cython');
  assert.equal(cython?.rate.median, null);
  assert.equal(cython?.speedup, null);
  const text = formatReport(report);
  assert.match(text, /Brian2 \(cython\) +\| failed/);
  assert.match(text, /Failed runs:\n- round 1: Brian2 cython: exit code 1/);
});

test('the cable part: HH axon velocities side by side, agreement within 3%, medians over rounds', async () => {
  const fake = fakeRunner({ python: true, torch: false, brian2: true });
  const report = await runCompare(
    options({ parts: ['cable'], rounds: 3, cableCompartments: 1000, cableDt: 0.005 }),
    deps(fake),
  );
  assert.deepEqual(fake.calls, [
    'probe',
    ...Array.from({ length: 3 }, () => [
      'hhnet cable 1000 0.005',
      'hhnet cable 1000 0.005 wasm',
      'brian cable velocity cpp_standalone 1000',
    ]).flat(),
  ]);
  assert.deepEqual(report.errors, []);
  assert.ok(report.cable);
  const [hh, wasm, brian] = report.cable.rows;
  assert.deepEqual(hh.velocityMps.samples, [18.7, 18.7, 18.7]);
  assert.deepEqual(hh.simulateSeconds.samples, [2.02, 2.05, 2.08]);
  assert.deepEqual(wasm.velocityMps.samples, [18.69, 18.69, 18.69]);
  assert.equal(brian.velocityMps.median, 18.6);
  close(brian.speedupSimulate ?? NaN, 0.25 / 2.05, 1e-12);
  close(brian.speedupWasm ?? NaN, 0.25 / (0.05 + 0.06), 1e-12);
  close(report.cable.velocityDifference ?? NaN, 0.1 / 18.6, 1e-12);
  assert.equal(report.cable.tolerance, CABLE_VELOCITY_TOLERANCE);
  assert.equal(report.cable.agrees, true);
  assert.equal(report.tools.brian2?.available, true);
  const text = formatReport(report);
  assert.match(text, /HH axon conduction velocity \(476 µm × 30 mm, 1000 compartments, dt 0\.005 ms/);
  assert.match(text, /\| hhnet \(TypeScript, float64\) +\| 18\.700 +\| 2\.050 \(2\.020–2\.080\) +\| — +\|/);
  assert.match(text, /\| hhnet \(wasm, rate tables\) +\| 18\.690 +\| 0\.110 \(0\.080–0\.140\) +\| — +\|/);
  assert.match(text, /\| Brian2 \(C\+\+ standalone\) +\| 18\.600 +\| 0\.250 +\| 2\.27× \(0\.12×\) +\|/);
  assert.match(text, /differ by 0\.54% \(required: within 3%\) — agree/);
  // 5% apart: reported as a disagreement
  const far = await runCompare(
    options({ parts: ['cable'] }),
    deps(fakeRunner({ python: true, torch: false, brian2: true }, false, 17.8)),
  );
  assert.equal(far.cable?.agrees, false);
  assert.match(formatReport(far), /differ by 5\.06% .* — DISAGREE/);
});

test('the population part is opt-in: many-cell kernel (tables, exact rates) against Brian2, cached build per cell count', async () => {
  assert.ok(!defaultCompareOptions(false, {}).parts.includes('population'));
  const fake = fakeRunner({ python: true, torch: false, brian2: true });
  const report = await runCompare(
    options({ parts: ['population'], rounds: 2, populationCells: 100 }),
    deps(fake),
  );
  assert.deepEqual(fake.calls, [
    'probe',
    ...Array.from({ length: 2 }, () => [
      'hhnet population 100',
      'hhnet population 100 --exact-rates',
      'brian population 100 brian_population_100',
    ]).flat(),
  ]);
  assert.deepEqual(report.errors, []);
  assert.ok(report.population);
  const [tables, exact, brian] = report.population.rows;
  assert.deepEqual(tables.simulateSeconds.samples, [0.2 + 2 / 1000, 0.2 + 5 / 1000]);
  assert.deepEqual(exact.spikesPerCell, [10, 10]);
  close(tables.speedupSimulate ?? NaN, 2 / 0.2035, 1e-12);
  close(exact.speedupSimulate ?? NaN, 2 / 0.5045, 1e-12);
  assert.equal(brian.speedupSimulate, null);
  const text = formatReport(report);
  assert.match(text, /Cell population \(100 ball-and-stick cells of 51 compartments/);
  assert.match(text, /\| hhnet \(wasm, rate tables\) +\| 0\.204 \(0\.202–0\.205\) +\| 10 +\| 9\.83× +\|/);
  assert.match(text, /\| Brian2 \(C\+\+ standalone\) +\| 2\.000 +\| 10 +\| 1× +\|/);
  // Without Brian2 the hhnet rows still run and Brian2's row says why.
  const none = await runCompare(
    options({ parts: ['population'] }),
    deps(fakeRunner({ python: true, torch: false, brian2: false })),
  );
  assert.equal(none.population?.rows[2].missing !== null, true);
  assert.equal(none.population?.rows[0].simulateSeconds.samples.length, 1);
});

// The real Brian2 (when installed): the same 1 cm HH axon in both solvers, velocities within 3%.
const SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'bench',
  'compare',
  'brian_cable.py',
);
const hasBrian = spawnSync(DEFAULT_PYTHON, ['-c', 'import brian2'], { stdio: 'ignore' }).status === 0;

test(
  'brian_cable.py: Brian2 SpatialNeuron and hhnet give the same HH axon velocity (within 3%)',
  {
    skip: hasBrian
      ? false
      : `python3-brian not installed (apt-get install python3-brian); ${DEFAULT_PYTHON} cannot import brian2`,
  },
  (t) => {
    const axon = { diameterUm: 476, lengthUm: 10000, compartments: 200, dt: 0.01 };
    const r = spawnSync(
      DEFAULT_PYTHON,
      [SCRIPT, 'velocity', '--target', 'numpy', '--length', '10000', '--compartments', '200', '--dt', '0.01'],
      { encoding: 'utf8', timeout: 300_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const b = lastJsonLine(r.stdout);
    assert.ok(b && typeof b.velocityMps === 'number', r.stdout);
    assert.equal(b.compartments, 200);
    assert.equal(b.fittedPoints, 21);
    const h = axonVelocity(axon);
    const diff = Math.abs(h.velocityMps - (b.velocityMps as number)) / (b.velocityMps as number);
    t.diagnostic(
      `1 cm axon, 200 compartments, dt 0.01 ms: hhnet ${h.velocityMps.toFixed(3)} m/s, Brian2 (numpy) ${(b.velocityMps as number).toFixed(3)} m/s, difference ${(100 * diff).toFixed(2)}%`,
    );
    assert.ok(diff < CABLE_VELOCITY_TOLERANCE, `${(100 * diff).toFixed(2)}%`);
    // the script refuses a bad axon with a message
    const bad = spawnSync(DEFAULT_PYTHON, [SCRIPT, 'velocity', '--target', 'numpy', '--diameter', '-1'], {
      encoding: 'utf8',
    });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /diameter, length, dt must be > 0/);
  },
);
