/**
 * The study's shaped reward for the double pendulum (spec 3.2), computed from the observation's
 * first three entries (cart x, sin θ1, sin θ2): each contributes its normalised margin to its
 * bound, (b − |o|)/b with bounds 2.0, 0.418 and 0.1, and a terminated step gets −10 instead.
 * The spec gives the inputs, bounds and penalty; summing the margins is hhnet's reading of it.
 */
export const SHAPED_BOUNDS = [2.0, 0.418, 0.1] as const;
export const TERMINATION_PENALTY = -10;

export function shapedDoublePendulumReward(observation: ArrayLike<number>, terminated: boolean): number {
  if (terminated) return TERMINATION_PENALTY;
  let r = 0;
  for (let i = 0; i < SHAPED_BOUNDS.length; i++)
    r += (SHAPED_BOUNDS[i] - Math.abs(observation[i])) / SHAPED_BOUNDS[i];
  return r;
}
