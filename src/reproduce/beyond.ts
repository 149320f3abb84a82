/**
 * Beyond the study (issue 16): does the multi-branch multi-compartment layer (mc-fc) learn the
 * multi-task problem better than the study's networks? mc-fc, hh-fc and 4lif-fc are trained with
 * identical settings over several seeds; the part reports each model's parameter count (counted
 * from the built model), test accuracy per task as mean and spread over seeds, and the wall time per
 * epoch, and the section states what the comparison does and does not show.
 */
import { join } from 'node:path';
import { parameterCount } from '../experiments/resources.js';
import type { MultiKind } from '../data/multi.js';
import { MultitaskModelName, createMultitaskModel } from '../models/multitask.js';
import { barChart } from '../report/charts.js';
import type { ReportFigure, ReportSection } from '../report/html.js';
import { resolveTrainConfig } from '../train/config.js';
import type { TrainConfig } from '../train/config.js';
import { EpochRecord, loadMultitaskData, trainOrReuseMultitask } from '../train/multitask.js';
import { Rng } from '../util/rng.js';
import { at } from './cells.js';
import type { FigureDef } from './learning-report.js';
import type { PartContext } from './runner.js';

export interface BeyondPlan {
  models: MultitaskModelName[];
  dataset: MultiKind;
  seeds: number[];
  epochs: number;
  limitTrain: number | null;
  limitTest: number | null;
  /** The same for every model. */
  batch: number;
  /** Every model is trained at each of these Adam learning rates (no other tuning). */
  lrs: number[];
}

/** Mean, sample standard deviation (null for one value), range and count of one quantity over seeds. */
export interface SeedStat {
  mean: number;
  sd: number | null;
  min: number;
  max: number;
  n: number;
}

export interface BeyondRun {
  model: MultitaskModelName;
  lr: number;
  seed: number;
  epochs: EpochRecord[];
  final: EpochRecord;
  /** Mean wall time of an epoch (training plus the test evaluation), seconds. */
  secondsPerEpoch: number;
}

/** One model at one learning rate, over the seeds. */
export interface BeyondModel {
  model: MultitaskModelName;
  lr: number;
  /** All tensor elements of the built model, and the trainable ones. */
  params: number;
  trainableParams: number;
  acc1: SeedStat;
  acc2: SeedStat;
  secondsPerEpoch: SeedStat;
}

export interface BeyondPart {
  plan: BeyondPlan;
  runs: BeyondRun[];
  models: BeyondModel[];
}

export function seedStat(values: number[]): SeedStat {
  if (!values.length) throw new RangeError('seedStat: no values');
  const n = values.length;
  const mean = values.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : null;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values), n };
}

/** Parameter counts of the model as built (seed 0; the count does not depend on the seed). */
export function countParams(model: MultitaskModelName): { params: number; trainableParams: number } {
  const p = parameterCount(createMultitaskModel(model, new Rng(0)));
  return { params: p.total, trainableParams: p.trainable };
}

/** The part's runs: every learning rate × model × seed, in DIR/MODEL-lrLR-seedS. */
export function beyondRuns(plan: BeyondPlan, dir: string): { cfg: TrainConfig; dir: string }[] {
  const { models: _m, seeds: _s, lrs: _l, ...settings } = plan;
  return plan.lrs.flatMap((lr) =>
    plan.models.flatMap((model) =>
      plan.seeds.map((seed) => ({
        cfg: resolveTrainConfig({ model, seed, lr, ...settings }, 'reproduce plan'),
        dir: join(dir, `${model}-lr${lr}-seed${seed}`),
      })),
    ),
  );
}

export async function runBeyondPart(plan: BeyondPlan, ctx: PartContext): Promise<BeyondPart> {
  if (!plan.models.length || !plan.seeds.length || !plan.lrs.length)
    throw new RangeError('beyond: the plan needs at least one model, one seed and one learning rate');
  let data: ReturnType<typeof loadMultitaskData> | null = null;
  const jobs = beyondRuns(plan, ctx.dir);
  const runs: BeyondRun[] = [];
  for (const [i, { cfg, dir }] of jobs.entries()) {
    const { model, lr, seed } = cfg;
    ctx.stage(`${model}, lr ${lr}, seed ${seed} (${i + 1}/${jobs.length})`);
    const epochs = await trainOrReuseMultitask(cfg, dir, {
      data: () => (data ??= loadMultitaskData(cfg)),
      onProgress: (f) => ctx.progress((i + f) / jobs.length),
    });
    runs.push({
      model,
      lr,
      seed,
      epochs,
      final: epochs[epochs.length - 1],
      secondsPerEpoch: epochs.reduce((s, e) => s + e.seconds, 0) / epochs.length,
    });
  }
  const models = plan.lrs.flatMap((lr) =>
    plan.models.map((model): BeyondModel => {
      const mine = runs.filter((r) => r.model === model && r.lr === lr);
      return {
        model,
        lr,
        ...countParams(model),
        acc1: seedStat(mine.map((r) => r.final.acc1)),
        acc2: seedStat(mine.map((r) => r.final.acc2)),
        secondsPerEpoch: seedStat(mine.map((r) => r.secondsPerEpoch)),
      };
    }),
  );
  return { plan, runs, models };
}

