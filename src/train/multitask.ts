/**
 * The multi-task training loop (spec 3.1): loss = CE(task 1) + CE(task 2), Adam + MultiStepLR,
 * test accuracy of both tasks after every epoch. Checkpoints are written at every epoch end and
 * every few minutes inside an epoch; the batch order is a pure function of (seed, epoch), so a
 * resumed run continues exactly where the checkpoint left it.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BatchSampler, composeMulti } from '../data/multi.js';
import { IMAGE_PIXELS, createMultitaskModel } from '../models/multitask.js';
import { Adam } from '../optim/adam.js';
import { MultiStepLR } from '../optim/scheduler.js';
import { add, softmaxCrossEntropy } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { interruptPoller, interruptedAt } from '../util/interrupt.js';
import { parseConfig, readJsonFile } from '../util/config.js';
import { Rng } from '../util/rng.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, saveModel } from './checkpoint.js';
import { TrainConfig, resolveTrainConfig } from './config.js';
import { checkStepMemory, measureStepMemory } from './limits.js';
import { batchBuffer, buildModel, evaluateAccuracy, modelMetadata, noiseFor, trainBatch } from './step.js';
import type { LoadedData } from './step.js';

export { buildModel, evaluateAccuracy, noiseFor } from './step.js';
export type { LoadedData } from './step.js';

export interface EpochRecord {
  epoch: number;
  /** Mean training loss (sum of both cross-entropies) over the epoch. */
  loss: number;
  /** Test accuracies in percent. */
  acc1: number;
  acc2: number;
  seconds: number;
}

interface LoopState {
  config: TrainConfig;
  epochsDone: number;
  /** Batches finished inside the current (unfinished) epoch. */
  batchesDone: number;
  lossSum: number;
  seconds: number;
  history: EpochRecord[];
}

export interface TrainEvents {
  start?(info: {
    epochs: number;
    batchesPerEpoch: number;
    trainCount: number;
    testCount: number;
    resumedFrom: number;
  }): void;
  batch?(info: { epoch: number; batch: number; loss: number; samplesPerSec: number }): void;
  evaluating?(epoch: number): void;
  epoch?(record: EpochRecord): void;
  checkpoint?(where: string): void;
}

const EpochRecordSchema = z.object({
  epoch: z.number().int().positive(),
  loss: z.number(),
  acc1: z.number().min(0).max(100),
  acc2: z.number().min(0).max(100),
  seconds: z.number().nonnegative(),
});

const LoopStateSchema = z.object({
  config: z.unknown(),
  epochsDone: z.number().int().nonnegative(),
  batchesDone: z.number().int().nonnegative(),
  lossSum: z.number(),
  seconds: z.number().nonnegative(),
  history: z.array(EpochRecordSchema),
});

/** The loop state saved in a checkpoint, checked field by field (a RangeError names the bad ones). */
export function parseTrainLoopState(raw: unknown, source: string): LoopState {
  const s = parseConfig(LoopStateSchema, raw, source, 'training loop state');
  return { ...s, config: resolveTrainConfig(s.config, `${source} config`) };
}

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

/** The composition seed is fixed (0) so runs with different training seeds see the same data. */
export function loadMultitaskData(cfg: TrainConfig, which: 'both' | 'test' = 'both'): LoadedData {
  const opts = { seed: 0, dataDir: cfg.dataDir ?? undefined };
  const test = composeMulti(cfg.dataset, 'test', { ...opts, limit: cfg.limitTest ?? undefined });
  const train =
    which === 'both'
      ? composeMulti(cfg.dataset, 'train', { ...opts, limit: cfg.limitTrain ?? undefined })
      : test;
  return { train, test, noise: noiseFor(cfg) };
}

/** Refuses a --batch / --T whose training step cannot fit in memory (before any data is loaded). */
export function checkMultitaskMemory(
  cfg: Pick<TrainConfig, 'model' | 'seed' | 'batch' | 'T'> & { limitTrain?: number | null },
): void {
  const mem = measureStepMemory((T) => {
    const m = createMultitaskModel(cfg.model, new Rng(cfg.seed), { T });
    const [o1, o2] = m.forward(new Tensor(new Float32Array(IMAGE_PIXELS), [1, IMAGE_PIXELS]));
    return add(softmaxCrossEntropy(o1, [0]), softmaxCrossEntropy(o2, [0]));
  });
  checkStepMemory(mem, Math.min(cfg.batch, cfg.limitTrain ?? Infinity), cfg.T, cfg.model);
}

