/**
 * Pieces every spiking-kernel backend shares: argument checks (so js and wasm reject bad calls
 * with the same messages) and float32 neighbour stepping (for the exact spike cut-offs).
 */
import {
  SURROGATE_ARCTAN,
  SURROGATE_FAST_SIGMOID,
  SURROGATE_RECTANGULAR,
  SURROGATE_SIGMOID,
  LearningHhBackwardArgs,
  LearningHhForwardArgs,
  SpikingKernelBase,
} from './spiking-types.js';

const SURROGATE_IDS: readonly number[] = [
  SURROGATE_RECTANGULAR,
  SURROGATE_SIGMOID,
  SURROGATE_ARCTAN,
  SURROGATE_FAST_SIGMOID,
];

/** Bound on inputRepeat: the wasm kernels carry R in the top 24 bits of their flags word. */
export const MAX_INPUT_REPEAT = 2 ** 24;

/** R of a call: 1 for a static input (its one value serves every step). */
export function inputRepeatOf(a: SpikingKernelBase): number {
  return a.timeVarying ? (a.inputRepeat ?? 1) : 1;
}

export function checkBase(a: SpikingKernelBase, where: string): void {
  for (const [k, v] of [
    ['batch', a.batch],
    ['neurons', a.neurons],
    ['steps', a.steps],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${where}: ${k} must be a non-negative integer, got ${v}`);
  }
  if (a.steps < 1) throw new RangeError(`${where}: steps must be ≥ 1`);
  const R = a.inputRepeat;
  if (R !== undefined && !(Number.isInteger(R) && R >= 1 && R < MAX_INPUT_REPEAT && a.steps % R === 0)) {
    throw new RangeError(
      `${where}: inputRepeat must be a positive integer below 2^24 that divides steps (${a.steps}), got ${R}`,
    );
  }
  if (!SURROGATE_IDS.includes(a.surrogate)) throw new RangeError(`unknown surrogate id ${a.surrogate}`);
}

export function checkLen(where: string, name: string, arr: Float32Array | null, expected: number): void {
  if (arr && arr.length !== expected) {
    throw new RangeError(`${where}: ${name} has length ${arr.length}, expected ${expected}`);
  }
}

export function checkLearningHh(a: LearningHhForwardArgs | LearningHhBackwardArgs, where: string): void {
  checkBase(a, where);
  checkLen(where, 'dt', a.dt, a.neurons);
  checkLen(where, 'rates', a.rates, 6 * a.neurons);
}

/**
 * The trajectory a learning HH backward works from: the saved v, or else the input to recompute it
 * from (checked against the input's layout).
 */
export function checkLearningHhTrajectory(a: LearningHhBackwardArgs, where: string): void {
  const T = a.steps;
  const BN = a.batch * a.neurons;
  if (a.inputGradFactor) {
    checkInputGradFactor(a, a.inputGradFactor, where);
    if (a.gradRates && !a.detachIonic)
      throw new RangeError(`${where}: inputGradFactor gives no rate gradients (pass v or input for them)`);
    return;
  }
  if (a.v) return checkLen(where, 'v', a.v, T * BN);
  if (!a.input) throw new TypeError(`${where}: give v (saved by the forward) or input (to recompute v from)`);
  checkLen(where, 'input', a.input, ioLengths(a, a.neurons, a.neurons).inLen);
}

/** The conditions under which a learning HH input gradient factor exists (and its length). */
export function checkInputGradFactor(a: SpikingKernelBase, factor: Float32Array, where: string): void {
  if (a.timeVarying || !a.rateOutput || a.smooth || a.surrogate !== SURROGATE_RECTANGULAR)
    throw new RangeError(
      `${where}: inputGradFactor needs a static input, rate output, hard spikes and the rectangular surrogate`,
    );
  checkLen(where, 'inputGradFactor', factor, a.batch * a.neurons);
}

/** Lengths of input (per-sample width `inW`) and output (`outW`) buffers. */
export function ioLengths(
  a: SpikingKernelBase,
  inW: number,
  outW: number,
): { inLen: number; outLen: number } {
  const inLen = a.batch * inW * (a.timeVarying ? a.steps / inputRepeatOf(a) : 1);
  const outLen = a.batch * outW * (a.rateOutput ? 1 : a.steps);
  return { inLen, outLen };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 adjacent to the float32 x, towards +∞ (up) or −∞. */
export function float32Step(x: number, up: boolean): number {
  if (x === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  f32[0] = x;
  u32[0] += x > 0 === up ? 1 : -1;
  return f32[0];
}