function limits(p: BeyondPlan): string {
  return (
    (p.limitTrain ? ` --limit-train ${p.limitTrain}` : '') +
    (p.limitTest ? ` --limit-test ${p.limitTest}` : '')
  );
}

export function beyondCommand(p: BeyondPlan): string {
  return (
    `for lr in ${p.lrs.join(' ')}; do for m in ${p.models.join(' ')}; do for s in ${p.seeds.join(' ')}; do ` +
    `hhnet train multitask --model $m --seed $s --lr $lr --dataset ${p.dataset} --epochs ${p.epochs} --batch ${p.batch}` +
    `${limits(p)} --out runs/beyond/$m-lr$lr-seed$s; done; done; done`
  );
}

export function beyondFigureDef(b: BeyondPart): FigureDef {
  return {
    id: 'beyond-accuracy',
    title: 'Multi-branch (mc-fc) against the study’s networks: mean test accuracy over seeds',
    spec: barChart({
      title: `Mean test accuracy over ${b.plan.seeds.length} seed(s)`,
      xLabel: 'network, learning rate',
      yLabel: 'accuracy (%)',
      bars: b.models.flatMap((m) => [
        { label: `${m.model}, lr ${m.lr}`, value: m.acc1.mean, group: 'task 1' },
        { label: `${m.model}, lr ${m.lr}`, value: m.acc2.mean, group: 'task 2' },
      ]),
    }),
  };
}

const pts = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;

/** Whether two seed ranges are disjoint, and which is higher. */
function separated(a: SeedStat, b: SeedStat): 'above' | 'below' | 'overlap' {
  if (a.min > b.max) return 'above';
  if (a.max < b.min) return 'below';
  return 'overlap';
}

/** mc-fc against another entry: the differences of the means and whether the seeds separate them. */
function against(mc: BeyondModel, o: BeyondModel, nSeeds: number): string {
  const s1 = separated(mc.acc1, o.acc1);
  const s2 = separated(mc.acc2, o.acc2);
  const one = (x: 'above' | 'below' | 'overlap') =>
    x === 'overlap' ? 'the seed ranges overlap' : `every seed of mc-fc is ${x} every seed of ${o.model}`;
  const sep =
    nSeeds < 2
      ? 'one seed, so no spread to judge the difference against'
      : s1 === s2
        ? `${one(s1)} on both tasks`
        : `on task 1 ${one(s1)}, on task 2 ${one(s2)}`;
  return (
    `mc-fc is ${pts(mc.acc1.mean - o.acc1.mean)} points on task 1 and ${pts(mc.acc2.mean - o.acc2.mean)} on task 2 ` +
    `against ${o.model} (${sep})`
  );
}

/** The entry of `model` with the highest mean accuracy (sum of both tasks) over the learning rates. */
function best(b: BeyondPart, model: string): BeyondModel | undefined {
  return b.models
    .filter((m) => m.model === model)
    .reduce<BeyondModel | undefined>(
      (acc, m) => (!acc || m.acc1.mean + m.acc2.mean > acc.acc1.mean + acc.acc2.mean ? m : acc),
      undefined,
    );
}

/**
 * The plain-language reading of the result, generated from the numbers: mc-fc against each other
 * model at each learning rate, whether the seeds separate them, and a verdict on mc-fc against
 * hh-fc (the parameter-matched pair) each at its best learning rate.
 */
