/** The mutual-information part of reproduce (spec 3.5): run, information-plane figure, section. */
import {
  informationPlaneSpec,
  loadMiData,
  resolveMiConfig,
  runMutualInformation,
} from '../experiments/mi.js';
import type { MiData, MiResult } from '../experiments/mi.js';
import { concatCharts } from '../report/charts.js';
import type { ReportFigure, ReportSection } from '../report/html.js';
import { prepareOutDir } from '../util/output.js';
import { hasCheckpoint } from '../train/checkpoint.js';
import { join } from 'node:path';
import { at } from './cells.js';
import type { FigureDef } from './learning-report.js';
import type { Plan } from './plan.js';
import type { PartContext } from './runner.js';

export interface MiPart {
  runs: MiResult[];
}

export async function runMiPart(plan: Plan['mi'], ctx: PartContext): Promise<MiPart> {
  const runs: MiResult[] = [];
  let data: MiData | null = null;
  for (const [i, model] of plan.models.entries()) {
    const { models: _all, ...settings } = plan;
    const cfg = resolveMiConfig({ model, ...settings }, 'reproduce plan');
    const dir = join(ctx.dir, model);
    await prepareOutDir(dir);
    ctx.stage(`${model} (${i + 1}/${plan.models.length})`);
    data ??= loadMiData(cfg);
    let perRun = 1;
    runs.push(
      await runMutualInformation(cfg, {
        out: dir,
        resume: hasCheckpoint(dir),
        force: !hasCheckpoint(dir),
        data,
        events: {
          start: (s) => (perRun = s.batchesPerEpoch * cfg.epochs),
          batch: (b) =>
            ctx.progress(
              (i + ((b.epoch - 1) * (perRun / cfg.epochs) + b.batch) / perRun) / plan.models.length,
            ),
        },
      }),
    );
  }
  return { runs };
}

export function miFigureDef(mi: MiPart): FigureDef {
  return {
    id: 'information-plane',
    title: 'Information plane of the bottleneck (per epoch)',
    spec: concatCharts(
      mi.runs.map((r) => ({ ...informationPlaneSpec(r), title: r.model, width: 300, height: 240 })),
      Math.min(3, mi.runs.length),
    ),
  };
}

export function miSection(
  plan: Plan['mi'],
  mi: MiPart,
  fig: (id: string, caption: string, command: string) => ReportFigure,
): ReportSection {
  const limits =
    (plan.limitTrain ? ` --limit-train ${plan.limitTrain}` : '') +
    (plan.limitTest ? ` --limit-test ${plan.limitTest}` : '');
  const beta = mi.runs[0]?.config.beta ?? 1e-3;
  return {
    id: 'mi',
    title: 'Mutual information (variational information bottleneck)',
    intro:
      `A bottleneck z = μ + σ·ε (K = 256, σ = softplus(· − 5)) on the spiking layer, two heads reading z, loss CE₁ + CE₂ + ` +
      `${beta}·KL (spec 3.5; Adam lr 1e-4, betas (0.5, 0.999), exponential decay 0.97). Bounds on the test set, in bits: ` +
      `I(Z;X) ≤ KL(N(μ, σ²) ‖ N(0, 1))/ln 2 and I(Z;Y) ≥ log₂ 10 − CE/ln 2 per task. Scale: ${plan.dataset}, ` +
      `${plan.limitTrain ?? 'all'} training / ${plan.limitTest ?? 'all'} test images, ${plan.epochs} epochs.`,
    figures: [
      fig(
        'information-plane',
        'I(Z;X) upper bound against I(Z;Y) lower bound after each epoch (labels: epoch), both tasks, one panel per network.',
        `for m in ${plan.models.join(' ')}; do hhnet mi --model $m --dataset ${plan.dataset} --epochs ${plan.epochs}${limits} --out runs/mi/$m; done`,
      ),
    ],
    tables: [
      {
        title: 'Bounds after the last epoch',
        columns: [
          'network',
          'epoch',
          'I(Z;X) ≤ (bits)',
          'I(Z;Y₁) ≥ (bits)',
          'I(Z;Y₂) ≥ (bits)',
          'task 1 (%)',
          'task 2 (%)',
        ],
        rows: mi.runs.map((r, i) => {
          const e = r.epochs.length - 1;
          const p = `mi.runs.${i}.epochs.${e}`;
          const last = r.epochs[e];
          return [
            r.model,
            at(last.epoch, `${p}.epoch`),
            at(last.izx, `${p}.izx`),
            at(last.izy.task1, `${p}.izy.task1`),
            at(last.izy.task2, `${p}.izy.task2`),
            at(last.acc1, `${p}.acc1`),
            at(last.acc2, `${p}.acc2`),
          ];
        }),
      },
    ],
  };
}
