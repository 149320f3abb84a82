/**
 * Computing resources of the multi-task models (spec 3.4, paper Fig. 5b): parameters, FLOPs per
 * inference, training and inference time per batch, and the activation memory a training step
 * keeps for backward. FLOPs and memory are counted from the engine's own graph (accounting.ts);
 * times are medians of the step benchmarks (bench-train.ts). See docs/resources.md.
 */
import { checkMultitaskMemory } from '../train/multitask.js';
import { environment } from '../util/environment.js';
import { getBackend } from '../kernels/index.js';
import {
  LEARNING_HH_FLOPS_PER_NEURON_STEP,
  LEARNING_HH_TABLE_FLOPS_PER_NEURON_STEP,
  LIF_FLOPS_PER_NEURON_STEP,
  SAVED_BYTES_PER_NEURON_STEP,
  SLIF2HH_FLOPS_PER_UNIT_STEP,
} from '../kernels/spiking-costs.js';
import { MULTITASK_MODELS, MultitaskModelName, createMultitaskModel } from '../models/multitask.js';
import { Module } from '../nn/module.js';
import { countFlops, graphMemory } from '../tensor/accounting.js';
import type { GraphMemory } from '../tensor/accounting.js';
import { noGrad } from '../tensor/autograd.js';
import { Rng } from '../util/rng.js';
import { benchInferStep, benchTrainStep, multitaskLoss, randomBatch } from './bench-train.js';

export type ResourcesPhase = 'count' | 'train' | 'infer';

export interface ResourcesProgress {
  model: MultitaskModelName;
  phase: ResourcesPhase;
  /** Steps done and total of this phase (0 / 1 then 1 / 1 for counting). */
  done: number;
  total: number;
}

export interface ResourcesOptions {
  models: readonly MultitaskModelName[];
  batch: number;
  T: number;
  /** Timed steps per measurement (the median is reported). */
  repeats: number;
  /** Untimed steps before each timing (default 2). */
  warmup?: number;
  /** Seed of the model weights and the random batch (default 1). */
  seed?: number;
  onProgress?: (p: ResourcesProgress) => void;
}

export interface ParameterCount {
  /** All tensors in model.safetensors: trainable + buffers. */
  total: number;
  trainable: number;
  /** Constant per-neuron tensors saved with the model (e.g. the learning HH's rate coefficients). */
  buffers: number;
  bufferNames: string[];
}

export interface ModelResources {
  model: MultitaskModelName;
  /** Trainable + buffer elements: the element count of the model's model.safetensors. */
  params: number;
  trainableParams: number;
  bufferParams: number;
  bufferNames: string[];
  /** Forward (inference) FLOPs of one batch divided by the batch size. */
  flopsPerSample: number;
  flopsPerBatch: number;
  /** flopsPerBatch split by op. */
  flopsByOp: Record<string, number>;
  /** Median ms of a training step (forward + backward + Adam) on one batch. */
  trainMsPerBatch: number;
  /** Median ms of an inference forward (no graph) on one batch. */
  inferMsPerBatch: number;
  trainSamplesMs: number[];
  inferSamplesMs: number[];
  /** Bytes the recorded graph of a training forward (through the loss) keeps for backward. */
  peakActivationBytes: number;
  /**
   * The same with learning HH layers keeping v [T, B, N] for backward, as the reference
   * implementation does (hhnet recomputes it from the layer's input, see learningHhSpikes'
   * saveVoltage); equal to peakActivationBytes for models without learning HH.
   */
  referenceActivationBytes: number;
  activation: GraphMemory;
}

export interface ResourcesResult {
  models: ModelResources[];
  config: {
    batch: number;
    T: number;
    repeats: number;
    warmup: number;
    seed: number;
    backend: string;
    /** What each figure counts, in one line each (details in docs/resources.md). */
    definitions: Record<string, string>;
    /** The per-neuron-step constants the spiking kernels are counted with. */
    kernelCosts: {
      flopsPerNeuronStep: Record<string, number>;
      savedBytesPerNeuronStep: Record<string, number>;
    };
  };
  machine: Record<string, string>;
}

export const RESOURCES_DEFAULTS = Object.freeze({ batch: 128, T: 15, repeats: 5, warmup: 2, seed: 1 });

const DEFINITIONS: Record<string, string> = {
  params: 'trainable + buffer tensor elements (all tensors of model.safetensors)',
  flopsPerSample:
    'analytic forward FLOPs of one inference batch / batch (multiply-add = 2; element-wise, exp and compare = 1; spiking kernels per neuron-step); the loss is not included',
  trainMsPerBatch: 'median wall time of forward + backward + Adam on one random batch, after warm-up',
  inferMsPerBatch: 'median wall time of a forward with no graph recorded on one random batch, after warm-up',
  peakActivationBytes:
    'after a recorded training forward through the loss: data of every non-leaf tensor plus the buffers ops keep for backward (kernel states, softmax probabilities), shared buffers once; parameters, gradients, optimiser moments and the input batch not included',
  referenceActivationBytes:
    'peakActivationBytes with learning HH layers saving v for backward as the reference implementation does, instead of recomputing it from their input',
};

