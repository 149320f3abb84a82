/**
 * Turn a blow-up into advice: when a run diverges, probe halved steps on a short run up to a little
 * past the blow-up and name the largest dt (1-2-5 series) that actually runs.
 */
import type { IntegratorName } from '../neurons/types.js';
import { SimulationDivergedError, findStableDt } from '../sim/simulate.js';
import { UserError } from './output.js';

/** `run(dt, duration)` performs the work; on divergence throws a UserError with a tested --dt. */
export function runWithDtAdvice<T>(
  run: (dt: number, duration: number) => T,
  dt: number,
  duration: number,
  integrator: IntegratorName,
): T {
  try {
    return run(dt, duration);
  } catch (err) {
    if (!(err instanceof SimulationDivergedError)) throw err;
    const probeDuration = Math.min(duration, err.t + 20);
    const stable = findStableDt((d) => void run(d, probeDuration), dt);
    const advice =
      stable === null
        ? '.'
        : `; dt = ${stable} ms runs stably with ${integrator} (try --dt ${stable}` +
          (integrator === 'euler' ? ' or --integrator expeuler' : '') +
          ')';
    throw new UserError(err.message + advice);
  }
}
