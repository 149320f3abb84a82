/**
 * s-LIF2HH units (spec 2.3) as the declared unit `slif2hh-unit` (src/neurons/slif2hh.ts): three
 * input LIFs and a fourth driven by Σk |w_k|·m_k[t], one generated kernel for the whole unit
 * (several inputs and spike rules: kernels/spiking/program.ts). `slif2hhUnits` runs it, or the
 * fused hand-written s-LIF2HH kernel (spiking.ts slif2hhSpikes) where that override is registered
 * and applies (spiking-overrides.ts; test/overrides.test.ts checks the two against each other).
 *
 * Layouts as slif2hhSpikes: x carries the three input currents of each unit in blocks along the
 * first feature dim ([B, 3N] or [B, 3C, H, W]; time-varying [F, B, …] with `repeat`), w is [N, 3]
 * (one triple per unit) or [3] (shared), the output the four spike trains (or rates) in blocks
 * [s1|s2|s3|s4] along the first feature dim.
 */
import { slif2hhUnitDeclared } from '../neurons/slif2hh.js';
import { reshape, sliceColumns } from '../tensor/ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { neuronSpikes } from './neuron-layer.js';
import { findSpikingOverride, overrideCall } from './spiking-overrides.js';
import type { Slif2hhOptions } from './spiking.js';
import { SLIF2HH_FC_DEFAULTS, finite, flag, slif2hhLayout } from './spiking.js';
import type { Surrogate } from './surrogate.js';
import { resolveSurrogate } from './surrogate.js';

/** The model the s-LIF2HH overrides are registered for: the declared unit. */
export const SLIF2HH_UNIT = slif2hhUnitDeclared.name;

/** A call's options with the defaults applied and checked, once for whichever path runs it. */
interface Resolved {
  decay: number;
  theta: number;
  surrogate: Surrogate;
  detachReset: boolean;
  smooth: boolean;
}

function resolve(fn: string, opts: Slif2hhOptions): Resolved {
  return {
    decay: finite(fn, 'decay', opts.decay ?? SLIF2HH_FC_DEFAULTS.decay),
    theta: finite(fn, 'threshold', opts.threshold ?? SLIF2HH_FC_DEFAULTS.threshold),
    surrogate: resolveSurrogate(opts.surrogate, SLIF2HH_FC_DEFAULTS.surrogate),
    detachReset: flag(fn, 'detachReset', opts.detachReset, false),
    smooth: flag(fn, 'smoothCheck', opts.smoothCheck, false),
  };
}

/**
 * s-LIF2HH units: the registered fused kernel where it applies (overrides on), else the declared
 * unit's generated kernels.
 */
export function slif2hhUnits(x: Tensor, w: Tensor, opts: Slif2hhOptions = {}): Tensor {
  const fn = 'slif2hhUnits';
  const r = resolve(fn, opts);
  const call = overrideCall(opts, {
    surrogate: r.surrogate,
    params: { decay: r.decay, theta: r.theta, w },
    detach: [],
    detachReset: r.detachReset,
    extra: {},
  });
  const override = findSpikingOverride(SLIF2HH_UNIT, call);
  if (override) return override.run(x, call);
  return generic(fn, x, w, opts, r);
}

/** The declared unit on its generated kernels (whatever the overrides). */
export function slif2hhGeneric(x: Tensor, w: Tensor, opts: Slif2hhOptions = {}): Tensor {
  const fn = 'slif2hhGeneric';
  return generic(fn, x, w, opts, resolve(fn, opts));
}

function generic(fn: string, x: Tensor, w: Tensor, opts: Slif2hhOptions, r: Resolved): Tensor {
  const { lay, N } = slif2hhLayout(fn, x, w, opts);
  // w1, w2, w3 per unit (or shared): columns of w, so their gradients flow back into it.
  const rows = w.size === 3 ? 1 : N;
  const w2 = reshape(w, [rows, 3]);
  const [w1c, w2c, w3c] = [0, 1, 2].map((k) => reshape(sliceColumns(w2, k, k + 1), [rows]));
  return neuronSpikes(x, slif2hhUnitDeclared, {
    T: opts.T,
    timeVarying: lay.timeVarying,
    repeat: lay.repeat,
    output: lay.rateOutput ? 'rate' : 'spikes',
    surrogate: r.surrogate,
    smoothCheck: r.smooth,
    detachReset: r.detachReset,
    params: { decay: r.decay, theta: r.theta, w1: w1c, w2: w2c, w3: w3c },
    overrides: false,
  });
}
