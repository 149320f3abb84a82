/**
 * `hhnet reproduce`: runs the study's parts — dynamics, multi-task learning, robustness, RL — each
 * saved as DIR/parts/NAME.json as soon as it finishes (atomically) and reused when its
 * configuration is unchanged, with long runs checkpointed under DIR/runs, so a killed reproduce
 * resumes where it stopped. Then writes DIR/results.json, DIR/figures/*.{svg,png,vl.json} and the
 * self-contained DIR/report.html (interactive charts with vega-embed inlined, static SVG fallback).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { runEquivalence } from '../../experiments/equivalence.js';
import type { EquivalenceResult } from '../../experiments/equivalence.js';
import { runFiCurve, sustainedFiringOnset } from '../../experiments/fi-curve.js';
import type { FiResult } from '../../experiments/fi-curve.js';
import { checkRest } from '../../experiments/rest.js';
import type { RestCheck } from '../../experiments/rest.js';
import type { MultitaskRobustnessResult, RlRobustnessResult } from '../../experiments/robustness.js';
import { renderPng, renderSvg } from '../../report/charts.js';
import { equivalenceFigures, fiFigure } from '../../experiments/dynamics-figures.js';
import { renderReport } from '../../report/html.js';
import type { ReportFigure } from '../../report/html.js';
import { chartLibraries } from '../../report/libraries.js';
import { dynamicsSections } from '../../reproduce/dynamics-report.js';
import {
  runMultitaskPart,
  runRlPart,
  runRlRobustnessPart,
  runRobustnessPart,
} from '../../reproduce/learning.js';
import type { MultitaskPart, RlPart } from '../../reproduce/learning.js';
import { FigureDef, learningFigures, learningSections } from '../../reproduce/learning-report.js';
import { MODES, Mode, Plan, makePlan } from '../../reproduce/plan.js';
import { PartRunner } from '../../reproduce/runner.js';
import type { PartContext } from '../../reproduce/runner.js';
import { beyondFigureDef, beyondSection, runBeyondPart } from '../../reproduce/beyond.js';
import type { BeyondPart } from '../../reproduce/beyond.js';
import {
  ablationFigureDefs,
  ablationSection,
  readRlAblation,
  runAblationPart,
} from '../../reproduce/ablation.js';
import type { AblationPart } from '../../reproduce/ablation.js';
import { trainingRunner } from './sweep.js';
import { trainOverQueue } from '../../reproduce/distribute.js';
import { miFigureDef, miSection, runMiPart } from '../../reproduce/mi-report.js';
import type { MiPart } from '../../reproduce/mi-report.js';
import { resourcesFigureDef, resourcesSection, runResourcesPart } from '../../reproduce/resources-report.js';
import type { ResourcesResult } from '../../experiments/resources.js';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomic.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';
import { environment } from '../../util/environment.js';
import { UserError, prepareOutDir, writeJson } from '../output.js';
import { Progress } from '../../util/progress.js';
import { equivalenceJson } from './equivalence.js';
import { InterruptedError, catchInterrupts } from '../../util/interrupt.js';

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description(
      'run the study (dynamics, multi-task, robustness, resources, mutual information, RL) and the multi-branch comparison beyond it, and write results.json and report.html',
    )
    .option('--quick', 'every part at reduced scale, ~10 min on two cores (default; what `npm start` runs)')
    .option('--full', 'the study’s scale (40 epochs on the full data, ~300k RL steps: many hours)')
    .option('--smoke', 'seconds-long run of every code path (for tests)')
    .option('--out <dir>', 'output directory (a re-run reuses the parts it finished)', 'results')
    .option(
      '--only <part>',
      'run one part alone and save it in DIR/parts, no report (rest, fi-curve, equivalence, multitask, robustness, resources, mi, rl, rl-robustness, beyond, ablation)',
    )
    .option(
      '--ablation-rl <dir>',
      'add the pendulum ablation to the report from a finished `hhnet sweep examples/sweeps/ablation-rl.json --out DIR`',
    )
    .option('--force', 'redo parts that --out holds from other settings (e.g. --quick parts under --full)')
    .option(
      '--queue <url>',
      'train the learning parts’ runs on `hhnet worker`s over a BullMQ queue in Redis (redis://HOST:PORT) first; the workers share DIR/runs',
    )
    .option(...BACKEND_FLAG)
    .option('--quiet', 'no progress output')
    .action(
      async (flags: {
        quick?: boolean;
        full?: boolean;
        smoke?: boolean;
        out: string;
        force?: boolean;
        only?: string;
        ablationRl?: string;
        queue?: string;
        backend?: string;
        quiet?: boolean;
      }) => {
        catchInterrupts();
        const chosen = MODES.filter((m) => flags[m]);
        if (chosen.length > 1) throw new UserError(`choose one of ${MODES.map((m) => `--${m}`).join(', ')}`);
        selectBackend(flags.backend);
        const mode: Mode = chosen[0] ?? 'quick';
        try {
          const plan = makePlan(mode);
          if (flags.queue) await trainRunsOverQueue(plan, flags, new Progress(flags.quiet));
          if (flags.only !== undefined)
            await reproducePart(plan, flags.only, flags.out, new Progress(flags.quiet), flags.force);
          else
            await reproduce(
              plan,
              flags.out,
              new Progress(flags.quiet),
              flags.force,
              flags.ablationRl ?? null,
            );
        } catch (err) {
          // A part's own advice ("--resume") does not apply here: a re-run resumes every part.
          if (err instanceof InterruptedError)
            throw new InterruptedError(
              `${err.message.split(';')[0]}; finished parts and checkpoints are kept in ${flags.out}: the same command continues`,
            );
          throw err;
        }
      },
    );
}

/**
 * --queue: every unfinished training run of the learning parts (of --only's part alone, when
 * given) goes to the workers first; the parts then read them back.
 */
