/** Adam with torch.optim.Adam semantics (L2 weight decay added to the gradient, not AdamW). */
import { getBackend } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';
import { Optimizer, checkedLr, checkedState } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  stepCount = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(params: Tensor[], opts: AdamOptions = {}) {
    super(params, opts.lr ?? 1e-3);
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    for (const [name, b] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`Adam: ${name} must be in [0, 1), got ${b}`);
    }
    if (!(this.weightDecay >= 0))
      throw new RangeError(`Adam: weightDecay must be ≥ 0, got ${this.weightDecay}`);
    this.m = params.map((p) => this.stateBuffer(p));
    this.v = params.map((p) => this.stateBuffer(p));
  }

  step(): void {
    this.stepCount++;
    const be = getBackend();
    this.params.forEach((p, i) => {
      if (!p.grad) return; // like PyTorch: parameters without a grad are skipped
      be.adam(
        p.data,
        p.grad,
        this.m[i],
        this.v[i],
        this.lr,
        this.beta1,
        this.beta2,
        this.eps,
        this.weightDecay,
        this.stepCount,
      );
    });
  }

  stateTensors(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    this.params.forEach((_, i) => {
      out.set(`${i}.exp_avg`, this.m[i]);
      out.set(`${i}.exp_avg_sq`, this.v[i]);
    });
    return out;
  }

  stateScalars(): Record<string, number> {
    return { step: this.stepCount, lr: this.lr };
  }

  loadState(tensors: Map<string, Float32Array>, scalars: Record<string, number>): void {
    const step = scalars.step ?? 0;
    // the bias corrections divide by 1 − β^step: a fractional or negative count skews every update
    if (!Number.isSafeInteger(step) || step < 0)
      throw new RangeError(`optimizer state: step must be an integer ≥ 0, got ${step}`);
    const lr = checkedLr(scalars.lr, this.lr);
    const moments = this.params.map((p, i) => [
      checkedState(tensors, `${i}.exp_avg`, p.size),
      checkedState(tensors, `${i}.exp_avg_sq`, p.size),
    ]);
    moments.forEach(([m, v], i) => {
      this.m[i].set(m);
      this.v[i].set(v);
    });
    this.stepCount = step;
    this.lr = lr;
  }
}
