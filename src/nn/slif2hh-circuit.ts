/**
 * s-LIF2HH units (spec 2.3) as a circuit of declared neurons: per unit three input LIFs of the
 * study's `lif-step` declaration, whose membranes (the generic kernels' voltage output) drive a
 * fourth through the non-negative mix Σk |w_k|·m_k[t]. Everything below the mix and the spike
 * readout is the declaration's generated kernels; `slif2hhUnits` runs this circuit, or the fused
 * hand-written s-LIF2HH kernel (spiking.ts slif2hhSpikes) where that override is registered and
 * applies (spiking-overrides.ts; test/overrides.test.ts checks the two against each other).
 *
 * Layouts as slif2hhSpikes: x carries the three input currents of each unit in blocks along the
 * first feature dim ([B, 3N] or [B, 3C, H, W]; time-varying [F, B, …] with `repeat`), w is [N, 3]
 * (one triple per unit) or [3] (shared), the output the four spike trains (or rates) in blocks
 * [s1|s2|s3|s4] along the first feature dim.
 */
import { surrogateGradAt, surrogatePrimitiveAt } from '../kernels/spiking/surrogates.js';
import { lifStepDeclared } from '../neurons/lif.js';
import { addFlops } from '../tensor/accounting.js';
import { accumulateGrad, makeResult } from '../tensor/autograd.js';
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
    output: 'voltage' as const,
    params: { decay: r.decay, theta: r.theta },
    surrogate: r.surrogate,
    smoothCheck: r.smooth,
    detachReset: r.detachReset,
  };
  // The input LIFs: 3N neurons (the blocks [x1|x2|x3] are just 3N features), membranes [T, B, 3N].
  const inputMembranes = neuronSpikes(x, lifStepDeclared, {
    ...lif,
    T: opts.T,
    timeVarying: lay.timeVarying,
    repeat: lay.repeat,
  });
  const unitFeatures = [outFeatures[0] / 4, ...outFeatures.slice(1)];
  const drive = mixMembranes(inputMembranes, w, N, [lay.T, lay.batch, ...unitFeatures]);
  const outputMembrane = neuronSpikes(drive, lifStepDeclared, { ...lif, timeVarying: true });
  return spikeReadout(inputMembranes, outputMembrane, N, {
    T: lay.T,
    batch: lay.batch,
    rate: lay.rateOutput,
    threshold: Math.fround(r.theta), // the kernels compare float32 membranes with float32 θ
    surrogate: r.surrogate.id,
    surrogateParam: r.surrogate.param,
    smooth: r.smooth,
    shape: lay.rateOutput ? [lay.batch, ...outFeatures] : [lay.T, lay.batch, ...outFeatures],
  });
}

/**
 * u[r, j] = Σk |w_jk|·m[r, k·N + j] for every (step, sample) row r: the fourth LIF's drive from the
 * three membranes. |w| keeps the mix non-negative while w learns freely (d|w|/dw = sign w, 0 at 0).
 */
