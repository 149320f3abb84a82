// Robustness sweeps: every (model, noise) run is trained once, finished runs are read back on a
// re-run, noise actually changes the inputs, and the outputs (JSON + figure) are written.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multitaskRobustness, rlConditions } from '../src/experiments/robustness.js';
import { runCli } from './helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-robust-test-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(args);

const small = {
  epochs: 1,
  seed: 0,
  dataset: 'multi-mnist',
  limitTrain: 256,
  limitTest: 128,
  batch: 64,
  T: 4,
};

test('multitask robustness trains each (model, A) once and reuses finished runs', async () => {
  const out = join(ROOT, 'mt');
  const seen: string[] = [];
  const r = await multitaskRobustness({ ...small, models: ['lif-fc', 'hh-fc'], noise: [0, 75] }, out, {
    run: (i) => seen.push(`${i.name}:${i.reused}`),
  });
  assert.deepEqual(seen, [
    'lif-fc-noise0:false',
    'lif-fc-noise75:false',
    'hh-fc-noise0:false',
    'hh-fc-noise75:false',
  ]);
  assert.equal(r.results.length, 4);
  for (const x of r.results) assert.ok(x.acc1 >= 0 && x.acc1 <= 100 && x.acc2 >= 0 && x.acc2 <= 100);
  // Noise changes what the network sees: same seed and data, different accuracy pairs.
  const hh0 = r.results.find((x) => x.model === 'hh-fc' && x.noise === 0)!;
  const hh75 = r.results.find((x) => x.model === 'hh-fc' && x.noise === 75)!;
  assert.notDeepEqual([hh0.acc1, hh0.acc2], [hh75.acc1, hh75.acc2]);
  const mtime = statSync(join(out, 'runs', 'hh-fc-noise75', 'metrics.json')).mtimeMs;
  seen.length = 0;
  const again = await multitaskRobustness({ ...small, models: ['lif-fc', 'hh-fc'], noise: [0, 75] }, out, {
    run: (i) => seen.push(`${i.name}:${i.reused}`),
  });
  assert.ok(
    seen.every((s) => s.endsWith(':true')),
    seen.join(' '),
  );
  assert.deepEqual(again.results, r.results);
  assert.equal(statSync(join(out, 'runs', 'hh-fc-noise75', 'metrics.json')).mtimeMs, mtime);
});

test('RL robustness conditions: the clean baseline, then each noise alone', () => {
  assert.deepEqual(
    rlConditions([0.002], [0.1, 0.2]).map((c) => [c.label, c.stateNoise, c.rewardNoise]),
    [
      ['clean', 0, 0],
      ['state σ 0.002', 0.002, 0],
      ['reward σ 0.1', 0, 0.1],
      ['reward σ 0.2', 0, 0.2],
    ],
  );
});

test('robustness CLI writes the table JSON and figure; bad lists fail clearly', async () => {
  const out = join(ROOT, 'cli');
  const r = await cli([
    'robustness',
    'multitask',
    '--models',
    'lif-fc',
    '--noise',
    '0,50',
    '--limit-train',
    '128',
    '--limit-test',
    '64',
    '--dataset',
    'multi-mnist',
    '--quiet',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(readFileSync(join(out, 'robustness-multitask.json'), 'utf8'));
  assert.deepEqual(
    doc.results.map((x: { noise: number }) => x.noise),
    [0, 50],
  );
  assert.ok(readFileSync(join(out, 'figures', 'robustness-multitask.svg'), 'utf8').startsWith('<svg'));
  assert.ok(existsSync(join(out, 'figures', 'robustness-multitask.vl.json')));
  const bad = await cli(['robustness', 'multitask', '--models', 'hh-fc,nope', '--out', join(ROOT, 'bad')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown nope \(available: /);
  const badRl = await cli([
    'robustness',
    'rl',
    '--models',
    'hh',
    '--state-noise',
    'x',
    '--out',
    join(ROOT, 'bad'),
  ]);
  assert.notEqual(badRl.code, 0);
  assert.match(badRl.stderr, /comma-separated numbers/);
});
