/**
 * Generated wasm kernels for declared neuron models. A StepProgram is rendered to AssemblyScript
 * (declared-source.ts) twice and compiled with the AssemblyScript compiler's own API:
 *
 * - a SIMD module (float32, four neurons a vector) that owns no static data and runs on the wasm
 *   backend's shared memory, so operands resident there (parameters, saved states) are used in
 *   place, like the hand-written kernels';
 * - a scalar module (float64, the reference's arithmetic: results equal it bit for bit) on a
 *   memory of its own: it runs the last BN mod 4 neurons, programs the SIMD renderer does not
 *   cover (sin, cos, general powers), and everything when `simd: false`.
 *
 * The built-in declarations are compiled by `npm run build` (declared-builtins*.wasm, loaded
 * synchronously: no compiler at run time); any other program by `prepare()` (4 s for a small model on the 2-core machine) and
 * cached in memory and on disk (HHNET_KERNEL_CACHE, default <tmpdir>/hhnet-kernels), keyed by a
 * hash of its source (declared-compile.ts; Node only).
 */
import { checkLen, inputRepeatOf, ioLengths } from '../spiking-checks.js';
import type { StepProgram } from '../spiking/program.js';
import { savedLength } from '../spiking/program.js';
import type { GenericSpikingBackwardArgs, GenericSpikingForwardArgs } from '../spiking/reference.js';
import { checkGeneric, genericBackwardJs, genericForwardJs } from '../spiking/reference.js';
import type { Arena } from './arena.js';
import type { ModuleKind } from './declared-source.js';
import { renderModule, scratchBytes } from './declared-source.js';
import { SIMD_PHASE, SIMD_UNROLL, simdBackwardReadsInput, simdSupported } from './declared-simd-source.js';
import { affineColumns } from './declared-affine.js';
import { MAX_PAGES } from './module.js';
import { wasmApi } from './wasm-api.js';
import { cachedCompile, defaultKernelCacheDir } from './declared-compile.js';
import { kernelPlatform } from './platform.js';
import type { WasmMemory } from './wasm-api.js';
import type { ChunkPlan, DeclaredChunkRunner, KernelName } from './declared-threads.js';
import { chunkArgs, writeDeclaredCall } from './declared-threads.js';
import { SHARE_MIN_NEURON_STEPS } from './spiking.js';

const PAGE = 65536;
/** Buffers of a scalar module's call start here; its static data stays below. */
const SCALAR_HEAP_BASE = 65536;

type Exports = Record<string, (...args: number[]) => void>;

/** A module's instance on this thread: its memory, exports and (SIMD) bytes and thread slot. */
interface ModuleInstance {
  memory: WasmMemory;
  exports: Exports;
  bytes: Uint8Array;
  /** The module's number in shared calls' records (declared-threads.ts). */
  slot: number;
}

/** One program's kernels in a module: export names end in `_<index>`. */
interface Instance extends ModuleInstance {
  index: number;
  suffix: string;
}

interface Kernels {
  scalar: Instance;
  /** Null when the program has no SIMD kernel, or when SIMD is off. */
  simd: Instance | null;
}

/** The backend state SIMD kernels run on: its memory, arena and exp constants. */
export interface SharedMemoryEnv {
  memory: WasmMemory;
  arena: Arena;
  /** Runs before operands are written (waits for worker threads to leave the memory). */
  settle: () => void;
  /** Address of the main module's exp constants (assembly/vmath.ts expConstants()). */
  expConstants: number;
  /** The backend's worker threads, when it has them: large calls are shared by columns. */
  threads?: DeclaredThreads;
}

/** What sharing a SIMD call between threads needs from the backend. */
export interface DeclaredThreads {
  /** This thread's instances (the caller's own are registered here). */
  runner: DeclaredChunkRunner;
  /** Threads that can take chunks now, the caller included. */
  threadsUp(): number;
  /** Where the call record goes (declared-threads.ts). */
  recordPtr: number;
  /** Posts a JOB_DECLARED job of `chunks` chunks and runs it to completion. */
  runChunks(chunks: number): void;
}

/** The sizes of a call. */
type CallShape = Pick<GenericSpikingForwardArgs, 'batch' | 'neurons' | 'steps'>;

