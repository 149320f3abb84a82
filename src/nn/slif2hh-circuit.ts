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
import { Tensor, shapeSize, shapeString } from '../tensor/tensor.js';
import { neuronSpikes } from './neuron-layer.js';
import type { OverrideCall } from './spiking-overrides.js';
import { findSpikingOverride } from './spiking-overrides.js';
import type { Slif2hhOptions } from './spiking.js';
import { SLIF2HH_FC_DEFAULTS, finite, flag, layoutOf } from './spiking.js';
import { resolveSurrogate } from './surrogate.js';

/** The name the circuit's overrides are registered under. */
export const SLIF2HH_CIRCUIT = 'slif2hh';

/** The circuit's sizes and checks, shared by both paths' callers. */
function unitsOf(fn: string, x: Tensor, w: Tensor, opts: Slif2hhOptions) {
  const lay = layoutOf(fn, x, opts);
  const f0 = lay.features[0];
  if (f0 === undefined || f0 % 3 !== 0)
    throw new RangeError(
      `${fn}: the first feature dim must hold 3 blocks of input currents (a multiple of 3), got input ${shapeString(x.shape)}`,
    );
  const N = shapeSize(lay.features) / 3;
  if (!(w instanceof Tensor)) throw new TypeError(`${fn}: w must be a Tensor`);
  if (w.size !== 3 * N && w.size !== 3)
    throw new RangeError(
      `${fn}: w has ${w.size} values, expected ${3 * N} ([${N}, 3], one triple per unit) or 3 (shared)`,
    );
  return { lay, N, unitFeatures: [f0 / 3, ...lay.features.slice(1)] };
}

/**
 * s-LIF2HH units: the registered fused kernel where it applies (overrides on), else the circuit of
 * generated `lif-step` kernels.
 */
export function slif2hhUnits(x: Tensor, w: Tensor, opts: Slif2hhOptions = {}): Tensor {
  const fn = 'slif2hhUnits';
  const surrogate = resolveSurrogate(opts.surrogate, SLIF2HH_FC_DEFAULTS.surrogate);
  const call: OverrideCall = {
    T: opts.T,
    timeVarying: opts.timeVarying,
    repeat: opts.repeat,
    output: opts.output,
    surrogate,
    smoothCheck: opts.smoothCheck,
    params: {
      decay: finite(fn, 'decay', opts.decay ?? SLIF2HH_FC_DEFAULTS.decay),
      theta: finite(fn, 'threshold', opts.threshold ?? SLIF2HH_FC_DEFAULTS.threshold),
      w,
    },
    detach: [],
    detachReset: flag(fn, 'detachReset', opts.detachReset, false),
    extra: {},
  };
  const override = findSpikingOverride(SLIF2HH_CIRCUIT, call);
  if (override) return override.run(x, call);
  return slif2hhCircuit(x, w, { ...opts, surrogate });
}

