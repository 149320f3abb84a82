/**
 * Mutual information through a variational information bottleneck (spec 3.5, paper Fig. 5d).
 *
 * A VibNet (src/models/vib.ts) is trained on the two-task data with
 *   loss = CE₁ + CE₂ + β · KL(N(μ, σ²) ‖ N(0, 1))      (all in nats, averaged over the batch)
 * (the VIB objective of Alemi et al. 2017 with one classifier per task), Adam lr 1e-4,
 * betas (0.5, 0.999), ExponentialLR γ 0.97 per epoch. After every epoch, on the test set:
 *   I(Z;X) ≤ E_x[KL(p(z|x) ‖ N(0, 1))] / ln 2                       (bits)
 *   I(Z;Y_t) ≥ log₂ 10 − E[−ln q(y_t|z)] / ln 2,  z ~ p(z|x) sampled  (bits, per task t)
 * The first holds because the KL to any fixed prior bounds the rate; the second because the head's
 * cross-entropy bounds H(Y|Z) from above, with H(Y) taken as log₂ 10 (balanced classes).
 *
 * Outputs (all atomic): DIR/mi.json, DIR/figures/information-plane.{svg,vl.json}, and a
 * per-epoch (and every few minutes mid-epoch) checkpoint DIR/checkpoint.safetensors for --resume.
 * The batch order and every ε draw are functions of (seed, epoch), so a resumed run equals a
 * straight one.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tidy } from '../tensor/scope.js';
import { z } from 'zod';
import {
  BatchSampler,
  MULTI_KINDS,
  MultiDataset,
  batchLabels,
  composeMulti,
  fillBatch,
} from '../data/multi.js';
import { VIB_K, VIB_MODELS, VibNet, createVibModel } from '../models/vib.js';
import { Adam } from '../optim/adam.js';
import { ExponentialLR } from '../optim/scheduler.js';
import { pathChart, renderSvg } from '../report/charts.js';
import type { VegaLiteSpec } from '../report/charts.js';
import { noGrad } from '../tensor/autograd.js';
import { add, argmaxRows, mean, scale, softmaxCrossEntropy } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { interruptPoller, interruptedAt } from '../util/interrupt.js';
import { CHECKPOINT_FILE, hasCheckpoint, loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { DivergenceGuard, TrainingDivergedError } from '../train/multitask.js';
import { checkStepMemory, measureStepMemory } from '../train/limits.js';
import { IMAGE_PIXELS } from '../models/multitask.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { Rng } from '../util/rng.js';
import { parseConfig } from '../util/config.js';

export const MI_FILE = 'mi.json';
export const INFORMATION_PLANE = 'information-plane';
const LN2 = Math.LN2;
/** H(Y) of a balanced 10-class label, in bits: the ceiling of every I(Z;Y) bound. */
export const LOG2_CLASSES = Math.log2(10);
/** Adam betas of the reference VIB training (spec 3.5). */
export const MI_BETAS: [number, number] = [0.5, 0.999];

export const MiConfigSchema = z
  .object({
    model: z.enum(VIB_MODELS, {
      error: (iss) => `unknown model ${JSON.stringify(iss.input)} (available: ${VIB_MODELS.join(', ')})`,
    }),
    dataset: z.enum(MULTI_KINDS).default('multi-fashion-mnist'),
    epochs: z.number().int().positive().default(10),
    batch: z.number().int().positive().default(128),
    seed: z.number().int().nonnegative().default(0),
    /** Time steps the static image is presented for (spec 3.1: 15). */
    T: z.number().int().positive().default(15),
    /** Bottleneck dimensions (spec 3.5: 256). */
    K: z.number().int().positive().default(VIB_K),
    /** Weight of the KL term in the loss. */
    beta: z.number().nonnegative().finite().default(1e-3),
    lr: z.number().positive().finite().default(1e-4),
    /** ExponentialLR factor per epoch. */
    gamma: z.number().positive().max(1).default(0.97),
    limitTrain: z.number().int().positive().nullable().default(null),
    limitTest: z.number().int().positive().nullable().default(null),
    dataDir: z.string().nullable().default(null),
  })
  .strict();

export type MiConfig = z.output<typeof MiConfigSchema>;

/** Validates a configuration and fills the defaults; errors name the offending field. */
export function resolveMiConfig(input: unknown, source = 'config'): MiConfig {
  return parseConfig(MiConfigSchema, input, source, 'mutual-information configuration');
}

