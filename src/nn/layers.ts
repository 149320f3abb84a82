/** Parameterised layers with PyTorch's layouts and default initialisation. */
import { Rng } from '../util/rng.js';
import { conv2d } from '../tensor/conv.js';
import { linear } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { pytorchDefaultBias, pytorchDefaultWeight } from './init.js';
import { Module } from './module.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  /** weightScale multiplies the default init (the learning-HH layer uses 0.01, spec 2.5). */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    opts: { bias?: boolean; weightScale?: number } = {},
  ) {
    super();
    for (const [k, v] of Object.entries({ inFeatures, outFeatures })) {
      if (!Number.isInteger(v) || v <= 0)
        throw new RangeError(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    const shape = [outFeatures, inFeatures];
    const w = pytorchDefaultWeight(new Float32Array(outFeatures * inFeatures), shape, rng);
    const s = opts.weightScale ?? 1;
    if (s !== 1) for (let i = 0; i < w.length; i++) w[i] *= s;
    this.weight = this.registerParameter('weight', new Tensor(w, shape));
    this.bias =
      opts.bias === false
        ? null
        : this.registerParameter(
            'bias',
            new Tensor(pytorchDefaultBias(new Float32Array(outFeatures), inFeatures, rng), [outFeatures]),
          );
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    rng: Rng,
    readonly opts: { stride?: number; padding?: number; bias?: boolean; weightScale?: number } = {},
  ) {
    super();
    const shape = [outChannels, inChannels, kernelSize, kernelSize];
    const fanIn = inChannels * kernelSize * kernelSize;
    const w = pytorchDefaultWeight(new Float32Array(fanIn * outChannels), shape, rng);
    const s = opts.weightScale ?? 1;
    if (s !== 1) for (let i = 0; i < w.length; i++) w[i] *= s;
    this.weight = this.registerParameter('weight', new Tensor(w, shape));
    this.bias =
      opts.bias === false
        ? null
        : this.registerParameter(
            'bias',
            new Tensor(pytorchDefaultBias(new Float32Array(outChannels), fanIn, rng), [outChannels]),
          );
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, {
      stride: this.opts.stride ?? 1,
      padding: this.opts.padding ?? 0,
    });
  }
}
