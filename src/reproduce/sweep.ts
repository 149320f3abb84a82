/**
 * Seeded sweeps: a grid of training runs described in a JSON or YAML file, each run in its own
 * directory under DIR/runs/ (its own checkpoints, so an interrupted sweep continues where it
 * stopped), the finished ones read back, and an aggregate DIR/sweep.json with mean, standard
 * deviation and 95% interval across seeds per model and noise level, plus DIR/sweep.svg.
 *
 * A run is one `hhnet train multitask`, `hhnet train rl` or `hhnet mi` process (the same command a
 * user would type, so a sweep run and a hand-made run are interchangeable); the caller provides how to start one
 * (SweepDeps.runTraining), which keeps this module free of the CLI and lets tests fake it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MULTI_KINDS } from '../data/multi.js';
import { MULTITASK_MODELS } from '../models/multitask.js';
import { VIB_MODELS } from '../models/vib.js';
import { ACTOR_KINDS } from '../rl/networks.js';
import { ENV_NAMES } from '../rl/pendulums.js';
import { concatCharts, intervalBarChart, lineChart } from '../report/charts.js';
import type { VegaLiteSpec } from '../report/charts.js';
import { writeJsonAtomic } from '../util/atomic.js';

export class SweepFileError extends Error {
  override name = 'SweepFileError';
}

const positiveInt = z.number().int().positive();
const grid = {
  seeds: z.array(z.number().int().nonnegative()).min(1).default([0]),
  noise: z.array(z.number().nonnegative()).min(1).default([0]),
  lr: z.number().positive().optional(),
  batch: positiveInt.optional(),
  backend: z.enum(['wasm', 'js']).optional(),
};
const multitaskSweep = z
  .object({
    experiment: z.literal('multitask'),
    models: z.array(z.enum(MULTITASK_MODELS)).min(1),
    ...grid,
    dataset: z.enum(MULTI_KINDS).optional(),
    epochs: positiveInt.default(1),
    T: positiveInt.optional(),
    limitTrain: positiveInt.optional(),
    limitTest: positiveInt.optional(),
    weightDecay: z.number().nonnegative().optional(),
    dataDir: z.string().min(1).optional(),
  })
  .strict();
/** RL sweeps: `noise` is the observation noise σ (`--state-noise`). */
const rlSweep = z
  .object({
    experiment: z.literal('rl'),
    models: z.array(z.enum(ACTOR_KINDS)).min(1),
    ...grid,
    env: z.enum(ENV_NAMES).optional(),
    steps: positiveInt.default(50_000),
    warmup: z.number().int().nonnegative().optional(),
    evalEvery: positiveInt.optional(),
    evalEpisodes: positiveInt.optional(),
    reward: z.enum(['env', 'shaped']).optional(),
    padding: z.enum(['zero', 'repeat']).optional(),
  })
  .strict();
/** Mutual-information sweeps (VIB, `hhnet mi`): no noise axis. */
const miSweep = z
  .object({
    experiment: z.literal('mi'),
    models: z.array(z.enum(VIB_MODELS)).min(1),
    ...grid,
    noise: z
      .array(z.literal(0, { error: 'mi runs have no noise axis: leave noise out (or [0])' }))
      .min(1)
      .default([0]),
    dataset: z.enum(MULTI_KINDS).optional(),
    epochs: positiveInt.default(10),
    T: positiveInt.optional(),
    K: positiveInt.optional(),
    beta: z.number().nonnegative().optional(),
    limitTrain: positiveInt.optional(),
    limitTest: positiveInt.optional(),
    dataDir: z.string().min(1).optional(),
  })
  .strict();
export const sweepSchema = z.discriminatedUnion('experiment', [multitaskSweep, rlSweep, miSweep]);
export type SweepConfig = z.infer<typeof sweepSchema>;
export type MultitaskSweep = z.infer<typeof multitaskSweep>;
export type RlSweep = z.infer<typeof rlSweep>;
export type MiSweep = z.infer<typeof miSweep>;

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
  /** The run's command and flags (without --out), e.g. ['train', 'multitask', '--model', …]. */
  args: string[];
}

const opt = (flag: string, v: number | string | undefined): string[] =>
  v === undefined ? [] : [flag, `${v}`];

