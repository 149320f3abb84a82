import type { Command } from 'commander';
import { log, progressBar } from '../progress-bar.js';
import { MULTI_KINDS } from '../../data/multi.js';
import { MULTITASK_MODELS } from '../../models/multitask.js';
import { resolveTrainConfig } from '../../train/config.js';
import { EpochRecord, trainMultitask } from '../../train/multitask.js';
import { numberList, oneOf, positiveInt, positiveNumber, integer, nonNegativeNumber } from '../options.js';
import { claimRunDir } from '../output.js';
import { CHECKPOINT_FILE } from '../../train/checkpoint.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';
import { registerTrainRl } from './train-rl.js';
import { catchInterrupts } from '../../util/interrupt.js';

interface TrainFlags {
  model: string;
  dataset: string;
  epochs: number;
  batch: number;
  seed: number;
  T: number;
  limitTrain?: number;
  limitTest?: number;
  noise: number;
  dataDir?: string;
  lr?: number;
  weightDecay?: number;
  milestones?: number[];
  resume?: boolean;
  force?: boolean;
  checkpointEvery: number;
  backend?: string;
  quiet?: boolean;
  out: string;
}

export function registerTrain(program: Command): void {
  const train = program.command('train').description('train networks on the study’s tasks');
  train
    .command('multitask')
    .description(
      'multi-task classification (two heads, one per task); writes metrics.json and model.safetensors',
    )
    .option('--model <name>', `network: ${MULTITASK_MODELS.join(', ')}`, oneOf(MULTITASK_MODELS), 'hh-fc')
    .option(
      '--dataset <name>',
      `dataset: ${MULTI_KINDS.join(', ')}`,
      oneOf(MULTI_KINDS),
      'multi-fashion-mnist',
    )
    .option('--epochs <n>', 'epochs (the study uses 40)', positiveInt, 1)
    .option('--batch <n>', 'batch size', positiveInt, 128)
    .option('--seed <n>', 'seed for initialisation and batch order', integer, 0)
    .option('--T <n>', 'time steps each image is presented', positiveInt, 15)
    .option('--limit-train <n>', 'use only the first N training samples', positiveInt)
    .option('--limit-test <n>', 'use only the first N test samples', positiveInt)
    .option(
      '--noise <A>',
      'add one fixed noise image A·N(0,1) to every input (robustness study)',
      nonNegativeNumber,
      0,
    )
    .option('--data-dir <dir>', 'Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist)')
    .option('--lr <x>', 'Adam learning rate (default: the study’s, 1e-4 fc / 3e-3 conv)', positiveNumber)
    .option('--weight-decay <x>', 'Adam weight decay (default 1e-5 fc / 3e-4 conv)', nonNegativeNumber)
    .option('--milestones <list>', 'MultiStepLR epochs (default 10,20,30 fc / 20,30 conv)', numberList)
    .option('--resume', 'continue the run saved in --out')
    .option('--force', 'replace the results --out already holds')
    .option('--checkpoint-every <s>', 'seconds between mid-epoch checkpoints', positiveNumber, 120)
    .option(...BACKEND_FLAG)
    .option('--quiet', 'no progress output')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (flags: TrainFlags) => {
      catchInterrupts();
      selectBackend(flags.backend);
      const cfg = resolveTrainConfig(
        {
          model: flags.model,
          dataset: flags.dataset,
          epochs: flags.epochs,
          batch: flags.batch,
          seed: flags.seed,
          T: flags.T,
          limitTrain: flags.limitTrain ?? null,
          limitTest: flags.limitTest ?? null,
          noise: flags.noise,
          dataDir: flags.dataDir ?? null,
          lr: flags.lr,
          weightDecay: flags.weightDecay,
          milestones: flags.milestones,
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
            'epoch {epoch} [{bar}] {value}/{total} batches | loss {loss} | test acc {acc} | {sps} samples/s | ETA {eta_formatted}',
          );
      let epochTotal = 0;
      let lastAcc = '-'; // test accuracies of the last finished epoch, shown in the bar
      const history = await trainMultitask(cfg, {
        out: flags.out,
        resume: mode === 'resume',
        checkpointEvery: flags.checkpointEvery,
        events: {
          start: (i) => {
            epochTotal = i.batchesPerEpoch;
            log(
              flags.quiet,
              `${cfg.model} on ${cfg.dataset}: ${i.trainCount} train / ${i.testCount} test samples, ` +
                `${i.batchesPerEpoch} batches per epoch` +
                (i.resumedFrom > 0 ? `, resuming at epoch ${i.resumedFrom.toFixed(2)}` : ''),
            );
          },
          batch: (b) => {
            if (!bar) return;
            if (b.batch === 1 || !bar.isActive)
              bar.start(epochTotal, b.batch - 1, { epoch: b.epoch, loss: '-', sps: '-', acc: lastAcc });
            bar.update(b.batch, {
              epoch: b.epoch,
              loss: b.loss.toFixed(3),
              sps: b.samplesPerSec.toFixed(0),
              acc: lastAcc,
            });
          },
          evaluating: () => bar?.stop(),
          epoch: (r: EpochRecord) => {
            lastAcc = `${r.acc1.toFixed(1)}/${r.acc2.toFixed(1)}%`;
            log(
              flags.quiet,
              `epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, test accuracy task 1 ${r.acc1.toFixed(2)}%, task 2 ${r.acc2.toFixed(2)}% (${r.seconds.toFixed(1)} s)`,
            );
          },
        },
      });
      bar?.stop();
      const last = history[history.length - 1];
      if (last) {
        process.stdout.write(
          `${cfg.model}: task 1 ${last.acc1.toFixed(2)}%, task 2 ${last.acc2.toFixed(2)}% after ${last.epoch} epoch(s); wrote ${flags.out}/metrics.json and model.safetensors\n`,
        );
      }
    });
  registerTrainRl(train);
}
