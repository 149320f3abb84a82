/** Summary statistics of a network's spikes, as the COBAHH/CUBA literature reports them. */

export interface SpikeStatistics {
  spikes: number;
  /** Spikes per neuron per second. */
  meanRateHz: number;
  /**
   * Coefficient of variation of the inter-spike intervals, std/mean (population std), averaged
   * over the neurons with at least 3 spikes; NaN when none has.
   */
  cvIsi: number;
  /** How many neurons entered cvIsi. */
  cvIsiNeurons: number;
}

export function spikeStatistics(trains: readonly (readonly number[])[], durationMs: number): SpikeStatistics {
  let spikes = 0;
  let cvSum = 0;
  let cvN = 0;
  for (const t of trains) {
    spikes += t.length;
    if (t.length < 3) continue;
    const k = t.length - 1;
    let mean = 0;
    for (let s = 1; s < t.length; s++) mean += t[s] - t[s - 1];
    mean /= k;
    let varSum = 0;
    for (let s = 1; s < t.length; s++) varSum += (t[s] - t[s - 1] - mean) ** 2;
    cvSum += Math.sqrt(varSum / k) / mean;
    cvN++;
  }
  return {
    spikes,
    meanRateHz: trains.length > 0 && durationMs > 0 ? spikes / trains.length / (durationMs / 1000) : 0,
    cvIsi: cvN > 0 ? cvSum / cvN : NaN,
    cvIsiNeurons: cvN,
  };
}
