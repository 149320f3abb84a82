/**
 * Trainable multi-branch neurons: each unit is an HH soma coupled through axial conductances to K
 * passive dendritic branches (one compartment each), every branch driven by its own input current.
 * The dynamics, integrator and backward are in kernels/js/multibranch.ts; docs/compartments.md
 * ("Trainable multi-branch layer") has the equations and how to train it.
 *
 * Input layout: the first feature dim holds K (or K + 1 with somaInput) blocks of units, like
 * s-LIF2HH's three: [B, K·N] → [I_1|…|I_K] (a Linear to K·N currents feeds it), [B, K·C, H, W]
 * with channel blocks; time-varying [T, B, …] and frames with `repeat` as for every spiking op.
 * Output: the soma's spikes [T, B, N…] or their rate [B, N…].
 */
import { scopedArray } from '../tensor/scope.js';
import { getBackend } from '../kernels/index.js';
import {
  multiBranchFlopsPerUnit,
  multiBranchFlopsPerUnitStep,
  multiBranchStateWidth,
} from '../kernels/js/multibranch.js';
import { RATE_FLOPS_PER_TRAIN, RATE_FLOPS_PER_TRAIN_STEP } from '../kernels/spiking-costs.js';
import type { HhMembraneConstants } from '../kernels/spiking-types.js';
import { addFlops } from '../tensor/accounting.js';
import { accumulateGrad, isGradEnabled, makeResult } from '../tensor/autograd.js';
import { Shape, Tensor, shapeSize, shapeString } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import { Module } from './module.js';
import {
  FULL_HH_DEFAULTS,
  FULL_HH_MEMBRANE,
  SpikingOptions,
  finite,
  flag,
  fullHhRestingState,
  kernelBase,
  layoutOf,
  outShape,
} from './spiking.js';
import type { SpikingMode, SpikingNeurons } from './spiking-layers.js';
import { checkLayerArgs } from './spiking-layers.js';
import { Surrogate, resolveSurrogate } from './surrogate.js';

export interface MultiBranchOptions extends SpikingOptions {
  /**
   * K, the branches per unit. Default: the last dim of `coupling` ([N, K] per unit, or [K] shared).
   */
  branches?: number;
  /** The input has one more block per sample: a current into the soma (default false). */
  somaInput?: boolean;
  /**
   * Branches with the soma's HH channels (ḡNa, ḡK, gL, gates from their own V_b) on top of their
   * passive leak and coupling; default false (passive branches).
   */
  activeBranches?: boolean;
  /** Euler step, ms (default 0.05, the full-HH layer's). */
  dt?: number;
  /** Soma membrane overrides (shifted convention; default HH_SHIFTED). C is the branches' too. */
  membrane?: Partial<HhMembraneConstants>;
  /** Input values are multiplied by this to give µA/cm² (default 1). */
  inputScale?: number;
}

/**
 * The soma's defaults are the full-HH layer's (dt 0.05 ms, θ 50 mV, rectangular ±10 mV); initial
 * conductances in mS/cm² (the soma leak is 0.3).
 */
export const MULTI_BRANCH_DEFAULTS = Object.freeze({
  dt: FULL_HH_DEFAULTS.dt,
  threshold: FULL_HH_DEFAULTS.threshold,
  surrogate: FULL_HH_DEFAULTS.surrogate as Surrogate,
  inputScale: 1,
  branches: 4,
  couplingInit: [1, 3] as readonly [number, number],
  branchLeakInit: [0.1, 0.5] as readonly [number, number],
});

/**
 * The multi-branch op: x the branch (and soma) currents, coupling and branchLeak the raw
 * conductances ([N, K] per unit or [K] shared; the kernel uses |·|), gradients to all three.
 */
