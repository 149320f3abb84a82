/**
 * The WebAssembly SIMD backend: gemm, Adam and the fused spiking kernels (spiking.ts) run in
 * hhnet.wasm (compiled from assembly/ by `npm run build:wasm`). Each call copies its operands into
 * the module's memory (except resident ones, see allocate), runs the kernel and copies the
 * results back. Large gemms are shared, in column chunks, between the calling thread and worker
 * threads over that same (shared) memory: HHNET_THREADS threads in all, default the number of
 * cores up to DEFAULT_MAX_THREADS. Every element is computed the same way whatever the split, so
 * results do not depend on the thread count. The HH population kernel (hh-sim.ts) shares its
 * neuron groups the same way, large learning-HH and s-LIF2HH calls their batch rows and large LIF
 * calls their neurons (full HH runs on the calling thread). Operands
 * too large for the 4 GiB memory fall through to the plain-TypeScript reference backend. Buffers
 * from allocate() live in the module's memory (arena.ts), so kernels use them in place.
 */
import { Backend, ConvGeometry } from '../backend.js';
import { createJsBackend } from '../js/index.js';
import { Arena, CONTROL_BYTES, RECORD_OFFSET } from './arena.js';
import {
  KernelExports,
  MAX_PAGES,
  WasmVariant,
  instantiate,
  loadWasmModule,
  resolveVariant,
} from './module.js';
import { RowSharing, SpikingExports, createSpikingKernels } from './spiking.js';
import { MultiBranchExports, createMultiBranchKernels } from './multibranch.js';
import { DeclaredKernels } from './declared.js';
import { DECLARED_RECORD_BYTES, DECLARED_RECORD_OFFSET, DeclaredChunkRunner } from './declared-threads.js';

/** spikingKernelPath of a declared model running its generated kernel. */
export const GENERATED_PATH = 'wasm (generated)';
import { HhSim, createHhSim } from './hh-sim.js';
import { Job, JobBlock, WorkerPool } from './threads.js';
import { wasmApi } from './wasm-api.js';
import { kernelPlatform } from './platform.js';
import type { EnvVars } from '../../util/env.js';
import { envVars } from '../../util/env.js';

export { wasmPath, WASM_VARIANTS } from './module.js';
export type { WasmVariant } from './module.js';

/** Default thread count cap (more are used only when HHNET_THREADS asks for them). */
export const DEFAULT_MAX_THREADS = 4;
/** Most threads HHNET_THREADS may ask for. */
export const MAX_THREADS = 16;
/** Products below this many flops (2·m·n·k) stay on the calling thread: waking workers costs more. */
export const PARALLEL_MIN_FLOPS = 4e6;
/** Adam steps over fewer floats than this stay on the calling thread. */
export const ADAM_SHARE_MIN_FLOATS = 1 << 16;
/** Column chunks per thread in a shared gemm: more balance the load, fewer pack less often. */
const CHUNKS_PER_THREAD = 8;
/** How long the caller waits for worker threads to leave the operand memory before giving up. */
const QUIESCE_TIMEOUT_MS = 30_000;

export interface WasmBackendOptions {
  /** Threads computing one gemm (1 = no workers); default HHNET_THREADS, else the core count. */
  threads?: number;
  /**
   * How long the caller, out of chunks, waits for those still in flight before computing them
   * itself; default 1.5× its own mean chunk time. 0 (tests) exercises that takeover path.
   */
  graceMs?: number;
  /** Which build of the kernels to run; default HHNET_WASM_SIMD, else relaxed when accepted. */
  variant?: WasmVariant;
}

export interface WasmBackend extends Backend {
  /** Threads a large gemm is shared between (including the calling one). */
  readonly threads: number;
  /** The build running: `relaxed` (fused multiply-add in the gemm) or `baseline` SIMD. */
  readonly variant: WasmVariant;
  /** The HH population kernel (src/sim/wasm-hh-population.ts), sharing this backend's threads. */
  readonly hhSim: HhSim;
  /** Resolves when the worker threads are up (until then the calling thread does all the work). */
  whenThreadsReady(): Promise<void>;
  /** Bytes of the memory's heap in use: resident buffers and the operand block (leak checks). */
  heapBytesInUse(): number;
  /** Size of the module's memory in bytes (it only ever grows). */
  memoryBytes(): number;
  /** Bytes the kernels have copied into and out of the memory so far (resident operands are not). */
  copiedBytes(): number;
  /** Spiking-kernel and Adam calls shared between threads so far (tests, benchmarks). */
  sharedInPlaceCalls(): number;
  /** Gemm/HH chunks the caller computed itself because a worker was late (copied aside). */
  takenOverChunks(): number;
  /** Stops the worker threads (they are unref()'d, so this is optional before exit). */
  close(): void;
}

