/** Parameterised layers with PyTorch's layouts and default initialisation. */
import { Rng } from '../util/rng.js';
import { conv2d } from '../tensor/conv.js';
import { linear } from '../tensor/ops.js';
import { Tensor, shapeSize } from '../tensor/tensor.js';
import { pytorchDefaultBias, pytorchDefaultWeight } from './init.js';
import { Module } from './module.js';

/** Weight [out, in, ...kernel] and bias [out] with PyTorch's default init, the weight optionally scaled. */
abstract class WeightedLayer extends Module {
  protected initParameters(
    shape: number[],
    rng: Rng,
    opts: { bias?: boolean; weightScale?: number },
  ): [Tensor, Tensor | null] {
    const w = pytorchDefaultWeight(new Float32Array(shapeSize(shape)), shape, rng);
    const s = opts.weightScale ?? 1;
    if (s !== 1) for (let i = 0; i < w.length; i++) w[i] *= s;
    const weight = this.registerParameter('weight', new Tensor(w, shape));
    if (opts.bias === false) return [weight, null];
    const fanIn = shapeSize(shape) / shape[0];
    const b = pytorchDefaultBias(new Float32Array(shape[0]), fanIn, rng);
    return [weight, this.registerParameter('bias', new Tensor(b, [shape[0]]))];
  }
}

export class Linear extends WeightedLayer {
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
    [this.weight, this.bias] = this.initParameters([outFeatures, inFeatures], rng, opts);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export class Conv2d extends WeightedLayer {
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
    [this.weight, this.bias] = this.initParameters(
      [outChannels, inChannels, kernelSize, kernelSize],
      rng,
      opts,
    );
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, {
      stride: this.opts.stride ?? 1,
      padding: this.opts.padding ?? 0,
    });
  }
}
