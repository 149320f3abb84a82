/**
 * A float32 tensor with reverse-mode autodiff. Data is a dense row-major Float32Array; the graph
 * is recorded only while gradients are enabled and some input requires them (see autograd.ts).
 */
import { backward } from './autograd.js';
import { scopedArray } from './scope.js';

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function assertShape(shape: Shape, where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${where}: invalid shape ${shapeString(shape)}`);
  }
}

/** Backward closure: receives dLoss/dOutput and accumulates into the parents' grads. */
export type BackwardFn = (gradOutput: Float32Array) => void;

export class Tensor {
  private values: Float32Array;
  readonly shape: Shape;
  /** Accumulated dLoss/dThis, allocated on first use. */
  grad: Float32Array | null = null;
  /**
   * A buffer the grad reuses instead of a fresh array each time it is allocated (optimisers set it
   * to one the kernels use in place, see Backend.allocate): grad is then null or this buffer, so a
   * grad array read after one backward is overwritten by the next.
   */
  gradBuffer: Float32Array | null = null;
  requiresGrad: boolean;
  /** Graph edges: set by ops when recording. */
  parents: readonly Tensor[] = [];
  backwardFn: BackwardFn | null = null;
  /**
   * Buffers the op that made this tensor keeps for its backward besides tensors (saved states,
   * softmax probabilities, masks): declared so memory accounting sees them (accounting.ts).
   */
  savedForBackward: readonly ArrayBufferView[] = [];
  /** Optional name (parameters carry their checkpoint key). */
  name: string | undefined;

  constructor(data: Float32Array, shape: Shape, requiresGrad = false) {
    assertShape(shape, 'Tensor');
    if (data.length !== shapeSize(shape)) {
      throw new RangeError(`Tensor: data length ${data.length} does not match shape ${shapeString(shape)}`);
    }
    this.values = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
  }

  /** The values (row-major). */
  get data(): Float32Array {
    if (this.released) throw new ReferenceError(releasedMessage(this));
    return this.values;
  }

  /** Set when the tidy() scope that made this tensor ended and its memory went back (scope.ts). */
  private released = false;

  /** Called by scope.ts only: the values' memory is reused from now on. */
  markReleased(): void {
    this.released = true;
    this.values = new Float32Array(0);
    this.grad = null;
  }

  /**
   * Moves the values into dst (of the same length), which becomes this tensor's data: e.g. a
   * buffer the kernels use in place. Arrays taken from data before no longer belong to it.
   */
  relocate(dst: Float32Array): void {
    if (dst === this.values) return;
    if (dst.length !== this.values.length)
      throw new RangeError(`relocate: ${dst.length} floats for ${this.toString()}`);
    dst.set(this.values);
    this.values = dst;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  static zeros(shape: Shape, requiresGrad = false): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)), shape, requiresGrad);
  }

  static full(shape: Shape, value: number, requiresGrad = false): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)).fill(value), shape, requiresGrad);
  }

  static from(values: ArrayLike<number>, shape?: Shape, requiresGrad = false): Tensor {
    return new Tensor(Float32Array.from(values), shape ?? [values.length], requiresGrad);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item(): tensor has ${this.size} elements, expected 1`);
    return this.data[0];
  }

  /** A graph-free copy sharing nothing with this tensor. */
  detach(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Allocates (if needed, zeroed) and returns the grad buffer. */
  ensureGrad(): Float32Array {
    if (!this.grad) this.grad = this.gradBuffer ? this.gradBuffer.fill(0) : this.freshGrad(true);
    return this.grad;
  }

  /**
   * For a kernel that adds into the grad or overwrites all of it: the grad buffer and whether to
   * add (false when there was no grad yet, whose contents are then unspecified: not zeroed).
   */
  gradTarget(): [Float32Array, boolean] {
    if (this.grad) return [this.grad, true];
    this.grad = this.gradBuffer ?? this.freshGrad(false);
    return [this.grad, false];
  }

  /**
   * A fresh array for this tensor's grad (zeroed unless `zero` is false): a non-leaf's dies with
   * its step (scoped, see scope.ts), a leaf's outlives it.
   */
  freshGrad(zero: boolean): Float32Array {
    return this.backwardFn ? scopedArray(this.size, zero) : new Float32Array(this.size);
  }

  /** Back-propagates from this tensor (a scalar loss unless a seed gradient is given). */
  backward(seed?: Float32Array): void {
    backward(this, seed);
  }

  zeroGrad(): void {
    this.grad?.fill(0);
  }

  toString(): string {
    return `Tensor${shapeString(this.shape)}`;
  }
}

function releasedMessage(t: Tensor): string {
  return (
    `${t.toString()}${t.name ? ` (${t.name})` : ''} was made inside tidy() and its memory was released when ` +
    'the scope ended; return it from the scope, or copy what you need inside it (tensor.data.slice())'
  );
}
