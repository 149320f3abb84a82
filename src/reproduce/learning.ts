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
import { EpochRecord, loadMultitaskData, trainOrReuseMultitask } from '../train/multitask.js';
import { resolveRlConfig } from '../rl/config.js';
import { ActorKind } from '../rl/networks.js';
import { EnvName } from '../rl/pendulums.js';
import { EpisodeRecord, EvalRecord, trainOrReuseRl } from '../rl/train.js';
import type { PartContext } from './runner.js';
import type { MultitaskPlan, Plan, RlRunPlan } from './plan.js';

export interface MultitaskPart {
  plan: MultitaskPlan;
  models: { model: MultitaskModelName; epochs: EpochRecord[]; final: EpochRecord }[];
}

export async function runMultitaskPart(plan: MultitaskPlan, ctx: PartContext): Promise<MultitaskPart> {
  const models: MultitaskPart['models'] = [];
  let data: ReturnType<typeof loadMultitaskData> | null = null;
  for (const [i, model] of plan.models.entries()) {
    const { models: _all, ...settings } = plan;
    const cfg = resolveTrainConfig({ model, ...settings }, 'reproduce plan');
    ctx.stage(`${model} (${i + 1}/${plan.models.length})`);
    const epochs = await trainOrReuseMultitask(cfg, join(ctx.dir, model), {
      data: () => (data ??= loadMultitaskData(cfg)),
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

export async function runRlPart(plans: RlRunPlan[], ctx: PartContext): Promise<RlPart> {
  const runs: RlRun[] = [];
  const jobs = plans.flatMap((p) => p.models.map((model) => ({ p, model })));
  for (const [i, { p, model }] of jobs.entries()) {
    const cfg = resolveRlConfig(
      { env: p.env, model, steps: p.steps, warmup: p.warmup, evalEvery: p.evalEvery, seed: 0 },
      'reproduce plan',
    );
    ctx.stage(`${p.env}, ${model} actor (${i + 1}/${jobs.length})`);
    const doc = await trainOrReuseRl(cfg, join(ctx.dir, `${p.env}-${model}`), {
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
