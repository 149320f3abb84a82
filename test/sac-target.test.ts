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