/** The grid, models × noise × seeds, in that order. */
export function planSweep(c: SweepConfig): SweepRun[] {
  const x = EXPERIMENTS[c.experiment];
  const runs: SweepRun[] = [];
  for (const model of c.models)
    for (const noise of c.noise)
      for (const seed of c.seeds)
        runs.push({
          id: `${model}-noise${noise}-seed${seed}`,
          model,
          seed,
          noise,
          args: [...x.command, '--model', model, '--seed', `${seed}`, ...x.args(c as never, noise)],
        });
  return runs;
}

/** A final metric of a run, as sweep.json names it. */
export interface MetricSpec {
  key: string;
  /** Axis title and progress label. */
  label: string;
  unit: string;
}

/**
 * What a sweep needs to know of an experiment: its command and flags, the file a finished run
 * leaves, when that file says the run is finished, its final metrics and its learning curve.
 */
interface Experiment<C extends SweepConfig> {
  command: string[];
  resultFile: string;
  args(c: C, noise: number): string[];
  /** Fields of the result's config that must match the run (else the sweep file changed). */
  identity(c: C, run: SweepRun): [string, unknown][];
  finished(result: Record<string, unknown>, c: C): boolean;
  metrics: MetricSpec[];
  final(result: Record<string, unknown>): Record<string, number>;
  /** The first metric along training. */
  curve(result: Record<string, unknown>): { x: number; y: number }[];
  curveX: string;
}

interface MultitaskResult {
  epochs: { epoch: number; loss: number; acc1: number; acc2: number }[];
}
interface RlResult {
  stepsDone: number;
  evals: { step: number; meanReturn: number }[];
}
interface MiResultFile {
  epochs: { epoch: number; izx: number; izy: { task1: number; task2: number }; acc1: number; acc2: number }[];
}

const EXPERIMENTS: {
  multitask: Experiment<MultitaskSweep>;
  rl: Experiment<RlSweep>;
  mi: Experiment<MiSweep>;
} = {
  multitask: {
    command: ['train', 'multitask'],
    resultFile: 'metrics.json',
    args: (c, noise) => [
      '--noise',
      `${noise}`,
      '--epochs',
      `${c.epochs}`,
      ...opt('--dataset', c.dataset),
      ...opt('--batch', c.batch),
      ...opt('--T', c.T),
      ...opt('--limit-train', c.limitTrain),
      ...opt('--limit-test', c.limitTest),
      ...opt('--lr', c.lr),
      ...opt('--weight-decay', c.weightDecay),
      ...opt('--data-dir', c.dataDir),
      ...opt('--backend', c.backend),
    ],
    identity: (c, run) => [
      ['model', run.model],
      ['seed', run.seed],
      ['noise', run.noise],
      ['epochs', c.epochs],
    ],
    finished: (r, c) =>
      Array.isArray((r as unknown as MultitaskResult).epochs) &&
      (r as unknown as MultitaskResult).epochs.length >= c.epochs,
    metrics: [
      { key: 'acc1', label: 'task 1 accuracy', unit: '%' },
      { key: 'acc2', label: 'task 2 accuracy', unit: '%' },
    ],
    final: (r) => {
      const e = (r as unknown as MultitaskResult).epochs;
      const last = e[e.length - 1];
      return { acc1: last.acc1, acc2: last.acc2, loss: last.loss };
    },
    curve: (r) => (r as unknown as MultitaskResult).epochs.map((e) => ({ x: e.epoch, y: e.acc1 })),
    curveX: 'epoch',
  },
  rl: {
    command: ['train', 'rl'],
    resultFile: 'rl.json',
    args: (c, noise) => [
      '--state-noise',
      `${noise}`,
      '--steps',
      `${c.steps}`,
      ...opt('--env', c.env),
      ...opt('--warmup', c.warmup),
      ...opt('--eval-every', c.evalEvery),
      ...opt('--eval-episodes', c.evalEpisodes),
      ...opt('--reward', c.reward),
      ...opt('--padding', c.padding),
      ...opt('--batch', c.batch),
      ...opt('--lr', c.lr),
      ...opt('--backend', c.backend),
    ],
    identity: (c, run) => [
      ['model', run.model],
      ['seed', run.seed],
      ['stateNoise', run.noise],
      ['steps', c.steps],
    ],
    finished: (r, c) =>
      (r as unknown as RlResult).stepsDone >= c.steps && Array.isArray((r as unknown as RlResult).evals),
    metrics: [{ key: 'meanReturn', label: 'evaluation return', unit: '' }],
    final: (r) => {
      const e = (r as unknown as RlResult).evals;
      return e.length ? { meanReturn: e[e.length - 1].meanReturn } : ({} as Record<string, number>);
    },
    curve: (r) => (r as unknown as RlResult).evals.map((e) => ({ x: e.step, y: e.meanReturn })),
    curveX: 'environment step',
  },
  mi: {
    command: ['mi'],
    resultFile: 'mi.json',
    args: (c) => [
      '--epochs',
      `${c.epochs}`,
      ...opt('--dataset', c.dataset),
      ...opt('--batch', c.batch),
      ...opt('--T', c.T),
      ...opt('--K', c.K),
      ...opt('--beta', c.beta),
      ...opt('--lr', c.lr),
      ...opt('--limit-train', c.limitTrain),
      ...opt('--limit-test', c.limitTest),
      ...opt('--data-dir', c.dataDir),
      ...opt('--backend', c.backend),
    ],
    identity: (c, run) => [
      ['model', run.model],
      ['seed', run.seed],
      ['epochs', c.epochs],
    ],
    finished: (r, c) =>
      Array.isArray((r as unknown as MiResultFile).epochs) &&
      (r as unknown as MiResultFile).epochs.length >= c.epochs,
    metrics: [
      { key: 'izy1', label: 'I(Z;Y₁) lower bound', unit: 'bits' },
      { key: 'izy2', label: 'I(Z;Y₂) lower bound', unit: 'bits' },
      { key: 'izx', label: 'I(Z;X) upper bound', unit: 'bits' },
      { key: 'acc1', label: 'task 1 accuracy', unit: '%' },
      { key: 'acc2', label: 'task 2 accuracy', unit: '%' },
    ],
    final: (r) => {
      const e = (r as unknown as MiResultFile).epochs;
      const last = e[e.length - 1];
      return { izx: last.izx, izy1: last.izy.task1, izy2: last.izy.task2, acc1: last.acc1, acc2: last.acc2 };
    },
    curve: (r) => (r as unknown as MiResultFile).epochs.map((e) => ({ x: e.epoch, y: e.izy.task1 })),
    curveX: 'epoch',
  },
};