export function parameterCount(model: Module): ParameterCount {
  let trainable = 0;
  let buffers = 0;
  const bufferNames: string[] = [];
  for (const [name, t] of model.namedParameters()) {
    if (t.requiresGrad) trainable += t.size;
    else {
      buffers += t.size;
      bufferNames.push(name);
    }
  }
  return { total: trainable + buffers, trainable, buffers, bufferNames };
}

/** FLOPs and activation memory of one model (no timing). */
export function countModelResources(
  model: MultitaskModelName,
  opts: { batch: number; T: number; seed?: number },
): Omit<ModelResources, 'trainMsPerBatch' | 'inferMsPerBatch' | 'trainSamplesMs' | 'inferSamplesMs'> {
  const rng = new Rng(opts.seed ?? RESOURCES_DEFAULTS.seed);
  const net = createMultitaskModel(model, rng, { T: opts.T });
  const batch = randomBatch(rng, opts.batch);
  const counted = countFlops(() => noGrad(() => net.eval().forward(batch.x)));
  net.train();
  const activation = graphMemory(multitaskLoss(net, batch));
  // The reference formulation: the same weights (same seed), learning HH saving v.
  const refRng = new Rng(opts.seed ?? RESOURCES_DEFAULTS.seed);
  const refNet = createMultitaskModel(model, refRng, { T: opts.T, saveVoltage: true });
  const reference = graphMemory(multitaskLoss(refNet, randomBatch(refRng, opts.batch)));
  const p = parameterCount(net);
  return {
    model,
    params: p.total,
    trainableParams: p.trainable,
    bufferParams: p.buffers,
    bufferNames: p.bufferNames,
    flopsPerSample: counted.flops / opts.batch,
    flopsPerBatch: counted.flops,
    flopsByOp: counted.byOp,
    peakActivationBytes: activation.bytes,
    referenceActivationBytes: reference.bytes,
    activation,
  };
}

/** Throws a RangeError naming the valid models if any name is unknown. */
export function checkModelNames(models: readonly string[]): MultitaskModelName[] {
  const bad = models.filter((m) => !(MULTITASK_MODELS as readonly string[]).includes(m));
  if (bad.length)
    throw new RangeError(`unknown model(s) ${bad.join(', ')} (available: ${MULTITASK_MODELS.join(', ')})`);
  return models as MultitaskModelName[];
}

export async function measureResources(opts: ResourcesOptions): Promise<ResourcesResult> {
  const models = checkModelNames(opts.models);
  if (models.length === 0) throw new RangeError('resources: no models given');
  for (const [k, v] of Object.entries({ batch: opts.batch, T: opts.T, repeats: opts.repeats })) {
    if (!Number.isInteger(v) || v < 1)
      throw new RangeError(`resources: ${k} must be a positive integer, got ${v}`);
  }
  const warmup = opts.warmup ?? RESOURCES_DEFAULTS.warmup;
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new RangeError(`resources: warmup must be a non-negative integer, got ${warmup}`);
  const seed = opts.seed ?? RESOURCES_DEFAULTS.seed;
  const out: ModelResources[] = [];
  for (const model of models) {
    const report = (phase: ResourcesPhase) => (done: number, total: number) =>
      opts.onProgress?.({ model, phase, done, total });
    checkMultitaskMemory({ model, seed, batch: opts.batch, T: opts.T });
    report('count')(0, 1); // counting runs a forward and a training graph: seconds for conv models
    const counted = countModelResources(model, { batch: opts.batch, T: opts.T, seed });
    report('count')(1, 1);
    await yieldToEventLoop();
    const bench = { batch: opts.batch, T: opts.T, steps: opts.repeats, warmup, seed };
    const train = benchTrainStep(model, { ...bench, onStep: report('train') });
    await yieldToEventLoop();
    const infer = benchInferStep(model, { ...bench, onStep: report('infer') });
    await yieldToEventLoop();
    out.push({
      ...counted,
      trainMsPerBatch: train.msPerStep,
      inferMsPerBatch: infer.msPerStep,
      trainSamplesMs: train.samplesMs,
      inferSamplesMs: infer.samplesMs,
    });
  }
  return {
    models: out,
    config: {
      batch: opts.batch,
      T: opts.T,
      repeats: opts.repeats,
      warmup,
      seed,
      backend: getBackend().name,
      definitions: DEFINITIONS,
      kernelCosts: {
        flopsPerNeuronStep: {
          lif: LIF_FLOPS_PER_NEURON_STEP,
          slif2hhUnit: SLIF2HH_FLOPS_PER_UNIT_STEP,
          learningHh: LEARNING_HH_FLOPS_PER_NEURON_STEP,
          learningHhGateTables: LEARNING_HH_TABLE_FLOPS_PER_NEURON_STEP,
        },
        savedBytesPerNeuronStep: { ...SAVED_BYTES_PER_NEURON_STEP },
      },
    },
    machine: environment(),
  };
}

/** Lets pending I/O (progress output, signals) through between long synchronous runs. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
