/**
 * The ablation of internal complexity ("beyond the study"): what do the learning HH's channels
 * add? The study's hh-fc against the same layer with all gate rates zero (li-fc, a leaky
 * integrator without reset), with the rates learned (hh-lr-fc), the full voltage-dependent HH
 * (hhfull-fc), LIF and 4LIF — on the multi-task problem, and on the pendulum where a run of the
 * pendulum sweep is given. Each is a seeded sweep (sweep.ts: every run a real `hhnet train`
 * process in its own directory, resumable); this part compares every model with hh-fc (hh for
 * the actors) and says in plain words which differences are beyond seed noise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportFigure, ReportSection } from '../report/html.js';
import { at } from './cells.js';
import type { FigureDef } from './learning-report.js';
import type { PartContext } from './runner.js';
import {
  MultitaskSweep,
  RlSweep,
  SWEEP_FILE,
  SweepDeps,
  SweepFileError,
  SweepReport,
  Spread,
  parseSweep,
  runSweep,
  sweepFigure,
  sweepMetrics,
  t975,
} from './sweep.js';

export interface AblationPlan {
  /** The multi-task sweep (examples/sweeps/ablation.json at the quick scale). */
  multitask: MultitaskSweep;
  /** The pendulum sweep run by this part (full scale), or null (too long for the quick run). */
  rl: RlSweep | null;
  /** Runs at once. */
  jobs: number;
}

/** What each model of the ablation changes against the study's learning HH. */
export const ABLATION_ROLES: Readonly<Record<string, string>> = Object.freeze({
  'hh-fc': 'the study’s learning HH (constant rates U(0, 0.01) /ms)',
  'li-fc': 'all six gate rates zero: a leaky integrator without reset',
  'hh-lr-fc': 'the six rates learned',
  'hhfull-fc': 'the full voltage-dependent HH (dt 0.05 ms)',
  'lif-fc': 'LIF neurons (same width)',
  '4lif-fc': 'LIF neurons, 4× as many',
  hh: 'the study’s learning HH actor',
  li: 'all six gate rates zero',
  'hh-lr': 'the six rates learned',
  lif: 'LIF actor',
  '4lif': 'LIF actor, 4× as many neurons',
});

/** One model against the reference model on one metric. */
export interface AblationContrast {
  model: string;
  metric: string;
  /** Mean of the model minus mean of the reference. */
  difference: number;
  /** Welch's 95% interval of the difference (null with fewer than 2 seeds on a side). */
  ci95: [number, number] | null;
  verdict: 'identical' | 'beyond noise' | 'within noise' | 'too few seeds';
}

export interface AblationSweep {
  /** The model every other one is compared with. */
  reference: string;
  report: SweepReport;
  contrasts: AblationContrast[];
}

export interface AblationPart {
  multitask: AblationSweep;
  /** The pendulum sweep: run by this part, or read from `--ablation-rl DIR`; null if neither. */
  rl: AblationSweep | null;
  /** Where the pendulum sweep came from (a directory), when it was read back. */
  rlSource: string | null;
}

/**
 * Welch's comparison of two sets of seeds: the difference of the means and its 95% interval;
 * "beyond noise" when the interval excludes 0; "identical" when every seed gave the same value
 * on both sides (li-fc and hh-fc share their initial weights, so this can happen).
 */
export function contrast(
  model: string,
  metric: string,
  a: readonly number[],
  ref: readonly number[],
): AblationContrast {
  const mean = (x: readonly number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const variance = (x: readonly number[], m: number) =>
    x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1);
  if (!a.length || !ref.length)
    return { model, metric, difference: NaN, ci95: null, verdict: 'too few seeds' };
  const ma = mean(a);
  const mr = mean(ref);
  const difference = ma - mr;
  if (a.length === ref.length && a.every((v, i) => v === ref[i]))
    return { model, metric, difference: 0, ci95: [0, 0], verdict: 'identical' };
  if (a.length < 2 || ref.length < 2)
    return { model, metric, difference, ci95: null, verdict: 'too few seeds' };
  const qa = variance(a, ma) / a.length;
  const qr = variance(ref, mr) / ref.length;
  const se = Math.sqrt(qa + qr);
  if (se === 0)
    return {
      model,
      metric,
      difference,
      ci95: [difference, difference],
      verdict: difference === 0 ? 'identical' : 'beyond noise',
    };
  const df = (qa + qr) ** 2 / (qa ** 2 / (a.length - 1) + qr ** 2 / (ref.length - 1));
  const half = t975(df) * se;
  const ci95: [number, number] = [difference - half, difference + half];
  return {
    model,
    metric,
    difference,
    ci95,
    verdict: ci95[0] > 0 || ci95[1] < 0 ? 'beyond noise' : 'within noise',
  };
}

