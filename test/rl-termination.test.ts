// The pendulums' termination rules pinned at their boundaries. Gymnasium's definitions
// (gymnasium/envs/mujoco/inverted_pendulum_v4.py and inverted_double_pendulum_v4.py, step()):
//   InvertedPendulum:       terminated = not np.isfinite(ob).all() or abs(ob[1]) > 0.2
//   InvertedDoublePendulum: x, _, y = data.site_xpos[0]; terminated = y <= 1
// (v5 keeps both rules.) Each rule is checked on states set exactly at, just inside and just
// outside the boundary, and through step() from starts found by bisection whose next observation
// lands within 1e-9 of the boundary on either side.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvertedDoublePendulumEnv, InvertedPendulumEnv } from '../src/rl/pendulums.js';
import { MujocoEnv, withMujoco } from '../src/rl/mujoco-env.js';
import { EnvSnapshot, StepResult } from '../src/rl/env.js';
import type { MainModule } from '../src/rl/mujoco.js';

/** Exposes the rule, applied to a given observation or to a state set with restore(). */
class PendulumProbe extends InvertedPendulumEnv {
  ruleOn(ob: Float64Array): boolean {
    return this.rewardAndTermination(ob).terminated;
  }
  ruleAt(qpos: number[], qvel: number[]): boolean {
    this.restore({ ...this.snapshot(), qpos, qvel });
    return this.ruleOn(this.observe());
  }
}

class DoublePendulumProbe extends InvertedDoublePendulumEnv {
  /** When set, replaces the simulated tip position (to hit y = 1 exactly). */
  tip: [number, number] | null = null;
  override tipPosition(): [number, number] {
    return this.tip ?? super.tipPosition();
  }
  ruleAt(qpos: number[], qvel: number[]): boolean {
    this.restore({ ...this.snapshot(), qpos, qvel });
    return this.rewardAndTermination().terminated;
  }
}

const opened: MujocoEnv[] = [];
after(() => opened.forEach((e) => e.close()));
async function open<E extends MujocoEnv>(make: (mj: MainModule) => E): Promise<E> {
  const env = await withMujoco(make);
  opened.push(env);
  return env;
}

/** x moved by one relative ε (a double or two) down or up. */
const below = (x: number): number => x - Math.abs(x) * Number.EPSILON;
const above = (x: number): number => x + Math.abs(x) * Number.EPSILON;

/**
 * Bisection on the start parameter λ of `start(λ)` for the point where the quantity `metric`, read
 * right after one step(0), crosses the rule's boundary (`beyond`: the side the rule calls
 * terminal; metric increasing in λ over [lo, hi]); returns the step results of the two final
 * brackets.
 */
function straddle(
  env: MujocoEnv,
  start: (lambda: number) => Pick<EnvSnapshot, 'qpos' | 'qvel'>,
  metric: (r: StepResult) => number,
  beyond: (m: number) => boolean,
  [lo, hi]: [number, number],
): { inside: StepResult; outside: StepResult; gap: number } {
  env.reset(0);
  const base = env.snapshot();
  const stepFrom = (lambda: number): { r: StepResult; m: number } => {
    env.restore({ ...base, ...start(lambda) });
    const r = env.step([0]);
    return { r, m: metric(r) };
  };
  let a = stepFrom(lo);
  let b = stepFrom(hi);
  assert.ok(!beyond(a.m) && beyond(b.m), `the bracket straddles the boundary: ${a.m}, ${b.m}`);
  for (let i = 0; i < 200 && b.m - a.m > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    const c = stepFrom(mid);
    if (beyond(c.m)) [hi, b] = [mid, c];
    else [lo, a] = [mid, c];
  }
  return { inside: a.r, outside: b.r, gap: b.m - a.m };
}