/** Leading flags of every kernel (flagsOf), then the positions of i0 and the per-chunk pointers. */
const FLAG_COUNT = 9;
const FORWARD_I0_AT = FLAG_COUNT + 5;
const BACKWARD_GPRM_AT = FLAG_COUNT + 7;
const BACKWARD_GX_AT = FLAG_COUNT + 8;
const BACKWARD_I0_AT = FLAG_COUNT + 9;
/** Backward's GT argument: after i0, i1 and phase. */
const BACKWARD_GT_AT = BACKWARD_I0_AT + 3;
/** Chunks per thread of a shared call without parameter gradients (more balance the load). */
const CHUNKS_PER_THREAD = 4;
/** Most chunks of a call without parameter gradients. */
const MAX_CHUNKS = 32;
/**
 * Chunks of a call with parameter gradients: each has its own gradient copies, summed in chunk
 * order, so these chunks are fixed by the shape alone (the same on one thread as on eight).
 */
const GRADIENT_CHUNKS = 8;
/** Fewest flat neurons in a chunk; chunks are whole groups of the widest loop (SIMD_UNROLL × 4). */
const MIN_CHUNK_NEURONS = 256;
const CHUNK_GRANULE = 4 * SIMD_UNROLL;

/** The built-in programs' modules, written by `npm run build` next to this file. */
export const BUILTIN_FILES: Readonly<Record<ModuleKind, string>> = {
  scalar: 'declared-builtins-scalar.wasm',
  simd: 'declared-builtins.wasm',
};
export const BUILTIN_MANIFEST = 'declared-builtins.json';

export interface DeclaredKernelsOptions {
  /** Disk cache of compiled models (default HHNET_KERNEL_CACHE, else <tmpdir>/hhnet-kernels). */
  cacheDir?: string;
  /**
   * The wasm backend's memory for the SIMD kernels. Without it (or with `simd: false`) every call
   * runs the scalar float64 kernels, which equal the reference bit for bit.
   */
  shared?: SharedMemoryEnv;
  simd?: boolean;
}

/** A program's compiled kernels, with what identifies them. */
interface Loaded {
  family: string;
  learnable: readonly number[];
  kernels: Kernels;
}

export class DeclaredKernels {
  /** By program key; `lookup` also finds a program's family member with more learnables. */
  private readonly loaded = new Map<string, Loaded>();
  /** SIMD modules' bytes copied into shared memory for the workers, by slot (kept alive here). */
  private readonly sharedBytes = new Map<number, Float32Array | null>();
  private nextSlot = 0;
  readonly cacheDir: string;
  readonly simd: boolean;
  private readonly shared: SharedMemoryEnv | null;

  constructor(opts: DeclaredKernelsOptions = {}) {
    this.cacheDir = opts.cacheDir ?? defaultKernelCacheDir();
    this.shared = opts.shared ?? null;
    this.simd = (opts.simd ?? true) && this.shared !== null;
    this.loadBuiltins();
  }

  /** The built-in declarations compiled at build time (absent in a tree that was not built). */
  private loadBuiltins(): void {
    const manifest = kernelPlatform.readFile(BUILTIN_MANIFEST);
    const scalarBytes = kernelPlatform.readFile(BUILTIN_FILES.scalar);
    const simdBytes = kernelPlatform.readFile(BUILTIN_FILES.simd);
    if (!manifest || !scalarBytes || !simdBytes) return;
    const entries = JSON.parse(new TextDecoder().decode(manifest)) as {
      key: string;
      family: string;
      learnable: number[];
    }[];
    const scalar = this.instantiate(scalarBytes, 'scalar');
    const simd = this.simd ? this.instantiate(simdBytes, 'simd') : null;
    entries.forEach((e, i) =>
      this.loaded.set(e.key, {
        family: e.family,
        learnable: e.learnable,
        kernels: this.kernels(scalar, simd, i),
      }),
    );
  }

  /**
   * The kernels that run a program: its own, else those of the loaded program of its family whose
   * learnable set holds its own with the fewest extra (a layer with fixed parameters runs on the
   * built-in kernel compiled with them learnable).
   */
  private lookup(program: StepProgram): Kernels | null {
    const own = this.loaded.get(program.key);
    if (own) return own.kernels;
    let best: Loaded | null = null;
    for (const l of this.loaded.values())
      if (
        l.family === program.family &&
        program.learnable.every((q) => l.learnable.includes(q)) &&
        (!best || l.learnable.length < best.learnable.length)
      )
        best = l;
    // Remembered under this program's key: every call of a layer looks its kernels up.
    if (best) this.loaded.set(program.key, best);
    return best?.kernels ?? null;
  }

  private kernels(scalar: ModuleInstance, simd: ModuleInstance | null, index: number): Kernels {
    const suffix = `_${index}`;
    const hasSimd = simd !== null && typeof simd.exports[`forwardV${suffix}`] === 'function';
    return {
      scalar: { ...scalar, index, suffix },
      simd: hasSimd ? { ...simd, index, suffix } : null,
    };
  }

