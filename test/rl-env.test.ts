// The MuJoCo pendulums against Gymnasium v4's definitions: sizes, bounds, reset noise, rewards,
// termination and truncation rules, determinism, exact snapshot/restore, and physics sanity.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvertedDoublePendulumEnv, InvertedPendulumEnv, makeEnv, withEnv } from '../src/rl/pendulums.js';
import { MujocoEnv } from '../src/rl/mujoco-env.js';
import { Rng } from '../src/util/rng.js';
import { close } from './helpers.js';

const opened: MujocoEnv[] = [];
async function open(name: string): Promise<MujocoEnv> {
  const env = await makeEnv(name);
  opened.push(env);
  return env;
}
after(() => opened.forEach((e) => e.close()));

/** Runs a fixed action sequence; returns every observation and reward. */
function rollout(env: MujocoEnv, seed: number, actions: number[]): { obs: number[][]; rewards: number[] } {
  const obs = [Array.from(env.reset(seed))];
  const rewards: number[] = [];
  for (const a of actions) {
    const r = env.step([a]);
    obs.push(Array.from(r.observation));
    rewards.push(r.reward);
    if (r.terminated || r.truncated) break;
  }
  return { obs, rewards };
}

/** Zero action until the episode ends; returns the steps taken and the last result. */
function untilDone(env: MujocoEnv, limit = 2000) {
  for (let i = 1; i <= limit; i++) {
    const r = env.step([0]);
    if (r.terminated || r.truncated) return { steps: i, last: r };
  }
  throw new Error('episode did not end');
}

describe('inverted-pendulum (InvertedPendulum-v4)', () => {
  it('has 4 observations, one action in [−3, 3], frame skip 2 and a 1000-step limit', async () => {
    const env = await open('inverted-pendulum');
    assert.equal(env.observationSize, 4);
    assert.equal(env.actionSize, 1);
    assert.deepEqual([env.actionLow[0], env.actionHigh[0]], [-3, 3]);
    assert.equal(env.frameSkip, 2);
    assert.equal(env.maxEpisodeSteps, 1000);
    assert.equal(env.reset(0).length, 4);
  });

  it('resets within ±0.01 of upright rest, reproducibly per seed', async () => {
    const env = await open('inverted-pendulum');
    for (let seed = 0; seed < 20; seed++) {
      const ob = env.reset(seed);
      for (const x of ob) assert.ok(Math.abs(x) <= 0.01, `seed ${seed}: ${Array.from(ob)}`);
    }
    assert.deepEqual(Array.from(env.reset(7)), Array.from(env.reset(7)));
    assert.notDeepEqual(Array.from(env.reset(7)), Array.from(env.reset(8)));
  });

  it('gives the same trajectory for the same seed and actions', async () => {
    const a = await open('inverted-pendulum');
    const b = await open('inverted-pendulum');
    const rng = new Rng(4);
    const actions = Array.from({ length: 60 }, () => rng.range(-3, 3));
    assert.deepEqual(rollout(a, 3, actions), rollout(b, 3, actions));
  });

  it('terminates on the first step with |θ| > 0.2 rad, reward 1 per step', async () => {
    const env = await open('inverted-pendulum');
    env.reset(1);
    let steps = 0;
    for (;;) {
      const r = env.step([0.5]);
      steps++;
      assert.equal(r.reward, 1);
      if (r.terminated) {
        assert.ok(Math.abs(r.observation[1]) > 0.2);
        assert.equal(r.truncated, false);
        break;
      }
      assert.ok(Math.abs(r.observation[1]) <= 0.2, `step ${steps}: θ ${r.observation[1]} but not terminated`);
    }
    assert.ok(steps < 100, `a constant push should topple the pole quickly, took ${steps} steps`);
  });

  it('an uncontrolled pole falls; from exact upright rest it stays up for a while', async () => {
    const env = await open('inverted-pendulum');
    env.reset(2);
    const fall = untilDone(env);
    assert.ok(fall.last.terminated && fall.steps < 200, `fell after ${fall.steps} steps`);
    env.reset(2);
    const s = env.snapshot();
    env.restore({ ...s, qpos: [0, 0], qvel: [0, 0] });
    const rest = untilDone(env);
    assert.ok(rest.steps > fall.steps && rest.steps >= 30, `upright rest lasted only ${rest.steps} steps`);
  });

  it('truncates (not terminates) at 1000 steps and refuses to step past it', async () => {
    const env = await open('inverted-pendulum');
    env.reset(0);
    env.restore({ ...env.snapshot(), qpos: [0, 0], qvel: [0, 0], elapsed: 998 });
    const r999 = env.step([0]);
    assert.equal(r999.truncated, false);
    const r1000 = env.step([0]);
    assert.equal(r1000.truncated, true);
    assert.equal(r1000.terminated, false);
    assert.throws(() => env.step([0]), /truncated; call reset/);
  });

  it('rejects actions of the wrong length or non-finite, clips out-of-range ones', async () => {
    const env = await open('inverted-pendulum');
    env.reset(0);
    assert.throws(() => env.step([]), /has 0 values, expected 1/);
    assert.throws(() => env.step([1, 2]), /has 2 values, expected 1/);
    assert.throws(() => env.step([Number.NaN]), /action\[0\] is NaN/);
    assert.throws(() => env.step([Infinity]), /finite/);
    const clipped = rollout(env, 5, [100, -100, 100]);
    const bound = rollout(env, 5, [3, -3, 3]);
    assert.deepEqual(clipped, bound);
  });

  it('snapshot/restore continues the exact trajectory', async () => {
    const env = await open('inverted-pendulum');
    env.reset(9);
    for (let i = 0; i < 5; i++) env.step([0.3]);
    const snap = env.snapshot();
    const first = [0.1, -0.2, 0.4].map((a) => Array.from(env.step([a]).observation));
    env.reset(123);
    env.restore(snap);
    const again = [0.1, -0.2, 0.4].map((a) => Array.from(env.step([a]).observation));
    assert.deepEqual(again, first);
    assert.throws(() => env.restore({ ...snap, qpos: [0] }), /qpos does not fit/);
  });
});