/** Every model of the sweep against `reference` on every metric (seed values of finished runs). */
export function ablationContrasts(report: SweepReport, reference: string): AblationContrast[] {
  const values = (model: string, key: string) =>
    report.runs
      .filter((r) => r.model === model && r.status === 'done' && r.metrics?.[key] !== undefined)
      .sort((x, y) => x.seed - y.seed)
      .map((r) => r.metrics![key]);
  const out: AblationContrast[] = [];
  for (const model of report.config.models) {
    if (model === reference) continue;
    for (const m of sweepMetrics(report.config))
      out.push(contrast(model, m.key, values(model, m.key), values(reference, m.key)));
  }
  return out;
}

function ablationSweep(report: SweepReport): AblationSweep {
  const reference = report.config.experiment === 'rl' ? 'hh' : 'hh-fc';
  if (!(report.config.models as readonly string[]).includes(reference))
    throw new SweepFileError(
      `the ablation compares every model with ${reference}, which the sweep does not include`,
    );
  return { reference, report, contrasts: ablationContrasts(report, reference) };
}

/** Reads DIR/sweep.json of a finished pendulum sweep (`hhnet sweep examples/sweeps/ablation-rl.json`). */
export function readRlAblation(dir: string): AblationSweep {
  const path = join(dir, SWEEP_FILE);
  if (!existsSync(path))
    throw new SweepFileError(
      `${path} does not exist: run hhnet sweep examples/sweeps/ablation-rl.json --out ${dir} first`,
    );
  let raw: { config?: unknown; runs?: unknown; aggregates?: unknown };
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as typeof raw;
  } catch {
    throw new SweepFileError(`${path} is not readable JSON`);
  }
  const config = parseSweep(raw.config, `${path}: config`);
  if (config.experiment !== 'rl')
    throw new SweepFileError(
      `${path}: config.experiment is "${config.experiment}", expected "rl" (the pendulum ablation)`,
    );
  if (!Array.isArray(raw.runs) || !Array.isArray(raw.aggregates))
    throw new SweepFileError(`${path}: expected the arrays "runs" and "aggregates" of a finished sweep`);
  return ablationSweep({ ...(raw as SweepReport), config });
}

export async function runAblationPart(
  plan: AblationPlan,
  ctx: PartContext,
  deps: Pick<SweepDeps, 'runTraining'>,
  rlDir: string | null = null,
): Promise<AblationPart> {
  const total =
    plan.multitask.models.length * plan.multitask.seeds.length +
    (plan.rl ? plan.rl.models.length * plan.rl.seeds.length : 0);
  let done = 0;
  const log = (line: string) => {
    if (/ done/.test(line) && / — \d+\/\d+ done/.test(line)) ctx.progress(++done / total);
    ctx.stage(`ablation ${line}`);
  };
  const multitask = ablationSweep(
    await runSweep(plan.multitask, join(ctx.dir, 'multitask'), { ...deps, log }, { jobs: plan.jobs }),
  );
  let rl: AblationSweep | null = null;
  if (plan.rl)
    rl = ablationSweep(await runSweep(plan.rl, join(ctx.dir, 'rl'), { ...deps, log }, { jobs: plan.jobs }));
  else if (rlDir) rl = readRlAblation(rlDir);
  return { multitask, rl, rlSource: !plan.rl && rlDir ? rlDir : null };
}

const pts = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;

/** One sentence per model: how it compares with the reference on each metric. */
export function ablationReading(s: AblationSweep): string {
  const labels = Object.fromEntries(sweepMetrics(s.report.config).map((m) => [m.key, m.label]));
  const unit = s.report.config.experiment === 'rl' ? '' : ' points';
  const lines: string[] = [];
  for (const model of s.report.config.models) {
    if (model === s.reference) continue;
    const mine = s.contrasts.filter((c) => c.model === model);
    if (mine.every((c) => c.verdict === 'identical')) {
      lines.push(`${model} gives exactly the same results as ${s.reference} on every seed.`);
      continue;
    }
    const parts = mine.map((c) =>
      c.verdict === 'too few seeds'
        ? `${labels[c.metric]}: too few finished seeds to tell`
        : `${labels[c.metric]} ${pts(c.difference)}${unit} (95% interval ${pts(c.ci95![0])} to ${pts(c.ci95![1])}: ${c.verdict === 'beyond noise' ? 'beyond seed noise' : c.verdict === 'identical' ? 'identical' : 'within seed noise'})`,
    );
    lines.push(`${model} against ${s.reference}: ${parts.join('; ')}.`);
  }
  const beyond = s.contrasts.filter((c) => c.verdict === 'beyond noise').map((c) => c.model);
  const models = [...new Set(beyond)];
  lines.push(
    models.length
      ? `Beyond seed noise: ${models.join(', ')} (on at least one metric); every other difference is within the spread of the seeds.`
      : 'No difference from the reference is beyond seed noise at this scale.',
  );
  return lines.join(' ');
}

