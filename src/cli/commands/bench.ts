import type { Command } from 'commander';
import { benchSim } from '../../experiments/bench-sim.js';
import { MODEL_NAMES, defaultDt } from '../../neurons/registry.js';
import { runWithDtAdvice } from '../divergence.js';
import type { IntegratorName } from '../../neurons/types.js';
import { finiteNumber, integratorName, oneOf, positiveInt, positiveNumber } from '../options.js';

interface BenchSimFlags {
  model: string;
  neurons: number;
  duration: number;
  dt?: number;
  integrator: IntegratorName;
  current: number;
  repeats: number;
  json?: boolean;
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('performance benchmarks');
  bench
    .command('sim')
    .description('neuron-steps per second of a population simulation (default: full HH, exponential Euler)')
    .option('--model <name>', `neuron model: ${MODEL_NAMES.join(', ')}`, oneOf(MODEL_NAMES), 'hh')
    .option('--neurons <n>', 'population size', positiveInt, 10000)
    .option('--duration <ms>', 'simulated time', positiveNumber, 100)
    .option('--dt <ms>', 'integration step (default 0.01; 1 for slif2hh)', positiveNumber)
    .option('--integrator <name>', 'euler, rk4 or expeuler', integratorName, 'expeuler')
    .option('--current <uA>', 'constant input current', finiteNumber, 10)
    .option('--repeats <n>', 'timed runs (the median is reported)', positiveInt, 1)
    .option('--json', 'print JSON only')
    .action((flags: BenchSimFlags) => {
      const r = runWithDtAdvice(
        (dt, duration) => benchSim({ ...flags, dt, duration }),
        flags.dt ?? defaultDt(flags.model),
        flags.duration,
        flags.integrator,
      );
      if (flags.json) {
        process.stdout.write(JSON.stringify(r) + '\n');
        return;
      }
      process.stdout.write(
        `${r.model} (${r.integrator}), ${r.neurons} neurons × ${r.steps} steps: ` +
          `${(r.neuronStepsPerSec / 1e6).toFixed(2)} M neuron-steps/s (median of ${r.repeats}, ${r.medianSeconds.toFixed(2)} s, ${r.spikes} spikes, node ${r.node})\n`,
      );
    });
}