describe('inverted-double-pendulum (InvertedDoublePendulum-v4)', () => {
  it('has 11 observations, one action in [−1, 1], frame skip 5', async () => {
    const env = await open('inverted-double-pendulum');
    assert.ok(env instanceof InvertedDoublePendulumEnv);
    assert.equal(env.observationSize, 11);
    assert.deepEqual([env.actionLow[0], env.actionHigh[0]], [-1, 1]);
    assert.equal(env.frameSkip, 5);
    const ob = env.reset(0);
    assert.equal(ob.length, 11);
    // sin/cos pairs of the two hinge angles
    close(ob[1] ** 2 + ob[3] ** 2, 1, 1e-12);
    close(ob[2] ** 2 + ob[4] ** 2, 1, 1e-12);
  });

  it('reward at upright rest is 10 − (1.2 − 2)² = 9.36 (tip at 1.2 m); terminates when the tip is ≤ 1 m', async () => {
    const env = await open('inverted-double-pendulum');
    env.reset(0);
    env.restore({ ...env.snapshot(), qpos: [0, 0, 0], qvel: [0, 0, 0] });
    const r = env.step([0]);
    close(r.reward, 10 - 0.64, 1e-3);
    assert.equal(r.terminated, false);
    env.reset(3);
    const done = untilDone(env);
    assert.ok(done.last.terminated, 'an uncontrolled double pendulum falls');
    assert.ok((env as InvertedDoublePendulumEnv).tipPosition()[1] <= 1);
    assert.ok(done.steps < 100);
  });

  it('velocities and constraint forces are clipped to ±10', async () => {
    const env = await open('inverted-double-pendulum');
    env.reset(0);
    env.restore({ ...env.snapshot(), qvel: [0, 40, -40] });
    const ob = env.step([1]).observation;
    for (let i = 5; i < 11; i++) assert.ok(Math.abs(ob[i]) <= 10, `obs[${i}] = ${ob[i]}`);
  });

  it('is reproducible per seed and action sequence', async () => {
    const a = await open('inverted-double-pendulum');
    const actions = [0.5, -0.5, 1, -1, 0.2, 0, 0, 0.3];
    assert.deepEqual(rollout(a, 11, actions), rollout(a, 11, actions));
    assert.ok(!(a instanceof InvertedPendulumEnv));
  });
});

