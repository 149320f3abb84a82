/**
 * Generated wasm kernels for declared neuron models: a StepProgram is rendered to AssemblyScript
 * (declared-source.ts), compiled with the AssemblyScript compiler's own API, and instantiated on a
 * memory of its own. The built-in declarations are compiled by `npm run build` into
 * declared-builtins.wasm (loaded synchronously, no compiler at run time); a model declared at
 * run time is compiled by `prepare()` (about a second) and cached in memory and on disk
 * (HHNET_KERNEL_CACHE, default <tmpdir>/hhnet-kernels), keyed by a hash of its source.
 *
 * Arithmetic is float64 with the reference's float32 rounding points, so results agree with the
 * reference kernels up to the last bits of exp/log (different libm implementations).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../util/atomic.js';
import { checkLen, inputRepeatOf, ioLengths } from '../spiking-checks.js';
import type { StepProgram } from '../spiking/program.js';
import type { GenericSpikingBackwardArgs, GenericSpikingForwardArgs } from '../spiking/reference.js';
import { checkGeneric } from '../spiking/reference.js';
import { renderModule, scratchBytes } from './declared-source.js';
import { wasmApi } from './wasm-api.js';
import type { WasmMemory } from './wasm-api.js';

/** Where the host lays out buffers: the module's own static data stays below. */
const HEAP_BASE = 65536;
const PAGE = 65536;
/** Flags of every generated module (scalar float64 code: no SIMD needed). */
export const DECLARED_ASC_FLAGS = [
  '-O3',
  '--noAssert',
  '--runtime',
  'stub',
  '--enable',
  'simd',
  '--importMemory',
  '--initialMemory',
  '2',
  '--maximumMemory',
  '65536',
];

interface Exports {
  [name: string]: (...args: number[]) => void;
}

interface Loaded {
  memory: WasmMemory;
  exports: Exports;
  suffix: string;
}

/** The SIMD exp/expm1 of the hand-written kernels, which generated kernels import as './vmath'. */
const VMATH_SOURCE = fileURLToPath(new URL('../../../../assembly/vmath.ts', import.meta.url));

/** Compiles AssemblyScript source to wasm bytes with the compiler's API (no files touched). */
export async function compileAssemblyScript(source: string): Promise<Uint8Array> {
  let asc: typeof import('assemblyscript/asc');
  try {
    asc = await import('assemblyscript/asc');
  } catch (err) {
    throw new Error(
      `compiling a declared neuron model to wasm needs the assemblyscript package (npm install assemblyscript): ${(err as Error).message}`,
    );
  }
  const files: Record<string, Uint8Array | string> = {};
  const vmath = readFileSync(VMATH_SOURCE, 'utf8');
  const { error, stderr } = await asc.main(['kernel.ts', '--outFile', 'kernel.wasm', ...DECLARED_ASC_FLAGS], {
    readFile: (name: string) => (name === 'kernel.ts' ? source : name === 'vmath.ts' ? vmath : null),
    writeFile: (name: string, contents: Uint8Array | string) => {
      files[name] = contents;
    },
    listFiles: () => [],
  });
  const bytes = files['kernel.wasm'];
  if (error || !(bytes instanceof Uint8Array))
    throw new Error(`the generated kernel did not compile: ${error?.message ?? ''}\n${stderr.toString()}`);
  return bytes;
}

function instantiate(bytes: Uint8Array): { memory: WasmMemory; exports: Exports } {
  const memory = new wasmApi.Memory({ initial: 2, maximum: 65536 });
  const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
  return { memory, exports: instance.exports as unknown as Exports };
}

/** The built-in programs' module, written by `npm run build` next to this file. */
export const BUILTIN_WASM = 'declared-builtins.wasm';
export const BUILTIN_MANIFEST = 'declared-builtins.json';

export interface DeclaredKernelsOptions {
  /** Disk cache of compiled models (default HHNET_KERNEL_CACHE, else <tmpdir>/hhnet-kernels). */
  cacheDir?: string;
  /**
   * Run four neurons per float32 SIMD vector (default true). false runs the scalar float64
   * kernels, which equal the reference bit for bit (tests, debugging).
   */
  simd?: boolean;
}

export class DeclaredKernels {
  private readonly loaded = new Map<string, Loaded>();
  readonly cacheDir: string;
  readonly simd: boolean;

  constructor(opts: DeclaredKernelsOptions = {}) {
    this.cacheDir =
      opts.cacheDir ?? (process.env.HHNET_KERNEL_CACHE?.trim() || join(tmpdir(), 'hhnet-kernels'));
    this.simd = opts.simd ?? true;
    this.loadBuiltins();
  }

