/**
 * Differentiable fused multi-step spiking layers: each op runs all T steps of a neuron model in
 * one backend kernel (saving what backward needs only while a graph is recorded) and back-propagates
 * through time with hand-derived formulas and a surrogate spike derivative (surrogate.ts).
 *
 * Input layouts:
 * - static `[B, ...features]` with `opts.T` steps (the same current at every step: a static image
 *   projected once, the fast path);
 * - time-varying `[T, B, ...features]` with `opts.timeVarying: true`;
 * - time-varying in frames `[F, B, ...features]` with `opts.timeVarying: true, repeat: R`: each
 *   frame is presented R steps in a row (T = F·R), as if repeated along the time axis, without
 *   materialising the repeat (the kernels read frame ⌊t/R⌋ and sum a frame's gradient over its R
 *   steps).
 * Output: `'rate'` (default) is the mean spike count over T, `[B, ...features]`, with the mean fused
 * into the kernels' backward; `'spikes'` is the spike trains `[T, B, ...features]`.
 * N = product of the feature dims; per-neuron parameters have N values (or 1, shared).
 *
 * `smoothCheck: true` replaces the forward Heaviside by the surrogate's primitive, so finite
 * differences of the forward can verify the backward (whose formulas are the same in both modes).
 */
import { scopedArray } from '../tensor/scope.js';
import { Backend, RESIDENT_MIN_FLOATS, getBackend } from '../kernels/index.js';
import type { HhInitialState, HhMembraneConstants, SpikingKernelBase } from '../kernels/spiking-types.js';
import { LEARNING_HH_RATE_NAMES, SURROGATE_RECTANGULAR } from '../kernels/spiking-types.js';
import { HH_SHIFTED, restingState } from '../neurons/hh.js';
import { spikingForwardFlops } from '../kernels/spiking-costs.js';
import type { SpikingKernelName } from '../kernels/spiking-costs.js';
import { addFlops } from '../tensor/accounting.js';
import { accumulateGrad, isGradEnabled, makeResult } from '../tensor/autograd.js';
import { Shape, Tensor, shapeSize, shapeString } from '../tensor/tensor.js';
import { Surrogate, rectangular, resolveSurrogate } from './surrogate.js';

export type SpikeOutput = 'spikes' | 'rate';

/** Options shared by every spiking op. */
export interface SpikingOptions {
  /** Steps T: required for a static input; for a time-varying one it is x.shape[0] (must match if given). */
  T?: number;
  /** x is [T, B, ...features] (true) or static [B, ...features] (false, default). */
  timeVarying?: boolean;
  /** Time-varying input only: x is [F, B, ...features], each frame presented `repeat` steps in a
   * row, so T = F·repeat (default 1). */
  repeat?: number;
  /** 'rate' (default): mean over T, [B, ...]; 'spikes': [T, B, ...]. */
  output?: SpikeOutput;
  /** Firing threshold θ (spike when u > θ). */
  threshold?: number;
  /** A Surrogate, or a name / 'name:param' string (see surrogate.ts). */
  surrogate?: Surrogate | string;
  /** Forward uses the surrogate primitive instead of the Heaviside (for gradient checks). */
  smoothCheck?: boolean;
}

export const DEFAULT_SPIKE_OUTPUT: SpikeOutput = 'rate';

/** A per-neuron parameter: a number, or a Tensor of N values (one per neuron) or 1 (shared). */
export type PerNeuron = number | Tensor;

// ---------------------------------------------------------------------------------------------
// Defaults (spec 2.3–2.5)

export interface LifDefaults {
  readonly decay: number;
  readonly threshold: number;
  readonly surrogate: Surrogate;
}

/** LIF (spec 2.4, fully connected reference): decay 0.2, θ 0.3, rectangular width 0.5 (STBP). */
export const LIF_FC_DEFAULTS: LifDefaults = Object.freeze({
  decay: 0.2,
  threshold: 0.3,
  surrogate: rectangular(0.5),
});

/** s-LIF2HH fully connected (spec 2.3): decay 0.5, θ 2, rectangular width 0.4. */
export const SLIF2HH_FC_DEFAULTS: LifDefaults = Object.freeze({
  decay: 0.5,
  threshold: 2,
  surrogate: rectangular(0.4),
});

