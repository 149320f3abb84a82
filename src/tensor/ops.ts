/**
 * Differentiable tensor ops. Each op computes its output eagerly and, when recording, a closure
 * that maps dLoss/dOutput to its inputs' grads. Heavy products go through the kernel backend.
 */
import { scopedArray } from './scope.js';
import { getBackend } from '../kernels/index.js';
import { Rng } from '../util/rng.js';
import { addFlops } from './accounting.js';
import { accumulateGrad, isGradEnabled, makeResult } from './autograd.js';
import { Shape, Tensor, shapeSize, shapeString } from './tensor.js';
import * as exact from '../util/exact-math.js';

function sameShape(a: Tensor, b: Tensor, op: string): void {
  if (a.size !== b.size || a.shape.some((d, i) => d !== b.shape[i]) || a.ndim !== b.ndim) {
    throw new RangeError(`${op}: shapes ${shapeString(a.shape)} and ${shapeString(b.shape)} differ`);
  }
}

export function add(a: Tensor, b: Tensor): Tensor {
  sameShape(a, b, 'add');
  addFlops('add', a.size);
  const out = scopedArray(a.size, false);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i];
  return makeResult(out, a.shape, [a, b], () => (g) => {
    accumulateGrad(a, g);
    accumulateGrad(b, g);
  });
}

export function sub(a: Tensor, b: Tensor): Tensor {
  sameShape(a, b, 'sub');
  addFlops('sub', a.size);
  const out = scopedArray(a.size, false);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] - b.data[i];
  return makeResult(out, a.shape, [a, b], () => (g) => {
    accumulateGrad(a, g);
    if (b.requiresGrad) {
      const gb = scopedArray(g.length, false);
      for (let i = 0; i < gb.length; i++) gb[i] = -g[i];
      accumulateGrad(b, gb, true);
    }
  });
}

export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape(a, b, 'mul');
  addFlops('mul', a.size);
  const out = scopedArray(a.size, false);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] * b.data[i];
  return makeResult(out, a.shape, [a, b], () => (g) => {
    if (a.requiresGrad) {
      const ga = scopedArray(g.length, false);
      for (let i = 0; i < ga.length; i++) ga[i] = g[i] * b.data[i];
      accumulateGrad(a, ga, true);
    }
    if (b.requiresGrad) {
      const gb = scopedArray(g.length, false);
      for (let i = 0; i < gb.length; i++) gb[i] = g[i] * a.data[i];
      accumulateGrad(b, gb, true);
    }
  });
}

/**
 * Element-wise op y = f(x) with dy/dx given as a function of (x, y, index): the one place the
 * map-forward / scale-the-gradient pattern lives.
 */
function unary(
  op: string,
  a: Tensor,
  f: (x: number, i: number) => number,
  dydx: (x: number, y: number, i: number) => number,
  saved: readonly ArrayBufferView[] = [],
): Tensor {
  const n = a.size;
  addFlops(op, n);
  const x = a.data;
  const out = scopedArray(n, false);
  for (let i = 0; i < n; i++) out[i] = f(x[i], i);
  return makeResult(
    out,
    a.shape,
    [a],
    () => (g) => {
      const ga = scopedArray(n, false);
      for (let i = 0; i < n; i++) ga[i] = g[i] * dydx(x[i], out[i], i);
      accumulateGrad(a, ga, true);
    },
    saved,
  );
}

export function scale(a: Tensor, s: number): Tensor {
  addFlops('scale', a.size);
  const out = scopedArray(a.size, false);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] * s;
  return makeResult(out, a.shape, [a], () => (g) => {
    const ga = scopedArray(g.length, false);
    for (let i = 0; i < ga.length; i++) ga[i] = g[i] * s;
    accumulateGrad(a, ga, true);
  });
}

/**
 * max(x, 0), written out rather than through unary() because it is the hottest element-wise op.
 * Branch-free forms ((x + |x|)/2 is exact; the mask is 0/1): a ternary on random signs spends
 * most of its time in branch mispredictions.
 */
