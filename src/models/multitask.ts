/**
 * The study's multi-task networks (spec 3.1). Every model maps a batch of 36×36 images [B, 1296]
 * to two logit sets (digit task, fashion task). Spiking models see the static image for T steps:
 * the first projection is computed once and the fused neuron kernel repeats it over T.
 *
 * fc:   1296 → fc1 → neurons (mean rate over T) → fc2 (→ 50) → head1, head2 (50 → 10)
 * conv: conv1 3×3 pad 1 (1→C) → neurons → avg-pool 2 → conv2 3×3 pad 1 (C→C) → neurons (rate)
 *       → avg-pool 2 → 9·9·C → fc (→ 50) → heads. 36 → 36 → 18 → 18 → 9, so C = 10 gives the
 *       spec's Linear 810 → 50.
 */
import { Rng } from '../util/rng.js';
import { avgPool2d } from '../tensor/conv.js';
import { flatten, relu, reshape } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2d, Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { LIFNeurons, LearningHHNeurons, SLIF2HHNeurons, SpikingNeurons } from '../nn/spiking-layers.js';
import { DeclaredNeurons } from '../nn/neuron-layer.js';
import { MultiBranchNeurons } from '../nn/multibranch.js';
import { izhikevich } from '../neurons/izhikevich.js';
import { hhDeclared } from '../neurons/hh.js';

export const FC_MODELS = ['lif-fc', '4lif-fc', 'hh-fc', 'slif2hh-fc', 'ann-fc'] as const;
export const CONV_MODELS = ['lif-conv', '4lif-conv', 'hh-conv', 'slif2hh-conv', 'cnn'] as const;
/**
 * fc models whose hidden neurons are declared models (src/neurons/), beyond the study's: izh-fc
 * (Izhikevich regular-spiking neurons with learned a, b, c, d).
 */
export const DECLARED_FC_MODELS = ['izh-fc'] as const;
/**
 * fc models of multi-compartment units: mc-fc (HH somas with passive dendritic branches, learned
 * coupling and branch leak; nn/multibranch.ts).
 */
export const COMPARTMENT_FC_MODELS = ['mc-fc'] as const;
/**
 * The ablation of internal complexity (hh-fc as the study has it, against): li-fc, the same
 * layer with all six gate rates zero (a leaky integrator without reset); hh-lr-fc, the rates
 * learned; hhfull-fc, the full voltage-dependent HH. li-fc and hh-lr-fc draw exactly what hh-fc
 * draws, so for one seed the three start from the same weights.
 */
export const ABLATION_FC_MODELS = ['li-fc', 'hh-lr-fc', 'hhfull-fc'] as const;
export const MULTITASK_MODELS = [
  ...FC_MODELS,
  ...CONV_MODELS,
  ...DECLARED_FC_MODELS,
  ...COMPARTMENT_FC_MODELS,
  ...ABLATION_FC_MODELS,
] as const;
export type MultitaskModelName = (typeof MULTITASK_MODELS)[number];

export const IMAGE_SIDE = 36;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;

export interface MultitaskModel extends Module {
  readonly modelName: MultitaskModelName;
  forward(x: Tensor): [Tensor, Tensor];
}

export interface TrainingDefaults {
  lr: number;
  weightDecay: number;
  milestones: number[];
}

/** Spec 3.1: Adam lr 1e-4, wd 1e-5, milestones [10, 20, 30] (fc); lr 3e-3, wd 3e-4, [20, 30] (conv). */
export function trainingDefaults(model: MultitaskModelName): TrainingDefaults {
  return isFcModel(model)
    ? { lr: 1e-4, weightDecay: 1e-5, milestones: [10, 20, 30] }
    : { lr: 3e-3, weightDecay: 3e-4, milestones: [20, 30] };
}

/** Whether a model is fully connected (the fc training defaults apply). */
export function isFcModel(model: MultitaskModelName): boolean {
  return model === 'ann-fc' || model in FC_NEURON_KIND;
}

export interface ModelOptions {
  /** Time steps per image (spec: 15). */
  T?: number;
  /**
   * Learning HH layers keep v for backward as the reference implementation does, instead of
   * recomputing it from their input (same results; for memory comparisons). Default false.
   */
  saveVoltage?: boolean;
}

/** The neuron kinds of the fc spiking models (also the bottleneck study's, spec 3.5). */
export type FcNeuronKind = 'lif' | '4lif' | 'hh' | 'slif2hh' | 'izh' | 'mc' | 'li' | 'hh-lr' | 'hhfull';