  private instantiate(bytes: Uint8Array, kind: ModuleKind): ModuleInstance {
    const shared = this.shared as SharedMemoryEnv;
    const memory = kind === 'simd' ? shared.memory : new wasmApi.Memory({ initial: 2, maximum: MAX_PAGES });
    const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
    const exports = instance.exports as unknown as Exports;
    const slot = this.nextSlot++;
    if (kind === 'simd') {
      exports.setExpConstants(shared.expConstants);
      shared.threads?.runner.register(slot, exports);
    }
    return { memory, exports, bytes, slot };
  }

  /** Whether a compiled kernel runs this program. */
  has(program: StepProgram): boolean {
    return this.lookup(program) !== null;
  }

  /** 'wasm SIMD', 'wasm scalar' or null (not compiled): what runs this program's whole groups. */
  path(program: StepProgram): string | null {
    const k = this.lookup(program);
    if (!k) return null;
    return k.simd ? 'wasm SIMD' : 'wasm scalar';
  }

  /**
   * Compiles (or loads from the disk cache) the kernels of a program. Returns how long it took, in
   * ms, and whether everything came from the cache.
   */
  async prepare(program: StepProgram): Promise<{ ms: number; cached: boolean }> {
    const started = performance.now();
    if (this.lookup(program)) return { ms: 0, cached: true };
    const wantSimd = this.simd && simdSupported(program);
    // A unit (several inputs or spike rules) has SIMD kernels only; without them the reference runs it.
    if (isUnit(program) && !wantSimd) return { ms: performance.now() - started, cached: false };
    const scalar = await this.compiled([program], 'scalar');
    const simd = wantSimd ? await this.compiled([program], 'simd') : null;
    this.loaded.set(program.key, {
      family: program.family,
      learnable: program.learnable,
      kernels: this.kernels(
        this.instantiate(scalar.bytes, 'scalar'),
        simd ? this.instantiate(simd.bytes, 'simd') : null,
        0,
      ),
    });
    return { ms: performance.now() - started, cached: scalar.cached && (simd?.cached ?? true) };
  }

  /** The module bytes from the disk cache, or compiled and stored there. */
  private async compiled(
    programs: StepProgram[],
    kind: ModuleKind,
  ): Promise<{ bytes: Uint8Array; cached: boolean }> {
    return cachedCompile(renderModule(programs, kind), kind, this.cacheDir);
  }

  private kernelsOf(program: StepProgram): Kernels {
    const k = this.lookup(program);
    if (!k) throw new Error(`no compiled kernel for ${program.definition.name} (call prepare() first)`);
    return k;
  }

  forward(a: GenericSpikingForwardArgs): void {
    const where = `spikingForward(${a.program.definition.name})`;
    checkGeneric(a, where);
    const BN = a.batch * a.neurons;
    const { C, K } = a.program;
    const { inLen, outLen } = ioLengths({ ...a, threshold: 0 }, C * a.neurons, K * a.neurons);
    checkLen(where, 'input', a.input, inLen);
    checkLen(where, 'out', a.out, outLen);
    checkLen(where, 'saved', a.saved, savedLength(a.program, a.steps, a.batch, a.neurons));
    const k = this.kernelsOf(a.program);
    // A unit has SIMD kernels only, for whole groups of four (no scalar kernel for a tail).
    if (isUnit(a.program) && (!k.simd || BN % 4 !== 0)) return genericForwardJs(a);
    const split = k.simd ? BN - (BN % 4) : 0;
    if (split > 0) this.forwardSimd(k.simd as Instance, a, inLen, outLen, split);
    if (split === 0) this.forwardScalar(k.scalar, a);
    else if (split < BN) forEachPart(a, split, (part) => this.forwardScalar(k.scalar, part));
  }

  backward(a: GenericSpikingBackwardArgs): void {
    const where = `spikingBackward(${a.program.definition.name})`;
    checkGeneric(a, where);
    const { P, learnable } = a.program;
    const BN = a.batch * a.neurons;
    const { C, K } = a.program;
    const { inLen, outLen } = ioLengths({ ...a, threshold: 0 }, C * a.neurons, K * a.neurons);
    checkLen(where, 'input', a.input, inLen);
    checkLen(where, 'saved', a.saved, savedLength(a.program, a.steps, a.batch, a.neurons));
    checkLen(where, 'gradOut', a.gradOut, outLen);
    checkLen(where, 'gradInput', a.gradInput, inLen);
    if (a.gradParams.length !== P) throw new RangeError(`${where}: gradParams needs ${P} entries`);
    a.gradParams.forEach((g, q) => {
      if (g) checkLen(where, `gradParams[${q}]`, g, a.params[q].length);
      if (g && !learnable.includes(q))
        throw new RangeError(
          `${where}: parameter ${a.program.definition.params[q]} was not compiled as learnable`,
        );
    });
    const k = this.kernelsOf(a.program);
    if (isUnit(a.program) && (!k.simd || BN % 4 !== 0)) return genericBackwardJs(a);
    const split = k.simd ? BN - (BN % 4) : 0;
    if (split > 0) this.backwardSimd(k.simd as Instance, a, inLen, outLen, split);
    if (split === 0) this.backwardScalar(k.scalar, a);
    else if (split < BN) backwardPart(a, split, (part) => this.backwardScalar(k.scalar, part));
  }

