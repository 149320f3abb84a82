#!/usr/bin/env node
/**
 * `npm run bench:compare [-- flags]`: hhnet against PyTorch and Brian2 on this machine
 * (src/experiments/bench-compare.ts, docs/benchmarks.md). Prints the tables and writes the JSON.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import {
  BRIAN_TARGETS,
  BrianTarget,
  COMPARE_MODELS,
  COMPARE_PARTS,
  ComparePart,
  defaultCompareOptions,
  formatReport,
  runCompare,
  spawnRunner,
} from '../experiments/bench-compare.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { positiveInt, positiveNumber, finiteNumber } from './options.js';

function listOf<T extends string>(allowed: readonly T[], what: string) {
  return (value: string): T[] => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
    if (items.length === 0 || bad.length)
      throw new InvalidArgumentError(`expected comma-separated ${what} from: ${allowed.join(', ')}.`);
    return [...new Set(items)] as T[];
  };
}

function nonNegativeInt(value: string): number {
  const x = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(x))
    throw new InvalidArgumentError('expected an integer ≥ 0.');
  return x;
}

interface Flags {
  rounds?: number;
  only?: ComparePart[];
  quick?: boolean;
  models?: string[];
  steps?: number;
  warmup?: number;
  torchThreads?: number;
  neurons?: number;
  duration?: number;
  current?: number;
  networkNeurons?: number;
  networkDuration?: number;
  networkThreads?: number;
  cableCompartments?: number;
  cableDt?: number;
  populationCells?: number;
  populationDuration?: number;
  populationDt?: number;
  brianTargets?: BrianTarget[];
  brianOpenmpThreads?: number;
  python?: string;
  workDir?: string;
  out: string;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('bench:compare')
    .description(
      "hhnet vs PyTorch (multi-task training steps, the fc layers' matrix products) and Brian2 (full-HH population, COBAHH network, HH axon velocity), alternating runs, medians",
    )
    .option('--rounds <n>', 'rounds of alternating runs (default 3; quick: 1)', positiveInt)
    .option(
      '--only <parts>',
      `run only these parts: ${COMPARE_PARTS.join(', ')}`,
      listOf(COMPARE_PARTS, 'parts'),
    )
    .option('--quick', 'smoke test: 1 round, 2 timed steps after 1 warm-up, 5 ms of simulation')
    .option(
      '--models <list>',
      `training models (default ${COMPARE_MODELS.join(',')})`,
      listOf(COMPARE_MODELS, 'models'),
    )
    .option('--steps <n>', 'timed training steps per run (default 20; quick: 2)', positiveInt)
    .option('--warmup <n>', 'untimed training steps per run (default 10; quick: 1)', positiveInt)
    .option('--torch-threads <n>', "torch.set_num_threads (default: hhnet's thread count)", positiveInt)
    .option('--neurons <n>', 'population size (default 10000)', positiveInt)
    .option('--duration <ms>', 'simulated time (default 100; quick: 5)', positiveNumber)
    .option('--current <uA>', 'constant input current, µA/cm² (default 10)', finiteNumber)
    .option('--network-neurons <n>', 'COBAHH network size (default 4000)', positiveInt)
    .option('--network-duration <ms>', 'COBAHH network time (default 1000; quick: 50)', positiveNumber)
    .option(
      '--network-threads <n>',
      "threads of hhnet's network step and of Brian2's OpenMP build (default 1)",
      positiveInt,
    )
    .option('--cable-compartments <n>', 'HH axon compartments (default 1000; quick: 300)', positiveInt)
    .option('--cable-dt <ms>', 'HH axon time step (default 0.005; quick: 0.01)', positiveNumber)
    .option(
      '--population-cells <n>',
      'cell population (--only population): cells (default 100; quick: 8)',
      positiveInt,
    )
    .option(
      '--population-duration <ms>',
      'cell population: simulated time (default 100; quick: 10)',
      positiveNumber,
    )
    .option('--population-dt <ms>', 'cell population: time step (default 0.025)', positiveNumber)
    .option(
      '--brian-targets <list>',
      `Brian2 targets (default ${BRIAN_TARGETS.join(',')})`,
      listOf(BRIAN_TARGETS, 'targets'),
    )
    .option(
      '--brian-openmp-threads <n>',
      "OpenMP threads of the Brian2 C++ standalone build (default: hhnet's thread count; 0: single-threaded, as Brian2 builds it)",
      nonNegativeInt,
    )
    .option('--python <path>', 'Python with torch and brian2 (default $HHNET_PYTHON or /usr/bin/python3)')
    .option('--work-dir <dir>', 'scratch directory (Brian2 C++ project; default $TMPDIR/hhnet-bench-compare)')
    .option('--out <file>', 'JSON results file', 'bench-results/compare.json')
    .exitOverride();
  try {
    program.parse(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
  const f = program.opts<Flags>();
  const d = defaultCompareOptions(f.quick ?? false);
  const opts = {
    ...d,
    rounds: f.rounds ?? d.rounds,
    parts: f.only ?? d.parts,
    models: f.models ?? d.models,
    steps: f.steps ?? d.steps,
    warmup: f.warmup ?? d.warmup,
    torchThreads: f.torchThreads ?? d.torchThreads,
    neurons: f.neurons ?? d.neurons,
    duration: f.duration ?? d.duration,
    current: f.current ?? d.current,
    networkNeurons: f.networkNeurons ?? d.networkNeurons,
    networkDuration: f.networkDuration ?? d.networkDuration,
    networkThreads: f.networkThreads ?? d.networkThreads,
    cableCompartments: f.cableCompartments ?? d.cableCompartments,
    cableDt: f.cableDt ?? d.cableDt,
    populationCells: f.populationCells ?? d.populationCells,
    populationDuration: f.populationDuration ?? d.populationDuration,
    populationDt: f.populationDt ?? d.populationDt,
    brianTargets: f.brianTargets ?? d.brianTargets,
    brianOpenmpThreads: f.brianOpenmpThreads ?? d.brianOpenmpThreads,
    python: f.python ?? d.python,
    workDir: resolve(f.workDir ?? d.workDir),
  };
  const report = await runCompare(opts, {
    run: spawnRunner,
    log: (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write('\n' + formatReport(report));
  const out = resolve(f.out);
  await writeJsonAtomic(out, report);
  process.stdout.write(`\nwrote ${out}\n`);
  // Missing tools are not failures; runs that crashed are, and so are disagreeing axon velocities.
  if (report.errors.length || report.cable?.agrees === false) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:compare: error: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
