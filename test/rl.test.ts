// SAC parts (window, replay, shaped reward, squashed-Gaussian log-probability, target update) and
// the `train rl` / `play` / `bench rl` commands end to end: learning beats the random policy,
// a killed run resumes to the same result, bad flags fail clearly.
import { after, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gradcheck } from '../src/tensor/gradcheck.js';
import { Rng } from '../src/util/rng.js';
import { resolveRlConfig } from '../src/rl/config.js';
import { ACTOR_KINDS, Actor, ActorShape } from '../src/rl/networks.js';
import { ReplayBuffer } from '../src/rl/replay.js';
import { shapedDoublePendulumReward } from '../src/rl/reward.js';
import { SAC_DEFAULTS, SoftActorCritic } from '../src/rl/sac.js';
import { trainRl } from '../src/rl/train.js';
import { ObservationWindow } from '../src/rl/window.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { InterruptedError, clearInterrupt, requestInterrupt } from '../src/util/interrupt.js';
import { close, runCli } from './helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-rl-test-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));
let n = 0;
const outDir = (name: string): string => join(ROOT, `${name}-${++n}`);

const cli = (args: string[]) => runCli(args);

const shape = (kind: ActorShape['kind']): ActorShape => ({
  kind,
  obsSize: 4,
  actionSize: 2,
  window: 5,
  repeats: 3,
  hidden: 16,
  branchHidden: 8,
});

describe('observation window', () => {
  it('keeps the last W observations oldest first, zero- or repeat-padded at the start', () => {
    const z = new ObservationWindow(3, 2, 'zero');
    z.reset([1, 2]);
    assert.deepEqual(Array.from(z.frames), [0, 0, 0, 0, 1, 2]);
    z.push([3, 4]);
    assert.deepEqual(Array.from(z.frames), [0, 0, 1, 2, 3, 4]);
    z.push([5, 6]);
    z.push([7, 8]);
    assert.deepEqual(Array.from(z.frames), [3, 4, 5, 6, 7, 8]);
    assert.deepEqual(Array.from(z.latest()), [7, 8]);
    const r = new ObservationWindow(3, 2, 'repeat');
    r.reset([1, 2]);
    assert.deepEqual(Array.from(r.frames), [1, 2, 1, 2, 1, 2]);
    assert.throws(() => r.push([1]), /1 values, expected 2/);
  });
});

describe('replay buffer', () => {
  it('stores transitions, samples them whole, wraps at capacity and round-trips through columns()', () => {
    const rb = new ReplayBuffer(5, 2, 1);
    for (let i = 0; i < 7; i++) rb.add([i, i], [i / 10], i, [i + 1, i + 1], i % 2 === 0);
    assert.equal(rb.size, 5);
    const b = rb.sample(50, new Rng(1));
    const seen = new Set<number>();
    for (let k = 0; k < 50; k++) {
      const i = b.obs[2 * k];
      seen.add(i);
      assert.equal(b.nextObs[2 * k], i + 1);
      close(b.actions[k], i / 10, 1e-6);
      assert.equal(b.rewards[k], i);
      assert.equal(b.dones[k], i % 2 === 0 ? 1 : 0);
    }
    assert.deepEqual([...seen].sort(), [2, 3, 4, 5, 6], 'the two oldest were overwritten');
    const cols = rb.columns();
    const copy = new ReplayBuffer(5, 2, 1);
    copy.restore(
      cols.head,
      cols.size,
      Object.fromEntries(Object.entries(cols.data).map(([k, v]) => [k, v.data.slice()])),
    );
    assert.deepEqual(copy.sample(20, new Rng(3)), rb.sample(20, new Rng(3)));
    assert.throws(() => copy.restore(0, 4, { obs: new Float32Array(3) }), /column obs has 3 values/);
  });
});

describe('shaped double-pendulum reward', () => {
  it('sums the normalised margins of x, sin θ1, sin θ2 to bounds 2, 0.418, 0.1; −10 when terminated', () => {
    close(shapedDoublePendulumReward([0, 0, 0], false), 3, 1e-12);
    close(shapedDoublePendulumReward([1, 0.209, -0.05], false), 0.5 + 0.5 + 0.5, 1e-12);
    assert.equal(shapedDoublePendulumReward([0, 0, 0], true), -10);
  });
});