  /** The built-in declarations compiled at build time (absent in a tree that was not built). */
  private loadBuiltins(): void {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const wasm = join(dir, BUILTIN_WASM);
    const manifest = join(dir, BUILTIN_MANIFEST);
    if (!existsSync(wasm) || !existsSync(manifest)) return;
    const keys = JSON.parse(readFileSync(manifest, 'utf8')) as string[];
    const { memory, exports } = instantiate(new Uint8Array(readFileSync(wasm)));
    keys.forEach((key, i) => this.loaded.set(key, { memory, exports, suffix: `_${i}` }));
  }

  /** Whether a compiled kernel runs this program. */
  has(program: StepProgram): boolean {
    return this.loaded.has(program.key);
  }

  /**
   * Compiles (or loads from the disk cache) the kernel of a program. Returns how long it took, in
   * ms, and whether it came from the cache.
   */
  async prepare(program: StepProgram): Promise<{ ms: number; cached: boolean }> {
    const started = performance.now();
    if (this.loaded.has(program.key)) return { ms: 0, cached: true };
    const source = renderModule([program]);
    const hash = createHash('sha256').update(source).digest('hex').slice(0, 32);
    const file = join(this.cacheDir, `${hash}.wasm`);
    let bytes: Uint8Array | null = null;
    let cached = false;
    try {
      bytes = new Uint8Array(await readFile(file));
      cached = true;
    } catch {
      bytes = await compileAssemblyScript(source);
      try {
        await mkdir(this.cacheDir, { recursive: true });
        await writeFileAtomic(file, bytes);
      } catch {
        // An unwritable cache only costs the next process a compile.
      }
    }
    let inst;
    try {
      inst = instantiate(bytes as Uint8Array);
    } catch (err) {
      if (!cached) throw err;
      inst = instantiate(await compileAssemblyScript(source)); // a corrupt cache entry
    }
    this.loaded.set(program.key, { ...inst, suffix: '_0' });
    return { ms: performance.now() - started, cached };
  }

  forward(a: GenericSpikingForwardArgs): void {
    const where = `spikingForward(${a.program.definition.name})`;
    checkGeneric(a, where);
    const k = this.kernel(a.program);
    const { S } = a.program;
    const { batch: B, neurons: N, steps: T } = a;
    const BN = B * N;
    const base = { ...a, threshold: 0 };
    const { inLen, outLen } = ioLengths(base, N, N);
    checkLen(where, 'input', a.input, inLen);
    checkLen(where, 'out', a.out, outLen);
    checkLen(where, 'saved', a.saved, T * BN * S);
    const lay = new Layout();
    const IN = lay.take(inLen * 4);
    const OUT = lay.take(outLen * 4);
    const SAVED = a.saved ? lay.take(T * BN * S * 4) : 0;
    const PRM = lay.take(a.program.P * N * 4);
    const INIT = lay.take(N * S * 8);
    const SCR = lay.take(scratchBytes(a.program, 1));
    const mem = lay.ensure(k.memory);
    new Float32Array(mem, IN, inLen).set(a.input.subarray(0, inLen));
    this.writeParams(mem, PRM, a, N);
    this.writeInitial(mem, INIT, a, N);
    const flags = [
      B,
      N,
      T,
      +a.timeVarying,
      inputRepeatOf(base),
      +a.rateOutput,
      +a.smooth,
      a.surrogate,
      a.surrogateParam,
    ];
    // SIMD over whole groups of four neurons, the scalar kernel for the rest.
    const split = this.simd ? BN - (BN % 4) : 0;
    if (split > 0) k.exports[`forwardV${k.suffix}`](...flags, IN, OUT, SAVED, PRM, INIT, 0, split);
    if (split < BN) k.exports[`forward${k.suffix}`](...flags, IN, OUT, SAVED, PRM, INIT, SCR, split, BN);
    a.out.set(new Float32Array(k.memory.buffer, OUT, outLen));
    if (a.saved) a.saved.set(new Float32Array(k.memory.buffer, SAVED, T * BN * S));
  }

