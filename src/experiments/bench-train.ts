/**
 * Training- and inference-step benchmarks of the multi-task models on random images (batch × 1296
 * pixels in 0–255, random labels): a training step is forward, backward and an Adam step; an
 * inference step is a forward with no graph recorded. Each is timed per step after warm-up.
 */
import {
  MultitaskModel,
  MultitaskModelName,
  createMultitaskModel,
  trainingDefaults,
} from '../models/multitask.js';
import { backendDescription, getBackend } from '../kernels/index.js';
import { Adam } from '../optim/adam.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/scope.js';
import { add, softmaxCrossEntropy } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';

export interface BenchTrainResult {
  model: string;
  batch: number;
  T: number;
  msPerStep: number;
  /** Every timed step (ms), so the spread is visible. */
  samplesMs: number[];
  backend: string;
  /** The backend in words (variant, threads). */
  kernels: string;
}

export interface BenchStepOptions {
  batch: number;
  T: number;
  steps: number;
  warmup: number;
  seed?: number;
  /** Run each step in a tidy() scope, as training and evaluation do (default true). */
  tidy?: boolean;
  /** Called after every step (warm-up included) with the steps done and the total. */
  onStep?: (done: number, total: number) => void;
}

/** A random multi-task batch: pixels 0–255 and labels of both tasks. */
export interface RandomBatch {
  x: Tensor;
  y1: Int32Array;
  y2: Int32Array;
}

export function randomBatch(rng: Rng, batch: number): RandomBatch {
  const pixels = 36 * 36;
  const x = new Tensor(
    Float32Array.from({ length: batch * pixels }, () => rng.int(256)),
    [batch, pixels],
  );
  const y1 = Int32Array.from({ length: batch }, () => rng.int(10));
  const y2 = Int32Array.from({ length: batch }, () => rng.int(10));
  return { x, y1, y2 };
}

/** The study's training loss: the sum of the two tasks' cross-entropies. */
export function multitaskLoss(net: MultitaskModel, b: RandomBatch): Tensor {
  const [o1, o2] = net.forward(b.x);
  return add(softmaxCrossEntropy(o1, b.y1), softmaxCrossEntropy(o2, b.y2));
}

/** One training step on a batch: forward, the loss, backward and an Adam step; returns the loss. */
export function multitaskStep(net: MultitaskModel, adam: Adam, b: RandomBatch): number {
  const loss = multitaskLoss(net, b);
  adam.zeroGrad();
  loss.backward();
  adam.step();
  return loss.item();
}

function timeSteps(opts: BenchStepOptions, step: () => void): number[] {
  const total = opts.warmup + opts.steps;
  const times: number[] = [];
  for (let s = 0; s < total; s++) {
    const t0 = process.hrtime.bigint();
    step();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (s >= opts.warmup) times.push(ms);
    opts.onStep?.(s + 1, total);
  }
  return times;
}

function result(model: string, opts: BenchStepOptions, times: number[]): BenchTrainResult {
  return {
    model,
    batch: opts.batch,
    T: opts.T,
    msPerStep: median(times),
    samplesMs: times,
    backend: getBackend().name,
    kernels: backendDescription(),
  };
}

export function benchTrainStep(model: MultitaskModelName, opts: BenchStepOptions): BenchTrainResult {
  const rng = new Rng(opts.seed ?? 1);
  const net = createMultitaskModel(model, rng, { T: opts.T });
  const d = trainingDefaults(model);
  const adam = new Adam(net.parameters(), { lr: d.lr, weightDecay: d.weightDecay });
  const batch = randomBatch(rng, opts.batch);
  const step = (): number => multitaskStep(net, adam, batch);
  const times = timeSteps(opts, () => {
    const value = scoped(opts, step);
    if (!Number.isFinite(value)) throw new Error(`bench train: ${model} produced a non-finite loss`);
  });
  return result(model, opts, times);
}

/** Inference: a forward of the batch with no graph recorded (what evaluation runs). */
export function benchInferStep(model: MultitaskModelName, opts: BenchStepOptions): BenchTrainResult {
  const rng = new Rng(opts.seed ?? 1);
  const net = createMultitaskModel(model, rng, { T: opts.T }).eval();
  const { x } = randomBatch(rng, opts.batch);
  const infer = (): number => noGrad(() => net.forward(x))[0].data[0];
  const times = timeSteps(opts, () => {
    if (!Number.isFinite(scoped(opts, infer)))
      throw new Error(`bench infer: ${model} produced a non-finite output`);
  });
  return result(model, opts, times);
}

/**
 * fn in a tidy() scope, as training and evaluation run their steps (its large buffers go back when
 * it ends: tensor/scope.ts), unless opts.tidy is false (A/B runs).
 */
function scoped<T>(opts: BenchStepOptions, fn: () => T): T {
  return opts.tidy === false ? fn() : tidy(fn);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
