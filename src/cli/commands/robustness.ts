import type { Command } from 'commander';
import { join } from 'node:path';
import { MULTI_KINDS } from '../../data/multi.js';
import {
  RunEvents,
  multitaskRobustness,
  multitaskRobustnessFigure,
  rlRobustness,
  rlRobustnessFigure,
} from '../../experiments/robustness.js';
import { MULTITASK_MODELS, MultitaskModelName } from '../../models/multitask.js';
import { ACTOR_KINDS, ActorKind } from '../../rl/networks.js';
import { ENV_NAMES, EnvName } from '../../rl/pendulums.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';
import { integer, nonNegativeList, oneOf, positiveInt } from '../options.js';
import { UserError, prepareOutDir, writeSvg } from '../output.js';
import { Progress } from '../../util/progress.js';
import { catchInterrupts } from '../../util/interrupt.js';

/** Parses a comma list and checks every entry against the allowed names. */
function nameList<T extends string>(flag: string, allowed: readonly T[]): (value: string) => T[] {
  return (value) => {
    const names = value.split(',').map((s) => s.trim());
    const bad = names.filter((n) => !(allowed as readonly string[]).includes(n));
    if (bad.length || names.length === 0)
      throw new UserError(
        `--${flag}: unknown ${bad.map((n) => n || '""').join(', ')} (available: ${allowed.join(', ')})`,
      );
    return names as T[];
  };
}

function runEvents(progress: Progress): RunEvents {
  let current = '';
  return {
    run: (i) => {
      current = `run ${i.index + 1}/${i.total} ${i.name}`;
      progress.stage(i.reused ? `${current}: finished earlier, read back` : `${current}: training`);
    },
    progress: (f) => progress.update(current, f),
  };
}

async function writeOutputs(
  out: string,
  name: string,
  result: unknown,
  spec: Record<string, unknown>,
): Promise<void> {
  await writeJsonAtomic(join(out, `${name}.json`), result);
  await prepareOutDir(join(out, 'figures'));
  await writeJsonAtomic(join(out, 'figures', `${name}.vl.json`), spec);
  await writeSvg(join(out, 'figures'), `${name}.svg`, spec);
}

export function registerRobustness(program: Command): void {
  const cmd = program.command('robustness').description('train and test under noise (spec 3.3)');
  cmd
    .command('multitask')
    .description(
      'multi-task accuracy with a fixed noise image A·N(0,1) on every input, per model and amplitude',
    )
    .option(
      '--models <list>',
      `comma-separated (default ${['hh-fc', 'lif-fc', '4lif-fc', 'slif2hh-fc'].join(',')})`,
    )
    .option('--noise <list>', 'noise amplitudes A', nonNegativeList, [0, 25, 50, 75])
    .option('--epochs <n>', 'epochs per run', positiveInt, 1)
    .option('--limit-train <n>', 'first N training samples', positiveInt)
    .option('--limit-test <n>', 'first N test samples', positiveInt)
    .option(
      '--dataset <name>',
      `dataset: ${MULTI_KINDS.join(', ')}`,
      oneOf(MULTI_KINDS),
      'multi-fashion-mnist',
    )
    .option('--data-dir <dir>', 'Fashion-MNIST IDX directory')
    .option('--seed <n>', 'seed', integer, 0)
    .option(...BACKEND_FLAG)
    .option('--quiet', 'no progress output')
    .requiredOption('--out <dir>', 'output directory (runs/ keeps each run; finished runs are reused)')
    .action(
      async (f: {
        models?: string;
        noise: number[];
        epochs: number;
        limitTrain?: number;
        limitTest?: number;
        dataset: string;
        dataDir?: string;
        seed: number;
        backend?: string;
        quiet?: boolean;
        out: string;
      }) => {
        catchInterrupts();
        selectBackend(f.backend);
        const models = nameList<MultitaskModelName>(
          'models',
          MULTITASK_MODELS,
        )(f.models ?? 'hh-fc,lif-fc,4lif-fc,slif2hh-fc');
        await prepareOutDir(f.out);
        const r = await multitaskRobustness(
          {
            models,
            noise: f.noise,
            epochs: f.epochs,
            seed: f.seed,
            dataset: f.dataset,
            limitTrain: f.limitTrain,
            limitTest: f.limitTest,
            dataDir: f.dataDir,
          },
          f.out,
          runEvents(new Progress(f.quiet)),
        );
        await writeOutputs(f.out, 'robustness-multitask', r, multitaskRobustnessFigure(r));
        const lines = ['model        noise A  task 1 %  task 2 %'];
        for (const x of r.results)
          lines.push(
            `${x.model.padEnd(12)} ${String(x.noise).padStart(7)}  ${x.acc1.toFixed(2).padStart(8)}  ${x.acc2.toFixed(2).padStart(8)}`,
          );
        process.stdout.write(
          `${lines.join('\n')}\nwrote ${join(f.out, 'robustness-multitask.json')} and figures/robustness-multitask.svg\n`,
        );
      },
    );

  cmd
    .command('rl')
    .description('SAC return under observation and reward noise, per actor')
    .option(
      '--env <name>',
      `environment: ${ENV_NAMES.join(', ')}`,
      oneOf(ENV_NAMES),
      'inverted-double-pendulum',
    )
    .option(
      '--models <list>',
      `comma-separated actors (default hh,lif,4lif,slif2hh; available ${ACTOR_KINDS.join(', ')})`,
    )
    .option(
      '--state-noise <list>',
      'observation noise σ values (each run alone against the clean baseline)',
      nonNegativeList,
      [0.002],
    )
    .option('--reward-noise <list>', 'training-reward noise σ values', nonNegativeList, [0.1])
    .option('--steps <n>', 'environment steps per run', positiveInt, 50000)
    .option('--warmup <n>', 'random warm-up steps', positiveInt)
    .option('--eval-every <n>', 'steps between evaluations', positiveInt)
    .option('--seed <n>', 'seed', integer, 0)
    .option(...BACKEND_FLAG)
    .option('--quiet', 'no progress output')
    .requiredOption('--out <dir>', 'output directory (runs/ keeps each run; finished runs are reused)')
    .action(
      async (f: {
        env: EnvName;
        models?: string;
        stateNoise: number[];
        rewardNoise: number[];
        steps: number;
        warmup?: number;
        evalEvery?: number;
        seed: number;
        backend?: string;
        quiet?: boolean;
        out: string;
      }) => {
        catchInterrupts();
        selectBackend(f.backend);
        const models = nameList<ActorKind>('models', ACTOR_KINDS)(f.models ?? 'hh,lif,4lif,slif2hh');
        await prepareOutDir(f.out);
        const r = await rlRobustness(
          {
            env: f.env,
            models,
            stateNoise: f.stateNoise,
            rewardNoise: f.rewardNoise,
            steps: f.steps,
            seed: f.seed,
            warmup: f.warmup,
            evalEvery: f.evalEvery,
          },
          f.out,
          runEvents(new Progress(f.quiet)),
        );
        await writeOutputs(f.out, 'robustness-rl', r, rlRobustnessFigure(r));
        const lines = ['model    condition          final return'];
        for (const x of r.results)
          lines.push(`${x.model.padEnd(8)} ${x.label.padEnd(18)} ${x.finalReturn.toFixed(1).padStart(12)}`);
        process.stdout.write(
          `${lines.join('\n')}\nwrote ${join(f.out, 'robustness-rl.json')} and figures/robustness-rl.svg\n`,
        );
      },
    );
}