/** s-LIF2HH conv / control (spec 2.3): decay 0.2, θ 0.3, rectangular width 0.4. */
export const SLIF2HH_CONV_DEFAULTS: LifDefaults = Object.freeze({
  decay: 0.2,
  threshold: 0.3,
  surrogate: rectangular(0.4),
});

export interface LearningHhDefaults {
  readonly dt: number;
  readonly threshold: number;
  readonly surrogate: Surrogate;
  readonly detachIonic: boolean;
}

/** Learning HH, fully connected multi-task (spec 2.5): dt 0.01, θ 0.2, rectangular width 0.3. */
export const LEARNING_HH_FC_DEFAULTS: LearningHhDefaults = Object.freeze({
  dt: 0.01,
  threshold: 0.2,
  surrogate: rectangular(0.3),
  detachIonic: false,
});

/** Learning HH, conv variant (spec 2.5): dt 0.1, θ 2.3, rectangular width 0.4, ionic currents detached. */
export const LEARNING_HH_CONV_DEFAULTS: LearningHhDefaults = Object.freeze({
  dt: 0.1,
  threshold: 2.3,
  surrogate: rectangular(0.4),
  detachIonic: true,
});

/** Membrane of the learning HH (spec 2.5: C 1, ḡ and E of 2.1 with EL = 10.6). */
export const LEARNING_HH_MEMBRANE: Readonly<HhMembraneConstants> = Object.freeze({
  C: 1,
  gNa: 120,
  gK: 36,
  gL: 0.3,
  ENa: 115,
  EK: -12,
  EL: 10.6,
});

/** Membrane of the full HH layer: HH_SHIFTED (spec 2.1, EL = 10.613). */
export const FULL_HH_MEMBRANE: Readonly<HhMembraneConstants> = Object.freeze({
  C: HH_SHIFTED.C,
  gNa: HH_SHIFTED.gNa,
  gK: HH_SHIFTED.gK,
  gL: HH_SHIFTED.gL,
  ENa: HH_SHIFTED.ENa,
  EK: HH_SHIFTED.EK,
  EL: HH_SHIFTED.EL,
});

export interface FullHhDefaults {
  readonly dt: number;
  readonly threshold: number;
  readonly surrogate: Surrogate;
}

/**
 * Full voltage-dependent HH: dt 0.05 ms, θ 50 mV (shifted convention), rectangular window of
 * ±10 mV (the upstroke crosses 50 mV within one or two 0.05 ms steps).
 */
export const FULL_HH_DEFAULTS: FullHhDefaults = Object.freeze({
  dt: 0.05,
  threshold: 50,
  surrogate: rectangular(10),
});

// ---------------------------------------------------------------------------------------------
// Shared validation

export interface Layout {
  T: number;
  /** Steps per time-varying input frame (1 for a static input). */
  repeat: number;
  batch: number;
  /** Feature dims of one sample. */
  features: Shape;
  timeVarying: boolean;
  rateOutput: boolean;
}

export function finite(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new RangeError(`${fn}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

export function flag(fn: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${name} must be true or false, got ${String(v)}`);
  return v;
}

export function layoutOf(fn: string, x: Tensor, opts: SpikingOptions): Layout {
  const timeVarying = flag(fn, 'timeVarying', opts.timeVarying, false);
  const output = opts.output ?? DEFAULT_SPIKE_OUTPUT;
  if (output !== 'spikes' && output !== 'rate') {
    throw new RangeError(`${fn}: output must be 'spikes' or 'rate', got '${String(output)}'`);
  }
  let T: number;
  let rest: Shape;
  const repeat = opts.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1)
    throw new RangeError(`${fn}: repeat must be a positive integer, got ${repeat}`);
  if (timeVarying) {
    if (x.ndim < 3) {
      throw new RangeError(
        `${fn}: a time-varying input must be [T, B, ...features], got ${shapeString(x.shape)}`,
      );
    }
    T = x.shape[0] * repeat;
    if (opts.T !== undefined && opts.T !== T) {
      const frames = repeat === 1 ? '' : ` (${x.shape[0]} frames × repeat ${repeat})`;
      throw new RangeError(`${fn}: opts.T = ${opts.T} but the time-varying input has ${T} steps${frames}`);
    }
    rest = x.shape.slice(1);
  } else {
    if (repeat !== 1)
      throw new RangeError(`${fn}: repeat applies to a time-varying input (timeVarying: true) only`);
    if (x.ndim < 2)
      throw new RangeError(`${fn}: input must be [B, ...features], got ${shapeString(x.shape)}`);
    if (opts.T === undefined) {
      throw new RangeError(`${fn}: opts.T (the number of steps) is required for a static input`);
    }
    T = opts.T;
    rest = x.shape;
  }
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`${fn}: T must be a positive integer, got ${T}`);
  return { T, repeat, batch: rest[0], features: rest.slice(1), timeVarying, rateOutput: output === 'rate' };
}

