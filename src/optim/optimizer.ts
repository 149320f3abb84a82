/** Optimiser base: parameter groups are flat here (one lr), state is saved for exact resume. */
import { Tensor } from '../tensor/tensor.js';

export abstract class Optimizer {
  lr: number;
  constructor(
    readonly params: Tensor[],
    lr: number,
  ) {
    if (!(lr > 0) || !Number.isFinite(lr))
      throw new RangeError(`optimizer: lr must be a positive number, got ${lr}`);
    this.lr = lr;
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

export function checkedState(tensors: Map<string, Float32Array>, key: string, size: number): Float32Array {
  const t = tensors.get(key);
  if (!t) throw new Error(`optimizer state: missing '${key}'`);
  if (t.length !== size)
    throw new Error(`optimizer state: '${key}' has ${t.length} values, expected ${size}`);
  return t;
}