type SpikingFcModel = Exclude<MultitaskModelName, 'ann-fc' | (typeof CONV_MODELS)[number]>;

const FC_NEURON_KIND: Record<SpikingFcModel, FcNeuronKind> = {
  'lif-fc': 'lif',
  '4lif-fc': '4lif',
  'hh-fc': 'hh',
  'slif2hh-fc': 'slif2hh',
  'izh-fc': 'izh',
  'mc-fc': 'mc',
  'li-fc': 'li',
  'hh-lr-fc': 'hh-lr',
  'hhfull-fc': 'hhfull',
};

/**
 * Full voltage-dependent HH hidden layer (hhfull-fc; shifted convention, from rest, no reset,
 * spike while v > 50 mV): the full-HH layer's dt 0.05 ms as in mc-fc (T = 15: 0.75 ms per image,
 * time for about one action potential); fc1's currents in µA/cm² at the default init. Chosen by a
 * small sweep (2,000 Multi-MNIST images, 2 epochs, lr 1e-4; task-1 accuracy 9.4 / 20.4 / 29.2 /
 * 12.6% for init ×0.25 / 0.5 / 1 / 2; dt 0.02 ms at chance, 0.1 ms 15.0%; hh-fc 75.0%).
 */
export const HHFULL_FC = Object.freeze({ dt: 0.05, weightScale: 1 });

/**
 * Izhikevich hidden layer: regular-spiking defaults with a, b, c, d learned per neuron, 0.5 ms
 * steps (T = 15: 7.5 ms per image), a sigmoid surrogate wide enough for v's jumps of tens of mV
 * near 30 mV (α 0.05 per mV), fc1's init scaled by 5. Chosen by a small sweep (2,000 training
 * images, 2 epochs, lr 1e-3: 40.0 / 55.2% against 50.8 / 60.4% for hh-fc; weight scales 3–80 and
 * sigmoid α 0.02–0.2, arctan and fast-sigmoid tried).
 */
export const IZH_FC = Object.freeze({ dt: 0.5, surrogate: 'sigmoid:0.05', weightScale: 5 });

/**
 * Multi-branch hidden layer (mc-fc): 128 units of an HH soma and 4 passive branches, so fc1 is
 * 1296 → 512 currents as in hh-fc (same projection size); the full-HH layer's dt 0.05 ms and θ
 * 50 mV (nn/multibranch.ts: linearly implicit potentials, Rush–Larsen gates). fc1 sees grey levels
 * 0–255 (rms output ≈ 54 at init); its outputs ×inputScale µA/cm² drive the branches, which need
 * ~100–800 µA/cm² for the soma to cross θ within 15 steps. inputScale 8 from a small sweep (100
 * Adam steps, lr 1e-3, batch 64, Multi-MNIST, mean loss of steps 76–100: 2.95 / 2.34 / 2.19 / 2.19
 * for 2 / 4 / 8 / 16; hh-fc 1.75 in the same loop).
 */
export const MC_FC = Object.freeze({ units: 128, branches: 4, dt: 0.05, inputScale: 8 });

/** The spiking hidden layer of an fc model: its neurons and the projection that feeds them. */
export interface FcSpikingLayer {
  neurons: SpikingNeurons;
  /** Outputs of the 1296 → · projection (3 per s-LIF2HH unit: one per input LIF). */
  projectionOut: number;
  /** Width of the rate vector the neurons emit (4 per s-LIF2HH unit). */
  hidden: number;
  /** Factor on the projection's default init (spec 2.5: 0.01 for HH). */
  weightScale: number;
}

/**
 * Builds the neurons of the 512-unit (2048 for 4LIF) fc hidden layer. The caller creates the
 * projection afterwards, so the random draws happen in the same order for every user.
 */
