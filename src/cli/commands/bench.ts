import type { Command } from 'commander';
import { benchSim } from '../../experiments/bench-sim.js';
import { benchInferStep, benchTrainStep } from '../../experiments/bench-train.js';
import { benchRl } from '../../experiments/bench-rl.js';
import { KERNEL_BENCH_MODELS, KernelBenchModel, benchKernels } from '../../experiments/bench-kernels.js';
import { FC_GEMM_SHAPES, benchGemm, parseGemmShapes } from '../../experiments/bench-gemm.js';
import { ACTOR_KINDS, ActorKind } from '../../rl/networks.js';
import { ENV_NAMES, EnvName } from '../../rl/pendulums.js';
import { FC_MODELS, MULTITASK_MODELS, MultitaskModelName } from '../../models/multitask.js';
import { backendReady } from '../../kernels/index.js';
import { BACKEND_FLAG, selectBackend } from '../backend-option.js';
import { UserError } from '../output.js';
import { MODEL_NAMES, defaultDt } from '../../sim/registry.js';
import { runWithDtAdvice } from '../divergence.js';
import { checkPopulationSize } from '../../sim/limits.js';
import type { IntegratorName } from '../../neurons/types.js';
import {
  finiteNumber,
  integratorName,
  oneOf,
  positiveInt,
  positiveNumber,
  simulableModel,
} from '../options.js';

interface BenchSimFlags {
  model: string;
  neurons: number;
  duration: number;
  dt?: number;
  integrator: IntegratorName;
  current: number;
  repeats: number;
  rateTable?: number;
  backend?: string;
  json?: boolean;
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('performance benchmarks');
  bench
    .command('sim')
    .description('neuron-steps per second of a population simulation (default: full HH, exponential Euler)')
    .option('--model <name>', `neuron model: ${MODEL_NAMES.join(', ')}`, simulableModel(MODEL_NAMES), 'hh')
    .option('--neurons <n>', 'population size', positiveInt, 10000)
    .option('--duration <ms>', 'simulated time', positiveNumber, 100)
    .option('--dt <ms>', 'integration step (default 0.01; 1 for slif2hh)', positiveNumber)
    .option('--integrator <name>', 'euler, rk4 or expeuler', integratorName, 'expeuler')
    .option('--current <uA>', 'constant input current', finiteNumber, 10)
    .option('--repeats <n>', 'timed runs (the median is reported)', positiveInt, 1)
    .option(
      '--rate-table <mV>',
      "wasm hh / hh-modern, expeuler: interpolate the gates' updates from a table over v of this spacing (1/32: float32 precision; default: exact rates)",
      positiveNumber,
    )
    .option(...BACKEND_FLAG)
    .option('--json', 'print JSON only')
    .action(async (flags: BenchSimFlags) => {
      if (flags.rateTable !== undefined && flags.integrator !== 'expeuler')
        throw new UserError(`--rate-table serves --integrator expeuler only, not ${flags.integrator}`);
      if (flags.rateTable !== undefined && !['hh', 'hh-modern'].includes(flags.model))
        throw new UserError(`--rate-table serves the wasm kernel of hh and hh-modern, not ${flags.model}`);
      selectBackend(flags.backend);
      checkPopulationSize(flags.model, flags.neurons, { integrator: flags.integrator });
      await backendReady();
      const r = runWithDtAdvice(
        (dt, duration) => benchSim({ ...flags, dt, duration }),
        flags.dt ?? defaultDt(flags.model),
        flags.duration,
        flags.integrator,
      );
      if (flags.rateTable !== undefined && r.rateTableMv === null)
        throw new UserError(`--rate-table needs the wasm backend (this run used ${r.backend})`);
      if (flags.json) {
        process.stdout.write(JSON.stringify(r) + '\n');
        return;
      }
      process.stdout.write(
        `${r.model} (${r.integrator}), ${r.neurons} neurons × ${r.steps} steps: ` +
          `${(r.neuronStepsPerSec / 1e6).toFixed(2)} M neuron-steps/s (median of ${r.repeats}, ${r.medianSeconds.toFixed(2)} s, ${r.spikes} spikes, backend ${r.backend}${r.rateTableMv !== null ? `, rate table ${r.rateTableMv} mV` : ''}, node ${r.node})\n`,
      );
    });

