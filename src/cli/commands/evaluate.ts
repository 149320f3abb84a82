import type { Command } from 'commander';
import { join } from 'node:path';
import { loadSafetensors } from '../../io/safetensors.js';
import { MODEL_FILE, savedTrainConfig } from '../../train/checkpoint.js';
import { buildModel, evaluateAccuracy, loadMultitaskData } from '../../train/multitask.js';
import { positiveInt } from '../options.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';

interface EvaluateFlags {
  checkpoint: string;
  limitTest?: number;
  dataDir?: string;
  backend?: string;
  json?: boolean;
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('re-score a saved multi-task model (DIR/model.safetensors) on its test set')
    .requiredOption('--checkpoint <dir>', 'directory written by `hhnet train multitask`')
    .option('--limit-test <n>', 'score only the first N test samples (default: as trained)', positiveInt)
    .option('--data-dir <dir>', 'Fashion-MNIST IDX directory (default: as trained)')
    .option(...BACKEND_FLAG)
    .option('--json', 'print JSON only')
    .action((flags: EvaluateFlags) => {
      selectBackend(flags.backend);
      const path = join(flags.checkpoint, MODEL_FILE);
      const { tensors, metadata } = loadSafetensors(path);
      const saved = savedTrainConfig(metadata, path);
      const base = saved.config;
      const cfg = {
        ...base,
        limitTest: flags.limitTest ?? base.limitTest,
        dataDir: flags.dataDir ?? base.dataDir,
      };
      const model = buildModel(cfg);
      model.loadStateDict(tensors, path);
      const { test, noise } = loadMultitaskData(cfg, 'test');
      const t0 = Date.now();
      const { acc1, acc2 } = evaluateAccuracy(model, test, noise);
      const result = {
        model: cfg.model,
        dataset: cfg.dataset,
        epochs: saved.epochs,
        samples: test.count,
        noise: cfg.noise,
        acc1,
        acc2,
        seconds: (Date.now() - t0) / 1000,
      };
      if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
      else
        process.stdout.write(
          `${cfg.model} (${result.epochs ?? '?'} epochs) on ${test.count} ${cfg.dataset} test samples: ` +
            `task 1 ${acc1.toFixed(2)}%, task 2 ${acc2.toFixed(2)}%\n`,
        );
    });
}