export function fcSpikingLayer(kind: FcNeuronKind, rng: Rng, opts: ModelOptions = {}): FcSpikingLayer {
  switch (kind) {
    case 'lif':
      return { neurons: new LIFNeurons([512]), projectionOut: 512, hidden: 512, weightScale: 1 };
    case '4lif':
      return { neurons: new LIFNeurons([2048]), projectionOut: 2048, hidden: 2048, weightScale: 1 };
    case 'hh':
    case 'li':
    case 'hh-lr':
      return {
        neurons: new LearningHHNeurons([512], {
          rng,
          saveVoltage: opts.saveVoltage,
          zeroRates: kind === 'li',
          learnableRates: kind === 'hh-lr',
        }),
        projectionOut: 512,
        hidden: 512,
        weightScale: 0.01,
      };
    case 'hhfull':
      return {
        neurons: new DeclaredNeurons(hhDeclared, [512], { params: { dt: HHFULL_FC.dt } }),
        projectionOut: 512,
        hidden: 512,
        weightScale: HHFULL_FC.weightScale,
      };
    case 'izh':
      return {
        neurons: new DeclaredNeurons(izhikevich, [512], {
          learn: ['a', 'b', 'c', 'd'],
          params: { dt: IZH_FC.dt },
          surrogate: IZH_FC.surrogate,
        }),
        projectionOut: 512,
        hidden: 512,
        weightScale: IZH_FC.weightScale,
      };
    case 'mc':
      return {
        neurons: new MultiBranchNeurons([MC_FC.units], {
          rng,
          branches: MC_FC.branches,
          dt: MC_FC.dt,
          inputScale: MC_FC.inputScale,
        }),
        projectionOut: MC_FC.branches * MC_FC.units,
        hidden: MC_FC.units,
        weightScale: 1,
      };
    case 'slif2hh':
      return {
        neurons: new SLIF2HHNeurons([512], { rng }),
        projectionOut: 3 * 512,
        hidden: 4 * 512,
        weightScale: 1,
      };
    default:
      throw new RangeError(`unknown fc neuron kind '${kind as string}'`);
  }
}

/** Shared tail: hidden → 50 → two 10-way heads. */
class TwoHeads {
  readonly fc2: Linear;
  readonly head1: Linear;
  readonly head2: Linear;
  /** register adds the three layers to the owning network under PyTorch-style names. */
  constructor(hidden: number, rng: Rng, prefix: string, owner: (name: string, m: Module) => void) {
    this.fc2 = new Linear(hidden, 50, rng);
    this.head1 = new Linear(50, 10, rng);
    this.head2 = new Linear(50, 10, rng);
    owner(`${prefix}`, this.fc2);
    owner('head1', this.head1);
    owner('head2', this.head2);
  }
  forward(h: Tensor): [Tensor, Tensor] {
    const z = this.fc2.forward(h);
    return [this.head1.forward(z), this.head2.forward(z)];
  }
}

class FcNet extends Module implements MultitaskModel {
  readonly fc1: Linear;
  readonly heads: TwoHeads;
  constructor(
    readonly modelName: MultitaskModelName,
    rng: Rng,
    fc1Out: number,
    hidden: number,
    readonly neurons: SpikingNeurons | null,
    readonly T: number,
    weightScale = 1,
  ) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(IMAGE_PIXELS, fc1Out, rng, { weightScale }));
    if (neurons) this.registerModule('neurons', neurons);
    this.heads = new TwoHeads(hidden, rng, 'fc2', (n, m) => this.registerModule(n, m));
  }
  forward(x: Tensor): [Tensor, Tensor] {
    checkInputShape(x);
    // A non-finite pixel makes its image's fc1 outputs non-finite too (NaN·w and ∞·0 are NaN), so
    // where fc1 is narrower than the image its output is the cheaper place to look; the input is
    // scanned for the error message only then.
    const early = this.fc1.outFeatures >= IMAGE_PIXELS;
    if (early) checkInput(x);
    const current = this.fc1.forward(x);
    if (!early && !allFinite(current.data)) throwNonFinite(x);
    const h = this.neurons
      ? this.neurons.forward(current, { T: this.T, timeVarying: false, output: 'rate' })
      : relu(current);
    return this.heads.forward(h);
  }
}

class ConvNet extends Module implements MultitaskModel {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly heads: TwoHeads;
  constructor(
    readonly modelName: MultitaskModelName,
    rng: Rng,
    /** Conv output channels (3× the unit count for s-LIF2HH, whose units read three maps). */
    convOut: number,
    /** Channels the neurons emit (4× the units for s-LIF2HH). */
    emitted: number,
    readonly neurons1: SpikingNeurons | null,
    readonly neurons2: SpikingNeurons | null,
    readonly T: number,
    weightScale = 1,
  ) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(1, convOut, 3, rng, { padding: 1, weightScale }));
    if (neurons1) this.registerModule('neurons1', neurons1);
    this.conv2 = this.registerModule(
      'conv2',
      new Conv2d(emitted, convOut, 3, rng, { padding: 1, weightScale }),
    );
    if (neurons2) this.registerModule('neurons2', neurons2);
    this.heads = new TwoHeads(emitted * 81, rng, 'fc', (n, m) => this.registerModule(n, m));
  }
  forward(x: Tensor): [Tensor, Tensor] {
    checkInput(x);
    const batch = x.shape[0];
    const img = reshape(x, [batch, 1, IMAGE_SIDE, IMAGE_SIDE]);
    let h: Tensor;
    if (!this.neurons1 || !this.neurons2) {
      h = avgPool2d(relu(this.conv2.forward(avgPool2d(relu(this.conv1.forward(img))))));
    } else {
      const T = this.T;
      const s1 = this.neurons1.forward(this.conv1.forward(img), { T, timeVarying: false, output: 'spikes' }); // [T, B, C, 36, 36]
      const p1 = avgPool2d(reshape(s1, [T * batch, ...s1.shape.slice(2)])); // [T·B, C, 18, 18]
      const c2 = this.conv2.forward(p1);
      const r2 = this.neurons2.forward(reshape(c2, [T, batch, ...c2.shape.slice(1)]), {
        T,
        timeVarying: true,
        output: 'rate',
      });
      h = avgPool2d(r2); // pooling commutes with the mean over T
    }
    return this.heads.forward(flatten(h));
  }
}