/**
 * A finite loss far above where training started is divergence too (e.g. 5.96e21 after a too
 * large learning rate): this many times the first batch's loss.
 */
export const LOSS_EXPLOSION_FACTOR = 1000;

/**
 * Watches a run's batch losses: the first sets the scale, and a loss that is NaN/Inf or
 * LOSS_EXPLOSION_FACTOR times the first throws TrainingDivergedError, ending with `advice`.
 */
export class DivergenceGuard {
  private first = 0;
  constructor(private readonly advice: string) {}

  check(loss: number, epoch: number, batch: number): void {
    this.first ||= loss;
    if (Number.isFinite(loss) && loss <= LOSS_EXPLOSION_FACTOR * Math.max(1, this.first)) return;
    throw new TrainingDivergedError(
      `training diverged at epoch ${epoch}, batch ${batch}: loss is ${loss}` +
        (Number.isFinite(loss) ? ` (the first batch's was ${this.first.toPrecision(3)})` : '') +
        `. ${this.advice}`,
    );
  }
}

export function metricsDocument(
  cfg: TrainConfig,
  history: EpochRecord[],
  extra: Record<string, unknown> = {},
) {
  return { config: cfg, epochs: history, ...extra };
}

export interface TrainOptions {
  out: string;
  resume: boolean;
  /** Seconds between mid-epoch checkpoints. */
  checkpointEvery?: number;
  events?: TrainEvents;
  data?: LoadedData;
}

export async function trainMultitask(cfg: TrainConfig, opts: TrainOptions): Promise<EpochRecord[]> {
  const ev = opts.events ?? {};
  checkMultitaskMemory(cfg);
  const model = buildModel(cfg);
  const opt = new Adam(model.parameters(), { lr: cfg.lr, weightDecay: cfg.weightDecay });
  const sched = new MultiStepLR(opt, cfg.milestones, cfg.gamma);
  let state: LoopState = { config: cfg, epochsDone: 0, batchesDone: 0, lossSum: 0, seconds: 0, history: [] };
  if (hasCheckpoint(opts.out)) {
    if (!opts.resume) {
      throw new RangeError(
        `${opts.out} already holds a training run; pass --resume to continue it, or choose another --out`,
      );
    }
    // The settings are compared before any tensor is loaded: a checkpoint of another model is
    // reported as such, not as tensors that do not fit.
    const saved = loadCheckpoint(opts.out, model, opt, (raw, source) => {
      const st = parseTrainLoopState(raw, source);
      assertCompatible(st.config, cfg, opts.out);
      return st;
    });
    state = { ...saved, config: cfg };
    sched.setEpoch(state.epochsDone);
  }
  const data = opts.data ?? loadMultitaskData(cfg);
  const { train, test, noise } = data;
  const sampler = new BatchSampler(train.count, cfg.batch, { shuffle: true, seed: cfg.seed });
  ev.start?.({
    epochs: cfg.epochs,
    batchesPerEpoch: sampler.numBatches,
    trainCount: train.count,
    testCount: test.count,
    resumedFrom: state.epochsDone + state.batchesDone / sampler.numBatches,
  });
  const every = (opts.checkpointEvery ?? 120) * 1000;
  const writeOutputs = async (): Promise<void> => {
    await saveCheckpoint(opts.out, model, opt, state);
    await saveModel(opts.out, model, modelMetadata(cfg, state.epochsDone));
    await writeJsonAtomic(join(opts.out, 'metrics.json'), metricsDocument(cfg, state.history));
  };

  const xBuf = batchBuffer(cfg, train);
  // Its scale is this run's first batch (a resumed run's first batch after the checkpoint).
  const divergence = new DivergenceGuard('Try a smaller --lr, or check the input data for NaN/Inf.');
  const stopRequested = interruptPoller();
  model.train();
  for (let epoch = state.epochsDone + 1; epoch <= cfg.epochs; epoch++) {
    let lastSave = Date.now();
    let segmentStart = Date.now(); // wall time is summed per segment so resumed epochs add up
    let b = 0;
    let batchStart = Date.now();
    for (const idx of sampler.batches(epoch)) {
      if (b++ < state.batchesDone) continue; // already trained before the resume
      const n = idx.length;
      const value = trainBatch(model, train, idx, xBuf, noise, opt, (loss) =>
        divergence.check(loss, epoch, b),
      );
      state.batchesDone = b;
      state.lossSum += value;
      const now = Date.now();
      ev.batch?.({ epoch, batch: b, loss: value, samplesPerSec: (1000 * n) / Math.max(1, now - batchStart) });
      batchStart = now;
      const stop = await stopRequested();
      if (stop || now - lastSave >= every) {
        state.seconds += (now - segmentStart) / 1000;
        await saveCheckpoint(opts.out, model, opt, state);
        ev.checkpoint?.(`epoch ${epoch}, batch ${b}`);
        if (stop) throw interruptedAt(opts.out, `epoch ${epoch}, batch ${b}`);
        lastSave = segmentStart = batchStart = Date.now();
      }
    }
    ev.evaluating?.(epoch);
    const { acc1, acc2 } = evaluateAccuracy(model, test, noise);
    state.seconds += (Date.now() - segmentStart) / 1000;
    const record: EpochRecord = {
      epoch,
      loss: state.lossSum / Math.max(1, sampler.numBatches),
      acc1,
      acc2,
      seconds: state.seconds,
    };
    sched.step();
    state = {
      ...state,
      epochsDone: epoch,
      batchesDone: 0,
      lossSum: 0,
      seconds: 0,
      history: [...state.history, record],
    };
    await writeOutputs();
    ev.epoch?.(record);
  }
  if (cfg.epochs <= state.epochsDone && state.history.length) await writeOutputs();
  return state.history;
}

