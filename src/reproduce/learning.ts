/**
 * The learning parts of reproduce: multi-task classification (spec 3.1), robustness (3.3) and
 * SAC on the pendulums (3.2). Each trains through the same functions as the CLI commands, with its
 * checkpoints under the part's own directory, so a killed reproduce resumes inside a part too.
 */
import { join } from 'node:path';
import { multitaskRobustness, rlRobustness } from '../experiments/robustness.js';
import type { MultitaskRobustnessResult, RlRobustnessResult } from '../experiments/robustness.js';
import { MultitaskModelName } from '../models/multitask.js';
import { resolveTrainConfig } from '../train/config.js';
import type { TrainConfig } from '../train/config.js';
import { EpochRecord, loadMultitaskData, trainOrReuseMultitask } from '../train/multitask.js';
import { resolveRlConfig } from '../rl/config.js';
import type { RlConfig } from '../rl/config.js';
import { ActorKind } from '../rl/networks.js';
import { EnvName } from '../rl/pendulums.js';
import { EpisodeRecord, EvalRecord, trainOrReuseRl } from '../rl/train.js';
import type { PartContext } from './runner.js';
import type { MultitaskPlan, Plan, RlRunPlan } from './plan.js';

export interface MultitaskPart {
  plan: MultitaskPlan;
  models: { model: MultitaskModelName; epochs: EpochRecord[]; final: EpochRecord }[];
}

/** The part's runs: one per model, in DIR/MODEL (also what `reproduce --queue` enqueues). */
export function multitaskPartRuns(plan: MultitaskPlan, dir: string): { cfg: TrainConfig; dir: string }[] {
  const { models, ...settings } = plan;
  return models.map((model) => ({
    cfg: resolveTrainConfig({ model, ...settings }, 'reproduce plan'),
    dir: join(dir, model),
  }));
}

export async function runMultitaskPart(plan: MultitaskPlan, ctx: PartContext): Promise<MultitaskPart> {
  const models: MultitaskPart['models'] = [];
  let data: ReturnType<typeof loadMultitaskData> | null = null;
  for (const [i, { cfg, dir }] of multitaskPartRuns(plan, ctx.dir).entries()) {
    const model = cfg.model;
    ctx.stage(`${model} (${i + 1}/${plan.models.length})`);
    const epochs = await trainOrReuseMultitask(cfg, dir, {
      data: () => (data ??= loadMultitaskData(cfg)),
      onStart: (reused) => reused && ctx.stage(`${model}: finished run read back from ${dir}`),
      onProgress: (f) => ctx.progress((i + f) / plan.models.length),
    });
    models.push({ model, epochs, final: epochs[epochs.length - 1] });
  }
  return { plan, models };
}

export function runRobustnessPart(
  plan: Plan['robustness'],
  ctx: PartContext,
): Promise<MultitaskRobustnessResult> {
  const { models, noise, ...rest } = plan;
  return multitaskRobustness({ models, noise, seed: 0, ...rest }, ctx.dir, {
    run: (r) => ctx.stage(`${r.name} (${r.index + 1}/${r.total})${r.reused ? ', reused' : ''}`),
    progress: (f) => ctx.progress(f),
  });
}

export interface RlRun {
  env: EnvName;
  model: ActorKind;
  steps: number;
  evals: EvalRecord[];
  episodes: EpisodeRecord[];
  finalReturn: number;
  bestReturn: number;
  seconds: number;
}

export interface RlPart {
  plan: RlRunPlan[];
  runs: RlRun[];
}

/** The part's runs: one per environment and actor, in DIR/ENV-MODEL. */
export function rlPartRuns(plans: RlRunPlan[], dir: string): { cfg: RlConfig; dir: string }[] {
  return plans.flatMap((p) =>
    p.models.map((model) => ({
      cfg: resolveRlConfig(
        { env: p.env, model, steps: p.steps, warmup: p.warmup, evalEvery: p.evalEvery, seed: 0 },
        'reproduce plan',
      ),
      dir: join(dir, `${p.env}-${model}`),
    })),
  );
}

export async function runRlPart(plans: RlRunPlan[], ctx: PartContext): Promise<RlPart> {
  const runs: RlRun[] = [];
  const jobs = rlPartRuns(plans, ctx.dir);
  for (const [i, { cfg, dir }] of jobs.entries()) {
    const model = cfg.model;
    const p = { env: cfg.env };
    ctx.stage(`${p.env}, ${model} actor (${i + 1}/${jobs.length})`);
    const doc = await trainOrReuseRl(cfg, dir, {
      onStart: (reused) => reused && ctx.stage(`${p.env}, ${model}: finished run read back from ${dir}`),
      onProgress: (f) => ctx.progress((i + f) / jobs.length),
    });
    const returns = doc.evals.map((e) => e.meanReturn);
    runs.push({
      env: p.env,
      model,
      steps: cfg.steps,
      evals: doc.evals,
      episodes: doc.episodes,
      finalReturn: returns[returns.length - 1],
      bestReturn: Math.max(...returns),
      seconds: doc.seconds,
    });
  }
  return { plan: plans, runs };
}

export function runRlRobustnessPart(
  plan: Plan['rlRobustness'],
  ctx: PartContext,
): Promise<RlRobustnessResult> {
  return rlRobustness({ ...plan, seed: 0 }, ctx.dir, {
    run: (r) => ctx.stage(`${r.name} (${r.index + 1}/${r.total})${r.reused ? ', reused' : ''}`),
    progress: (f) => ctx.progress(f),
  });
}
