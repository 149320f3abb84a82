/**
 * One multi-task training step and the evaluation, without files: shared by the command line's
 * loop (multitask.ts, with checkpoints and resume) and the browser playground's, so both compute
 * the same losses from the same seed.
 */
import { tidy } from '../tensor/scope.js';
import { BatchSampler, batchLabels, fillBatch, noiseImage } from '../data/multi.js';
import type { MultiDataset } from '../data/multi.js';
import { createMultitaskModel } from '../models/multitask.js';
import type { MultitaskModel } from '../models/multitask.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { MultiStepLR } from '../optim/scheduler.js';
import { noGrad } from '../tensor/autograd.js';
import { add, argmaxRows, softmaxCrossEntropy } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { encodeSafetensors } from '../io/safetensors-format.js';
import type { NamedArray } from '../io/safetensors-format.js';
import type { Module } from '../nn/module.js';
import { Rng } from '../util/rng.js';
import type { TrainConfig } from './config.js';

export interface LoadedData {
  train: MultiDataset;
  test: MultiDataset;
  noise: Float32Array | undefined;
}

/** One fixed noise image for train and test (spec 3.3), seeded from the run's seed; none for A = 0. */
export function noiseFor(cfg: Pick<TrainConfig, 'noise' | 'seed'>): Float32Array | undefined {
  return cfg.noise > 0 ? noiseImage(cfg.noise, 1_000_003 + cfg.seed) : undefined;
}

export function buildModel(cfg: TrainConfig): MultitaskModel {
  return createMultitaskModel(cfg.model, new Rng(cfg.seed), { T: cfg.T });
}

/** A model's parameters by their PyTorch state_dict names. */
export function modelTensors(model: Module): Map<string, NamedArray> {
  return new Map(model.namedParameters().map(([n, t]) => [n, { shape: t.shape, data: t.data }]));
}

/** The metadata of a multi-task model.safetensors: what `hhnet evaluate` rebuilds the model from. */
export function modelMetadata(cfg: TrainConfig, epochs: number): Record<string, string> {
  return { format: 'pt', hhnet: JSON.stringify({ config: cfg, epochs }) };
}

/** model.safetensors of a multi-task run after `epochs` epochs, as bytes. */
export function modelFileBytes(model: MultitaskModel, cfg: TrainConfig, epochs: number): Uint8Array {
  return encodeSafetensors(modelTensors(model), modelMetadata(cfg, epochs));
}

/** The input buffer of a run's batches (reused: backward is done before the next batch). */
export function batchBuffer(cfg: Pick<TrainConfig, 'batch'>, train: MultiDataset): Float32Array {
  return new Float32Array(Math.min(cfg.batch, train.count) * train.height * train.width);
}

/** The loss of one batch (spec 3.1): CE(task 1) + CE(task 2), with the graph for backward. */
export function batchLoss(
  model: MultitaskModel,
  ds: MultiDataset,
  idx: Int32Array,
  xBuf: Float32Array,
  noise: Float32Array | undefined,
): Tensor {
  const pixels = ds.height * ds.width;
  const n = idx.length;
  const x = xBuf.subarray(0, n * pixels);
  fillBatch(ds, idx, x, noise);
  const { y1, y2 } = batchLabels(ds, idx);
  const [o1, o2] = model.forward(new Tensor(x, [n, pixels]));
  return add(softmaxCrossEntropy(o1, y1), softmaxCrossEntropy(o2, y2));
}

/** Backward through a batch's loss and one optimiser step. */
export function applyLoss(loss: Tensor, opt: Optimizer): void {
  opt.zeroGrad();
  loss.backward();
  opt.step();
}

/**
 * One training step on a batch: its loss, `check(loss)` (which may throw: then nothing is
 * applied), backward and the optimiser step, inside a tidy() scope so the step's activations and
 * gradients go back to the backend when it ends (tensor/scope.ts). Returns the loss.
 */
