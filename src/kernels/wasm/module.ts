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
  /** Takes chunks of the job block at `job` until none is left; returns how many. */
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
  /** conv2d lowering (assembly/conv.ts): x/dx at the chunk's first sample, col its column matrix. */
  im2col(
    x: number,
    col: number,
    count: number,
    cin: number,
    h: number,
    w: number,
    kh: number,
    kw: number,
    stride: number,
    padding: number,
    hOut: number,
    wOut: number,
  ): void;
  col2im(
    col: number,
    dx: number,
    count: number,
    cin: number,
    h: number,
    w: number,
    kh: number,
    kw: number,
    stride: number,
    padding: number,
    hOut: number,
    wOut: number,
  ): void;
  avgPool2d(
    x: number,
    out: number,
    planes: number,
    h: number,
    w: number,
    kernel: number,
    stride: number,
  ): void;
  avgPool2dBackward(
    g: number,
    dx: number,
    planes: number,
    h: number,
    w: number,
    kernel: number,
    stride: number,
  ): void;
  /** Writes an HH population run's argument block (assembly/hh-sim.ts). */
  hhSetArgs(
    args: number,
    n: number,
    steps: number,
    method: number,
    inputStride: number,
    dt: number,
    C: number,
    gNa: number,
    gK: number,
    gL: number,
    ENa: number,
    EK: number,
    EL: number,
    vOffset: number,
    threshold: number,
    limit: number,
    inSet: number,
    input: number,
    outSet: number,
  ): void;
  /** Advances neuron groups [g0, g1) (four neurons each) of the run at args. */
  hhAdvance(args: number, g0: number, g1: number): void;
  /** Bytes of one HH state/output set for n neurons. */
  hhSetBytes(n: number): number;
  /** dst = e^src (or e^src − 1) over n floats, n a multiple of 4 (for tests). */
  vectorExp(src: number, dst: number, n: number, minus1: number): void;
  HH_EULER: WasmGlobal;
  HH_EXPEULER: WasmGlobal;
  HH_RK4: WasmGlobal;
  HH_SLOTS: WasmGlobal;
  HH_ARG_BYTES: WasmGlobal;
  /** Job kinds. */
  JOB_GEMM: WasmGlobal;
  JOB_HH: WasmGlobal;
  JOB_TICKET: WasmGlobal;
  JOB_WAKE: WasmGlobal;
  JOB_COMPLETED: WasmGlobal;
  JOB_INFLIGHT: WasmGlobal;
  JOB_ERRORS: WasmGlobal;
  JOB_CHUNKS: WasmGlobal;
  JOB_KIND: WasmGlobal;
  JOB_ARGS: WasmGlobal;
  JOB_MAX_ARGS: WasmGlobal;
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