export function outShape(lay: Layout, features: Shape): number[] {
  return lay.rateOutput ? [lay.batch, ...features] : [lay.T, lay.batch, ...features];
}

export function kernelBase(
  fn: string,
  lay: Layout,
  neurons: number,
  opts: SpikingOptions,
  defaults: { threshold: number; surrogate: Surrogate },
): SpikingKernelBase {
  const threshold = finite(fn, 'threshold', opts.threshold ?? defaults.threshold);
  const surrogate = resolveSurrogate(opts.surrogate, defaults.surrogate);
  return {
    batch: lay.batch,
    neurons,
    steps: lay.T,
    timeVarying: lay.timeVarying,
    inputRepeat: lay.repeat,
    rateOutput: lay.rateOutput,
    threshold,
    surrogate: surrogate.id,
    surrogateParam: surrogate.param,
    smooth: flag(fn, 'smoothCheck', opts.smoothCheck, false),
  };
}

export interface PerNeuronValues {
  /** N values for the kernel. */
  data: Float32Array;
  /** The tensor behind them, if any (gradients go back to it). */
  tensor: Tensor | null;
}

export function perNeuronValues(fn: string, name: string, v: PerNeuron, N: number): PerNeuronValues {
  if (v instanceof Tensor) {
    if (v.size === N) return { data: v.data, tensor: v };
    if (v.size === 1) return { data: new Float32Array(N).fill(v.data[0]), tensor: v };
    throw new RangeError(`${fn}: ${name} has ${v.size} values, expected ${N} (one per neuron) or 1`);
  }
  return { data: new Float32Array(N).fill(finite(fn, name, v)), tensor: null };
}

/** Adds a per-neuron gradient g [N] to t (summed if t holds one shared value). */
export function accumulatePerNeuron(t: Tensor | null, g: Float32Array): void {
  if (!t || !t.requiresGrad) return;
  if (t.size === g.length) {
    accumulateGrad(t, g);
    return;
  }
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i];
  accumulateGrad(t, Float32Array.of(s));
}

/**
 * A buffer the forward saves for backward, or null when no graph is recorded. Large ones come from
 * the backend (its kernels write and read them in place) and go back to it at the end of the
 * backward closure, or when garbage-collected if backward never runs.
 */
export function savedBuffer(be: Backend, parents: readonly Tensor[], n: number): Float32Array | null {
  if (!recording(parents)) return null;
  // Not zeroed: the forward kernel writes all of it.
  return n >= RESIDENT_MIN_FLOATS ? be.allocate(n, false) : new Float32Array(n);
}

function recording(parents: readonly Tensor[]): boolean {
  return isGradEnabled() && parents.some((p) => p.requiresGrad);
}