describe('episodes in turns on one environment (saveEpisode/loadEpisode)', () => {
  // Each action sweeps the cart back and forth into the rail limits, so constraint forces and the
  // solver's warm start take part, and they differ between episodes.
  const action = (t: number, i: number): number[] => [Math.sin(0.07 * t + 2 * i) > 0 ? 1 : -1];

  for (const name of ['inverted-pendulum', 'inverted-double-pendulum']) {
    it(`${name}: follow exactly the trajectories of separate environments`, async () => {
      const seeds = [1, 2, 3];
      const steps = 200;
      const separate = await Promise.all(seeds.map(() => open(name)));
      const expected = seeds.map((seed, i) => {
        const obs = [Array.from(separate[i].reset(seed))];
        for (let t = 0; t < steps; t++) obs.push(Array.from(separate[i].step(action(t, i)).observation));
        return obs;
      });
      const env = await open(name);
      const got: number[][][] = [];
      const states = seeds.map((seed) => {
        got.push([Array.from(env.reset(seed))]);
        return env.saveEpisode();
      });
      for (let t = 0; t < steps; t++)
        seeds.forEach((_, i) => {
          env.loadEpisode(states[i]);
          got[i].push(Array.from(env.step(action(t, i)).observation));
          env.saveEpisode(states[i]);
        });
      assert.deepEqual(got, expected);
      assert.notDeepEqual(got[0], got[1]);
      if (name === 'inverted-double-pendulum')
        assert.ok(
          expected[0].some((ob) => ob[8] !== 0),
          'the cart reaches a rail limit (constraint force on the slider)',
        );
      assert.equal(states[0].elapsed, steps);
    });
  }

  it('a saved state fits only its model; a closed environment refuses', async () => {
    const single = await open('inverted-pendulum');
    const double = await open('inverted-double-pendulum');
    single.reset(0);
    double.reset(0);
    assert.throws(
      () => double.loadEpisode(single.saveEpisode()),
      /episode state of \d+ numbers, expected \d+/,
    );
    const env = await makeEnv('inverted-pendulum');
    env.reset(0);
    const s = env.saveEpisode();
    env.close();
    assert.throws(() => env.loadEpisode(s), /was closed/);
  });
});

// Cases that the mutation run (npm run mutation, docs/reliability.md) showed were not pinned down.
describe('reset noise, observation clipping, reward and withEnv, exactly', () => {
  /** qpos and qvel after reset(seed) for seeds 0..n−1, one row per seed. */
  function resets(env: MujocoEnv, n: number): { qpos: number[][]; qvel: number[][] } {
    const qpos: number[][] = [];
    const qvel: number[][] = [];
    for (let seed = 0; seed < n; seed++) {
      env.reset(seed);
      const s = env.snapshot();
      qpos.push(s.qpos);
      qvel.push(s.qvel);
    }
    return { qpos, qvel };
  }
  const column = (rows: number[][], j: number) => rows.map((r) => r[j]);

  it('inverted-pendulum: every qpos and qvel entry is drawn from U(−0.01, 0.01)', async () => {
    const { qpos, qvel } = resets(await open('inverted-pendulum'), 20);
    for (const rows of [qpos, qvel])
      for (let j = 0; j < rows[0].length; j++) {
        const c = column(rows, j);
        assert.ok(
          c.every((v) => Math.abs(v) <= 0.01) && c.some((v) => v > 0.002) && c.some((v) => v < -0.002),
          `${c}`,
        );
      }
  });

  it('inverted-double-pendulum: qpos from U(−0.1, 0.1), qvel from N(0, 0.1²)', async () => {
    const { qpos, qvel } = resets(await open('inverted-double-pendulum'), 30);
    for (let j = 0; j < 3; j++) {
      const p = column(qpos, j);
      assert.ok(
        p.every((v) => Math.abs(v) <= 0.1) && p.some((v) => v > 0.02) && p.some((v) => v < -0.02),
        `${p}`,
      );
      const v = column(qvel, j);
      const rms = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
      assert.ok(rms > 0.06 && rms < 0.15, `qvel[${j}]: rms ${rms}`);
    }
  });

  it('inverted-double-pendulum: velocities inside ±10 are observed as they are; the reward has both velocity penalties', async () => {
    const env = (await open('inverted-double-pendulum')) as InvertedDoublePendulumEnv;
    env.reset(0);
    env.restore({ ...env.snapshot(), qvel: [0.5, 40, -40] });
    const r = env.step([0.3]);
    const v = env.snapshot().qvel;
    assert.ok(Math.abs(v[0]) > 0.01 && Math.abs(v[0]) < 10 && Math.abs(v[1]) > 10, `qvel ${v}`);
    for (let i = 0; i < 3; i++) assert.equal(r.observation[5 + i], Math.min(10, Math.max(-10, v[i])));
    const [x, y] = env.tipPosition();
    const expected = 10 - 0.01 * x * x - (y - 2) ** 2 - 1e-3 * v[1] ** 2 - 5e-3 * v[2] ** 2;
    close(r.reward, expected, 1e-9);
  });

  it('withEnv closes the environment after use, also when use throws; unknown names are refused', async () => {
    let kept: MujocoEnv | undefined;
    const result = await withEnv('inverted-pendulum', (env) => {
      kept = env;
      return env.reset(0).length;
    });
    assert.equal(result, 4);
    assert.throws(() => kept!.reset(0), /inverted-pendulum: the environment was closed/);
    await assert.rejects(
      withEnv('inverted-double-pendulum', (env) => {
        kept = env;
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.throws(() => kept!.reset(0), /inverted-double-pendulum: the environment was closed/);
    await assert.rejects(
      makeEnv('pendulum'),
      /unknown environment 'pendulum'; expected one of inverted-pendulum, inverted-double-pendulum/,
    );
  });
});