/** Rejects anything but finite [B, 1296] images (shared with the bottleneck model). */
export function checkInput(x: Tensor): void {
  checkInputShape(x);
  if (!allFinite(x.data)) throwNonFinite(x);
}

/** Rejects an input that is not [B, 1296]. */
export function checkInputShape(x: Tensor): void {
  if (x.ndim !== 2 || x.shape[1] !== IMAGE_PIXELS) {
    throw new RangeError(
      `multi-task model: input must be [batch, ${IMAGE_PIXELS}] (36×36 images), got [${x.shape.join(', ')}]`,
    );
  }
}

/** Throws naming the input's first non-finite element, if it has one. */
function throwNonFinite(x: Tensor): void {
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]))
      throw new RangeError(`multi-task model: input contains ${d[i]} at element ${i}`);
  }
}

/** Whether every value is finite. */
export function allFinite(d: Float32Array): boolean {
  // v·0 is 0 for finite v and NaN for ±Inf or NaN, so a sum tells (four independent sums: one
  // chain of additions would wait on each add's latency).
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  const n4 = d.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    p0 += d[i] * 0;
    p1 += d[i + 1] * 0;
    p2 += d[i + 2] * 0;
    p3 += d[i + 3] * 0;
  }
  for (let i = n4; i < d.length; i++) p0 += d[i] * 0;
  return p0 + p1 + p2 + p3 === 0;
}

export function createMultitaskModel(
  name: MultitaskModelName,
  rng: Rng,
  opts: ModelOptions = {},
): MultitaskModel {
  const T = opts.T ?? 15;
  const hw = IMAGE_PIXELS;
  switch (name) {
    case 'lif-fc':
    case '4lif-fc':
    case 'hh-fc':
    case 'slif2hh-fc':
    case 'izh-fc':
    case 'mc-fc':
    case 'li-fc':
    case 'hh-lr-fc':
    case 'hhfull-fc': {
      const p = fcSpikingLayer(FC_NEURON_KIND[name], rng, opts);
      return new FcNet(name, rng, p.projectionOut, p.hidden, p.neurons, T, p.weightScale);
    }
    case 'ann-fc':
      return new FcNet(name, rng, 512, 512, null, T);
    case 'lif-conv':
      return new ConvNet(
        name,
        rng,
        10,
        10,
        new LIFNeurons([10, hw], { kind: 'conv' }),
        new LIFNeurons([10, hw / 4], { kind: 'conv' }),
        T,
      );
    case '4lif-conv':
      return new ConvNet(
        name,
        rng,
        40,
        40,
        new LIFNeurons([40, hw], { kind: 'conv' }),
        new LIFNeurons([40, hw / 4], { kind: 'conv' }),
        T,
      );
    case 'hh-conv':
      return new ConvNet(
        name,
        rng,
        10,
        10,
        new LearningHHNeurons([10, hw], { rng, kind: 'conv', saveVoltage: opts.saveVoltage }),
        new LearningHHNeurons([10, hw / 4], { rng, kind: 'conv', saveVoltage: opts.saveVoltage }),
        T,
      );
    case 'slif2hh-conv':
      return new ConvNet(
        name,
        rng,
        30,
        40,
        new SLIF2HHNeurons([10, hw], { rng, kind: 'conv' }),
        new SLIF2HHNeurons([10, hw / 4], { rng, kind: 'conv' }),
        T,
      );
    case 'cnn':
      return new ConvNet(name, rng, 10, 10, null, null, T);
    default:
      throw new RangeError(`unknown model '${name as string}' (available: ${MULTITASK_MODELS.join(', ')})`);
  }
}