/** Reports a kernel call's analytic forward FLOPs to an active counting scope (accounting.ts). */
function countKernel(op: string, kind: SpikingKernelName, lay: Layout, neurons: number): void {
  addFlops(
    op,
    spikingForwardFlops(kind, {
      batch: lay.batch,
      neurons,
      steps: lay.T,
      timeVarying: lay.timeVarying,
      inputRepeat: lay.repeat,
      rateOutput: lay.rateOutput,
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// LIF

export interface LifOptions extends SpikingOptions {
  /** Membrane decay (default LIF_FC_DEFAULTS.decay). */
  decay?: number;
  /** Treat the reset factor (1 − s[t−1]) as a constant in backward (default false: the spike's
   * surrogate gradient also flows through the reset, as in the STBP reference). */
  detachReset?: boolean;
}

/**
 * LIF layer (spec 2.4): mem[t] = decay·mem[t−1]·(1 − s[t−1]) + x[t], s[t] = H(mem[t] − θ),
 * mem[−1] = s[−1] = 0.
 */
export function lifSpikes(x: Tensor, opts: LifOptions = {}): Tensor {
  const fn = 'lifSpikes';
  const lay = layoutOf(fn, x, opts);
  const N = shapeSize(lay.features);
  const base = kernelBase(fn, lay, N, opts, LIF_FC_DEFAULTS);
  const decay = finite(fn, 'decay', opts.decay ?? LIF_FC_DEFAULTS.decay);
  const detachReset = flag(fn, 'detachReset', opts.detachReset, false);
  const BN = lay.batch * N;
  const be = getBackend();
  const mem = savedBuffer(be, [x], lay.T * BN);
  const out = scopedArray(lay.rateOutput ? BN : lay.T * BN);
  be.lifForward({ ...base, decay, input: x.data, out, mem });
  countKernel(fn, 'lif', lay, N);
  return makeResult(
    out,
    outShape(lay, lay.features),
    [x],
    () => (g) => {
      if (!mem) return;
      be.lifBackward({ ...base, decay, detachReset, mem, gradOut: g, gradInput: x.ensureGrad() });
      be.release(mem);
    },
    [mem],
  );
}

// ---------------------------------------------------------------------------------------------
// Learning HH

/** The six per-neuron rate coefficients of the learning HH (spec 2.5; reference init U(0, 0.01)). */
export interface LearningHhRates {
  alphaN: PerNeuron;
  betaN: PerNeuron;
  alphaM: PerNeuron;
  betaM: PerNeuron;
  alphaH: PerNeuron;
  betaH: PerNeuron;
}

export interface LearningHhOptions extends SpikingOptions {
  /** Euler step: a number, or a constant Tensor of N values (per-neuron, e.g. U(0, 0.2) for RL) or 1.
   * Not learnable. Default LEARNING_HH_FC_DEFAULTS.dt. */
  dt?: PerNeuron;
  /** Drop the ionic currents from backward (conv variant): dv[t]/dv[t−1] = 1, no rate gradients. */
  detachIonic?: boolean;
  /** Membrane constants (default LEARNING_HH_MEMBRANE, spec 2.5). */
  membrane?: Partial<HhMembraneConstants>;
  /**
   * Keep v [T, B, N] for backward even where it is not needed: a static input with the
   * rectangular surrogate and no rate gradients, where v is an affine function of the input
   * (assembly/lhh-affine.ts), so the forward computes the per-neuron input gradient factor (rate
   * output: B·N floats kept) or backward recomputes v from the input (spike trains). Default
   * false; true gives the reference implementation's memory use.
   */
  saveVoltage?: boolean;
}

/**
 * The reference's trainable HH layer (spec 2.5): v, n, m, h start at 0, forward Euler with C = 1,
 * ḡNa 120, ḡK 36, gL 0.3, ENa 115, EK −12, EL 10.6; gates use the per-neuron constant rates;
 * s[t] = H(v[t] − θ); no reset. Rates given as Tensors with requiresGrad receive gradients
 * (summed over batch and time).
 */
export function learningHhSpikes(x: Tensor, rates: LearningHhRates, opts: LearningHhOptions = {}): Tensor {
  const fn = 'learningHhSpikes';
  const lay = layoutOf(fn, x, opts);
  const N = shapeSize(lay.features);
  const base = kernelBase(fn, lay, N, opts, LEARNING_HH_FC_DEFAULTS);
  const detachIonic = flag(fn, 'detachIonic', opts.detachIonic, LEARNING_HH_FC_DEFAULTS.detachIonic);
  if (rates === null || typeof rates !== 'object')
    throw new TypeError(`${fn}: rates must be an object of six rates`);
  const dtv = perNeuronValues(fn, 'dt', opts.dt ?? LEARNING_HH_FC_DEFAULTS.dt, N);
  if (dtv.tensor?.requiresGrad)
    throw new RangeError(`${fn}: dt is not learnable (pass a tensor without requiresGrad)`);
  for (let j = 0; j < N; j++) {
    if (!(dtv.data[j] >= 0) || !Number.isFinite(dtv.data[j])) {
      throw new RangeError(`${fn}: dt must be finite and ≥ 0, got ${dtv.data[j]} at neuron ${j}`);
    }
  }
  const packed = new Float32Array(6 * N);
  const rateTensors: (Tensor | null)[] = [];
  LEARNING_HH_RATE_NAMES.forEach((name, r) => {
    const value = rates[name];
    if (value === undefined) throw new TypeError(`${fn}: rates.${name} is missing`);
    const pv = perNeuronValues(fn, name, value, N);
    packed.set(pv.data, r * N);
    rateTensors.push(pv.tensor);
  });
  const learnable = rateTensors.filter((t): t is Tensor => t !== null);
  const parents = [x, ...learnable];
  const BN = lay.batch * N;
  const be = getBackend();
  const constants = { ...LEARNING_HH_MEMBRANE, ...opts.membrane };
  for (const [k, v] of Object.entries(constants)) finite(fn, `membrane.${k}`, v);
  const saveVoltage = flag(fn, 'saveVoltage', opts.saveVoltage, false);
  // Backward recomputes v from the input when it can do so cheaply (see saveVoltage).
  const recompute =
    !saveVoltage &&
    !lay.timeVarying &&
    !base.smooth &&
    base.surrogate === SURROGATE_RECTANGULAR &&
    (detachIonic || !learnable.some((t) => t.requiresGrad));
  const v = recompute ? null : savedBuffer(be, parents, lay.T * BN);
  // A rate output needs from the steps only their input gradient factor: the forward computes
  // it, and backward is one multiply (otherwise backward recomputes v from the input).
  const factor = recompute && lay.rateOutput ? savedBuffer(be, parents, BN) : null;
  const input = x.data;
  const out = scopedArray(lay.rateOutput ? BN : lay.T * BN);
  const args = { ...base, constants, dt: dtv.data, rates: packed, detachIonic };
  be.learningHhForward({ ...args, input, out, v, inputGradFactor: factor });
  countKernel(fn, 'learningHh', lay, N);
  // Kept for backward: v, the factor or the input (x's own data), the packed rates and dt when it
  // is a copy rather than a tensor's data.
  const saved = [v ?? factor ?? input, packed, dtv.tensor?.data === dtv.data ? null : dtv.data];
  return makeResult(
    out,
    outShape(lay, lay.features),
    parents,
    () => (g) => {
      const wantRates = !detachIonic && learnable.some((t) => t.requiresGrad);
      const gradRates = wantRates ? new Float32Array(6 * N) : null;
      be.learningHhBackward({
        ...args,
        v,
        input,
        inputGradFactor: factor,
        gradOut: g,
        gradInput: x.requiresGrad ? x.ensureGrad() : null,
        gradRates,
      });
      if (v) be.release(v);
      if (factor) be.release(factor);
      if (gradRates)
        rateTensors.forEach((t, r) => accumulatePerNeuron(t, gradRates.subarray(r * N, (r + 1) * N)));
    },
    saved,
  );
}

// ---------------------------------------------------------------------------------------------
// Full voltage-dependent HH (its resting state; the trainable layer is the declared hh model)

const restCache = new Map<string, HhInitialState>();

/** The resting state of a shifted-convention membrane (cached per parameter set). */
export function fullHhRestingState(
  membrane: Readonly<HhMembraneConstants> = FULL_HH_MEMBRANE,
): HhInitialState {
  const key = JSON.stringify(membrane);
  let rest = restCache.get(key);
  if (!rest) {
    const r = restingState({ ...HH_SHIFTED, ...membrane, vOffset: 0 });
    rest = Object.freeze({ v: r.v, m: r.m, h: r.h, n: r.n });
    restCache.set(key, rest);
  }
  return rest;
}

// ---------------------------------------------------------------------------------------------
// s-LIF2HH

export interface Slif2hhOptions extends SpikingOptions {
  /** Shared decay of the four LIFs (default SLIF2HH_FC_DEFAULTS.decay). */
  decay?: number;
  /** Treat the reset factors as constants in backward (default false). */
  detachReset?: boolean;
}

/**
 * s-LIF2HH units (spec 2.3). x carries the three input currents of each unit in blocks along the
 * first feature dim: [B, 3N] → [x1|x2|x3] (or [B, 3C, H, W] with channel blocks). Each unit has
 * three input LIFs and a fourth LIF driven by Σk |w_k|·mem_k[t] (the three membranes after this
 * step's charge). The combination is kept non-negative through |w|: the raw parameter stays
 * unconstrained for the optimiser, the gradient sign(w)·dL/d|w| never vanishes away from 0 (unlike
 * a clamp), and no projection step is needed after updates. w is [N, 3] (one triple per unit) or
 * [3] (shared). All four LIFs share decay and threshold. Output: the four spike trains in blocks
 * [s1|s2|s3|s4] along the first feature dim ([B, 4N] or [B, 4C, H, W]).
 */
/**
 * The layout of an s-LIF2HH call (the fused op's and the declared unit's, slif2hh-unit.ts): x's first
 * feature dim holds the 3 input blocks, w has a triple per unit or one shared triple. N units;
 * `outFeatures` the output's feature dims (4 blocks).
 */
export function slif2hhLayout(fn: string, x: Tensor, w: Tensor, opts: SpikingOptions) {
  const lay = layoutOf(fn, x, opts);
  const f0 = lay.features[0];
  if (f0 === undefined || f0 % 3 !== 0) {
    throw new RangeError(
      `${fn}: the first feature dim must hold 3 blocks of input currents (a multiple of 3), got input ${shapeString(x.shape)}`,
    );
  }
  const N = shapeSize(lay.features) / 3;
  if (!(w instanceof Tensor)) throw new TypeError(`${fn}: w must be a Tensor`);
  if (w.size !== 3 * N && w.size !== 3) {
    throw new RangeError(
      `${fn}: w has ${w.size} values, expected ${3 * N} ([${N}, 3], one triple per unit) or 3 (shared)`,
    );
  }
  return { lay, N, outFeatures: [(f0 / 3) * 4, ...lay.features.slice(1)] };
}

export function slif2hhSpikes(x: Tensor, w: Tensor, opts: Slif2hhOptions = {}): Tensor {
  const fn = 'slif2hhSpikes';
  const { lay, N, outFeatures } = slif2hhLayout(fn, x, w, opts);
  const base = kernelBase(fn, lay, N, opts, SLIF2HH_FC_DEFAULTS);
  const decay = finite(fn, 'decay', opts.decay ?? SLIF2HH_FC_DEFAULTS.decay);
  const detachReset = flag(fn, 'detachReset', opts.detachReset, false);
  const shared = w.size === 3 && N !== 1;
  let weights = w.data;
  if (shared) {
    weights = new Float32Array(3 * N);
    for (let j = 0; j < N; j++) weights.set(w.data, 3 * j);
  }
  const BN = lay.batch * N;
  const be = getBackend();
  const mem = savedBuffer(be, [x, w], 4 * lay.T * BN);
  const out = scopedArray(lay.rateOutput ? 4 * BN : 4 * lay.T * BN);
  be.slif2hhForward({ ...base, decay, weights, input: x.data, out, mem });
  countKernel(fn, 'slif2hh', lay, N);
  return makeResult(
    out,
    outShape(lay, outFeatures),
    [x, w],
    () => (g) => {
      if (!mem) return;
      const gradWeights = w.requiresGrad ? new Float32Array(3 * N) : null;
      be.slif2hhBackward({
        ...base,
        decay,
        detachReset,
        weights,
        mem,
        gradOut: g,
        gradInput: x.requiresGrad ? x.ensureGrad() : null,
        gradWeights,
      });
      be.release(mem);
      if (!gradWeights) return;
      if (!shared) {
        accumulateGrad(w, gradWeights);
        return;
      }
      const gw = new Float32Array(3);
      for (let j = 0; j < N; j++) for (let k = 0; k < 3; k++) gw[k] += gradWeights[3 * j + k];
      accumulateGrad(w, gw);
    },
    [mem, shared ? weights : null],
  );
}
