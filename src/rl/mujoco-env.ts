/**
 * Gymnasium's MujocoEnv behaviour on the MuJoCo WebAssembly build: an action sets ctrl and the
 * model is stepped frame-skip times; reset restores the model's default state, adds the
 * environment's reset noise and runs mj_forward (Gymnasium's set_state).
 */
import { Rng } from '../util/rng.js';
import { Env, EnvSnapshot, EpisodeState, StepResult, checkAction } from './env.js';
import {
  MainModule,
  MjData,
  MjModel,
  describeMujocoError,
  loadModelXml,
  mujoco,
  readAsset,
} from './mujoco.js';

export interface MujocoEnvSpec {
  id: string;
  asset: string;
  frameSkip: number;
  observationSize: number;
  maxEpisodeSteps: number;
}

export abstract class MujocoEnv implements Env {
  readonly id: string;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly actionLow: readonly number[];
  readonly actionHigh: readonly number[];
  readonly maxEpisodeSteps: number;
  readonly frameSkip: number;
  protected readonly model: MjModel;
  protected readonly data: MjData;
  protected rng = new Rng(0);
  private elapsed = 0;
  private closed = false;
  /** Length of EpisodeState.physics: time, then the arrays of episodeArrays(). */
  private readonly episodeSize: number;

  protected constructor(
    protected readonly mj: MainModule,
    spec: MujocoEnvSpec,
  ) {
    this.id = spec.id;
    this.frameSkip = spec.frameSkip;
    this.observationSize = spec.observationSize;
    this.maxEpisodeSteps = spec.maxEpisodeSteps;
    this.model = loadModelXml(mj, readAsset(spec.asset), spec.asset);
    try {
      this.data = new mj.MjData(this.model);
    } catch (err) {
      this.model.delete();
      throw new Error(`${spec.id}: MuJoCo could not allocate its data: ${describeMujocoError(mj, err)}`);
    }
    this.episodeSize = this.episodeArrays().reduce((n, a) => n + a.length, 1);
    const range = this.model.actuator_ctrlrange as Float64Array;
    this.actionSize = this.model.nu;
    this.actionLow = Array.from({ length: this.actionSize }, (_, i) => range[2 * i]);
    this.actionHigh = Array.from({ length: this.actionSize }, (_, i) => range[2 * i + 1]);
  }

  /** Sets qpos/qvel around the model's default state (the env's reset noise). */
  protected abstract resetNoise(qpos: Float64Array, qvel: Float64Array): void;
  protected abstract observe(): Float64Array;
  protected abstract rewardAndTermination(observation: Float64Array): { reward: number; terminated: boolean };

  reset(seed?: number): Float64Array {
    this.assertOpen();
    if (seed !== undefined) this.rng = new Rng(seed);
    this.mj.mj_resetData(this.model, this.data);
    this.resetNoise(this.data.qpos as Float64Array, this.data.qvel as Float64Array);
    this.mj.mj_forward(this.model, this.data);
    this.elapsed = 0;
    return this.observe();
  }

  step(action: ArrayLike<number>): StepResult {
    this.assertOpen();
    if (this.elapsed >= this.maxEpisodeSteps)
      throw new Error(`${this.id}: step() after the episode was truncated; call reset() first`);
    const a = checkAction(this, action);
    (this.data.ctrl as Float64Array).set(a);
    for (let i = 0; i < this.frameSkip; i++) this.mj.mj_step(this.model, this.data);
    this.elapsed++;
    const observation = this.observe();
    const { reward, terminated } = this.rewardAndTermination(observation);
    return {
      observation,
      reward,
      terminated,
      truncated: !terminated && this.elapsed >= this.maxEpisodeSteps,
    };
  }

  /** MuJoCo's generalized positions now (pendulums: cart x, then hinge angles), for drawing. */
  qpos(): number[] {
    return Array.from(this.data.qpos as Float64Array);
  }

  /** Simulated seconds per step() (the model's time step × frame skip). */
  get stepSeconds(): number {
    return this.model.opt.timestep * this.frameSkip;
  }

  /** Steps taken in the current episode. */
  get episodeSteps(): number {
    return this.elapsed;
  }

  snapshot(): EnvSnapshot {
    const d = this.data;
    return {
      qpos: Array.from(d.qpos as Float64Array),
      qvel: Array.from(d.qvel as Float64Array),
      warmstart: Array.from(d.qacc_warmstart as Float64Array),
      ctrl: Array.from(d.ctrl as Float64Array),
      time: d.time,
      elapsed: this.elapsed,
      rng: this.rng.state(),
    };
  }

  restore(s: EnvSnapshot): void {
    this.assertOpen();
    const d = this.data;
    const fields = [
      ['qpos', d.qpos],
      ['qvel', d.qvel],
      ['warmstart', d.qacc_warmstart],
      ['ctrl', d.ctrl],
    ] as const;
    for (const [name, dst] of fields) {
      const src = s[name];
      if (!Array.isArray(src) || src.length !== (dst as Float64Array).length)
        throw new RangeError(`${this.id}: snapshot field ${name} does not fit this model`);
    }
    this.mj.mj_resetData(this.model, this.data);
    for (const [name, dst] of fields) (dst as Float64Array).set(s[name]);
    d.time = s.time;
    this.elapsed = s.elapsed;
    this.rng.setState(s.rng);
    this.mj.mj_forward(this.model, this.data);
  }

  /**
   * The data step() reads besides time: MuJoCo's integration state less what these environments
   * never change from the reset values (applied forces, mocap, equality flags, user and plugin
   * data). Fresh views each call: views of the wasm memory go stale when it grows.
   */
  private episodeArrays(): Float64Array[] {
    const d = this.data;
    return [d.qpos, d.qvel, d.act, d.qacc_warmstart, d.ctrl] as Float64Array[];
  }

  saveEpisode(into?: EpisodeState): EpisodeState {
    this.assertOpen();
    const s = into ?? { physics: new Float64Array(this.episodeSize), elapsed: 0 };
    if (s.physics.length !== this.episodeSize)
      throw new RangeError(
        `${this.id}: episode state of ${s.physics.length} numbers, expected ${this.episodeSize}`,
      );
    s.physics[0] = this.data.time;
    let k = 1;
    for (const a of this.episodeArrays()) {
      s.physics.set(a, k);
      k += a.length;
    }
    s.elapsed = this.elapsed;
    return s;
  }

  loadEpisode(s: EpisodeState): void {
    this.assertOpen();
    if (s.physics.length !== this.episodeSize)
      throw new RangeError(
        `${this.id}: episode state of ${s.physics.length} numbers, expected ${this.episodeSize}`,
      );
    // No mj_forward: step() recomputes everything from this state before integrating.
    this.data.time = s.physics[0];
    let k = 1;
    for (const a of this.episodeArrays()) {
      a.set(s.physics.subarray(k, k + a.length));
      k += a.length;
    }
    this.elapsed = s.elapsed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.data.delete();
    this.model.delete();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.id}: the environment was closed`);
  }
}

/** Loads MuJoCo (once) and builds an environment. */
export async function withMujoco<E>(make: (mj: MainModule) => E): Promise<E> {
  return make(await mujoco());
}