  // -------------------------------------------------------------------------------------------
  // SIMD kernels on the backend's memory: resident operands in place, others through the arena.

  private forwardSimd(
    k: Instance,
    a: GenericSpikingForwardArgs,
    inLen: number,
    outLen: number,
    split: number,
  ): void {
    const env = this.shared as SharedMemoryEnv;
    const { arena } = env;
    const { P, S } = a.program;
    const N = a.neurons;
    const savedLen = a.saved ? savedLength(a.program, a.steps, a.batch, N) : 0;
    // The invariant states' table: saved's own, or scratch when nothing is saved.
    const tabLen = a.saved ? 0 : a.steps * a.program.invariant.length * N;
    const ctLen = a.steps * affineColumns(a.program) * N;
    const [pIn, pOut, pSaved, pPrm, pInit, pTab, pCt] = this.place([
      [a.input, inLen * 4],
      [a.out, outLen * 4],
      [a.saved, savedLen * 4],
      [null, P * N * 4],
      [null, N * S * 8],
      [null, tabLen * 4],
      [null, ctLen * 4],
    ]);
    arena.write(pIn, a.input, inLen);
    writeParams(env.memory, pPrm, a, N);
    writeInitial(env.memory, pInit, a, N);
    const args = [...flagsOf(a), pIn, pOut, a.saved ? pSaved : 0, pPrm, pInit, 0, split, SIMD_PHASE.all];
    args.push(a.saved ? pSaved + 4 * a.steps * a.batch * N * a.program.varying.length : pTab, pCt);
    const kernel = specialised(a) ? 'forwardVS' : 'forwardV';
    const plan = this.planRows(k, a, split, false);
    if (!plan) k.exports[`${kernel}${k.suffix}`](...args);
    else {
      // The invariant pass, then the rows in chunks (no chunk adds into another's values).
      if (a.program.invariant.length > 0) this.call(k, kernel, args, FORWARD_I0_AT, SIMD_PHASE.prepare);
      const rows = withRange(args, FORWARD_I0_AT, 0, split, SIMD_PHASE.rows);
      this.runRows(k, kernel, rows, { rangeAt: FORWARD_I0_AT, ...plan, shifts: [] });
    }
    arena.read(pOut, a.out, outLen);
    if (a.saved) arena.read(pSaved, a.saved, savedLen);
  }

