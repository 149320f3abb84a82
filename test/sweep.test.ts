// Seeded sweeps (src/reproduce/sweep.ts, hhnet sweep): the file's validation, the grid, the
// statistics across seeds, reading finished runs back, failed and interrupted runs, and a real
// sweep of four tiny training runs through the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SweepFileError,
  SweepInterrupted,
  loadSweepFile,
  parseSweep,
  planSweep,
  runSweep,
  spread,
} from '../src/reproduce/sweep.js';
import type { SweepDeps } from '../src/reproduce/sweep.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hhnet-sweep-'));

test('spread: mean, sample sd and the Student-t 95% interval', () => {
  const s = spread([1, 2, 3]);
  assert.equal(s.mean, 2);
  assert.equal(s.sd, 1);
  const half = 4.303 / Math.sqrt(3);
  assert.ok(Math.abs(s.ci95![0] - (2 - half)) < 1e-12 && Math.abs(s.ci95![1] - (2 + half)) < 1e-12);
  assert.deepEqual(spread([5]), { n: 1, mean: 5, sd: null, ci95: null });
  // Beyond 30 degrees of freedom the normal quantile.
  const many = spread(Array.from({ length: 40 }, (_, i) => i % 2));
  assert.ok(Math.abs(many.ci95![1] - many.mean - (1.96 * many.sd!) / Math.sqrt(40)) < 1e-12);
});

test('sweep files: bad fields are named; the grid is models × noise × seeds', () => {
  const ok = { experiment: 'multitask', models: ['hh-fc', 'lif-fc'], seeds: [0, 1], noise: [0, 50] };
  const runs = planSweep(parseSweep(ok));
  assert.equal(runs.length, 8);
  assert.deepEqual(runs[0].args.slice(0, 8), [
    'train',
    'multitask',
    '--model',
    'hh-fc',
    '--seed',
    '0',
    '--noise',
    '0',
  ]);
  assert.equal(runs[3].id, 'hh-fc-noise50-seed1');
  const bad: [unknown, RegExp][] = [
    [{ ...ok, experiment: 'sim' }, /s\.json: experiment: /],
    [{ ...ok, experiment: 'mi' }, /s\.json: models\[0\]: /],
    [{ ...ok, models: ['hh-fc', 'nope'] }, /s\.json: models\[1\]: /],
    [{ ...ok, seeds: [] }, /s\.json: seeds: /],
    [{ ...ok, seeds: [0, 0] }, /s\.json: seeds: lists a value twice/],
    [{ ...ok, epochs: 0 }, /s\.json: epochs: /],
    [{ ...ok, limitTrain: 1.5 }, /s\.json: limitTrain: /],
    [{ ...ok, learningRate: 1 }, /s\.json: \(top level\): .*learningRate/],
  ];
  for (const [json, re] of bad)
    assert.throws(
      () => parseSweep(json, 's.json'),
      (e: unknown) => e instanceof SweepFileError && re.test(e.message),
    );
  const example = loadSweepFile(new URL('../../examples/sweeps/quick.json', import.meta.url).pathname);
  assert.equal(planSweep(example).length, 4);
  const rl = loadSweepFile(new URL('../../examples/sweeps/rl-quick.json', import.meta.url).pathname);
  assert.equal(planSweep(rl).length, 6);
  const mi = loadSweepFile(new URL('../../examples/sweeps/mi-quick.json', import.meta.url).pathname);
  assert.equal(planSweep(mi).length, 9);
  const yaml = join(dir, 'bad.yaml');
  writeFileSync(yaml, 'models: [unclosed');
  assert.throws(() => loadSweepFile(yaml), /bad\.yaml is not valid YAML/);
  assert.throws(() => loadSweepFile(join(dir, 'missing.json')), /missing\.json: no such sweep file/);
});

/** A fake trainer: writes metrics.json with accuracies from the seed (or fails / is interrupted). */
function fake(behaviour: (args: string[]) => 'ok' | 'fail' | 'interrupt' = () => 'ok') {
  const calls: string[][] = [];
  const deps: SweepDeps = {
    log: () => {},
    runTraining: async (args, runDir) => {
      calls.push(args);
      const what = behaviour(args);
      if (what !== 'ok') return { code: what === 'fail' ? 1 : 130, stderr: 'Error: boom\n' };
      const at = (f: string) => args[args.indexOf(f) + 1];
      const seed = Number(at('--seed'));
      const epochs = Number(at('--epochs'));
      mkdirSync(runDir, { recursive: true });
      const config = { model: at('--model'), seed, noise: Number(at('--noise')), epochs };
      const rows = Array.from({ length: epochs }, (_, e) => ({
        epoch: e + 1,
        loss: 1,
        acc1: 50 + 10 * seed + e,
        acc2: 40 + seed,
        seconds: 1,
      }));
      writeFileSync(join(runDir, 'metrics.json'), JSON.stringify({ config, epochs: rows }));
      return { code: 0, stderr: '' };
    },
  };
  return { deps, calls };
}