describe('actor and SAC', () => {
  it('every actor kind maps [B, W·obs] windows to Gaussian parameters [B, A]', () => {
    for (const kind of ACTOR_KINDS) {
      const actor = new Actor(shape(kind), new Rng(1));
      const windows = Float32Array.from({ length: 3 * 20 }, (_, i) => Math.sin(i));
      const { mean, logStd } = actor.forward(windows, 3);
      assert.deepEqual(mean.shape, [3, 2], kind);
      assert.deepEqual(logStd.shape, [3, 2], kind);
      for (const x of logStd.data) assert.ok(x >= -20 && x <= 2);
      assert.equal(actor.T, 15);
    }
    assert.equal(new Actor(shape('4lif'), new Rng(1)).featureSize, 64);
    assert.equal(new Actor(shape('slif2hh'), new Rng(1)).featureSize, 64);
  });

  it('log π of the tanh-squashed sample equals the change-of-variables formula', () => {
    const agent = new SoftActorCritic(shape('ann'), SAC_DEFAULTS, new Rng(2));
    const windows = Float32Array.from({ length: 4 * 20 }, (_, i) => Math.cos(i));
    const { action, logProb } = agent.samplePolicy(windows, 4, new Rng(7));
    const { mean, logStd } = agent.actor.forward(windows, 4);
    const eps = new Rng(7);
    for (let b = 0; b < 4; b++) {
      let lp = 0;
      for (let j = 0; j < 2; j++) {
        const e = eps.normal();
        const sigma = Math.exp(logStd.data[b * 2 + j]);
        const u = mean.data[b * 2 + j] + sigma * e;
        close(action.data[b * 2 + j], Math.tanh(u), 1e-5);
        lp += -0.5 * e * e - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - Math.tanh(u) ** 2);
      }
      close(logProb.data[b], lp, 1e-3, `sample ${b}: ${logProb.data[b]} vs ${lp}`);
    }
  });

  it('the reparameterised log π and action pass a finite-difference gradient check', () => {
    const agent = new SoftActorCritic(
      { ...shape('ann'), hidden: 6, branchHidden: 5 },
      SAC_DEFAULTS,
      new Rng(3),
    );
    const windows = Float32Array.from({ length: 2 * 20 }, (_, i) => 0.3 * Math.sin(i));
    const params = agent.actor.parameters();
    for (const pick of ['logProb', 'action'] as const) {
      // eps 1e-3: a ReLU pre-activation of this small net lies within 1e-2 of its kink.
      const res = gradcheck(() => agent.samplePolicy(windows, 2, new Rng(11))[pick], params, { eps: 1e-3 });
      assert.ok(res.ok, `${pick}: max error ${res.maxAbsError}`);
    }
  });

  it('an update moves the targets by τ towards the critics', () => {
    const agent = new SoftActorCritic(shape('lif'), SAC_DEFAULTS, new Rng(4));
    const before = agent.target.namedParameters().map(([, t]) => t.data.slice());
    const rb = new ReplayBuffer(100, 20, 2);
    const rng = new Rng(5);
    for (let i = 0; i < 40; i++)
      rb.add(
        Float32Array.from({ length: 20 }, () => rng.normal()),
        [rng.range(-1, 1), rng.range(-1, 1)],
        rng.normal(),
        Float32Array.from({ length: 20 }, () => rng.normal()),
        i % 7 === 0,
      );
    const stats = agent.update(rb.sample(16, rng), rng);
    assert.ok(Number.isFinite(stats.criticLoss) && Number.isFinite(stats.actorLoss));
    const critic = agent.critic.namedParameters();
    agent.target.namedParameters().forEach(([name, t], k) => {
      for (let i = 0; i < t.size; i += 97) {
        const expect = before[k][i] + 0.005 * (critic[k][1].data[i] - before[k][i]);
        close(t.data[i], expect, 1e-6, `${name}[${i}]`);
      }
    });
  });
});

