// LIF, learning-HH and s-LIF2HH calls go through an argument record in shared memory, so that
// threads can share them (JOB_SPIKING in jobs.ts). The host writes the record (SP_INTS i32 words,
// then SP_FLOATS f64 values at byte offset SP_FLOAT_AT, in each kernel's argument order; see
// spikingCall and src/kernels/wasm/spiking.ts) and either runs the whole call here or runs
// PREPARE, posts a job of chunks (each thread's runJob runs ROWS of its chunks), then runs FINISH:
// learning HH and s-LIF2HH by batch rows, LIF by ranges of its flat neuron index (multiples of
// 16). PREPARE builds learning HH's per-neuron tables; FINISH adds the per-block (learning HH) or
// per-row (s-LIF2HH) parameter-gradient terms in order.
import {
  learningHhBackward,
  learningHhForward,
  lifBackward,
  lifForward,
  slif2hhBackward,
  slif2hhForward,
  PHASE_ROWS,
} from './spiking';
import { lhhAffineBackward, lhhAffineForward } from './lhh-affine';

export const SP_LHH_FORWARD: i32 = 0;
export const SP_LHH_BACKWARD: i32 = 1;
export const SP_LIF_FORWARD: i32 = 2;
export const SP_LIF_BACKWARD: i32 = 3;
export const SP_SLIF2HH_FORWARD: i32 = 4;
export const SP_SLIF2HH_BACKWARD: i32 = 5;
export const SP_LHH_AFFINE_FORWARD: i32 = 6;
export const SP_LHH_AFFINE_BACKWARD: i32 = 7;
export const SP_INTS: i32 = 14;
export const SP_FLOATS: i32 = 12;
export const SP_FLOAT_AT: i32 = 64;
export const SP_RECORD_BYTES: i32 = SP_FLOAT_AT + 8 * SP_FLOATS;

// @ts-ignore: decorator
@inline
function int(rec: usize, k: i32): i32 {
  return load<i32>(rec + ((<usize>k) << 2));
}

// @ts-ignore: decorator
@inline
function real(rec: usize, k: i32): f64 {
  return load<f64>(rec + <usize>SP_FLOAT_AT + ((<usize>k) << 3));
}

/**
 * Rows (LIF: flat neurons) [b0, b1) of the call recorded at rec, in the given phases (LIF and the
 * s-LIF2HH forward have only ROWS). The host runs single-threaded calls through here too.
 */
