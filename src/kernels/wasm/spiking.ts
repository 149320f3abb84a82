/**
 * The fused spiking kernels of the wasm backend: argument checks (the reference's, with the same
 * messages), then the operands are copied into the module's memory (resident ones are used in
 * place), the kernel runs (assembly/spiking.ts) and the outputs, saved buffers and accumulated
 * gradients are copied back. Each operand region gets SLACK spare bytes after it, because the
 * kernels' vector loads may read past the last valid lane of a group (never stores); resident
 * blocks have the same slack (BLOCK_SLACK).
 */
import type { Backend } from '../backend.js';
import { learningHhFactorBackward, recomputeLearningHhV, spikeCut } from '../js/spiking.js';
import {
  LearningHhBackwardArgs,
  LearningHhForwardArgs,
  LifBackwardArgs,
  LifForwardArgs,
  Slif2hhBackwardArgs,
  Slif2hhForwardArgs,
  SURROGATE_RECTANGULAR,
  SpikingKernelBase,
} from '../spiking-types.js';
import { Arena } from './arena.js';
import type { WasmGlobal } from './module.js';
import {
  checkBase,
  checkInputGradFactor,
  checkLearningHh,
  checkLearningHhTrajectory,
  checkLen,
  float32Step,
  inputRepeatOf,
  ioLengths,
} from '../spiking-checks.js';

/** The spiking kernels hhnet.wasm exports (pointers are byte offsets; flags: baseFlags and F_* bits). */
export interface SpikingExports {
  /**
   * Runs rows (LIF: flat neurons) [b0, b1) of the LIF, learning-HH or s-LIF2HH call recorded at
   * rec, in the given phases (assembly/spiking-jobs.ts).
   */
  spikingCall(rec: number, b0: number, b1: number, phase: number): void;
  PHASE_PREPARE: WasmGlobal;
  PHASE_ROWS: WasmGlobal;
  PHASE_FINISH: WasmGlobal;
  /** PREPARE of the neurons [b0, b1) only (the closed-form calls). */
  PHASE_PREPARE_NEURONS: WasmGlobal;
  /** Rows whose float32 partial sums learning HH backward keeps apart (row chunks are multiples). */
  SUM_BLOCK: WasmGlobal;
  SP_LHH_FORWARD: WasmGlobal;
  SP_LHH_BACKWARD: WasmGlobal;
  /** Learning HH with a static input by its closed form (assembly/lhh-affine.ts). */
  SP_LHH_AFFINE_FORWARD: WasmGlobal;
  SP_LHH_AFFINE_BACKWARD: WasmGlobal;
  /** Scratch bytes of the closed-form calls for N neurons, T steps. */
  affineScratchBytes(N: number, T: number): number;
  /** gradInput += (gradOut/T)·factor over n elements (learningHhFactorBackward). */
  lhhFactorBackward(n: number, gradOut: number, factor: number, gradInput: number, invT: number): void;
  SP_LIF_FORWARD: WasmGlobal;
  SP_LIF_BACKWARD: WasmGlobal;
  SP_SLIF2HH_FORWARD: WasmGlobal;
  SP_SLIF2HH_BACKWARD: WasmGlobal;
  SP_INTS: WasmGlobal;
  SP_FLOATS: WasmGlobal;
  SP_FLOAT_AT: WasmGlobal;
  SP_RECORD_BYTES: WasmGlobal;
}

/**
 * How the backend lets a learning-HH or s-LIF2HH call share its batch rows, and a LIF call its
 * neurons, between threads (assembly/spiking-jobs.ts).
 */
export interface RowSharing {
  /** Threads that could share a call now (1: the caller only). */
  threadsUp(): number;
  /**
   * Runs rows [0, rows) of the recorded call in chunks on every thread, in the given phase
   * (default ROWS); returns when all are done.
   */
  runRows(rows: number, rowsPerChunk: number, phase?: number): void;
}

/** Most chunks one shared call is split into (the job block's JOB_MAX_CHUNKS is larger). */
const MAX_ROW_CHUNKS = 32;
/** Chunks per thread in a shared call: enough to even out a late start of the workers. */
const CHUNKS_PER_THREAD = 4;