  private backwardSimd(
    k: Instance,
    a: GenericSpikingBackwardArgs,
    inLen: number,
    outLen: number,
    split: number,
  ): void {
    const env = this.shared as SharedMemoryEnv;
    const { arena } = env;
    const { P, S } = a.program;
    const N = a.neurons;
    const savedLen = savedLength(a.program, a.steps, a.batch, N);
    const frames = a.timeVarying ? a.steps / inputRepeatOf({ ...a, threshold: 0 }) : 1;
    const gtLen = a.steps * a.program.invariant.length * N;
    const ctLen = a.steps * affineColumns(a.program) * N;
    const wp = a.gradParams.some((g) => g);
    const plan = this.planRows(k, a, split, wp);
    // Each chunk has its own input-gradient scratch GX and, with parameter gradients, its own
    // copies of them and of the invariant states' adjoints (summed below, in chunk order).
    const chunks = plan?.chunks ?? 1;
    const gxBytes = frames * a.program.C * 16 * SIMD_UNROLL;
    const gprmBytes = P * N * 8;
    const gtBytes = gtLen * 4;
    // The input is copied in only when the kernel reads it (simdBackwardReadsInput).
    const readsX = simdBackwardReadsInput(a.program);
    const [pIn, pSaved, pGout, pGin, pPrm, pInit, pGprm, pGx, pGt, pCt] = this.place([
      [a.input, readsX ? inLen * 4 : 0],
      [a.saved, savedLen * 4],
      [a.gradOut, outLen * 4],
      [a.gradInput, a.gradInput ? inLen * 4 : 0],
      [null, P * N * 4],
      [null, N * S * 8],
      [null, (wp ? chunks : 1) * gprmBytes],
      [null, chunks * gxBytes],
      [null, (wp ? chunks : 1) * gtBytes],
      [null, ctLen * 4],
    ]);
    if (readsX) arena.write(pIn, a.input, inLen);
    arena.write(pSaved, a.saved, savedLen);
    arena.write(pGout, a.gradOut, outLen);
    if (a.gradInput) arena.write(pGin, a.gradInput, inLen);
    writeParams(env.memory, pPrm, a, N);
    writeInitial(env.memory, pInit, a, N);
    const gprm = new Float64Array(env.memory.buffer, pGprm, (wp ? chunks : 1) * P * N).fill(0);
    const gt = new Float32Array(env.memory.buffer, pGt, (wp ? chunks : 1) * gtLen).fill(0);
    const args = [
      ...flagsOf(a),
      +a.detachReset,
      readsX ? pIn : 0,
      pSaved,
      pGout,
      a.gradInput ? pGin : 0,
      pPrm,
      pInit,
      wp ? pGprm : 0, // 0: no parameter gradients (the kernel skips them)
      pGx,
      0,
      split,
      SIMD_PHASE.all,
      pGt,
      pCt,
    ];
    const kernel = specialised(a) ? 'backwardVS' : 'backwardV';
    if (!plan) k.exports[`${kernel}${k.suffix}`](...args);
    else {
      if (affineColumns(a.program) > 0) this.call(k, kernel, args, BACKWARD_I0_AT, SIMD_PHASE.prepare);
      const shifts = [{ at: BACKWARD_GX_AT, bytes: gxBytes }];
      if (wp) shifts.push({ at: BACKWARD_GPRM_AT, bytes: gprmBytes });
      if (wp && gtLen > 0) shifts.push({ at: BACKWARD_GT_AT, bytes: gtBytes });
      this.runRows(k, kernel, withRange(args, BACKWARD_I0_AT, 0, split, SIMD_PHASE.rows), {
        rangeAt: BACKWARD_I0_AT,
        ...plan,
        shifts,
      });
      if (wp) {
        sumCopies(gprm, P * N, chunks, (x, y) => x + y);
        sumCopies(gt, gtLen, chunks, (x, y) => Math.fround(x + y));
        if (a.program.invariant.length > 0) this.call(k, kernel, args, BACKWARD_I0_AT, SIMD_PHASE.finish);
      }
    }
    if (a.gradInput) arena.read(pGin, a.gradInput, inLen);
    addParamGradients(new Float64Array(env.memory.buffer, pGprm, P * N), a, N);
  }

  /**
   * How the rows [0, split) of a SIMD call are cut, or null for one whole call on this thread.
   * With parameter gradients (`wp`) the chunks depend on the shape only, and are run one after
   * another when no worker helps; without, any cut gives the same floats, so calls are cut only
   * when there are threads to share them.
   */
  private planRows(
    k: Instance,
    a: CallShape,
    split: number,
    wp: boolean,
  ): { width: number; end: number; chunks: number; shared: boolean } | null {
    const threads = this.shared?.threads;
    const up = threads ? threads.threadsUp() : 1;
    const worth = up > 1 && a.batch * a.neurons * a.steps >= SHARE_MIN_NEURON_STEPS;
    const target = wp ? GRADIENT_CHUNKS : worth ? Math.min(MAX_CHUNKS, up * CHUNKS_PER_THREAD) : 1;
    const per = Math.max(MIN_CHUNK_NEURONS, Math.ceil(split / target / CHUNK_GRANULE) * CHUNK_GRANULE);
    const chunks = Math.ceil(split / per);
    if (chunks < 2) return null;
    const shared = worth && this.moduleInShared(k) !== null;
    return { width: per, end: split, chunks, shared };
  }

  /** Runs the rows of a call in the plan's chunks: shared between the threads, or one by one here. */
  private runRows(
    k: Instance,
    kernel: KernelName,
    args: number[],
    plan: ChunkPlan & { chunks: number; shared: boolean },
  ): void {
    const threads = this.shared?.threads;
    const bytes = this.moduleInShared(k);
    if (!plan.shared || !threads || !bytes) {
      for (let c = 0; c < plan.chunks; c++) k.exports[`${kernel}${k.suffix}`](...chunkArgs(args, plan, c));
      return;
    }
    const env = this.shared as SharedMemoryEnv;
    writeDeclaredCall(env.memory, threads.recordPtr, {
      ...plan,
      slot: k.slot,
      kernel,
      suffixIndex: k.index,
      args,
      moduleAt: env.arena.residentPtr(bytes),
      moduleBytes: k.bytes.length,
      expConstants: env.expConstants,
    });
    threads.runChunks(plan.chunks);
  }

