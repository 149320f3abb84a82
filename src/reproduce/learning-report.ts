/**
 * The learning half of the report: multi-task accuracy, robustness, RL reward curves. Figures are
 * vega-lite specs (rendered to SVG/PNG and embedded interactively); each carries the command that
 * re-makes it, and every table number its path in results.json.
 */
import type { MultitaskRobustnessResult, RlRobustnessResult } from '../experiments/robustness.js';
import { multitaskRobustnessFigure, rlRobustnessFigure } from '../experiments/robustness.js';
import { VegaLiteSpec, barChart, concatCharts, lineChart } from '../report/charts.js';
import type { ReportFigure, ReportSection } from '../report/html.js';
import { at } from './cells.js';
import type { MultitaskPart, RlPart } from './learning.js';
import type { MultitaskPlan, Plan } from './plan.js';

/** Environment steps per actor in the study's RL runs (spec 3.2). */
const STUDY_RL_STEPS = 300_000;

export interface FigureDef {
  id: string;
  title: string;
  spec: VegaLiteSpec;
}

function limits(p: { limitTrain: number | null; limitTest: number | null }): string {
  return (
    (p.limitTrain ? ` --limit-train ${p.limitTrain}` : '') +
    (p.limitTest ? ` --limit-test ${p.limitTest}` : '')
  );
}

export function multitaskCommand(p: MultitaskPlan): string {
  return (
    `for m in ${p.models.join(' ')}; do hhnet train multitask --model $m --dataset ${p.dataset} ` +
    `--epochs ${p.epochs}${limits(p)} --out runs/multitask/$m; done`
  );
}

export function learningFigures(
  mt: MultitaskPart,
  rob: MultitaskRobustnessResult,
  rl: RlPart,
  rlRob: RlRobustnessResult,
): FigureDef[] {
  const figs: FigureDef[] = [
    {
      id: 'multitask-accuracy',
      title: 'Multi-task test accuracy per network',
      spec: barChart({
        title: 'Test accuracy after training',
        xLabel: 'network',
        yLabel: 'accuracy (%)',
        bars: mt.models.flatMap((m) => [
          { label: m.model, value: m.final.acc1, group: 'task 1' },
          { label: m.model, value: m.final.acc2, group: 'task 2' },
        ]),
      }),
    },
  ];
  if (mt.plan.epochs > 1) {
    const curve = (k: 'acc1' | 'acc2', label: string) =>
      lineChart({
        title: `${label} test accuracy per epoch`,
        xLabel: 'epoch',
        yLabel: 'accuracy (%)',
        width: 320,
        points: true,
        series: mt.models.map((m) => ({
          name: m.model,
          x: m.epochs.map((e) => e.epoch),
          y: m.epochs.map((e) => e[k]),
        })),
      });
    figs.push({
      id: 'multitask-curves',
      title: 'Multi-task learning curves',
      spec: concatCharts([curve('acc1', 'Task 1'), curve('acc2', 'Task 2')], 2),
    });
  }
  figs.push({
    id: 'robustness-multitask',
    title: 'Multi-task accuracy under input noise',
    spec: multitaskRobustnessFigure(rob),
  });
  const envs = [...new Set(rl.runs.map((r) => r.env))];
  figs.push({
    id: 'rl-rewards',
    title: 'SAC evaluation return during training',
    spec: concatCharts(
      envs.map((env) =>
        lineChart({
          title: env,
          xLabel: 'environment steps',
          yLabel: 'mean evaluation return (10 episodes)',
          width: 420,
          points: true,
          series: rl.runs
            .filter((r) => r.env === env)
            .map((r) => ({
              name: r.model,
              x: r.evals.map((e) => e.step),
              y: r.evals.map((e) => e.meanReturn),
            })),
        }),
      ),
      Math.min(2, envs.length),
    ),
  });
  figs.push({
    id: 'robustness-rl',
    title: 'SAC return under observation and reward noise',
    spec: rlRobustnessFigure(rlRob),
  });
  return figs;
}