export function beyondReading(b: BeyondPart): string {
  const nSeeds = b.plan.seeds.length;
  const perLr = b.plan.lrs.flatMap((lr) => {
    const at = b.models.filter((m) => m.lr === lr);
    const mc = at.find((m) => m.model === 'mc-fc');
    const others = at.filter((m) => m.model !== 'mc-fc');
    return mc && others.length
      ? [`At lr ${lr}, ${others.map((o) => against(mc, o, nSeeds)).join('; ')}`]
      : [];
  });
  if (!perLr.length)
    return 'The plan did not include mc-fc and another network, so there is nothing to compare.';
  const mc = best(b, 'mc-fc')!;
  const hh = best(b, 'hh-fc');
  let verdict = '';
  if (hh) {
    const s1 = separated(mc.acc1, hh.acc1);
    const s2 = separated(mc.acc2, hh.acc2);
    const pair =
      b.plan.lrs.length > 1
        ? `Each at its best learning rate of those tried (picked on these test accuracies; mc-fc lr ${mc.lr}, hh-fc lr ${hh.lr}), `
        : '';
    verdict =
      nSeeds < 2
        ? 'With one seed this run cannot say whether the dendritic branches help. '
        : s1 === 'above' && s2 === 'above'
          ? `${pair}mc-fc is above hh-fc on both tasks for every seed: in this run the dendritic branches help. `
          : s1 === 'below' && s2 === 'below'
            ? `${pair}mc-fc is below hh-fc on both tasks for every seed: in this run the dendritic branches do not help. `
            : `${pair}mc-fc is not above hh-fc on both tasks for every seed: in this run the extra internal complexity ` +
              'of the dendritic branches does not clearly help. ';
  }
  const mcTime = b.models.filter((m) => m.model === 'mc-fc');
  const hhTime = b.models.filter((m) => m.model === 'hh-fc');
  const mean = (xs: BeyondModel[]) => xs.reduce((s, m) => s + m.secondsPerEpoch.mean, 0) / xs.length;
  const slow = hhTime.length ? mean(mcTime) / mean(hhTime) : null;
  return (
    `Measured (means over seeds). ${perLr.join('. ')}. ` +
    verdict +
    (slow !== null ? `An mc-fc epoch took ${slow.toFixed(1)}× as long as an hh-fc epoch. ` : '') +
    `What this does not show: the budget is small (${b.plan.epochs} epoch(s) on ${b.plan.limitTrain ?? 'all'} training and ` +
    `${b.plan.limitTest ?? 'all'} test images, far from the study's 40 epochs on the whole data set), there are only ${nSeeds} ` +
    `seed(s), every model gets the same settings (batch ${b.plan.batch}, learning rates ${b.plan.lrs.join(', ')}) with no ` +
    'other tuning per model, and the networks may rank differently once trained to convergence.' +
    (b.models.some((m) => m.model === '4lif-fc')
      ? ' 4lif-fc is the study’s network with four times the LIF neurons, so it is not parameter-matched (see its count); ' +
        'mc-fc and hh-fc are.'
      : '')
  );
}

export function beyondSection(
  b: BeyondPart,
  fig: (id: string, caption: string, command: string) => ReportFigure,
): ReportSection {
  const p = b.plan;
  return {
    id: 'beyond',
    title: 'Beyond the study: dendritic branches (mc-fc) at equal parameters',
    intro:
      `mc-fc replaces hh-fc's 512 HH neurons by 128 units, each an HH soma with 4 passive dendritic branches (docs/compartments.md), ` +
      `keeping the 1296 → 512 projection, so the two have about the same number of parameters. Each network is trained with ` +
      `the same settings on ${p.dataset} (${p.limitTrain ?? 'all'} training / ${p.limitTest ?? 'all'} test images, ` +
      `${p.epochs} epoch(s), batch ${p.batch}, T 15) at each Adam learning rate ${p.lrs.join(', ')}, for seeds ` +
      `${p.seeds.join(', ')}; accuracy is the test accuracy ` +
      `after the last epoch, mean and sample standard deviation over seeds; an epoch's time includes its test evaluation. ` +
      beyondReading(b),
    figures: [
      fig(
        'beyond-accuracy',
        'Mean test accuracy over seeds of task 1 (digit) and task 2 (second item) after training; the spread is in the table.',
        beyondCommand(p),
      ),
    ],
    tables: [
      {
        title: 'Per network and learning rate (mean and standard deviation over seeds)',
        columns: [
          'network',
          'lr',
          'parameters',
          'trainable',
          'task 1 mean (%)',
          'task 1 sd',
          'task 2 mean (%)',
          'task 2 sd',
          'seconds / epoch',
        ],
        rows: b.models.map((m, i) => [
          m.model,
          at(m.lr, `beyond.models.${i}.lr`),
          at(m.params, `beyond.models.${i}.params`),
          at(m.trainableParams, `beyond.models.${i}.trainableParams`),
          at(m.acc1.mean, `beyond.models.${i}.acc1.mean`),
          at(m.acc1.sd, `beyond.models.${i}.acc1.sd`),
          at(m.acc2.mean, `beyond.models.${i}.acc2.mean`),
          at(m.acc2.sd, `beyond.models.${i}.acc2.sd`),
          at(m.secondsPerEpoch.mean, `beyond.models.${i}.secondsPerEpoch.mean`),
        ]),
      },
      {
        title: 'Per run',
        columns: [
          'network',
          'seed',
          'task 1 (%)',
          'task 2 (%)',
          'train loss (last epoch)',
          'seconds / epoch',
        ],
        rows: b.runs.map((r, i) => [
          r.model,
          at(r.lr, `beyond.runs.${i}.lr`),
          at(r.seed, `beyond.runs.${i}.seed`),
          at(r.final.acc1, `beyond.runs.${i}.final.acc1`),
          at(r.final.acc2, `beyond.runs.${i}.final.acc2`),
          at(r.final.loss, `beyond.runs.${i}.final.loss`),
          at(r.secondsPerEpoch, `beyond.runs.${i}.secondsPerEpoch`),
        ]),
      },
    ],
  };
}