  bench
    .command('train')
    .description('ms per training step (forward + backward + Adam) of the multi-task models on random data')
    .option('--models <list>', `comma-separated models (default: the fc family: ${FC_MODELS.join(', ')})`)
    .option('--batch <n>', 'batch size', positiveInt, 128)
    .option('--T <n>', 'time steps', positiveInt, 15)
    .option('--steps <n>', 'timed steps (the median is reported)', positiveInt, 20)
    .option(
      '--warmup <n>',
      'untimed steps first (V8 tiers the kernels up over the first ~10)',
      positiveInt,
      10,
    )
    .option('--infer', 'time a forward with no graph (what evaluation runs) instead of a training step')
    .option(
      '--no-tidy',
      'run each step outside a tidy() scope: its buffers are freed by the garbage collector (for A/B runs)',
    )
    .option(...BACKEND_FLAG)
    .option('--json', 'print JSON only')
    .action(
      (flags: {
        models?: string;
        batch: number;
        T: number;
        steps: number;
        warmup: number;
        infer?: boolean;
        tidy: boolean;
        backend?: string;
        json?: boolean;
      }) => {
        selectBackend(flags.backend);
        // --models '' is an empty list (refused below), not a request for the default set
        const models =
          flags.models !== undefined ? flags.models.split(',').map((s) => s.trim()) : [...FC_MODELS];
        const bad = models.filter((m) => !(MULTITASK_MODELS as readonly string[]).includes(m));
        if (bad.length)
          throw new UserError(
            `unknown model(s) ${bad.map((m) => m || '""').join(', ')} (available: ${MULTITASK_MODELS.join(', ')})`,
          );
        const results = [];
        for (const model of models) {
          const r = (flags.infer ? benchInferStep : benchTrainStep)(model as MultitaskModelName, flags);
          results.push(r);
          if (!flags.json) {
            process.stdout.write(
              `${r.model.padEnd(12)} batch ${r.batch}, T ${r.T}: ${r.msPerStep.toFixed(1)} ms/step ` +
                `(median of ${r.samplesMs.length}, range ${Math.min(...r.samplesMs).toFixed(1)}–${Math.max(...r.samplesMs).toFixed(1)}, backend ${r.kernels})\n`,
            );
          }
        }
        if (flags.json) process.stdout.write(JSON.stringify({ results }) + '\n');
      },
    );
  bench
    .command('rl')
    .description('ms per SAC environment step: acting, one MuJoCo step and one update (batch 64)')
    .option('--env <name>', `environment: ${ENV_NAMES.join(', ')}`, oneOf(ENV_NAMES), 'inverted-pendulum')
    .option('--model <name>', `actor: ${ACTOR_KINDS.join(', ')}`, oneOf(ACTOR_KINDS), 'hh')
    .option('--steps <n>', 'timed steps', positiveInt, 500)
    .option('--warmup <n>', 'untimed steps first', positiveInt, 50)
    .option('--batch <n>', 'update batch size', positiveInt, 64)
    .option(...BACKEND_FLAG)
    .option('--json', 'print JSON only')
    .action(
      async (flags: {
        env: EnvName;
        model: ActorKind;
        steps: number;
        warmup: number;
        batch: number;
        backend?: string;
        json?: boolean;
      }) => {
        selectBackend(flags.backend);
        const r = await benchRl(flags);
        if (flags.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        process.stdout.write(
          `${r.model} actor on ${r.env}: ${r.msPerStep.toFixed(2)} ms per step ` +
            `(act ${r.msAct.toFixed(2)}, physics ${r.msEnv.toFixed(2)}, update ${r.msUpdate.toFixed(2)}; mean of ${r.steps}, batch ${r.batch}, backend ${r.kernels})\n`,
        );
      },
    );

  bench
    .command('kernels')
    .description(
      'generated kernels of the built-in declarations against the hand-written kernels they would replace (forward + backward, alternating, medians)',
    )
    .option('--models <list>', `comma-separated: ${KERNEL_BENCH_MODELS.join(', ')}`)
    .option('--batch <n>', 'batch size', positiveInt, 128)
    .option('--neurons <n>', 'neurons per sample', positiveInt, 512)
    .option('--T <n>', 'time steps (full HH uses at least 40)', positiveInt, 15)
    .option('--repeats <n>', 'timed pairs (medians are reported)', positiveInt, 20)
    // 5 pairs left the generated module on V8's baseline code under load (its optimised
    // compile runs in the background): learning HH 3.2× at warm-up 5 against 1.2× at 60.
    .option('--warmup <n>', 'untimed pairs first (V8 tiers the kernels up meanwhile)', positiveInt, 30)
    .option(...BACKEND_FLAG)
    .option('--json', 'print JSON only')
    .action(
      async (flags: {
        models?: string;
        batch: number;
        neurons: number;
        T: number;
        repeats: number;
        warmup: number;
        backend?: string;
        json?: boolean;
      }) => {
        selectBackend(flags.backend);
        await backendReady();
        const models =
          flags.models !== undefined
            ? flags.models.split(',').map((m) => m.trim())
            : [...KERNEL_BENCH_MODELS];
        const bad = models.filter((m) => !(KERNEL_BENCH_MODELS as readonly string[]).includes(m));
        if (bad.length > 0)
          throw new UserError(
            `--models: unknown ${bad.map((m) => m || '""').join(', ')} (available: ${KERNEL_BENCH_MODELS.join(', ')})`,
          );
        const r = benchKernels({ ...flags, models: models as KernelBenchModel[] });
        if (flags.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        process.stdout.write(
          `batch ${r.batch} × ${r.neurons} neurons, forward + backward, median of ${r.repeats} (backend ${r.backend})\n`,
        );
        for (const row of r.rows)
          process.stdout.write(
            `${row.model.padEnd(12)} T ${String(row.T).padStart(3)}  hand-written ${row.handMs.toFixed(2).padStart(8)} ms  generated ${row.generatedMs.toFixed(2).padStart(8)} ms  ratio ${row.ratio.toFixed(2)}  (${row.generatedPath})\n`,
          );
      },
    );
  bench
    .command('gemm')
    .description(
      "matrix-product throughput of the backend on the fc models' first-layer products (ms and GFLOP/s, medians)",
    )
    .option(
      '--shapes <list>',
      'comma-separated MxNxK[:AB] (A, B: N or T, whether op(A), op(B) are stored transposed)',
      FC_GEMM_SHAPES,
    )
    .option('--repeats <n>', 'timed products per shape (the median is reported)', positiveInt, 30)
    .option('--warmup <n>', 'untimed products first', positiveInt, 20)
    .option(...BACKEND_FLAG)
    .option('--json', 'print JSON only')
    .action(
      async (flags: {
        shapes: string;
        repeats: number;
        warmup: number;
        backend?: string;
        json?: boolean;
      }) => {
        let shapes;
        try {
          shapes = parseGemmShapes(flags.shapes);
        } catch (e) {
          throw new UserError(`--shapes: ${(e as Error).message}`);
        }
        selectBackend(flags.backend);
        await backendReady();
        const r = benchGemm({ shapes, repeats: flags.repeats, warmup: flags.warmup });
        if (flags.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        process.stdout.write(`GEMM, median of ${r.repeats} (backend ${r.kernels})\n`);
        for (const row of r.rows)
          process.stdout.write(
            `${row.label.padEnd(20)} ${row.ms.toFixed(3).padStart(8)} ms  ${row.gflops.toFixed(1).padStart(6)} GFLOP/s\n`,
          );
      },
    );
}
