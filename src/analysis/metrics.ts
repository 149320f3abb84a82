/**
 * Spike-train and trace comparison metrics. Spike times are ascending arrays in ms; rates are Hz.
 */

function assertSorted(where: string, name: string, s: ArrayLike<number>): void {
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i])) throw new RangeError(`${where}: ${name}[${i}] must be finite, got ${s[i]}`);
    if (i > 0 && s[i] < s[i - 1]) {
      throw new RangeError(`${where}: ${name} must be sorted ascending (index ${i}: ${s[i]} < ${s[i - 1]})`);
    }
  }
}

function positive(where: string, name: string, x: number, unit: string): void {
  if (!Number.isFinite(x) || x <= 0) {
    throw new RangeError(`${where}: ${name} must be a finite number > 0 (${unit}), got ${x}`);
  }
}

function interval(where: string, from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
    throw new RangeError(`${where}: need finite from < to (ms), got from=${from}, to=${to}`);
  }
}

export interface SpikeTimeError {
  /** meanAbsDiff / meanIsi; NaN when the reference has < 2 spikes or no spikes could be paired */
  value: number;
  /** number of spike pairs compared (min of the two counts) */
  paired: number;
  /** mean |ref_i − test_i| over the pairs (ms); NaN when paired = 0 */
  meanAbsDiff: number;
  /** mean inter-spike interval of the whole reference train (ms); NaN with < 2 reference spikes */
  meanIsi: number;
}

/**
 * The equivalence study's metric: pair the i-th spike of each train (i < min count), take the mean
 * absolute time difference and divide by the reference's mean ISI, so the error is in units of
 * "fractions of a firing period" and comparable across drive strengths. Spikes beyond the shorter
 * train are ignored (a missing/extra spike shows up as a count difference, not here).
 * `value` is NaN when the reference has fewer than 2 spikes (no ISI) or either train is empty.
 */
export function spikeTimeErrorOverISI(reference: ArrayLike<number>, test: ArrayLike<number>): SpikeTimeError {
  const paired = Math.min(reference.length, test.length);
  let sum = 0;
  for (let i = 0; i < paired; i++) sum += Math.abs(reference[i] - test[i]);
  const meanAbsDiff = paired > 0 ? sum / paired : NaN;
  const n = reference.length;
  const meanIsi = n >= 2 ? (reference[n - 1] - reference[0]) / (n - 1) : NaN;
  return { value: meanAbsDiff / meanIsi, paired, meanAbsDiff, meanIsi };
}

/**
 * Kistler et al. (1997) coincidence factor
 *   Γ = (N_coinc − ⟨N_coinc⟩) / (½(N_ref + N_test)) · 1/(1 − 2νΔ),  ν = N_test/duration,  ⟨N_coinc⟩ = 2νΔ·N_ref.
 * A reference spike coincides if an unused test spike lies within ±window; each test spike is used
 * at most once (greedy earliest match, optimal for equal-width windows on sorted trains).
 * Γ = 1 for identical trains, ≈ 0 for independent Poisson trains. Conventions: both trains empty → 1
 * (perfect agreement on silence); 2νΔ ≥ 1 (window too wide for the rate) → NaN.
 */
export function coincidenceFactor(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  opts: { window: number; duration: number },
): number {
  const where = 'coincidenceFactor';
  positive(where, 'window', opts.window, 'ms');
  positive(where, 'duration', opts.duration, 'ms');
  assertSorted(where, 'reference', reference);
  assertSorted(where, 'test', test);
  const nRef = reference.length;
  const nTest = test.length;
  if (nRef === 0 && nTest === 0) return 1;
  const delta = opts.window;
  let coinc = 0;
  let j = 0;
  for (let i = 0; i < nRef; i++) {
    const r = reference[i];
    while (j < nTest && test[j] < r - delta) j++;
    if (j < nTest && test[j] <= r + delta) {
      coinc++;
      j++;
    }
  }
  const nu = nTest / opts.duration;
  const norm = 1 - 2 * nu * delta;
  if (!(norm > 0)) return NaN;
  const expected = 2 * nu * delta * nRef;
  return (coinc - expected) / (0.5 * (nRef + nTest)) / norm;
}