/** The circuit on the generic kernels (whatever the overrides). */
export function slif2hhCircuit(x: Tensor, w: Tensor, opts: Slif2hhOptions = {}): Tensor {
  const fn = 'slif2hhCircuit';
  const { lay, N, unitFeatures } = unitsOf(fn, x, w, opts);
  const decay = finite(fn, 'decay', opts.decay ?? SLIF2HH_FC_DEFAULTS.decay);
  const theta = finite(fn, 'threshold', opts.threshold ?? SLIF2HH_FC_DEFAULTS.threshold);
  const surrogate = resolveSurrogate(opts.surrogate, SLIF2HH_FC_DEFAULTS.surrogate);
  const smooth = flag(fn, 'smoothCheck', opts.smoothCheck, false);
  const lif = {
    output: 'voltage' as const,
    params: { decay, theta },
    surrogate,
    smoothCheck: smooth,
    detachReset: flag(fn, 'detachReset', opts.detachReset, false),
  };
  // The input LIFs: 3N neurons (the blocks [x1|x2|x3] are just 3N features), membranes [T, B, 3N].
  const inputMembranes = neuronSpikes(x, lifStepDeclared, {
    ...lif,
    T: opts.T,
    timeVarying: lay.timeVarying,
    repeat: lay.repeat,
  });
  const drive = mixMembranes(inputMembranes, w, N, [lay.T, lay.batch, ...unitFeatures]);
  const outputMembrane = neuronSpikes(drive, lifStepDeclared, { ...lif, timeVarying: true });
  const threshold = Math.fround(theta); // the kernels compare float32 membranes with float32 θ
  return spikeReadout(inputMembranes, outputMembrane, N, {
    T: lay.T,
    batch: lay.batch,
    rate: lay.rateOutput,
    threshold,
    surrogate: surrogate.id,
    surrogateParam: surrogate.param,
    smooth,
    shape: lay.rateOutput
      ? [lay.batch, unitFeatures[0] * 4, ...unitFeatures.slice(1)]
      : [lay.T, lay.batch, unitFeatures[0] * 4, ...unitFeatures.slice(1)],
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
    if (m.requiresGrad) {
      const gm = new Float32Array(m.size);
      for (let r = 0, at = 0, o = 0; r < rows; r++, at += 3 * N, o += N)
        for (let k = 0; k < 3; k++) {
          const a = aw[k];
          const row = at + k * N;
          for (let j = 0; j < N; j++) gm[row + j] = a[j] * g[o + j];
        }
      accumulateGrad(m, gm, true);
    }
    if (w.requiresGrad) {
      // Σ over rows of m_k·g per unit, in float64.
      const sums = new Float64Array(3 * N);
      for (let r = 0, at = 0, o = 0; r < rows; r++, at += 3 * N, o += N)
        for (let k = 0; k < 3; k++) {
          const row = at + k * N;
          const q = k * N;
          for (let j = 0; j < N; j++) sums[q + j] += md[row + j] * g[o + j];
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
  const out = new Float32Array(o.rate ? 4 * B * N : 4 * rows * N);
  // Counts in float64 for rates, scaled once (as the fused kernel's rates are).
  const counts = o.rate ? new Float64Array(out.length) : null;
  const sink = counts ?? out;
  for (let r = 0; r < rows; r++) {
    const at = 4 * N * (o.rate ? r % B : r);
    const from = 3 * N * r;
    for (let c = 0; c < 3 * N; c++) {
      const m = mi[from + c];
      const s = smooth ? surrogatePrimitiveAt(kind, p, m - th) : m > th ? 1 : 0;
      if (counts) counts[at + c] += s;
      else sink[at + c] = s;
    }
    for (let j = 0; j < N; j++) {
      const m = mo[N * r + j];
      const s = smooth ? surrogatePrimitiveAt(kind, p, m - th) : m > th ? 1 : 0;
      if (counts) counts[at + 3 * N + j] += s;
      else sink[at + 3 * N + j] = s;
    }
  }
  if (counts) for (let i = 0; i < out.length; i++) out[i] = counts[i] * (1 / T);
  addFlops('slif2hhCircuit', (o.rate ? 2 : 1) * 4 * rows * N);
  return makeResult(out, o.shape, [inputs, output], () => (g) => {
    const scale = o.rate ? 1 / T : 1;
    const gi = inputs.requiresGrad ? new Float32Array(inputs.size) : null;
    const go = output.requiresGrad ? new Float32Array(output.size) : null;
    for (let r = 0; r < rows; r++) {
      const at = 4 * N * (o.rate ? r % B : r);
      const from = 3 * N * r;
      if (gi)
        for (let c = 0; c < 3 * N; c++)
          gi[from + c] = g[at + c] * scale * surrogateGradAt(kind, p, mi[from + c] - th);
      if (go)
        for (let j = 0; j < N; j++)
          go[N * r + j] = g[at + 3 * N + j] * scale * surrogateGradAt(kind, p, mo[N * r + j] - th);
    }
    if (gi) accumulateGrad(inputs, gi, true);
    if (go) accumulateGrad(output, go, true);
  });
}
