// The ablation of internal complexity: the model variants (li-fc is hh-fc with every rate zero and
// the same draws; hh-lr-fc learns the rates; hhfull-fc runs the full HH), the statistics that
// call a difference beyond seed noise, the shipped sweep files, and the report section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMultitaskModel } from '../src/models/multitask.js';
import { DeclaredNeurons } from '../src/nn/neuron-layer.js';
import { LearningHHNeurons } from '../src/nn/spiking-layers.js';
import { leakyIntegrator } from '../src/neurons/leaky-integrator.js';
import { Actor } from '../src/rl/networks.js';
import {
  ablationContrasts,
  ablationReading,
  ablationSection,
  contrast,
  readRlAblation,
} from '../src/reproduce/ablation.js';
import type { AblationPart } from '../src/reproduce/ablation.js';
import { ABLATION_RL_SWEEP, ABLATION_SWEEP, makePlan } from '../src/reproduce/plan.js';
import { aggregate, loadSweepFile } from '../src/reproduce/sweep.js';
import type { RunResult, SweepConfig, SweepReport } from '../src/reproduce/sweep.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/sweeps/', import.meta.url));

test('the shipped ablation sweeps are the plan’s', () => {
  assert.deepEqual(loadSweepFile(join(EXAMPLES, 'ablation.json')), ABLATION_SWEEP);
  assert.deepEqual(loadSweepFile(join(EXAMPLES, 'ablation-rl.json')), ABLATION_RL_SWEEP);
  const quick = makePlan('quick', { fashion: true }).ablation;
  assert.deepEqual(quick.multitask, ABLATION_SWEEP);
  assert.equal(quick.rl, null, 'the quick run leaves the pendulum ablation to the sweep');
  assert.deepEqual(makePlan('full', { fashion: true }).ablation.rl, ABLATION_RL_SWEEP);
});

test('li-fc is hh-fc with every rate zero, from the same draws: a leaky integrator', () => {
  const hh = createMultitaskModel('hh-fc', new Rng(3));
  const li = createMultitaskModel('li-fc', new Rng(3));
  const lr = createMultitaskModel('hh-lr-fc', new Rng(3));
  const params = (m: ReturnType<typeof createMultitaskModel>) => new Map(m.namedParameters());
  const [ph, pl, pr] = [hh, li, lr].map(params);
  assert.deepEqual([...pl.keys()], [...ph.keys()]);
  for (const [name, t] of ph) {
    const rate = /^neurons\.(alpha|beta)_/.test(name);
    if (rate)
      assert.ok(
        pl.get(name)!.data.every((v) => v === 0),
        `${name} is zero in li-fc`,
      );
    else assert.deepEqual(pl.get(name)!.data, t.data, `${name} equals hh-fc's`);
    assert.deepEqual(pr.get(name)!.data, t.data, `${name}: hh-lr-fc starts where hh-fc does`);
    assert.equal(pr.get(name)!.requiresGrad, rate ? true : t.requiresGrad, `${name} learnable in hh-lr-fc`);
    if (rate) assert.equal(t.requiresGrad, false, `${name} fixed in hh-fc`);
  }
  // The zero-rate layer computes what the leaky-integrator declaration computes.
  const n = 64;
  const rng = new Rng(1);
  const x = new Tensor(
    Float32Array.from({ length: 2 * n }, () => rng.range(0, 60)),
    [2, n],
  );
  const zero = new LearningHHNeurons([n], { rng: new Rng(2), zeroRates: true });
  const leak = new DeclaredNeurons(leakyIntegrator, [n]);
  for (const output of ['spikes', 'rate'] as const) {
    const a = zero.forward(x, { T: 15, timeVarying: false, output }).data;
    const b = leak.forward(x, { T: 15, timeVarying: false, output }).data;
    assert.ok(a.some((v) => v > 0) && a.some((v) => v < 1), `${output}: some neurons fire, not all always`);
    assert.deepEqual(a, b, `${output}: zero-rate HH ≡ leaky integrator`);
  }
  assert.throws(
    () => new LearningHHNeurons([4], { rng: new Rng(0), zeroRates: true, learnableRates: true }),
    /learnableRates and zeroRates exclude each other/,
  );
});

test('hhfull-fc trains through the full HH layer; the ablation actors build', () => {
  const m = createMultitaskModel('hhfull-fc', new Rng(0));
  const rng = new Rng(5);
  const x = new Tensor(
    Float32Array.from({ length: 4 * 1296 }, () => (rng.uniform() < 0.2 ? 255 : 0)),
    [4, 1296],
  );
  x.requiresGrad = false;
  const [a, b] = m.forward(x);
  assert.deepEqual(a.shape, [4, 10]);
  assert.deepEqual(b.shape, [4, 10]);
  for (const kind of ['li', 'hh-lr'] as const) {
    const actor = new Actor(
      { kind, obsSize: 4, actionSize: 1, window: 5, repeats: 3, hidden: 16, branchHidden: 8 },
      new Rng(0),
    );
    const rates = [...actor.namedParameters()].filter(([k]) => /alpha_n/.test(k));
    assert.equal(rates.length, 1, kind);
    const [, t] = rates[0];
    if (kind === 'li') assert.ok(t.data.every((v) => v === 0) && !t.requiresGrad);
    else assert.ok(t.data.some((v) => v > 0) && t.requiresGrad);
  }
});

