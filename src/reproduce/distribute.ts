/**
 * `hhnet reproduce --queue URL`: the training runs of the learning parts (multi-task, robustness,
 * RL, RL robustness, beyond, the ablation sweeps) are trained first by `hhnet worker`s over the
 * job queue, each as the `hhnet train …` command that writes exactly the run directory the part
 * would write in-process; then reproduce runs as usual and every part finds its runs finished and
 * reads them back. The dynamics, resources and mutual-information parts are short and stay
 * in-process. Run directories live under DIR/runs, which the workers must share (`--runs-dir`
 * where it is mounted elsewhere).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { multitaskRobustnessRuns, rlRobustnessRuns } from '../experiments/robustness.js';
import { resolveRlConfig } from '../rl/config.js';
import type { RlConfig } from '../rl/config.js';
import { finishedRlRun } from '../rl/train.js';
import type { TrainConfig } from '../train/config.js';
import { finishedMultitaskRun } from '../train/multitask.js';
import { beyondRuns } from './beyond.js';
import { multitaskPartRuns, rlPartRuns } from './learning.js';
import type { Plan } from './plan.js';
import { runQueued } from './queue.js';
import type { CoordinatorDeps, QueuedRun, QueueTuning } from './queue.js';
import { finishedRun, planSweep } from './sweep.js';
import type { SweepConfig } from './sweep.js';

/** `hhnet train multitask` flags that reproduce the configuration exactly. */
export function trainArgs(cfg: TrainConfig): string[] {
  if (cfg.gamma !== 0.1)
    throw new RangeError(`a run with MultiStepLR gamma ${cfg.gamma} has no CLI flag (the CLI uses 0.1)`);
  return [
    'train',
    'multitask',
    ...['--model', cfg.model, '--dataset', cfg.dataset, '--epochs', String(cfg.epochs)],
    ...['--batch', String(cfg.batch), '--seed', String(cfg.seed), '--T', String(cfg.T)],
    ...(cfg.limitTrain === null ? [] : ['--limit-train', String(cfg.limitTrain)]),
    ...(cfg.limitTest === null ? [] : ['--limit-test', String(cfg.limitTest)]),
    ...['--noise', String(cfg.noise)],
    ...(cfg.dataDir === null ? [] : ['--data-dir', cfg.dataDir]),
    ...['--lr', String(cfg.lr), '--weight-decay', String(cfg.weightDecay)],
    ...['--milestones', cfg.milestones.join(',')],
  ];
}

/** Fields of an RL configuration that `hhnet train rl` has no flag for: they must be the defaults. */
const RL_FIXED = [
  'replay',
  'gamma',
  'tau',
  'window',
  'repeats',
  'hidden',
  'branchHidden',
  'criticHidden',
] as const;

/** `hhnet train rl` flags that reproduce the configuration exactly. */
export function rlArgs(cfg: RlConfig): string[] {
  const defaults = resolveRlConfig(
    { env: cfg.env, model: cfg.model, steps: cfg.steps, warmup: cfg.warmup, batch: cfg.batch },
    'defaults',
  );
  for (const k of RL_FIXED)
    if (cfg[k] !== defaults[k])
      throw new RangeError(`an RL run with ${k} ${cfg[k]} has no CLI flag (the CLI uses ${defaults[k]})`);
  return [
    'train',
    'rl',
    ...['--env', cfg.env, '--model', cfg.model, '--steps', String(cfg.steps), '--seed', String(cfg.seed)],
    ...['--warmup', String(cfg.warmup), '--batch', String(cfg.batch), '--lr', String(cfg.lr)],
    ...['--state-noise', String(cfg.stateNoise), '--reward-noise', String(cfg.rewardNoise)],
    ...['--reward', cfg.reward, '--alpha', String(cfg.alpha), ...(cfg.autoAlpha ? ['--auto-alpha'] : [])],
    ...['--padding', cfg.padding, '--eval-every', String(cfg.evalEvery)],
    ...['--eval-episodes', String(cfg.evalEpisodes)],
  ];
}

/** A run of reproduce that a worker can train. */
export interface ReproduceRun extends QueuedRun {
  /** Absolute run directory. */
  dir: string;
  /** Whether the directory already holds the finished run. */
  finished(): boolean;
  /** Why the finished run does not belong to this plan (another configuration), or null. */
  mismatch(): string | null;
}

/** The first field where the run's saved configuration differs from the plan's, or null. */
function configMismatch(dir: string, file: string, want: Record<string, unknown>): string | null {
  const path = join(dir, file);
  if (!existsSync(path)) return `${path} is missing`;
  let have: Record<string, unknown>;
  try {
    have = ((JSON.parse(readFileSync(path, 'utf8')) as { config?: Record<string, unknown> }).config ??
      {}) as Record<string, unknown>;
  } catch {
    return `${path} is not readable JSON`;
  }
  for (const [k, v] of Object.entries(want))
    if (JSON.stringify(have[k]) !== JSON.stringify(v))
      return `${path}: ${k} is ${JSON.stringify(have[k])}, the plan has ${JSON.stringify(v)}`;
  return null;
}

