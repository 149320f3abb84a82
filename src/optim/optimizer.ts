/** Optimiser base: parameter groups are flat here (one lr), state is saved for exact resume. */
import { Backend, RESIDENT_MIN_FLOATS, getBackend } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';

export abstract class Optimizer {
  lr: number;
  /** The backend the resident buffers come from. */
  protected readonly backend: Backend;
  constructor(
    readonly params: Tensor[],
    lr: number,
  ) {
    if (!(lr > 0) || !Number.isFinite(lr))
      throw new RangeError(`optimizer: lr must be a positive number, got ${lr}`);
    this.lr = lr;
    this.backend = getBackend();
    // Large parameters and their grads move to resident buffers: every step reads the weights
    // (forward), writes their grads (backward) and updates both, each without copying them.
    // A parameter with a gradBuffer already has both (another optimiser over it moved them).
    for (const p of params) {
      if (p.size < RESIDENT_MIN_FLOATS || p.gradBuffer) continue;
      p.relocate(this.backend.allocate(p.size));
      p.gradBuffer = this.backend.allocate(p.size);
    }
  }

  /** A zeroed state buffer for parameter p: resident when large (see RESIDENT_MIN_FLOATS). */
  protected stateBuffer(p: Tensor): Float32Array {
    return p.size < RESIDENT_MIN_FLOATS ? new Float32Array(p.size) : this.backend.allocate(p.size);
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  abstract step(): void;

  /** Named state buffers (moments etc.) and scalars, for checkpoints. */
  abstract stateTensors(): Map<string, Float32Array>;
  abstract stateScalars(): Record<string, number>;
  abstract loadState(tensors: Map<string, Float32Array>, scalars: Record<string, number>): void;
}

/** A saved learning rate: positive and finite, like the one the constructor takes. */
export function checkedLr(lr: number | undefined, fallback: number): number {
  if (lr === undefined) return fallback;
  if (!(lr > 0) || !Number.isFinite(lr))
    throw new RangeError(`optimizer state: lr must be a positive number, got ${lr}`);
  return lr;
}

export function checkedState(tensors: Map<string, Float32Array>, key: string, size: number): Float32Array {
  const t = tensors.get(key);
  if (!t) throw new RangeError(`optimizer state: missing '${key}'`);
  if (t.length !== size)
    throw new RangeError(`optimizer state: '${key}' has ${t.length} values, expected ${size}`);
  return t;
}