test('Welch’s interval decides what is beyond seed noise', () => {
  // Means 2 and 5, variances 1 and 1, n 3 each: se √(2/3), df 4, t 2.776.
  const c = contrast('m', 'acc1', [1, 2, 3], [4, 5, 6]);
  assert.equal(c.difference, -3);
  const half = 2.776 * Math.sqrt(2 / 3);
  assert.ok(Math.abs(c.ci95![0] - (-3 - half)) < 1e-9 && Math.abs(c.ci95![1] - (-3 + half)) < 1e-9);
  assert.equal(c.verdict, 'beyond noise');
  assert.equal(contrast('m', 'acc1', [1, 5, 3], [4, 2, 6]).verdict, 'within noise');
  assert.equal(contrast('m', 'acc1', [1, 2], [1, 2]).verdict, 'identical');
  assert.equal(contrast('m', 'acc1', [1], [2, 3]).verdict, 'too few seeds');
  // Welch's df with unequal spreads: a = [0, 10], ref = [5, 5.1, 4.9, 5, 5.05].
  const w = contrast('m', 'acc1', [0, 10], [5, 5.1, 4.9, 5, 5.05]);
  assert.equal(w.verdict, 'within noise');
  assert.ok(w.ci95![1] - w.ci95![0] > 2 * 12.7 * 5 * 0.99, 'df ≈ 1: t 12.706');
});

function fakeReport(config: SweepConfig, values: Record<string, number[][]>): SweepReport {
  const runs: RunResult[] = [];
  for (const [model, seeds] of Object.entries(values))
    seeds.forEach((v, seed) =>
      runs.push({
        id: `${model}-${seed}`,
        model,
        seed,
        noise: 0,
        dir: '/nowhere',
        status: 'done',
        readBack: false,
        metrics: config.experiment === 'rl' ? { meanReturn: v[0] } : { acc1: v[0], acc2: v[1] },
        curve: [{ x: 1, y: v[0] }],
        error: null,
      }),
    );
  return { config, runs, aggregates: aggregate(config, runs) };
}

test('the ablation section states seeds, spreads and a plain-words verdict; a pendulum sweep is read back', () => {
  const config = { ...ABLATION_SWEEP, models: ['hh-fc', 'li-fc', 'lif-fc'], seeds: [0, 1, 2] } as SweepConfig;
  const report = fakeReport(config, {
    'hh-fc': [
      [60, 50],
      [61, 52],
      [59, 51],
    ],
    'li-fc': [
      [60, 50],
      [61, 52],
      [59, 51],
    ],
    'lif-fc': [
      [70, 50],
      [71, 53],
      [69, 49],
    ],
  });
  const contrasts = ablationContrasts(report, 'hh-fc');
  const reading = ablationReading({ reference: 'hh-fc', report, contrasts });
  assert.match(reading, /li-fc gives exactly the same results as hh-fc on every seed/);
  assert.match(
    reading,
    /lif-fc against hh-fc: task 1 accuracy \+10\.00 points \(95% interval .*beyond seed noise\); task 2 accuracy .*within seed noise/,
  );
  assert.match(reading, /Beyond seed noise: lif-fc/);

  const root = mkdtempSync(join(tmpdir(), 'hhnet-ablation-'));
  try {
    const rlConfig = { ...ABLATION_RL_SWEEP, models: ['hh', 'li'], seeds: [0, 1] } as SweepConfig;
    mkdirSync(join(root, 'rl'));
    writeFileSync(
      join(root, 'rl', 'sweep.json'),
      JSON.stringify(fakeReport(rlConfig, { hh: [[900], [1000]], li: [[300], [200]] })),
    );
    const rl = readRlAblation(join(root, 'rl'));
    assert.equal(rl.contrasts[0].verdict, 'beyond noise');
    const part: AblationPart = {
      multitask: { reference: 'hh-fc', report, contrasts },
      rl,
      rlSource: join(root, 'rl'),
    };
    const figs: string[] = [];
    const section = ablationSection(part, (id, caption, command) => {
      figs.push(id);
      return { id, title: id, caption, command, svg: '', spec: {}, png: '' } as never;
    });
    assert.deepEqual(figs, ['ablation-multitask', 'ablation-rl']);
    assert.match(section.intro!, /seeds 0, 1, 2/);
    assert.match(section.intro!, /Pendulum \(inverted-pendulum, 30000 steps, seeds 0, 1, read from/);
    assert.equal(section.tables!.length, 4);
    // Errors name the file and what was expected.
    assert.throws(
      () => readRlAblation(join(root, 'none')),
      /sweep\.json does not exist: run hhnet sweep examples\/sweeps\/ablation-rl\.json/,
    );
    writeFileSync(join(root, 'rl', 'sweep.json'), JSON.stringify(report));
    assert.throws(() => readRlAblation(join(root, 'rl')), /config\.experiment is "multitask", expected "rl"/);
    writeFileSync(join(root, 'rl', 'sweep.json'), '{');
    assert.throws(() => readRlAblation(join(root, 'rl')), /is not readable JSON/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