/** The metrics sweep.json reports for an experiment. */
export function sweepMetrics(c: SweepConfig): MetricSpec[] {
  return EXPERIMENTS[c.experiment].metrics;
}

/** What a finished run left in its result file (metrics.json, rl.json). */
export type RunFile = Record<string, unknown> & { config?: Record<string, unknown> };

export interface RunResult {
  id: string;
  model: string;
  seed: number;
  noise: number;
  status: 'done' | 'failed';
  /** Read back from an earlier invocation rather than trained now. */
  readBack: boolean;
  dir: string;
  /** Final metrics (multitask: acc1, acc2, loss; rl: meanReturn); null when the run failed. */
  metrics: Record<string, number> | null;
  /** The first metric along training (per epoch or per evaluation step), averaged in the figure. */
  curve: { x: number; y: number }[];
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

/**
 * The 97.5% quantile of Student's t with `df` degrees of freedom; a fractional df (Welch) is
 * rounded down, which widens the interval (conservative); beyond 30, the normal 1.96.
 */
export function t975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`t975: degrees of freedom must be ≥ 1, got ${df}`);
  const k = Math.floor(df);
  return k > T975.length ? 1.96 : T975[k - 1];
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, sd: null, ci95: null };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = t975(n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, ci95: [mean - half, mean + half] };
}

export interface SweepAggregate {
  model: string;
  noise: number;
  /** Per metric of the experiment (sweepMetrics), across the seeds whose run finished. */
  metrics: Record<string, Spread>;
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
   * Runs `hhnet ARGS --out DIR` (ARGS start with the command, e.g. train multitask; with
   * --resume when DIR holds a checkpoint);
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

/** The finished result of a run directory, or null; throws when it belongs to other settings. */
export function finishedRun(dir: string, run: SweepRun, c: SweepConfig): RunFile | null {
  const x = EXPERIMENTS[c.experiment] as Experiment<SweepConfig>;
  const path = join(dir, x.resultFile);
  if (!existsSync(path)) return null;
  let m: RunFile;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as RunFile;
  } catch {
    throw new SweepFileError(`${path} is not readable JSON; remove ${dir} to run it again`);
  }
  const have = m.config ?? {};
  for (const [field, want] of x.identity(c, run))
    if (have[field] !== want)
      throw new SweepFileError(
        `${dir} holds a run with ${field} ${JSON.stringify(have[field])}, not ${JSON.stringify(want)}: the sweep file changed since; use another --out or --force`,
      );
  return x.finished(m, c) ? m : null;
}

