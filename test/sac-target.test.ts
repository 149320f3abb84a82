// SAC's losses against hand computations: the critics' target r + γ·(1 − done)·(min(Q1', Q2') −
// α·log π(a'|s')), the actor's α·log π − min(Q1, Q2) and the temperature's gradient, both as the
// pure target function and inside update() with critics made constant (their last hidden layer
// silenced, so Q is the output bias).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/util/rng.js';
import { ActorShape, QNetwork } from '../src/rl/networks.js';
import { Batch } from '../src/rl/replay.js';
import { SAC_DEFAULTS, SacSettings, SoftActorCritic, softQTarget } from '../src/rl/sac.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Tensor } from '../src/tensor/tensor.js';
import { close } from './helpers.js';

describe('softQTarget', () => {
  it('takes the smaller critic, whichever it is', () => {
    // r = 1, γ = 0.5, α = 0.2, log π = −1: y = 1 + 0.5·(2 + 0.2) = 2.1.
    const y = softQTarget([1, 1], [0, 0], [2, 4], [4, 2], [-1, -1], 0.2, 0.5);
    close(y[0], 2.1, 1e-6);
    close(y[1], 2.1, 1e-6);
  });

  it('done = 1 leaves the reward alone; the entropy bonus is −α·log π', () => {
    const y = softQTarget(
      [1, -3, 0.5, 0.5],
      [1, 1, 0, 0],
      [2, 2, 0, 0],
      [5, 5, 0, 0],
      [-1, 4, 2, -2],
      0.3,
      0.9,
    );
    close(y[0], 1, 1e-7);
    close(y[1], -3, 1e-7);
    close(y[2], 0.5 + 0.9 * (0 - 0.3 * 2), 1e-6); // a likely action lowers the target
    close(y[3], 0.5 + 0.9 * (0 + 0.3 * 2), 1e-6); // an unlikely one raises it
  });

  it('matches the formula on random inputs', () => {
    const rng = new Rng(1);
    const n = 50;
    const draw = (lo: number, hi: number) => Array.from({ length: n }, () => rng.range(lo, hi));
    const [r, q1, q2, lp] = [draw(-2, 2), draw(-5, 5), draw(-5, 5), draw(-4, 2)];
    const d = Array.from({ length: n }, (_, i) => i % 3 === 0);
    const y = softQTarget(r, d.map(Number), q1, q2, lp, 0.7, 0.95);
    for (let b = 0; b < n; b++) {
      const bootstrap = d[b] ? 0 : 0.95 * (Math.min(q1[b], q2[b]) - 0.7 * lp[b]);
      close(y[b], r[b] + bootstrap, 1e-5 * (1 + Math.abs(y[b])), `sample ${b}`);
    }
  });
});

const SHAPE: ActorShape = {
  kind: 'ann',
  obsSize: 2,
  actionSize: 1,
  window: 2,
  repeats: 1,
  hidden: 6,
  branchHidden: 5,
};

/** Q(s, a) = c for every input: fc2's ReLU outputs are held at 0, so only fc3's bias reaches Q. */
function makeConstant(q: QNetwork, c: number): void {
  q.fc2.weight.data.fill(0);
  q.fc2.bias!.data.fill(-1);
  q.fc3.weight.data.fill(0);
  q.fc3.bias!.data[0] = c;
}

const BATCH: Batch = {
  size: 3,
  obs: Float32Array.of(0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, 0.8, -0.9, 1.0, 0.2, 0.1),
  nextObs: Float32Array.of(0.9, 0.1, -0.4, 0.2, 0.6, -0.3, 0.0, 0.5, 0.8, -0.7, 0.3, 0.3),
  actions: Float32Array.of(0.2, -0.5, 0.9),
  rewards: Float32Array.of(0.5, -1, 2),
  dones: Float32Array.of(0, 1, 0),
};

interface Case {
  /** Target critics' constants (Q1', Q2') and the online critics' (Q1, Q2). */
  target: [number, number];
  online: [number, number];
  settings?: Partial<SacSettings>;
}