test('train rl (CLI): a short SAC run beats the random policy; rl.json, model.safetensors, play', async () => {
  const out = outDir('short');
  const r = await cli([
    'train',
    'rl',
    '--env',
    'inverted-pendulum',
    '--model',
    'ann',
    '--steps',
    '3000',
    '--warmup',
    '500',
    '--eval-every',
    '1500',
    '--seed',
    '1',
    '--quiet',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(readFileSync(join(out, 'rl.json'), 'utf8'));
  assert.equal(doc.config.model, 'ann');
  assert.deepEqual(
    doc.evals.map((e: { step: number }) => e.step),
    [1500, 3000],
  );
  for (const e of doc.episodes) assert.ok(e.length >= 1 && e.return === e.length, 'reward is 1 per step');
  // The uniformly random policy of the warm-up averages ~5–10 steps on this task.
  const warm = doc.episodes.filter((e: { step: number }) => e.step <= 500);
  const randomMean = warm.reduce((s: number, e: { return: number }) => s + e.return, 0) / warm.length;
  assert.ok(randomMean < 20, `random policy return ${randomMean}`);
  const final = doc.evals[1].meanReturn;
  assert.ok(final > 3 * randomMean && final > 30, `SAC after 3000 steps: ${final} vs random ${randomMean}`);
  const model = loadSafetensors(join(out, 'model.safetensors'));
  assert.ok(model.tensors.has('encoder.weight') && model.tensors.has('mean.2.weight'));
  const play = await cli([
    'play',
    '--checkpoint',
    out,
    '--episodes',
    '10',
    '--seed',
    String(1_000_001),
    '--json',
  ]);
  assert.equal(play.code, 0, play.stderr);
  const p = JSON.parse(play.stdout);
  // Same start states as the run's own evaluation (seed + 10⁶), same deterministic policy.
  close(p.meanReturn, final, 1e-9);
});

test('a killed train rl run resumes to exactly the result of an uninterrupted one', async () => {
  const cfg = resolveRlConfig({
    env: 'inverted-pendulum',
    model: 'hh',
    steps: 900,
    warmup: 200,
    batch: 16,
    evalEvery: 300,
    evalEpisodes: 2,
    seed: 3,
  });
  const whole = outDir('whole');
  const docA = await trainRl(cfg, { out: whole, resume: false });
  const killed = outDir('killed');
  await assert.rejects(
    trainRl(cfg, {
      out: killed,
      resume: false,
      events: {
        step: (s) => {
          if (s.step === 500) throw new Error('simulated kill'); // after the step-300 checkpoint
        },
      },
    }),
    /simulated kill/,
  );
  assert.ok(existsSync(join(killed, 'checkpoint.safetensors')));
  await assert.rejects(trainRl(cfg, { out: killed, resume: false }), /already holds a training run/);
  await assert.rejects(trainRl({ ...cfg, seed: 4 }, { out: killed, resume: true }), /seed was 3, now 4/);
  const docB = await trainRl(cfg, { out: killed, resume: true });
  assert.deepEqual(docB.episodes, docA.episodes);
  assert.deepEqual(docB.evals, docA.evals);
  const a = loadSafetensors(join(whole, 'model.safetensors')).tensors;
  const b = loadSafetensors(join(killed, 'model.safetensors')).tensors;
  for (const [name, t] of a) assert.deepEqual(b.get(name)!.data, t.data, name);
});

test('train rl / play / bench rl reject bad input with clear messages', async () => {
  const bad = await cli(['train', 'rl', '--env', 'cartpole', '--out', outDir('bad')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /expected one of inverted-pendulum, inverted-double-pendulum/);
  const badModel = await cli(['train', 'rl', '--model', 'gru', '--out', outDir('bad')]);
  assert.match(badModel.stderr, /expected one of ann, lif, 4lif, hh, slif2hh/);
  const noise = await cli(['train', 'rl', '--state-noise', '-1', '--steps', '10', '--out', outDir('bad')]);
  assert.notEqual(noise.code, 0);
  assert.match(noise.stderr, /--state-noise.*expected a number ≥ 0/s);
  const missing = await cli(['play', '--checkpoint', join(ROOT, 'nowhere')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /model\.safetensors: cannot read/);
  const bench = await cli(['bench', 'rl', '--model', 'ann', '--steps', '20', '--warmup', '5', '--json']);
  assert.equal(bench.code, 0, bench.stderr);
  const j = JSON.parse(bench.stdout);
  assert.ok(j.msPerStep > 0 && j.msUpdate > 0 && j.msEnv > 0);
});

test('a stop request (SIGINT) mid-episode writes a checkpoint; the resumed run equals an uninterrupted one', async () => {
  const cfg = resolveRlConfig({
    env: 'inverted-pendulum',
    model: 'lif',
    steps: 600,
    warmup: 100,
    batch: 16,
    evalEvery: 300,
    evalEpisodes: 2,
    seed: 5,
  });
  const whole = await trainRl(cfg, { out: outDir('whole-stop'), resume: false });
  const stopped = outDir('stopped');
  try {
    await assert.rejects(
      trainRl(cfg, {
        out: stopped,
        resume: false,
        events: { step: (s) => s.step === 400 && requestInterrupt('SIGINT') },
      }),
      (err: Error) => err instanceof InterruptedError && /SIGINT at step 400/.test(err.message),
    );
  } finally {
    clearInterrupt();
  }
  const resumed = await trainRl(cfg, { out: stopped, resume: true });
  assert.deepEqual(resumed.episodes, whole.episodes);
  assert.deepEqual(resumed.evals, whole.evals);
});
