/** `hhnet mi`: information-bottleneck bounds per epoch (spec 3.5) → mi.json + information plane. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { log, progressBar } from '../progress-bar.js';
import { MULTI_KINDS } from '../../data/multi.js';
import {
  INFORMATION_PLANE,
  MI_FILE,
  MiEpoch,
  resolveMiConfig,
  runMutualInformation,
} from '../../experiments/mi.js';
import { VIB_K, VIB_MODELS } from '../../models/vib.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';
import { integer, nonNegativeNumber, oneOf, positiveInt, positiveNumber } from '../options.js';
import { claimRunDir } from '../output.js';
import { CHECKPOINT_FILE } from '../../train/checkpoint.js';
import { catchInterrupts } from '../../util/interrupt.js';

interface MiFlags {
  model: string;
  dataset: string;
  epochs: number;
  batch: number;
  seed: number;
  T: number;
  K: number;
  beta: number;
  lr: number;
  limitTrain?: number;
  limitTest?: number;
  dataDir?: string;
  resume?: boolean;
  force?: boolean;
  checkpointEvery: number;
  backend?: string;
  quiet?: boolean;
  out: string;
}

export function registerMi(program: Command): void {
  program
    .command('mi')
    .description(
      'mutual information: train a variational information bottleneck on the spiking hidden layer ' +
        'and write the I(Z;X) and I(Z;Y) bounds per epoch (mi.json) and the information plane',
    )
    // Checked by the config schema, not commander, so an unknown model is a usage error (exit 2).
    .option('--model <name>', `spiking layer: ${VIB_MODELS.join(', ')}`, 'hh')
    .option(
      '--dataset <name>',
      `dataset: ${MULTI_KINDS.join(', ')}`,
      oneOf(MULTI_KINDS),
      'multi-fashion-mnist',
    )
    .option('--epochs <n>', 'epochs (one information-plane point each)', positiveInt, 10)
    .option('--batch <n>', 'batch size', positiveInt, 128)
    .option('--seed <n>', 'seed for initialisation, batch order and the z samples', integer, 0)
    .option('--T <n>', 'time steps each image is presented', positiveInt, 15)
    .option('--K <n>', 'bottleneck dimensions', positiveInt, VIB_K)
    .option('--beta <x>', 'weight β of the KL term in the loss', nonNegativeNumber, 1e-3)
    .option('--lr <x>', 'Adam learning rate (decays ×0.97 per epoch)', positiveNumber, 1e-4)
    .option('--limit-train <n>', 'use only the first N training samples', positiveInt)
    .option('--limit-test <n>', 'use only the first N test samples', positiveInt)
    .option('--data-dir <dir>', 'Fashion-MNIST IDX directory (default /usr/share/datasets/fashion-mnist)')
    .option('--resume', 'continue the run saved in --out')
    .option('--force', 'replace the results --out already holds')
    .option('--checkpoint-every <s>', 'seconds between mid-epoch checkpoints', positiveNumber, 120)
    .option(...BACKEND_FLAG)
    .option('--quiet', 'no progress output')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (flags: MiFlags) => {
      catchInterrupts();
      selectBackend(flags.backend);
      const cfg = resolveMiConfig(
        {
          model: flags.model,
          dataset: flags.dataset,
          epochs: flags.epochs,
          batch: flags.batch,
          seed: flags.seed,
          T: flags.T,
          K: flags.K,
          beta: flags.beta,
          lr: flags.lr,
          limitTrain: flags.limitTrain ?? null,
          limitTest: flags.limitTest ?? null,
          dataDir: flags.dataDir ?? null,
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
            'epoch {epoch} [{bar}] {value}/{total} batches | loss {loss} | I(Z;Y) {izy} bits | {sps} samples/s | ETA {eta_formatted}',
          );
      let batchesPerEpoch = 0;
      let lastIzy = '-';
      const result = await runMutualInformation(cfg, {
        out: flags.out,
        resume: mode === 'resume',
        force: false,
        checkpointEvery: flags.checkpointEvery,
        events: {
          start: (i) => {
            batchesPerEpoch = i.batchesPerEpoch;
            log(
              flags.quiet,
              `VIB ${cfg.model} (K ${cfg.K}, β ${cfg.beta}) on ${cfg.dataset}: ${i.trainCount} train / ` +
                `${i.testCount} test samples, ${i.batchesPerEpoch} batches per epoch` +
                (i.resumedFrom > 0 ? `, resuming at epoch ${i.resumedFrom.toFixed(2)}` : ''),
            );
          },
          batch: (b) => {
            if (!bar) return;
            if (b.batch === 1 || !bar.isActive)
              bar.start(batchesPerEpoch, b.batch - 1, { epoch: b.epoch, loss: '-', sps: '-', izy: lastIzy });
            bar.update(b.batch, {
              epoch: b.epoch,
              loss: b.loss.toFixed(3),
              sps: b.samplesPerSec.toFixed(0),
              izy: lastIzy,
            });
          },
          evaluating: () => bar?.stop(),
          epoch: (r: MiEpoch, seconds: number) => {
            lastIzy = `${r.izy.task1.toFixed(2)}/${r.izy.task2.toFixed(2)}`;
            log(
              flags.quiet,
              `epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, I(Z;X) ≤ ${r.izx.toFixed(3)} bits, ` +
                `I(Z;Y) ≥ ${r.izy.task1.toFixed(3)} / ${r.izy.task2.toFixed(3)} bits, ` +
                `test accuracy ${r.acc1.toFixed(2)}% / ${r.acc2.toFixed(2)}% (${seconds.toFixed(1)} s)`,
            );
          },
        },
      });
      bar?.stop();
      const last = result.epochs[result.epochs.length - 1];
      if (last) {
        process.stdout.write(
          `${cfg.model}: I(Z;X) ≤ ${last.izx.toFixed(3)} bits, I(Z;Y) ≥ ${last.izy.task1.toFixed(3)} / ` +
            `${last.izy.task2.toFixed(3)} bits after ${last.epoch} epoch(s); wrote ${join(flags.out, MI_FILE)} ` +
            `and ${join(flags.out, 'figures', `${INFORMATION_PLANE}.svg`)}\n`,
        );
      }
    });
}
