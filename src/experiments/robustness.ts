/**
 * Robustness (spec 3.3): the same networks trained and tested under noise. Multi-task: one fixed
 * noise image A·N(0, 1) added to every train and test image, for each amplitude A. RL: Gaussian
 * noise on the observations and on the training reward. Every run keeps its own directory
 * (runs/NAME) with checkpoints, so a killed sweep resumes where it stopped and finished runs are
 * read back, not redone.
 */
import { basename, join } from 'node:path';
import { MultitaskModelName } from '../models/multitask.js';
import { TrainConfig, resolveTrainConfig } from '../train/config.js';
import { LoadedData, loadMultitaskData, noiseFor, trainOrReuseMultitask } from '../train/multitask.js';
import { RlConfig, resolveRlConfig } from '../rl/config.js';
import { ActorKind } from '../rl/networks.js';
import { EnvName } from '../rl/pendulums.js';
import { EvalRecord, trainOrReuseRl } from '../rl/train.js';
import { VegaLiteSpec, barChart, concatCharts, lineChart } from '../report/charts.js';

export interface RunEvents {
  /** A run is starting (index of total), or was found finished. */
  run?(info: { name: string; index: number; total: number; reused: boolean }): void;
  /** Fraction of the current run done. */
  progress?(fraction: number): void;
}

export interface MultitaskRobustnessOptions {
  models: MultitaskModelName[];
  noise: number[];
  epochs: number;
  seed: number;
  dataset?: string;
  limitTrain?: number | null;
  limitTest?: number | null;
  dataDir?: string | null;
  batch?: number;
  T?: number;
}

export interface MultitaskRobustnessRow {
  model: MultitaskModelName;
  noise: number;
  acc1: number;
  acc2: number;
  epochs: number;
}

export interface MultitaskRobustnessResult {
  kind: 'multitask';
  options: MultitaskRobustnessOptions;
  results: MultitaskRobustnessRow[];
}

function checkList(name: string, xs: unknown[]): void {
  if (xs.length === 0) throw new RangeError(`robustness: --${name} needs at least one value`);
}

export async function multitaskRobustness(
  opts: MultitaskRobustnessOptions,
  out: string,
  events: RunEvents = {},
): Promise<MultitaskRobustnessResult> {
  checkList('models', opts.models);
  checkList('noise', opts.noise);
  for (const a of opts.noise)
    if (!(a >= 0)) throw new RangeError(`robustness: noise amplitudes must be ≥ 0, got ${a}`);
  const configs = multitaskRobustnessRuns(opts, out);
  let data: LoadedData | null = null; // composed once, only if some run still has to train
  const results: MultitaskRobustnessRow[] = [];
  for (const [index, { cfg, dir }] of configs.entries()) {
    const name = basename(dir);
    const history = await trainOrReuseMultitask(cfg, dir, {
      data: () => {
        data ??= loadMultitaskData({ ...cfg, noise: 0 });
        return { ...data, noise: noiseFor(cfg) };
      },
      onStart: (reused) => events.run?.({ name, index, total: configs.length, reused }),
      onProgress: events.progress,
    });
    const last = history[history.length - 1];
    results.push({
      model: cfg.model,
      noise: cfg.noise,
      acc1: last.acc1,
      acc2: last.acc2,
      epochs: last.epoch,
    });
  }
  return { kind: 'multitask', options: opts, results };
}

/** The runs of a multi-task robustness study: every model × noise, in OUT/runs/MODEL-noiseA. */
export function multitaskRobustnessRuns(
  opts: MultitaskRobustnessOptions,
  out: string,
): { cfg: TrainConfig; dir: string }[] {
  const configs: TrainConfig[] = [];
  for (const model of opts.models)
    for (const noise of opts.noise)
      configs.push(
        resolveTrainConfig(
          {
            model,
            epochs: opts.epochs,
            seed: opts.seed,
            noise,
            dataset: opts.dataset,
            limitTrain: opts.limitTrain ?? null,
            limitTest: opts.limitTest ?? null,
            dataDir: opts.dataDir ?? null,
            batch: opts.batch,
            T: opts.T,
          },
          'robustness settings',
        ),
      );
  return configs.map((cfg) => ({ cfg, dir: join(out, 'runs', `${cfg.model}-noise${cfg.noise}`) }));
}