/** Calls below this many neuron-steps (B·N·T) stay on the calling thread (waking workers costs ~0.1 ms). */
export const SHARE_MIN_NEURON_STEPS = 1 << 18;

// Flag bits (assembly/spiking.ts).
const F_TV = 1;
const F_RATE = 2;
const F_SMOOTH = 4;
export const F_SAVE = 8;
const F_DETACH = 16;
const F_GIN = 32;
const F_GPARAM = 64;
const F_F32 = 128;

// ---------------------------------------------------------------------------------------------
// Float32 cut-offs: the float32 backward paths decide the reference's float64 tests on a float32
// saved state m (m > θ, m − θ > −p, m − θ < p) by comparing m with float32 constants. Each test is
// monotone in m, so it holds exactly beyond the last float32 where it fails.

/** The largest float32 where the monotone (false, then true) test fails, searched from near guess. */
function lastFailing(test: (m: number) => boolean, guess: number): number | null {
  let m = Math.fround(guess);
  if (!Number.isFinite(m)) return null;
  for (let k = 0; k < 64 && test(m); k++) m = float32Step(m, false);
  if (test(m)) return null;
  for (let k = 0; k < 64; k++) {
    const up = float32Step(m, true);
    if (test(up)) return m;
    m = up;
  }
  return null;
}

/** float32 cut-offs for threshold θ and rectangle half-width p, or null (unusual values: float64 path). */
export interface Float32Cuts {
  /** m > cut ⇔ m > θ. */
  cut: number;
  /** lo < m ≤ hi ⇔ −p < m − θ < p (each side evaluated in float64, as the reference does). */
  lo: number;
  hi: number;
}

export function float32Cuts(th: number, p: number): Float32Cuts | null {
  if (!(Math.abs(th) < 1e37 && Math.abs(p) < 1e37)) return null;
  const cut = lastFailing((m) => m > th, th);
  const lo = lastFailing((m) => m - th > -p, th - p);
  const hi = lastFailing((m) => !(m - th < p), th + p);
  return cut === null || lo === null || hi === null ? null : { cut, lo, hi };
}

/**
 * Floats of learning HH scratch: seven float64 tables and one float32 table [T][N rounded up to 8],
 * then a pair of float32 tables per block of sumBlock batch rows (assembly/spiking.ts).
 */
function learningHhScratchFloats(B: number, N: number, T: number, sumBlock: number): number {
  return (7 * 2 + 1 + 2 * Math.max(1, Math.ceil(B / sumBlock))) * T * Math.ceil(N / 8) * 8;
}

/** Spare bytes after each operand region (a group's vector loads reach at most 60 bytes past its end). */
export const SLACK = 64;

type SpikingKernels = Pick<
  Backend,
  | 'lifForward'
  | 'lifBackward'
  | 'learningHhForward'
  | 'learningHhBackward'
  | 'slif2hhForward'
  | 'slif2hhBackward'
>;

// ---------------------------------------------------------------------------------------------
// Argument checks (the reference's, same order and messages)

/** The flag bits every kernel takes, and in bits 8–31 the input repeat R (checkBase: R < 2^24). */
export function baseFlags(a: SpikingKernelBase): number {
  const flags = (a.timeVarying ? F_TV : 0) | (a.rateOutput ? F_RATE : 0) | (a.smooth ? F_SMOOTH : 0);
  return flags | (inputRepeatOf(a) << 8);
}

// ---------------------------------------------------------------------------------------------

/**
 * The eight kernels over the module's memory. `settle` runs before operands are written (it
 * waits for worker threads to leave the memory); `js` computes calls whose operands would not fit
 * in the 4 GiB memory; `recordPtr` is where the LIF, learning-HH and s-LIF2HH calls write their
 * argument record (SP_RECORD_BYTES); `share` (null: one thread) lets large ones split their rows
 * between threads.
 */
