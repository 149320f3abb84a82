/**
 * The kernel backend: the few hot loops that decide training speed. Every backend implements the
 * same contract on plain Float32Arrays (row-major), so ops stay backend-agnostic and the fast
 * backends are tested element by element against the plain-TypeScript reference ('js').
 */
import type {
  LearningHhBackwardArgs,
  LearningHhForwardArgs,
  LifBackwardArgs,
  LifForwardArgs,
  Slif2hhBackwardArgs,
  Slif2hhForwardArgs,
} from './spiking-types.js';
import type { MultiBranchBackwardArgs, MultiBranchForwardArgs } from './js/multibranch.js';
import type { GenericSpikingBackwardArgs, GenericSpikingForwardArgs } from './spiking/reference.js';
import type { StepProgram } from './spiking/program.js';
import { envVar } from '../util/env.js';

/**
 * Geometry of conv2d's lowering (no dilation or groups): input samples [cin, h, w] (NCHW), a
 * kh×kw kernel, the same stride and zero padding on both axes, output hOut×wOut. The column matrix
 * of `count` samples is [cin·kh·kw × count·hOut·wOut]: row (c·kh + ki)·kw + kj, column
 * n·hOut·wOut + oh·wOut + ow holds x[n, c, oh·stride − padding + ki, ow·stride − padding + kj]
 * (0 in the padding).
 */
export interface ConvGeometry {
  cin: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  stride: number;
  padding: number;
  hOut: number;
  wOut: number;
}

export interface Backend {
  readonly name: string;
  /**
   * C[m×n] = op(A)·op(B) (+ C when accumulate). op(A) is m×k: A is stored m×k, or k×m when
   * transA. op(B) is k×n: B is stored k×n, or n×k when transB.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate: boolean,
  ): void;
  /**
   * One Adam(W=false) step with PyTorch semantics: g += wd·p (L2 weight decay), m, v moments,
   * bias corrections for step t (1-based), p -= lr·m̂/(√v̂ + eps).
   */
  adam(
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
  ): void;
  /**
   * Fills col (overwriting all of its first cin·kh·kw·count·hOut·wOut floats, see ConvGeometry)
   * from samples [first, first + count) of x [B, cin, h, w].
   */
  im2col(x: Float32Array, g: ConvGeometry, first: number, count: number, col: Float32Array): void;
  /** The adjoint of im2col: adds col back into samples [first, first + count) of dx. */
  col2im(col: Float32Array, g: ConvGeometry, first: number, count: number, dx: Float32Array): void;
  /**
   * Average pooling without padding over `planes` planes [h, w] of x: out [planes, hOut, wOut],
   * hOut = floor((h − kernel) / stride) + 1 (likewise wOut).
   */
  avgPool2d(
    x: Float32Array,
    planes: number,
    h: number,
    w: number,
    kernel: number,
    stride: number,
    out: Float32Array,
  ): void;
  /** The adjoint of avgPool2d: adds it, applied to g [planes, hOut, wOut], into dx. */
  avgPool2dBackward(
    g: Float32Array,
    planes: number,
    h: number,
    w: number,
    kernel: number,
    stride: number,
    dx: Float32Array,
  ): void;
  /**
   * Fused multi-step spiking layers (layouts in spiking-types.ts): forward runs all T steps and
   * fills the saved buffers when given; backward is BPTT from the saved buffers and accumulates
   * into the gradient buffers.
   */
  lifForward(args: LifForwardArgs): void;
  lifBackward(args: LifBackwardArgs): void;
  learningHhForward(args: LearningHhForwardArgs): void;
  learningHhBackward(args: LearningHhBackwardArgs): void;
  slif2hhForward(args: Slif2hhForwardArgs): void;
  slif2hhBackward(args: Slif2hhBackwardArgs): void;
  /** The trainable multi-branch neuron (an HH soma and K coupled branches; js/multibranch.ts). */
  multiBranchForward(args: MultiBranchForwardArgs): void;
  multiBranchBackward(args: MultiBranchBackwardArgs): void;
  /**
   * The generic fused kernels of any neuron given as a StepProgram (spiking/program.ts, derived
   * from a declaration): same layouts, saved [T][B·N][S] charged states. Backends without a
   * compiled kernel for the program run the reference (spiking/reference.ts); spikingKernelPath
   * says which one runs.
   */
  spikingForward(args: GenericSpikingForwardArgs): void;
  spikingBackward(args: GenericSpikingBackwardArgs): void;
  /** 'reference' (plain TypeScript) or the name of the compiled path that runs this program. */
  spikingKernelPath(program: StepProgram): string;
  /**
   * Makes the backend's fastest path for a program ready (the wasm backend compiles a model
   * declared at run time, ~1 s, cached); resolves to spikingKernelPath(program) afterwards.
   */
  prepareSpikingKernel(program: StepProgram): Promise<string>;
  /**
   * A buffer of n floats that this backend's kernels read and write in place, for large
   * long-lived operands (parameters, their gradients, optimiser moments): the wasm backend places
   * it in its module's memory, so calls do not copy it in and out; on js it is a plain array. Any
   * backend accepts it as an ordinary Float32Array. Zeroed, unless `zero` is false (for a buffer
   * the caller overwrites whole: its contents are then unspecified). Its memory returns on
   * release(), or else once the array is garbage-collected; arrays made from it (subarray) must
   * not outlive it.
   */
  allocate(n: number, zero?: boolean): Float32Array;
  /** Returns a buffer from allocate() now; it must not be used afterwards. Other arrays: no-op. */
  release(buf: Float32Array): void;
}

/**
 * Buffers of at least this many floats are worth Backend.allocate (parameters, their grads and
 * optimiser moments, states saved for backward); smaller ones cost more to track than to copy.
 */
export const RESIDENT_MIN_FLOATS = 4096;

const registry = new Map<string, () => Backend>();
let active: Backend | null = null;

export function registerBackend(name: string, factory: () => Backend): void {
  registry.set(name, factory);
}

export function backendNames(): string[] {
  return [...registry.keys()];
}

/** Selects the backend by name ('js' reference, 'wasm' SIMD). */
export function setBackend(name: string): Backend {
  const factory = registry.get(name);
  if (!factory) throw new Error(`unknown backend '${name}' (available: ${backendNames().join(', ')})`);
  active = factory();
  return active;
}

/** Backends tried in this order when HHNET_BACKEND is unset; the first one that loads is used. */
const PREFERRED = ['wasm', 'js'];

/**
 * The active backend. HHNET_BACKEND=name picks one (an unknown name is an error listing the valid
 * ones); unset, the fastest that loads: 'wasm' when hhnet.wasm was built, else the 'js' reference.
 */
export function getBackend(): Backend {
  if (active) return active;
  const wanted = envVar('HHNET_BACKEND')?.trim();
  if (wanted) {
    if (!registry.has(wanted)) {
      throw new Error(`HHNET_BACKEND='${wanted}' is not a backend (valid: ${backendNames().join(', ')})`);
    }
    return setBackend(wanted);
  }
  const order = [
    ...PREFERRED.filter((n) => registry.has(n)),
    ...backendNames().filter((n) => !PREFERRED.includes(n)),
  ];
  let failure: unknown = new Error('no kernel backend is registered (import src/kernels/index.js first)');
  for (const name of order) {
    try {
      return setBackend(name);
    } catch (err) {
      failure = err; // e.g. hhnet.wasm not built: fall back to the next one
    }
  }
  throw failure;
}