  /** One call of a per-neuron phase (no rows) of a kernel on this thread. */
  private call(k: Instance, kernel: KernelName, args: readonly number[], i0At: number, phase: number): void {
    k.exports[`${kernel}${k.suffix}`](...withRange(args, i0At, 0, 0, phase));
  }

  /** The module's bytes in shared memory (copied there once), or null when they do not fit. */
  private moduleInShared(k: Instance): Float32Array | null {
    if (!this.shared?.threads) return null;
    let view = this.sharedBytes.get(k.slot);
    if (view === undefined) {
      const { arena, memory } = this.shared;
      view = arena.allocResident(Math.ceil(k.bytes.length / 4), false);
      if (view) new Uint8Array(memory.buffer, arena.residentPtr(view), k.bytes.length).set(k.bytes);
      this.sharedBytes.set(k.slot, view);
    }
    return view;
  }

  /** Byte offsets of (array, bytes) operands: a resident array's own, else the operand block's. */
  private place(regions: readonly (readonly [Float32Array | null, number])[]): number[] {
    const { arena, settle } = this.shared as SharedMemoryEnv;
    settle();
    const resident = regions.map(([arr, bytes]) => (bytes > 0 ? arena.residentPtr(arr) : -1));
    const ptrs = arena.place(regions.map(([, bytes], i) => (resident[i] < 0 ? bytes : 0)));
    if (!ptrs) throw new RangeError('a declared-model kernel call does not fit in the 4 GiB wasm memory');
    return ptrs.map((ptr, i) => (resident[i] < 0 ? ptr : resident[i]));
  }

  // -------------------------------------------------------------------------------------------
  // Scalar kernels on their own memory: operands copied in and out.

  private forwardScalar(k: Instance, a: GenericSpikingForwardArgs): void {
    const { P, S } = a.program;
    const { batch: B, neurons: N, steps: T } = a;
    const BN = B * N;
    const { inLen, outLen } = ioLengths({ ...a, threshold: 0 }, N, N);
    const lay = new Layout();
    const IN = lay.take(inLen * 4);
    const OUT = lay.take(outLen * 4);
    const savedLen = savedLength(a.program, T, B, N);
    const SAVED = a.saved ? lay.take(savedLen * 4) : 0;
    const PRM = lay.take(P * N * 4);
    const INIT = lay.take(N * S * 8);
    const SCR = lay.take(scratchBytes(a.program, 1, T, N));
    const mem = lay.ensure(k.memory);
    new Float32Array(mem, IN, inLen).set(a.input.subarray(0, inLen));
    writeParams(k.memory, PRM, a, N);
    writeInitial(k.memory, INIT, a, N);
    k.exports[`forward${k.suffix}`](...flagsOf(a), IN, OUT, SAVED, PRM, INIT, SCR, 0, BN);
    a.out.set(new Float32Array(k.memory.buffer, OUT, outLen));
    if (a.saved) a.saved.set(new Float32Array(k.memory.buffer, SAVED, savedLen));
  }

  private backwardScalar(k: Instance, a: GenericSpikingBackwardArgs): void {
    const { P, S } = a.program;
    const { batch: B, neurons: N, steps: T } = a;
    const BN = B * N;
    const { inLen, outLen } = ioLengths({ ...a, threshold: 0 }, N, N);
    const frames = a.timeVarying ? T / inputRepeatOf({ ...a, threshold: 0 }) : 1;
    const lay = new Layout();
    const IN = lay.take(inLen * 4);
    const savedLen = savedLength(a.program, T, B, N);
    const SAVED = lay.take(savedLen * 4);
    const GOUT = lay.take(outLen * 4);
    const GIN = a.gradInput ? lay.take(inLen * 4) : 0;
    const PRM = lay.take(P * N * 4);
    const INIT = lay.take(N * S * 8);
    const GPRM = lay.take(P * N * 8);
    const SCR = lay.take(scratchBytes(a.program, frames, T, N));
    const mem = lay.ensure(k.memory);
    new Float32Array(mem, IN, inLen).set(a.input.subarray(0, inLen));
    new Float32Array(mem, SAVED, savedLen).set(a.saved.subarray(0, savedLen));
    new Float32Array(mem, GOUT, outLen).set(a.gradOut.subarray(0, outLen));
    if (a.gradInput) new Float32Array(mem, GIN, inLen).set(a.gradInput.subarray(0, inLen));
    writeParams(k.memory, PRM, a, N);
    writeInitial(k.memory, INIT, a, N);
    new Float64Array(mem, GPRM, P * N).fill(0);
    k.exports[`backward${k.suffix}`](
      ...flagsOf(a),
      +a.detachReset,
      IN,
      SAVED,
      GOUT,
      GIN,
      PRM,
      INIT,
      GPRM,
      SCR,
      0,
      BN,
    );
    if (a.gradInput) a.gradInput.set(new Float32Array(k.memory.buffer, GIN, inLen));
    addParamGradients(new Float64Array(k.memory.buffer, GPRM, P * N), a, N);
  }
}

