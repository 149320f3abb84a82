// reproduce --queue's run list (src/reproduce/distribute.ts): every training run of the learning
// parts once, in the directory its part reads, with flags that give back its configuration; parts
// already saved are left out; configurations the CLI cannot express are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rlArgs, reproduceRuns, trainArgs } from '../src/reproduce/distribute.js';
import { makePlan } from '../src/reproduce/plan.js';
import { resolveRlConfig } from '../src/rl/config.js';
import { resolveTrainConfig } from '../src/train/config.js';

test('reproduceRuns lists every run of the learning parts once, under DIR/runs/PART', () => {
  const plan = makePlan('smoke');
  const runs = reproduceRuns(plan, '/data/out', () => false);
  const byPart = new Map<string, number>();
  for (const r of runs) {
    const part = r.runId.split('/')[0];
    byPart.set(part, (byPart.get(part) ?? 0) + 1);
    assert.ok(r.dir.startsWith(`/data/out/runs/${part}/`), r.dir);
    assert.equal(`/data/out/runs/${r.runPath}`, r.dir);
  }
  assert.deepEqual(Object.fromEntries(byPart), {
    multitask: plan.multitask.models.length,
    robustness: plan.robustness.models.length * plan.robustness.noise.length,
    rl: plan.rl.reduce((s, p) => s + p.models.length, 0),
    'rl-robustness': plan.rlRobustness.models.length * 3,
    beyond: plan.beyond.models.length * plan.beyond.seeds.length * plan.beyond.lrs.length,
    ablation: plan.ablation.multitask.models.length * plan.ablation.multitask.seeds.length,
  });
  assert.equal(new Set(runs.map((r) => r.runPath)).size, runs.length, 'one directory per run');
  const some = reproduceRuns(plan, '/data/out', (p) => p !== 'rl');
  assert.deepEqual([...new Set(some.map((r) => r.runId.split('/')[0]))], ['rl']);
  // The full plan queues the pendulum ablation too.
  const full = reproduceRuns(makePlan('full', { fashion: true }), '/o', () => false);
  assert.equal(full.filter((r) => r.runId.startsWith('ablation/hh-noise0')).length, 5);
});

test('the flags carry the whole configuration; what the CLI cannot express is refused', () => {
  const cfg = resolveTrainConfig({ model: 'hh-fc', epochs: 2, limitTrain: 100, noise: 25, seed: 3 });
  const args = trainArgs(cfg);
  const at = (f: string) => args[args.indexOf(f) + 1];
  assert.deepEqual(args.slice(0, 2), ['train', 'multitask']);
  assert.equal(at('--noise'), '25');
  assert.equal(at('--milestones'), '10,20,30');
  assert.equal(at('--lr'), '0.0001');
  assert.ok(!args.includes('--limit-test'), 'null limits are left to the default');
  assert.throws(() => trainArgs({ ...cfg, gamma: 0.5 }), /gamma 0\.5 has no CLI flag/);
  const rl = resolveRlConfig({
    env: 'inverted-pendulum',
    model: 'li',
    steps: 500,
    warmup: 100,
    stateNoise: 0.002,
  });
  const ra = rlArgs(rl);
  assert.equal(ra[ra.indexOf('--state-noise') + 1], '0.002');
  assert.equal(ra[ra.indexOf('--model') + 1], 'li');
  assert.throws(() => rlArgs({ ...rl, hidden: 64 }), /hidden 64 has no CLI flag \(the CLI uses 128\)/);
});
