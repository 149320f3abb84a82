/**
 * The grid of a rate table, shared by the kernels that tabulate gate updates over the membrane
 * potential (the network's population step, src/network/wasm-step.ts, and the many-cell cable
 * kernel, src/cable/cells-wasm.ts).
 */

/**
 * Rate tables (as NEURON's TABLE statement): the gates' exponential-Euler updates tabulated over
 * the membrane potential. A state whose coefficients a(v), b(v) depend on v alone steps as
 * y' = y + A(v) − B(v)·y with A = a·f, B = b·f and f = −expm1(−b·dt)/b, the same update as the
 * exact step; A and B are computed in float64 on a grid of spacing `step` and interpolated
 * linearly. Vectors with a lane outside [min, max) take the exact expressions.
 */
export interface RateTableOptions {
  /** Lowest tabulated potential, mV (default −100). */
  min?: number;
  /** Highest tabulated potential, mV (default 70; spikes peak below it). */
  max?: number;
  /** Grid spacing, mV (default 1/32). */
  step?: number;
}

export const RATE_TABLE_DEFAULTS: Readonly<Required<RateTableOptions>> = {
  min: -100,
  max: 70,
  step: 1 / 32,
};

/** The rate-table grid for options (validated). */
export function rateGrid(o: RateTableOptions): { min: number; step: number; rows: number } {
  // Fields given as undefined take their defaults too.
  const min = o.min ?? RATE_TABLE_DEFAULTS.min;
  const max = o.max ?? RATE_TABLE_DEFAULTS.max;
  const step = o.step ?? RATE_TABLE_DEFAULTS.step;
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(max > min))
    throw new RangeError(`rate table: need finite min < max (mV), got min ${min}, max ${max}`);
  if (!(step > 0) || !Number.isFinite(step))
    throw new RangeError(`rate table: the step must be a positive number of mV, got ${step}`);
  const rows = Math.ceil((max - min) / step);
  if (rows > 1 << 20)
    throw new RangeError(
      `rate table: ${rows} rows is too many (over 2^20): raise the step (--rate-table) or narrow the range`,
    );
  return { min, step, rows };
}
