import type { Command } from 'commander';
import { join } from 'node:path';
import { loadSafetensors } from '../../io/safetensors.js';
import { savedActorConfig } from '../../rl/checkpoint.js';
import { evaluatePolicy } from '../../rl/evaluate.js';
import { withEnv } from '../../rl/pendulums.js';
import { buildAgent } from '../../rl/train.js';
import { MODEL_FILE } from '../../train/checkpoint.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';
import { integer, nonNegativeNumber, positiveInt } from '../options.js';

interface PlayFlags {
  checkpoint: string;
  episodes: number;
  seed: number;
  stateNoise?: number;
  backend?: string;
  json?: boolean;
}

/** `hhnet play`: runs a trained actor (deterministic policy) and reports its environment return. */
export function registerPlay(program: Command): void {
  program
    .command('play')
    .description('run a policy trained by `hhnet train rl` and report its return')
    .requiredOption('--checkpoint <dir>', 'the --out directory of a `train rl` run (reads model.safetensors)')
    .option('--episodes <n>', 'episodes to play', positiveInt, 10)
    .option('--seed <n>', 'seed of the first episode’s start state', integer, 12345)
    .option('--state-noise <σ>', 'observation noise (default: the training run’s)', nonNegativeNumber)
    .option(...BACKEND_FLAG)
    .option('--json', 'print JSON only')
    .action(async (flags: PlayFlags) => {
      selectBackend(flags.backend);
      const path = join(flags.checkpoint, MODEL_FILE);
      const { tensors, metadata } = loadSafetensors(path);
      const { config: cfg, step } = savedActorConfig(metadata, path);
      await withEnv(cfg.env, (env) => {
        const agent = buildAgent(cfg, env);
        agent.actor.loadStateDict(tensors, path);
        const r = evaluatePolicy(agent, env, {
          episodes: flags.episodes,
          seed: flags.seed,
          stateNoise: flags.stateNoise ?? cfg.stateNoise,
          padding: cfg.padding,
        });
        const sd = Math.sqrt(r.returns.reduce((s, x) => s + (x - r.meanReturn) ** 2, 0) / r.returns.length);
        const result = {
          env: cfg.env,
          model: cfg.model,
          trainedSteps: step,
          ...r,
          stdReturn: sd,
        };
        if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
        else
          process.stdout.write(
            `${cfg.model} actor on ${cfg.env} (trained ${step ?? '?'} steps): return ${r.meanReturn.toFixed(1)} ± ${sd.toFixed(1)} over ${flags.episodes} episodes, mean length ${r.meanLength.toFixed(0)}\n`,
          );
      });
    });
}