export function relu(a: Tensor): Tensor {
  addFlops('relu', a.size);
  const x = a.data;
  const out = scopedArray(a.size, false);
  for (let i = 0; i < out.length; i++) out[i] = 0.5 * (x[i] + Math.abs(x[i]));
  return makeResult(out, a.shape, [a], () => (g) => {
    const ga = scopedArray(g.length, false);
    for (let i = 0; i < ga.length; i++) ga[i] = g[i] * Number(x[i] > 0);
    accumulateGrad(a, ga, true);
  });
}

export function sigmoid(a: Tensor): Tensor {
  return unary(
    'sigmoid',
    a,
    (x) => 1 / (1 + exact.exp(-x)),
    (_, y) => y * (1 - y),
  );
}

export function tanh(a: Tensor): Tensor {
  return unary('tanh', a, Math.tanh, (_, y) => 1 - y * y);
}

/** Numerically stable softplus log(1 + e^x). */
export function softplus(a: Tensor): Tensor {
  return unary(
    'softplus',
    a,
    (x) => (x > 20 ? x : Math.log1p(exact.exp(x))),
    (x) => 1 / (1 + exact.exp(-x)),
  );
}

export function exp(a: Tensor): Tensor {
  return unary('exp', a, Math.exp, (_, y) => y);
}

/** a + c for a constant c (e.g. the −5 shift inside the VIB's σ = softplus(· − 5)). */
export function addScalar(a: Tensor, c: number): Tensor {
  return unary(
    'addScalar',
    a,
    (x) => x + c,
    () => 1,
  );
}

/** Element-wise minimum; the gradient goes to the smaller input (to a on ties, like torch.min). */
export function minimum(a: Tensor, b: Tensor): Tensor {
  sameShape(a, b, 'minimum');
  addFlops('minimum', a.size);
  const out = scopedArray(a.size, false);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(a.data[i], b.data[i]);
  return makeResult(out, a.shape, [a, b], () => (g) => {
    const ga = scopedArray(g.length);
    const gb = scopedArray(g.length);
    for (let i = 0; i < g.length; i++) {
      if (a.data[i] <= b.data[i]) ga[i] = g[i];
      else gb[i] = g[i];
    }
    accumulateGrad(a, ga, true);
    accumulateGrad(b, gb, true);
  });
}

/** Clamps to [lo, hi]; the gradient passes where lo ≤ x ≤ hi (torch.clamp's rule). */
export function clamp(a: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new RangeError(`clamp: lo ${lo} must not exceed hi ${hi}`);
  return unary(
    'clamp',
    a,
    (x) => Math.min(hi, Math.max(lo, x)),
    (x) => (x >= lo && x <= hi ? 1 : 0),
  );
}

/** Joins 2-D tensors [B, n1], [B, n2], … along the feature axis → [B, n1 + n2 + …]. */
export function concatColumns(parts: readonly Tensor[]): Tensor {
  if (parts.length === 0) throw new RangeError('concatColumns: nothing to join');
  const rows = parts[0].shape[0];
  for (const p of parts) {
    if (p.ndim !== 2 || p.shape[0] !== rows)
      throw new RangeError(
        `concatColumns: every part must be [${rows}, n]; got ${parts.map((q) => shapeString(q.shape)).join(', ')}`,
      );
  }
  const widths = parts.map((p) => p.shape[1]);
  const total = widths.reduce((s, w) => s + w, 0);
  const out = scopedArray(rows * total, false);
  let offset = 0;
  parts.forEach((p, k) => {
    const w = widths[k];
    for (let r = 0; r < rows; r++) out.set(p.data.subarray(r * w, (r + 1) * w), r * total + offset);
    offset += w;
  });
  return makeResult(out, [rows, total], parts, () => (g) => {
    let off = 0;
    parts.forEach((p, k) => {
      const w = widths[k];
      if (p.requiresGrad) {
        const gp = scopedArray(rows * w, false);
        for (let r = 0; r < rows; r++) gp.set(g.subarray(r * total + off, r * total + off + w), r * w);
        accumulateGrad(p, gp, true);
      }
      off += w;
    });
  });
}