  backward(a: GenericSpikingBackwardArgs): void {
    const where = `spikingBackward(${a.program.definition.name})`;
    checkGeneric(a, where);
    const k = this.kernel(a.program);
    const { S, P, learnable } = a.program;
    const { batch: B, neurons: N, steps: T } = a;
    const BN = B * N;
    const base = { ...a, threshold: 0 };
    const { inLen, outLen } = ioLengths(base, N, N);
    checkLen(where, 'input', a.input, inLen);
    checkLen(where, 'saved', a.saved, T * BN * S);
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
    const R = inputRepeatOf(base);
    const frames = a.timeVarying ? T / R : 1;
    const lay = new Layout();
    const IN = lay.take(inLen * 4);
    const SAVED = lay.take(T * BN * S * 4);
    const GOUT = lay.take(outLen * 4);
    const GIN = a.gradInput ? lay.take(inLen * 4) : 0;
    const PRM = lay.take(P * N * 4);
    const INIT = lay.take(N * S * 8);
    const GPRM = lay.take(P * N * 8);
    const SCR = lay.take(scratchBytes(a.program, frames));
    const GX = lay.take(16 * frames);
    const mem = lay.ensure(k.memory);
    new Float32Array(mem, IN, inLen).set(a.input.subarray(0, inLen));
    new Float32Array(mem, SAVED, T * BN * S).set(a.saved.subarray(0, T * BN * S));
    new Float32Array(mem, GOUT, outLen).set(a.gradOut.subarray(0, outLen));
    if (a.gradInput) new Float32Array(mem, GIN, inLen).set(a.gradInput.subarray(0, inLen));
    this.writeParams(mem, PRM, a, N);
    this.writeInitial(mem, INIT, a, N);
    new Float64Array(mem, GPRM, P * N).fill(0);
    const flags = [
      B,
      N,
      T,
      +a.timeVarying,
      R,
      +a.rateOutput,
      +a.smooth,
      a.surrogate,
      a.surrogateParam,
      +a.detachReset,
    ];
    const buffers = [IN, SAVED, GOUT, GIN, PRM, INIT, GPRM];
    const split = this.simd ? BN - (BN % 4) : 0;
    if (split > 0) k.exports[`backwardV${k.suffix}`](...flags, ...buffers, GX, 0, split);
    if (split < BN) k.exports[`backward${k.suffix}`](...flags, ...buffers, SCR, split, BN);
    if (a.gradInput) a.gradInput.set(new Float32Array(k.memory.buffer, GIN, inLen));
    const gp = new Float64Array(k.memory.buffer, GPRM, P * N);
    a.gradParams.forEach((g, q) => {
      if (!g) return;
      if (g.length === 1) {
        let s = 0;
        for (let j = 0; j < N; j++) s += gp[q * N + j];
        g[0] += s;
      } else for (let j = 0; j < N; j++) g[j] += gp[q * N + j];
    });
  }

  private kernel(program: StepProgram): Loaded {
    const k = this.loaded.get(program.key);
    if (!k) throw new Error(`no compiled kernel for ${program.definition.name} (call prepare() first)`);
    return k;
  }

  /** Parameters as [P][N] float32 (shared values repeated). */
  private writeParams(
    mem: ArrayBuffer,
    at: number,
    a: GenericSpikingForwardArgs | GenericSpikingBackwardArgs,
    N: number,
  ) {
    const view = new Float32Array(mem, at, a.program.P * N);
    a.params.forEach((arr, q) => {
      if (arr.length === 1) view.fill(arr[0], q * N, (q + 1) * N);
      else view.set(arr.subarray(0, N), q * N);
    });
  }

  /** The initial state as [N][S] float64. */
  private writeInitial(
    mem: ArrayBuffer,
    at: number,
    a: GenericSpikingForwardArgs | GenericSpikingBackwardArgs,
    N: number,
  ) {
    const { S } = a.program;
    const view = new Float64Array(mem, at, N * S);
    if (a.initial.length === S) for (let j = 0; j < N; j++) view.set(a.initial, j * S);
    else view.set(a.initial.subarray(0, N * S));
  }
}

/** Byte offsets of one call's buffers, 8-byte aligned, from HEAP_BASE up. */
class Layout {
  private top = HEAP_BASE;
  take(bytes: number): number {
    const at = this.top;
    this.top += Math.ceil(bytes / 8) * 8;
    return at;
  }
  /** Grows the memory to hold everything taken; returns its buffer. */
  ensure(memory: WasmMemory): ArrayBuffer {
    // (a memory of its own, never shared)
    const need = Math.ceil(this.top / PAGE) - memory.buffer.byteLength / PAGE;
    if (need > 0) {
      if (memory.buffer.byteLength / PAGE + need > 65536)
        throw new RangeError(`a declared-model kernel call needs ${this.top} bytes, more than wasm's 4 GiB`);
      memory.grow(need);
    }
    return memory.buffer as ArrayBuffer;
  }
}