test('runSweep: statistics over seeds; finished runs read back; failures kept out of the statistics', async () => {
  const out = join(dir, 'fake');
  const config = parseSweep({
    experiment: 'multitask',
    models: ['hh-fc', 'lif-fc'],
    seeds: [0, 1, 2],
    epochs: 2,
  });
  const first = fake((args) =>
    args.includes('lif-fc') && args[args.indexOf('--seed') + 1] === '2' ? 'fail' : 'ok',
  );
  const report = await runSweep(config, out, first.deps, { jobs: 2 });
  assert.equal(first.calls.length, 6);
  const hh = report.aggregates.find((a) => a.model === 'hh-fc')!;
  // Final-epoch task-1 accuracies 51, 61, 71.
  assert.equal(hh.metrics.acc1.n, 3);
  assert.equal(hh.metrics.acc1.mean, 61);
  assert.equal(hh.metrics.acc1.sd, 10);
  const lif = report.aggregates.find((a) => a.model === 'lif-fc')!;
  assert.equal(lif.metrics.acc1.n, 2);
  assert.equal(lif.failed, 1);
  const failed = report.runs.find((r) => r.status === 'failed')!;
  assert.equal(failed.id, 'lif-fc-noise0-seed2');
  assert.match(failed.error!, /exit 1: Error: boom/);
  const saved = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
  assert.equal(saved.runs.length, 6);
  // Again: the five finished runs are read back, only the failed one is trained.
  const second = fake();
  const again = await runSweep(config, out, second.deps);
  assert.equal(second.calls.length, 1);
  assert.equal(again.runs.filter((r) => r.readBack).length, 5);
  assert.equal(again.aggregates.find((a) => a.model === 'lif-fc')!.metrics.acc1.n, 3);
  // A run directory from other settings is refused, naming the field.
  const changed = parseSweep({ experiment: 'multitask', models: ['hh-fc'], seeds: [0], epochs: 3 });
  await assert.rejects(
    runSweep(changed, out, fake().deps),
    /hh-fc-noise0-seed0 holds a run with epochs 2, not 3/,
  );
  // An interrupted run stops the sweep.
  const stop = fake(() => 'interrupt');
  await assert.rejects(runSweep(config, join(dir, 'stopped'), stop.deps), SweepInterrupted);
});

