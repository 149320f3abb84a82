/** The computing-resources part of reproduce (spec 3.4): run, figure and report section. */
import { measureResources } from '../experiments/resources.js';
import type { ResourcesResult } from '../experiments/resources.js';
import type { ReportFigure, ReportSection } from '../report/html.js';
import { resourcesFigure } from '../experiments/resources-figures.js';
import { at } from './cells.js';
import type { FigureDef } from './learning-report.js';
import type { Plan } from './plan.js';
import type { PartContext } from './runner.js';

export function runResourcesPart(plan: Plan['resources'], ctx: PartContext): Promise<ResourcesResult> {
  const n = plan.models.length;
  return measureResources({
    ...plan,
    onProgress: (p) => {
      const i = plan.models.indexOf(p.model);
      const phase = p.phase === 'count' ? 0 : p.phase === 'train' ? 1 : 2;
      ctx.progress((i + (phase + p.done / Math.max(1, p.total)) / 3) / n);
    },
  });
}

export function resourcesFigureDef(r: ResourcesResult): FigureDef {
  return { id: 'resources', title: 'Computing resources per network', spec: resourcesFigure(r) };
}

/** The study's claim (HH ≈ 1/4 of s-LIF2HH's memory and ~1/2 its time), checked in words. */
export function hhVersusSlif2hh(r: ResourcesResult): string {
  const hh = r.models.find((m) => m.model === 'hh-fc');
  const s = r.models.find((m) => m.model === 'slif2hh-fc');
  if (!hh || !s) return '';
  const mem = hh.referenceActivationBytes / s.referenceActivationBytes;
  const ownMem = hh.peakActivationBytes / s.peakActivationBytes;
  const time = hh.trainMsPerBatch / s.trainMsPerBatch;
  const verdict = (ok: boolean, what: string) => (ok ? `less ${what} than` : `NOT less ${what} than`);
  return (
    `Saving its membrane potential for backward as the reference implementation does, hh-fc keeps ${(100 * mem).toFixed(0)}% ` +
    `of slif2hh-fc's memory for backward; it takes ${(100 * time).toFixed(0)}% of its training time per batch: it needs ` +
    `${verdict(mem < 1, 'memory')} and ${verdict(time < 1, 'time')} s-LIF2HH (the study: about 1/4 of the memory and ` +
    `roughly half the time). hhnet's learning HH keeps no v: with constant-rate gates v is an affine function of a ` +
    `static input, so the forward computes each neuron's input gradient factor (a rate output) or backward recomputes v ` +
    `(spike trains), which brings hh-fc to ${(100 * ownMem).toFixed(1)}% of slif2hh-fc's memory.`
  );
}

export function resourcesSection(
  plan: Plan['resources'],
  r: ResourcesResult,
  fig: (id: string, caption: string, command: string) => ReportFigure,
): ReportSection {
  return {
    id: 'resources',
    title: 'Computing resources',
    intro:
      `Per network at batch ${r.config.batch}, T ${r.config.T} (spec 3.4), ${r.config.backend} backend, median of ${r.config.repeats} ` +
      `timed steps. ${hhVersusSlif2hh(r)}\n\n` +
      Object.entries(r.config.definitions)
        .map(([k, v]) => `${k}: ${v}.`)
        .join(' '),
    figures: [
      fig(
        'resources',
        'Parameters, FLOPs per inference, memory kept for backward, training and inference time.',
        `hhnet resources --models ${plan.models.join(',')} --batch ${plan.batch} --T ${plan.T} --repeats ${plan.repeats} --out runs/resources`,
      ),
    ],
    tables: [
      {
        title: 'Resources',
        columns: [
          'network',
          'params',
          'FLOPs / sample',
          'kept for backward (bytes)',
          'kept, saving v as the reference (bytes)',
          'train ms / batch',
          'infer ms / batch',
        ],
        rows: r.models.map((m, i) => [
          m.model,
          ...(
            [
              'params',
              'flopsPerSample',
              'peakActivationBytes',
              'referenceActivationBytes',
              'trainMsPerBatch',
              'inferMsPerBatch',
            ] as const
          ).map((k) => at(m[k], `resources.models.${i}.${k}`)),
        ]),
      },
    ],
  };
}
