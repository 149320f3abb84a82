/**
 * Locating, compiling and instantiating hhnet.wasm (built from assembly/ by `npm run build:wasm`).
 * The module imports its memory: a shared WebAssembly.Memory, so worker threads can instantiate
 * the same module over the same operands.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wasmApi, WasmMemory, WasmModule } from './wasm-api.js';

/** An exported immutable global (the module exports its job-block layout this way). */
export interface WasmGlobal {
  readonly value: number;
}

/** The kernels hhnet.wasm exports (pointers are byte offsets into the shared memory). */
export interface KernelExports {
  heapBase(): number;
  gemmScratchBytes(): number;
  gemmColBlock(): number;
  packedABytes(m: number, k: number): number;
  /** Single-threaded C = op(A)·op(B) (+ C); pa: packedABytes(m, k) bytes to pack op(A) into. */
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    b: number,
    c: number,
    accumulate: number,
    pa: number,
    scratch: number,
  ): void;
  /** C[:, j0:j1] = op(A)·op(B)[:, j0:j1] (+ C) from op(A) packed by packAll at pa. */
  gemmPacked(
    transB: number,
    m: number,
    n: number,
    k: number,
    pa: number,
    b: number,
    c: number,
    accumulate: number,
    j0: number,
    j1: number,
    scratch: number,
  ): void;
  /** Packs op(A) for gemmPacked / shared jobs. */
  packAll(transA: number, a: number, m: number, k: number, dst: number): void;
  /** Takes column chunks of the job block at `job` until none is left; returns how many. */
  runJob(job: number, scratch: number): number;
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    stepSize: number,
    sqrtBc2: number,
  ): void;
  JOB_TICKET: WasmGlobal;
  JOB_WAKE: WasmGlobal;
  JOB_COMPLETED: WasmGlobal;
  JOB_INFLIGHT: WasmGlobal;
  JOB_ERRORS: WasmGlobal;
  JOB_CHUNKS: WasmGlobal;
  JOB_CHUNK_COLS: WasmGlobal;
  JOB_TRANS_B: WasmGlobal;
  JOB_M: WasmGlobal;
  JOB_N: WasmGlobal;
  JOB_K: WasmGlobal;
  JOB_PA: WasmGlobal;
  JOB_B: WasmGlobal;
  JOB_C: WasmGlobal;
  JOB_ACCUMULATE: WasmGlobal;
  JOB_DONE: WasmGlobal;
  JOB_MAX_CHUNKS: WasmGlobal;
  JOB_BYTES: WasmGlobal;
}

/** 64 KiB WebAssembly pages; the module declares (and the memory gets) this maximum: 4 GiB. */
export const PAGE_BYTES = 65536;
export const MAX_PAGES = 65536;

/** Where the build puts the module: next to this file's compiled output (dist/src/kernels/wasm). */
export function wasmPath(): string {
  return fileURLToPath(new URL('./hhnet.wasm', import.meta.url));
}

let compiled: WasmModule | null = null;

/** Compiles hhnet.wasm once (synchronously); a clear error when the build did not produce it. */
export function loadWasmModule(): WasmModule {
  if (compiled) return compiled;
  const path = wasmPath();
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    throw new Error(
      `wasm backend: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
        'run `npm run build` (its build:wasm step compiles assembly/ with AssemblyScript)',
    );
  }
  try {
    compiled = new wasmApi.Module(bytes);
  } catch (err) {
    throw new Error(`wasm backend: ${path} is not a valid module for this Node (${String(err)})`);
  }
  return compiled;
}

/** Instantiates the module over a memory; used by the main thread and by each worker. */
export function instantiate(module: WasmModule, memory: WasmMemory): KernelExports {
  const instance = new wasmApi.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm backend: kernel aborted');
      },
    },
  });
  return instance.exports as unknown as KernelExports;
}
