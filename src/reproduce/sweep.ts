/**
 * Seeded sweeps: a grid of training runs described in a JSON or YAML file, each run in its own
 * directory under DIR/runs/ (its own checkpoints, so an interrupted sweep continues where it
 * stopped), the finished ones read back, and an aggregate DIR/sweep.json with mean, standard
 * deviation and 95% interval across seeds per model and noise level, plus DIR/sweep.svg.
 *
 * A run is one `hhnet train multitask` process (the same command a user would type, so a sweep
 * run and a hand-made run are interchangeable); the caller provides how to start one
 * (SweepDeps.runTraining), which keeps this module free of the CLI and lets tests fake it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MULTI_KINDS } from '../data/multi.js';
import { MULTITASK_MODELS } from '../models/multitask.js';
import { concatCharts, intervalBarChart, lineChart } from '../report/charts.js';
import type { VegaLiteSpec } from '../report/charts.js';
import { writeJsonAtomic } from '../util/atomic.js';

export class SweepFileError extends Error {
  override name = 'SweepFileError';
}

const positiveInt = z.number().int().positive();
export const sweepSchema = z
  .object({
    experiment: z.literal('multitask'),
    models: z.array(z.enum(MULTITASK_MODELS)).min(1),
    seeds: z.array(z.number().int().nonnegative()).min(1).default([0]),
    noise: z.array(z.number().nonnegative()).min(1).default([0]),
    dataset: z.enum(MULTI_KINDS).optional(),
    epochs: positiveInt.default(1),
    batch: positiveInt.optional(),
    T: positiveInt.optional(),
    limitTrain: positiveInt.optional(),
    limitTest: positiveInt.optional(),
    lr: z.number().positive().optional(),
    weightDecay: z.number().nonnegative().optional(),
    dataDir: z.string().min(1).optional(),
    backend: z.enum(['wasm', 'js']).optional(),
  })
  .strict();
export type SweepConfig = z.infer<typeof sweepSchema>;

/** Reads and validates a sweep file (JSON, or YAML by extension); errors name the file and field. */
export function loadSweepFile(path: string): SweepConfig {
  if (!existsSync(path)) throw new SweepFileError(`${path}: no such sweep file`);
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new SweepFileError(
      `${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(err as Error).message}`,
    );
  }
  return parseSweep(json, path);
}

export function parseSweep(json: unknown, where = 'sweep'): SweepConfig {
  const parsed = sweepSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new SweepFileError(`${where}: ${field.replace(/^\./, '') || '(top level)'}: ${issue.message}`);
  }
  const c = parsed.data;
  const lists: [string, readonly (string | number)[]][] = [
    ['models', c.models],
    ['seeds', c.seeds],
    ['noise', c.noise],
  ];
  for (const [name, list] of lists)
    if (new Set(list).size !== list.length)
      throw new SweepFileError(`${where}: ${name}: lists a value twice`);
  return c;
}

/** One cell of the grid. */
export interface SweepRun {
  id: string;
  model: string;
  seed: number;
  noise: number;
  /** The `hhnet train multitask` flags of the run (without --out). */
  args: string[];
}

/** The grid, models × noise × seeds, in that order. */
export function planSweep(c: SweepConfig): SweepRun[] {
  const common: string[] = ['--epochs', `${c.epochs}`];
  const opt = (flag: string, v: number | string | undefined) => (v === undefined ? [] : [flag, `${v}`]);
  common.push(
    ...opt('--dataset', c.dataset),
    ...opt('--batch', c.batch),
    ...opt('--T', c.T),
    ...opt('--limit-train', c.limitTrain),
    ...opt('--limit-test', c.limitTest),
    ...opt('--lr', c.lr),
    ...opt('--weight-decay', c.weightDecay),
    ...opt('--data-dir', c.dataDir),
    ...opt('--backend', c.backend),
  );
  const runs: SweepRun[] = [];
  for (const model of c.models)
    for (const noise of c.noise)
      for (const seed of c.seeds)
        runs.push({
          id: `${model}-noise${noise}-seed${seed}`,
          model,
          seed,
          noise,
          args: ['--model', model, '--seed', `${seed}`, '--noise', `${noise}`, ...common],
        });
  return runs;
}

