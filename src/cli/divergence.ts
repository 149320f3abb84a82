/**
 * Turn a blow-up into advice: when a run diverges, probe halved steps on a short run up to a little
 * past the blow-up and name the largest dt (1-2-5 series) that actually runs. A model declared in
 * discrete time has one step only (its time base), so nothing is probed: a smaller dt is not the cure.
 */
import type { IntegratorName } from '../neurons/types.js';
import { SimulationDivergedError, findStableDt, roundDownNice } from '../sim/simulate.js';
import { UserError } from './output.js';

/** Halvings of dt tried after a blow-up. */
const PROBES = 8;

export interface DtAdviceOptions {
  /** The model's fixed step when it is defined in discrete time (its time base, ms). */
  discreteStep?: number;
}

/** `run(dt, duration)` performs the work; on divergence throws a UserError with a tested --dt. */
export function runWithDtAdvice<T>(
  run: (dt: number, duration: number) => T,
  dt: number,
  duration: number,
  integrator: IntegratorName,
  opts: DtAdviceOptions = {},
): T {
  try {
    return run(dt, duration);
  } catch (err) {
    if (!(err instanceof SimulationDivergedError)) throw err;
    const what = `simulation of ${err.model} diverged at t = ${err.t.toFixed(3)} ms (neuron ${err.neuron}: V = ${err.value})`;
    if (opts.discreteStep !== undefined)
      throw new UserError(
        `${what}; ${err.model} is defined in discrete time with a step of ${opts.discreteStep} ms, so no ` +
          'smaller --dt helps: it runs away with these parameters (--param) and this input',
      );
    const probeDuration = Math.min(duration, err.t + 20);
    const stable = findStableDt((d) => void run(d, probeDuration), dt, PROBES);
    if (stable === null) {
      let smallest = dt;
      for (let i = 0; i < PROBES; i++) smallest = roundDownNice(smallest / 2);
      throw new UserError(
        `${what} with dt = ${dt} ms and with every smaller step tried down to ${smallest} ms: not the ` +
          'step but the model runs away, with these parameters (--param) and this input',
      );
    }
    throw new UserError(
      `${err.message}; dt = ${stable} ms runs stably with ${integrator} (try --dt ${stable}` +
        (integrator === 'euler' ? ' or --integrator expeuler' : '') +
        ')',
    );
  }
}
