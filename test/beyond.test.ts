// The "beyond the study" part of reproduce (mc-fc against hh-fc and 4lif-fc): the statistics over
// seeds, parameter counts taken from the built models, and the generated reading of the result.
// The part itself runs end to end in test/reproduce.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parameterCount } from '../src/experiments/resources.js';
import { createMultitaskModel } from '../src/models/multitask.js';
import type { MultitaskModelName } from '../src/models/multitask.js';
import { beyondCommand, beyondReading, countParams, seedStat } from '../src/reproduce/beyond.js';
import type { BeyondModel, BeyondPart } from '../src/reproduce/beyond.js';
import { makePlan } from '../src/reproduce/plan.js';
import { Rng } from '../src/util/rng.js';
import { close } from './helpers.js';

test('seedStat: mean, sample standard deviation, range; no sd for one seed; refuses none', () => {
  const s = seedStat([70, 72, 77]);
  close(s.mean, 73, 1e-12);
  close(s.sd!, Math.sqrt((9 + 1 + 16) / 2), 1e-12);
  assert.deepEqual([s.min, s.max, s.n], [70, 77, 3]);
  assert.deepEqual(seedStat([5]), { mean: 5, sd: null, min: 5, max: 5, n: 1 });
  assert.throws(() => seedStat([]), /no values/);
});

test('parameter counts come from the built models, whatever the seed', () => {
  for (const model of ['mc-fc', 'hh-fc', '4lif-fc'] as MultitaskModelName[]) {
    const p = parameterCount(createMultitaskModel(model, new Rng(7)));
    assert.deepEqual(countParams(model), { params: p.total, trainableParams: p.trainable }, model);
  }
  const mc = countParams('mc-fc').params;
  const hh = countParams('hh-fc').params;
  assert.ok(Math.abs(mc - hh) / hh < 0.05, `mc-fc ${mc} and hh-fc ${hh} are about equal`);
});

test('every scale of the plan compares mc-fc with hh-fc and 4lif-fc under one setting; the full scale has seeds', () => {
  for (const mode of ['smoke', 'quick', 'full'] as const) {
    const b = makePlan(mode, { fashion: true }).beyond;
    assert.deepEqual(b.models, ['mc-fc', 'hh-fc', '4lif-fc'], mode);
    assert.ok(b.seeds.length >= (mode === 'full' ? 3 : 1), mode);
  }
  const cmd = beyondCommand(makePlan('full', { fashion: true }).beyond);
  assert.match(cmd, /--seed \$s/);
  assert.match(cmd, /--dataset multi-fashion-mnist/);
  assert.match(cmd, /for lr in 0\.0001 0\.0003 0\.001 0\.003;.*--lr \$lr/);
});

function fake(acc: Record<string, [number[], number[]]>, seeds: number[]): BeyondPart {
  const plan = { ...makePlan('smoke').beyond, seeds };
  const models = Object.entries(acc).map(([model, [a1, a2]]): BeyondModel => ({
    model: model as MultitaskModelName,
    lr: 1e-3,
    params: 1000,
    trainableParams: 1000,
    acc1: seedStat(a1),
    acc2: seedStat(a2),
    secondsPerEpoch: seedStat(model === 'mc-fc' ? [10] : [1]),
  }));
  return { plan, runs: [], models };
}

test('the reading says the branches help only when every seed of mc-fc is above hh-fc on both tasks', () => {
  const helps = beyondReading(
    fake(
      {
        'mc-fc': [
          [80, 81, 82],
          [75, 76, 77],
        ],
        'hh-fc': [
          [70, 71, 72],
          [70, 71, 72],
        ],
      },
      [0, 1, 2],
    ),
  );
  assert.match(helps, /in this run the dendritic branches help/);
  assert.match(helps, /At lr 0\.001, mc-fc is \+10\.00 points on task 1 and \+5\.00 on task 2 against hh-fc/);
  assert.match(helps, /10\.0× as long/);

  const overlap = beyondReading(
    fake(
      {
        'mc-fc': [
          [70, 75, 80],
          [75, 76, 77],
        ],
        'hh-fc': [
          [72, 73, 74],
          [70, 71, 72],
        ],
      },
      [0, 1, 2],
    ),
  );
  assert.match(overlap, /does not clearly help/);
  assert.match(
    overlap,
    /on task 1 the seed ranges overlap, on task 2 every seed of mc-fc is above every seed of hh-fc/,
  );

  const worse = beyondReading(
    fake(
      {
        'mc-fc': [
          [60, 61],
          [60, 61],
        ],
        'hh-fc': [
          [70, 71],
          [70, 71],
        ],
      },
      [0, 1],
    ),
  );
  assert.match(worse, /do not help/);
  assert.match(worse, /−10\.00 points/);

  const one = beyondReading(fake({ 'mc-fc': [[80], [80]], 'hh-fc': [[70], [70]] }, [0]));
  assert.match(one, /one seed/);
  assert.doesNotMatch(one, /in this run the dendritic branches (do not )?help/);
  for (const text of [helps, overlap, worse, one]) assert.match(text, /What this does not show/);
});

test('with several learning rates the verdict compares mc-fc and hh-fc each at its best one', () => {
  const entry = (model: MultitaskModelName, lr: number, a: number[]): BeyondModel => ({
    model,
    lr,
    params: 1000,
    trainableParams: 1000,
    acc1: seedStat(a),
    acc2: seedStat(a),
    secondsPerEpoch: seedStat([1, 1]),
  });
  const plan = { ...makePlan('full', { fashion: true }).beyond, seeds: [0, 1], lrs: [1e-3, 1e-4] };
  const part: BeyondPart = {
    plan,
    runs: [],
    models: [
      entry('mc-fc', 1e-3, [50, 51]),
      entry('hh-fc', 1e-3, [70, 71]),
      entry('mc-fc', 1e-4, [80, 81]),
      entry('hh-fc', 1e-4, [60, 61]),
    ],
  };
  const text = beyondReading(part);
  assert.match(text, /At lr 0\.001, mc-fc is −20\.00 points on task 1/);
  assert.match(text, /At lr 0\.0001, mc-fc is \+20\.00 points on task 1/);
  assert.match(
    text,
    /mc-fc lr 0\.0001, hh-fc lr 0\.001\), mc-fc is above hh-fc on both tasks for every seed/,
  );
  // hh-fc's better rate is 1e-3 (70/71); mc-fc (80/81) is above it
  part.models[2] = entry('mc-fc', 1e-4, [65, 72]);
  assert.match(beyondReading(part), /does not clearly help/);
});
