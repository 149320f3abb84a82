/**
 * Reverse-mode autodiff over the tape that ops record on their outputs (parents + backwardFn).
 * backward() walks the graph once in reverse topological order; each backwardFn accumulates into
 * its parents' grads, so a tensor used twice receives the sum of both contributions.
 */
import { isScoped, noteTensor } from './scope.js';
import { BackwardFn, Shape, Tensor, shapeString } from './tensor.js';

let gradEnabled = true;

/** Runs fn with graph recording off (evaluation, optimiser updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Creates an op's output. The backward closure is attached only when recording and some parent
 * requires grad, so inference builds no graph and keeps nothing alive. `saved` lists the buffers
 * (other than tensors) the closure keeps; nulls are skipped.
 */
export function makeResult(
  data: Float32Array,
  shape: Shape,
  parents: readonly Tensor[],
  backward: () => BackwardFn,
  saved: readonly (ArrayBufferView | null)[] = [],
): Tensor {
  const needs = gradEnabled && parents.some((p) => p.requiresGrad);
  const out = new Tensor(data, shape, needs);
  noteTensor(out, data);
  if (needs) {
    out.parents = parents;
    out.backwardFn = backward();
    if (saved.length) out.savedForBackward = saved.filter((b): b is ArrayBufferView => b !== null);
  }
  return out;
}

/**
 * Adds g into t.grad (only if t requires grad). With owned = true the caller hands over g (a
 * fresh buffer nobody else keeps), so the first contribution is adopted instead of copied —
 * large activations (conv spike maps) would otherwise be copied once per op in backward — unless
 * t has a gradBuffer, which the grad must be (it is copied there).
 */
export function accumulateGrad(t: Tensor, g: Float32Array, owned = false): void {
  if (!t.requiresGrad) return;
  if (g.length !== t.size) throw new RangeError(`grad length ${g.length} does not match ${t.toString()}`);
  if (!t.grad) {
    if (t.gradBuffer) {
      t.gradBuffer.set(g);
      t.grad = t.gradBuffer;
    } else if (owned && (t.backwardFn !== null || !isScoped(g))) {
      t.grad = g;
    } else {
      // A leaf's grad outlives the step: never a scoped array (scope.ts).
      t.grad = t.freshGrad(false);
      t.grad.set(g);
    }
    return;
  }
  const dst = t.grad;
  for (let i = 0; i < dst.length; i++) dst[i] += g[i];
}

/**
 * Back-propagates from root. With no seed, root must be a scalar and the seed is 1.
 * Intermediate (non-leaf) grads are released afterwards so memory is returned.
 */
export function backward(root: Tensor, seed?: Float32Array): void {
  if (!root.requiresGrad)
    throw new Error('backward(): the tensor does not require grad (no graph was recorded)');
  if (!seed && root.size !== 1) {
    throw new RangeError(`backward(): root ${shapeString(root.shape)} is not a scalar; pass a seed gradient`);
  }
  if (seed && seed.length !== root.size) {
    throw new RangeError(
      `backward(): seed of length ${seed.length} does not match root ${shapeString(root.shape)}`,
    );
  }
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS post-order (deep graphs of T steps must not overflow the JS stack).
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.parents.length) {
      top[1] = i + 1;
      const p = node.parents[i];
      if (!seen.has(p) && p.requiresGrad) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  root.grad = seed ? seed.slice() : Float32Array.of(1);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    if (!node.backwardFn || !node.grad) continue;
    node.backwardFn(node.grad);
    // Free the graph behind us: non-leaf grads and closures are not needed again.
    node.backwardFn = null;
    node.parents = [];
    node.savedForBackward = [];
    node.grad = null;
  }
}
