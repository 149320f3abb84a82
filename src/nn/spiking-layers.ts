/**
 * Spiking neuron layers as modules (snnTorch-style readable classes over the fused kernels of
 * spiking.ts). A layer holds the neuron parameters; the synaptic projection is a separate Linear
 * or Conv2d, so a static image is projected once and the kernel repeats it over T steps.
 */
import { Rng } from '../util/rng.js';
import { Shape, Tensor, shapeSize } from '../tensor/tensor.js';
import { Module } from './module.js';
import {
  LEARNING_HH_CONV_DEFAULTS,
  LEARNING_HH_FC_DEFAULTS,
  LIF_FC_DEFAULTS,
  LearningHhDefaults,
  LifDefaults,
  SLIF2HH_CONV_DEFAULTS,
  SLIF2HH_FC_DEFAULTS,
  SpikeOutput,
} from './spiking.js';
import { slif2hhUnits } from './slif2hh-unit.js';
import { neuronSpikes } from './neuron-layer.js';
import { learningHh } from '../neurons/learning-hh.js';
import { lifStepDeclared } from '../neurons/lif.js';
import { LEARNING_HH_RATE_NAMES } from '../kernels/spiking-types.js';
import { Surrogate } from './surrogate.js';

export interface SpikingMode {
  T: number;
  /** x is [T, B, ...] instead of a static [B, ...] repeated T times. */
  timeVarying: boolean;
  /** Time-varying x is [F, B, ...], each frame presented `repeat` steps in a row (T = F·repeat). */
  repeat?: number;
  output: SpikeOutput;
}

export interface SpikingNeurons extends Module {
  forward(x: Tensor, mode: SpikingMode): Tensor;
}

/** Which of the study's parameter sets (fully connected or conv / control). */
export type LayerKind = 'fc' | 'conv';

/**
 * What every spiking layer's constructor takes after its shape: `new LIFNeurons([512], { kind:
 * 'fc' })`, `new LearningHHNeurons([512], { rng, kind: 'conv' })`. Layers with random initial
 * parameters need `rng`; each layer adds its own parameter overrides.
 */
export interface SpikingLayerOptions {
  /** The study's parameter set: fully connected or conv / control (default 'fc'). */
  kind?: LayerKind;
  /** Draws the layer's random initial parameters. */
  rng?: Rng;
}

export type LIFOptions = SpikingLayerOptions & Partial<LifDefaults>;

/**
 * One constructor shape for every spiking layer, checked at run time too (plain JavaScript callers,
 * and the positional form of earlier versions: an Rng where the options belong).
 */
export function checkLayerArgs(
  layer: string,
  shape: unknown,
  opts: unknown,
  needsRng: boolean,
): asserts opts is SpikingLayerOptions {
  const usage = `${layer}(neuronShape, options)`;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d > 0))
    throw new TypeError(
      `${usage}: neuronShape must be an array of positive sizes, e.g. [512]; got ${JSON.stringify(shape)}`,
    );
  if (opts === null || typeof opts !== 'object' || opts instanceof Rng || Array.isArray(opts))
    throw new TypeError(
      `${usage}: options must be an object such as { rng, kind: 'fc' }; got ${opts instanceof Rng ? 'an Rng' : JSON.stringify(opts)}`,
    );
  const o = opts as SpikingLayerOptions;
  if (o.kind !== undefined && o.kind !== 'fc' && o.kind !== 'conv')
    throw new TypeError(`${usage}: options.kind must be 'fc' or 'conv', got ${JSON.stringify(o.kind)}`);
  if (needsRng && !(o.rng instanceof Rng))
    throw new TypeError(`${usage}: options.rng (an Rng) draws the initial parameters and is required`);
}

export class LIFNeurons extends Module implements SpikingNeurons {
  readonly params: LifDefaults;
  constructor(
    readonly neuronShape: Shape,
    opts: LIFOptions = {},
  ) {
    super();
    checkLayerArgs('LIFNeurons', neuronShape, opts, false);
    const { kind: _kind, rng: _rng, ...overrides } = opts;
    // The reference uses the same LIF constants (decay 0.2, θ 0.3) in both families.
    this.params = { ...LIF_FC_DEFAULTS, ...overrides };
  }
  forward(x: Tensor, mode: SpikingMode): Tensor {
    // The declared study LIF; its fused kernel (lifSpikes) runs as the registered override.
    return neuronSpikes(x, lifStepDeclared, {
      ...mode,
      params: { decay: this.params.decay, theta: this.params.threshold },
      surrogate: this.params.surrogate,
    });
  }
}