/** What a finished run left in its metrics.json. */
export interface Metrics {
  config: Record<string, unknown>;
  epochs: { epoch: number; loss: number; acc1: number; acc2: number; seconds: number }[];
}

export interface RunResult {
  id: string;
  model: string;
  seed: number;
  noise: number;
  status: 'done' | 'failed';
  /** Read back from an earlier invocation rather than trained now. */
  readBack: boolean;
  dir: string;
  acc1: number | null;
  acc2: number | null;
  loss: number | null;
  /** Accuracy per epoch (the curves averaged in the figure). */
  curve: { epoch: number; acc1: number; acc2: number }[];
  error: string | null;
}

/** Mean, sample standard deviation and the 95% interval of the mean (Student's t). */
export interface Spread {
  n: number;
  mean: number;
  sd: number | null;
  ci95: [number, number] | null;
}

/** Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, sd: null, ci95: null };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const t = T975[Math.min(n - 1, T975.length) - 1] ?? 1.96;
  const half = (n - 1 > T975.length ? 1.96 : t) * (sd / Math.sqrt(n));
  return { n, mean, sd, ci95: [mean - half, mean + half] };
}

export interface SweepAggregate {
  model: string;
  noise: number;
  acc1: Spread;
  acc2: Spread;
  /** Seeds whose run failed (left out of the statistics). */
  failed: number;
}

export interface SweepReport {
  config: SweepConfig;
  runs: RunResult[];
  aggregates: SweepAggregate[];
}

export interface SweepDeps {
  /**
   * Runs `hhnet train multitask ARGS --out DIR` (with --resume when DIR holds a checkpoint);
   * resolves with the exit code and the tail of its error output.
   */
  runTraining: (args: string[], dir: string) => Promise<{ code: number; stderr: string }>;
  /** Progress lines. */
  log: (line: string) => void;
  /** 'collect': the runs were trained elsewhere (a queue); unfinished ones are only reported. */
  mode?: 'train' | 'collect';
}

export const SWEEP_FILE = 'sweep.json';
export const SWEEP_FIGURE = 'sweep.svg';

/** The finished metrics of a run directory, or null; throws when it belongs to other settings. */
export function finishedRun(dir: string, run: SweepRun, epochs: number): Metrics | null {
  const path = join(dir, 'metrics.json');
  if (!existsSync(path)) return null;
  let m: Metrics;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Metrics;
  } catch {
    throw new SweepFileError(`${path} is not readable JSON; remove ${dir} to run it again`);
  }
  const c = m.config ?? {};
  for (const [field, want] of [
    ['model', run.model],
    ['seed', run.seed],
    ['noise', run.noise],
    ['epochs', epochs],
  ] as const)
    if (c[field] !== want)
      throw new SweepFileError(
        `${dir} holds a run with ${field} ${JSON.stringify(c[field])}, not ${JSON.stringify(want)}: the sweep file changed since; use another --out or --force`,
      );
  return Array.isArray(m.epochs) && m.epochs.length >= epochs ? m : null;
}

