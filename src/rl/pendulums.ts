/**
 * Gymnasium's InvertedPendulum-v4 and InvertedDoublePendulum-v4 on MuJoCo WebAssembly: the same
 * MJCF models (assets/mujoco), frame skip, reset noise, observations, rewards, termination rules
 * and 1000-step time limit.
 */
import { Env } from './env.js';
import { MainModule } from './mujoco.js';
import { MujocoEnv, withMujoco } from './mujoco-env.js';

/** Cart + pole. Observation [x, θ, ẋ, θ̇]; reward 1 per step; terminated when |θ| > 0.2 rad. */
export class InvertedPendulumEnv extends MujocoEnv {
  static readonly POLE_LIMIT = 0.2;

  constructor(mj: MainModule) {
    super(mj, {
      id: 'inverted-pendulum',
      asset: 'inverted_pendulum.xml',
      frameSkip: 2,
      observationSize: 4,
      maxEpisodeSteps: 1000,
    });
  }

  protected resetNoise(qpos: Float64Array, qvel: Float64Array): void {
    for (let i = 0; i < qpos.length; i++) qpos[i] += this.rng.range(-0.01, 0.01);
    for (let i = 0; i < qvel.length; i++) qvel[i] += this.rng.range(-0.01, 0.01);
  }

  protected observe(): Float64Array {
    const qpos = this.data.qpos as Float64Array;
    const qvel = this.data.qvel as Float64Array;
    return Float64Array.of(qpos[0], qpos[1], qvel[0], qvel[1]);
  }

  protected rewardAndTermination(ob: Float64Array): { reward: number; terminated: boolean } {
    const finite = ob.every((x) => Number.isFinite(x));
    return { reward: 1, terminated: !finite || Math.abs(ob[1]) > InvertedPendulumEnv.POLE_LIMIT };
  }
}

/**
 * Cart + two poles. Observation (11): [x, sin θ1, sin θ2, cos θ1, cos θ2, ẋ, θ̇1, θ̇2 (clipped to
 * ±10), constraint forces (3, clipped to ±10)]. Reward 10 − 0.01·x_tip² − (y_tip − 2)² −
 * 1e-3·θ̇1² − 5e-3·θ̇2²; terminated when the tip's height y ≤ 1.
 */
export class InvertedDoublePendulumEnv extends MujocoEnv {
  static readonly MIN_TIP_HEIGHT = 1;

  constructor(mj: MainModule) {
    super(mj, {
      id: 'inverted-double-pendulum',
      asset: 'inverted_double_pendulum.xml',
      frameSkip: 5,
      observationSize: 11,
      maxEpisodeSteps: 1000,
    });
  }

  protected resetNoise(qpos: Float64Array, qvel: Float64Array): void {
    for (let i = 0; i < qpos.length; i++) qpos[i] += this.rng.range(-0.1, 0.1);
    for (let i = 0; i < qvel.length; i++) qvel[i] += this.rng.normal() * 0.1;
  }

  protected observe(): Float64Array {
    const qpos = this.data.qpos as Float64Array;
    const qvel = this.data.qvel as Float64Array;
    const qfrc = this.data.qfrc_constraint as Float64Array;
    const clip = (x: number): number => Math.min(10, Math.max(-10, x));
    return Float64Array.of(
      qpos[0],
      Math.sin(qpos[1]),
      Math.sin(qpos[2]),
      Math.cos(qpos[1]),
      Math.cos(qpos[2]),
      clip(qvel[0]),
      clip(qvel[1]),
      clip(qvel[2]),
      clip(qfrc[0]),
      clip(qfrc[1]),
      clip(qfrc[2]),
    );
  }

  /** The tip site's world position (x, z), as Gymnasium reads site_xpos[0]. */
  tipPosition(): [number, number] {
    const site = this.data.site_xpos as Float64Array;
    return [site[0], site[2]];
  }

  protected rewardAndTermination(): { reward: number; terminated: boolean } {
    const [x, y] = this.tipPosition();
    const qvel = this.data.qvel as Float64Array;
    const v1 = qvel[1];
    const v2 = qvel[2];
    const distPenalty = 0.01 * x * x + (y - 2) ** 2;
    const velPenalty = 1e-3 * v1 * v1 + 5e-3 * v2 * v2;
    return {
      reward: 10 - distPenalty - velPenalty,
      terminated: y <= InvertedDoublePendulumEnv.MIN_TIP_HEIGHT,
    };
  }
}

export const ENV_NAMES = ['inverted-pendulum', 'inverted-double-pendulum'] as const;
export type EnvName = (typeof ENV_NAMES)[number];

export function isEnvName(name: string): name is EnvName {
  return (ENV_NAMES as readonly string[]).includes(name);
}

/** Builds a named environment (loads MuJoCo on first use). */
export async function makeEnv(name: string): Promise<Env & MujocoEnv> {
  if (!isEnvName(name))
    throw new RangeError(`unknown environment '${name}'; expected one of ${ENV_NAMES.join(', ')}`);
  return withMujoco((mj) =>
    name === 'inverted-pendulum' ? new InvertedPendulumEnv(mj) : new InvertedDoublePendulumEnv(mj),
  );
}

/** Runs `use` on a new environment and closes it afterwards, also when `use` throws. */
export async function withEnv<T>(name: string, use: (env: Env & MujocoEnv) => T | Promise<T>): Promise<T> {
  const env = await makeEnv(name);
  try {
    return await use(env);
  } finally {
    env.close();
  }
}