test('hhnet sweep: four tiny runs, sweep.json and sweep.svg; a rerun reads back; another sweep in the same --out is refused', async () => {
  const file = join(dir, 'tiny.json');
  const sweep = {
    experiment: 'multitask',
    models: ['lif-fc', 'hh-fc'],
    seeds: [0, 1],
    dataset: 'multi-mnist',
    batch: 32,
    limitTrain: 64,
    limitTest: 32,
  };
  writeFileSync(file, JSON.stringify(sweep));
  const out = join(dir, 'cli');
  const r = await runCli(['sweep', file, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const saved = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
  assert.equal(saved.runs.length, 4);
  assert.ok(
    saved.runs.every(
      (x: { status: string; metrics: { acc1: number } }) => x.status === 'done' && x.metrics.acc1 >= 0,
    ),
  );
  assert.deepEqual(
    saved.aggregates.map((a: { model: string; metrics: { acc1: { n: number } } }) => [
      a.model,
      a.metrics.acc1.n,
    ]),
    [
      ['lif-fc', 2],
      ['hh-fc', 2],
    ],
  );
  assert.ok(existsSync(join(out, 'sweep.svg')));
  assert.ok(existsSync(join(out, 'runs', 'hh-fc-noise0-seed1', 'model.safetensors')));
  const again = await runCli(['sweep', file, '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr.match(/\(read back\)/g)?.length, 4, again.stderr);
  writeFileSync(file, JSON.stringify({ ...sweep, seeds: [0] }));
  const other = await runCli(['sweep', file, '--out', out]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /holds a sweep with other settings .*use --force/);
});

test('RL sweeps: hhnet train rl runs with --state-noise as the noise axis; the evaluation return across seeds', async () => {
  const config = parseSweep({
    experiment: 'rl',
    models: ['ann', 'hh'],
    seeds: [0, 1],
    noise: [0, 0.002],
    steps: 300,
  });
  const runs = planSweep(config);
  assert.equal(runs.length, 8);
  assert.deepEqual(runs[1].args.slice(0, 6), ['train', 'rl', '--model', 'ann', '--seed', '1']);
  assert.ok(runs[2].args.join(' ').includes('--state-noise 0.002 --steps 300'), runs[2].args.join(' '));
  assert.throws(
    () => parseSweep({ experiment: 'rl', models: ['hh-fc'] }, 'r.json'),
    /r\.json: models\[0\]: /,
  );
  assert.throws(() => parseSweep({ experiment: 'rl', models: ['hh'], epochs: 2 }, 'r.json'), /epochs/);
  const file = join(dir, 'rl.json');
  writeFileSync(
    file,
    JSON.stringify({
      experiment: 'rl',
      models: ['ann'],
      seeds: [0, 1],
      steps: 300,
      warmup: 100,
      evalEvery: 150,
      evalEpisodes: 2,
    }),
  );
  const out = join(dir, 'rl');
  const r = await runCli(['sweep', file, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const saved = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
  assert.deepEqual(
    saved.runs.map((x: { id: string; status: string; curve: unknown[] }) => [x.id, x.status, x.curve.length]),
    [
      ['ann-noise0-seed0', 'done', 2],
      ['ann-noise0-seed1', 'done', 2],
    ],
  );
  const returns = saved.runs.map((x: { metrics: { meanReturn: number } }) => x.metrics.meanReturn);
  const agg = saved.aggregates[0].metrics.meanReturn;
  assert.equal(agg.n, 2);
  assert.ok(Math.abs(agg.mean - (returns[0] + returns[1]) / 2) < 1e-9);
  assert.match(r.stderr, /ann: evaluation return .* \(2 seed\(s\)\)/);
  assert.ok(existsSync(join(out, 'sweep.svg')));
});

test('MI sweeps: hhnet mi runs (VIB), the information bounds and accuracies across seeds; no noise axis', async () => {
  const config = parseSweep({ experiment: 'mi', models: ['hh', 'lif'], seeds: [0, 1], epochs: 2, K: 8 });
  const runs = planSweep(config);
  assert.equal(runs.length, 4);
  assert.deepEqual(runs[0].args.slice(0, 7), ['mi', '--model', 'hh', '--seed', '0', '--epochs', '2']);
  assert.ok(runs[0].args.join(' ').includes('--K 8'));
  assert.throws(
    () => parseSweep({ experiment: 'mi', models: ['hh'], noise: [0.5] }, 'm.json'),
    /m\.json: noise\[0\]: mi runs have no noise axis/,
  );
  assert.throws(
    () => parseSweep({ experiment: 'mi', models: ['hh-fc'] }, 'm.json'),
    /m\.json: models\[0\]: /,
  );
  const file = join(dir, 'mi.json');
  writeFileSync(
    file,
    JSON.stringify({
      experiment: 'mi',
      models: ['lif'],
      seeds: [0, 1],
      epochs: 2,
      dataset: 'multi-mnist',
      limitTrain: 64,
      limitTest: 32,
      batch: 32,
      T: 2,
      K: 8,
    }),
  );
  const out = join(dir, 'mi');
  const r = await runCli(['sweep', file, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const saved = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
  assert.deepEqual(
    saved.runs.map((x: { id: string; status: string; curve: unknown[] }) => [x.id, x.status, x.curve.length]),
    [
      ['lif-noise0-seed0', 'done', 2],
      ['lif-noise0-seed1', 'done', 2],
    ],
  );
  // The sweep's numbers are the runs' own last epochs.
  for (const run of saved.runs as { dir: string; metrics: Record<string, number> }[]) {
    const mi = JSON.parse(readFileSync(join(run.dir, 'mi.json'), 'utf8'));
    const last = mi.epochs[mi.epochs.length - 1];
    assert.equal(run.metrics.izx, last.izx);
    assert.equal(run.metrics.izy1, last.izy.task1);
    assert.equal(run.metrics.acc2, last.acc2);
  }
  const agg = saved.aggregates[0].metrics.izx;
  assert.equal(agg.n, 2);
  assert.match(r.stderr, /lif: I\(Z;Y₁\) lower bound -?[0-9.]+ bits ± [0-9.]+, .* \(2 seed\(s\)\)/);
  assert.ok(existsSync(join(out, 'sweep.svg')));
});