export function trainBatch(
  model: MultitaskModel,
  ds: MultiDataset,
  idx: Int32Array,
  xBuf: Float32Array,
  noise: Float32Array | undefined,
  opt: Optimizer,
  check?: (loss: number) => void,
): number {
  return tidy(() => {
    const loss = batchLoss(model, ds, idx, xBuf, noise);
    const value = loss.item();
    check?.(value);
    applyLoss(loss, opt);
    return value;
  });
}

/** Accuracy (%) of both heads on a dataset, batched, without recording a graph. */
export function evaluateAccuracy(
  model: MultitaskModel,
  ds: MultiDataset,
  noise: Float32Array | undefined,
  batchSize = 256,
): { acc1: number; acc2: number } {
  model.eval();
  let c1 = 0;
  let c2 = 0;
  const pixels = ds.height * ds.width;
  const xBuf = new Float32Array(batchSize * pixels); // reused: nothing keeps a batch after its forward
  const idxBuf = new Int32Array(batchSize);
  noGrad(() => {
    for (let start = 0; start < ds.count; start += batchSize) {
      const n = Math.min(batchSize, ds.count - start);
      const idx = idxBuf.subarray(0, n);
      for (let i = 0; i < n; i++) idx[i] = start + i;
      const x = xBuf.subarray(0, n * pixels);
      fillBatch(ds, idx, x, noise);
      // Each batch's activations go back when it is counted (tensor/scope.ts).
      tidy(() => {
        const [o1, o2] = model.forward(new Tensor(x, [n, pixels]));
        const { y1, y2 } = batchLabels(ds, idx);
        const p1 = argmaxRows(o1);
        const p2 = argmaxRows(o2);
        for (let i = 0; i < n; i++) {
          if (p1[i] === y1[i]) c1++;
          if (p2[i] === y2[i]) c2++;
        }
      });
    }
  });
  model.train();
  return { acc1: (100 * c1) / ds.count, acc2: (100 * c2) / ds.count };
}

/**
 * Training one batch at a time (the browser playground's loop, which must yield between batches):
 * the model, Adam, MultiStepLR and batch order exactly as trainMultitask builds them, so the
 * losses equal the command line's for the same configuration and data.
 */
export class MultitaskStepper {
  readonly model: MultitaskModel;
  readonly opt: Adam;
  readonly sampler: BatchSampler;
  private readonly sched: MultiStepLR;
  private readonly xBuf: Float32Array;
  private batches: Iterator<Int32Array>;
  /** The epoch being trained (from 1) and the batches of it done. */
  epoch = 1;
  batch = 0;

  constructor(
    readonly cfg: TrainConfig,
    readonly data: LoadedData,
  ) {
    this.model = buildModel(cfg);
    this.opt = new Adam(this.model.parameters(), { lr: cfg.lr, weightDecay: cfg.weightDecay });
    this.sched = new MultiStepLR(this.opt, cfg.milestones, cfg.gamma);
    this.sampler = new BatchSampler(data.train.count, cfg.batch, { shuffle: true, seed: cfg.seed });
    this.xBuf = batchBuffer(cfg, data.train);
    this.batches = this.sampler.batches(this.epoch);
    this.model.train();
  }

  /** Trains the next batch; its loss (before the step) and size. The epoch ends after its last. */
  step(): { loss: number; samples: number; epochDone: boolean } {
    const next = this.batches.next();
    if (next.done) throw new Error('the epoch is over: call endEpoch() first');
    const value = trainBatch(this.model, this.data.train, next.value, this.xBuf, this.data.noise, this.opt);
    this.batch++;
    return { loss: value, samples: next.value.length, epochDone: this.batch === this.sampler.numBatches };
  }

  /** Test accuracy (%) of both heads. */
  evaluate(): { acc1: number; acc2: number } {
    return evaluateAccuracy(this.model, this.data.test, this.data.noise);
  }

  /** Epochs trained to their end. */
  get epochsDone(): number {
    return this.batch === this.sampler.numBatches ? this.epoch : this.epoch - 1;
  }

  /** Starts the next epoch (learning-rate schedule included). */
  endEpoch(): void {
    this.sched.step();
    this.epoch++;
    this.batch = 0;
    this.batches = this.sampler.batches(this.epoch);
  }
}