export interface MiEpoch {
  epoch: number;
  /** Upper bound on I(Z;X) in bits (test set). */
  izx: number;
  /** Lower bounds on I(Z;Y) per task in bits (test set). */
  izy: { task1: number; task2: number };
  /** Test accuracies (%) of the heads reading the same sampled z. */
  acc1: number;
  acc2: number;
  /** Mean training loss over the epoch (CE₁ + CE₂ + β·KL, nats). */
  loss: number;
}

export interface MiResult {
  model: string;
  config: MiConfig;
  epochs: MiEpoch[];
}

export interface MiEvents {
  start?(info: {
    epochs: number;
    batchesPerEpoch: number;
    trainCount: number;
    testCount: number;
    resumedFrom: number;
  }): void;
  batch?(info: { epoch: number; batch: number; loss: number; samplesPerSec: number }): void;
  evaluating?(epoch: number): void;
  epoch?(record: MiEpoch, seconds: number): void;
  checkpoint?(where: string): void;
}

export interface MiOptions {
  out: string;
  /** Continue the run checkpointed in out. */
  resume?: boolean;
  /** Start over even if out already holds a run. */
  force?: boolean;
  /** Seconds between mid-epoch checkpoints (default 120). */
  checkpointEvery?: number;
  events?: MiEvents;
  /** Pre-loaded data (tests, or a caller running several models). */
  data?: MiData;
}

export interface MiData {
  train: MultiDataset;
  test: MultiDataset;
}

interface LoopState {
  config: MiConfig;
  epochsDone: number;
  batchesDone: number;
  lossSum: number;
  /** Training ε generator inside an unfinished epoch. */
  rngState: (number | null)[] | null;
  history: MiEpoch[];
}

const MiEpochSchema = z.object({
  epoch: z.number().int().positive(),
  izx: z.number(),
  izy: z.object({ task1: z.number(), task2: z.number() }),
  acc1: z.number().min(0).max(100),
  acc2: z.number().min(0).max(100),
  loss: z.number(),
});

const LoopStateSchema = z.object({
  config: z.unknown(),
  epochsDone: z.number().int().nonnegative(),
  batchesDone: z.number().int().nonnegative(),
  lossSum: z.number(),
  rngState: z.array(z.number().nullable()).nullable(),
  history: z.array(MiEpochSchema),
});

/** The loop state saved in a checkpoint, checked field by field (a RangeError names the bad ones). */
export function parseMiLoopState(raw: unknown, source: string): LoopState {
  const s = parseConfig(LoopStateSchema, raw, source, 'mutual-information loop state');
  return { ...s, config: resolveMiConfig(s.config, `${source} config`) };
}

/** The composition seed is fixed (0) so every training seed sees the same samples. */
export function loadMiData(cfg: MiConfig): MiData {
  const opts = { seed: 0, dataDir: cfg.dataDir ?? undefined };
  return {
    train: composeMulti(cfg.dataset, 'train', { ...opts, limit: cfg.limitTrain ?? undefined }),
    test: composeMulti(cfg.dataset, 'test', { ...opts, limit: cfg.limitTest ?? undefined }),
  };
}

export function buildVibModel(cfg: MiConfig): VibNet {
  return createVibModel(cfg.model, new Rng(cfg.seed), { T: cfg.T, K: cfg.K });
}

/** Refuses a --batch / --T whose training step cannot fit in memory (before any data is loaded). */
function checkVibMemory(cfg: MiConfig): void {
  const mem = measureStepMemory((T) => {
    const rng = new Rng(cfg.seed);
    const m = createVibModel(cfg.model, rng, { T, K: cfg.K });
    const out = m.forward(new Tensor(new Float32Array(IMAGE_PIXELS), [1, IMAGE_PIXELS]), rng);
    const ce = add(softmaxCrossEntropy(out.logits1, [0]), softmaxCrossEntropy(out.logits2, [0]));
    return add(ce, mean(out.kl));
  });
  checkStepMemory(mem, Math.min(cfg.batch, cfg.limitTrain ?? Infinity), cfg.T, `the ${cfg.model} bottleneck`);
}

/** Seeds for the ε streams: training ε of an epoch, and one fixed stream for every evaluation. */
function epsSeed(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0xcc9e2d51) ^ Math.imul(epoch + 7, 0x1b873593) ^ 0x6a09e667) >>> 0;
}

/** The bounds in bits from test-set averages in nats. */
export function miBounds(meanKl: number, meanCe1: number, meanCe2: number): Pick<MiEpoch, 'izx' | 'izy'> {
  return {
    izx: meanKl / LN2,
    izy: { task1: LOG2_CLASSES - meanCe1 / LN2, task2: LOG2_CLASSES - meanCe2 / LN2 },
  };
}

/**
 * Test-set bounds and accuracies. Each image gets one z sample; the ε stream restarts from the
 * same seed at every evaluation, so epochs differ only by the network.
 */
