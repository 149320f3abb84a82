import type { Command } from 'commander';
import { runFiCurve } from '../../experiments/fi-curve.js';
import { declaredModel } from '../../neurons/catalog.js';
import { MODEL_NAMES, defaultDt, inputUnitOf } from '../../sim/registry.js';
import { validateTiming } from '../../sim/simulate.js';
import { DT_PROBE_MS, assertAccurateDt, runWithDtAdvice } from '../divergence.js';
import { perNeuron } from '../../sim/stimulus.js';
import type { IntegratorName } from '../../neurons/types.js';
import { fiFigure } from '../../experiments/dynamics-figures.js';
import { integratorName, numberList, positiveNumber, simulableModel } from '../options.js';
import { prepareResultDir, writeJson, writeSvg } from '../output.js';
import { PARAM_FLAG, checkModelDt, parseModelParams } from '../params.js';
import { Progress } from '../../util/progress.js';

interface FiFlags {
  force?: boolean;
  model: string;
  currents: number[];
  duration: number;
  dt?: number;
  integrator: IntegratorName;
  out: string;
  quiet?: boolean;
  param: string[];
  dtCheck: boolean;
}

export function registerFiCurve(program: Command): void {
  program
    .command('fi-curve')
    .description('firing rate against constant input current; writes fi.json and fi.svg')
    .option('--model <name>', `neuron model: ${MODEL_NAMES.join(', ')}`, simulableModel(MODEL_NAMES), 'hh')
    .option(
      '--currents <list>',
      "comma-separated currents in the model's unit (µA/cm² for hh and lif, pA for adex and traub-miles)",
      numberList,
      [0, 2, 6, 6.5, 10, 20, 50],
    )
    .option('--duration <ms>', 'simulated time per current', positiveNumber, 500)
    .option(
      '--dt <ms>',
      "integration step (default 0.01; a discrete-time model's own step: 1 for slif2hh and lif-step)",
      positiveNumber,
    )
    .option('--integrator <name>', 'euler, rk4 or expeuler', integratorName, 'expeuler')
    .option(...PARAM_FLAG)
    .option('--out <dir>', 'output directory', 'results/fi-curve')
    .option('--quiet', 'no progress output')
    .option('--force', 'write into an --out that holds results of another command')
    .option('--no-dt-check', 'skip the check that dt and dt/2 give the same spikes')
    .addHelpText(
      'after',
      '\nrateHz is the steady rate 1000/mean ISI of the spikes in the last half of the run (0 with fewer than two).\n' +
        'Example:\n  hhnet fi-curve --model hh --currents 0,2,6.5,10,20,50 --duration 500 --dt 0.01 --out results/fi',
    )
    .action(async (flags: FiFlags) => {
      const progress = new Progress(flags.quiet);
      const params = parseModelParams(flags.model, flags.param);
      const dt = flags.dt ?? defaultDt(flags.model);
      validateTiming(flags.duration, dt);
      checkModelDt(flags.model, dt);
      const decl = declaredModel(flags.model);
      const out = await prepareResultDir(flags.out, ['fi.json'], flags);
      assertAccurateDt(
        decl?.time === 'discrete'
          ? null
          : {
              model: flags.model,
              integrator: flags.integrator,
              params,
              neurons: flags.currents.length,
              duration: Math.min(flags.duration, DT_PROBE_MS),
              stimulus: () => perNeuron(flags.currents),
            },
        dt,
        { enabled: flags.dtCheck },
      );
      const result = runWithDtAdvice(
        (stepDt, duration) =>
          runFiCurve({
            model: flags.model,
            currents: flags.currents,
            duration,
            dt: stepDt,
            integrator: flags.integrator,
            ...(flags.param.length > 0 ? { params } : {}),
            onProgress: (f) => progress.update('F–I curve', f),
          }),
        dt,
        flags.duration,
        flags.integrator,
        { discreteStep: decl?.time === 'discrete' ? decl.timeBase : undefined },
      );
      const unit = inputUnitOf(flags.model);
      const jsonPath = await writeJson(out, 'fi.json', result);
      const svgPath = await writeSvg(
        out,
        'fi.svg',
        fiFigure([{ label: `${flags.model} (${flags.integrator})`, points: result.points }], unit),
      );
      for (const p of result.points)
        progress.stage(
          `I = ${p.current}${unit ? ` ${unit}` : ''}: ${p.rateHz.toFixed(2)} Hz (${p.spikeCount} spikes)`,
        );
      progress.stage(`wrote ${jsonPath} and ${svgPath}`);
    });
}