export function multiBranchSpikes(
  x: Tensor,
  coupling: Tensor,
  branchLeak: Tensor,
  opts: MultiBranchOptions = {},
): Tensor {
  const fn = 'multiBranchSpikes';
  if (!(coupling instanceof Tensor) || !(branchLeak instanceof Tensor))
    throw new TypeError(`${fn}: coupling and branchLeak must be Tensors`);
  const K = opts.branches ?? coupling.shape[coupling.ndim - 1];
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`${fn}: branches must be an integer ≥ 1, got ${K}`);
  const somaInput = flag(fn, 'somaInput', opts.somaInput, false);
  const activeBranches = flag(fn, 'activeBranches', opts.activeBranches, false);
  const blocks = K + (somaInput ? 1 : 0);
  const lay = layoutOf(fn, x, opts);
  const f0 = lay.features[0];
  if (f0 === undefined || f0 % blocks !== 0 || f0 === 0)
    throw new RangeError(
      `${fn}: the first feature dim must hold ${blocks} blocks of currents (${K} branches${somaInput ? ' + soma' : ''}), a positive multiple of ${blocks}; got input ${shapeString(x.shape)}`,
    );
  const unitFeatures = [f0 / blocks, ...lay.features.slice(1)];
  const N = shapeSize(unitFeatures);
  const expand = (t: Tensor, name: string): { data: Float32Array; shared: boolean } => {
    if (t.size === N * K) return { data: t.data, shared: false };
    if (t.size === K) {
      const data = new Float32Array(N * K);
      for (let j = 0; j < N; j++) data.set(t.data, j * K);
      return { data, shared: true };
    }
    throw new RangeError(
      `${fn}: ${name} has ${t.size} values, expected ${N * K} ([${N}, ${K}], per unit and branch) or ${K} (shared)`,
    );
  };
  const gc = expand(coupling, 'coupling');
  const gl = expand(branchLeak, 'branchLeak');
  const base = kernelBase(fn, lay, N, opts, MULTI_BRANCH_DEFAULTS);
  const dt = finite(fn, 'dt', opts.dt ?? MULTI_BRANCH_DEFAULTS.dt);
  if (dt <= 0) throw new RangeError(`${fn}: dt must be > 0, got ${dt}`);
  const inputScale = finite(fn, 'inputScale', opts.inputScale ?? MULTI_BRANCH_DEFAULTS.inputScale);
  const constants: HhMembraneConstants = { ...FULL_HH_MEMBRANE, ...(opts.membrane ?? {}) };
  for (const [k, val] of Object.entries(constants)) finite(fn, `membrane.${k}`, val);
  if (constants.C <= 0) throw new RangeError(`${fn}: membrane.C must be > 0, got ${constants.C}`);
  const args = {
    ...base,
    branches: K,
    somaInput,
    activeBranches,
    constants,
    dt,
    inputScale,
    initial: fullHhRestingState(constants),
    coupling: gc.data,
    branchLeak: gl.data,
  };
  const BN = lay.batch * N;
  const parents = [x, coupling, branchLeak];
  const record = isGradEnabled() && parents.some((p) => p.requiresGrad);
  const state = record ? scopedArray(multiBranchStateWidth(K, activeBranches) * lay.T * BN) : null;
  const out = scopedArray(lay.rateOutput ? BN : lay.T * BN);
  getBackend().multiBranchForward({ ...args, input: x.data, out, state });
  const rate = lay.rateOutput ? RATE_FLOPS_PER_TRAIN_STEP * lay.T + RATE_FLOPS_PER_TRAIN : 0;
  addFlops(
    fn,
    BN * (lay.T * multiBranchFlopsPerUnitStep(K, activeBranches) + multiBranchFlopsPerUnit(K) + rate),
  );
  const reduce = (g: Float32Array, shared: boolean): Float32Array => {
    if (!shared) return g;
    const s = new Float32Array(K);
    for (let j = 0; j < N; j++) for (let b = 0; b < K; b++) s[b] += g[j * K + b];
    return s;
  };
  return makeResult(
    out,
    outShape(lay, unitFeatures),
    parents,
    () => (g) => {
      if (!state) return;
      const gradCoupling = coupling.requiresGrad ? new Float32Array(N * K) : null;
      const gradBranchLeak = branchLeak.requiresGrad ? new Float32Array(N * K) : null;
      getBackend().multiBranchBackward({
        ...args,
        state,
        gradOut: g,
        gradInput: x.requiresGrad ? x.ensureGrad() : null,
        gradCoupling,
        gradBranchLeak,
      });
      if (gradCoupling) accumulateGrad(coupling, reduce(gradCoupling, gc.shared));
      if (gradBranchLeak) accumulateGrad(branchLeak, reduce(gradBranchLeak, gl.shared));
    },
    [state],
  );
}

