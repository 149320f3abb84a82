/**
 * Turn a blow-up into advice: when a run diverges, probe halved steps on a short run up to a little
 * past the blow-up and name the largest dt (1-2-5 series) that actually runs. A model declared in
 * discrete time has one step only (its time base), so nothing is probed: a smaller dt is not the cure.
 */
import type { IntegratorName } from '../neurons/types.js';
import { SimulationDivergedError, findStableDt, roundDownNice } from '../sim/simulate.js';
import { type TimeStepProbe, checkTimeStep } from '../sim/dt-check.js';
import { UserError } from './output.js';

/** Halvings of dt tried after a blow-up. */
const PROBES = 8;

/** Simulated time of the time-step accuracy probe (ms). */
export const DT_PROBE_MS = 200;

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

/**
 * Stops a run whose step is stable but inaccurate (the probe's spikes at dt and dt/2 differ),
 * naming a step that agrees. `probe` null: nothing to check (a discrete-time model, or an input
 * that differs between step sizes — said on `note`).
 */
export function assertAccurateDt(
  probe: TimeStepProbe | null,
  dt: number,
  opts: { enabled: boolean; note?: (message: string) => void; skipped?: string },
): void {
  if (!opts.enabled) return;
  if (!probe) {
    if (opts.skipped) opts.note?.(`time-step check skipped: ${opts.skipped}`);
    return;
  }
  const verdict = checkTimeStep(probe, dt);
  if (verdict.agrees) return;
  const what =
    `dt = ${dt} ms is too coarse for ${probe.model} (${probe.integrator}): over the first ` +
    `${probe.duration} ms ${verdict.difference}`;
  throw new UserError(
    verdict.suggestion === null
      ? `${what}, and no step down to ${dt / 2 ** 9} ms agrees with its half; pass --no-dt-check to run as asked`
      : `${what}; dt = ${verdict.suggestion} ms agrees with its half step: try --dt ${verdict.suggestion}, or pass --no-dt-check to run as asked`,
  );
}
