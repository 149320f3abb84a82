/**
 * `hhnet reproduce`: run the study's parts, each saved as DIR/parts/NAME.json as soon as it
 * finishes (atomically), so a killed run resumes where it stopped; then write DIR/results.json and
 * a self-contained DIR/report.html with every figure (also saved as DIR/figures/*.svg).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { runEquivalence } from '../../experiments/equivalence.js';
import type { EquivalenceResult } from '../../experiments/equivalence.js';
import { runFiCurve, sustainedFiringOnset } from '../../experiments/fi-curve.js';
import type { FiResult } from '../../experiments/fi-curve.js';
import { checkRest } from '../../experiments/rest.js';
import type { RestCheck } from '../../experiments/rest.js';
import { renderSvg } from '../../report/charts.js';
import type { VegaLiteSpec } from '../../report/charts.js';
import { equivalenceFigures, fiFigure } from '../../report/dynamics-figures.js';
import { renderReport } from '../../report/html.js';
import type { ReportFigure, ReportSection } from '../../report/html.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { environment } from '../environment.js';
import { UserError, prepareOutDir, writeJson } from '../output.js';
import { Progress } from '../progress.js';
import { equivalenceJson } from './equivalence.js';

type Mode = 'quick' | 'full';

const FI_CURRENTS: Record<Mode, number[]> = {
  quick: [0, 1, 2, 3, 4, 5, 6, 6.1, 6.2, 6.3, 6.4, 6.5, 7, 8, 9, 10, 12, 15, 20, 30, 40, 50],
  full: [
    ...Array.from({ length: 12 }, (_, i) => i * 0.5),
    ...Array.from({ length: 11 }, (_, i) => 6 + i * 0.05),
    ...Array.from({ length: 19 }, (_, i) => 7 + i * 0.5),
    ...Array.from({ length: 17 }, (_, i) => 20 + i * 5),
  ].map((x) => Number(x.toFixed(2))),
};

interface Part<T> {
  name: string;
  config: Record<string, unknown>;
  run: () => T;
}

/** Run a part unless DIR/parts/NAME.json already holds a result for the same config. */
async function runPart<T>(dir: string, part: Part<T>, progress: Progress): Promise<T> {
  const path = join(dir, 'parts', `${part.name}.json`);
  try {
    const saved = JSON.parse(await readFile(path, 'utf8')) as { config: unknown; result: T };
    if (JSON.stringify(saved.config) === JSON.stringify(part.config)) {
      progress.stage(`${part.name}: already done (${path}), reusing`);
      return saved.result;
    }
  } catch {
    // missing or unreadable: (re)compute
  }
  progress.stage(`${part.name}: running`);
  const result = part.run();
  await writeJson(join(dir, 'parts'), `${part.name}.json`, { config: part.config, result });
  return result;
}

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description('run the study (dynamics part so far) and write results.json and report.html')
    .option('--quick', 'the fast configuration (default; what `npm start` runs)')
    .option('--full', 'the study-scale configuration (finer F–I sweep and steps)')
    .option('--out <dir>', 'output directory', 'results')
    .option('--quiet', 'no progress output')
    .action(async (flags: { quick?: boolean; full?: boolean; out: string; quiet?: boolean }) => {
      if (flags.quick && flags.full) throw new UserError('choose one of --quick and --full');
      const mode: Mode = flags.full ? 'full' : 'quick';
      const progress = new Progress(flags.quiet);
      const out = await prepareOutDir(flags.out);
      const started = Date.now();
      const fiDt = mode === 'full' ? 0.005 : 0.01;

      const rest = await runPart<RestCheck[]>(
        out,
        { name: 'rest', config: { duration: 100, dt: 0.01 }, run: () => restChecks() },
        progress,
      );
      const fi = await runPart<Record<string, FiResult>>(
        out,
        {
          name: 'fi-curve',
          config: { currents: FI_CURRENTS[mode], duration: 500, dt: fiDt },
          run: () => ({
            expeuler: runFiCurve({
              model: 'hh',
              currents: FI_CURRENTS[mode],
              duration: 500,
              dt: fiDt,
              integrator: 'expeuler',
            }),
            rk4: runFiCurve({
              model: 'hh',
              currents: FI_CURRENTS[mode],
              duration: 500,
              dt: fiDt,
              integrator: 'rk4',
            }),
          }),
        },
        progress,
      );
      const eqConfig = { dt: 0.001, duration: 80, integrator: 'euler' as const, seed: 1 };
      const eq = await runPart<EquivalenceResult>(
        out,
        {
          name: 'equivalence',
          config: eqConfig,
          run: () => runEquivalence({ ...eqConfig, onProgress: (m) => progress.stage(`  ${m}`) }),
        },
        progress,
      );

      progress.stage('rendering figures and report');
      const figures = await renderFigures(out, [
        {
          id: 'fi-curve',
          title: 'F–I curve of HH',
          spec: fiFigure([
            { label: 'HH expeuler', points: fi.expeuler.points },
            { label: 'HH rk4', points: fi.rk4.points },
          ]),
        },
        ...equivalenceFigures(eq).map((f) => ({ id: 'equivalence-' + slug(f.title), ...f })),
      ]);
      const env = environment();
      const generatedAt = new Date().toISOString();
      const results = {
        generatedAt,
        mode,
        environment: env,
        rest,
        fiCurve: {
          config: fi.expeuler.config,
          sustainedOnset: {
            expeuler: sustainedFiringOnset(fi.expeuler.points),
            rk4: sustainedFiringOnset(fi.rk4.points),
          },
          expeuler: fi.expeuler.points,
          rk4: fi.rk4.points,
        },
        equivalence: equivalenceJson(eq),
      };
      await writeJson(out, 'results.json', results);
      const html = renderReport({
        title: 'hhnet: networks with internal complexity, reproduced',
        subtitle: `${mode} run — dynamics: resting state, F–I curve, HH ≡ tv-LIF2HH, s-LIF2HH`,
        generatedAt,
        environment: env,
        sections: reportSections(mode, rest, fi, eq, figures),
      });
      await writeFileAtomic(join(out, 'report.html'), html);
      progress.stage(
        `wrote ${join(out, 'report.html')} and ${join(out, 'results.json')} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    });
}

/** A plain-words verdict on the s-LIF2HH circuit, computed from the entries. */
function slif2hhSummary(eq: EquivalenceResult): string {
  const s = eq.entries.filter((e) => e.model === 'slif2hh');
  const sameCount = s.filter((e) => e.spikeCount === e.referenceSpikeCount).length;
  const errors = s.map((e) => e.spikeTimeErrorOverISI).filter((x): x is number => x !== null);
  const gammas = s.map((e) => e.coincidence);
  const maxCountDiff = Math.max(...s.map((e) => Math.abs(e.spikeCount - e.referenceSpikeCount)));
  return (
    `s-LIF2HH matches the HH spike count on ${sameCount} of ${s.length} waveforms; its spike-time error / ISI ranges ` +
    `${Math.min(...errors).toFixed(2)}–${Math.max(...errors).toFixed(2)} and Γ ${Math.min(...gammas).toFixed(2)}–` +
    `${Math.max(...gammas).toFixed(2)}, with spike counts off by at most ${maxCountDiff}.`
  );
}

function restChecks(): RestCheck[] {
  const checks: RestCheck[] = [];
  for (const model of ['hh', 'hh-modern'] as const)
    for (const integrator of ['euler', 'rk4', 'expeuler'] as const) checks.push(checkRest(model, integrator));
  return checks;
}

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

async function renderFigures(
  out: string,
  figs: { id: string; title: string; spec: VegaLiteSpec }[],
): Promise<Map<string, { title: string; svg: string }>> {
  const dir = join(out, 'figures');
  await prepareOutDir(dir);
  const rendered = new Map<string, { title: string; svg: string }>();
  for (const f of figs) {
    const svg = await renderSvg(f.spec);
    await writeFileAtomic(join(dir, `${f.id}.svg`), svg);
    rendered.set(f.id, { title: f.title, svg });
  }
  return rendered;
}

function reportSections(
  mode: Mode,
  rest: RestCheck[],
  fi: Record<string, FiResult>,
  eq: EquivalenceResult,
  figures: Map<string, { title: string; svg: string }>,
): ReportSection[] {
  const fig = (id: string, caption: string, command: string): ReportFigure => {
    const f = figures.get(id);
    if (!f) throw new Error(`figure ${id} was not rendered`);
    return { title: f.title, svg: f.svg, caption, command };
  };
  const rateAt = (r: FiResult, current: number): number | null =>
    r.points.find((p) => Math.abs(p.current - current) < 1e-9)?.rateHz ?? null;
  const c = eq.config;
  return [
    {
      id: 'rest',
      title: 'Resting state',
      intro:
        'The resting potential solves I_ion(V, x∞(V)) = 0; the neuron is then left alone for 100 ms at dt 0.01 ms. ' +
        'Published steady-state gates at 0 mV (shifted convention): m ≈ 0.0529, h ≈ 0.5961, n ≈ 0.3177.',
      tables: [
        {
          title: 'Resting state and drift over 100 ms',
          columns: ['model', 'integrator', 'V rest (mV)', 'm', 'h', 'n', 'max |ΔV| (mV)'],
          rows: rest.map((r) => [r.model, r.integrator, r.restV, r.m, r.h, r.n, r.maxDriftMv]),
        },
      ],
    },
    {
      id: 'fi',
      title: 'F–I curve of the Hodgkin–Huxley neuron',
      intro:
        'Steady firing rate (from the inter-spike intervals in the last 250 ms of a 500 ms run) against constant current. ' +
        'The 1952 model fires repetitively only above about 6.2–6.3 µA/cm² and at about 68 Hz at 10 µA/cm².',
      figures: [
        fig(
          'fi-curve',
          'Solid: exponential Euler; dashed: RK4.',
          `hhnet fi-curve --model hh --currents ${fi.expeuler.config.currents.join(',')} --duration 500 --dt ${fi.expeuler.config.dt} --integrator rk4`,
        ),
      ],
      tables: [
        {
          title: 'Key facts',
          columns: [
            'integrator',
            'rate at 6.0 (Hz)',
            'rate at 6.3 (Hz)',
            'rate at 10 (Hz)',
            'sustained firing from (µA/cm²)',
          ],
          rows: (['expeuler', 'rk4'] as const).map((k) => [
            k,
            rateAt(fi[k], 6),
            rateAt(fi[k], 6.3),
            rateAt(fi[k], 10),
            sustainedFiringOnset(fi[k].points),
          ]),
        },
        {
          title: 'All points',
          columns: [
            'current (µA/cm²)',
            'rate expeuler (Hz)',
            'rate RK4 (Hz)',
            'spikes (expeuler)',
            'first spike (ms)',
          ],
          rows: fi.expeuler.points.map((p, i) => [
            p.current,
            p.rateHz,
            fi.rk4.points[i].rateHz,
            p.spikeCount,
            p.firstSpikeMs,
          ]),
        },
      ],
    },
    {
      id: 'equivalence',
      title: 'One HH neuron equals four tv-LIF neurons (tv-LIF2HH); s-LIF2HH keeps part of the behaviour',
      intro:
        `HH and the tv-LIF2HH micro-circuit are driven by the same five waveforms for ${c.duration} ms at dt ${c.dt} ms ` +
        `(${c.integrator}); the micro-circuit computes its own gates from its own potential. The s-LIF2HH circuit runs at ` +
        `dt ${c.slif2hhDt} ms with one wiring fitted to the HH spike trains of all five waveforms (seed ${c.seed}, ` +
        `${eq.slif2hhFit.evaluations} evaluations, loss ${eq.slif2hhFit.loss.toFixed(3)}). Metrics: mean |Δt| of paired spikes over ` +
        `the mean HH inter-spike interval (the study's metric), Kistler's coincidence factor Γ (Δ = ${c.coincidenceWindow} ms), ` +
        `van Rossum distance (τ = ${c.vanRossumTau} ms) and the RMSE of V. ` +
        slif2hhSummary(eq),
      figures: [
        ...eq.waveforms.map((w) =>
          fig(
            `equivalence-waveform-${w.stimulus}`,
            `Input ${w.stimulus} (${Object.entries(w.params)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}). The dashed tv-LIF2HH trace lies on the HH trace.`,
            `hhnet equivalence --dt ${c.dt} --duration ${c.duration} --integrator ${c.integrator} --seed ${c.seed}`,
          ),
        ),
        ...eq.networks.map((n) =>
          fig(
            `equivalence-network-${n.name}`,
            `${n.description}. ${n.equalCounts}/${n.neurons} neurons with equal spike counts; largest paired spike-time difference ${n.maxSpikeTimeDiff.toExponential(2)} ms.`,
            `hhnet equivalence --dt ${c.dt} --duration ${c.duration} --integrator ${c.integrator} --seed ${c.seed}`,
          ),
        ),
      ],
      tables: [
        {
          title: 'Spike trains and voltage against HH',
          columns: [
            'stimulus',
            'model',
            'spikes',
            'HH spikes',
            'error / ISI',
            'Γ',
            'van Rossum',
            'V RMSE (mV)',
          ],
          rows: eq.entries.map((e) => [
            e.stimulus,
            e.model,
            e.spikeCount,
            e.referenceSpikeCount,
            e.spikeTimeErrorOverISI,
            e.coincidence,
            e.vanRossum,
            e.vRmse,
          ]),
        },
        {
          title: 'Networks built from HH neurons vs from tv-LIF2HH circuits',
          columns: [
            'network',
            'neurons',
            'equal counts',
            'spikes HH',
            'spikes tv-LIF2HH',
            'mean Γ',
            'max |Δt| (ms)',
          ],
          rows: eq.networks.map((n) => [
            n.name,
            n.neurons,
            n.equalCounts,
            n.totalSpikes.hh,
            n.totalSpikes.tvlif2hh,
            n.meanCoincidence,
            n.maxSpikeTimeDiff,
          ]),
        },
      ],
    },
    {
      id: 'methods',
      title: 'Methods',
      intro:
        `Mode: ${mode}. HH (shifted convention): C = 1 µF/cm², ḡNa = 120, ḡK = 36, gL = 0.3 mS/cm², ENa = 115, EK = −12, ` +
        'EL = 10.613 mV; spikes are upward crossings of 70 mV (−40 mV in the modern convention), timed by linear interpolation. ' +
        'Inputs are held constant over each step. Exponential Euler solves each variable exactly with its coefficients frozen ' +
        'over the step (Rush–Larsen for the gates). The networks use exponential current synapses (τs = 2 ms) with a one-step ' +
        'delay. Every part is saved in parts/*.json and reused when the configuration is unchanged.',
    },
  ];
}