async function trainRunsOverQueue(
  plan: Plan,
  flags: { out: string; queue?: string; only?: string; force?: boolean },
  progress: Progress,
): Promise<void> {
  const saved = (part: string) => !flags.force && existsSync(join(flags.out, 'parts', `${part}.json`));
  const partSaved = flags.only === undefined ? saved : (part: string) => part !== flags.only || saved(part);
  const t0 = Date.now();
  const { total, queued } = await trainOverQueue(plan, flags.out, flags.queue!, partSaved, {
    log: (line) => progress.stage(`queue: ${line}`),
    onProgress: (p) =>
      progress.stage(
        `queue: ${p.done} done, ${p.running} running, ${p.failed} failed, ${p.waiting} waiting of ${p.total}`,
      ),
  });
  progress.stage(
    `queue: ${queued} of ${total} training runs trained by workers in ${((Date.now() - t0) / 1000).toFixed(1)} s; the parts read them back`,
  );
}

export async function reproduce(
  plan: Plan,
  outDir: string,
  progress: Progress,
  force = false,
  /** A finished pendulum ablation sweep to add to the report (when the plan does not run one). */
  ablationRlDir: string | null = null,
): Promise<void> {
  // Checked before hours of work, not after.
  const rlAblation = ablationRlDir && !plan.ablation.rl ? readRlAblation(ablationRlDir) : null;
  const out = await prepareOutDir(outDir);
  for (const note of plan.notes) progress.stage(`note: ${note}`);
  const runner = new PartRunner(out, progress, plan.estimates, force);

  const parts = partDefs(plan);
  const rest = await runner.run('rest', parts.rest.config, parts.rest.fn);
  const fi = await runner.run('fi-curve', parts['fi-curve'].config, parts['fi-curve'].fn);
  const eq = await runner.run('equivalence', parts.equivalence.config, parts.equivalence.fn);
  const mt = await runner.run('multitask', parts.multitask.config, parts.multitask.fn);
  const rob = await runner.run('robustness', parts.robustness.config, parts.robustness.fn);
  const res = await runner.run('resources', parts.resources.config, parts.resources.fn);
  const mi = await runner.run('mi', parts.mi.config, parts.mi.fn);
  const rl = await runner.run('rl', parts.rl.config, parts.rl.fn);
  const rlRob = await runner.run('rl-robustness', parts['rl-robustness'].config, parts['rl-robustness'].fn);
  const beyond = await runner.run('beyond', parts.beyond.config, parts.beyond.fn);
  const ablationRun = await runner.run('ablation', parts.ablation.config, parts.ablation.fn);
  const ablation: AblationPart = rlAblation
    ? { ...ablationRun, rl: rlAblation, rlSource: ablationRlDir }
    : ablationRun;

  progress.stage('rendering figures and report');
  const defs: FigureDef[] = [
    {
      id: 'fi-curve',
      title: 'F–I curve of HH',
      spec: fiFigure([
        { label: 'HH expeuler', points: fi.expeuler.points },
        { label: 'HH rk4', points: fi.rk4.points },
      ]),
    },
    ...equivalenceFigures(eq).map((f) => ({ id: 'equivalence-' + slug(f.title), ...f })),
    ...learningFigures(mt, rob, rl, rlRob),
    resourcesFigureDef(res),
    miFigureDef(mi),
    beyondFigureDef(beyond),
    ...ablationFigureDefs(ablation),
  ];
  const figures = await renderFigures(out, defs);
  const fig = (id: string, caption: string, command: string): ReportFigure => {
    const f = figures.get(id);
    if (!f) throw new Error(`figure ${id} was not rendered`);
    return { ...f, caption, command };
  };
  const env = environment();
  const generatedAt = new Date().toISOString();
  const results = {
    generatedAt,
    mode: plan.mode,
    notes: plan.notes,
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
    multitask: mt,
    robustness: rob,
    resources: res,
    mi,
    rl: {
      plan: rl.plan,
      runs: rl.runs.map(({ episodes, ...r }) => ({ ...r, episodeCount: episodes.length })),
    },
    rlRobustness: rlRob,
    beyond,
    ablation,
  };
  await writeJson(out, 'results.json', results);
  const sections = [
    ...dynamicsSections(rest, fi, eq, fig),
    ...learningSections(plan, mt, rob, rl, rlRob, fig),
    resourcesSection(plan.resources, res, fig),
    miSection(plan.mi, mi, fig),
    beyondSection(beyond, fig),
    ablationSection(ablation, fig),
    {
      id: 'methods',
      title: 'Methods',
      intro: methods(plan),
    },
  ];
  const html = renderReport({
    title: 'hhnet: networks with internal complexity, reproduced',
    subtitle: `${plan.mode} run — dynamics, multi-task learning, robustness, computing resources, mutual information, reinforcement learning, and beyond the study: dendritic branches and an ablation of internal complexity`,
    generatedAt,
    environment: env,
    sections,
    libraries: chartLibraries(),
  });
  await writeFileAtomic(join(out, 'report.html'), html);
  progress.stage(
    `wrote ${join(out, 'report.html')} and ${join(out, 'results.json')} in ${runner.elapsedSeconds.toFixed(1)} s` +
      (runner.ran.length < Object.keys(plan.estimates).length
        ? ` (reused: ${reusedList(plan, runner.ran)})`
        : ''),
  );
}

