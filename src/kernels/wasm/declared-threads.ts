/**
 * Declared-model SIMD kernels shared between the wasm backend's threads. The per-sample rows of a
 * call (SIMD_PHASE.rows) are split into chunks of flat neurons; the per-neuron passes around them
 * run once, on the calling thread. Chunks write disjoint outputs, states and input gradients; what
 * they would add into the same place — parameter gradients and the invariant states' adjoints —
 * each chunk adds into its own copy, and the caller sums the copies in chunk order. Those chunks
 * are fixed by the call's shape, so a result never depends on the number of threads.
 *
 * The kernels live in another module than the job loop (assembly/jobs.ts), so the caller writes
 * the call as a record in the control area and posts a JOB_DECLARED job; every thread that claims
 * a chunk calls back into its host (`declaredChunk`, the main module's import), which calls the
 * SIMD module's kernel on that chunk. A worker meets a module the first time it runs one of its
 * chunks: it compiles it from the bytes the caller left in shared memory (the worker's event loop
 * never runs, so nothing can be posted to it) and keeps the instance.
 *
 * The record: i32 words, then the kernel's arguments as f64 from ARGS_AT (exact for its i32 and
 * f32 values):
 *   0 module slot   1 kernel (KERNEL_NAMES)   2 suffix index   3 argument count
 *   4 position of i0 (i1 follows)   5 neurons per chunk   6 end of the last chunk
 *   7 module bytes address   8 module bytes length   9 exp constants address
 *   10–15 up to three (argument position or −1, bytes per chunk): pointers that advance by that
 *         many bytes each chunk (a zero pointer stays zero)
 */
import type { DeclaredChunkHost } from './module.js';
import type { WasmMemory } from './wasm-api.js';
import { wasmApi } from './wasm-api.js';

/** Byte offset of the record in the control area (after the spiking call record). */
export const DECLARED_RECORD_OFFSET = 704;
const HEADER_WORDS = 16;
const ARGS_AT = 4 * HEADER_WORDS;
/** Most kernel arguments a record holds. */
export const DECLARED_MAX_ARGS = 32;
/** Bytes of a record with the most arguments. */
export const DECLARED_RECORD_BYTES = ARGS_AT + 8 * DECLARED_MAX_ARGS;
const MAX_SHIFTS = 3;

/** The SIMD module's kernels, by their index in the record. */
export const KERNEL_NAMES = ['forwardV', 'forwardVS', 'backwardV', 'backwardVS'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

type Kernel = (...args: number[]) => void;
type Exports = Record<string, Kernel>;

/** How a call's rows are cut into chunks, and what moves with each chunk. */
export interface ChunkPlan {
  /** Position of i0 among the arguments (i1 is next). */
  rangeAt: number;
  /** Flat neurons per chunk (a multiple of 4), and where the last chunk ends. */
  width: number;
  end: number;
  /** Pointer arguments that advance by `bytes` each chunk (a zero pointer stays zero). */
  shifts: readonly { at: number; bytes: number }[];
}

/** One shared call, as the caller describes it. */
export interface DeclaredCall extends ChunkPlan {
  slot: number;
  kernel: KernelName;
  suffixIndex: number;
  args: readonly number[];
  /** The module's bytes in shared memory, for workers that have not instantiated it yet. */
  moduleAt: number;
  moduleBytes: number;
  expConstants: number;
}

/** The arguments of chunk c of a call. */
export function chunkArgs(args: readonly number[], plan: ChunkPlan, c: number): number[] {
  const out = args.slice();
  out[plan.rangeAt] = c * plan.width;
  out[plan.rangeAt + 1] = Math.min(plan.end, (c + 1) * plan.width);
  for (const { at, bytes } of plan.shifts) if (out[at] !== 0) out[at] += c * bytes;
  return out;
}

/** Writes a call's record at byte offset `at` of the memory. */
export function writeDeclaredCall(memory: WasmMemory, at: number, call: DeclaredCall): void {
  if (call.args.length > DECLARED_MAX_ARGS)
    throw new RangeError(`declared kernel: ${call.args.length} arguments > ${DECLARED_MAX_ARGS}`);
  if (call.shifts.length > MAX_SHIFTS)
    throw new RangeError(`declared kernel: ${call.shifts.length} moving pointers > ${MAX_SHIFTS}`);
  const head = new Int32Array(memory.buffer, at, HEADER_WORDS).fill(-1);
  head.set([
    call.slot,
    KERNEL_NAMES.indexOf(call.kernel),
    call.suffixIndex,
    call.args.length,
    call.rangeAt,
    call.width,
    call.end,
    call.moduleAt,
    call.moduleBytes,
    call.expConstants,
  ]);
  call.shifts.forEach(({ at: pos, bytes }, i) => head.set([pos, bytes], 10 + 2 * i));
  new Float64Array(memory.buffer, at + ARGS_AT, call.args.length).set(call.args);
}

/**
 * Each thread's side of the shared calls: its instances of the SIMD modules, by slot, and the
 * host function that runs a chunk.
 */
export class DeclaredChunkRunner {
  private readonly modules = new Map<number, Exports>();

  constructor(private readonly memory: WasmMemory) {}

  /** A module this thread already has (the caller's own instances). */
  register(slot: number, exports: Record<string, unknown>): void {
    this.modules.set(slot, exports as Exports);
  }

  /** The main module's `declaredChunk` import. */
  readonly host: DeclaredChunkHost = (record, chunk) => this.run(record, chunk);

  private run(record: number, chunk: number): void {
    const h = new Int32Array(this.memory.buffer, record, HEADER_WORDS);
    const [slot, kernel, suffix, argc, rangeAt, width, end] = h;
    const shifts = [10, 12, 14].filter((w) => h[w] >= 0).map((w) => ({ at: h[w], bytes: h[w + 1] }));
    const exports = this.modules.get(slot) ?? this.instantiate(slot, h[7], h[8], h[9]);
    const args = Array.from(new Float64Array(this.memory.buffer, record + ARGS_AT, argc));
    const fn = exports[`${KERNEL_NAMES[kernel]}_${suffix}`];
    if (typeof fn !== 'function')
      throw new Error(`declared kernel ${KERNEL_NAMES[kernel]}_${suffix} is not in module slot ${slot}`);
    fn(...chunkArgs(args, { rangeAt, width, end, shifts }, chunk));
  }

  private instantiate(slot: number, at: number, length: number, expConstants: number): Exports {
    // A copy: the bytes sit in shared memory, which the caller reuses.
    const bytes = new Uint8Array(this.memory.buffer, at, length).slice();
    const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory: this.memory } });
    const exports = instance.exports as unknown as Exports;
    exports.setExpConstants(expConstants);
    this.modules.set(slot, exports);
    return exports;
  }
}
