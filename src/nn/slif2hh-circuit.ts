/**
 * s-LIF2HH units (spec 2.3) as a circuit of declared neurons: per unit three input LIFs of the
 * study's `lif-step` declaration, whose membranes (the generic kernels' voltage output) drive a
 * fourth through the non-negative mix Σk |w_k|·m_k[t]; the fourth's own spikes are the last block
 * of the output. Everything but the mix is the declaration's generated kernels; `slif2hhUnits` runs this circuit, or the fused hand-written s-LIF2HH kernel
 * (spiking.ts slif2hhSpikes) where that override is registered and applies (spiking-overrides.ts;
 * test/overrides.test.ts checks the two against each other).
 *
 * Layouts as slif2hhSpikes: x carries the three input currents of each unit in blocks along the
 * first feature dim ([B, 3N] or [B, 3C, H, W]; time-varying [F, B, …] with `repeat`), w is [N, 3]
 * (one triple per unit) or [3] (shared), the output the four spike trains (or rates) in blocks
 * [s1|s2|s3|s4] along the first feature dim.
 */
import { lifStepDeclared } from '../neurons/lif.js';
import { addFlops } from '../tensor/accounting.js';
import { accumulateGrad, makeResult } from '../tensor/autograd.js';
import { concatColumns, reshape } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { neuronSpikes } from './neuron-layer.js';
import { findSpikingOverride, overrideCall } from './spiking-overrides.js';
import type { Slif2hhOptions } from './spiking.js';
import { SLIF2HH_FC_DEFAULTS, finite, flag, slif2hhLayout } from './spiking.js';
import type { Surrogate } from './surrogate.js';
import { resolveSurrogate } from './surrogate.js';

/** The name the circuit's overrides are registered under. */
export const SLIF2HH_CIRCUIT = 'slif2hh';

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
 * s-LIF2HH units: the registered fused kernel where it applies (overrides on), else the circuit of
 * generated `lif-step` kernels.
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
  const override = findSpikingOverride(SLIF2HH_CIRCUIT, call);
  if (override) return override.run(x, call);
  return circuit(fn, x, w, opts, r);
}

/** The circuit on the generic kernels (whatever the overrides). */
export function slif2hhCircuit(x: Tensor, w: Tensor, opts: Slif2hhOptions = {}): Tensor {
  const fn = 'slif2hhCircuit';
  return circuit(fn, x, w, opts, resolve(fn, opts));
}

function circuit(fn: string, x: Tensor, w: Tensor, opts: Slif2hhOptions, r: Resolved): Tensor {
  const { lay, N, outFeatures } = slif2hhLayout(fn, x, w, opts);
  const lif = {
    params: { decay: r.decay, theta: r.theta },
    surrogate: r.surrogate,
    smoothCheck: r.smooth,
    detachReset: r.detachReset,
    overrides: false, // the circuit of generic kernels, whatever is registered for lif-step
  };
  // The input LIFs: 3N neurons (the blocks [x1|x2|x3] are just 3N features), membranes [T, B, 3N].
  const layout = { T: opts.T, timeVarying: lay.timeVarying, repeat: lay.repeat };
  const spikeOutput = lay.rateOutput ? ('rate' as const) : ('spikes' as const);
  const inputMembranes = neuronSpikes(x, lifStepDeclared, { ...lif, ...layout, output: 'voltage' });
  // Their spikes (or rates): the same kernel with spike output. Two forwards of one function of
  // x; backward adds the two BPTT passes' input gradients, which is the gradient of the pair.
  const inputSpikes = neuronSpikes(x, lifStepDeclared, { ...lif, ...layout, output: spikeOutput });
  const unitFeatures = [outFeatures[0] / 4, ...outFeatures.slice(1)];
  const drive = mixMembranes(inputMembranes, w, N, [lay.T, lay.batch, ...unitFeatures]);
  // The fourth LIF: only its input is a circuit's.
  const fourth = neuronSpikes(drive, lifStepDeclared, { ...lif, output: spikeOutput, timeVarying: true });
  const rows = lay.rateOutput ? lay.batch : lay.T * lay.batch;
  const blocks = concatColumns([reshape(inputSpikes, [rows, 3 * N]), reshape(fourth, [rows, N])]);
  return reshape(blocks, lay.rateOutput ? [lay.batch, ...outFeatures] : [lay.T, lay.batch, ...outFeatures]);
}

/**
 * u[r, j] = Σk |w_jk|·m[r, k·N + j] for every (step, sample) row r: the fourth LIF's drive from the
 * three membranes. |w| keeps the mix non-negative while w learns freely (d|w|/dw = sign w, 0 at 0).
 */
function mixMembranes(m: Tensor, w: Tensor, N: number, shape: number[]): Tensor {
  const rows = m.size / (3 * N);
  const shared = w.size === 3;
  // |w| per block: a1[j], a2[j], a3[j].
  const [a1, a2, a3] = [0, 1, 2].map((k) =>
    Float32Array.from({ length: N }, (_, j) => Math.abs(w.data[shared ? k : 3 * j + k])),
  );
  const u = new Float32Array(rows * N);
  const md = m.data;
  for (let r = 0, at = 0, o = 0; r < rows; r++, at += 3 * N, o += N)
    for (let j = 0; j < N; j++)
      u[o + j] = a1[j] * md[at + j] + a2[j] * md[at + N + j] + a3[j] * md[at + 2 * N + j];
  addFlops('slif2hhCircuit', 5 * rows * N);
  return makeResult(u, shape, [m, w], () => (g) => {
    if (m.requiresGrad) {
      // The membranes' gradient |w|·g, accumulated in place (one pass, no temporary).
      const gm = m.ensureGrad();
      for (let r = 0, at = 0, o = 0; r < rows; r++, at += 3 * N, o += N)
        for (let j = 0; j < N; j++) {
          const gj = g[o + j];
          gm[at + j] += a1[j] * gj;
          gm[at + N + j] += a2[j] * gj;
          gm[at + 2 * N + j] += a3[j] * gj;
        }
    }
    if (w.requiresGrad) {
      // Per unit and block Σ_rows m·g, in float64.
      const sums = new Float64Array(3 * N);
      for (let r = 0, at = 0, o = 0; r < rows; r++, at += 3 * N, o += N)
        for (let j = 0; j < N; j++) {
          const gj = g[o + j];
          sums[j] += md[at + j] * gj;
          sums[N + j] += md[at + N + j] * gj;
          sums[2 * N + j] += md[at + 2 * N + j] * gj;
        }
      const gw = new Float32Array(w.size);
      for (let j = 0; j < N; j++)
        for (let k = 0; k < 3; k++) {
          const q = shared ? k : 3 * j + k;
          gw[q] += Math.sign(w.data[q]) * sums[k * N + j];
        }
      accumulateGrad(w, gw, true);
    }
  });
}