/** The thread count HHNET_THREADS asks for, else min(cores, DEFAULT_MAX_THREADS). */
export function threadsFromEnv(env: EnvVars = envVars()): number {
  const raw = env.HHNET_THREADS?.trim();
  if (!raw) return Math.max(1, Math.min(kernelPlatform.cores(), DEFAULT_MAX_THREADS));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new Error(`HHNET_THREADS='${raw}' is not a thread count (an integer from 1 to ${MAX_THREADS})`);
  }
  return n;
}

function checkLength(op: string, name: string, arr: Float32Array, need: number): void {
  if (arr.length < need) throw new RangeError(`wasm ${op}: ${name} has ${arr.length} floats, needs ${need}`);
}

export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend {
  const threads = options.threads ?? threadsFromEnv();
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`wasm backend: threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
  }
  const variant = options.variant ?? resolveVariant();
  const module = loadWasmModule(variant);
  // The arena grows the memory to its layout (control area, per-thread scratch) right away.
  const memory = new wasmApi.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
  const declaredRunner = new DeclaredChunkRunner(memory);
  const ex = instantiate(module, memory, declaredRunner.host) as KernelExports &
    SpikingExports &
    MultiBranchExports;
  const arena = new Arena(memory, ex.heapBase(), ex.gemmScratchBytes(), threads);
  const colBlock = ex.gemmColBlock();
  const innerBlock = ex.gemmInnerBlock();
  const board = new JobBlock(ex, memory, arena.controlPtr);
  let pool: WorkerPool | null =
    threads > 1 ? new WorkerPool(module, memory, arena.controlPtr, arena.scratchPtrs.slice(1)) : null;
  const js = createJsBackend();

  function stopThreads(): void {
    pool?.close();
    pool = null;
  }

  /** Threads that can share a gemm right now: the caller plus the workers that are up. */
  function threadsUp(): number {
    return pool ? 1 + Math.min(board.ready, pool.size) : 1;
  }

  /**
   * Before the operand memory is written: waits until no worker is still inside a chunk of an
   * earlier job (one the caller took over from a thread the OS had paused).
   */
  function settle(): void {
    if (!pool) return;
    if (!board.quiesce(QUIESCE_TIMEOUT_MS)) {
      stopThreads();
      throw new Error(
        `wasm backend: a worker thread has not left its gemm chunk for ${QUIESCE_TIMEOUT_MS / 1000} s; ` +
          'threads are now off for this backend (HHNET_THREADS=1 avoids them altogether)',
      );
    }
    if (board.errors !== 0) stopThreads(); // a worker failed; the caller had redone its chunk
  }

  /**
   * Publishes a job, takes chunks of it on the calling thread, then waits briefly for the chunks
   * still in flight (1.5× the caller's mean chunk time, or graceMs) and hands those not done to
   * takeOver, which must compute them where the late threads cannot write. Returns their indices.
   */
  function runShared(job: Job, fallbackChunkMs: number, takeOver: (late: number[]) => void): number[] {
    board.publish(job);
    const start = performance.now();
    const mine = ex.runJob(arena.controlPtr, arena.scratchPtrs[0]);
    const chunkMs = mine > 0 ? (performance.now() - start) / mine : fallbackChunkMs;
    const late: number[] = [];
    if (!board.waitCompleted(job.chunks, options.graceMs ?? 1.5 * chunkMs + 0.05)) {
      for (let i = 0; i < job.chunks; i++) if (!board.isDone(i)) late.push(i);
      if (late.length > 0) {
        takenOverChunks += late.length;
        takeOver(late);
      }
    }
    return late;
  }

  /**
   * Learning-HH calls share their rows without a takeover (a late chunk accumulates into the
   * caller's gradients, so it cannot be recomputed aside): the caller takes chunks until none is
   * left, then waits for those in flight.
   */
  if (ex.JOB_BYTES.value + 4 > RECORD_OFFSET || RECORD_OFFSET + ex.SP_RECORD_BYTES.value > CONTROL_BYTES)
    throw new Error('wasm backend: the spiking call record does not fit the control area');
  let sharedInPlaceCalls = 0;
  let takenOverChunks = 0;
  const recordPtr = arena.controlPtr + RECORD_OFFSET;
  const rowSharing: RowSharing = {
    threadsUp,
    runRows(rows, rowsPerChunk, phase = 0) {
      const chunks = Math.ceil(rows / rowsPerChunk);
      runToCompletion(
        { kind: ex.JOB_SPIKING.value, chunks, args: [rowsPerChunk, recordPtr, rows, phase] },
        'spiking-kernel rows',
      );
    },
  };

  /**
   * Runs a job whose chunks update memory in place (so a late chunk cannot be recomputed aside):
   * the caller takes chunks until none is left, then waits for those in flight.
   */
  function runToCompletion(job: Job, what: string, count = true): void {
    if (count) sharedInPlaceCalls++;
    board.publish(job);
    ex.runJob(arena.controlPtr, arena.scratchPtrs[0]);
    if (!board.waitCompleted(job.chunks, QUIESCE_TIMEOUT_MS)) {
      stopThreads();
      throw new Error(
        `wasm backend: a worker thread has not finished its ${what} for ${QUIESCE_TIMEOUT_MS / 1000} s; ` +
          'threads are now off for this backend (HHNET_THREADS=1 avoids them altogether)',
      );
    }
  }

  /**
   * packAll of op(A) for a shared product, itself shared: chunks of KC blocks × row ranges (the
   * workers would otherwise wait for the caller to pack it alone).
   */
  function packShared(ta: number, pa: number, m: number, k: number, dst: number, threads: number): void {
    const blocks = Math.ceil(k / innerBlock);
    const parts = Math.min(Math.ceil(m / 4), Math.max(1, Math.ceil((4 * threads) / blocks)));
    const rows = Math.ceil(m / parts / 4) * 4;
    const chunks = blocks * Math.ceil(m / rows);
    if (chunks < 2 || chunks > board.maxChunks) return ex.packAll(ta, pa, m, k, dst);
    const args = [rows, ta, pa, m, k, dst, Math.ceil(m / rows)];
    runToCompletion({ kind: ex.JOB_PACK.value, chunks, args }, 'gemm packing', false);
  }

  function gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate: boolean,
  ): void {
    if (m <= 0 || n <= 0) return;
    const la = m * k;
    const lb = k * n;
    const lc = m * n;
    checkLength('gemm', 'A', a, la);
    checkLength('gemm', 'B', b, lb);
    checkLength('gemm', 'C', c, lc);
    settle();
    const flops = 2 * m * n * k;
    const parts = flops >= PARALLEL_MIN_FLOPS ? threadsUp() : 1;
    const chunkCols =
      Math.ceil(Math.max(4 * colBlock, n / (parts * CHUNKS_PER_THREAD), n / board.maxChunks) / colBlock) *
      colBlock;
    const chunks = Math.ceil(n / chunkCols);
    const shared = parts > 1 && chunks > 1;
    // Resident operands are used in place. Except C of a shared product that accumulates: a chunk
    // the caller takes over is computed from C's old values, to which a paused worker may already
    // have added in place, so that C goes through the operand block as before.
    const ra = arena.residentPtr(a);
    const rb = arena.residentPtr(b);
    const rc = shared && accumulate ? -1 : arena.residentPtr(c);
    // A, B, C, packed op(A), and (shared) a side C for chunks the caller takes over.
    const ptrs = arena.place([
      ra < 0 ? la * 4 : 0,
      rb < 0 ? lb * 4 : 0,
      rc < 0 ? lc * 4 : 0,
      ex.packedABytes(m, k),
      shared ? lc * 4 : 0,
    ]);
    if (!ptrs) {
      js.gemm(transA, transB, m, n, k, a, b, c, accumulate); // operands beyond 4 GiB
      return;
    }
    const [pa, pb, pc] = [ra < 0 ? ptrs[0] : ra, rb < 0 ? ptrs[1] : rb, rc < 0 ? ptrs[2] : rc];
    const [, , , packed, side] = ptrs;
    arena.write(pa, a, la);
    arena.write(pb, b, lb);
    if (accumulate) arena.write(pc, c, lc);
    const ta = transA ? 1 : 0;
    const tb = transB ? 1 : 0;
    const acc = accumulate ? 1 : 0;
    if (!shared) {
      ex.gemm(ta, tb, m, n, k, pa, pb, pc, acc, packed, arena.scratchPtrs[0]);
      arena.read(pc, c, lc);
      return;
    }
    packShared(ta, pa, m, k, packed, parts);
    const job = { kind: ex.JOB_GEMM.value, chunks, args: [chunkCols, tb, m, n, k, packed, pb, pc, acc] };
    // Chunks taken over are computed into the side buffer, since the thread that holds one may
    // resume and write partial sums into C at any time.
    const late = runShared(job, (2 * m * chunkCols * k) / 5e6, (chunksLate) => {
      if (accumulate) arena.write(side, c, lc);
      for (const i of chunksLate) {
        ex.gemmPacked(
          tb,
          m,
          n,
          k,
          packed,
          pb,
          side,
          acc,
          i * chunkCols,
          Math.min(n, (i + 1) * chunkCols),
          arena.scratchPtrs[0],
        );
      }
    });
    // A C used in place must be final when this returns: wait for the late threads to leave it.
    if (late.length > 0 && rc >= 0) settle();
    arena.read(pc, c, lc);
    for (const i of late) arena.readColumns(side, c, m, n, i * chunkCols, Math.min(n, (i + 1) * chunkCols));
  }

  function adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void {
    const n = p.length;
    if (n === 0) return;
    checkLength('adam', 'grad', g, n);
    checkLength('adam', 'm', m, n);
    checkLength('adam', 'v', v, n);
    settle();
    // Resident buffers (an optimiser's usual state) are updated in place; the others are copied.
    const rs = [p, g, m, v].map((x) => arena.residentPtr(x));
    const ptrs = arena.place(rs.map((r) => (r < 0 ? n * 4 : 0)));
    if (!ptrs) {
      js.adam(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step);
      return;
    }
    const [pp, pg, pm, pv] = ptrs.map((ptr, i) => (rs[i] < 0 ? ptr : rs[i]));
    arena.write(pp, p, n);
    arena.write(pg, g, n);
    arena.write(pm, m, n);
    arena.write(pv, v, n);
    const stepSize = lr / (1 - Math.pow(beta1, step));
    const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, step));
    const parts = n >= ADAM_SHARE_MIN_FLOATS ? threadsUp() : 1;
    if (parts < 2) ex.adam(pp, pg, pm, pv, n, beta1, beta2, eps, weightDecay, stepSize, sqrtBc2);
    else {
      // Elementwise, so any split gives the same floats; chunks are whole vectors of four.
      const perChunk = Math.ceil(n / (parts * CHUNKS_PER_THREAD) / 4) * 4;
      new Float64Array(memory.buffer, recordPtr, 6).set([beta1, beta2, eps, weightDecay, stepSize, sqrtBc2]);
      const args = [perChunk, pp, pg, pm, pv, n, recordPtr];
      runToCompletion({ kind: ex.JOB_ADAM.value, chunks: Math.ceil(n / perChunk), args }, 'Adam chunk');
    }
    arena.read(pp, p, n);
    arena.read(pm, m, n);
    arena.read(pv, v, n);
  }

  /**
   * im2col (toCols) or col2im: the chunk's samples of x/dx and col are used in place when
   * resident (conv2d allocates col that way, so its gemm reads it without a copy), else copied
   * through the operand block; col2im copies dx in, since it accumulates.
   */
  function lower(
    toCols: boolean,
    image: Float32Array,
    g: ConvGeometry,
    first: number,
    count: number,
    col: Float32Array,
  ): void {
    const op = toCols ? 'im2col' : 'col2im';
    const sampleLen = g.cin * g.h * g.w;
    const imageLen = count * sampleLen;
    const colLen = g.cin * g.kh * g.kw * count * g.hOut * g.wOut;
    checkLength(op, toCols ? 'x' : 'dx', image, (first + count) * sampleLen);
    checkLength(op, 'col', col, colLen);
    if (imageLen === 0 || colLen === 0) {
      if (toCols) col.fill(0, 0, colLen);
      return;
    }
    // The chunk's samples as their own array: when image is resident its byteOffset is in place.
    const chunk = image.subarray(first * sampleLen, (first + count) * sampleLen);
    settle();
    const ri = arena.residentPtr(chunk);
    const rc = arena.residentPtr(col);
    const ptrs = arena.place([ri < 0 ? imageLen * 4 : 0, rc < 0 ? colLen * 4 : 0]);
    if (!ptrs) {
      (toCols ? js.im2col : js.col2im)(toCols ? image : col, g, first, count, toCols ? col : image);
      return;
    }
    const pi = ri < 0 ? ptrs[0] : ri;
    const pc = rc < 0 ? ptrs[1] : rc;
    const { cin, h, w, kh, kw, stride, padding, hOut, wOut } = g;
    if (toCols) {
      arena.write(pi, chunk, imageLen);
      ex.im2col(pi, pc, count, cin, h, w, kh, kw, stride, padding, hOut, wOut);
      arena.read(pc, col, colLen);
    } else {
      arena.write(pi, chunk, imageLen);
      arena.write(pc, col, colLen);
      ex.col2im(pc, pi, count, cin, h, w, kh, kw, stride, padding, hOut, wOut);
      arena.read(pi, chunk, imageLen);
    }
  }

  /** avgPool2d (forward) or its backward: src is x or g, dst is out or dx (copied in: it accumulates). */
  function avgPool(
    forward: boolean,
    src: Float32Array,
    planes: number,
    h: number,
    w: number,
    kernel: number,
    stride: number,
    dst: Float32Array,
  ): void {
    const op = forward ? 'avgPool2d' : 'avgPool2dBackward';
    const inLen = planes * h * w;
    const outLen = planes * (Math.floor((h - kernel) / stride) + 1) * (Math.floor((w - kernel) / stride) + 1);
    const [srcLen, dstLen] = forward ? [inLen, outLen] : [outLen, inLen];
    checkLength(op, 'source', src, srcLen);
    checkLength(op, 'destination', dst, dstLen);
    if (srcLen === 0 || dstLen === 0) return;
    settle();
    const rs = arena.residentPtr(src);
    const rd = arena.residentPtr(dst);
    const ptrs = arena.place([rs < 0 ? srcLen * 4 : 0, rd < 0 ? dstLen * 4 : 0]);
    if (!ptrs) {
      (forward ? js.avgPool2d : js.avgPool2dBackward)(src, planes, h, w, kernel, stride, dst);
      return;
    }
    const ps = rs < 0 ? ptrs[0] : rs;
    const pd = rd < 0 ? ptrs[1] : rd;
    arena.write(ps, src, srcLen);
    if (forward) ex.avgPool2d(ps, pd, planes, h, w, kernel, stride);
    else {
      arena.write(pd, dst, dstLen);
      ex.avgPool2dBackward(ps, pd, planes, h, w, kernel, stride);
    }
    arena.read(pd, dst, dstLen);
  }

  if (
    RECORD_OFFSET + ex.SP_RECORD_BYTES.value > DECLARED_RECORD_OFFSET ||
    DECLARED_RECORD_OFFSET + DECLARED_RECORD_BYTES > CONTROL_BYTES
  )
    throw new Error('wasm backend: the declared-model call record does not fit the control area');
  const declaredRecordPtr = arena.controlPtr + DECLARED_RECORD_OFFSET;
  const declared = new DeclaredKernels({
    shared: {
      memory,
      arena,
      settle,
      expConstants: ex.expConstants(),
      threads: pool
        ? {
            runner: declaredRunner,
            threadsUp,
            recordPtr: declaredRecordPtr,
            runChunks: (chunks) =>
              runToCompletion(
                { kind: ex.JOB_DECLARED.value, chunks, args: [declaredRecordPtr] },
                'declared-model kernel columns',
              ),
          }
        : undefined,
    },
  });
  return {
    ...createSpikingKernels(ex, arena, settle, js, recordPtr, pool ? rowSharing : null),
    ...createMultiBranchKernels(ex, arena, settle, js),
    name: 'wasm',
    // Declared models: generated kernels (built-ins at build time, others once prepared).
    spikingForward: (a) => (declared.has(a.program) ? declared.forward(a) : js.spikingForward(a)),
    spikingBackward: (a) => (declared.has(a.program) ? declared.backward(a) : js.spikingBackward(a)),
    spikingKernelPath: (p) => (declared.has(p) ? GENERATED_PATH : 'reference'),
    prepareSpikingKernel: async (p) => {
      await declared.prepare(p);
      return GENERATED_PATH;
    },
    gemm,
    adam,
    im2col: (x, g, first, count, col) => lower(true, x, g, first, count, col),
    col2im: (col, g, first, count, dx) => lower(false, dx, g, first, count, col),
    avgPool2d: (x, planes, h, w, kernel, stride, out) => avgPool(true, x, planes, h, w, kernel, stride, out),
    avgPool2dBackward: (g, planes, h, w, kernel, stride, dx) =>
      avgPool(false, g, planes, h, w, kernel, stride, dx),
    threads,
    variant,
    hhSim: createHhSim({ ex, arena, threadsUp, settle, runShared }),
    // Past 4 GiB a buffer is an ordinary array, which the kernels then copy like any other.
    allocate: (n, zero = true) => arena.allocResident(n, zero) ?? new Float32Array(n),
    release: (buf) => void arena.releaseResident(buf),
    heapBytesInUse: () => arena.heapBytesInUse,
    memoryBytes: () => memory.buffer.byteLength,
    copiedBytes: () => arena.copiedBytes,
    sharedInPlaceCalls: () => sharedInPlaceCalls,
    takenOverChunks: () => takenOverChunks,
    whenThreadsReady: () => (pool ? pool.whenReady() : Promise.resolve()),
    close: stopThreads,
  };
}