export interface MultiBranchNeuronOptions {
  /** Draws the initial conductances (required). */
  rng: Rng;
  /** K ≥ 1 branches per unit (default 4). */
  branches?: number;
  somaInput?: boolean;
  /** HH channels in the branches too (default false: passive branches). */
  activeBranches?: boolean;
  dt?: number;
  threshold?: number;
  surrogate?: Surrogate | string;
  inputScale?: number;
  membrane?: Partial<HhMembraneConstants>;
  /** Initial coupling and branch leak per unit and branch, drawn U(lo, hi), mS/cm². */
  couplingInit?: readonly [number, number];
  branchLeakInit?: readonly [number, number];
  /** Let coupling and branch leak learn (default true). */
  learnMembrane?: boolean;
}

/**
 * A layer of multi-branch units with learnable coupling [N, K] and branch leak [N, K]
 * (parameters 'coupling' and 'branch_leak'). It consumes K·N input currents per sample (K + 1
 * blocks with somaInput) and emits N soma outputs.
 */
export class MultiBranchNeurons extends Module implements SpikingNeurons {
  readonly branches: number;
  readonly coupling: Tensor;
  readonly branchLeak: Tensor;
  readonly opts: Readonly<MultiBranchNeuronOptions>;

  constructor(
    readonly unitShape: Shape,
    opts: MultiBranchNeuronOptions,
  ) {
    super();
    checkLayerArgs('MultiBranchNeurons', unitShape, opts, true);
    const K = opts.branches ?? MULTI_BRANCH_DEFAULTS.branches;
    if (!Number.isInteger(K) || K < 1)
      throw new RangeError(`MultiBranchNeurons: branches must be an integer ≥ 1, got ${String(K)}`);
    this.branches = K;
    this.opts = { ...opts };
    // Fail at construction on bad options rather than at the first forward.
    resolveSurrogate(opts.surrogate, MULTI_BRANCH_DEFAULTS.surrogate);
    const n = shapeSize(unitShape);
    const draw = (name: string, range: readonly [number, number]): Tensor => {
      const [lo, hi] = range;
      if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi))
        throw new RangeError(`MultiBranchNeurons: ${name} must be [lo, hi] with lo ≤ hi, got [${lo}, ${hi}]`);
      return new Tensor(
        Float32Array.from({ length: n * K }, () => opts.rng.range(lo, hi)),
        [n, K],
      );
    };
    const learn = opts.learnMembrane ?? true;
    this.coupling = this.registerParameter(
      'coupling',
      draw('couplingInit', opts.couplingInit ?? MULTI_BRANCH_DEFAULTS.couplingInit),
      learn,
    );
    this.branchLeak = this.registerParameter(
      'branch_leak',
      draw('branchLeakInit', opts.branchLeakInit ?? MULTI_BRANCH_DEFAULTS.branchLeakInit),
      learn,
    );
  }

  /** Input currents per unit: K (or K + 1 with a soma input). */
  get blocks(): number {
    return this.branches + (this.opts.somaInput ? 1 : 0);
  }

  forward(x: Tensor, mode: SpikingMode, extra: Pick<SpikingOptions, 'smoothCheck'> = {}): Tensor {
    const o = this.opts;
    return multiBranchSpikes(x, this.coupling, this.branchLeak, {
      ...mode,
      ...extra,
      branches: this.branches,
      somaInput: o.somaInput,
      activeBranches: o.activeBranches,
      dt: o.dt,
      threshold: o.threshold,
      surrogate: o.surrogate,
      inputScale: o.inputScale,
      membrane: o.membrane,
    });
  }
}
