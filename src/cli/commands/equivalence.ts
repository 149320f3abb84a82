import type { Command } from 'commander';
import { EQUIVALENCE_DEFAULTS, runEquivalence } from '../../experiments/equivalence.js';
import type { EquivalenceResult } from '../../experiments/equivalence.js';
import type { IntegratorName } from '../../neurons/types.js';
import { equivalenceFigures } from '../../experiments/dynamics-figures.js';
import { validateTiming } from '../../sim/simulate.js';
import { integer, integratorName, positiveNumber } from '../options.js';
import { prepareResultDir, writeJson, writeSvg } from '../output.js';
import { DT_PROBE_MS, assertAccurateDt } from '../divergence.js';
import { STANDARD_WAVEFORMS, makeWaveform } from '../../sim/stimulus.js';
import { Progress } from '../../util/progress.js';

interface EquivalenceFlags {
  force?: boolean;
  dt: number;
  duration: number;
  integrator: IntegratorName;
  seed: number;
  skipNetworks?: boolean;
  out: string;
  quiet?: boolean;
  dtCheck: boolean;
}

export function registerEquivalence(program: Command): void {
  program
    .command('equivalence')
    .description('HH vs the tv-LIF2HH and s-LIF2HH micro-circuits on five waveforms and two small networks')
    .option('--dt <ms>', 'HH / tv-LIF2HH step', positiveNumber, EQUIVALENCE_DEFAULTS.dt)
    .option('--duration <ms>', 'simulated time per run', positiveNumber, EQUIVALENCE_DEFAULTS.duration)
    .option('--integrator <name>', 'euler, rk4 or expeuler', integratorName, EQUIVALENCE_DEFAULTS.integrator)
    .option(
      '--seed <n>',
      'seed for the s-LIF2HH fit and the network weights/inputs',
      integer,
      EQUIVALENCE_DEFAULTS.seed,
    )
    .option('--skip-networks', 'only the single-neuron waveform comparisons')
    .option('--out <dir>', 'output directory', 'results/equivalence')
    .option('--quiet', 'no progress output')
    .option('--force', 'write into an --out that holds results of another command')
    .option('--no-dt-check', 'skip the check that dt and dt/2 give HH and tv-LIF2HH the same spikes')
    .action(async (flags: EquivalenceFlags) => {
      const progress = new Progress(flags.quiet);
      validateTiming(flags.duration, flags.dt);
      const out = await prepareResultDir(flags.out, ['equivalence.json'], flags);
      // Both models of the comparison, on the square wave (its jumps are the hardest input).
      for (const model of ['hh', 'tvlif2hh'])
        assertAccurateDt(
          {
            model,
            integrator: flags.integrator,
            neurons: 1,
            duration: Math.min(flags.duration, DT_PROBE_MS),
            stimulus: () => makeWaveform('square', STANDARD_WAVEFORMS.square),
          },
          flags.dt,
          { enabled: flags.dtCheck },
        );
      const result = runEquivalence({
        dt: flags.dt,
        duration: flags.duration,
        integrator: flags.integrator,
        seed: flags.seed,
        skipNetworks: flags.skipNetworks,
        onProgress: (m) => progress.stage(m),
      });
      await writeEquivalenceOutputs(out, result);
      for (const e of result.entries)
        progress.stage(
          `${e.stimulus.padEnd(9)} ${e.model.padEnd(9)} spikes ${e.spikeCount}/${e.referenceSpikeCount}` +
            `  error/ISI ${e.spikeTimeErrorOverISI === null ? '—' : e.spikeTimeErrorOverISI.toExponential(2)}` +
            `  Γ ${e.coincidence.toFixed(3)}`,
        );
      progress.stage(`wrote ${out}/equivalence.json and figures`);
    });
}

/** equivalence.json (traces left out to keep it small) plus one SVG per figure. */
export async function writeEquivalenceOutputs(out: string, result: EquivalenceResult): Promise<string[]> {
  const files = [await writeJson(out, 'equivalence.json', equivalenceJson(result))];
  for (const fig of equivalenceFigures(result)) {
    const name =
      'equivalence-' +
      fig.title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/-+$/, '') +
      '.svg';
    files.push(await writeSvg(out, name, fig.spec));
  }
  return files;
}

export function equivalenceJson(result: EquivalenceResult): Record<string, unknown> {
  return {
    config: result.config,
    entries: result.entries,
    slif2hhFit: result.slif2hhFit,
    spikeTimes: result.waveforms.map((w) => ({ stimulus: w.stimulus, params: w.params, ...w.spikes })),
    networks: result.networks.map(({ hh: _hh, tvlif2hh: _tv, ...summary }) => summary),
  };
}
