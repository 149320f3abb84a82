import type { Command } from 'commander';
import { MODEL_NAMES, defaultDt, inputUnitOf } from '../../sim/registry.js';
import type { IntegratorName } from '../../neurons/types.js';
import { simulationFigure } from '../../experiments/dynamics-figures.js';
import { validateTiming } from '../../sim/simulate.js';
import {
  STIMULUS_OPTION_KEYS,
  inputTrace,
  planSimulation,
  runPlan,
  simulationJson,
} from '../../sim/simulation-job.js';
import type { SimulationRequest } from '../../sim/simulation-job.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';
import { checkPopulationSize } from '../../sim/limits.js';
import { DT_PROBE_MS, assertAccurateDt, runWithDtAdvice } from '../divergence.js';
import { STIMULUS_KINDS } from '../../sim/stimulus.js';
import {
  finiteNumber,
  fraction,
  integer,
  integratorName,
  nonNegativeNumber,
  oneOf,
  positiveInt,
  positiveNumber,
  simulableModel,
} from '../options.js';
import { UserError, prepareResultDir, writeJson, writeSvg } from '../output.js';
import { PARAM_FLAG, checkModelDt, parseModelParams } from '../params.js';
import { Progress } from '../../util/progress.js';

interface SimulateFlags {
  force?: boolean;
  dtCheck: boolean;
  model: string;
  stimulus: string;
  neurons: number;
  duration: number;
  dt?: number;
  integrator: IntegratorName;
  recordInterval?: number;
  out: string;
  backend?: string;
  quiet?: boolean;
  amplitude?: number;
  offset?: number;
  period?: number;
  phase?: number;
  duty?: number;
  onset?: number;
  mean?: number;
  sigma?: number;
  tau?: number;
  rate?: number;
  inputs?: number;
  weight?: number;
  tauSyn?: number;
  seed?: number;
  param: string[];
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'simulate a population of one neuron model driven by a stimulus; writes simulation.json and .svg',
    )
    .option('--model <name>', `neuron model: ${MODEL_NAMES.join(', ')}`, simulableModel(MODEL_NAMES), 'hh')
    .option('--stimulus <kind>', `stimulus: ${STIMULUS_KINDS.join(', ')}`, oneOf(STIMULUS_KINDS), 'constant')
    .option(
      '--neurons <n>',
      'population size (waveforms and poisson inputs are shared by all neurons; ou is independent per neuron)',
      positiveInt,
      1,
    )
    .option('--duration <ms>', 'simulated time', positiveNumber, 100)
    .option(
      '--dt <ms>',
      "integration step (default 0.01; a discrete-time model's own step: 1 for slif2hh and lif-step)",
      positiveNumber,
    )
    .option(
      '--integrator <name>',
      'euler, rk4 or expeuler (exponential Euler / Rush–Larsen)',
      integratorName,
      'expeuler',
    )
    .option('--record-interval <ms>', 'trace sampling interval (default: about 4000 samples)', positiveNumber)
    .option(
      '--amplitude <uA>',
      "constant/step level, or waveform half-range, in the model's current unit (µA/cm² for hh and lif, pA for adex and traub-miles; default: the model's typical drive, see hhnet models)",
      finiteNumber,
    )
    .option('--offset <uA>', 'waveform mean level (µA/cm²); for step: end time (ms)', finiteNumber)
    .option('--period <ms>', 'waveform period', positiveNumber)
    .option('--phase <rad>', 'sine phase', finiteNumber)
    .option('--duty <fraction>', 'square wave duty cycle in [0, 1]', fraction)
    .option('--onset <ms>', 'step onset', finiteNumber)
    .option('--mean <uA>', 'OU mean current', finiteNumber)
    .option('--sigma <uA>', 'OU standard deviation', nonNegativeNumber)
    .option('--tau <ms>', 'OU correlation time', positiveNumber)
    .option('--rate <Hz>', 'Poisson input rate', nonNegativeNumber)
    .option('--inputs <n>', 'number of Poisson input trains', positiveInt)
    .option('--weight <uA>', 'Poisson synaptic weight per spike', finiteNumber)
    .option('--tau-syn <ms>', 'Poisson synaptic time constant', positiveNumber)
    .option('--seed <n>', 'random seed for ou/poisson', integer)
    .option(...PARAM_FLAG)
    .option('--out <dir>', 'output directory', 'results/simulate')
    .option(...BACKEND_FLAG)
    .option('--quiet', 'no progress output')
    .option('--force', 'write into an --out that holds results of another command')
    .option('--no-dt-check', 'skip the check that dt and dt/2 give the same spikes')
    .addHelpText(
      'after',
      '\nExamples:\n  hhnet simulate --model hh --stimulus constant --amplitude 10 --duration 100\n' +
        '  hhnet simulate --model tvlif2hh --stimulus square --offset 9 --amplitude 15.5 --period 8.5 --dt 0.001 --integrator euler\n' +
        '  hhnet simulate --model hh-modern --stimulus poisson --rate 40 --inputs 100 --weight 2 --neurons 20\n' +
        '  hhnet simulate --model izhikevich --param a=0.1,d=2 --amplitude 10 --duration 1000 --integrator rk4\n' +
        'Models and their parameters: hhnet models',
    )
    .action(async (flags: SimulateFlags) => {
      selectBackend(flags.backend);
      const progress = new Progress(flags.quiet);
      const params = parseModelParams(flags.model, flags.param);
      const dt = flags.dt ?? defaultDt(flags.model);
      validateTiming(flags.duration, dt);
      checkModelDt(flags.model, dt);
      checkPopulationSize(flags.model, flags.neurons, { integrator: flags.integrator, params });
      const stimulusOptions: SimulationRequest['stimulusOptions'] = {};
      for (const key of STIMULUS_OPTION_KEYS) if (flags[key] !== undefined) stimulusOptions[key] = flags[key];
      let plan;
      try {
        plan = planSimulation({
          model: flags.model,
          stimulus: flags.stimulus,
          stimulusOptions,
          neurons: flags.neurons,
          duration: flags.duration,
          dt,
          integrator: flags.integrator,
          recordInterval: flags.recordInterval,
          params,
        });
      } catch (err) {
        throw new UserError((err as Error).message);
      }
      const out = await prepareResultDir(flags.out, ['simulation.json'], flags);
      // The probe: a few neurons over the first 200 ms, with the same (deterministic) input.
      const probeNeurons = Math.min(flags.neurons, 4);
      assertAccurateDt(
        plan.discrete || plan.stochastic
          ? null
          : {
              model: flags.model,
              integrator: flags.integrator,
              params,
              neurons: probeNeurons,
              duration: Math.min(flags.duration, DT_PROBE_MS),
              stimulus: () => plan.stimulusFor(probeNeurons),
            },
        dt,
        {
          enabled: flags.dtCheck,
          note: (m) => progress.stage(m),
          skipped: plan.stochastic ? `${flags.stimulus} input differs between step sizes` : undefined,
        },
      );
      const onProgress = (f: number): void => progress.update(`simulate ${flags.model}`, f);
      const { pop, result } = runWithDtAdvice(
        (stepDt, duration) => runPlan(plan, { dt: stepDt, duration, onProgress }),
        dt,
        flags.duration,
        flags.integrator,
        { discreteStep: plan.discreteStep },
      );
      // The input at the trace times, for the figure (waveforms only; stochastic ones vary per step).
      const currentTrace = inputTrace(plan, result);
      const json = simulationJson(plan, pop, result);
      const jsonPath = await writeJson(out, 'simulation.json', json);
      const title = `${flags.model}, ${flags.stimulus} stimulus, dt ${dt} ms${plan.discrete ? '' : ` (${flags.integrator})`}`;
      const svgPath = await writeSvg(
        out,
        'simulation.svg',
        simulationFigure(title, result, currentTrace, inputUnitOf(flags.model)),
      );
      const spikes = result.spikeTimes.reduce((s, x) => s + x.length, 0);
      progress.stage(`${spikes} spikes from ${flags.neurons} neuron(s); wrote ${jsonPath} and ${svgPath}`);
    });
}