/** One update() on BATCH, with the hand-computed losses from the same policy samples. */
function runCase(c: Case) {
  const settings: SacSettings = { ...SAC_DEFAULTS, gamma: 0.9, alpha: 0.5, criticHidden: 4, ...c.settings };
  const agent = new SoftActorCritic(SHAPE, settings, new Rng(3));
  makeConstant(agent.target.q1, c.target[0]);
  makeConstant(agent.target.q2, c.target[1]);
  makeConstant(agent.critic.q1, c.online[0]);
  makeConstant(agent.critic.q2, c.online[1]);
  const B = BATCH.size;
  // update() draws the next-state policy sample, then the current-state one, from its rng.
  const replay = new Rng(9);
  const next = agent.samplePolicy(BATCH.nextObs, B, replay).logProb.data.slice();
  const now = agent.samplePolicy(BATCH.obs, B, replay).logProb.data.slice();
  const alpha = agent.alpha;
  const stats = agent.update(BATCH, new Rng(9));

  const { gamma } = settings;
  const y = Array.from({ length: B }, (_, b) => {
    const soft = Math.min(...c.target) - alpha * next[b];
    return BATCH.rewards[b] + gamma * (1 - BATCH.dones[b]) * soft;
  });
  let criticLoss = 0;
  for (const q of c.online) for (let b = 0; b < B; b++) criticLoss += (q - y[b]) ** 2 / B;
  // The actor sees the critics after their step (each bias moved by about lr).
  const after = [agent.critic.q1.fc3.bias!.data[0], agent.critic.q2.fc3.bias!.data[0]];
  let actorLoss = 0;
  for (let b = 0; b < B; b++) actorLoss += (alpha * now[b] - Math.min(...after)) / B;
  const meanLogProb = now.reduce((s, v) => s + v, 0) / B;
  return { agent, stats, criticLoss, actorLoss, meanLogProb, alpha };
}

describe('SoftActorCritic.update', () => {
  for (const target of [
    [1, 3],
    [3, 1],
  ] as [number, number][]) {
    it(`critic loss regresses both critics on the target (Q1' = ${target[0]}, Q2' = ${target[1]})`, () => {
      const { stats, criticLoss } = runCase({ target, online: [0.25, -0.5] });
      close(
        stats.criticLoss,
        criticLoss,
        1e-5 * criticLoss,
        `critic loss ${stats.criticLoss} vs ${criticLoss}`,
      );
    });
  }

  for (const online of [
    [0.2, -0.7],
    [-0.7, 0.2],
  ] as [number, number][]) {
    it(`actor loss is mean(α·log π − min(Q1, Q2)) (Q1 = ${online[0]}, Q2 = ${online[1]})`, () => {
      const { stats, actorLoss } = runCase({ target: [1, 3], online });
      close(
        stats.actorLoss,
        actorLoss,
        1e-5 * (1 + Math.abs(actorLoss)),
        `${stats.actorLoss} vs ${actorLoss}`,
      );
    });
  }

  it('the target uses the current α: a larger α weighs the entropy bonus more', () => {
    for (const alpha of [0.05, 2]) {
      const { stats, criticLoss } = runCase({ target: [1, 3], online: [0.25, -0.5], settings: { alpha } });
      close(stats.criticLoss, criticLoss, 1e-5 * criticLoss, `α ${alpha}`);
      close(stats.alpha, alpha, 1e-6);
    }
  });

  it('temperature: grad log α = −(mean log π + H̄); α rises when the entropy is below target', () => {
    const lr = SAC_DEFAULTS.lr;
    for (const targetEntropy of [-20, 20]) {
      const { agent, meanLogProb, stats, alpha } = runCase({
        target: [1, 3],
        online: [0.25, -0.5],
        settings: { autoAlpha: true, targetEntropy },
      });
      close(agent.logAlpha.grad![0], -(meanLogProb + targetEntropy), 1e-5 * Math.abs(targetEntropy));
      close(stats.entropy, -meanLogProb, 1e-5 * (1 + Math.abs(meanLogProb)));
      // Adam's first step moves log α by lr against the gradient's sign.
      const direction = Math.sign(meanLogProb + targetEntropy);
      assert.equal(direction, targetEntropy > 0 ? 1 : -1, 'the case sets the direction');
      close(Math.log(agent.alpha), Math.log(alpha) + direction * lr, 1e-3 * lr);
    }
    // Fixed α does not move.
    const fixed = runCase({ target: [1, 3], online: [0.25, -0.5] });
    assert.equal(fixed.agent.alpha, fixed.alpha);
  });
});

