import type { Command } from 'commander';
import { log, progressBar } from '../progress-bar.js';
import { resolveRlConfig } from '../../rl/config.js';
import { ACTOR_KINDS } from '../../rl/networks.js';
import { ENV_NAMES } from '../../rl/pendulums.js';
import { trainRl } from '../../rl/train.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';
import { integer, nonNegativeNumber, oneOf, positiveInt, positiveNumber } from '../options.js';
import { claimRunDir } from '../output.js';
import { CHECKPOINT_FILE } from '../../train/checkpoint.js';
import { catchInterrupts } from '../../util/interrupt.js';

interface TrainRlFlags {
  env: string;
  model: string;
  steps: number;
  seed: number;
  warmup?: number;
  batch?: number;
  stateNoise: number;
  rewardNoise: number;
  reward?: string;
  autoAlpha?: boolean;
  alpha?: number;
  lr?: number;
  padding?: string;
  evalEvery: number;
  evalEpisodes: number;
  resume?: boolean;
  force?: boolean;
  checkpointEvery: number;
  backend?: string;
  quiet?: boolean;
  out: string;
}

/** `hhnet train rl`: SAC with a spiking actor on the MuJoCo pendulums (spec 3.2). */
export function registerTrainRl(train: Command): void {
  train
    .command('rl')
    .description(
      'Soft Actor-Critic with a spiking actor on a MuJoCo pendulum; writes rl.json, model.safetensors and a checkpoint',
    )
    .option('--env <name>', `environment: ${ENV_NAMES.join(', ')}`, oneOf(ENV_NAMES), 'inverted-pendulum')
    .option('--model <name>', `actor: ${ACTOR_KINDS.join(', ')}`, oneOf(ACTOR_KINDS), 'hh')
    .option('--steps <n>', 'environment steps (the study: ~300k)', positiveInt, 50000)
    .option('--seed <n>', 'seed for networks, exploration and environment', integer, 0)
    .option('--warmup <n>', 'uniformly random steps before the policy acts (default 2000)', positiveInt)
    .option('--batch <n>', 'update batch size (default 64)', positiveInt)
    .option(
      '--state-noise <σ>',
      'Gaussian noise on the observations (robustness: 0.002)',
      nonNegativeNumber,
      0,
    )
    .option(
      '--reward-noise <σ>',
      'Gaussian noise on the training reward (robustness: 0.1)',
      nonNegativeNumber,
      0,
    )
    .option(
      '--reward <kind>',
      'training reward: env or shaped (default: shaped for the double pendulum)',
      oneOf(['env', 'shaped']),
    )
    .option('--alpha <x>', 'entropy temperature α (default 0.2)', positiveNumber)
    .option('--auto-alpha', 'tune α automatically towards entropy −|A|')
    .option('--lr <x>', 'Adam learning rate of actor and critics (default 3e-4)', positiveNumber)
    .option(
      '--padding <kind>',
      'history before the first observation: zero or repeat',
      oneOf(['zero', 'repeat']),
    )
    .option('--eval-every <n>', 'steps between evaluations (deterministic policy)', positiveInt, 5000)
    .option('--eval-episodes <n>', 'episodes per evaluation', positiveInt, 10)
    .option('--resume', 'continue the run saved in --out')
    .option('--force', 'replace the results --out already holds')
    .option('--checkpoint-every <s>', 'seconds between checkpoints', positiveNumber, 60)
    .option(...BACKEND_FLAG)
    .option('--quiet', 'no progress output')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (flags: TrainRlFlags) => {
      catchInterrupts();
      selectBackend(flags.backend);
      const cfg = resolveRlConfig(
        {
          env: flags.env,
          model: flags.model,
          steps: flags.steps,
          seed: flags.seed,
          warmup: flags.warmup,
          batch: flags.batch,
          stateNoise: flags.stateNoise,
          rewardNoise: flags.rewardNoise,
          reward: flags.reward,
          alpha: flags.alpha,
          autoAlpha: flags.autoAlpha ?? false,
          lr: flags.lr,
          padding: flags.padding,
          evalEvery: flags.evalEvery,
          evalEpisodes: flags.evalEpisodes,
        },
        'command-line flags',
      );
      const mode = await claimRunDir(flags.out, {
        resume: flags.resume,
        force: flags.force,
        checkpoint: CHECKPOINT_FILE,
      });
      const bar = flags.quiet
        ? null
        : progressBar(
            'steps [{bar}] {value}/{total} | {sps} steps/s | recent return {ret} | eval {ev} | ETA {eta_formatted}',
          );
      let lastEval = '-';
      const doc = await trainRl(cfg, {
        out: flags.out,
        resume: mode === 'resume',
        checkpointEvery: flags.checkpointEvery,
        events: {
          start: (i) => {
            log(
              flags.quiet,
              `SAC, ${cfg.model} actor on ${cfg.env}: ${cfg.steps} steps (${cfg.warmup} random warm-up), seed ${cfg.seed}` +
                (i.resumedFrom > 0 ? `, resuming at step ${i.resumedFrom}` : ''),
            );
            bar?.start(cfg.steps, i.resumedFrom, { sps: '-', ret: '-', ev: lastEval });
          },
          step: (s) =>
            bar?.update(s.step, {
              sps: s.stepsPerSec.toFixed(0),
              ret: s.recentReturn?.toFixed(1) ?? '-',
              ev: lastEval,
            }),
          evaluation: (e) => {
            lastEval = e.meanReturn.toFixed(1);
            if (!bar)
              log(
                flags.quiet,
                `step ${e.step}: evaluation return ${e.meanReturn.toFixed(1)} (length ${e.meanLength.toFixed(0)})`,
              );
          },
        },
      });
      bar?.stop();
      const last = doc.evals[doc.evals.length - 1];
      process.stdout.write(
        `${cfg.model} on ${cfg.env}: evaluation return ${last.meanReturn.toFixed(1)} (mean of ${cfg.evalEpisodes} episodes) after ${doc.stepsDone} steps; wrote ${flags.out}/rl.json and model.safetensors\n`,
      );
    });
}