export function evaluateBounds(
  model: VibNet,
  ds: MultiDataset,
  seed: number,
  batchSize = 256,
): Omit<MiEpoch, 'epoch' | 'loss'> {
  if (ds.count === 0) throw new RangeError('mutual information: the test set is empty');
  model.eval();
  const rng = new Rng(epsSeed(seed, -1));
  const pixels = ds.height * ds.width;
  const xBuf = new Float32Array(batchSize * pixels);
  let kl = 0;
  let ce1 = 0;
  let ce2 = 0;
  let c1 = 0;
  let c2 = 0;
  noGrad(() => {
    for (let start = 0; start < ds.count; start += batchSize) {
      const n = Math.min(batchSize, ds.count - start);
      const idx = Int32Array.from({ length: n }, (_, i) => start + i);
      const x = xBuf.subarray(0, n * pixels);
      fillBatch(ds, idx, x);
      const { y1, y2 } = batchLabels(ds, idx);
      // Each batch's activations go back when it is counted (tensor/scope.ts).
      tidy(() => {
        const out = model.forward(new Tensor(x, [n, pixels]), rng);
        for (let i = 0; i < n; i++) kl += out.kl.data[i];
        ce1 += softmaxCrossEntropy(out.logits1, y1).item() * n;
        ce2 += softmaxCrossEntropy(out.logits2, y2).item() * n;
        const p1 = argmaxRows(out.logits1);
        const p2 = argmaxRows(out.logits2);
        for (let i = 0; i < n; i++) {
          c1 += Number(p1[i] === y1[i]);
          c2 += Number(p2[i] === y2[i]);
        }
      });
    }
  });
  model.train();
  const bounds = miBounds(kl / ds.count, ce1 / ds.count, ce2 / ds.count);
  for (const v of [bounds.izx, bounds.izy.task1, bounds.izy.task2]) {
    if (!Number.isFinite(v))
      throw new TrainingDivergedError(`mutual information: a bound is ${v} (the network diverged)`);
  }
  return { ...bounds, acc1: (100 * c1) / ds.count, acc2: (100 * c2) / ds.count };
}

/** The information plane: I(Z;X) bound on x, I(Z;Y) bound on y, one path per task, one point per epoch. */
export function informationPlaneSpec(result: MiResult): VegaLiteSpec {
  const task = (t: 'task1' | 'task2', name: string) => ({
    name,
    points: result.epochs.map((e) => ({ x: e.izx, y: e.izy[t], label: String(e.epoch) })),
  });
  return pathChart({
    title: `Information plane: ${result.model} on ${result.config.dataset} (β = ${result.config.beta})`,
    xLabel: 'I(Z;X) upper bound (bits)',
    yLabel: 'I(Z;Y) lower bound (bits)',
    series: [task('task1', 'task 1'), task('task2', 'task 2')],
  });
}

async function writeOutputs(out: string, result: MiResult): Promise<void> {
  await writeJsonAtomic(join(out, MI_FILE), result);
  const spec = informationPlaneSpec(result);
  const figures = join(out, 'figures');
  await writeJsonAtomic(join(figures, `${INFORMATION_PLANE}.vl.json`), spec);
  await writeFileAtomic(join(figures, `${INFORMATION_PLANE}.svg`), await renderSvg(spec));
}

