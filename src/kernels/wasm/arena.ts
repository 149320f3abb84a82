/**
 * Layout of the wasm backend's linear memory, from the module's heap base upwards:
 *
 *   control area  CONTROL_BYTES: the shared job block and the workers' ready counter (threads.ts)
 *   scratch       per thread, the packed-B block and edge tile of gemm
 *   heap          blocks handed out by a first-fit allocator: resident buffers (Float32Array views
 *                 the caller keeps, which kernels use in place) and one operand block, holding the
 *                 inputs/outputs of the current call that are not resident (copied in and out)
 *
 * The memory is shared, so growing it never moves or detaches it: a view made before a grow stays
 * valid (it is on the older, shorter SharedArrayBuffer object of the same memory), and so do the
 * views workers hold over the control area. Only the main thread grows the memory or hands out
 * blocks. A worker late on a chunk (see threads.ts) may still write the operand block after a call
 * returns, so every call settles before placing operands there; it never writes a resident block
 * after the call that gave it one returns (gemm waits for it first), so callers may write their
 * resident buffers between calls.
 */
import { MAX_PAGES, PAGE_BYTES } from './module.js';
import { WasmMemory } from './wasm-api.js';

export const CONTROL_BYTES = 1024;
/** Where in the control area a shared spiking call's argument record sits (assembly/spiking-jobs.ts). */
export const RECORD_OFFSET = 512;
const ALIGN = 64;
/**
 * Spare bytes after every heap block: the spiking kernels' vector loads may read up to 60 bytes
 * past an operand's last float (never store there), which must stay inside the memory.
 */
export const BLOCK_SLACK = 64;
/**
 * Most bytes resident views may hold at once. Past it allocResident declines (callers then use
 * ordinary arrays, copied per call): a loop that drops saved-for-backward buffers without running
 * backward frees them only when garbage collection and the event loop get to it, and the memory
 * never shrinks, so this bounds what such a loop can take.
 */
export const RESIDENT_MAX_BYTES = 2 ** 30;
/** The operand block grows in steps of this many bytes, so slowly growing calls rarely move it. */
const OPERAND_STEP = 1 << 20;

function alignUp(x: number, to = ALIGN): number {
  return Math.ceil(x / to) * to;
}

interface FreeBlock {
  ptr: number;
  bytes: number;
}

