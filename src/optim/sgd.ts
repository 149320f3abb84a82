/** SGD with torch.optim.SGD semantics: weight decay, momentum with dampening, optional Nesterov. */
import { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkedLr, checkedState } from './optimizer.js';

export interface SgdOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly buf: (Float32Array | null)[];

  constructor(params: Tensor[], opts: SgdOptions = {}) {
    super(params, opts.lr ?? 1e-2);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('SGD: Nesterov momentum requires momentum > 0 and dampening 0');
    }
    this.buf = params.map(() => null);
  }

  step(): void {
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g) return;
      const d = new Float32Array(g.length);
      for (let j = 0; j < d.length; j++) d[j] = g[j] + this.weightDecay * p.data[j];
      if (this.momentum !== 0) {
        let b = this.buf[i];
        if (!b) {
          b = this.buf[i] = d.slice(); // first step: buffer = d (PyTorch)
        } else {
          for (let j = 0; j < d.length; j++) b[j] = this.momentum * b[j] + (1 - this.dampening) * d[j];
        }
        if (this.nesterov) for (let j = 0; j < d.length; j++) d[j] += this.momentum * b[j];
        else d.set(b);
      }
      for (let j = 0; j < d.length; j++) p.data[j] -= this.lr * d[j];
    });
  }

  stateTensors(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    this.buf.forEach((b, i) => b && out.set(`${i}.momentum_buffer`, b));
    return out;
  }

  stateScalars(): Record<string, number> {
    return { lr: this.lr };
  }

  loadState(tensors: Map<string, Float32Array>, scalars: Record<string, number>): void {
    const lr = checkedLr(scalars.lr, this.lr);
    const bufs = this.params.map((p, i) => {
      const key = `${i}.momentum_buffer`;
      return tensors.has(key) ? checkedState(tensors, key, p.size).slice() : null;
    });
    bufs.forEach((b, i) => (this.buf[i] = b));
    this.lr = lr;
  }
}
