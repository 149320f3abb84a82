/** Weight initialisers with PyTorch's formulas (torch.nn.init), driven by the project's seeded Rng. */
import { Rng } from '../util/rng.js';
import { Shape } from '../tensor/tensor.js';

/** fan_in, fan_out of a weight [out, in, ...kernel] as PyTorch computes them. */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[1] ?? 1) * receptive, fanOut: shape[0] * receptive };
}

export function uniform(out: Float32Array, bound: number, rng: Rng): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = rng.range(-bound, bound);
  return out;
}

/** nn.Linear / nn.Conv2d default: kaiming_uniform_(a=√5) ⇒ U(±1/√fan_in). */
export function pytorchDefaultWeight(out: Float32Array, shape: Shape, rng: Rng): Float32Array {
  return uniform(out, 1 / Math.sqrt(fans(shape).fanIn), rng);
}

/** nn.Linear / nn.Conv2d default bias: U(±1/√fan_in). */
export function pytorchDefaultBias(out: Float32Array, fanIn: number, rng: Rng): Float32Array {
  return uniform(out, 1 / Math.sqrt(fanIn), rng);
}

/** xavier_uniform_: U(±gain·√(6/(fan_in+fan_out))). */
export function xavierUniform(out: Float32Array, shape: Shape, rng: Rng, gain = 1): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  return uniform(out, gain * Math.sqrt(6 / (fanIn + fanOut)), rng);
}

/** xavier_normal_: N(0, gain²·2/(fan_in+fan_out)). */
export function xavierNormal(out: Float32Array, shape: Shape, rng: Rng, gain = 1): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
  return out;
}