export function ablationFigureDefs(a: AblationPart): FigureDef[] {
  const defs: FigureDef[] = [
    {
      id: 'ablation-multitask',
      title: 'Ablation of internal complexity: multi-task',
      spec: sweepFigure(a.multitask.report),
    },
  ];
  if (a.rl)
    defs.push({
      id: 'ablation-rl',
      title: 'Ablation of internal complexity: pendulum',
      spec: sweepFigure(a.rl.report),
    });
  return defs;
}

function statCells(s: Spread, path: string) {
  return [
    at(s.n ? s.mean : null, `${path}.mean`),
    at(s.sd, `${path}.sd`),
    at(s.ci95?.[0], `${path}.ci95.0`),
    at(s.ci95?.[1], `${path}.ci95.1`),
  ];
}

function tables(s: AblationSweep, key: 'multitask' | 'rl') {
  const metrics = sweepMetrics(s.report.config);
  const what = key === 'rl' ? 'Pendulum' : 'Multi-task';
  const base = `ablation.${key}`;
  return [
    {
      title: `${what}: per model over seeds (mean, sample sd, Student-t 95% interval of the mean)`,
      columns: [
        'model',
        'what it changes',
        'seeds',
        ...metrics.flatMap((m) => [`${m.label} mean`, 'sd', '95% low', '95% high']),
      ],
      rows: s.report.aggregates.map((g, i) => [
        g.model,
        ABLATION_ROLES[g.model] ?? '',
        at(g.metrics[metrics[0].key].n, `${base}.report.aggregates.${i}.metrics.${metrics[0].key}.n`),
        ...metrics.flatMap((m) =>
          statCells(g.metrics[m.key], `${base}.report.aggregates.${i}.metrics.${m.key}`),
        ),
      ]),
    },
    {
      title: `${what}: each model minus ${s.reference} (Welch 95% interval of the difference)`,
      columns: ['model', 'metric', 'difference', '95% low', '95% high', 'verdict'],
      rows: s.contrasts.map((c, i) => [
        c.model,
        metrics.find((m) => m.key === c.metric)?.label ?? c.metric,
        at(Number.isFinite(c.difference) ? c.difference : null, `${base}.contrasts.${i}.difference`),
        at(c.ci95?.[0], `${base}.contrasts.${i}.ci95.0`),
        at(c.ci95?.[1], `${base}.contrasts.${i}.ci95.1`),
        c.verdict === 'beyond noise'
          ? 'beyond seed noise'
          : c.verdict === 'within noise'
            ? 'within seed noise'
            : c.verdict,
      ]),
    },
  ];
}

/** The shell command that reruns a sweep of the part. */
function sweepCommand(file: string): string {
  return `hhnet sweep examples/sweeps/${file} --out ablation --jobs 2`;
}

export function ablationSection(
  a: AblationPart,
  fig: (id: string, caption: string, command: string) => ReportFigure,
): ReportSection {
  const m = a.multitask.report.config as MultitaskSweep;
  const r = a.rl?.report.config as RlSweep | undefined;
  const intro =
    'What do the learning HH’s channels add? Each network is trained with the same settings on ' +
    `${m.dataset ?? 'the default data set'} (${m.limitTrain ?? 'all'} training / ${m.limitTest ?? 'all'} test images, ` +
    `${m.epochs} epoch(s)) for seeds ${m.seeds.join(', ')}, and compared with hh-fc by Welch’s 95% interval of the ` +
    'difference of the means: a difference is called beyond seed noise when that interval excludes zero. ' +
    'li-fc and hh-lr-fc draw the same initial weights as hh-fc for a given seed. ' +
    ablationReading(a.multitask) +
    ' ' +
    (a.rl
      ? `Pendulum (${r!.env ?? 'inverted-pendulum'}, ${r!.steps} steps, seeds ${r!.seeds.join(', ')}` +
        `${a.rlSource ? `, read from ${a.rlSource}` : ''}): ${ablationReading(a.rl)}`
      : 'The pendulum half of the ablation (5 actors × 5 seeds × 30,000 steps, about an hour on two cores) is not part of ' +
        `this run: \`${sweepCommand('ablation-rl.json')}\` runs it, and \`hhnet reproduce … --ablation-rl ablation\` adds it to this section.`);
  return {
    id: 'ablation',
    title: 'Beyond the study: an ablation of internal complexity',
    intro,
    figures: [
      fig(
        'ablation-multitask',
        'Final test accuracy per model, mean ± sd over seeds, and the mean test accuracy after each epoch.',
        sweepCommand('ablation.json'),
      ),
      ...(a.rl
        ? [
            fig(
              'ablation-rl',
              'Final evaluation return per actor, mean ± sd over seeds, and the mean return along training.',
              sweepCommand('ablation-rl.json'),
            ),
          ]
        : []),
    ],
    tables: [...tables(a.multitask, 'multitask'), ...(a.rl ? tables(a.rl, 'rl') : [])],
  };
}
