/**
 * Resource accounting of the engine's own graph: analytic FLOP counts of the ops run inside a
 * scope, and the bytes a recorded graph keeps alive for backward. Rules (docs/resources.md):
 *
 * FLOPs (forward only; backward closures count nothing):
 * - a multiply-add is 2 FLOPs: matmul 2·m·n·k, linear 2·B·out·in plus B·out for the bias, conv2d
 *   2·Cout·(Cin·kh·kw)·(B·Hout·Wout) (the lowered product, padding taps included) plus the bias;
 * - element-wise ops 1 per output element, transcendental ones (exp, tanh, sigmoid, softplus) too;
 * - reductions 1 per input element (sum, sumLastAxis; avgPool2d k² per output plus the 1/k² scale);
 * - data movement (reshape, concat, repeatEach, flatten) 0;
 * - softmax cross-entropy 5 per logit (max compare, shift, exp, sum, normalise) + 3 per row
 *   (log, add, subtract the target logit) + B + 1 for the batch mean;
 * - the fused spiking kernels count per neuron-step from the reference kernels' arithmetic
 *   (constants in src/kernels/spiking-costs.ts).
 *
 * Memory: after a recorded forward, the data of every non-leaf tensor reachable from the root
 * plus the extra buffers ops declared on their outputs (saved states, softmax probabilities,
 * dropout masks), each byte counted once however many tensors share it (reshape shares data).
 * Leaves (parameters, the input batch, constants) are not counted: they exist without the graph.
 */
import { Tensor } from './tensor.js';

class FlopCounter {
  total = 0;
  readonly byOp = new Map<string, number>();
  add(op: string, flops: number): void {
    this.total += flops;
    this.byOp.set(op, (this.byOp.get(op) ?? 0) + flops);
  }
}

/** The innermost active counting scope; null almost always, so ops pay one comparison. */
let active: FlopCounter | null = null;

/** Called by every op with its analytic count; a no-op unless a countFlops scope is running. */
export function addFlops(op: string, flops: number): void {
  if (active === null) return;
  active.add(op, flops);
}

export interface FlopCount {
  /** FLOPs of every op run in the scope. */
  flops: number;
  /** The same split by op name (e.g. 'linear', 'lifSpikes'). */
  byOp: Record<string, number>;
}

/**
 * Runs fn and returns the FLOPs of the ops it ran. Scopes nest: an inner scope's count is also
 * added to the enclosing one.
 */
export function countFlops<T>(fn: () => T): FlopCount & { result: T } {
  const outer = active;
  const counter = new FlopCounter();
  active = counter;
  let result: T;
  try {
    result = fn();
  } finally {
    active = outer;
    if (outer) for (const [op, n] of counter.byOp) outer.add(op, n);
  }
  return { result, flops: counter.total, byOp: Object.fromEntries(counter.byOp) };
}

export interface GraphMemory {
  /** tensorBytes + savedBytes: everything the recorded graph keeps for backward. */
  bytes: number;
  /** Data of the non-leaf tensors reachable from the root (shared buffers once). */
  tensorBytes: number;
  /** Extra buffers ops declared for backward, beyond bytes already counted as tensor data. */
  savedBytes: number;
  /** Recorded op outputs reached. */
  nodes: number;
}

/** Byte ranges per ArrayBuffer, merged so overlapping views count once. */
class ByteRanges {
  private readonly ranges = new Map<ArrayBufferLike, [number, number][]>();
  add(view: ArrayBufferView): void {
    if (view.byteLength === 0) return;
    let list = this.ranges.get(view.buffer);
    if (!list) this.ranges.set(view.buffer, (list = []));
    list.push([view.byteOffset, view.byteOffset + view.byteLength]);
  }
  total(): number {
    let sum = 0;
    for (const list of this.ranges.values()) {
      list.sort((a, b) => a[0] - b[0]);
      let [lo, hi] = list[0];
      for (const [s, e] of list) {
        if (s > hi) {
          sum += hi - lo;
          [lo, hi] = [s, e];
        } else hi = Math.max(hi, e);
      }
      sum += hi - lo;
    }
    return sum;
  }
}

/**
 * Bytes the recorded graph behind root keeps alive for backward (call after the forward, before
 * backward(), which releases the graph). A tensor is a node when an op recorded it (it has a
 * backward closure); everything else is a leaf.
 */
export function graphMemory(root: Tensor): GraphMemory {
  const data = new ByteRanges();
  const all = new ByteRanges();
  const seen = new Set<Tensor>([root]);
  const stack = [root];
  let nodes = 0;
  while (stack.length) {
    const t = stack.pop()!;
    if (t.backwardFn === null) continue;
    nodes++;
    data.add(t.data);
    all.add(t.data);
    for (const b of t.savedForBackward) all.add(b);
    for (const p of t.parents) {
      if (!seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  const tensorBytes = data.total();
  const bytes = all.total();
  return { bytes, tensorBytes, savedBytes: bytes - tensorBytes, nodes };
}
