/**
 * A projection: the synapses from a source view onto one receptor of a target view, stored as
 * CSR over sources (connectivity.ts). Per synapse: the target index (Uint32), and only when they
 * vary, the weight (Float32; Float64 when plastic) and the delay (Uint16 steps). A constant weight
 * or delay is stored once, so a fixed-weight, fixed-delay projection costs 4 bytes per synapse.
 */
import type { Rng } from '../util/rng.js';
import type { Csr, ConnectionRule } from './connectivity.js';
import { checkRule, connect } from './connectivity.js';
import type { GroupView, NeuronPopulation } from './population.js';
import type { StdpSpec } from './stdp.js';
import { StdpState, checkStdp } from './stdp.js';
import type { ValueSpec } from './values.js';
import { checkValueSpec, constantOf, draw, maxOf } from './values.js';

export interface ProjectionSpec {
  /** The target population's receptor the synapses act on. */
  receptor: string;
  connectivity: ConnectionRule;
  /** Weight per synapse, in the receptor's unit (conductance: ≥ 0). */
  weight: ValueSpec;
  /**
   * Transmission delay, ms (default 0: the spike acts at the end of the step it occurred in, as
   * Brian2's default). Rounded to whole steps; a delay in (0, dt) is refused.
   */
  delay?: ValueSpec;
  /** Whether a neuron may connect to itself when source and target overlap (default true). */
  autapses?: boolean;
  plasticity?: StdpSpec;
}

/** The most delay steps a synapse may have (Uint16 storage). */
export const MAX_DELAY_STEPS = 65535;

export class Projection {
  readonly offsets: Uint32Array;
  /** Target index within the whole target population. */
  readonly targets: Uint32Array;
  /** Per-synapse weights (receptor units), or null with `weight` for all. */
  readonly weights: Float32Array | Float64Array | null;
  readonly weight: number;
  readonly delays: Uint16Array | null;
  readonly delay: number;
  readonly maxDelay: number;
  /** State index of the receptor's target variable, and the factor weights are applied with. */
  readonly stateIndex: number;
  readonly scale: number;
  readonly plastic: StdpState | null;

  constructor(
    readonly label: string,
    readonly source: GroupView,
    readonly target: GroupView & { group: NeuronPopulation },
    spec: ProjectionSpec,
    dt: number,
    rng: Rng,
  ) {
    const where = `projection ${label}`;
    const pop = target.group;
    const receptor = pop.augmented.targets[spec.receptor];
    if (!receptor)
      throw new RangeError(
        `${where}: population "${pop.name}" has no receptor "${spec.receptor}" (receptors: ${Object.keys(pop.augmented.targets).join(', ') || 'none; declare some with receptors: { … }'})`,
      );
    const conductance = pop.augmented.conductances.has(spec.receptor);
    checkRule(spec.connectivity, source.n, target.n, where);
    checkValueSpec(spec.weight, `${where}: weight`, conductance ? 0 : -Infinity);
    const delaySpec = spec.delay ?? 0;
    checkValueSpec(delaySpec, `${where}: delay (ms)`, 0);
    const steps = (ms: number): number => {
      const d = Math.round(ms / dt);
      if (ms > 0 && d === 0)
        throw new RangeError(
          `${where}: delay ${ms} ms is shorter than the step dt = ${dt} ms; use 0 or at least ${dt}`,
        );
      return d;
    };
    const dMax = steps(maxOf(delaySpec));
    if (dMax > MAX_DELAY_STEPS)
      throw new RangeError(
        `${where}: delays up to ${maxOf(delaySpec)} ms are ${dMax} steps; at most ${MAX_DELAY_STEPS} steps are supported`,
      );
    const plasticity = spec.plasticity ? checkStdp(spec.plasticity, `${where}: plasticity`) : null;
    if (plasticity && conductance && plasticity.wMin < 0)
      throw new RangeError(`${where}: plasticity.wMin must be ≥ 0 for a conductance`);

    const sameGroup = source.group === pop;
    const shift = source.start - target.start;
    const csr: Csr = connect(spec.connectivity, source.n, target.n, rng, spec.autapses ?? true, (j) =>
      sameGroup ? j + shift : -1,
    );
    this.offsets = csr.offsets;
    this.targets = csr.targets;
    if (target.start > 0) for (let s = 0; s < this.targets.length; s++) this.targets[s] += target.start;
    const m = this.targets.length;
    this.stateIndex = pop.stateIndex(receptor.state);
    this.scale = receptor.scale;
    const w = constantOf(spec.weight);
    if (w !== null && !plasticity) {
      this.weights = null;
      this.weight = w;
    } else {
      const ws = plasticity ? new Float64Array(m) : new Float32Array(m);
      for (let s = 0; s < m; s++) ws[s] = draw(spec.weight, rng);
      this.weights = ws;
      this.weight = NaN;
    }
    const d = constantOf(delaySpec);
    if (d !== null) {
      this.delays = null;
      this.delay = steps(d);
      this.maxDelay = this.delay;
    } else {
      this.delays = new Uint16Array(m);
      let most = 0;
      for (let s = 0; s < m; s++) {
        const k = steps(draw(delaySpec, rng));
        this.delays[s] = k;
        if (k > most) most = k;
      }
      this.delay = NaN;
      this.maxDelay = most;
    }
    this.plastic = plasticity ? new StdpState(plasticity, source.n, pop.n, this.offsets, this.targets) : null;
  }

  get synapses(): number {
    return this.targets.length;
  }

  /** Bytes of synapse storage (targets, row offsets, per-synapse weights, delays, plasticity index). */
  get bytes(): number {
    return (
      this.targets.byteLength +
      this.offsets.byteLength +
      (this.weights?.byteLength ?? 0) +
      (this.delays?.byteLength ?? 0) +
      (this.plastic
        ? this.plastic.sourceOf.byteLength +
          this.plastic.postSynapses.byteLength +
          this.plastic.postOffsets.byteLength
        : 0)
    );
  }
}
