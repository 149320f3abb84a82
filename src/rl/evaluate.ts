/**
 * Deterministic-policy evaluation: N episodes run in lock-step (one batched actor call per step
 * for all running episodes), scored with the environment's own reward. Episode i is reset with
 * seed base + i, so every evaluation of a run sees the same start states. All episodes share one
 * environment, each stepped in turn from its saved state, so memory does not grow with N.
 */
import { Rng } from '../util/rng.js';
import { Env, EpisodeState } from './env.js';
import { SoftActorCritic } from './sac.js';
import { ObservationWindow, WindowPadding } from './window.js';

export interface EvaluationResult {
  meanReturn: number;
  meanLength: number;
  returns: number[];
  lengths: number[];
}

export interface EvaluationOptions {
  episodes: number;
  /** Seed of episode 0's start state. */
  seed: number;
  /** σ of observation noise (the robustness condition applies at evaluation too). */
  stateNoise: number;
  padding: WindowPadding;
}

/** Maps a policy action in [−1, 1] onto the environment's bounds. */
export function scaleAction(
  env: Env,
  a: ArrayLike<number>,
  out = new Float64Array(env.actionSize),
): Float64Array {
  for (let i = 0; i < env.actionSize; i++) {
    const lo = env.actionLow[i];
    const hi = env.actionHigh[i];
    out[i] = lo + ((a[i] + 1) / 2) * (hi - lo);
  }
  return out;
}

/** Adds N(0, σ²) to each entry in place (no-op for σ = 0, so no random numbers are drawn). */
export function addNoise(x: Float64Array, sigma: number, rng: Rng): Float64Array {
  if (sigma > 0) for (let i = 0; i < x.length; i++) x[i] += sigma * rng.normal();
  return x;
}

/** Runs opts.episodes episodes on `env` (which it leaves open; its current episode is lost). */
export function evaluatePolicy(agent: SoftActorCritic, env: Env, opts: EvaluationOptions): EvaluationResult {
  const { obsSize, window, actionSize } = agent.shape;
  const n = opts.episodes;
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`evaluation: episodes must be a positive integer, got ${n}`);
  const noise = new Rng(opts.seed ^ 0x5eed);
  const windows: ObservationWindow[] = [];
  const states: EpisodeState[] = [];
  for (let i = 0; i < n; i++) {
    windows.push(new ObservationWindow(window, obsSize, opts.padding));
    windows[i].reset(addNoise(env.reset(opts.seed + i), opts.stateNoise, noise));
    states.push(env.saveEpisode());
  }
  const returns = new Array<number>(n).fill(0);
  const lengths = new Array<number>(n).fill(0);
  let running = Array.from({ length: n }, (_, i) => i);
  const W = window * obsSize;
  const action = new Float64Array(env.actionSize);
  while (running.length) {
    const batch = new Float32Array(running.length * W);
    running.forEach((i, k) => batch.set(windows[i].frames, k * W));
    const actions = agent.act(batch, running.length, true, noise);
    const still: number[] = [];
    running.forEach((i, k) => {
      env.loadEpisode(states[i]);
      const r = env.step(scaleAction(env, actions.subarray(k * actionSize, (k + 1) * actionSize), action));
      returns[i] += r.reward;
      lengths[i]++;
      if (r.terminated || r.truncated) return;
      env.saveEpisode(states[i]);
      windows[i].push(addNoise(r.observation, opts.stateNoise, noise));
      still.push(i);
    });
    running = still;
  }
  return {
    meanReturn: returns.reduce((s, x) => s + x, 0) / n,
    meanLength: lengths.reduce((s, x) => s + x, 0) / n,
    returns,
    lengths,
  };
}