function mixMembranes(m: Tensor, w: Tensor, N: number, shape: number[]): Tensor {
  const rows = m.size / (3 * N);
  const shared = w.size === 3;
  // |w| per block: a1[j], a2[j], a3[j].
  const aw = [0, 1, 2].map((k) =>
    Float32Array.from({ length: N }, (_, j) => Math.abs(w.data[shared ? k : 3 * j + k])),
  );
  const [a1, a2, a3] = aw;
  const u = new Float32Array(rows * N);
  const md = m.data;
  for (let r = 0, at = 0, o = 0; r < rows; r++, at += 3 * N, o += N)
    for (let j = 0; j < N; j++)
      u[o + j] = a1[j] * md[at + j] + a2[j] * md[at + N + j] + a3[j] * md[at + 2 * N + j];
  addFlops('slif2hhCircuit', 5 * rows * N);
  return makeResult(u, shape, [m, w], () => (g) => {
    // One pass: the membranes' gradient |w|·g and, per unit and block, Σ_rows m·g (float64).
    const gm = m.requiresGrad ? new Float32Array(m.size) : null;
    const sums = w.requiresGrad ? new Float64Array(3 * N) : null;
    for (let r = 0, at = 0, o = 0; r < rows; r++, at += 3 * N, o += N)
      for (let k = 0; k < 3; k++) {
        const a = aw[k];
        const row = at + k * N;
        if (gm) for (let j = 0; j < N; j++) gm[row + j] = a[j] * g[o + j];
        if (sums) for (let j = 0, q = k * N; j < N; j++) sums[q + j] += md[row + j] * g[o + j];
      }
    if (gm) accumulateGrad(m, gm, true);
    if (sums) {
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

interface ReadoutOptions {
  T: number;
  batch: number;
  rate: boolean;
  threshold: number;
  surrogate: number;
  surrogateParam: number;
  smooth: boolean;
  shape: number[];
}

/**
 * The four spike trains s = H(m − θ) (the surrogate's primitive in smooth mode) of the input
 * membranes [T, B, 3N] and the output membrane [T, B, N], in blocks [s1|s2|s3|s4] of each sample,
 * or their rates; backward through the surrogate derivative. These are the spikes the LIFs reset
 * on (same membranes, same comparison).
 */
function spikeReadout(inputs: Tensor, output: Tensor, N: number, o: ReadoutOptions): Tensor {
  const { T, batch: B, threshold: th, surrogate: kind, surrogateParam: p, smooth } = o;
  const rows = T * B;
  const mi = inputs.data;
  const mo = output.data;
  // Block k of row r reads the input membranes' k-th block (k < 3) or the output membrane (k = 3).
  const startOf = (k: number, r: number): number => (k < 3 ? 3 * N * r + k * N : N * r);
  const out = new Float32Array(o.rate ? 4 * B * N : 4 * rows * N);
  // Rates: counts in float64, scaled once (as the fused kernel's rates are).
  const counts = o.rate ? new Float64Array(out.length) : null;
  for (let r = 0; r < rows; r++) {
    const row = 4 * N * (o.rate ? r % B : r);
    for (let k = 0; k < 4; k++) {
      const m = k < 3 ? mi : mo;
      const at = startOf(k, r);
      const to = row + k * N;
      if (smooth)
        for (let j = 0; j < N; j++) {
          const v = surrogatePrimitiveAt(kind, p, m[at + j] - th);
          if (counts) counts[to + j] += v;
          else out[to + j] = v;
        }
      else if (counts) for (let j = 0; j < N; j++) counts[to + j] += m[at + j] > th ? 1 : 0;
      else for (let j = 0; j < N; j++) out[to + j] = m[at + j] > th ? 1 : 0;
    }
  }
  if (counts) for (let i = 0; i < out.length; i++) out[i] = counts[i] * (1 / T);
  addFlops('slif2hhCircuit', (o.rate ? 2 : 1) * 4 * rows * N);
  return makeResult(out, o.shape, [inputs, output], () => (g) => {
    const scale = o.rate ? 1 / T : 1;
    const gi = inputs.requiresGrad ? new Float32Array(inputs.size) : null;
    const go = output.requiresGrad ? new Float32Array(output.size) : null;
    for (let r = 0; r < rows; r++) {
      const row = 4 * N * (o.rate ? r % B : r);
      for (let k = 0; k < 4; k++) {
        const grad = k < 3 ? gi : go;
        if (!grad) continue;
        const m = k < 3 ? mi : mo;
        const at = startOf(k, r);
        const from = row + k * N;
        for (let j = 0; j < N; j++)
          grad[at + j] = g[from + j] * scale * surrogateGradAt(kind, p, m[at + j] - th);
      }
    }
    if (gi) accumulateGrad(inputs, gi, true);
    if (go) accumulateGrad(output, go, true);
  });
}
