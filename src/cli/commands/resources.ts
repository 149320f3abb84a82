/**
 * `hhnet resources`: parameters, FLOPs per inference, activation memory and step times of the
 * multi-task models (spec 3.4). Writes DIR/resources.json, DIR/figures/resources.svg and the
 * vega-lite spec beside it (resources.vl.json).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { RESOURCES_DEFAULTS, checkModelNames, measureResources } from '../../experiments/resources.js';
import type { ResourcesResult } from '../../experiments/resources.js';
import { FC_MODELS, MULTITASK_MODELS } from '../../models/multitask.js';
import { resourcesFigure } from '../../experiments/resources-figures.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';
import { integer, nonNegativeInt, positiveInt } from '../options.js';
import { UserError, prepareResultDir, writeJson, writeSvg } from '../output.js';
import { Progress } from '../../util/progress.js';

interface ResourcesFlags {
  force?: boolean;
  models?: string;
  batch: number;
  T: number;
  repeats: number;
  warmup: number;
  seed: number;
  backend?: string;
  json?: boolean;
  out: string;
  quiet?: boolean;
}

export function registerResources(program: Command): void {
  program
    .command('resources')
    .description(
      'parameters, FLOPs per inference, activation memory and train/inference ms per batch of the multi-task models',
    )
    .option('--models <list>', `comma-separated models (default: the fc family: ${FC_MODELS.join(', ')})`)
    .option('--batch <n>', 'batch size', positiveInt, RESOURCES_DEFAULTS.batch)
    .option('--T <n>', 'time steps', positiveInt, RESOURCES_DEFAULTS.T)
    .option(
      '--repeats <n>',
      'timed steps per measurement (the median is reported)',
      positiveInt,
      RESOURCES_DEFAULTS.repeats,
    )
    .option('--warmup <n>', 'untimed steps before each timing', nonNegativeInt, RESOURCES_DEFAULTS.warmup)
    .option('--seed <n>', 'seed of the weights and the random batch', integer, RESOURCES_DEFAULTS.seed)
    .option(...BACKEND_FLAG)
    .option('--json', 'print resources.json on stdout instead of the table')
    .option('--out <dir>', 'output directory', 'results/resources')
    .option('--quiet', 'no progress output')
    .option('--force', 'write into an --out that holds results of another command')
    .addHelpText(
      'after',
      `\nModels: ${MULTITASK_MODELS.join(', ')}. Counting rules: docs/resources.md.\n` +
        'Example:\n  hhnet resources --models hh-fc,slif2hh-fc --batch 128 --T 15 --repeats 5 --out results/resources',
    )
    .action(async (flags: ResourcesFlags) => {
      const names =
        flags.models === undefined ? [...FC_MODELS] : flags.models.split(',').map((s) => s.trim());
      if (names.length === 0 || names.some((n) => n === ''))
        throw new UserError(`--models needs a comma-separated list of: ${MULTITASK_MODELS.join(', ')}`);
      let models;
      try {
        models = checkModelNames(names);
      } catch (err) {
        throw new UserError((err as Error).message);
      }
      selectBackend(flags.backend);
      const out = await prepareResultDir(flags.out, ['resources.json'], flags);
      const progress = new Progress(flags.quiet);
      const result = await measureResources({
        models,
        batch: flags.batch,
        T: flags.T,
        repeats: flags.repeats,
        warmup: flags.warmup,
        seed: flags.seed,
        onProgress: (p) => {
          if (p.phase === 'count')
            progress.stage(`${p.model}: ${p.done ? 'counted' : 'counting'} FLOPs and memory`);
          else
            progress.update(
              `${p.model} ${p.phase === 'train' ? 'training' : 'inference'} steps`,
              p.done / p.total,
            );
        },
      });
      const files = await writeResourcesOutputs(out, result);
      if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
      else process.stdout.write(resourcesTable(result));
      progress.stage(`wrote ${files.join(', ')}`);
    });
}

/** resources.json, figures/resources.svg and its vega-lite spec (figures/resources.vl.json). */
export async function writeResourcesOutputs(out: string, result: ResourcesResult): Promise<string[]> {
  const spec = resourcesFigure(result);
  const figures = join(out, 'figures');
  return [
    await writeJson(out, 'resources.json', result),
    await writeSvg(figures, 'resources.svg', spec),
    await writeJson(figures, 'resources.vl.json', spec),
  ];
}

export function resourcesTable(result: ResourcesResult): string {
  const { batch, T, backend } = result.config;
  const head = [
    'model',
    'params',
    'MFLOP/sample',
    'activations MiB',
    'saving v MiB',
    'train ms/batch',
    'infer ms/batch',
  ];
  const rows = result.models.map((m) => [
    m.model,
    m.params.toLocaleString('en-US'),
    (m.flopsPerSample / 1e6).toFixed(3),
    (m.peakActivationBytes / 2 ** 20).toFixed(2),
    (m.referenceActivationBytes / 2 ** 20).toFixed(2),
    m.trainMsPerBatch.toFixed(1),
    m.inferMsPerBatch.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ') + '\n';
  return (
    `batch ${batch}, T ${T}, backend ${backend} (times: median of ${result.config.repeats})\n` +
    line(head) +
    rows.map(line).join('')
  );
}