/** Columns [start, end) of a 2-D tensor: [B, n] → [B, end − start]; the gradient is scattered back. */
export function sliceColumns(a: Tensor, start: number, end: number): Tensor {
  if (a.ndim !== 2) throw new RangeError(`sliceColumns: input must be [B, n], got ${shapeString(a.shape)}`);
  const [rows, n] = a.shape;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start >= end)
    throw new RangeError(`sliceColumns: need integers 0 ≤ start < end ≤ ${n}, got [${start}, ${end})`);
  const w = end - start;
  const out = scopedArray(rows * w, false);
  for (let r = 0; r < rows; r++) out.set(a.data.subarray(r * n + start, r * n + end), r * w);
  return makeResult(out, [rows, w], [a], () => (g) => {
    const ga = scopedArray(a.size);
    for (let r = 0; r < rows; r++) ga.set(g.subarray(r * w, (r + 1) * w), r * n + start);
    accumulateGrad(a, ga, true);
  });
}

/**
 * KL(N(μ, σ²) ‖ N(0, 1)) in nats for diagonal Gaussians, summed over the last axis:
 * mu, sigma [B, K] → [B], KL = Σ_k ½(μ² + σ² − 1) − ln σ. Fused so no log(σ) tensor is formed;
 * the gradients are ∂/∂μ = μ and ∂/∂σ = σ − 1/σ. σ must be positive (it is a softplus).
 */
export function gaussianKl(mu: Tensor, sigma: Tensor): Tensor {
  sameShape(mu, sigma, 'gaussianKl');
  if (mu.ndim !== 2) throw new RangeError(`gaussianKl: inputs must be [B, K], got ${shapeString(mu.shape)}`);
  const [rows, k] = mu.shape;
  const m = mu.data;
  const s = sigma.data;
  const out = scopedArray(rows, false);
  for (let r = 0; r < rows; r++) {
    let kl = 0;
    for (let j = r * k; j < (r + 1) * k; j++) {
      if (!(s[j] > 0))
        throw new RangeError(`gaussianKl: sigma must be positive, got ${s[j]} at element ${j}`);
      kl += 0.5 * (m[j] * m[j] + s[j] * s[j] - 1) - Math.log(s[j]);
    }
    out[r] = kl;
  }
  return makeResult(out, [rows], [mu, sigma], () => (g) => {
    if (mu.requiresGrad) {
      const gm = scopedArray(mu.size, false);
      for (let j = 0; j < gm.length; j++) gm[j] = g[Math.floor(j / k)] * m[j];
      accumulateGrad(mu, gm, true);
    }
    if (sigma.requiresGrad) {
      const gs = scopedArray(sigma.size, false);
      for (let j = 0; j < gs.length; j++) gs[j] = g[Math.floor(j / k)] * (s[j] - 1 / s[j]);
      accumulateGrad(sigma, gs, true);
    }
  });
}

/** Sum over the last axis: [..., n] → [...]. */
export function sumLastAxis(a: Tensor): Tensor {
  if (a.ndim < 1) throw new RangeError('sumLastAxis: needs at least one axis');
  const n = a.shape[a.ndim - 1];
  const rows = a.size / n;
  addFlops('sumLastAxis', a.size);
  const out = scopedArray(rows, false);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a.data[r * n + j];
    out[r] = s;
  }
  return makeResult(out, a.shape.slice(0, -1), [a], () => (g) => {
    const ga = scopedArray(a.size, false);
    for (let r = 0; r < rows; r++) ga.fill(g[r], r * n, (r + 1) * n);
    accumulateGrad(a, ga, true);
  });
}