/** Σ_{i,j} e^{−|x_i − y_j|/τ} in O(n + m) for sorted x, y, using decaying running sums (all exponents ≤ 0). */
function crossKernelSum(x: ArrayLike<number>, y: ArrayLike<number>, tau: number): number {
  let total = 0;
  // Forward pass: terms with y_j ≤ x_i. acc = Σ e^{−(accT − y_j)/τ} over the y_j merged so far.
  let acc = 0;
  let accT = -Infinity;
  let j = 0;
  for (let i = 0; i < x.length; i++) {
    while (j < y.length && y[j] <= x[i]) {
      acc = acc * Math.exp(-(y[j] - accT) / tau) + 1;
      accT = y[j++];
    }
    if (acc > 0) total += acc * Math.exp(-(x[i] - accT) / tau);
  }
  // Backward pass: terms with y_j > x_i.
  acc = 0;
  accT = Infinity;
  j = y.length - 1;
  for (let i = x.length - 1; i >= 0; i--) {
    while (j >= 0 && y[j] > x[i]) {
      acc = acc * Math.exp(-(accT - y[j]) / tau) + 1;
      accT = y[j--];
    }
    if (acc > 0) total += acc * Math.exp(-(accT - x[i]) / tau);
  }
  return total;
}

/** Σ_{i,j} e^{−|x_i − x_j|/τ} = n + 2 Σ_{i>j} e^{−(x_i − x_j)/τ}, via a running sum. */
function selfKernelSum(x: ArrayLike<number>, tau: number): number {
  let acc = 0;
  let total = 0;
  for (let i = 1; i < x.length; i++) {
    acc = (acc + 1) * Math.exp(-(x[i] - x[i - 1]) / tau);
    total += acc;
  }
  return x.length + 2 * total;
}

/**
 * van Rossum (2001) distance with a causal exponential kernel, original normalisation
 * D² = (1/τ)∫(f − g)² dt, f = Σ_i H(t − a_i)e^{−(t − a_i)/τ}. Since ∫ of two such kernels is
 * (τ/2)e^{−|a_i − b_j|/τ}, D² = ½[Σ_aa + Σ_bb − 2Σ_ab] of e^{−|Δt|/τ}, computed exactly in
 * O(n + m). One spike vs none → √½; single spikes δ apart → √(1 − e^{−δ/τ}).
 */
export function vanRossumDistance(a: ArrayLike<number>, b: ArrayLike<number>, tau: number): number {
  positive('vanRossumDistance', 'tau', tau, 'ms');
  assertSorted('vanRossumDistance', 'a', a);
  assertSorted('vanRossumDistance', 'b', b);
  const d2 = 0.5 * (selfKernelSum(a, tau) + selfKernelSum(b, tau) - 2 * crossKernelSum(a, b, tau));
  return Math.sqrt(Math.max(0, d2)); // clamp rounding noise for (near-)identical trains
}

/** Root-mean-square difference of two equal-length traces; NaN for empty input. */
export function rmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new RangeError(`rmse: lengths must match, got ${a.length} and ${b.length}`);
  if (a.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s / a.length);
}

/** Spike count in [from, to) divided by the window length, in Hz (window in ms). */
export function firingRate(spikes: ArrayLike<number>, from: number, to: number): number {
  interval('firingRate', from, to);
  let count = 0;
  for (let i = 0; i < spikes.length; i++) if (spikes[i] >= from && spikes[i] < to) count++;
  return (count * 1000) / (to - from);
}

/** Successive differences of the spike times (ms); empty for < 2 spikes. */
export function interSpikeIntervals(spikes: ArrayLike<number>): number[] {
  const isi: number[] = [];
  for (let i = 1; i < spikes.length; i++) isi.push(spikes[i] - spikes[i - 1]);
  return isi;
}

/**
 * Rate from the mean ISI of the spikes in [from, to] (Hz): 1000·(k − 1)/(last − first) for k ≥ 2
 * spikes there, else 0. Unlike a count rate this is not biased by where the window cuts the cycle,
 * which is what F–I curves of tonically firing neurons need.
 */
export function steadyRateHz(spikes: ArrayLike<number>, from: number, to: number): number {
  interval('steadyRateHz', from, to);
  let first = NaN;
  let last = NaN;
  let k = 0;
  for (let i = 0; i < spikes.length; i++) {
    const s = spikes[i];
    if (s < from || s > to) continue;
    if (k === 0) first = s;
    last = s;
    k++;
  }
  return k >= 2 && last > first ? (1000 * (k - 1)) / (last - first) : 0;
}
