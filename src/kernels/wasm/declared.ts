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
 * synchronously: no compiler at run time); any other program by `prepare()` (about a second) and
 * cached in memory and on disk (HHNET_KERNEL_CACHE, default <tmpdir>/hhnet-kernels), keyed by a
 * hash of its source (declared-compile.ts; Node only).
 */
import { checkLen, inputRepeatOf, ioLengths } from '../spiking-checks.js';
import type { StepProgram } from '../spiking/program.js';
import { savedLength } from '../spiking/program.js';
import type { GenericSpikingBackwardArgs, GenericSpikingForwardArgs } from '../spiking/reference.js';
import { checkGeneric } from '../spiking/reference.js';
import type { Arena } from './arena.js';
import type { ModuleKind } from './declared-source.js';
import { renderModule, scratchBytes } from './declared-source.js';
import { SIMD_UNROLL, simdSupported } from './declared-simd-source.js';
import { affineColumns } from './declared-affine.js';
import { MAX_PAGES } from './module.js';
import { wasmApi } from './wasm-api.js';
import { cachedCompile, defaultKernelCacheDir } from './declared-compile.js';
import { kernelPlatform } from './platform.js';
import type { WasmMemory } from './wasm-api.js';

const PAGE = 65536;
/** Buffers of a scalar module's call start here; its static data stays below. */
const SCALAR_HEAP_BASE = 65536;

type Exports = Record<string, (...args: number[]) => void>;

interface Instance {
  memory: WasmMemory;
  exports: Exports;
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
}

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

export class DeclaredKernels {
  private readonly loaded = new Map<string, Kernels>();
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
    const keys = JSON.parse(new TextDecoder().decode(manifest)) as string[];
    const scalar = this.instantiate(scalarBytes, 'scalar');
    const simd = this.simd ? this.instantiate(simdBytes, 'simd') : null;
    keys.forEach((key, i) => this.loaded.set(key, this.kernels(scalar, simd, i)));
  }

  private kernels(
    scalar: Omit<Instance, 'suffix'>,
    simd: Omit<Instance, 'suffix'> | null,
    i: number,
  ): Kernels {
    const suffix = `_${i}`;
    const hasSimd = simd !== null && typeof simd.exports[`forwardV${suffix}`] === 'function';
    return { scalar: { ...scalar, suffix }, simd: hasSimd ? { ...simd, suffix } : null };
  }

  private instantiate(bytes: Uint8Array, kind: ModuleKind): Omit<Instance, 'suffix'> {
    const memory =
      kind === 'simd'
        ? (this.shared as SharedMemoryEnv).memory
        : new wasmApi.Memory({ initial: 2, maximum: MAX_PAGES });
    const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
    const exports = instance.exports as unknown as Exports;
    if (kind === 'simd') exports.setExpConstants((this.shared as SharedMemoryEnv).expConstants);
    return { memory, exports };
  }

  /** Whether a compiled kernel runs this program. */
  has(program: StepProgram): boolean {
    return this.loaded.has(program.key);
  }

  /** 'wasm SIMD', 'wasm scalar' or null (not compiled): what runs this program's whole groups. */
  path(program: StepProgram): string | null {
    const k = this.loaded.get(program.key);
    if (!k) return null;
    return k.simd ? 'wasm SIMD' : 'wasm scalar';
  }

  /**
   * Compiles (or loads from the disk cache) the kernels of a program. Returns how long it took, in
   * ms, and whether everything came from the cache.
   */
  async prepare(program: StepProgram): Promise<{ ms: number; cached: boolean }> {
    const started = performance.now();
    if (this.loaded.has(program.key)) return { ms: 0, cached: true };
    const wantSimd = this.simd && simdSupported(program);
    const scalar = await this.compiled([program], 'scalar');
    const simd = wantSimd ? await this.compiled([program], 'simd') : null;
    this.loaded.set(
      program.key,
      this.kernels(
        this.instantiate(scalar.bytes, 'scalar'),
        simd ? this.instantiate(simd.bytes, 'simd') : null,
        0,
      ),
    );
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
    const k = this.loaded.get(program.key);
    if (!k) throw new Error(`no compiled kernel for ${program.definition.name} (call prepare() first)`);
    return k;
  }

  forward(a: GenericSpikingForwardArgs): void {
    const where = `spikingForward(${a.program.definition.name})`;
    checkGeneric(a, where);
    const BN = a.batch * a.neurons;
    const { inLen, outLen } = ioLengths({ ...a, threshold: 0 }, a.neurons, a.neurons);
    checkLen(where, 'input', a.input, inLen);
    checkLen(where, 'out', a.out, outLen);
    checkLen(where, 'saved', a.saved, savedLength(a.program, a.steps, a.batch, a.neurons));
    const k = this.kernelsOf(a.program);
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
    const { inLen, outLen } = ioLengths({ ...a, threshold: 0 }, a.neurons, a.neurons);
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
    k.exports[`forward${specialised(a) ? 'VS' : 'V'}${k.suffix}`](
      ...flagsOf(a),
      pIn,
      pOut,
      a.saved ? pSaved : 0,
      pPrm,
      pInit,
      0,
      split,
      a.saved ? pSaved + 4 * a.steps * a.batch * N * a.program.varying.length : pTab,
      pCt,
    );
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
    const [pIn, pSaved, pGout, pGin, pPrm, pInit, pGprm, pGx, pGt, pCt] = this.place([
      [a.input, inLen * 4],
      [a.saved, savedLen * 4],
      [a.gradOut, outLen * 4],
      [a.gradInput, a.gradInput ? inLen * 4 : 0],
      [null, P * N * 4],
      [null, N * S * 8],
      [null, P * N * 8],
      [null, frames * 16 * SIMD_UNROLL],
      [null, gtLen * 4],
      [null, ctLen * 4],
    ]);
    arena.write(pIn, a.input, inLen);
    arena.write(pSaved, a.saved, savedLen);
    arena.write(pGout, a.gradOut, outLen);
    if (a.gradInput) arena.write(pGin, a.gradInput, inLen);
    writeParams(env.memory, pPrm, a, N);
    writeInitial(env.memory, pInit, a, N);
    new Float64Array(env.memory.buffer, pGprm, P * N).fill(0);
    new Float32Array(env.memory.buffer, pGt, gtLen).fill(0);
    k.exports[`backward${specialised(a) ? 'VS' : 'V'}${k.suffix}`](
      ...flagsOf(a),
      +a.detachReset,
      pIn,
      pSaved,
      pGout,
      a.gradInput ? pGin : 0,
      pPrm,
      pInit,
      a.gradParams.some((g) => g) ? pGprm : 0, // 0: no parameter gradients (the kernel skips them)
      pGx,
      0,
      split,
      pGt,
      pCt,
    );
    if (a.gradInput) arena.read(pGin, a.gradInput, inLen);
    addParamGradients(new Float64Array(env.memory.buffer, pGprm, P * N), a, N);
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

/** Whether a call can run the SIMD kernels specialised for the training case. */
function specialised(a: GenericSpikingForwardArgs | GenericSpikingBackwardArgs): boolean {
  return !a.timeVarying && !a.smooth && a.surrogate === 0;
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
    +a.rateOutput,
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
