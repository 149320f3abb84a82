/**
 * Layout of the wasm backend's linear memory, from the module's heap base upwards:
 *
 *   control area  CONTROL_BYTES: the shared job block and the workers' ready counter (threads.ts)
 *   scratch       per thread, the packed-B block and edge tile of gemm
 *   operands      the inputs/outputs of the current call, copied in and out; grown on demand
 *
 * Only the main thread grows or writes this memory, and only once no worker is computing, so the
 * views workers hold over the (never moving) control area stay valid.
 */
import { MAX_PAGES, PAGE_BYTES } from './module.js';
import { WasmMemory } from './wasm-api.js';

export const CONTROL_BYTES = 1024;
const ALIGN = 64;

function alignUp(x: number): number {
  return Math.ceil(x / ALIGN) * ALIGN;
}

export class Arena {
  /** Byte offset of the control area. */
  readonly controlPtr: number;
  /** Byte offset of each thread's gemm scratch (index 0: the main thread). */
  readonly scratchPtrs: number[];
  private readonly operandBase: number;
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(
    readonly memory: WasmMemory,
    heapBase: number,
    scratchBytes: number,
    threads: number,
  ) {
    this.controlPtr = alignUp(heapBase);
    let ptr = this.controlPtr + CONTROL_BYTES;
    this.scratchPtrs = [];
    for (let t = 0; t < threads; t++) {
      this.scratchPtrs.push(ptr);
      ptr = alignUp(ptr + scratchBytes);
    }
    this.operandBase = ptr;
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
    this.ensure(ptr);
  }

  /**
   * Places regions of the given byte sizes one after the other (64-byte aligned), growing the
   * memory if needed; returns their byte offsets, or null when they cannot fit in 4 GiB.
   */
  place(byteSizes: readonly number[]): number[] | null {
    const ptrs: number[] = [];
    let ptr = this.operandBase;
    for (const bytes of byteSizes) {
      ptrs.push(ptr);
      ptr = alignUp(ptr + bytes);
    }
    if (ptr > MAX_PAGES * PAGE_BYTES) return null;
    this.ensure(ptr);
    return ptrs;
  }

  /** The whole memory as floats (index: byte offset / 4); valid until the next place(). */
  get f32(): Float32Array {
    return this.f32View;
  }

  /** The whole memory as 32-bit integers (index: byte offset / 4); valid until the next place(). */
  get i32(): Int32Array {
    return this.i32View;
  }

  /** Copies the first `count` floats of src to byte offset ptr. */
  write(ptr: number, src: Float32Array, count: number): void {
    if (count > 0) this.f32View.set(count === src.length ? src : src.subarray(0, count), ptr >>> 2);
  }

  /** Copies `count` floats at byte offset ptr into the start of dst. */
  read(ptr: number, dst: Float32Array, count: number): void {
    const at = ptr >>> 2;
    if (count > 0) dst.set(this.f32View.subarray(at, at + count));
  }

  /** Copies columns [j0, j1) of the row-major m×n floats at byte offset ptr into the same places of dst. */
  readColumns(ptr: number, dst: Float32Array, m: number, n: number, j0: number, j1: number): void {
    const at = ptr >>> 2;
    for (let r = 0; r < m; r++) {
      const row = at + r * n;
      dst.set(this.f32View.subarray(row + j0, row + j1), r * n + j0);
    }
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
    // A grown shared memory hands out a new, longer SharedArrayBuffer; the old one stays valid.
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }
}