/** The arguments with the rows [i0, i1) and the phase (the three arguments from i0At). */
function withRange(args: readonly number[], i0At: number, i0: number, i1: number, phase: number): number[] {
  const out = args.slice();
  out[i0At] = i0;
  out[i0At + 1] = i1;
  out[i0At + 2] = phase;
  return out;
}

/** Adds copies 1 … chunks − 1 of `len` values into copy 0, in order. */
function sumCopies(
  values: Float32Array | Float64Array,
  len: number,
  chunks: number,
  add: (x: number, y: number) => number,
): void {
  for (let c = 1; c < chunks; c++)
    for (let i = 0; i < len; i++) values[i] = add(values[i], values[c * len + i]);
}

/** Whether a call can run the SIMD kernels specialised for the training case. */
function specialised(a: GenericSpikingForwardArgs | GenericSpikingBackwardArgs): boolean {
  return !a.timeVarying && !a.smooth && a.surrogate === 0 && !a.voltageOutput;
}

/** The leading scalar arguments of every kernel. */
function flagsOf(a: GenericSpikingForwardArgs | GenericSpikingBackwardArgs): number[] {
  const base = { ...a, threshold: 0 };
  return [
    a.batch,
    a.neurons,
    a.steps,
    +a.timeVarying,
    inputRepeatOf(base),
    // Output mode: bit 0 rate (mean over T), bit 1 voltage (h_v instead of the spike).
    +a.rateOutput | (a.voltageOutput ? 2 : 0),
    +a.smooth,
    a.surrogate,
    a.surrogateParam,
  ];
}

/** Parameters as [P][N] float32 at byte offset `at` (shared values repeated). */
function writeParams(
  memory: WasmMemory,
  at: number,
  a: GenericSpikingForwardArgs | GenericSpikingBackwardArgs,
  N: number,
): void {
  const view = new Float32Array(memory.buffer, at, a.program.P * N);
  a.params.forEach((arr, q) => {
    if (arr.length === 1) view.fill(arr[0], q * N, (q + 1) * N);
    else view.set(arr.subarray(0, N), q * N);
  });
}

/** The initial state as [N][S] float64 at byte offset `at`. */
function writeInitial(
  memory: WasmMemory,
  at: number,
  a: GenericSpikingForwardArgs | GenericSpikingBackwardArgs,
  N: number,
): void {
  const { S } = a.program;
  const view = new Float64Array(memory.buffer, at, N * S);
  if (a.initial.length === S) for (let j = 0; j < N; j++) view.set(a.initial, j * S);
  else view.set(a.initial.subarray(0, N * S));
}

/** Adds per-neuron parameter gradients [P][N] (float64) into the call's gradParams. */
function addParamGradients(gp: Float64Array, a: GenericSpikingBackwardArgs, N: number): void {
  a.gradParams.forEach((g, q) => {
    if (!g) return;
    if (g.length === 1) {
      let s = 0;
      for (let j = 0; j < N; j++) s += gp[q * N + j];
      g[0] += s;
    } else for (let j = 0; j < N; j++) g[j] += gp[q * N + j];
  });
}

/**
 * The neurons [from, BN) of a call as a call of their own (one sample of BN − from neurons, each
 * with its own parameters and initial state), run by `run`, outputs scattered back. Only the
 * varying states' saved rows come back: the invariant table is the SIMD call's (all N neurons).
 */
function forEachPart(
  a: GenericSpikingForwardArgs,
  from: number,
  run: (part: GenericSpikingForwardArgs) => void,
): void {
  const part = slice(a, from);
  const { n, T, Sv, BN } = part.shape;
  const out = new Float32Array(a.rateOutput ? n : T * n);
  const saved = a.saved ? new Float32Array(savedLength(a.program, T, 1, n)) : null;
  run({ ...part.args, out, saved });
  for (let r = 0; r < n; r++) {
    const i = from + r;
    if (a.rateOutput) a.out[i] = out[r];
    else for (let t = 0; t < T; t++) a.out[t * BN + i] = out[t * n + r];
    if (saved && a.saved)
      for (let t = 0; t < T; t++)
        for (let c = 0; c < Sv; c++) a.saved[(t * BN + i) * Sv + c] = saved[(t * n + r) * Sv + c];
  }
}