// Cases that the mutation run (npm run mutation, docs/reliability.md) showed were not pinned down.
describe('SoftActorCritic settings, act() and what the critics see', () => {
  const make = (s: Partial<SacSettings> = {}) =>
    new SoftActorCritic(SHAPE, { ...SAC_DEFAULTS, criticHidden: 4, ...s }, new Rng(3));

  it('refuses γ outside [0, 1], τ outside (0, 1] and α ≤ 0; the ends of the ranges are allowed', () => {
    for (const gamma of [-0.01, 1.01, NaN])
      assert.throws(() => make({ gamma }), /SAC: gamma must be in \[0, 1\]/);
    for (const tau of [0, 1.01, NaN]) assert.throws(() => make({ tau }), /SAC: tau must be in \(0, 1\]/);
    for (const alpha of [0, -1, NaN]) assert.throws(() => make({ alpha }), /SAC: alpha must be positive/);
    for (const s of [{ gamma: 0 }, { gamma: 1 }, { tau: 1 }, { alpha: 1e-6 }]) make(s);
  });

  it('the optimisers use lr, α starts at alpha, the target entropy defaults to −|A|', () => {
    const agent = make({ lr: 0.0123, alpha: 0.37 });
    for (const opt of [agent.actorOpt, agent.criticOpt, agent.alphaOpt]) assert.equal(opt.lr, 0.0123);
    close(agent.alpha, 0.37, 1e-6);
    assert.equal(agent.targetEntropy, -SHAPE.actionSize);
    assert.equal(make({ targetEntropy: 3 }).targetEntropy, 3);
  });

  it('act: tanh(mean) when deterministic whatever the rng; otherwise a sample in (−1, 1)', () => {
    const agent = make();
    const windows = Float32Array.of(0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, 0.8);
    const mean = noGrad(() => agent.actor.forward(windows, 2).mean.data.map(Math.tanh));
    assert.deepEqual([...agent.act(windows, 2, true, new Rng(1))], [...mean]);
    assert.deepEqual([...agent.act(windows, 2, true, new Rng(2))], [...mean]);
    const sample = agent.act(windows, 2, false, new Rng(1));
    assert.notDeepEqual([...sample], [...mean]);
    assert.notDeepEqual([...sample], [...agent.act(windows, 2, false, new Rng(2))]);
    assert.ok(sample.every((a) => a > -1 && a < 1));
  });

  it('the critics see the newest observation of each window, and still learn on the next update', () => {
    const agent = make({ gamma: 0.9, alpha: 0.5 });
    makeConstant(agent.target.q1, 1);
    makeConstant(agent.target.q2, 3);
    const B = BATCH.size;
    const obsAt = (k: number) =>
      new Tensor(
        Float32Array.from({ length: B * 2 }, (_, i) => BATCH.obs[Math.floor(i / 2) * 4 + 2 * k + (i % 2)]),
        [B, 2],
      );
    const q = (k: number) =>
      noGrad(() =>
        [agent.critic.q1, agent.critic.q2].map((c) => [
          ...c.forward(obsAt(k), new Tensor(BATCH.actions, [B, 1])).data,
        ]),
      );
    const [oldest, newest] = [q(0), q(1)];
    assert.notDeepEqual(oldest, newest, 'the critics depend on the observation');
    const next = agent.samplePolicy(BATCH.nextObs, B, new Rng(9)).logProb.data.slice();
    const stats = agent.update(BATCH, new Rng(9));
    let expected = 0;
    for (const qc of newest)
      for (let b = 0; b < B; b++) {
        const y = BATCH.rewards[b] + 0.9 * (1 - BATCH.dones[b]) * (1 - 0.5 * next[b]);
        expected += (qc[b] - y) ** 2 / B;
      }
    close(stats.criticLoss, expected, 1e-5 * expected, `${stats.criticLoss} vs ${expected}`);
    const bias = agent.critic.q1.fc3.bias!.data[0];
    agent.update(BATCH, new Rng(10));
    assert.notEqual(agent.critic.q1.fc3.bias!.data[0], bias, 'the second update did not move the critic');
  });
});
