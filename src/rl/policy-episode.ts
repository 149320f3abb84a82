/**
 * One deterministic-policy episode, a step at a time: what evaluatePolicy (and so `hhnet play`)
 * does for one episode with seed `seed` — the same resets, noise draws, actor calls and action
 * scaling in the same order — for callers that show each step as it happens (the browser's
 * control page).
 */
import { Rng } from '../util/rng.js';
import { Env } from './env.js';
import { addNoise, scaleAction } from './evaluate.js';
import { SoftActorCritic } from './sac.js';
import { ObservationWindow, WindowPadding } from './window.js';

export interface PolicyStep {
  /** The policy's action in [−1, 1], and as applied to the environment. */
  action: Float32Array;
  applied: Float64Array;
  observation: Float64Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

export class PolicyEpisode {
  readonly window: ObservationWindow;
  return = 0;
  length = 0;
  done = false;
  /** Ended by the environment's termination rule (not its time limit). */
  terminated = false;
  private readonly noise: Rng;
  private readonly stateNoise: number;

  constructor(
    readonly agent: SoftActorCritic,
    readonly env: Env,
    opts: { seed: number; stateNoise: number; padding: WindowPadding },
  ) {
    const { window, obsSize } = agent.shape;
    this.noise = new Rng(opts.seed ^ 0x5eed); // evaluatePolicy's noise generator
    this.stateNoise = opts.stateNoise;
    this.window = new ObservationWindow(window, obsSize, opts.padding);
    this.window.reset(addNoise(env.reset(opts.seed), opts.stateNoise, this.noise));
  }

  /** The actor's next input: W observations, oldest first. */
  get frames(): Float32Array {
    return this.window.frames;
  }

  step(): PolicyStep {
    if (this.done) throw new Error('PolicyEpisode: the episode has ended');
    const action = this.agent.act(this.window.frames.slice(), 1, true, this.noise);
    const applied = scaleAction(this.env, action);
    const r = this.env.step(applied);
    this.return += r.reward;
    this.length++;
    this.terminated = r.terminated;
    if (r.terminated || r.truncated) this.done = true;
    else this.window.push(addNoise(r.observation.slice(), this.stateNoise, this.noise));
    return { action, applied, ...r };
  }
}
