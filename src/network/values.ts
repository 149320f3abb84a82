/**
 * Per-synapse and per-neuron values given as a constant or a distribution, drawn from a seeded
 * generator: weights, delays and initial states. Plain data, so a network file (JSON) can say the
 * same thing as a program.
 */
import type { Rng } from '../util/rng.js';

export type ValueSpec =
  | number
  | { normal: { mean: number; std: number }; min?: number; max?: number }
  | { uniform: { low: number; high: number } };

/** A normally distributed value, optionally clipped to [min, max]. */
export const normal = (
  mean: number,
  std: number,
  bounds: { min?: number; max?: number } = {},
): ValueSpec => ({
  normal: { mean, std },
  ...bounds,
});

/** A value drawn uniformly from [low, high). */
export const uniform = (low: number, high: number): ValueSpec => ({ uniform: { low, high } });

/**
 * Checks a spec; `where` names it in errors (e.g. 'projection "E→P" weight'). The support of the
 * values must lie in [lo, hi] (a normal must be clipped where its tail would leave them).
 */
export function checkValueSpec(spec: ValueSpec, where: string, lo = -Infinity, hi = Infinity): void {
  const range = `[${lo}, ${hi}]`;
  if (typeof spec === 'number') {
    if (!Number.isFinite(spec)) throw new RangeError(`${where}: expected a finite number, got ${spec}`);
    if (spec < lo || spec > hi) throw new RangeError(`${where}: ${spec} is outside ${range}`);
    return;
  }
  if (typeof spec !== 'object' || spec === null)
    throw new TypeError(
      `${where}: expected a number, { normal: { mean, std }, min?, max? } or { uniform: { low, high } }`,
    );
  if ('normal' in spec) {
    const { mean, std } = spec.normal ?? ({} as { mean: number; std: number });
    if (!Number.isFinite(mean) || !(std >= 0) || !Number.isFinite(std))
      throw new RangeError(
        `${where}: normal needs a finite mean and a std ≥ 0, got ${JSON.stringify(spec.normal)}`,
      );
    const min = spec.min ?? -Infinity;
    const max = spec.max ?? Infinity;
    if (!(min <= max)) throw new RangeError(`${where}: min ${min} is above max ${max}`);
    if (std > 0 && (min < lo || max > hi))
      throw new RangeError(
        `${where}: a normal distribution can leave ${range}; clip it (e.g. "min": ${Number.isFinite(lo) ? lo : 0})`,
      );
    if (std === 0 && (Math.min(Math.max(mean, min), max) < lo || Math.min(Math.max(mean, min), max) > hi))
      throw new RangeError(`${where}: ${mean} is outside ${range}`);
    return;
  }
  if ('uniform' in spec) {
    const { low, high } = spec.uniform ?? ({} as { low: number; high: number });
    if (!Number.isFinite(low) || !Number.isFinite(high) || !(low <= high))
      throw new RangeError(`${where}: uniform needs finite low ≤ high, got ${JSON.stringify(spec.uniform)}`);
    if (low < lo || high > hi) throw new RangeError(`${where}: [${low}, ${high}) is outside ${range}`);
    return;
  }
  throw new TypeError(
    `${where}: expected a number, { normal: … } or { uniform: … }, got ${JSON.stringify(spec)}`,
  );
}

/** Whether every draw gives the same number (then it is stored once, not per synapse). */
export const constantOf = (spec: ValueSpec): number | null => (typeof spec === 'number' ? spec : null);

/** One value drawn from spec. */
export function draw(spec: ValueSpec, rng: Rng): number {
  if (typeof spec === 'number') return spec;
  if ('normal' in spec) {
    const x = spec.normal.mean + spec.normal.std * rng.normal();
    return Math.min(Math.max(x, spec.min ?? -Infinity), spec.max ?? Infinity);
  }
  return rng.range(spec.uniform.low, spec.uniform.high);
}

/** The largest value spec can give. */
export function maxOf(spec: ValueSpec): number {
  if (typeof spec === 'number') return spec;
  if ('normal' in spec)
    return spec.normal.std > 0 ? (spec.max ?? Infinity) : Math.min(spec.normal.mean, spec.max ?? Infinity);
  return spec.uniform.high;
}