/** Runs (or reads back) every run of the grid, `jobs` at a time, then writes sweep.json. */
export async function runSweep(
  config: SweepConfig,
  out: string,
  deps: SweepDeps,
  opts: { jobs?: number } = {},
): Promise<SweepReport> {
  const runs = planSweep(config);
  const jobs = Math.max(1, Math.min(opts.jobs ?? 1, runs.length));
  const results: RunResult[] = new Array(runs.length);
  const t0 = Date.now();
  let next = 0;
  let finished = 0;
  let trainedSeconds = 0;
  let trained = 0;
  const one = async (k: number): Promise<void> => {
    const run = runs[k];
    const dir = join(out, 'runs', run.id);
    const base = { id: run.id, model: run.model, seed: run.seed, noise: run.noise, dir };
    let metrics = finishedRun(dir, run, config.epochs);
    const readBack = metrics !== null;
    let error: string | null = null;
    if (!metrics) {
      const resume = existsSync(join(dir, 'checkpoint.safetensors'));
      if (deps.mode !== 'collect')
        deps.log(`${run.id}: ${resume ? 'resuming' : 'training'} (${finished}/${runs.length} done)`);
      const began = Date.now();
      const r = await deps.runTraining([...run.args, ...(resume ? ['--resume'] : [])], dir);
      trainedSeconds += (Date.now() - began) / 1000;
      trained++;
      if (r.code === 0) metrics = finishedRun(dir, run, config.epochs);
      if (!metrics)
        error = `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' / ') || 'no output'}`;
      if (r.code === 130) throw new SweepInterrupted(run.id);
    }
    const last = metrics?.epochs[metrics.epochs.length - 1];
    results[k] = {
      ...base,
      status: metrics ? 'done' : 'failed',
      readBack,
      acc1: last?.acc1 ?? null,
      acc2: last?.acc2 ?? null,
      loss: last?.loss ?? null,
      curve: (metrics?.epochs ?? []).map((e) => ({ epoch: e.epoch, acc1: e.acc1, acc2: e.acc2 })),
      error,
    };
    finished++;
    const left = runs.length - finished;
    const eta =
      trained > 0 && left > 0
        ? `, about ${Math.ceil(((trainedSeconds / trained) * left) / jobs)} s left`
        : '';
    deps.log(
      `${run.id}: ${metrics ? `task 1 ${last!.acc1.toFixed(2)}%, task 2 ${last!.acc2.toFixed(2)}%${readBack ? ' (read back)' : ''}` : `FAILED (${error})`} — ${finished}/${runs.length} done${eta}`,
    );
  };
  const workers = Array.from({ length: jobs }, async () => {
    for (;;) {
      const k = next++;
      if (k >= runs.length) return;
      await one(k);
    }
  });
  await Promise.all(workers);
  const report: SweepReport = { config, runs: results, aggregates: aggregate(config, results) };
  await writeJsonAtomic(join(out, SWEEP_FILE), report);
  deps.log(
    `${runs.length} runs in ${((Date.now() - t0) / 1000).toFixed(1)} s; wrote ${join(out, SWEEP_FILE)}`,
  );
  return report;
}

export class SweepInterrupted extends Error {
  override name = 'SweepInterrupted';
  constructor(readonly runId: string) {
    super(`interrupted during ${runId}`);
  }
}

export function aggregate(config: SweepConfig, runs: readonly RunResult[]): SweepAggregate[] {
  const out: SweepAggregate[] = [];
  for (const model of config.models)
    for (const noise of config.noise) {
      const cell = runs.filter((r) => r.model === model && r.noise === noise);
      const done = cell.filter((r) => r.status === 'done');
      out.push({
        model,
        noise,
        acc1: spread(done.map((r) => r.acc1!)),
        acc2: spread(done.map((r) => r.acc2!)),
        failed: cell.length - done.length,
      });
    }
  return out;
}

/** Final accuracies (mean ± sd over seeds, per model and noise) and the mean curves per epoch. */
export function sweepFigure(report: SweepReport): VegaLiteSpec {
  const label = (a: { model: string; noise: number }) =>
    report.config.noise.length > 1 ? `${a.model} A=${a.noise}` : a.model;
  const bars = (task: 'acc1' | 'acc2') =>
    intervalBarChart({
      title: `task ${task === 'acc1' ? 1 : 2}: final accuracy, mean ± sd over ${report.config.seeds.length} seed(s)`,
      xLabel: 'model',
      yLabel: 'accuracy (%)',
      width: Math.max(160, 70 * report.aggregates.length),
      bars: report.aggregates
        .filter((a) => a[task].n > 0)
        .map((a) => {
          const { mean, sd } = a[task];
          return {
            label: label(a),
            value: mean,
            lo: sd === null ? null : mean - sd,
            hi: sd === null ? null : mean + sd,
          };
        }),
    });
  const curves = lineChart({
    title: 'task 1 accuracy per epoch, mean over seeds',
    width: 320,
    xLabel: 'epoch',
    yLabel: 'accuracy (%)',
    series: report.aggregates.map((a) => {
      const done = report.runs.filter(
        (r) => r.model === a.model && r.noise === a.noise && r.status === 'done',
      );
      const epochs = Math.min(...done.map((r) => r.curve.length));
      const x = Array.from({ length: Number.isFinite(epochs) ? epochs : 0 }, (_, e) => e + 1);
      return { name: label(a), x, y: x.map((e) => spread(done.map((r) => r.curve[e - 1].acc1)).mean) };
    }),
  });
  return concatCharts([bars('acc1'), bars('acc2'), curves], 3, 'sweep');
}
