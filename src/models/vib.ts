/**
 * The variational information bottleneck network of the mutual-information study (spec 3.5;
 * Alemi et al. 2017, "Deep Variational Information Bottleneck"). The spiking hidden layer is the
 * one of the multi-task fc models; what it emits (the mean spike rate) is encoded as a diagonal
 * Gaussian p(z|x) = N(μ, σ²) with K dimensions, and both task heads read one sample of z:
 *
 *   x [B, 1296] → projection → neurons (rate over T) → encoder Linear(hidden → 2K)
 *     μ = first K,  σ = softplus(last K − 5)         (the −5 starts σ small, ≈ 0.007)
 *     z = μ + σ·ε,  ε ~ N(0, 1)                      (reparameterised: gradients flow to μ, σ)
 *     logits_t = head_t(z), t = 1, 2                 (Linear K → 10)
 */
import { Rng } from '../util/rng.js';
import { add, addScalar, gaussianKl, mul, sliceColumns, softplus } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { SpikingNeurons } from '../nn/spiking-layers.js';
import { IMAGE_PIXELS, checkInput, fcSpikingLayer } from './multitask.js';

export const VIB_MODELS = ['hh', 'lif', 'slif2hh'] as const;
export type VibModelName = (typeof VIB_MODELS)[number];

/** Bottleneck width of the study (spec 3.5). */
export const VIB_K = 256;
/** σ = softplus(pre − SIGMA_SHIFT). */
export const SIGMA_SHIFT = 5;

export interface VibOptions {
  /** Time steps per image (spec: 15). */
  T?: number;
  /** Bottleneck dimensions K (spec: 256). */
  K?: number;
}

export interface VibOutput {
  mu: Tensor;
  sigma: Tensor;
  /** The sample the heads read. */
  z: Tensor;
  logits1: Tensor;
  logits2: Tensor;
  /** KL(N(μ, σ²) ‖ N(0, 1)) per sample, in nats: [B]. */
  kl: Tensor;
}

export class VibNet extends Module {
  readonly fc1: Linear;
  readonly neurons: SpikingNeurons;
  readonly encoder: Linear;
  readonly head1: Linear;
  readonly head2: Linear;
  readonly T: number;
  readonly K: number;

  constructor(
    readonly modelName: VibModelName,
    rng: Rng,
    opts: VibOptions = {},
  ) {
    super();
    this.T = opts.T ?? 15;
    this.K = opts.K ?? VIB_K;
    for (const [k, v] of Object.entries({ T: this.T, K: this.K })) {
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`VibNet: ${k} must be a positive integer, got ${v}`);
    }
    if (!(VIB_MODELS as readonly string[]).includes(modelName))
      throw new RangeError(`unknown model '${modelName}' (available: ${VIB_MODELS.join(', ')})`);
    // Same layer, init and draw order as the multi-task fc model of this neuron kind.
    const layer = fcSpikingLayer(modelName, rng);
    this.neurons = layer.neurons;
    this.fc1 = this.registerModule(
      'fc1',
      new Linear(IMAGE_PIXELS, layer.projectionOut, rng, { weightScale: layer.weightScale }),
    );
    this.registerModule('neurons', this.neurons);
    this.encoder = this.registerModule('encoder', new Linear(layer.hidden, 2 * this.K, rng));
    this.head1 = this.registerModule('head1', new Linear(this.K, 10, rng));
    this.head2 = this.registerModule('head2', new Linear(this.K, 10, rng));
  }

  /** The Gaussian p(z|x): μ and σ, each [B, K]. */
  encode(x: Tensor): { mu: Tensor; sigma: Tensor } {
    checkInput(x);
    const rate = this.neurons.forward(this.fc1.forward(x), { T: this.T, timeVarying: false, output: 'rate' });
    const stats = this.encoder.forward(rate);
    const mu = sliceColumns(stats, 0, this.K);
    const sigma = softplus(addScalar(sliceColumns(stats, this.K, 2 * this.K), -SIGMA_SHIFT));
    return { mu, sigma };
  }

  /** One pass with z = μ + σ·ε, ε drawn from rng (pass a seeded one for reproducible runs). */
  forward(x: Tensor, rng: Rng): VibOutput {
    const { mu, sigma } = this.encode(x);
    const eps = new Tensor(new Float32Array(mu.size), mu.shape);
    for (let i = 0; i < eps.size; i++) eps.data[i] = rng.normal();
    const z = add(mu, mul(sigma, eps));
    return {
      mu,
      sigma,
      z,
      logits1: this.head1.forward(z),
      logits2: this.head2.forward(z),
      kl: gaussianKl(mu, sigma),
    };
  }
}

export function createVibModel(name: VibModelName, rng: Rng, opts: VibOptions = {}): VibNet {
  return new VibNet(name, rng, opts);
}