/** Sum of all elements (scalar). */
export function sum(a: Tensor): Tensor {
  addFlops('sum', a.size);
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i];
  return makeResult(
    Float32Array.of(s),
    [],
    [a],
    () => (g) => accumulateGrad(a, new Float32Array(a.size).fill(g[0])),
  );
}

/** Mean of all elements (scalar). */
export function mean(a: Tensor): Tensor {
  return scale(sum(a), 1 / a.size);
}

/** Same data, new shape (one dimension may be -1). */
export function reshape(a: Tensor, shape: Shape): Tensor {
  const known = shape.filter((d) => d !== -1);
  const resolved = shape.map((d) => (d === -1 ? a.size / shapeSize(known) : d));
  if (shapeSize(resolved) !== a.size || resolved.some((d) => !Number.isInteger(d))) {
    throw new RangeError(`reshape: cannot view ${shapeString(a.shape)} as ${shapeString(shape)}`);
  }
  // The output's grad buffer is released right after this backward runs, so it can be handed over.
  return makeResult(a.data, resolved, [a], () => (g) => accumulateGrad(a, g, true));
}

/**
 * Repeats each slice along the first axis r times in place: [W, ...] → [W·r, ...] (torch's
 * repeat_interleave on dim 0). The gradient of a slice is the sum over its copies.
 */
export function repeatEach(a: Tensor, r: number): Tensor {
  if (!Number.isInteger(r) || r < 1)
    throw new RangeError(`repeatEach: repeats must be a positive integer, got ${r}`);
  if (a.ndim < 1) throw new RangeError('repeatEach: needs at least one axis');
  if (r === 1) return a;
  const slice = a.size / a.shape[0];
  const W = a.shape[0];
  const out = scopedArray(a.size * r, false);
  for (let w = 0; w < W; w++) {
    const src = a.data.subarray(w * slice, (w + 1) * slice);
    for (let k = 0; k < r; k++) out.set(src, (w * r + k) * slice);
  }
  return makeResult(out, [W * r, ...a.shape.slice(1)], [a], () => (g) => {
    const ga = scopedArray(a.size);
    for (let w = 0; w < W; w++) {
      for (let k = 0; k < r; k++) {
        const off = (w * r + k) * slice;
        for (let i = 0; i < slice; i++) ga[w * slice + i] += g[off + i];
      }
    }
    accumulateGrad(a, ga, true);
  });
}

/** [B, ...] → [B, rest]. */
export function flatten(a: Tensor): Tensor {
  return reshape(a, [a.shape[0], -1]);
}

/** [m×k]·[k×n] → [m×n]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2 || a.shape[1] !== b.shape[0]) {
    throw new RangeError(`matmul: cannot multiply ${shapeString(a.shape)} by ${shapeString(b.shape)}`);
  }
  const [m, k] = a.shape;
  const n = b.shape[1];
  addFlops('matmul', 2 * m * n * k);
  const out = scopedArray(m * n, false);
  const be = getBackend();
  be.gemm(false, false, m, n, k, a.data, b.data, out, false);
  return makeResult(out, [m, n], [a, b], () => (g) => {
    // A first contribution overwrites the grad (no zeroing, no reading it back).
    if (a.requiresGrad) be.gemm(false, true, m, k, n, g, b.data, ...a.gradTarget());
    if (b.requiresGrad) be.gemm(true, false, k, n, m, a.data, g, ...b.gradTarget());
  });
}

/**
 * Fully connected layer y = x·Wᵀ + b with PyTorch's layout: x [B, in], W [out, in], b [out].
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  if (x.ndim !== 2 || w.ndim !== 2 || x.shape[1] !== w.shape[1]) {
    throw new RangeError(
      `linear: input ${shapeString(x.shape)} does not fit weight ${shapeString(w.shape)} (expected [B, ${w.shape[1]}])`,
    );
  }
  const [batch, inF] = x.shape;
  const outF = w.shape[0];
  if (b && (b.ndim !== 1 || b.shape[0] !== outF))
    throw new RangeError(`linear: bias ${shapeString(b.shape)} ≠ [${outF}]`);
  addFlops('linear', 2 * batch * outF * inF + (b ? batch * outF : 0));
  const out = scopedArray(batch * outF, false);
  if (b) for (let r = 0; r < batch; r++) out.set(b.data, r * outF);
  const be = getBackend();
  be.gemm(false, true, batch, outF, inF, x.data, w.data, out, b !== null);
  const parents = b ? [x, w, b] : [x, w];
  return makeResult(out, [batch, outF], parents, () => (g) => {
    // A first contribution overwrites the grad (no zeroing, no reading it back).
    if (x.requiresGrad) be.gemm(false, false, batch, inF, outF, g, w.data, ...x.gradTarget());
    if (w.requiresGrad) be.gemm(true, false, outF, inF, batch, g, x.data, ...w.gradTarget());
    // The bias gradient is 1ᵀ·g, a one-row product (a plain loop over it is slower in JS).
    if (b && b.requiresGrad) be.gemm(false, false, 1, outF, batch, onesOf(batch), g, ...b.gradTarget());
  });
}

let ones = new Float32Array(0);

/** n ones (a shared, never written buffer, grown on demand). */
function onesOf(n: number): Float32Array {
  if (ones.length < n) ones = new Float32Array(n).fill(1);
  return ones.subarray(0, n);
}

