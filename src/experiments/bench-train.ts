/**
 * Training-step benchmark: forward, backward and an Adam step of a multi-task model on random
 * images (batch × 1296 pixels in 0–255, random labels), timed per step after warm-up.
 */
import { MultitaskModelName, createMultitaskModel, trainingDefaults } from '../models/multitask.js';
import { getBackend } from '../kernels/index.js';
import { Adam } from '../optim/adam.js';
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
}

export function benchTrainStep(
  model: MultitaskModelName,
  opts: { batch: number; T: number; steps: number; warmup: number; seed?: number },
): BenchTrainResult {
  const rng = new Rng(opts.seed ?? 1);
  const net = createMultitaskModel(model, rng, { T: opts.T });
  const d = trainingDefaults(model);
  const adam = new Adam(net.parameters(), { lr: d.lr, weightDecay: d.weightDecay });
  const pixels = 36 * 36;
  const x = new Tensor(
    Float32Array.from({ length: opts.batch * pixels }, () => rng.int(256)),
    [opts.batch, pixels],
  );
  const y1 = Int32Array.from({ length: opts.batch }, () => rng.int(10));
  const y2 = Int32Array.from({ length: opts.batch }, () => rng.int(10));
  const times: number[] = [];
  for (let s = 0; s < opts.warmup + opts.steps; s++) {
    const t0 = process.hrtime.bigint();
    const [o1, o2] = net.forward(x);
    const loss = add(softmaxCrossEntropy(o1, y1), softmaxCrossEntropy(o2, y2));
    adam.zeroGrad();
    loss.backward();
    adam.step();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (!Number.isFinite(loss.item())) throw new Error(`bench train: ${model} produced a non-finite loss`);
    if (s >= opts.warmup) times.push(ms);
  }
  return {
    model,
    batch: opts.batch,
    T: opts.T,
    msPerStep: median(times),
    samplesMs: times,
    backend: getBackend().name,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
