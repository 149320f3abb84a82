/**
 * SAC networks (spec 3.2). The actor reads a window of W observations, each presented R times
 * (T = W·R), through one hidden layer of neurons of the kind under test, takes the mean spike rate
 * and feeds two MLP branches: the Gaussian mean and log σ (clamped to [−20, 2]). Critics are
 * MLPs on the latest observation and the action.
 */
import { Rng } from '../util/rng.js';
import { Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import {
  LIFNeurons,
  LearningHHNeurons,
  LearningHHOptions,
  SLIF2HHNeurons,
  SpikingNeurons,
} from '../nn/spiking-layers.js';
import { MultiBranchNeurons } from '../nn/multibranch.js';
import { SpikeOutput } from '../nn/spiking.js';
import { rectangular } from '../nn/surrogate.js';
import { clamp, concatColumns, relu, reshape } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Actor neurons. li and hh-lr are the ablations of hh (the same layer and draws, with all gate
 * rates zero, or with the rates learned).
 */
export const ACTOR_KINDS = ['ann', 'lif', '4lif', 'hh', 'slif2hh', 'mc', 'li', 'hh-lr'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export function isActorKind(name: string): name is ActorKind {
  return (ACTOR_KINDS as readonly string[]).includes(name);
}

export const LOG_STD_MIN = -20;
export const LOG_STD_MAX = 2;

export interface ActorShape {
  kind: ActorKind;
  obsSize: number;
  actionSize: number;
  /** Observations in the window (W). */
  window: number;
  /** Presentations of each observation (R); T = W·R. */
  repeats: number;
  /** Hidden neurons (the study: 128; 4lif uses 4× this). */
  hidden: number;
  /** Hidden width of the mean and log σ branches. */
  branchHidden: number;
}

/** The RL HH actor's neurons (spec 2.5): per-neuron dt ~ U(0, 0.2), θ 2.3, surrogate window 0.4. */
export const RL_HH_OPTIONS: Omit<LearningHHOptions, 'rng'> = Object.freeze({
  perNeuronDt: [0, 0.2] as [number, number],
  threshold: 2.3,
  surrogate: rectangular(0.4),
});

/**
 * The multi-branch actor's units (mc): an HH soma with 4 passive branches each (nn/multibranch.ts),
 * the encoder projecting every observation to 4 currents per unit; dt 0.05 ms, θ 50 mV. The
 * encoder's outputs (order 1 at init for observations of order 1) ×1000 µA/cm²: at ×300 only ~1%
 * of the units fire at all for N(0, 0.5²) observations, at ×1000 ~29% (a branch needs ~100–800
 * µA/cm² for its soma to cross θ within the 15 steps).
 */
export const RL_MC_OPTIONS = Object.freeze({ branches: 4, inputScale: 1000 });

class Branch extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(inF: number, hidden: number, outF: number, rng: Rng) {
    super();
    this.fc1 = this.registerModule('0', new Linear(inF, hidden, rng));
    this.fc2 = this.registerModule('2', new Linear(hidden, outF, rng));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(relu(this.fc1.forward(x)));
  }
}

export class Actor extends Module {
  readonly T: number;
  readonly encoder: Linear;
  readonly neurons: SpikingNeurons | null;
  readonly featureSize: number;
  readonly mean: Branch;
  readonly logStd: Branch;

  constructor(
    readonly shape: ActorShape,
    rng: Rng,
  ) {
    super();
    const { kind, obsSize, window, repeats, hidden } = shape;
    for (const [k, v] of Object.entries({
      obsSize,
      window,
      repeats,
      hidden,
      branchHidden: shape.branchHidden,
    })) {
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`Actor: ${k} must be a positive integer, got ${v}`);
    }
    this.T = window * repeats;
    if (kind === 'ann') {
      // The ANN control sees the whole window at once (no time axis to unroll).
      this.encoder = this.registerModule('encoder', new Linear(window * obsSize, hidden, rng));
      this.neurons = null;
      this.featureSize = hidden;
    } else if (kind === 'mc') {
      const { branches, inputScale } = RL_MC_OPTIONS;
      this.encoder = this.registerModule('encoder', new Linear(obsSize, branches * hidden, rng));
      this.neurons = this.registerModule(
        'neurons',
        new MultiBranchNeurons([hidden], { rng, branches, inputScale }),
      );
      this.featureSize = hidden;
    } else if (kind === 'slif2hh') {
      // Each s-LIF2HH unit takes 3 input currents and emits 4 spike trains.
      this.encoder = this.registerModule('encoder', new Linear(obsSize, 3 * hidden, rng));
      this.neurons = this.registerModule('neurons', new SLIF2HHNeurons([hidden], { rng }));
      this.featureSize = 4 * hidden;
    } else {
      const n = kind === '4lif' ? 4 * hidden : hidden;
      this.encoder = this.registerModule('encoder', new Linear(obsSize, n, rng));
      this.neurons = this.registerModule(
        'neurons',
        kind === 'lif' || kind === '4lif'
          ? new LIFNeurons([n])
          : new LearningHHNeurons([n], {
              ...RL_HH_OPTIONS,
              rng,
              zeroRates: kind === 'li',
              learnableRates: kind === 'hh-lr',
            }),
      );
      this.featureSize = n;
    }
    this.mean = this.registerModule(
      'mean',
      new Branch(this.featureSize, shape.branchHidden, shape.actionSize, rng),
    );
    this.logStd = this.registerModule(
      'log_std',
      new Branch(this.featureSize, shape.branchHidden, shape.actionSize, rng),
    );
  }

  /** Window size in values (W·obsSize). */
  get windowSize(): number {
    return this.shape.window * this.shape.obsSize;
  }

  /** windows: [B, W·obsSize] (oldest frame first) → mean spike rates (or ReLU features) [B, F]. */
  features(windows: Float32Array, batch: number): Tensor {
    if (!this.neurons) {
      this.checkWindows(windows, batch);
      return relu(this.encoder.forward(new Tensor(windows, [batch, this.windowSize])));
    }
    return this.spiking(this.neurons, windows, batch, 'rate');
  }

  /** The hidden layer's spike trains [T, B, F] for B windows (what `features` averages); null for ann. */
  spikeTrains(windows: Float32Array, batch: number): Tensor | null {
    return this.neurons && this.spiking(this.neurons, windows, batch, 'spikes');
  }

  private checkWindows(windows: Float32Array, batch: number): void {
    if (windows.length !== batch * this.windowSize)
      throw new RangeError(`Actor: got ${windows.length} values for ${batch} windows of ${this.windowSize}`);
  }

  private spiking(
    neurons: SpikingNeurons,
    windows: Float32Array,
    batch: number,
    output: SpikeOutput,
  ): Tensor {
    const { obsSize, window, repeats } = this.shape;
    this.checkWindows(windows, batch);
    // Project the W frames once ([W·B, obs], time-major); the neurons present each R times.
    const x = new Float32Array(window * batch * obsSize);
    for (let f = 0; f < window; f++) {
      for (let b = 0; b < batch; b++) {
        const src = (b * window + f) * obsSize;
        x.set(windows.subarray(src, src + obsSize), (f * batch + b) * obsSize);
      }
    }
    const current = this.encoder.forward(new Tensor(x, [window * batch, obsSize]));
    const frames = reshape(current, [window, batch, current.shape[1]]);
    return neurons.forward(frames, { T: this.T, timeVarying: true, repeat: repeats, output });
  }

  /** Gaussian parameters (mean, clamped log σ), each [B, actions]. */
  forward(windows: Float32Array, batch: number): { mean: Tensor; logStd: Tensor } {
    const h = this.features(windows, batch);
    return { mean: this.mean.forward(h), logStd: clamp(this.logStd.forward(h), LOG_STD_MIN, LOG_STD_MAX) };
  }
}

/** Q(s, a): MLP (two ReLU hidden layers) on the latest observation and the action. */
export class QNetwork extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly fc3: Linear;
  constructor(obsSize: number, actionSize: number, hidden: number, rng: Rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(obsSize + actionSize, hidden, rng));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, hidden, rng));
    this.fc3 = this.registerModule('fc3', new Linear(hidden, 1, rng));
  }
  /** [B, obs], [B, actions] → [B, 1]. */
  forward(obs: Tensor, action: Tensor): Tensor {
    const h = relu(this.fc2.forward(relu(this.fc1.forward(concatColumns([obs, action])))));
    return this.fc3.forward(h);
  }
}

/** The twin critics as one module (one optimiser, one state_dict). */
export class TwinCritic extends Module {
  readonly q1: QNetwork;
  readonly q2: QNetwork;
  constructor(obsSize: number, actionSize: number, hidden: number, rng: Rng) {
    super();
    this.q1 = this.registerModule('q1', new QNetwork(obsSize, actionSize, hidden, rng));
    this.q2 = this.registerModule('q2', new QNetwork(obsSize, actionSize, hidden, rng));
  }
}