export function createSpikingKernels(
  ex: SpikingExports,
  arena: Arena,
  settle: () => void,
  js: SpikingKernels,
  recordPtr: number,
  share: RowSharing | null = null,
): SpikingKernels {
  const PREPARE = ex.PHASE_PREPARE.value;
  const ROWS = ex.PHASE_ROWS.value;
  const FINISH = ex.PHASE_FINISH.value;
  const PREPARE_NEURONS = ex.PHASE_PREPARE_NEURONS.value;
  const ALL = PREPARE | ROWS | FINISH;
  const sumBlock = ex.SUM_BLOCK.value;

  /**
   * Units (batch rows, or LIF's flat neurons) per chunk when a call over `units` of them and
   * `neuronSteps` neuron-steps is worth sharing, else 0. Chunks are multiples of `granule`: whole
   * blocks of sumBlock rows (learning HH backward keeps each block's sums apart), or 16 neurons
   * (LIF's float32 backward group).
   */
  function chunkOf(units: number, granule: number, neuronSteps: number): number {
    const threads = share ? share.threadsUp() : 1;
    if (threads < 2 || neuronSteps < SHARE_MIN_NEURON_STEPS || units < 2 * granule) return 0;
    const per = Math.max(units / (threads * CHUNKS_PER_THREAD), units / MAX_ROW_CHUNKS);
    return Math.ceil(per / granule) * granule;
  }

  /**
   * Runs a LIF, learning-HH or s-LIF2HH call from its record (ints, then floats, in the order of
   * assembly/spiking-jobs.ts): on this thread when chunk is 0, else PREPARE here (or, for a
   * kernel that prepares by neuron ranges, given `neurons`, on every thread), chunks of `chunk`
   * rows (LIF: neurons) of the `rows` on every thread, then FINISH here.
   */
  function run(
    ints: readonly number[],
    floats: readonly number[],
    rows: number,
    chunk: number,
    neurons = 0,
  ): void {
    const buf = arena.memory.buffer;
    new Int32Array(buf, recordPtr, ex.SP_INTS.value).set(ints);
    new Float64Array(buf, recordPtr + ex.SP_FLOAT_AT.value, ex.SP_FLOATS.value).set(floats);
    if (chunk === 0 || !share) ex.spikingCall(recordPtr, 0, rows, ALL);
    else {
      // Kernels that prepare by neuron ranges (neurons > 0) share that too.
      if (neurons > 0) share.runRows(neurons, chunkOf(neurons, 8, Infinity) || neurons, PREPARE_NEURONS);
      else ex.spikingCall(recordPtr, 0, rows, PREPARE);
      share.runRows(rows, chunk);
      ex.spikingCall(recordPtr, 0, rows, FINISH);
    }
  }

  /**
   * Byte offsets for the operands (array or null for scratch, and its float count): a resident
   * array's own (used in place), else a region of the operand block (plus slack); null when they
   * cannot fit.
   */
  function place(regions: readonly (readonly [Float32Array | null, number])[]): number[] | null {
    settle();
    const resident = regions.map(([arr, n]) => (n > 0 ? arena.residentPtr(arr) : -1));
    const ptrs = arena.place(regions.map(([, n], i) => (resident[i] < 0 ? n * 4 + SLACK : 0)));
    return ptrs && ptrs.map((ptr, i) => (resident[i] < 0 ? ptr : resident[i]));
  }

  function lifForward(a: LifForwardArgs): void {
    const where = 'lifForward';
    checkBase(a, where);
    const { batch, neurons, steps: T, input, out, mem } = a;
    const BN = batch * neurons;
    const { inLen, outLen } = ioLengths(a, neurons, neurons);
    checkLen(where, 'input', input, inLen);
    checkLen(where, 'out', out, outLen);
    checkLen(where, 'mem', mem, T * BN);
    if (BN === 0) return;
    const ptrs = place([
      [input, inLen],
      [out, outLen],
      [mem, mem ? T * BN : 0],
    ]);
    if (!ptrs) return js.lifForward(a);
    const [pIn, pOut, pMem] = ptrs;
    arena.write(pIn, input, inLen);
    const flags = baseFlags(a) | (mem ? F_SAVE : 0);
    const th = a.threshold;
    run(
      [ex.SP_LIF_FORWARD.value, BN, T, pIn, pOut, pMem, flags, a.surrogate],
      [a.decay, th, spikeCut(th), a.surrogateParam],
      BN,
      chunkOf(BN, 16, BN * T),
    );
    arena.read(pOut, out, outLen);
    if (mem) arena.read(pMem, mem, T * BN);
  }

  function lifBackward(a: LifBackwardArgs): void {
    const where = 'lifBackward';
    checkBase(a, where);
    const { batch, neurons, steps: T, mem, gradOut, gradInput } = a;
    const BN = batch * neurons;
    const { inLen, outLen } = ioLengths(a, neurons, neurons);
    checkLen(where, 'mem', mem, T * BN);
    checkLen(where, 'gradOut', gradOut, outLen);
    checkLen(where, 'gradInput', gradInput, inLen);
    if (BN === 0) return;
    const ptrs = place([
      [mem, T * BN],
      [gradOut, outLen],
      [gradInput, inLen],
    ]);
    if (!ptrs) return js.lifBackward(a);
    const [pMem, pOut, pIn] = ptrs;
    arena.write(pMem, mem, T * BN);
    arena.write(pOut, gradOut, outLen);
    arena.write(pIn, gradInput, inLen);
    const cuts = float32Cuts(a.threshold, a.surrogateParam);
    const flags = baseFlags(a) | (a.detachReset ? F_DETACH : 0) | F_GIN | (cuts ? F_F32 : 0);
    const [cut32, lo32, hi32] = [cuts?.cut ?? 0, cuts?.lo ?? 0, cuts?.hi ?? 0];
    run(
      [ex.SP_LIF_BACKWARD.value, BN, T, pMem, pOut, pIn, flags, a.surrogate],
      [a.decay, a.threshold, a.surrogateParam, cut32, lo32, hi32],
      BN,
      chunkOf(BN, 16, BN * T),
    );
    arena.read(pIn, gradInput, inLen);
  }

  function learningHhForward(a: LearningHhForwardArgs): void {
    const where = 'learningHhForward';
    checkLearningHh(a, where);
    const { batch, neurons: N, steps: T, input, out, v } = a;
    const BN = batch * N;
    const { inLen, outLen } = ioLengths(a, N, N);
    checkLen(where, 'input', input, inLen);
    checkLen(where, 'out', out, outLen);
    checkLen(where, 'v', v, T * BN);
    if (BN === 0) return;
    const factor = a.inputGradFactor ?? null;
    if (factor) {
      checkInputGradFactor(a, factor, where);
      const cuts = float32Cuts(a.threshold, a.surrogateParam);
      if (!cuts) return js.learningHhForward(a);
      learningHhAffineForward(a, factor, cuts);
      // The rare caller that also wants v: one more pass, saving it.
      if (v) learningHhForward({ ...a, inputGradFactor: null, out: new Float32Array(outLen) });
      return;
    }
    if (!v && !a.timeVarying && !a.smooth) return learningHhAffineForward(a, null, null);
    const ptrs = place([
      [input, inLen],
      [out, outLen],
      [v, v ? T * BN : 0],
      [a.dt, N],
      [a.rates, 6 * N],
      [null, learningHhScratchFloats(batch, N, T, sumBlock)],
    ]);
    if (!ptrs) return js.learningHhForward(a);
    const [pIn, pOut, pV, pDt, pRates, pScratch] = ptrs;
    arena.write(pIn, input, inLen);
    arena.write(pDt, a.dt, N);
    arena.write(pRates, a.rates, 6 * N);
    const flags = baseFlags(a) | (v ? F_SAVE : 0);
    const { C, gNa, gK, gL, ENa, EK, EL } = a.constants;
    const th = a.threshold;
    run(
      [ex.SP_LHH_FORWARD.value, batch, N, T, pIn, pOut, pV, pDt, pRates, pScratch, flags, a.surrogate],
      [C, gNa, gK, gL, ENa, EK, EL, th, spikeCut(th), a.surrogateParam],
      batch,
      chunkOf(batch, sumBlock, BN * T),
    );
    arena.read(pOut, out, outLen);
    if (v) arena.read(pV, v, T * BN);
  }

  /**
   * The static-input forward without saving v, by the closed form (assembly/lhh-affine.ts): the
   * same outputs as the recurrence, several times faster.
   */
  function learningHhAffineForward(
    a: LearningHhForwardArgs,
    factor: Float32Array | null,
    cuts: Float32Cuts | null,
  ): void {
    const { batch, neurons: N, steps: T, input, out } = a;
    const { inLen, outLen } = ioLengths(a, N, N);
    const ptrs = place([
      [input, inLen],
      [out, outLen],
      [factor, factor ? inLen : 0],
      [a.dt, N],
      [a.rates, 6 * N],
      [null, affineScratchFloats(N, T)],
    ]);
    if (!ptrs) return js.learningHhForward(a);
    const [pIn, pOut, pFactor, pDt, pRates, pScratch] = ptrs;
    arena.write(pIn, input, inLen);
    arena.write(pDt, a.dt, N);
    arena.write(pRates, a.rates, 6 * N);
    const { C, gNa, gK, gL, ENa, EK, EL } = a.constants;
    const th = a.threshold;
    const flags = baseFlags(a) | (factor ? F_GIN : 0) | (a.detachIonic ? F_DETACH : 0);
    run(
      [ex.SP_LHH_AFFINE_FORWARD.value, batch, N, T, pIn, pOut, pDt, pRates, pScratch, flags, pFactor],
      [C, gNa, gK, gL, ENa, EK, EL, th, spikeCut(th), a.surrogateParam, cuts?.lo ?? 0, cuts?.hi ?? 0],
      batch,
      chunkOf(batch, 1, batch * N * T),
      N,
    );
    arena.read(pOut, out, outLen);
    if (factor) arena.read(pFactor, factor, inLen);
  }

  /**
   * The backward from the input instead of a saved v, static input, rectangular surrogate and no
   * rate gradients, by the closed form; cuts are the window's float32 cut-offs.
   */
  function learningHhAffineBackward(a: LearningHhBackwardArgs, input: Float32Array, cuts: Float32Cuts): void {
    const { batch, neurons: N, steps: T, gradOut, gradInput } = a;
    const { inLen, outLen } = ioLengths(a, N, N);
    if (!gradInput) return;
    const ptrs = place([
      [input, inLen],
      [gradOut, outLen],
      [gradInput, inLen],
      [a.dt, N],
      [a.rates, 6 * N],
      [null, affineScratchFloats(N, T)],
    ]);
    if (!ptrs) return js.learningHhBackward(a);
    const [pIn, pOut, pGin, pDt, pRates, pScratch] = ptrs;
    arena.write(pIn, input, inLen);
    arena.write(pOut, gradOut, outLen);
    arena.write(pGin, gradInput, inLen);
    arena.write(pDt, a.dt, N);
    arena.write(pRates, a.rates, 6 * N);
    const { C, gNa, gK, gL, ENa, EK, EL } = a.constants;
    const flags = baseFlags(a) | (a.detachIonic ? F_DETACH : 0);
    run(
      [ex.SP_LHH_AFFINE_BACKWARD.value, batch, N, T, pIn, pOut, pGin, pDt, pRates, pScratch, flags],
      [C, gNa, gK, gL, ENa, EK, EL, a.threshold, a.surrogateParam, cuts.lo, cuts.hi],
      batch,
      chunkOf(batch, 1, batch * N * T),
      N,
    );
    arena.read(pGin, gradInput, inLen);
  }

  function learningHhFactorBackwardWasm(a: LearningHhBackwardArgs, factor: Float32Array): void {
    const { gradOut, gradInput } = a;
    if (!gradInput) return;
    const n = factor.length;
    const ptrs = place([
      [gradOut, n],
      [factor, n],
      [gradInput, n],
    ]);
    if (!ptrs) return learningHhFactorBackward(a, factor);
    const [pOut, pFactor, pGin] = ptrs;
    arena.write(pOut, gradOut, n);
    arena.write(pFactor, factor, n);
    arena.write(pGin, gradInput, n);
    ex.lhhFactorBackward(n, pOut, pFactor, pGin, 1 / a.steps);
    arena.read(pGin, gradInput, n);
  }

  function learningHhBackward(a: LearningHhBackwardArgs): void {
    const where = 'learningHhBackward';
    checkLearningHh(a, where);
    const { batch, neurons: N, steps: T, gradOut, gradInput } = a;
    const gradRates = a.detachIonic ? null : a.gradRates;
    const BN = batch * N;
    const { inLen, outLen } = ioLengths(a, N, N);
    checkLearningHhTrajectory(a, where);
    checkLen(where, 'gradOut', gradOut, outLen);
    checkLen(where, 'gradInput', gradInput, inLen);
    checkLen(where, 'gradRates', a.gradRates, 6 * N);
    if ((!gradInput && !gradRates) || N === 0) return;
    if (a.inputGradFactor) return learningHhFactorBackwardWasm(a, a.inputGradFactor);
    let v = a.v;
    if (!v) {
      const cuts = float32Cuts(a.threshold, a.surrogateParam);
      const affine = !a.timeVarying && !a.smooth && a.surrogate === SURROGATE_RECTANGULAR && !gradRates;
      if (affine && cuts) return learningHhAffineBackward(a, a.input!, cuts);
      // Otherwise rerun the forward for v (what it would have saved), then go on as usual.
      v = recomputeLearningHhV(a, learningHhForward);
    }
    const ptrs = place([
      [v, T * BN],
      [gradOut, outLen],
      [gradInput, gradInput ? inLen : 0],
      [gradRates, gradRates ? 6 * N : 0],
      [a.dt, N],
      [a.rates, 6 * N],
      [null, learningHhScratchFloats(batch, N, T, sumBlock)],
    ]);
    if (!ptrs) return js.learningHhBackward(a);
    const [pV, pOut, pIn, pRates, pDt, pR, pScratch] = ptrs;
    arena.write(pV, v, T * BN);
    arena.write(pOut, gradOut, outLen);
    if (gradInput) arena.write(pIn, gradInput, inLen);
    if (gradRates) arena.write(pRates, gradRates, 6 * N);
    arena.write(pDt, a.dt, N);
    arena.write(pR, a.rates, 6 * N);
    const cuts = float32Cuts(a.threshold, a.surrogateParam);
    const flags =
      baseFlags(a) |
      (a.detachIonic ? F_DETACH : 0) |
      (gradInput ? F_GIN : 0) |
      (gradRates ? F_GPARAM : 0) |
      (cuts ? F_F32 : 0);
    const { C, gNa, gK, gL, ENa, EK, EL } = a.constants;
    const lo32 = cuts?.lo ?? 0;
    const hi32 = cuts?.hi ?? 0;
    // The float64 path adds every row into the float64 sums directly: one thread keeps its order.
    const float32Sums = cuts !== null && a.surrogate === SURROGATE_RECTANGULAR;
    run(
      [ex.SP_LHH_BACKWARD.value, batch, N, T, pV, pOut, pIn, pRates, pDt, pR, pScratch, flags, a.surrogate],
      [C, gNa, gK, gL, ENa, EK, EL, a.threshold, a.surrogateParam, lo32, hi32],
      batch,
      gradRates && !float32Sums ? 0 : chunkOf(batch, sumBlock, BN * T),
    );
    if (gradInput) arena.read(pIn, gradInput, inLen);
    if (gradRates) arena.read(pRates, gradRates, 6 * N);
  }

  function slif2hhForward(a: Slif2hhForwardArgs): void {
    const where = 'slif2hhForward';
    checkBase(a, where);
    const { batch, neurons: N, steps: T, weights, input, out, mem } = a;
    const BN = batch * N;
    const { inLen, outLen } = ioLengths(a, 3 * N, 4 * N);
    checkLen(where, 'weights', weights, 3 * N);
    checkLen(where, 'input', input, inLen);
    checkLen(where, 'out', out, outLen);
    checkLen(where, 'mem', mem, 4 * T * BN);
    if (BN === 0) return;
    const ptrs = place([
      [input, inLen],
      [out, outLen],
      [mem, mem ? 4 * T * BN : 0],
      [weights, 3 * N],
    ]);
    if (!ptrs) return js.slif2hhForward(a);
    const [pIn, pOut, pMem, pW] = ptrs;
    arena.write(pIn, input, inLen);
    arena.write(pW, weights, 3 * N);
    const flags = baseFlags(a) | (mem ? F_SAVE : 0);
    const th = a.threshold;
    run(
      [ex.SP_SLIF2HH_FORWARD.value, batch, N, T, pIn, pOut, pMem, pW, flags, a.surrogate],
      [a.decay, th, spikeCut(th), a.surrogateParam],
      batch,
      chunkOf(batch, sumBlock, 4 * BN * T), // four LIF neurons per unit
    );
    arena.read(pOut, out, outLen);
    if (mem) arena.read(pMem, mem, 4 * T * BN);
  }

  function slif2hhBackward(a: Slif2hhBackwardArgs): void {
    const where = 'slif2hhBackward';
    checkBase(a, where);
    const { batch, neurons: N, steps: T, weights, mem, gradOut, gradInput, gradWeights } = a;
    const BN = batch * N;
    const { inLen, outLen } = ioLengths(a, 3 * N, 4 * N);
    checkLen(where, 'weights', weights, 3 * N);
    checkLen(where, 'mem', mem, 4 * T * BN);
    checkLen(where, 'gradOut', gradOut, outLen);
    checkLen(where, 'gradInput', gradInput, inLen);
    checkLen(where, 'gradWeights', gradWeights, 3 * N);
    if ((!gradInput && !gradWeights) || BN === 0) return;
    const rows = chunkOf(batch, sumBlock, 4 * BN * T);
    // Shared: each row's float64 weight-gradient terms [B][3N], added in row order at the end.
    const termFloats = rows !== 0 && gradWeights ? 2 * 3 * BN : 0;
    const ptrs = place([
      [mem, 4 * T * BN],
      [gradOut, outLen],
      [gradInput, gradInput ? inLen : 0],
      [gradWeights, gradWeights ? 3 * N : 0],
      [weights, 3 * N],
      [null, termFloats],
    ]);
    if (!ptrs) return js.slif2hhBackward(a);
    const [pMem, pOut, pIn, pGw, pW, pTerms] = ptrs;
    const wrows = termFloats > 0 ? pTerms : 0;
    arena.write(pMem, mem, 4 * T * BN);
    arena.write(pOut, gradOut, outLen);
    if (gradInput) arena.write(pIn, gradInput, inLen);
    if (gradWeights) arena.write(pGw, gradWeights, 3 * N);
    arena.write(pW, weights, 3 * N);
    const cuts = float32Cuts(a.threshold, a.surrogateParam);
    const flags =
      baseFlags(a) |
      (a.detachReset ? F_DETACH : 0) |
      (gradInput ? F_GIN : 0) |
      (gradWeights ? F_GPARAM : 0) |
      (cuts ? F_F32 : 0);
    const [cut32, lo32, hi32] = [cuts?.cut ?? 0, cuts?.lo ?? 0, cuts?.hi ?? 0];
    run(
      [ex.SP_SLIF2HH_BACKWARD.value, batch, N, T, pMem, pOut, pIn, pGw, wrows, pW, flags, a.surrogate],
      [a.decay, a.threshold, a.surrogateParam, cut32, lo32, hi32],
      batch,
      rows,
    );
    if (gradInput) arena.read(pIn, gradInput, inLen);
    if (gradWeights) arena.read(pGw, gradWeights, 3 * N);
  }

  return {
    lifForward,
    lifBackward,
    learningHhForward,
    learningHhBackward,
    slif2hhForward,
    slif2hhBackward,
  };
}

/**
 * Scratch of the closed-form learning-HH calls, in floats: assembly/lhh-affine.ts's
 * affineScratchBytes, computed here in float64 because the wasm one wraps at 4 GiB. A call whose
 * tables cannot fit in wasm memory at all is refused with the sizes that cause it.
 */
function affineScratchFloats(N: number, T: number): number {
  const Np = Math.ceil(N / 8) * 8;
  const bytes = T * Np * (2 * 8 + 3 * 4) + Np * 8;
  if (bytes >= 2 ** 32)
    throw new RangeError(
      `learning HH: T = ${T} steps × ${N} neurons need ${(bytes / 2 ** 30).toFixed(1)} GiB of kernel tables, ` +
        'more than the 4 GiB wasm memory; use a smaller T (--T)',
    );
  return bytes / 4;
}