/** A resume must not silently change what is being trained. */
function assertCompatible(saved: TrainConfig, now: TrainConfig, dir: string): void {
  const keys = [
    'model',
    'dataset',
    'batch',
    'seed',
    'T',
    'limitTrain',
    'limitTest',
    'noise',
    'lr',
    'weightDecay',
  ] as const;
  const changed = keys.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(now[k]));
  if (changed.length) {
    throw new RangeError(
      `cannot resume ${dir}: ${changed.map((k) => `${k} was ${JSON.stringify(saved[k])}, now ${JSON.stringify(now[k])}`).join('; ')}`,
    );
  }
}

/** The epoch history of the run in `dir` if it already reached `epochs` (metrics.json), else null. */
export function finishedMultitaskRun(dir: string, epochs: number): EpochRecord[] | null {
  const path = join(dir, 'metrics.json');
  if (!existsSync(path)) return null;
  const doc = readJsonFile(
    path,
    z.looseObject({ epochs: z.array(EpochRecordSchema).default([]) }),
    'metrics',
  );
  const h = doc.epochs;
  return h.length >= epochs ? h.slice(0, epochs) : null;
}

/**
 * The run in `dir`: read back when it already reached cfg.epochs, else trained (resuming its
 * checkpoint if one is there). Sweeps and reproduce use this so a re-run redoes nothing.
 * `data` is called only when training is needed (composing the data set takes seconds).
 */
export async function trainOrReuseMultitask(
  cfg: TrainConfig,
  dir: string,
  opts: {
    data: () => LoadedData;
    onStart?: (reused: boolean) => void;
    onProgress?: (fraction: number) => void;
  },
): Promise<EpochRecord[]> {
  const finished = finishedMultitaskRun(dir, cfg.epochs);
  opts.onStart?.(finished !== null);
  if (finished) return finished;
  await mkdir(dir, { recursive: true });
  let batches = 1;
  return trainMultitask(cfg, {
    out: dir,
    resume: hasCheckpoint(dir),
    data: opts.data(),
    events: {
      start: (i) => (batches = i.batchesPerEpoch * cfg.epochs),
      batch: (b) => opts.onProgress?.(((b.epoch - 1) * (batches / cfg.epochs) + b.batch) / batches),
    },
  });
}