/** Train the bottleneck network and record the bounds after every epoch. */
export async function runMutualInformation(cfg: MiConfig, opts: MiOptions): Promise<MiResult> {
  const ev = opts.events ?? {};
  if (opts.resume && opts.force) throw new RangeError('choose one of --resume and --force');
  checkVibMemory(cfg);
  const model = buildVibModel(cfg);
  const opt = new Adam(model.parameters(), { lr: cfg.lr, betas: MI_BETAS });
  const sched = new ExponentialLR(opt, cfg.gamma);
  let state: LoopState = {
    config: cfg,
    epochsDone: 0,
    batchesDone: 0,
    lossSum: 0,
    rngState: null,
    history: [],
  };
  const existing = hasCheckpoint(opts.out) || existsSync(join(opts.out, MI_FILE));
  if (existing && !opts.resume && !opts.force) {
    throw new RangeError(
      `${opts.out} already holds a mutual-information run; pass --resume to continue it or --force to start over`,
    );
  }
  if (opts.force) await rm(join(opts.out, CHECKPOINT_FILE), { force: true });
  else if (opts.resume && existing) {
    if (!hasCheckpoint(opts.out))
      throw new RangeError(
        `cannot resume ${opts.out}: no ${CHECKPOINT_FILE} there (use --force to start over)`,
      );
    // The settings are compared before any tensor is loaded: a checkpoint of another model is
    // reported as such, not as tensors that do not fit.
    const saved = loadCheckpoint(opts.out, model, opt, (raw, source) => {
      const st = parseMiLoopState(raw, source);
      assertCompatible(st.config, cfg, opts.out);
      return st;
    });
    state = { ...saved, config: cfg };
    sched.setEpoch(state.epochsDone);
  }
  const { train, test } = opts.data ?? loadMiData(cfg);
  if (train.count === 0) throw new RangeError('mutual information: the training set is empty');
  const sampler = new BatchSampler(train.count, cfg.batch, { shuffle: true, seed: cfg.seed });
  const pixels = train.height * train.width;
  ev.start?.({
    epochs: cfg.epochs,
    batchesPerEpoch: sampler.numBatches,
    trainCount: train.count,
    testCount: test.count,
    resumedFrom: state.epochsDone + state.batchesDone / sampler.numBatches,
  });
  const result = (): MiResult => ({ model: cfg.model, config: cfg, epochs: state.history });
  const every = (opts.checkpointEvery ?? 120) * 1000;
  const stopRequested = interruptPoller();
  const xBuf = new Float32Array(Math.min(cfg.batch, train.count) * pixels);
  const divergence = new DivergenceGuard('Try a smaller --lr or --beta.');
  const firstEpoch = state.epochsDone + 1;
  model.train();
  for (let epoch = firstEpoch; epoch <= cfg.epochs; epoch++) {
    const started = Date.now();
    const rng = new Rng(epsSeed(cfg.seed, epoch));
    if (state.rngState) rng.setState(state.rngState); // resuming inside this epoch
    let lastSave = Date.now();
    let b = 0;
    let batchStart = Date.now();
    for (const idx of sampler.batches(epoch)) {
      if (b++ < state.batchesDone) continue; // trained before the resume
      const n = idx.length;
      const x = xBuf.subarray(0, n * pixels);
      fillBatch(train, idx, x);
      const { y1, y2 } = batchLabels(train, idx);
      // The step's large buffers go back when it ends (tensor/scope.ts).
      const value = tidy(() => {
        const out = model.forward(new Tensor(x, [n, pixels]), rng);
        const ce = add(softmaxCrossEntropy(out.logits1, y1), softmaxCrossEntropy(out.logits2, y2));
        const loss = add(ce, scale(mean(out.kl), cfg.beta));
        const v = loss.item();
        divergence.check(v, epoch, b);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return v;
      });
      state.batchesDone = b;
      state.lossSum += value;
      const now = Date.now();
      ev.batch?.({ epoch, batch: b, loss: value, samplesPerSec: (1000 * n) / Math.max(1, now - batchStart) });
      batchStart = now;
      const stop = await stopRequested();
      if (stop || (now - lastSave >= every && b < sampler.numBatches)) {
        state.rngState = rng.state();
        await saveCheckpoint(opts.out, model, opt, state);
        ev.checkpoint?.(`epoch ${epoch}, batch ${b}`);
        if (stop) throw interruptedAt(opts.out, `epoch ${epoch}, batch ${b}`);
        lastSave = batchStart = Date.now();
      }
    }
    ev.evaluating?.(epoch);
    const bounds = evaluateBounds(model, test, cfg.seed);
    const record: MiEpoch = {
      epoch,
      izx: bounds.izx,
      izy: bounds.izy,
      acc1: bounds.acc1,
      acc2: bounds.acc2,
      loss: state.lossSum / sampler.numBatches,
    };
    sched.step();
    state = {
      ...state,
      epochsDone: epoch,
      batchesDone: 0,
      lossSum: 0,
      rngState: null,
      history: [...state.history, record],
    };
    await saveCheckpoint(opts.out, model, opt, state);
    await writeOutputs(opts.out, result());
    ev.epoch?.(record, (Date.now() - started) / 1000);
  }
  // Nothing left to train (a resume of a finished run): still leave complete outputs behind.
  if (firstEpoch > cfg.epochs && state.history.length) await writeOutputs(opts.out, result());
  return result();
}

/** A resume must not silently change what is being measured (epochs may grow). */
function assertCompatible(saved: MiConfig, now: MiConfig, dir: string): void {
  const keys = [
    'model',
    'dataset',
    'batch',
    'seed',
    'T',
    'K',
    'beta',
    'lr',
    'gamma',
    'limitTrain',
    'limitTest',
  ] as const;
  const changed = keys.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(now[k]));
  if (changed.length) {
    throw new RangeError(
      `cannot resume ${dir}: ${changed.map((k) => `${k} was ${JSON.stringify(saved[k])}, now ${JSON.stringify(now[k])}`).join('; ')}`,
    );
  }
}