const part = <T>(config: unknown, fn: (ctx: PartContext) => Promise<T> | T) => ({ config, fn });

/** Every part: the configuration it is saved with (a saved part with another one is refused) and how it runs. */
function partDefs(plan: Plan) {
  const fiRun = (integrator: 'expeuler' | 'rk4') =>
    runFiCurve({ model: 'hh', currents: plan.fiCurrents, duration: 500, dt: plan.fiDt, integrator });
  return {
    rest: part<RestCheck[]>({ duration: 100, dt: 0.01 }, () => restChecks()),
    'fi-curve': part<Record<string, FiResult>>(
      { currents: plan.fiCurrents, duration: 500, dt: plan.fiDt },
      () => ({ expeuler: fiRun('expeuler'), rk4: fiRun('rk4') }),
    ),
    equivalence: part<EquivalenceResult>(plan.equivalence, (ctx) =>
      runEquivalence({ ...plan.equivalence, onProgress: (m) => ctx.stage(m) }),
    ),
    multitask: part<MultitaskPart>(plan.multitask, (ctx) => runMultitaskPart(plan.multitask, ctx)),
    robustness: part<MultitaskRobustnessResult>(plan.robustness, (ctx) =>
      runRobustnessPart(plan.robustness, ctx),
    ),
    resources: part<ResourcesResult>(plan.resources, (ctx) => runResourcesPart(plan.resources, ctx)),
    mi: part<MiPart>(plan.mi, (ctx) => runMiPart(plan.mi, ctx)),
    rl: part<RlPart>(plan.rl, (ctx) => runRlPart(plan.rl, ctx)),
    'rl-robustness': part<RlRobustnessResult>(plan.rlRobustness, (ctx) =>
      runRlRobustnessPart(plan.rlRobustness, ctx),
    ),
    beyond: part<BeyondPart>(plan.beyond, (ctx) => runBeyondPart(plan.beyond, ctx)),
    ablation: part<AblationPart>(plan.ablation, (ctx) =>
      runAblationPart(plan.ablation, ctx, { runTraining: trainingRunner(new Set()) }),
    ),
  };
}