function backwardPart(
  a: GenericSpikingBackwardArgs,
  from: number,
  run: (part: GenericSpikingBackwardArgs) => void,
): void {
  const part = slice(a, from);
  const { n, frames, T, Sv, Si, BN, N } = part.shape;
  const saved = new Float32Array(savedLength(a.program, T, 1, n));
  const gradOut = new Float32Array(a.rateOutput ? n : T * n);
  for (let r = 0; r < n; r++) {
    const i = from + r;
    if (a.rateOutput) gradOut[r] = a.gradOut[i];
    else for (let t = 0; t < T; t++) gradOut[t * n + r] = a.gradOut[t * BN + i];
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < Sv; c++) saved[(t * n + r) * Sv + c] = a.saved[(t * BN + i) * Sv + c];
      // The part's invariant table: neuron i mod N's rows of the call's.
      for (let c = 0; c < Si; c++)
        saved[T * n * Sv + (t * Si + c) * n + r] = a.saved[T * BN * Sv + (t * Si + c) * N + (i % N)];
    }
  }
  // The part accumulates onto the call's own values (one rounding, as for the other neurons).
  const gradInput = a.gradInput ? new Float32Array(frames * n) : null;
  if (a.gradInput && gradInput)
    for (let r = 0; r < n; r++)
      for (let f = 0; f < frames; f++) gradInput[f * n + r] = a.gradInput[f * BN + from + r];
  const gradParams = a.gradParams.map((g, q) => (g ? new Float32Array(part.args.params[q].length) : null));
  run({ ...part.args, detachReset: a.detachReset, saved, gradOut, gradInput, gradParams });
  for (let r = 0; r < n; r++) {
    const i = from + r;
    if (a.gradInput && gradInput)
      for (let f = 0; f < frames; f++) a.gradInput[f * BN + i] = gradInput[f * n + r];
  }
  a.gradParams.forEach((g, q) => {
    const gp = gradParams[q];
    if (!g || !gp) return;
    if (a.params[q].length === 1)
      g[0] += gp[0]; // shared: the part's sum
    else for (let r = 0; r < n; r++) g[g.length === 1 ? 0 : (from + r) % N] += gp[r];
  });
}

/** The shared part of a tail call: one sample of the neurons [from, BN). */
function slice<A extends GenericSpikingForwardArgs | GenericSpikingBackwardArgs>(a: A, from: number) {
  const { S } = a.program;
  const N = a.neurons;
  const BN = a.batch * N;
  const T = a.steps;
  const n = BN - from;
  const frames = a.timeVarying ? T / inputRepeatOf({ ...a, threshold: 0 }) : 1;
  const input = new Float32Array(frames * n);
  const initial = new Float64Array(n * S);
  const params = a.params.map((arr) => (arr.length === 1 ? arr : new Float32Array(n)));
  for (let r = 0; r < n; r++) {
    const i = from + r;
    const j = i % N;
    for (let f = 0; f < frames; f++) input[f * n + r] = a.input[f * BN + i];
    for (let k = 0; k < S; k++)
      initial[r * S + k] = a.initial.length === S ? a.initial[k] : a.initial[j * S + k];
    a.params.forEach((arr, q) => {
      if (arr.length !== 1) params[q][r] = arr[j];
    });
  }
  return {
    shape: { n, frames, T, S, BN, N, Sv: a.program.varying.length, Si: a.program.invariant.length },
    args: { ...a, batch: 1, neurons: n, input, initial, params },
  };
}

/** Byte offsets of one scalar call's buffers, 8-byte aligned, from SCALAR_HEAP_BASE up. */
class Layout {
  private top = SCALAR_HEAP_BASE;
  take(bytes: number): number {
    const at = this.top;
    this.top += Math.ceil(bytes / 8) * 8;
    return at;
  }
  /** Grows the memory to hold everything taken; returns its buffer. */
  ensure(memory: WasmMemory): ArrayBuffer {
    const pages = memory.buffer.byteLength / PAGE;
    const need = Math.ceil(this.top / PAGE) - pages;
    if (need > 0) {
      if (pages + need > MAX_PAGES)
        throw new RangeError(`a declared-model kernel call needs ${this.top} bytes, more than wasm's 4 GiB`);
      memory.grow(need);
    }
    return memory.buffer as ArrayBuffer;
  }
}

/** A unit: several inputs or spike rules (SIMD kernels only). */
function isUnit(p: StepProgram): boolean {
  return p.C > 1 || p.K > 1;
}