describe('InvertedPendulum termination: |θ| > 0.2 rad or a non-finite observation', () => {
  it('the limit is Gymnasium’s 0.2 rad', () => {
    assert.equal(InvertedPendulumEnv.POLE_LIMIT, 0.2);
  });

  it('θ = ±0.2 exactly is not terminal; one ε beyond it is, on both sides', async () => {
    const env = await open((mj) => new PendulumProbe(mj));
    env.reset(0);
    for (const sign of [1, -1]) {
      assert.equal(env.ruleAt([0, sign * 0.2], [0, 0]), false, `θ = ${sign * 0.2}`);
      assert.equal(env.ruleAt([0, sign * below(0.2)], [0, 0]), false);
      assert.equal(env.ruleAt([0, sign * above(0.2)], [0, 0]), true, `θ = ${sign * above(0.2)}`);
    }
    // Cart position and velocities do not enter the angle rule.
    assert.equal(env.ruleAt([0.9, 0.19], [5, -5]), false);
  });

  it('any non-finite observation entry is terminal', async () => {
    const env = await open((mj) => new PendulumProbe(mj));
    assert.equal(env.ruleOn(Float64Array.of(0, 0, 0, 0)), false);
    for (let i = 0; i < 4; i++)
      for (const bad of [NaN, Infinity, -Infinity]) {
        const ob = new Float64Array(4);
        ob[i] = bad;
        assert.equal(env.ruleOn(ob), true, `obs[${i}] = ${bad}`);
      }
  });

  it('through step(): an observation just inside 0.2 continues, just outside terminates', async () => {
    const env = await open((mj) => new PendulumProbe(mj));
    for (const sign of [1, -1]) {
      // A pole released at rest from θ0 falls outwards: the next |θ| grows with |θ0|.
      const { inside, outside, gap } = straddle(
        env,
        (t) => ({ qpos: [0, sign * t], qvel: [0, 0] }),
        (r) => Math.abs(r.observation[1]),
        (m) => m > 0.2,
        [0.15, 0.2],
      );
      assert.ok(gap <= 1e-9, `bisection gap ${gap}`);
      assert.equal(inside.terminated, false, `θ ${inside.observation[1]}`);
      assert.equal(inside.reward, 1);
      assert.equal(outside.terminated, true, `θ ${outside.observation[1]}`);
      assert.equal(outside.truncated, false);
    }
  });
});

describe('InvertedDoublePendulum termination: tip height y ≤ 1', () => {
  it('the limit is Gymnasium’s 1 m (upright tip at 1.2 m)', async () => {
    assert.equal(InvertedDoublePendulumEnv.MIN_TIP_HEIGHT, 1);
    const env = await open((mj) => new DoublePendulumProbe(mj));
    env.reset(0);
    assert.equal(env.ruleAt([0, 0, 0], [0, 0, 0]), false);
    assert.ok(Math.abs(env.tipPosition()[1] - 1.2) < 1e-12);
  });

  it('y = 1 exactly is terminal (≤, not <); one ε above is not', async () => {
    const env = await open((mj) => new DoublePendulumProbe(mj));
    env.reset(0);
    const at = (y: number): boolean => {
      env.tip = [0, y];
      try {
        return env.ruleAt([0, 0, 0], [0, 0, 0]);
      } finally {
        env.tip = null;
      }
    };
    assert.equal(at(1), true);
    assert.equal(at(below(1)), true);
    assert.equal(at(above(1)), false);
  });

  it('the simulated tip: second pole bent to just above / below y = 1', async () => {
    const env = await open((mj) => new DoublePendulumProbe(mj));
    env.reset(0);
    // y = 0.6·cos θ1 + 0.6·cos(θ1 + θ2): with θ1 = 0, y = 1 at θ2 = acos(2/3).
    const bend = Math.acos(2 / 3);
    for (const sign of [1, -1]) {
      const inside = env.ruleAt([0, 0, sign * (bend - 1e-6)], [0, 0, 0]);
      const yIn = env.tipPosition()[1];
      const outside = env.ruleAt([0, 0, sign * (bend + 1e-6)], [0, 0, 0]);
      const yOut = env.tipPosition()[1];
      assert.ok(yIn > 1 && yIn - 1 < 1e-6 && yOut <= 1 && 1 - yOut < 1e-6, `y ${yIn} / ${yOut}`);
      assert.equal(inside, false, `y = ${yIn}`);
      assert.equal(outside, true, `y = ${yOut}`);
    }
  });

  it('through step(): a tip just above 1 continues, just at or below terminates', async () => {
    const env = await open((mj) => new DoublePendulumProbe(mj));
    for (const sign of [1, -1]) {
      // Released at rest with the second pole bent by θ2, the tip falls: the next y drops with θ2.
      const { inside, outside, gap } = straddle(
        env,
        (t) => ({ qpos: [0, 0, sign * t], qvel: [0, 0, 0] }),
        () => -env.tipPosition()[1],
        (m) => m >= -1,
        [0.7, 0.9],
      );
      assert.ok(gap <= 1e-9, `bisection gap ${gap}`);
      assert.equal(inside.terminated, false, 'tip just above 1 m');
      assert.equal(outside.terminated, true, 'tip just below 1 m');
    }
  });
});