export function learningSections(
  plan: Plan,
  mt: MultitaskPart,
  rob: MultitaskRobustnessResult,
  rl: RlPart,
  rlRob: RlRobustnessResult,
  fig: (id: string, caption: string, command: string) => ReportFigure,
): ReportSection[] {
  const mp = mt.plan;
  const scale = (p: {
    epochs: number;
    limitTrain: number | null;
    limitTest: number | null;
    dataset: string;
  }) =>
    `${p.dataset}, ${p.limitTrain ?? 'all'} training / ${p.limitTest ?? 'all'} test images, ${p.epochs} epoch(s)`;
  const best = [...mt.models].sort((a, b) => b.final.acc1 + b.final.acc2 - (a.final.acc1 + a.final.acc2))[0];
  const rp = plan.robustness;
  const rr = plan.rlRobustness;
  return [
    {
      id: 'multitask',
      title: 'Multi-task classification (Multi-Fashion+MNIST)',
      intro:
        `Each network reads the 36×36 image for T = 15 steps and answers both tasks through two heads (spec 3.1; Adam lr 1e-4, ` +
        `batch 128, loss = sum of the two cross-entropies). Scale of this run: ${scale(mp)}. ` +
        `Best sum of accuracies: ${best?.model ?? '—'}. The study reports HH_fc ≈ s-LIF2HH_fc ≈ 4LIF_fc, all slightly above LIF_fc.`,
      figures: [
        fig(
          'multitask-accuracy',
          'Test accuracy of task 1 (digit) and task 2 (fashion item) after training.',
          multitaskCommand(mp),
        ),
        ...(mp.epochs > 1
          ? [fig('multitask-curves', 'Test accuracy after each epoch.', multitaskCommand(mp))]
          : []),
      ],
      tables: [
        {
          title: 'Test accuracy',
          columns: ['network', 'task 1 (%)', 'task 2 (%)', 'train loss', 'seconds (last epoch)'],
          rows: mt.models.map((m, i) => [
            m.model,
            at(m.final.acc1, `multitask.models.${i}.final.acc1`),
            at(m.final.acc2, `multitask.models.${i}.final.acc2`),
            at(m.final.loss, `multitask.models.${i}.final.loss`),
            at(m.final.seconds, `multitask.models.${i}.final.seconds`),
          ]),
        },
      ],
    },
    {
      id: 'robustness',
      title: 'Robustness to input noise (multi-task)',
      intro:
        `One fixed noise image A·N(0, 1) is added to every training and test image (spec 3.3), A ∈ {${rp.noise.join(', ')}}; ` +
        `scale: ${scale(rp)}. The study expects LIF to degrade most, HH and s-LIF2HH less and similarly.`,
      figures: [
        fig(
          'robustness-multitask',
          'Test accuracy against noise amplitude, one line per network.',
          `hhnet robustness multitask --models ${rp.models.join(',')} --noise ${rp.noise.join(',')} --dataset ${rp.dataset} --epochs ${rp.epochs}${limits(rp)} --out runs/robustness`,
        ),
      ],
      tables: [
        {
          title: 'Accuracy under noise',
          columns: ['network', 'noise A', 'task 1 (%)', 'task 2 (%)'],
          rows: rob.results.map((r, i) => [
            r.model,
            at(r.noise, `robustness.results.${i}.noise`),
            at(r.acc1, `robustness.results.${i}.acc1`),
            at(r.acc2, `robustness.results.${i}.acc2`),
          ]),
        },
      ],
    },
    {
      id: 'rl',
      title: 'Deep reinforcement learning: SAC with spiking actors',
      intro:
        'Soft Actor-Critic on MuJoCo (official WebAssembly build) with Gymnasium v4 pendulums (spec 3.2): the actor reads the last 5 ' +
        'observations, each presented 3 times (T = 15), through 128 neurons of the kind under test (512 for 4lif); twin MLP critics; ' +
        'γ 0.99, τ 0.005, lr 3e-4, α 0.2, batch 64, one update per step after a random warm-up. Evaluations run the deterministic ' +
        'policy for 10 episodes with the environment reward (maximum 1000 on the inverted pendulum). ' +
        rl.plan
          .map((p) => `${p.env}: ${p.steps} steps (${p.warmup} warm-up), evaluation every ${p.evalEvery}.`)
          .join(' ') +
        (rl.plan.some((p) => p.steps < STUDY_RL_STEPS)
          ? ` At this scale (one seed, ${rl.plan.map((p) => p.models.join(', ')).join('; ')}) the figure shows whether an ` +
            `actor learns to balance the pendulum, not the study's comparison of actors, which needs ${STUDY_RL_STEPS.toLocaleString('en')} steps ` +
            'and several seeds: `hhnet reproduce --full`, or a seeded sweep such as `hhnet sweep examples/sweeps/rl-quick.json --out DIR` ' +
            '(mean and spread over seeds; docs/sweeps.md).'
          : ''),
      figures: [
        fig(
          'rl-rewards',
          'Mean evaluation return against environment steps, one line per actor.',
          rl.plan
            .map(
              (p) =>
                `for m in ${p.models.join(' ')}; do hhnet train rl --env ${p.env} --model $m --steps ${p.steps} --warmup ${p.warmup} --eval-every ${p.evalEvery} --seed 0 --out runs/rl/${p.env}-$m; done`,
            )
            .join('\n'),
        ),
      ],
      tables: [
        {
          title: 'Evaluation return',
          columns: [
            'environment',
            'actor',
            'steps',
            'final return',
            'best return',
            'training episodes',
            'seconds',
          ],
          rows: rl.runs.map((r, i) => [
            r.env,
            r.model,
            at(r.steps, `rl.runs.${i}.steps`),
            at(r.finalReturn, `rl.runs.${i}.finalReturn`),
            at(r.bestReturn, `rl.runs.${i}.bestReturn`),
            at(r.episodes.length, `rl.runs.${i}.episodeCount`),
            at(r.seconds, `rl.runs.${i}.seconds`),
          ]),
        },
      ],
    },
    {
      id: 'rl-robustness',
      title: 'Robustness of the RL agents to observation and reward noise',
      intro:
        `${rr.env}, ${rr.steps} steps per run: Gaussian noise on every observation the agent sees (σ ${rr.stateNoise.join(', ')}) or on ` +
        `the training reward (σ ${rr.rewardNoise.join(', ')}), each against a clean baseline (spec 3.3). The returns are the ` +
        'environment reward of the final evaluation.' +
        (rr.steps < 50_000
          ? ' At this scale the agents are far from trained, so the comparison shows the pipeline, not the study’s finding.'
          : ''),
      figures: [
        fig(
          'robustness-rl',
          'Final evaluation return per condition, one bar per actor.',
          `hhnet robustness rl --env ${rr.env} --models ${rr.models.join(',')} --state-noise ${rr.stateNoise.join(',')} --reward-noise ${rr.rewardNoise.join(',')} --steps ${rr.steps} --warmup ${rr.warmup} --eval-every ${rr.evalEvery} --out runs/robustness-rl`,
        ),
      ],
      tables: [
        {
          title: 'Final return under noise',
          columns: ['actor', 'condition', 'final return'],
          rows: rlRob.results.map((r, i) => [
            r.model,
            r.label,
            at(r.finalReturn, `rlRobustness.results.${i}.finalReturn`),
          ]),
        },
      ],
    },
  ];
}