/**
 * Runs one part alone and saves it as DIR/parts/NAME.json, as a whole reproduce would (which then
 * reuses it when the settings agree); writes no report.
 */
export async function reproducePart(
  plan: Plan,
  name: string,
  outDir: string,
  progress: Progress,
  force = false,
): Promise<void> {
  const defs = partDefs(plan);
  if (!Object.hasOwn(defs, name))
    throw new UserError(`--only: no part "${name}" (parts: ${Object.keys(defs).join(', ')})`);
  const def = defs[name as keyof typeof defs];
  const out = await prepareOutDir(outDir);
  for (const note of plan.notes) progress.stage(`note: ${note}`);
  const runner = new PartRunner(out, progress, { [name]: plan.estimates[name] ?? 60 }, force);
  await runner.run(name, def.config, def.fn as (ctx: PartContext) => unknown);
  progress.stage(
    `saved ${join(out, 'parts', `${name}.json`)}; \`hhnet reproduce --${plan.mode} --out ${outDir}\` reuses it in the report`,
  );
}

function reusedList(plan: Plan, ran: string[]): string {
  return Object.keys(plan.estimates)
    .filter((n) => !ran.includes(n))
    .join(', ');
}

/** The methods text, generated from the plan that actually ran. */
function methods(plan: Plan): string {
  const mt = plan.multitask;
  return [
    `Mode: ${plan.mode}. ${plan.notes.join(' ')}`,
    'Dynamics: HH (shifted convention): C = 1 µF/cm², ḡNa = 120, ḡK = 36, gL = 0.3 mS/cm², ENa = 115, EK = −12, EL = 10.613 mV; ' +
      'spikes are upward crossings of 70 mV (−40 mV in the modern convention), timed by linear interpolation. Inputs are held ' +
      'constant over each step. Exponential Euler solves each variable exactly with its coefficients frozen over the step ' +
      `(Rush–Larsen for the gates). F–I: ${plan.fiCurrents.length} currents, 500 ms at dt ${plan.fiDt} ms. Equivalence: ` +
      `dt ${plan.equivalence.dt} ms, ${plan.equivalence.duration} ms, ${plan.equivalence.integrator}, seed ${plan.equivalence.seed}.`,
    `Multi-task: ${mt.models.join(', ')} on ${mt.dataset} (${mt.limitTrain ?? 'all'} / ${mt.limitTest ?? 'all'} images), ` +
      `${mt.epochs} epoch(s), batch 128, T 15, seed 0, Adam lr 1e-4, weight decay 1e-5, MultiStepLR [10, 20, 30] × 0.1. ` +
      `Learning HH: Euler dt 0.01, θ 0.2, rates U(0, 0.01), input weights × 0.01; LIF: decay 0.2, θ 0.3; s-LIF2HH: decay 0.5, θ 2; ` +
      'surrogate: rectangular window. Robustness: the same training with one fixed noise image A·N(0,1) (seeded) on every input, ' +
      `A ∈ {${plan.robustness.noise.join(', ')}}, ${plan.robustness.limitTrain ?? 'all'} training images.`,
    'RL: SAC (twin critics 128-128, Polyak τ 0.005, γ 0.99, Adam 3e-4, α 0.2, batch 64, replay 10⁶, one update per step), actors ' +
      'reading 5 observations × 3 presentations; HH actor with per-neuron dt ~ U(0, 0.2) and θ 2.3. ' +
      plan.rl.map((p) => `${p.env}: ${p.models.join(', ')}, ${p.steps} steps, seed 0.`).join(' ') +
      ` Double pendulum trained on the study's shaped reward; evaluations use the environment reward.`,
    `Beyond the study: ${plan.beyond.models.join(', ')} on ${plan.beyond.dataset} (${plan.beyond.limitTrain ?? 'all'} / ` +
      `${plan.beyond.limitTest ?? 'all'} images), ${plan.beyond.epochs} epoch(s), batch ${plan.beyond.batch}, Adam lr ${plan.beyond.lrs.join(' and ')} ` +
      `for every model, seeds ${plan.beyond.seeds.join(', ')}; parameter counts are of the built models.`,
    `Ablation: ${plan.ablation.multitask.models.join(', ')} on ${plan.ablation.multitask.dataset} ` +
      `(${plan.ablation.multitask.limitTrain ?? 'all'} / ${plan.ablation.multitask.limitTest ?? 'all'} images), ` +
      `${plan.ablation.multitask.epochs} epoch(s), each model's default training settings, seeds ${plan.ablation.multitask.seeds.join(', ')}` +
      (plan.ablation.rl
        ? `; pendulum: ${plan.ablation.rl.models.join(', ')}, ${plan.ablation.rl.steps} steps, seeds ${plan.ablation.rl.seeds.join(', ')}.`
        : '.') +
      ' Every run is a `hhnet train` process in runs/ablation/; the comparisons use Welch’s 95% interval of the difference of the means.',
    'Every part is saved in parts/*.json as it finishes and reused when its configuration is unchanged; long runs keep ' +
      'checkpoints in runs/. Figures: vega-lite specs in figures/*.vl.json, rendered to SVG and PNG; the report embeds them ' +
      'interactively (vega-embed, inlined) over a static SVG fallback. Each figure lists the command that re-makes it.',
  ].join('\n\n');
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

/** SVG + PNG + the vega-lite spec of every figure, into DIR/figures. */
async function renderFigures(out: string, defs: FigureDef[]): Promise<Map<string, ReportFigure>> {
  const dir = join(out, 'figures');
  await prepareOutDir(dir);
  const rendered = new Map<string, ReportFigure>();
  for (const f of defs) {
    const svg = await renderSvg(f.spec);
    await writeFileAtomic(join(dir, `${f.id}.svg`), svg);
    await writeFileAtomic(join(dir, `${f.id}.png`), await renderPng(svg));
    await writeJsonAtomic(join(dir, `${f.id}.vl.json`), f.spec);
    rendered.set(f.id, {
      id: f.id,
      title: f.title,
      svg,
      spec: f.spec,
      files: [
        { label: 'SVG', href: `figures/${f.id}.svg` },
        { label: 'PNG', href: `figures/${f.id}.png` },
        { label: 'vega-lite spec', href: `figures/${f.id}.vl.json` },
      ],
    });
  }
  return rendered;
}