export class Arena {
  /** Byte offset of the control area. */
  readonly controlPtr: number;
  /** Byte offset of each thread's gemm scratch (index 0: the main thread). */
  readonly scratchPtrs: number[];
  /** End of the highest block ever handed out and not given back (the heap above is untouched). */
  private top: number;
  /** Free blocks below top, sorted by address, never adjacent (coalesced). */
  private readonly free: FreeBlock[] = [];
  /** Bytes of every block in use, by address. */
  private readonly used = new Map<number, number>();
  /** The SharedArrayBuffer objects resident views were made on (one per size the memory had). */
  private readonly residentBuffers = new Set<ArrayBufferLike>();
  /** Frees the block of a resident view nobody released once the view is garbage-collected. */
  private readonly finalizer = new FinalizationRegistry<number>((ptr) => this.freeResident(ptr));
  /** Bytes of the blocks behind resident views (not the operand block). */
  private residentBytes = 0;
  /** Bytes copied in and out by write/read/readColumns so far (tests, benchmarks). */
  copiedBytes = 0;
  private operandPtr = 0;
  private operandBytes = 0;
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
    this.top = ptr;
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
    this.ensure(ptr);
  }

  /**
   * Places regions of the given byte sizes one after the other (64-byte aligned) in the operand
   * block, growing it if needed; returns their byte offsets, or null when they cannot fit in 4 GiB.
   * The regions are valid until the next place().
   */
  place(byteSizes: readonly number[]): number[] | null {
    let total = 0;
    for (const bytes of byteSizes) total = alignUp(total + bytes);
    if (total > this.operandBytes || this.operandBytes === 0) {
      // Nothing in the old block is needed any more: give it back first, so it can be reused.
      if (this.operandBytes > 0) this.freeBlock(this.operandPtr);
      this.operandBytes = 0;
      const bytes = alignUp(total, OPERAND_STEP);
      const ptr = this.allocBlock(bytes) ?? this.allocBlock(total);
      if (ptr === null) return null;
      this.operandPtr = ptr;
      this.operandBytes = this.used.get(ptr)! - BLOCK_SLACK;
    }
    const ptrs: number[] = [];
    let ptr = this.operandPtr;
    for (const bytes of byteSizes) {
      ptrs.push(ptr);
      ptr = alignUp(ptr + bytes);
    }
    return ptrs;
  }

  /**
   * A view of n floats in the heap that kernels use in place (see residentPtr), zeroed unless
   * `zero` is false, or null when the memory cannot hold it. Its block returns to the heap on release(), or else once the view is
   * garbage-collected; views made from it (subarray) must not outlive it.
   */
  allocResident(n: number, zero = true): Float32Array | null {
    if (this.residentBytes + n * 4 > RESIDENT_MAX_BYTES) return null;
    const ptr = this.allocBlock(n * 4);
    if (ptr === null) return null;
    this.residentBytes += this.used.get(ptr)!;
    const view = new Float32Array(this.memory.buffer, ptr, n);
    if (zero) view.fill(0);
    this.residentBuffers.add(view.buffer);
    this.finalizer.register(view, ptr, view);
    return view;
  }

  /** Gives a view from allocResident back to the heap now; false for any other array. */
  releaseResident(view: Float32Array): boolean {
    if (this.residentPtr(view) < 0 || !this.finalizer.unregister(view)) return false;
    this.freeResident(view.byteOffset);
    return true;
  }

  private freeResident(ptr: number): void {
    this.residentBytes -= this.used.get(ptr) ?? 0;
    this.freeBlock(ptr);
  }

  /**
   * The byte offset of arr in this memory when it is (part of) a resident view, so a kernel can use
   * it in place; -1 for an ordinary array.
   */
  residentPtr(arr: Float32Array | null): number {
    return arr !== null && this.residentBuffers.has(arr.buffer) ? arr.byteOffset : -1;
  }

  /** Bytes of heap in use: resident blocks and the operand block (for tests and leak checks). */
  get heapBytesInUse(): number {
    let sum = 0;
    for (const bytes of this.used.values()) sum += bytes;
    return sum;
  }

  /** The whole memory as floats (index: byte offset / 4); valid until the next place(). */
  get f32(): Float32Array {
    return this.f32View;
  }

  /** The whole memory as 32-bit integers (index: byte offset / 4); valid until the next place(). */
  get i32(): Int32Array {
    return this.i32View;
  }

  /** Copies the first `count` floats of src to byte offset ptr (nothing when src already is there). */
  write(ptr: number, src: Float32Array, count: number): void {
    if (count <= 0 || this.residentPtr(src) === ptr) return;
    this.copiedBytes += count * 4;
    this.f32View.set(count === src.length ? src : src.subarray(0, count), ptr >>> 2);
  }

  /** Copies `count` floats at byte offset ptr into the start of dst (nothing when dst is there). */
  read(ptr: number, dst: Float32Array, count: number): void {
    if (count <= 0 || this.residentPtr(dst) === ptr) return;
    this.copiedBytes += count * 4;
    const at = ptr >>> 2;
    dst.set(this.f32View.subarray(at, at + count));
  }

  /** Copies columns [j0, j1) of the row-major m×n floats at byte offset ptr into the same places of dst. */
  readColumns(ptr: number, dst: Float32Array, m: number, n: number, j0: number, j1: number): void {
    const at = ptr >>> 2;
    this.copiedBytes += m * (j1 - j0) * 4;
    for (let r = 0; r < m; r++) {
      const row = at + r * n;
      dst.set(this.f32View.subarray(row + j0, row + j1), r * n + j0);
    }
  }

  /** A block of at least `bytes` (plus BLOCK_SLACK), 64-byte aligned; null beyond 4 GiB. */
  private allocBlock(bytes: number): number | null {
    const need = alignUp(bytes + BLOCK_SLACK);
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i];
      if (f.bytes < need) continue;
      const ptr = f.ptr;
      if (f.bytes === need) this.free.splice(i, 1);
      else {
        f.ptr += need;
        f.bytes -= need;
      }
      this.used.set(ptr, need);
      return ptr;
    }
    const ptr = this.top;
    if (ptr + need > MAX_PAGES * PAGE_BYTES) return null;
    this.ensure(ptr + need);
    this.top = ptr + need;
    this.used.set(ptr, need);
    return ptr;
  }

  /** Returns a block to the heap, merging it with free neighbours (and the top). */
  private freeBlock(ptr: number): void {
    const bytes = this.used.get(ptr);
    if (bytes === undefined) return;
    this.used.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i].ptr < ptr) i++;
    let block: FreeBlock = { ptr, bytes };
    const prev = this.free[i - 1];
    if (prev && prev.ptr + prev.bytes === ptr) {
      prev.bytes += bytes;
      block = prev;
      i--;
    } else {
      this.free.splice(i, 0, block);
    }
    const next = this.free[i + 1];
    if (next && block.ptr + block.bytes === next.ptr) {
      block.bytes += next.bytes;
      this.free.splice(i + 1, 1);
    }
    if (block.ptr + block.bytes === this.top) {
      this.top = block.ptr;
      this.free.splice(i, 1);
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