export interface LearningHHOptions extends SpikingLayerOptions, Partial<LearningHhDefaults> {
  rng: Rng;
  /** Let the six rate coefficients learn (default false: constants, spec 2.5). */
  learnableRates?: boolean;
  /**
   * Set the six rates to zero (fixed): the gates stay at 0 and only the leak is left, the
   * leaky-integrator ablation. The U(0, 0.01) draws still happen, so every other parameter is
   * initialised exactly as in the study's layer with the same generator.
   */
  zeroRates?: boolean;
  /** Per-neuron dt drawn U(lo, hi) (the RL actor uses [0, 0.2]); default: the scalar dt. */
  perNeuronDt?: [number, number];
  /** Keep v for backward where it could be recomputed (learningHhSpikes' saveVoltage; default false). */
  saveVoltage?: boolean;
}

/** The learning HH of spec 2.5; rates are per-neuron constants drawn U(0, 0.01). */
export class LearningHHNeurons extends Module implements SpikingNeurons {
  readonly params: LearningHhDefaults;
  readonly rates: Record<(typeof LEARNING_HH_RATE_NAMES)[number], Tensor>;
  readonly dt: Tensor | number;
  readonly saveVoltage: boolean;

  constructor(
    readonly neuronShape: Shape,
    opts: LearningHHOptions,
  ) {
    super();
    checkLayerArgs('LearningHHNeurons', neuronShape, opts, true);
    const { rng, kind = 'fc', learnableRates, zeroRates, perNeuronDt, saveVoltage, ...overrides } = opts;
    if (learnableRates && zeroRates)
      throw new RangeError('LearningHHNeurons: learnableRates and zeroRates exclude each other');
    this.params = { ...(kind === 'fc' ? LEARNING_HH_FC_DEFAULTS : LEARNING_HH_CONV_DEFAULTS), ...overrides };
    this.saveVoltage = saveVoltage ?? false;
    const n = shapeSize(neuronShape);
    const rates = {} as Record<(typeof LEARNING_HH_RATE_NAMES)[number], Tensor>;
    for (const name of LEARNING_HH_RATE_NAMES) {
      const t = new Tensor(
        Float32Array.from({ length: n }, () => rng.range(0, 0.01)),
        [n],
      );
      if (zeroRates) t.data.fill(0);
      rates[name] = this.registerParameter(snake(name), t, learnableRates ?? false);
    }
    this.rates = rates;
    if (perNeuronDt) {
      const [lo, hi] = perNeuronDt;
      this.dt = this.registerParameter(
        'dt',
        new Tensor(
          Float32Array.from({ length: n }, () => rng.range(lo, hi)),
          [n],
        ),
        false,
      );
    } else {
      this.dt = this.params.dt;
    }
  }

  forward(x: Tensor, mode: SpikingMode): Tensor {
    // The declared learning HH; its hand-tuned kernels (learningHhSpikes: gate tables, closed
    // form) run as the registered override.
    return neuronSpikes(x, learningHh, {
      ...mode,
      params: { ...this.rates, dt: this.dt, theta: this.params.threshold },
      surrogate: this.params.surrogate,
      detach: this.params.detachIonic ? ['ionic'] : [],
      overrideOptions: { saveVoltage: this.saveVoltage },
    });
  }
}

/**
 * s-LIF2HH units (spec 2.3): input [.., 3N] in blocks, output the four spike trains [.., 4N]; a
 * the declared unit `slif2hh-unit` (slif2hh-unit.ts), the fused kernel as its override.
 */
export class SLIF2HHNeurons extends Module implements SpikingNeurons {
  readonly params: LifDefaults;
  readonly weight: Tensor;

  constructor(
    readonly unitShape: Shape,
    opts: LIFOptions & { rng: Rng },
  ) {
    super();
    checkLayerArgs('SLIF2HHNeurons', unitShape, opts, true);
    const { rng, kind = 'fc', ...overrides } = opts;
    this.params = { ...(kind === 'fc' ? SLIF2HH_FC_DEFAULTS : SLIF2HH_CONV_DEFAULTS), ...overrides };
    const n = shapeSize(unitShape);
    // The 3→1 combination starts positive and varied; |w| keeps it non-negative while learning.
    this.weight = this.registerParameter(
      'weight',
      new Tensor(
        Float32Array.from({ length: 3 * n }, () => rng.range(0, 1)),
        [n, 3],
      ),
    );
  }

  forward(x: Tensor, mode: SpikingMode): Tensor {
    return slif2hhUnits(x, this.weight, {
      ...mode,
      decay: this.params.decay,
      threshold: this.params.threshold,
      surrogate: this.params.surrogate as Surrogate,
    });
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