/** Runs (or reads back) every run of the grid, `jobs` at a time, then writes sweep.json. */
export async function runSweep(
  config: SweepConfig,
  out: string,
  deps: SweepDeps,
  opts: { jobs?: number } = {},
): Promise<SweepReport> {
  const x = EXPERIMENTS[config.experiment] as Experiment<SweepConfig>;
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
    let metrics = finishedRun(dir, run, config);
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
      if (r.code === 0) metrics = finishedRun(dir, run, config);
      if (!metrics)
        error = `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' / ') || 'no output'}`;
      if (r.code === 130) throw new SweepInterrupted(run.id);
    }
    const final = metrics ? x.final(metrics) : null;
    results[k] = {
      ...base,
      status: metrics ? 'done' : 'failed',
      readBack,
      metrics: final,
      curve: metrics ? x.curve(metrics) : [],
      error,
    };
    finished++;
    const left = runs.length - finished;
    const eta =
      trained > 0 && left > 0
        ? `, about ${Math.ceil(((trainedSeconds / trained) * left) / jobs)} s left`
        : '';
    deps.log(
      `${run.id}: ${final ? `${describe(x.metrics, final)}${readBack ? ' (read back)' : ''}` : `FAILED (${error})`} — ${finished}/${runs.length} done${eta}`,
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

/** "task 1 accuracy 51.00%, task 2 accuracy 40.00%" (or the mean ± sd of spreads). */
export function describe(specs: readonly MetricSpec[], values: Record<string, number | Spread>): string {
  return specs
    .map((m) => {
      const v = values[m.key];
      if (v === undefined) return `${m.label} n/a`;
      const unit = m.unit === '%' || m.unit === '' ? m.unit : ` ${m.unit}`;
      if (typeof v === 'number') return `${m.label} ${v.toFixed(2)}${unit}`;
      if (v.n === 0) return `${m.label} n/a`;
      return `${m.label} ${v.mean.toFixed(2)}${unit}${v.sd === null ? '' : ` ± ${v.sd.toFixed(2)}`}`;
    })
    .join(', ');
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
      const done = cell.filter((r) => r.status === 'done' && r.metrics);
      const metrics: Record<string, Spread> = {};
      for (const m of sweepMetrics(config))
        metrics[m.key] = spread(
          done.flatMap((r) => (r.metrics![m.key] === undefined ? [] : [r.metrics![m.key]])),
        );
      out.push({ model, noise, metrics, failed: cell.length - done.length });
    }
  return out;
}

/** Final metrics (mean ± sd over seeds, per model and noise) and the mean learning curves. */
export function sweepFigure(report: SweepReport): VegaLiteSpec {
  const c = report.config;
  const x = EXPERIMENTS[c.experiment] as Experiment<SweepConfig>;
  const noiseName = c.experiment === 'rl' ? 'σ' : 'A';
  const label = (a: { model: string; noise: number }) =>
    c.noise.length > 1 ? `${a.model} ${noiseName}=${a.noise}` : a.model;
  const bars = x.metrics.map((m) =>
    intervalBarChart({
      title: `final ${m.label}, mean ± sd over ${c.seeds.length} seed(s)`,
      xLabel: 'model',
      yLabel: m.unit ? `${m.label} (${m.unit})` : m.label,
      width: Math.max(160, 70 * report.aggregates.length),
      bars: report.aggregates
        .filter((a) => a.metrics[m.key].n > 0)
        .map((a) => {
          const { mean, sd } = a.metrics[m.key];
          return {
            label: label(a),
            value: mean,
            lo: sd === null ? null : mean - sd,
            hi: sd === null ? null : mean + sd,
          };
        }),
    }),
  );
  const first = x.metrics[0];
  const curves = lineChart({
    title: `${first.label} per ${x.curveX}, mean over seeds`,
    width: 320,
    xLabel: x.curveX,
    yLabel: first.unit ? `${first.label} (${first.unit})` : first.label,
    series: report.aggregates.map((a) => {
      const done = report.runs.filter(
        (r) => r.model === a.model && r.noise === a.noise && r.status === 'done',
      );
      const points = Math.min(...done.map((r) => r.curve.length));
      const k = Array.from({ length: Number.isFinite(points) ? points : 0 }, (_, i) => i);
      return {
        name: label(a),
        x: k.map((i) => done[0].curve[i].x),
        y: k.map((i) => spread(done.map((r) => r.curve[i].y)).mean),
      };
    }),
  });
  return concatCharts([...bars, curves], bars.length + 1, 'sweep');
}