export function spikingCall(rec: usize, b0: i32, b1: i32, phase: i32): void {
  const kernel = int(rec, 0);
  const rows = (phase & PHASE_ROWS) != 0;
  if (kernel == SP_LIF_FORWARD) {
    if (!rows) return;
    // ints: kernel, BN, T, input, out, mem, flags, kind; floats: decay, th, cut, p
    lifForward(
      int(rec, 1),
      b0,
      b1,
      int(rec, 2),
      <usize>int(rec, 3),
      <usize>int(rec, 4),
      <usize>int(rec, 5),
      int(rec, 6),
      real(rec, 0),
      real(rec, 1),
      real(rec, 2),
      int(rec, 7),
      real(rec, 3),
    );
  } else if (kernel == SP_LIF_BACKWARD) {
    if (!rows) return;
    // ints: kernel, BN, T, mem, gradOut, gradInput, flags, kind; floats: decay, th, p, cut32, lo32, hi32
    lifBackward(
      int(rec, 1),
      b0,
      b1,
      int(rec, 2),
      <usize>int(rec, 3),
      <usize>int(rec, 4),
      <usize>int(rec, 5),
      int(rec, 6),
      real(rec, 0),
      real(rec, 1),
      int(rec, 7),
      real(rec, 2),
      <f32>real(rec, 3),
      <f32>real(rec, 4),
      <f32>real(rec, 5),
    );
  } else if (kernel == SP_SLIF2HH_FORWARD) {
    if (!rows) return;
    // ints: kernel, B, N, T, input, out, mem, weights, flags, kind; floats: decay, th, cut, p
    slif2hhForward(
      int(rec, 1),
      b0,
      b1,
      int(rec, 2),
      int(rec, 3),
      <usize>int(rec, 4),
      <usize>int(rec, 5),
      <usize>int(rec, 6),
      <usize>int(rec, 7),
      int(rec, 8),
      real(rec, 0),
      real(rec, 1),
      real(rec, 2),
      int(rec, 9),
      real(rec, 3),
    );
  } else if (kernel == SP_SLIF2HH_BACKWARD) {
    // ints: kernel, B, N, T, mem, gradOut, gradInput, gradWeights, wrows, weights, flags, kind
    // floats: decay, th, p, cut32, lo32, hi32
    slif2hhBackward(
      int(rec, 1),
      b0,
      b1,
      int(rec, 2),
      int(rec, 3),
      <usize>int(rec, 4),
      <usize>int(rec, 5),
      <usize>int(rec, 6),
      <usize>int(rec, 7),
      <usize>int(rec, 8),
      <usize>int(rec, 9),
      int(rec, 10),
      real(rec, 0),
      real(rec, 1),
      int(rec, 11),
      real(rec, 2),
      <f32>real(rec, 3),
      <f32>real(rec, 4),
      <f32>real(rec, 5),
      phase,
    );
  } else if (kernel == SP_LHH_AFFINE_FORWARD) {
    // ints: kernel, B, N, T, input, out, dt, rates, scratch, flags, factor
    // floats: C, gNa, gK, gL, ENa, EK, EL, th, cut, p, lo32, hi32
    lhhAffineForward(
      int(rec, 1),
      int(rec, 2),
      int(rec, 3),
      <usize>int(rec, 4),
      <usize>int(rec, 5),
      <usize>int(rec, 6),
      <usize>int(rec, 7),
      <usize>int(rec, 8),
      int(rec, 9),
      <usize>int(rec, 10),
      real(rec, 0),
      real(rec, 1),
      real(rec, 2),
      real(rec, 3),
      real(rec, 4),
      real(rec, 5),
      real(rec, 6),
      real(rec, 7),
      real(rec, 8),
      real(rec, 9),
      real(rec, 10),
      real(rec, 11),
      b0,
      b1,
      phase,
    );
  } else if (kernel == SP_LHH_AFFINE_BACKWARD) {
    // ints: kernel, B, N, T, input, gradOut, gradInput, dt, rates, scratch, flags
    // floats: C, gNa, gK, gL, ENa, EK, EL, th, p, lo32, hi32
    lhhAffineBackward(
      int(rec, 1),
      int(rec, 2),
      int(rec, 3),
      <usize>int(rec, 4),
      <usize>int(rec, 5),
      <usize>int(rec, 6),
      <usize>int(rec, 7),
      <usize>int(rec, 8),
      <usize>int(rec, 9),
      int(rec, 10),
      real(rec, 0),
      real(rec, 1),
      real(rec, 2),
      real(rec, 3),
      real(rec, 4),
      real(rec, 5),
      real(rec, 6),
      real(rec, 7),
      real(rec, 8),
      real(rec, 9),
      real(rec, 10),
      b0,
      b1,
      phase,
    );
  } else if (kernel == SP_LHH_FORWARD) {
    // ints: kernel, B, N, T, input, out, saved, dt, rates, scratch, flags, kind
    // floats: C, gNa, gK, gL, ENa, EK, EL, th, cut, p
    learningHhForward(
      int(rec, 1),
      int(rec, 2),
      int(rec, 3),
      <usize>int(rec, 4),
      <usize>int(rec, 5),
      <usize>int(rec, 6),
      <usize>int(rec, 7),
      <usize>int(rec, 8),
      <usize>int(rec, 9),
      int(rec, 10),
      real(rec, 0),
      real(rec, 1),
      real(rec, 2),
      real(rec, 3),
      real(rec, 4),
      real(rec, 5),
      real(rec, 6),
      real(rec, 7),
      real(rec, 8),
      int(rec, 11),
      real(rec, 9),
      b0,
      b1,
      phase,
    );
  } else {
    // ints: kernel, B, N, T, saved, gradOut, gradInput, gradRates, dt, rates, scratch, flags, kind
    // floats: C, gNa, gK, gL, ENa, EK, EL, th, p, lo32, hi32
    learningHhBackward(
      int(rec, 1),
      int(rec, 2),
      int(rec, 3),
      <usize>int(rec, 4),
      <usize>int(rec, 5),
      <usize>int(rec, 6),
      <usize>int(rec, 7),
      <usize>int(rec, 8),
      <usize>int(rec, 9),
      <usize>int(rec, 10),
      int(rec, 11),
      real(rec, 0),
      real(rec, 1),
      real(rec, 2),
      real(rec, 3),
      real(rec, 4),
      real(rec, 5),
      real(rec, 6),
      real(rec, 7),
      int(rec, 12),
      real(rec, 8),
      <f32>real(rec, 9),
      <f32>real(rec, 10),
      b0,
      b1,
      phase,
    );
  }
}
