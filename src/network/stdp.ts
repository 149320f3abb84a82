/**
 * Pair-based spike-timing-dependent plasticity with traces (all-to-all pairing). Each source
 * neuron has a trace x_pre and each target a trace x_post; both jump by 1 at their neuron's spike
 * and decay with τ+ and τ− (exactly, per step). At a source spike every synapse it makes is
 * depressed by aMinus·x_post (long-term depression: the target fired before); at a target spike
 * every synapse onto it is potentiated by aPlus·x_pre (potentiation: the source fired before).
 * For one spike pair with Δt = t_post − t_pre this is the classical window
 *
 *   Δw = aPlus·e^(−Δt/τ+)   (Δt ≥ 0),     Δw = −aMinus·e^(Δt/τ−)   (Δt < 0),
 *
 * scaled by (wMax − w) for potentiation and (w − wMin) for depression in the multiplicative rule,
 * and w kept in [wMin, wMax]. Within a step, source spikes are handled before target spikes (a
 * pair in one step counts as Δt = 0, potentiation). Plasticity acts when the source spikes;
 * transmission delays apply to the synaptic current only.
 */
import * as exact from '../util/exact-math.js';
export interface StdpSpec {
  rule?: 'additive' | 'multiplicative';
  /** Time constants of the source and target traces, ms. */
  tauPlus: number;
  tauMinus: number;
  /** Amplitudes of potentiation and depression (weight units; > 0). */
  aPlus: number;
  aMinus: number;
  wMin?: number;
  wMax: number;
}

export const stdp = (spec: StdpSpec): StdpSpec => spec;

export function checkStdp(spec: StdpSpec, where: string): Required<StdpSpec> {
  if (spec === null || typeof spec !== 'object')
    throw new TypeError(`${where}: expected { tauPlus, tauMinus, aPlus, aMinus, wMax, wMin?, rule? }`);
  const rule = spec.rule ?? 'additive';
  if (rule !== 'additive' && rule !== 'multiplicative')
    throw new RangeError(
      `${where}: rule must be "additive" or "multiplicative", got ${JSON.stringify(spec.rule)}`,
    );
  for (const k of ['tauPlus', 'tauMinus'] as const)
    if (!(spec[k] > 0) || !Number.isFinite(spec[k]))
      throw new RangeError(`${where}: ${k} must be > 0 ms, got ${spec[k]}`);
  for (const k of ['aPlus', 'aMinus'] as const)
    if (!(spec[k] >= 0) || !Number.isFinite(spec[k]))
      throw new RangeError(`${where}: ${k} must be ≥ 0, got ${spec[k]}`);
  const wMin = spec.wMin ?? 0;
  if (!Number.isFinite(wMin) || !Number.isFinite(spec.wMax) || !(wMin < spec.wMax))
    throw new RangeError(`${where}: expected finite wMin < wMax, got ${wMin} and ${spec.wMax}`);
  return {
    rule,
    tauPlus: spec.tauPlus,
    tauMinus: spec.tauMinus,
    aPlus: spec.aPlus,
    aMinus: spec.aMinus,
    wMin,
    wMax: spec.wMax,
  };
}

/** The traces and the target-side index of one plastic projection. */
export class StdpState {
  readonly xPre: Float64Array;
  readonly xPost: Float64Array;
  /** Synapses onto target i: bySource[postOffsets[i] … postOffsets[i+1]) (synapse ids). */
  readonly postOffsets: Uint32Array;
  readonly postSynapses: Uint32Array;
  /** Source of each synapse. */
  readonly sourceOf: Uint32Array;

  constructor(
    readonly spec: Required<StdpSpec>,
    nPre: number,
    nPostTotal: number,
    offsets: Uint32Array,
    targets: Uint32Array,
  ) {
    this.xPre = new Float64Array(nPre);
    this.xPost = new Float64Array(nPostTotal);
    const m = targets.length;
    this.sourceOf = new Uint32Array(m);
    for (let j = 0; j < nPre; j++) this.sourceOf.fill(j, offsets[j], offsets[j + 1]);
    this.postOffsets = new Uint32Array(nPostTotal + 1);
    for (let s = 0; s < m; s++) this.postOffsets[targets[s] + 1]++;
    for (let i = 0; i < nPostTotal; i++) this.postOffsets[i + 1] += this.postOffsets[i];
    const fill = this.postOffsets.slice(0, nPostTotal);
    this.postSynapses = new Uint32Array(m);
    for (let s = 0; s < m; s++) this.postSynapses[fill[targets[s]]++] = s;
  }

  /** Bytes per synapse this state adds (source id and the target-side index). */
  static readonly BYTES_PER_SYNAPSE = 8;

  /** Decays both traces over one step. */
  decay(dt: number): void {
    const fp = exact.exp(-dt / this.spec.tauPlus);
    const fm = exact.exp(-dt / this.spec.tauMinus);
    const { xPre, xPost } = this;
    for (let j = 0; j < xPre.length; j++) xPre[j] *= fp;
    for (let i = 0; i < xPost.length; i++) xPost[i] *= fm;
  }

  /** Source j spiked: depress its synapses by its targets' traces, then bump its trace. */
  onPre(j: number, offsets: Uint32Array, targets: Uint32Array, w: Float64Array): void {
    const { aMinus, wMin, wMax, rule } = this.spec;
    const mult = rule === 'multiplicative';
    for (let s = offsets[j]; s < offsets[j + 1]; s++) {
      const dw = aMinus * this.xPost[targets[s]] * (mult ? w[s] - wMin : 1);
      w[s] = Math.min(wMax, Math.max(wMin, w[s] - dw));
    }
    this.xPre[j] += 1;
  }

  /** Target i spiked: potentiate the synapses onto it by their sources' traces, then bump its trace. */
  onPost(i: number, w: Float64Array): void {
    const { aPlus, wMin, wMax, rule } = this.spec;
    const mult = rule === 'multiplicative';
    for (let q = this.postOffsets[i]; q < this.postOffsets[i + 1]; q++) {
      const s = this.postSynapses[q];
      const dw = aPlus * this.xPre[this.sourceOf[s]] * (mult ? wMax - w[s] : 1);
      w[s] = Math.min(wMax, Math.max(wMin, w[s] + dw));
    }
    this.xPost[i] += 1;
  }
}
