/**
 * The environment interface every hhnet RL environment implements (Gymnasium's contract, in
 * TypeScript): reset(seed) → observation; step(action) → observation, reward, terminated,
 * truncated. Terminated means the task ended (no bootstrapping past it); truncated means the
 * time limit cut the episode short (the value of the next state still counts).
 */

export interface StepResult {
  observation: Float64Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

/** Everything needed to continue an episode exactly where it was (for checkpoints). */
export interface EnvSnapshot {
  qpos: number[];
  qvel: number[];
  warmstart: number[];
  ctrl: number[];
  time: number;
  elapsed: number;
  rng: (number | null)[];
}

/**
 * What step() continues from: the physics state and the step count (not the reset-noise
 * generator, which only reset() uses). Saving one per episode lets a single environment run many
 * episodes in turns (evaluatePolicy) with memory that does not grow with the episode count.
 */
export interface EpisodeState {
  readonly physics: Float64Array;
  elapsed: number;
}

export interface Env {
  readonly id: string;
  readonly observationSize: number;
  readonly actionSize: number;
  readonly actionLow: readonly number[];
  readonly actionHigh: readonly number[];
  /** Steps after which an episode is truncated. */
  readonly maxEpisodeSteps: number;
  /** Starts an episode; a seed re-seeds the reset noise (like Gymnasium's reset(seed=…)). */
  reset(seed?: number): Float64Array;
  /** Applies one action (see checkAction for the rule on bad actions). */
  step(action: ArrayLike<number>): StepResult;
  snapshot(): EnvSnapshot;
  restore(s: EnvSnapshot): void;
  /** Copies the running episode's state into `into` (a new one when omitted) and returns it. */
  saveEpisode(into?: EpisodeState): EpisodeState;
  /** Makes the episode saved by saveEpisode current: the next step() is exactly the one it would have taken. */
  loadEpisode(s: EpisodeState): void;
  /** Frees the physics engine's memory. */
  close(): void;
}

/**
 * The documented rule for actions: a wrong length or a non-finite entry is a programming error
 * and throws; finite values outside [low, high] are clipped to the bounds (as MuJoCo's
 * ctrllimited actuators would clamp them anyway). Returns the clipped copy.
 */
export function checkAction(env: Env, action: ArrayLike<number>): Float64Array {
  if (action == null || typeof action.length !== 'number')
    throw new TypeError(`${env.id}: action must be an array of ${env.actionSize} numbers`);
  if (action.length !== env.actionSize)
    throw new RangeError(`${env.id}: action has ${action.length} values, expected ${env.actionSize}`);
  const out = new Float64Array(env.actionSize);
  for (let i = 0; i < env.actionSize; i++) {
    const a = action[i];
    if (typeof a !== 'number' || !Number.isFinite(a))
      throw new RangeError(`${env.id}: action[${i}] is ${a}; actions must be finite numbers`);
    out[i] = Math.min(env.actionHigh[i], Math.max(env.actionLow[i], a));
  }
  return out;
}