export function multitaskRobustnessFigure(r: MultitaskRobustnessResult): VegaLiteSpec {
  const panel = (task: 'acc1' | 'acc2', label: string): VegaLiteSpec =>
    lineChart({
      title: `${label} accuracy under input noise`,
      xLabel: 'noise amplitude A (fixed image A·N(0,1))',
      yLabel: 'test accuracy (%)',
      points: true,
      width: 320,
      series: [...new Set(r.results.map((x) => x.model))].map((model) => {
        const rows = r.results.filter((x) => x.model === model).sort((a, b) => a.noise - b.noise);
        return { name: model, x: rows.map((x) => x.noise), y: rows.map((x) => x[task]) };
      }),
    });
  return concatCharts([panel('acc1', 'Task 1 (digit)'), panel('acc2', 'Task 2 (fashion)')], 2);
}

export interface RlRobustnessOptions {
  env: EnvName;
  models: ActorKind[];
  stateNoise: number[];
  rewardNoise: number[];
  steps: number;
  seed: number;
  warmup?: number;
  evalEvery?: number;
}

export interface RlCondition {
  label: string;
  stateNoise: number;
  rewardNoise: number;
}

export interface RlRobustnessRow extends RlCondition {
  model: ActorKind;
  /** Mean evaluation return of the last evaluation (deterministic policy, environment reward). */
  finalReturn: number;
  evals: EvalRecord[];
}

export interface RlRobustnessResult {
  kind: 'rl';
  options: RlRobustnessOptions;
  results: RlRobustnessRow[];
}

/** The clean baseline, then each state-noise σ alone, then each reward-noise σ alone. */
export function rlConditions(stateNoise: number[], rewardNoise: number[]): RlCondition[] {
  const out: RlCondition[] = [{ label: 'clean', stateNoise: 0, rewardNoise: 0 }];
  for (const s of stateNoise) if (s > 0) out.push({ label: `state σ ${s}`, stateNoise: s, rewardNoise: 0 });
  for (const r of rewardNoise) if (r > 0) out.push({ label: `reward σ ${r}`, stateNoise: 0, rewardNoise: r });
  return out;
}

export async function rlRobustness(
  opts: RlRobustnessOptions,
  out: string,
  events: RunEvents = {},
): Promise<RlRobustnessResult> {
  const runs = rlRobustnessRuns(opts, out);
  const results: RlRobustnessRow[] = [];
  for (const [index, { cfg, cond, dir }] of runs.entries()) {
    const name = basename(dir);
    const { evals } = await trainOrReuseRl(cfg, dir, {
      onStart: (reused) => events.run?.({ name, index, total: runs.length, reused }),
      onProgress: events.progress,
    });
    results.push({ ...cond, model: cfg.model, finalReturn: evals[evals.length - 1].meanReturn, evals });
  }
  return { kind: 'rl', options: opts, results };
}

/** The runs of an RL robustness study: every actor × condition, in OUT/runs/MODEL-stateS-rewardR. */
export function rlRobustnessRuns(
  opts: RlRobustnessOptions,
  out: string,
): { cfg: RlConfig; cond: RlCondition; dir: string }[] {
  checkList('models', opts.models);
  const runs: { cfg: RlConfig; cond: RlCondition; dir: string }[] = [];
  for (const model of opts.models)
    for (const cond of rlConditions(opts.stateNoise, opts.rewardNoise)) {
      const cfg = resolveRlConfig(
        {
          env: opts.env,
          model,
          steps: opts.steps,
          seed: opts.seed,
          stateNoise: cond.stateNoise,
          rewardNoise: cond.rewardNoise,
          warmup: opts.warmup,
          evalEvery: opts.evalEvery,
        },
        'robustness settings',
      );
      runs.push({
        cfg,
        cond,
        dir: join(out, 'runs', `${cfg.model}-state${cfg.stateNoise}-reward${cfg.rewardNoise}`),
      });
    }
  return runs;
}

export function rlRobustnessFigure(r: RlRobustnessResult): VegaLiteSpec {
  return barChart({
    title: `${r.options.env}: final evaluation return under noise`,
    xLabel: 'condition',
    yLabel: 'mean return (10 episodes, environment reward)',
    bars: r.results.map((x) => ({ label: x.label, value: x.finalReturn, group: x.model })),
  });
}
