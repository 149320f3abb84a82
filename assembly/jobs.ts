// Shared jobs: several threads take chunks of one piece of work (the column chunks of a gemm, the
// neuron chunks of an HH population run) from a job block in shared memory.
//
// A job block (JOB_BYTES, 8-byte aligned) in shared memory, written by the thread that posts it:
//   TICKET     i64  (generation << 32) | next unclaimed chunk. Chunks are claimed by
//                   compare-exchange, and a poster changes the ticket before rewriting the
//                   arguments (low half 0xFFFFFFFF: closed), so a claim only succeeds when the
//                   arguments read before it are still those of the ticket's job.
//   WAKE       i32  bumped by the poster after publishing; idle workers sleep on it
//   COMPLETED  i32  chunks finished; the poster may wait (Atomics.wait) for it to reach CHUNKS
//   INFLIGHT   i32  threads between a claim attempt and the end of their chunk; the poster waits
//                   for 0 before it reuses the operand memory (a chunk it gave up waiting for and
//                   computed itself may still be written by a thread the OS had paused)
//   ERRORS     i32  set by a host whose runJob call threw
//   CHUNKS     i32  chunks in the job
//   KIND       i32  JOB_GEMM, JOB_HH, JOB_SPIKING, JOB_ADAM, JOB_PACK or JOB_DECLARED
//   ARGS       JOB_MAX_ARGS i32 words, by kind:
//                gemm:     chunkCols, then gemmPacked's transB, m, n, k, pa, b, c, accumulate
//                hh:       groupsPerChunk, the hhArgs block (hh-sim.ts)
//                spiking:  rowsPerChunk, the call's record (spiking-jobs.ts), rows, phase (0: ROWS;
//                          PREPARE_NEURONS: the units are neurons)
//                pack:     rowsPerChunk, transA, a, m, k, dst, parts (packChunk in gemm.ts)
//                declared: the call's record (a declared model's SIMD kernel, in another
//                          module: each chunk goes to the host, src/kernels/wasm/declared-threads.ts)
//                adam:     floatsPerChunk, p, g, m, v, n, then a record of six f64: beta1, beta2,
//                          eps, weightDecay, stepSize, sqrtBc2
//   DONE       one i32 flag per chunk.
import { gemmPacked, packChunk } from './gemm';
import { hhAdvance } from './hh-sim';
import { spikingCall } from './spiking-jobs';
import { PHASE_ROWS } from './spiking';
import { adam } from './adam';

export const JOB_GEMM: i32 = 0;
export const JOB_HH: i32 = 1;
export const JOB_SPIKING: i32 = 2;
export const JOB_ADAM: i32 = 3;
export const JOB_PACK: i32 = 4;
export const JOB_DECLARED: i32 = 5;

/** Runs chunk `chunk` of the declared-model call recorded at `record` (the host calls its kernel). */
// @ts-ignore: decorator
@external('env', 'declaredChunk')
declare function declaredChunk(record: usize, chunk: i32): void;

export const JOB_TICKET: i32 = 0;
export const JOB_WAKE: i32 = 8;
export const JOB_COMPLETED: i32 = 12;
export const JOB_INFLIGHT: i32 = 16;
export const JOB_ERRORS: i32 = 20;
export const JOB_CHUNKS: i32 = 24;
export const JOB_KIND: i32 = 28;
export const JOB_ARGS: i32 = 32;
export const JOB_MAX_ARGS: i32 = 10;
export const JOB_DONE: i32 = JOB_ARGS + 4 * JOB_MAX_ARGS;
export const JOB_MAX_CHUNKS: i32 = 64;
export const JOB_BYTES: i32 = JOB_DONE + 4 * JOB_MAX_CHUNKS;

// @ts-ignore: decorator
@inline
function arg(job: usize, i: i32): i32 {
  return load<i32>(job + ((<usize>i) << 2), JOB_ARGS);
}

// @ts-ignore: decorator
@inline
function leave(job: usize): void {
  if (atomic.sub<i32>(job, 1, JOB_INFLIGHT) == 1) atomic.notify(job + JOB_INFLIGHT);
}

/**
 * Takes chunks of the job at `job` until none is left, flagging each DONE; returns how many this
 * thread computed. Whoever finishes the last chunk wakes the poster.
 */
export function runJob(job: usize, scratch: usize): i32 {
  let done = 0;
  for (;;) {
    const ticket = atomic.load<i64>(job, JOB_TICKET);
    const next = <u32>ticket;
    const chunks = atomic.load<i32>(job, JOB_CHUNKS);
    if (next >= <u32>chunks) return done;
    // The arguments are read before the claim, which validates them (see TICKET above).
    const kind = load<i32>(job, JOB_KIND);
    const a0 = arg(job, 0);
    const a1 = arg(job, 1);
    const a2 = arg(job, 2);
    const a3 = arg(job, 3);
    const a4 = arg(job, 4);
    const a5 = arg(job, 5);
    const a6 = arg(job, 6);
    const a7 = arg(job, 7);
    const a8 = arg(job, 8);
    atomic.add<i32>(job, 1, JOB_INFLIGHT);
    if (atomic.cmpxchg<i64>(job, ticket, ticket + 1, JOB_TICKET) != ticket) {
      leave(job);
      continue;
    }
    const i = <i32>next;
    if (kind == JOB_HH) {
      hhAdvance(<usize>a1, i * a0, i * a0 + a0);
    } else if (kind == JOB_SPIKING) {
      const r0 = i * a0;
      spikingCall(<usize>a1, r0, r0 + a0 < a2 ? r0 + a0 : a2, a3 != 0 ? a3 : PHASE_ROWS);
    } else if (kind == JOB_DECLARED) {
      declaredChunk(<usize>a0, i);
    } else if (kind == JOB_PACK) {
      packChunk(a1, <usize>a2, a3, a4, <usize>a5, a0, a6, i);
    } else if (kind == JOB_ADAM) {
      const e0 = i * a0;
      const off = (<usize>e0) << 2;
      const rec = <usize>a6;
      adam(
        <usize>a1 + off,
        <usize>a2 + off,
        <usize>a3 + off,
        <usize>a4 + off,
        (e0 + a0 < a5 ? e0 + a0 : a5) - e0,
        <f32>load<f64>(rec),
        <f32>load<f64>(rec, 8),
        <f32>load<f64>(rec, 16),
        <f32>load<f64>(rec, 24),
        <f32>load<f64>(rec, 32),
        <f32>load<f64>(rec, 40),
      );
    } else {
      const j0 = i * a0;
      gemmPacked(
        a1,
        a2,
        a3,
        a4,
        <usize>a5,
        <usize>a6,
        <usize>a7,
        a8,
        j0,
        j0 + a0 < a3 ? j0 + a0 : a3,
        scratch,
      );
    }
    atomic.store<i32>(job + ((<usize>next) << 2), 1, JOB_DONE);
    if (atomic.add<i32>(job, 1, JOB_COMPLETED) + 1 == chunks) atomic.notify(job + JOB_COMPLETED);
    leave(job);
    done++;
  }
  return done;
}
