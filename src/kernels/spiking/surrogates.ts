/**
 * The surrogate spike derivatives and their primitives as kernels evaluate them, by numeric id
 * (x = u − θ). The one home of these formulas: the JS reference kernels, the generic kernels and
 * nn/surrogate.ts call them.
 */
import {
  SURROGATE_ARCTAN,
  SURROGATE_FAST_SIGMOID,
  SURROGATE_RECTANGULAR,
  SURROGATE_SIGMOID,
} from '../spiking-types.js';
import * as exact from '../../util/exact-math.js';

/** Surrogate derivative of the spike w.r.t. x = u − θ. */
export function surrogateGradAt(kind: number, p: number, x: number): number {
  switch (kind) {
    case SURROGATE_RECTANGULAR:
      return +(x > -p) & +(x < p);
    case SURROGATE_SIGMOID: {
      const s = 1 / (1 + exact.exp(-p * x));
      return p * s * (1 - s);
    }
    case SURROGATE_ARCTAN: {
      const z = (Math.PI * p * x) / 2;
      return p / 2 / (1 + z * z);
    }
    case SURROGATE_FAST_SIGMOID: {
      const d = 1 + p * Math.abs(x);
      return p / 2 / (d * d);
    }
    default:
      throw new RangeError(`unknown surrogate id ${kind}`);
  }
}

/** The surrogate's primitive (a smooth or piecewise-linear Heaviside stand-in), P' = grad. */
export function surrogatePrimitiveAt(kind: number, p: number, x: number): number {
  switch (kind) {
    case SURROGATE_RECTANGULAR:
      return x <= -p ? 0 : x >= p ? 2 * p : x + p;
    case SURROGATE_SIGMOID:
      return 1 / (1 + exact.exp(-p * x));
    case SURROGATE_ARCTAN:
      return 0.5 + Math.atan((Math.PI * p * x) / 2) / Math.PI;
    case SURROGATE_FAST_SIGMOID:
      return 0.5 + (0.5 * p * x) / (1 + p * Math.abs(x));
    default:
      throw new RangeError(`unknown surrogate id ${kind}`);
  }
}