function sweepRuns(config: SweepConfig, out: string, runsRoot: string, part: string): ReproduceRun[] {
  return planSweep(config).map((run) => {
    const dir = join(out, 'runs', run.id);
    const done = (): boolean => finishedRun(dir, run, config) !== null;
    return {
      runId: `${part}/${run.id}`,
      args: run.args,
      runPath: relative(runsRoot, dir),
      dir,
      finished: done,
      mismatch: () => (done() ? null : `${dir} has no finished run`),
    };
  });
}

/**
 * Every training run of the plan's learning parts (skipping parts already saved in DIR/parts),
 * with the flags that train it and its directory under DIR/runs.
 */
export function reproduceRuns(plan: Plan, out: string, partSaved: (part: string) => boolean): ReproduceRun[] {
  const root = resolve(out, 'runs');
  const partDir = (part: string) => join(root, part);
  const runs: ReproduceRun[] = [];
  const multitask = (part: string, list: { cfg: TrainConfig; dir: string }[]) => {
    for (const { cfg, dir } of list)
      runs.push({
        runId: `${part}/${relative(partDir(part), dir)}`,
        args: trainArgs(cfg),
        runPath: relative(root, dir),
        dir,
        finished: () => finishedMultitaskRun(dir, cfg.epochs) !== null,
        mismatch: () => configMismatch(dir, 'metrics.json', cfg),
      });
  };
  const rl = (part: string, list: { cfg: RlConfig; dir: string }[]) => {
    for (const { cfg, dir } of list)
      runs.push({
        runId: `${part}/${relative(partDir(part), dir)}`,
        args: rlArgs(cfg),
        runPath: relative(root, dir),
        dir,
        finished: () => finishedRlRun(dir, cfg.steps) !== null,
        mismatch: () => configMismatch(dir, 'rl.json', cfg),
      });
  };
  if (!partSaved('multitask'))
    multitask('multitask', multitaskPartRuns(plan.multitask, partDir('multitask')));
  if (!partSaved('robustness')) {
    const { models, noise, ...rest } = plan.robustness;
    multitask(
      'robustness',
      multitaskRobustnessRuns({ models, noise, seed: 0, ...rest }, partDir('robustness')),
    );
  }
  if (!partSaved('rl')) rl('rl', rlPartRuns(plan.rl, partDir('rl')));
  if (!partSaved('rl-robustness'))
    rl('rl-robustness', rlRobustnessRuns({ ...plan.rlRobustness, seed: 0 }, partDir('rl-robustness')));
  if (!partSaved('beyond')) multitask('beyond', beyondRuns(plan.beyond, partDir('beyond')));
  if (!partSaved('ablation')) {
    runs.push(
      ...sweepRuns(plan.ablation.multitask, join(partDir('ablation'), 'multitask'), root, 'ablation'),
    );
    if (plan.ablation.rl)
      runs.push(...sweepRuns(plan.ablation.rl, join(partDir('ablation'), 'rl'), root, 'ablation'));
  }
  return runs;
}

export class QueuedRunsFailed extends Error {
  override name = 'QueuedRunsFailed';
}

/**
 * Trains every unfinished run of the plan over the queue and waits for all of them; throws naming
 * each run that failed for good (with its reason) or that finished with another configuration.
 */
export async function trainOverQueue(
  plan: Plan,
  out: string,
  url: string,
  partSaved: (part: string) => boolean,
  deps: CoordinatorDeps,
  tuning: QueueTuning = {},
): Promise<{ total: number; queued: number }> {
  const runs = reproduceRuns(plan, out, partSaved);
  const pending = runs.filter((r) => !r.finished());
  deps.log(`${runs.length - pending.length} of ${runs.length} training runs already finished`);
  const failures = pending.length
    ? await runQueued(pending, resolve(out, 'runs'), url, deps, tuning)
    : new Map<string, string>();
  const problems = [
    ...[...failures].map(([run, why]) => `${run}: ${why}`),
    ...runs.flatMap((r) => {
      if (failures.has(r.runId)) return [];
      const why = r.mismatch();
      return why ? [`${r.runId}: ${why}`] : [];
    }),
  ];
  if (problems.length)
    throw new QueuedRunsFailed(
      `${problems.length} run(s) did not finish as planned:\n  ${problems.join('\n  ')}\n` +
        'the finished runs are kept; the same command enqueues the rest again',
    );
  return { total: runs.length, queued: pending.length };
}
