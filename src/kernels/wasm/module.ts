/**
 * Locating, compiling and instantiating hhnet.wasm (built from assembly/ by `npm run build:wasm`).
 * The module imports its memory: a shared WebAssembly.Memory, so worker threads can instantiate
 * the same module over the same operands.
 */
import type { EnvVars } from '../../util/env.js';
import { envVars } from '../../util/env.js';
import { kernelPlatform } from './platform.js';
import { wasmApi, WasmMemory, WasmModule } from './wasm-api.js';

/** An exported immutable global (the module exports its job-block layout this way). */
export interface WasmGlobal {
  readonly value: number;
}

/** The kernels hhnet.wasm exports (pointers are byte offsets into the shared memory). */
export interface KernelExports {
  heapBase(): number;
  /** Address of the vector exp constants (assembly/vmath.ts), which generated kernels read. */
  expConstants(): number;
  gemmScratchBytes(): number;
  gemmColBlock(): number;
  /** The inner-dimension block of packed op(A) (JOB_PACK chunks are blocks × row ranges). */
  gemmInnerBlock(): number;
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
  hhSetTable(args: number, tab: number, min: number, inv: number, rows: number): void;
  /** dst = e^src (or e^src − 1) over n floats, n a multiple of 4 (for tests). */
  vectorExp(src: number, dst: number, n: number, minus1: number): void;
  HH_EULER: WasmGlobal;
  HH_EXPEULER: WasmGlobal;
  HH_RK4: WasmGlobal;
  HH_SLOTS: WasmGlobal;
  HH_ARG_BYTES: WasmGlobal;
  HH_TABLE_ROW: WasmGlobal;
  /** Job kinds. */
  JOB_GEMM: WasmGlobal;
  JOB_HH: WasmGlobal;
  JOB_SPIKING: WasmGlobal;
  JOB_ADAM: WasmGlobal;
  JOB_PACK: WasmGlobal;
  JOB_DECLARED: WasmGlobal;
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

/**
 * The two builds of assembly/: `baseline` needs WebAssembly SIMD only; `relaxed` also uses
 * relaxed SIMD (f32x4.relaxed_madd, one fused multiply-add in the gemm micro-kernel where the
 * CPU has FMA, ~1.3× the gemm throughput). Every other kernel is the same code in both.
 */
export type WasmVariant = 'baseline' | 'relaxed';
export const WASM_VARIANTS: readonly WasmVariant[] = ['baseline', 'relaxed'];

/** The file of each variant, which the build puts next to this module (dist/src/kernels/wasm). */
export const WASM_FILES: Readonly<Record<WasmVariant, string>> = {
  baseline: 'hhnet.wasm',
  relaxed: 'hhnet-relaxed.wasm',
};

/** Where the build puts a variant (a path in Node, a URL in a browser). */
export function wasmPath(variant: WasmVariant = 'baseline'): string {
  return kernelPlatform.location(WASM_FILES[variant]);
}

/**
 * The variant HHNET_WASM_SIMD asks for: `relaxed`, `baseline`, or unset/`auto` (relaxed when this
 * runtime accepts it, else baseline).
 */
export function variantFromEnv(env: EnvVars = envVars()): WasmVariant | 'auto' {
  const raw = env.HHNET_WASM_SIMD?.trim().toLowerCase();
  if (!raw || raw === 'auto') return 'auto';
  if (raw === 'relaxed' || raw === 'baseline') return raw;
  throw new Error(`HHNET_WASM_SIMD='${env.HHNET_WASM_SIMD}' is not one of auto, relaxed, baseline`);
}

const compiled = new Map<WasmVariant, WasmModule>();

function readModuleBytes(variant: WasmVariant): Uint8Array {
  const path = wasmPath(variant);
  let bytes: Uint8Array | null;
  try {
    bytes = kernelPlatform.readFile(WASM_FILES[variant]);
  } catch (err) {
    throw new Error(
      `wasm backend: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  if (!bytes)
    throw new Error(
      `wasm backend: ${path} is missing; ` +
        'run `npm run build` (its build:wasm step compiles assembly/ with AssemblyScript)',
    );
  return bytes;
}

/**
 * Whether this runtime validates the relaxed build; where it does not, the platform's switch for
 * it (Node 20: a V8 flag) is tried once, before any relaxed module is compiled.
 */
function acceptsRelaxed(bytes: Uint8Array): boolean {
  if (wasmApi.validate(bytes)) return true;
  return kernelPlatform.enableRelaxedSimd() && wasmApi.validate(bytes);
}

function compile(variant: WasmVariant, bytes: Uint8Array): WasmModule {
  let module: WasmModule;
  try {
    module = new wasmApi.Module(bytes);
  } catch (err) {
    throw new Error(
      `wasm backend: ${wasmPath(variant)} is not a valid module for this runtime (${String(err)})`,
    );
  }
  compiled.set(variant, module);
  return module;
}

/** The relaxed build compiled (once), or null when this runtime does not accept it. */
function relaxedModule(): WasmModule | null {
  const cached = compiled.get('relaxed');
  if (cached) return cached;
  const bytes = readModuleBytes('relaxed');
  return acceptsRelaxed(bytes) ? compile('relaxed', bytes) : null;
}

function relaxedUnsupported(): Error {
  return new Error(
    `wasm backend: this runtime (${kernelPlatform.runtime}) does not accept relaxed SIMD; ` +
      'unset HHNET_WASM_SIMD or set it to baseline',
  );
}

/** The variant loadWasmModule() compiles for `request` (auto: relaxed when accepted). */
export function resolveVariant(request: WasmVariant | 'auto' = variantFromEnv()): WasmVariant {
  if (request === 'baseline') return 'baseline';
  let accepted: boolean;
  try {
    accepted = relaxedModule() !== null;
  } catch (err) {
    if (request === 'relaxed') throw err;
    return 'baseline'; // auto: a missing relaxed build falls back
  }
  if (accepted) return 'relaxed';
  if (request === 'relaxed') throw relaxedUnsupported();
  return 'baseline';
}

/** Compiles a variant of hhnet.wasm once (synchronously); a clear error when it is missing. */
export function loadWasmModule(variant: WasmVariant = resolveVariant()): WasmModule {
  if (variant === 'relaxed') {
    const module = relaxedModule();
    if (!module) throw relaxedUnsupported();
    return module;
  }
  return compiled.get('baseline') ?? compile('baseline', readModuleBytes('baseline'));
}

/** Runs one chunk of a declared-model job (declared-threads.ts): record address, chunk index. */
export type DeclaredChunkHost = (record: number, chunk: number) => void;

const noDeclaredKernels: DeclaredChunkHost = () => {
  throw new Error('wasm backend: a declared-model job reached a thread without declared kernels');
};

/** Instantiates the module over a memory; used by the main thread and by each worker. */
export function instantiate(
  module: WasmModule,
  memory: WasmMemory,
  declaredChunk: DeclaredChunkHost = noDeclaredKernels,
): KernelExports {
  const instance = new wasmApi.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm backend: kernel aborted');
      },
      declaredChunk,
    },
  });
  return instance.exports as unknown as KernelExports;
}