/**
 * Mean softmax cross-entropy over the batch: logits [B, C], integer labels in [0, C).
 * Computed with the log-sum-exp shift so large logits do not overflow.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: ArrayLike<number>): Tensor {
  if (logits.ndim !== 2)
    throw new RangeError(`softmaxCrossEntropy: logits must be [B, C], got ${shapeString(logits.shape)}`);
  const [batch, classes] = logits.shape;
  if (labels.length !== batch)
    throw new RangeError(`softmaxCrossEntropy: ${labels.length} labels for batch ${batch}`);
  addFlops('softmaxCrossEntropy', batch * (5 * classes + 3) + batch + 1);
  const probs = scopedArray(batch * classes, false);
  const e = new Float64Array(classes); // one row's exponentials, taken once
  const d = logits.data;
  let loss = 0;
  for (let r = 0; r < batch; r++) {
    const off = r * classes;
    const y = labels[r];
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new RangeError(`softmaxCrossEntropy: label ${y} at row ${r} is not in [0, ${classes})`);
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, d[off + c]);
    let z = 0;
    for (let c = 0; c < classes; c++) z += e[c] = exact.exp(d[off + c] - max);
    for (let c = 0; c < classes; c++) probs[off + c] = e[c] / z;
    loss += Math.log(z) + max - d[off + y];
  }
  loss /= batch;
  return makeResult(
    Float32Array.of(loss),
    [],
    [logits],
    () => (g) => {
      const grad = scopedArray(batch * classes, false);
      const s = g[0] / batch;
      for (let r = 0; r < batch; r++) {
        for (let c = 0; c < classes; c++)
          grad[r * classes + c] = s * (probs[r * classes + c] - (c === labels[r] ? 1 : 0));
      }
      accumulateGrad(logits, grad, true);
    },
    [probs],
  );
}

/** Inverted dropout: zeroes with probability p while training and scales survivors by 1/(1−p). */
export function dropout(a: Tensor, p: number, training: boolean, rng: Rng): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return a;
  const keep = 1 / (1 - p);
  const mask = scopedArray(a.size, false);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < p ? 0 : keep;
  return unary(
    'dropout',
    a,
    (x, i) => x * mask[i],
    (_, __, i) => mask[i],
    [mask],
  );
}

/** Index of the largest value in each row of [B, C]. */
export function argmaxRows(a: Tensor): Int32Array {
  const [batch, classes] = a.shape;
  const out = new Int32Array(batch);
  for (let r = 0; r < batch; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (a.data[r * classes + c] > a.data[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

export { isGradEnabled };
